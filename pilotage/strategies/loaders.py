"""Strategies, their nodes and actions from `data/strategies/` (see pilotage.core.loading).

Strategies are written each after its predecessor, nodes each after its parent, then
the actions, which may point at nodes of any strategy.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path

from pydantic import Field, model_validator

from pilotage.core.datafiles import (
    Code,
    DataError,
    FileSchema,
    Multilingual,
    OptionalMultilingual,
    Text,
    parse_file,
    upsert,
)
from pilotage.core.i18n import translated_field_values
from pilotage.core.loading import DataFolder, duplicates
from pilotage.registry.models import Organisation
from pilotage.strategies.models import (
    Action,
    ActionPartner,
    ActionStatus,
    Strategy,
    StrategyLevel,
    StrategyNode,
    StrategyStatus,
)
from pilotage.taxonomies.models import Taxonomy, Term
from pilotage.taxonomies.selectors import record_terms
from pilotage.taxonomies.services import record_terms_apply


class LevelData(FileSchema):
    code: Code
    name: Multilingual


class PeriodData(FileSchema):
    start: datetime.date
    end: datetime.date | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PeriodData:
        if self.end is not None and self.end < self.start:
            raise ValueError("the period ends before it starts")
        return self


class StrategyData(FileSchema):
    code: Code
    title: Multilingual
    description: OptionalMultilingual = {}
    version: Text = "1"
    period: PeriodData
    owner: Code
    status: StrategyStatus
    predecessor: Code | None = None
    # A plan the sources name without its tree (an earlier plan of a line) has none.
    levels: list[LevelData] = []


class NodeData(FileSchema):
    code: Code
    # Its share in its parent's progress (> 0, three decimals like the model's field).
    weight: Decimal = Field(Decimal(1), gt=0, max_digits=8, decimal_places=3)
    parent: Code | None = None
    level: Code
    title: Multilingual
    description: OptionalMultilingual = {}
    values: list[Multilingual] = []


class PartnerData(FileSchema):
    organisation: Code
    role: OptionalMultilingual = {}


class ActionData(FileSchema):
    code: Code
    title: Multilingual
    description: OptionalMultilingual = {}
    type: Code | None = None
    target_audiences: list[Code] = []
    status: ActionStatus = ActionStatus.PLANNED
    start: datetime.date | None = None
    end: datetime.date | None = None
    lead: Code | None = None
    partners: list[PartnerData] = []
    nodes: list[Text] = []
    terms: dict[Code, list[Code]] = {}  # any other taxonomy: funding sources, provinces ...
    # Its share in its nodes' progress (> 0, three decimals like the model's field).
    weight: Decimal = Field(Decimal(1), gt=0, max_digits=8, decimal_places=3)


class StrategyFile(FileSchema):
    """`data/strategies/<code>.yaml`."""

    sources: list[str] = []
    strategy: StrategyData
    nodes: list[NodeData] = []
    actions: list[ActionData] = []


class ProcedureStep(FileSchema):
    code: Code
    title: Multilingual
    description: OptionalMultilingual = {}


class ProcedureFile(FileSchema):
    """`data/procedures/<code>.yaml`: texts later issues use (calls for projects)."""

    sources: list[str] = []
    code: Code
    title: Multilingual
    steps: list[ProcedureStep] = Field(min_length=1)


def _strategy_check(file: str, parsed: StrategyFile, known: dict[str, set]) -> list[DataError]:
    organisations, strategies, nodes = known["organisations"], known["strategies"], known["nodes"]
    errors = []
    strategy = parsed.strategy
    record = f"strategy {strategy.code!r}"
    if strategy.owner not in organisations:
        errors.append(DataError(file, record, f"unknown owner organisation {strategy.owner!r}"))
    if strategy.predecessor and strategy.predecessor not in strategies:
        errors.append(DataError(file, record, f"unknown predecessor {strategy.predecessor!r}"))
    depths = {level.code: depth for depth, level in enumerate(strategy.levels)}
    if len(depths) != len(strategy.levels):
        errors.append(DataError(file, record, "two levels share a code"))
    errors += duplicates(((file, n.code) for n in parsed.nodes), "node")
    by_code = {node.code: node for node in parsed.nodes}
    for node in parsed.nodes:
        record = f"node {node.code!r}"
        if node.level not in depths:
            errors.append(DataError(file, record, f"unknown level {node.level!r}"))
            continue
        if node.parent is None:
            if depths[node.level] != 0:
                errors.append(DataError(file, record, f"a {node.level!r} node needs a parent"))
        elif node.parent not in by_code:
            errors.append(DataError(file, record, f"unknown parent code {node.parent!r}"))
        elif depths.get(by_code[node.parent].level, -2) + 1 != depths[node.level]:
            errors.append(
                DataError(
                    file,
                    record,
                    f"level {node.level!r} cannot sit under a {by_code[node.parent].level!r} node",
                )
            )
    for action in parsed.actions:
        record = f"action {action.code!r}"
        if action.start and action.end and action.end < action.start:
            errors.append(DataError(file, record, "ends before it starts"))
        references = (
            [("action-types", action.type)]
            + [("target-audiences", code) for code in action.target_audiences]
            + [(scheme, code) for scheme, codes in action.terms.items() for code in codes]
        )
        for scheme, code in references:
            if code is not None and (scheme, code) not in known["terms"]:
                errors.append(
                    DataError(file, record, f"unknown term {code!r} in taxonomy {scheme!r}")
                )
        for organisation in [action.lead] + [p.organisation for p in action.partners]:
            if organisation is not None and organisation not in organisations:
                errors.append(DataError(file, record, f"unknown organisation {organisation!r}"))
        for reference in action.nodes:
            if _node_key(strategy.code, reference) not in nodes:
                errors.append(DataError(file, record, f"unknown node {reference!r}"))
    return errors


def _node_key(strategy_code: str, reference: str) -> tuple[str, str]:
    """ "1.2" is a node of the file's strategy; "DW2016:1.2" one of another strategy."""
    if ":" in reference:
        other, code = reference.split(":", 1)
        return other, code
    return strategy_code, reference


