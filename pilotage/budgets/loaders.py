"""Budget lines from `data/budgets/`, amounts as published (see pilotage.core.loading)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

from pydantic import Field, model_validator

from pilotage.budgets.models import BudgetLine
from pilotage.core.datafiles import (
    Code,
    DataError,
    FileSchema,
    OptionalMultilingual,
    Text,
    decimal_problem,
    parse_file,
    upsert,
)
from pilotage.core.i18n import translated_field_values
from pilotage.core.loading import DataFolder, duplicates

UNITS = {"€": Decimal(1), "k€": Decimal(1_000), "M€": Decimal(1_000_000)}


class LineData(FileSchema):
    code: Code
    strategy: Code
    node: Text | None = None
    action: Code | None = None
    label: OptionalMultilingual = {}
    year: int | None = Field(None, ge=1900, le=2200)
    source: Code
    flow: str = Field("planned", pattern="^(planned|revised|committed|paid)$")
    amount: Decimal
    total: bool = False
    precision: Decimal = Decimal("0.01")
    document: str = ""
    parts: list[Code] = []  # a declared total's parts, when the source lists them

    @model_validator(mode="after")
    def _checks(self) -> LineData:
        if self.node is not None and self.action is not None:
            raise ValueError("a line is on a node or on an action, not both")
        if self.flow == "planned" and self.amount < 0:
            raise ValueError("a planned amount cannot be negative")
        if self.parts and not self.total:
            raise ValueError("only a declared total lists parts")
        return self


class BudgetFile(FileSchema):
    """`data/budgets/<group>.yaml`."""

    sources: list[str] = []
    unit: str = Field("M€", pattern="^(€|k€|M€)$")
    lines: list[LineData] = []


def _known(files: dict[Path, BudgetFile]) -> dict[str, set]:
    return {"budget_lines": {line.code for f in files.values() for line in f.lines}}


def _check(files: dict[Path, BudgetFile], known: dict[str, set]) -> list[DataError]:
    errors = duplicates(
        ((str(path), line.code) for path, f in files.items() for line in f.lines), "budget line"
    )
    periods = {code: (start, end) for code, start, end in known["strategy_periods"]}
    for path, parsed in files.items():
        for line in parsed.lines:
            record = f"budget line {line.code!r}"
            if line.strategy not in known["strategies"]:
                errors.append(DataError(str(path), record, f"unknown strategy {line.strategy!r}"))
            if line.node and (line.strategy, line.node) not in known["nodes"]:
                errors.append(DataError(str(path), record, f"unknown node {line.node!r}"))
            if line.action and line.action not in known["actions"]:
                errors.append(DataError(str(path), record, f"unknown action {line.action!r}"))
            if ("funding-sources", line.source) not in known["terms"]:
                errors.append(
                    DataError(str(path), record, f"unknown funding source {line.source!r}")
                )
            # An amount the table cannot keep exactly is refused, never rounded.
            scale = UNITS[parsed.unit]
            for column, value in (("amount", line.amount), ("precision", line.precision)):
                problem = decimal_problem(BudgetLine._meta.get_field(column), value * scale)
                if problem:
                    errors.append(DataError(str(path), record, problem, column))
            for part in line.parts:
                if part not in known["budget_lines"]:
                    errors.append(DataError(str(path), record, f"unknown part {part!r}"))
            start, end = periods.get(line.strategy, (None, None))
            if line.year and start and (line.year < start or (end and line.year > end)):
                errors.append(
                    DataError(str(path), record, f"{line.year} is outside the strategy's period")
                )
    return errors


def _write(files: dict[Path, BudgetFile], progress) -> Counter:
    from pilotage.strategies.models import Action, Strategy, StrategyNode
    from pilotage.taxonomies.models import Term

    stats: Counter = Counter()
    sources = {t.code: t for t in Term.objects.filter(taxonomy__code="funding-sources")}
    for parsed in files.values():
        scale = UNITS[parsed.unit]
        for line in progress(parsed.lines):
            strategy = Strategy.objects.get(code=line.strategy)
            _record, status = upsert(
                BudgetLine,
                {"code": line.code},
                {
                    "strategy": strategy,
                    "node": StrategyNode.objects.get(strategy=strategy, code=line.node)
                    if line.node
                    else None,
                    "action": Action.objects.get(code=line.action) if line.action else None,
                    "year": line.year,
                    "source": sources[line.source],
                    "flow": line.flow,
                    "amount": (line.amount * scale).quantize(Decimal("0.01")),
                    "is_declared_total": line.total,
                    "precision": (line.precision * scale).quantize(Decimal("0.01")),
                    "document": line.document,
                    **translated_field_values("label", line.label),
                },
            )
            stats[f"budget lines {status}"] += 1
    # Once every line exists: the parts each declared total lists.
    for parsed in files.values():
        for line in parsed.lines:
            if line.total:
                total = BudgetLine.objects.get(code=line.code)
                wanted = set(
                    BudgetLine.objects.filter(code__in=line.parts).values_list("pk", flat=True)
                )
                if set(total.components.values_list("pk", flat=True)) != wanted:
                    total.components.set(wanted)
                    stats["budget lines updated"] += 1
    return stats


BUDGET_FOLDER = DataFolder(
    folder="budgets",
    order=50,
    read=lambda path: parse_file(path, BudgetFile),
    known=_known,
    check=_check,
    write=_write,
)