def _predecessor_cycles(files: dict[Path, StrategyFile]) -> list[DataError]:
    predecessors = {f.strategy.code: (str(p), f.strategy.predecessor) for p, f in files.items()}
    errors = []
    for code, (file, _pred) in predecessors.items():
        seen, current = {code}, predecessors[code][1]
        while current in predecessors:
            if current in seen:
                errors.append(
                    DataError(file, f"strategy {code!r}", "its predecessors form a cycle")
                )
                break
            seen.add(current)
            current = predecessors[current][1]
    return errors


def _strategies_in_order(files: Iterable[StrategyFile]) -> list[StrategyFile]:
    """Predecessors first, so a strategy can point at one loaded in the same run."""
    by_code = {f.strategy.code: f for f in files}
    ordered, placed = [], set()

    def place(parsed: StrategyFile) -> None:
        if parsed.strategy.code in placed:
            return
        if parsed.strategy.predecessor in by_code:
            place(by_code[parsed.strategy.predecessor])
        placed.add(parsed.strategy.code)
        ordered.append(parsed)

    for parsed in by_code.values():
        place(parsed)
    return ordered


def _strategy_apply(parsed: StrategyFile, stats: Counter) -> None:
    data = parsed.strategy
    strategy, status = upsert(
        Strategy,
        {"code": data.code},
        {
            "version": data.version,
            "period_start": data.period.start,
            "period_end": data.period.end,
            "owner": Organisation.objects.get(code=data.owner),
            "status": data.status,
            "predecessor": Strategy.objects.get(code=data.predecessor)
            if data.predecessor
            else None,
            "sources": ", ".join(parsed.sources),
            **translated_field_values("title", data.title),
            **translated_field_values("description", data.description),
        },
    )
    stats[f"strategies {status}"] += 1
    levels = {}
    # Levels whose depth moves would collide on the unique depth: clear them first.
    StrategyLevel.objects.filter(strategy=strategy).exclude(
        code__in=[level.code for level in data.levels]
    ).filter(nodes__isnull=True).delete()
    for depth, level in enumerate(data.levels):
        levels[level.code], status = upsert(
            StrategyLevel,
            {"strategy": strategy, "code": level.code},
            {"depth": depth, **translated_field_values("name", level.name)},
        )
        stats[f"levels {status}"] += 1
    stored: dict[str, StrategyNode] = {}
    pending = list(enumerate(parsed.nodes))
    while pending:  # parents before children, whatever the order in the file
        waiting = []
        for order, node in pending:
            if node.parent and node.parent not in stored:
                waiting.append((order, node))
                continue
            stored[node.code], status = upsert(
                StrategyNode,
                {"strategy": strategy, "code": node.code},
                {
                    "parent": stored[node.parent] if node.parent else None,
                    "level": levels[node.level],
                    "order": order,
                    "weight": node.weight,
                    "values": [dict(value) for value in node.values],
                    **translated_field_values("title", node.title),
                    **translated_field_values("description", node.description),
                },
            )
            stats[f"nodes {status}"] += 1
        pending = waiting


def _action_apply(strategy_code: str, data: ActionData, terms, stats: Counter) -> None:
    action, status = upsert(
        Action,
        {"code": data.code},
        {
            "type": terms[("action-types", data.type)] if data.type else None,
            "status": data.status,
            "start_date": data.start,
            "end_date": data.end,
            "weight": data.weight,
            "lead": Organisation.objects.get(code=data.lead) if data.lead else None,
            **translated_field_values("title", data.title),
            **translated_field_values("description", data.description),
        },
    )
    audiences = [terms[("target-audiences", code)] for code in data.target_audiences]
    nodes = [
        StrategyNode.objects.get(strategy__code=s, code=c)
        for s, c in (_node_key(strategy_code, ref) for ref in data.nodes)
    ]
    changed = False
    if {t.pk for t in action.target_audiences.all()} != {t.pk for t in audiences}:
        action.target_audiences.set(audiences)
        changed = True
    if {n.pk for n in action.nodes.all()} != {n.pk for n in nodes}:
        action.nodes.set(nodes)
        changed = True
    wanted = {p.organisation: p.role for p in data.partners}
    for partnership in action.partnerships.select_related("organisation"):
        if partnership.organisation.code not in wanted:
            partnership.delete()
            changed = True
    for code, role in wanted.items():
        _partner, partner_status = upsert(
            ActionPartner,
            {"action": action, "organisation": Organisation.objects.get(code=code)},
            translated_field_values("role", role),
        )
        changed = changed or partner_status != "unchanged"
    for scheme, codes in data.terms.items():
        wanted_terms = {terms[(scheme, code)] for code in codes}
        if set(record_terms(action).filter(taxonomy__code=scheme)) != wanted_terms:
            record_terms_apply(
                record=action, taxonomy=Taxonomy.objects.get(code=scheme), terms=wanted_terms
            )
            changed = True
    if status == "unchanged" and changed:
        status = "updated"
    stats[f"actions {status}"] += 1


def _known(files: dict[Path, StrategyFile]) -> dict[str, set]:
    strategies = set(Strategy.objects.values_list("code", flat=True))
    nodes = set(StrategyNode.objects.values_list("strategy__code", "code"))
    actions = set(Action.objects.values_list("code", flat=True))
    periods = {
        code: (start.year, end.year if end else None)
        for code, start, end in Strategy.objects.values_list("code", "period_start", "period_end")
    }
    for parsed in files.values():
        strategies.add(parsed.strategy.code)
        period = parsed.strategy.period
        periods[parsed.strategy.code] = (period.start.year, period.end.year if period.end else None)
        nodes |= {(parsed.strategy.code, node.code) for node in parsed.nodes}
        actions |= {action.code for action in parsed.actions}
    return {
        "strategies": strategies,
        "nodes": nodes,
        "actions": actions,
        "strategy_periods": {(code, *years) for code, years in periods.items()},
    }


def _check(files: dict[Path, StrategyFile], known: dict[str, set]) -> list[DataError]:
    errors = duplicates(((str(path), f.strategy.code) for path, f in files.items()), "strategy")
    errors += duplicates(
        ((str(path), a.code) for path, f in files.items() for a in f.actions), "action"
    )
    for path, parsed in files.items():
        errors += _strategy_check(str(path), parsed, known)
    return errors + _predecessor_cycles(files)


def _write(files: dict[Path, StrategyFile], progress) -> Counter:
    stats: Counter = Counter()
    for parsed in progress(_strategies_in_order(files.values())):
        _strategy_apply(parsed, stats)
    terms = {(t.taxonomy.code, t.code): t for t in Term.objects.select_related("taxonomy")}
    for parsed in files.values():
        for action in progress(parsed.actions):
            _action_apply(parsed.strategy.code, action, terms, stats)
    return stats


STRATEGY_FOLDER = DataFolder(
    folder="strategies",
    order=30,
    read=lambda path: parse_file(path, StrategyFile),
    known=_known,
    check=_check,
    write=_write,
)

PROCEDURE_FOLDER = DataFolder(
    folder="procedures",
    order=90,
    read=lambda path: parse_file(path, ProcedureFile),
    known=lambda files: {"procedures": {f.code for f in files.values()}},
    check=lambda files, known: duplicates(
        ((str(p), f.code) for p, f in files.items()), "procedure"
    ),
    # Read and checked only: the calls for projects will store them.
    write=lambda files, progress: Counter({"procedures checked": len(files)}),
)
