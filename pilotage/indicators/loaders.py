"""Indicators and their published values from `data/indicators/` (see pilotage.core.loading)."""

from __future__ import annotations

import datetime
from collections import Counter
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
from pilotage.indicators.models import (
    Aggregation,
    Direction,
    Indicator,
    IndicatorKind,
    Measure,
    Observation,
    ObservationState,
    Qualifier,
    StatusMethod,
    Target,
)


class PointData(FileSchema):
    value: Decimal
    date: datetime.date


class TargetData(FileSchema):
    start: datetime.date
    end: datetime.date
    value: Decimal


class ObservationData(FileSchema):
    start: datetime.date
    end: datetime.date
    value: Decimal | None = None
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    text: str = ""
    qualifier: Qualifier = Qualifier.EXACT
    comment: OptionalMultilingual = {}

    @model_validator(mode="after")
    def _ordered(self) -> ObservationData:
        if self.end < self.start:
            raise ValueError("the period ends before it starts")
        return self


class IndicatorData(FileSchema):
    code: Code
    title: Multilingual
    definition: Multilingual
    kind: IndicatorKind
    unit: OptionalMultilingual = {}
    measure: Measure = Measure.NUMBER
    direction: Direction = Direction.INCREASE
    tolerance: Decimal | None = None
    aggregation: Aggregation = Aggregation.LAST
    status_method: StatusMethod = StatusMethod.TRAJECTORY
    action: Code | None = None
    node: Text | None = None
    weight: Decimal = Field(Decimal(1), gt=0)
    baseline: PointData | None = None
    target: PointData | None = None
    targets: list[TargetData] = []
    source: OptionalMultilingual = {}
    method: OptionalMultilingual = {}
    external_code: str = ""
    observations: list[ObservationData] = []

    @model_validator(mode="after")
    def _one_owner(self) -> IndicatorData:
        if (self.action is None) == (self.node is None):
            raise ValueError("give exactly one of action and node")
        if self.node is not None and ":" not in self.node:
            raise ValueError('node is "STRATEGY:NODE", e.g. "DW2016-2024:A4.P2"')
        return self


class IndicatorFile(FileSchema):
    """`data/indicators/<group>.yaml`."""

    sources: list[str] = []
    indicators: list[IndicatorData] = []


def _known(files: dict[Path, IndicatorFile]) -> dict[str, set]:
    codes = set(Indicator.objects.values_list("code", flat=True))
    codes |= {i.code for parsed in files.values() for i in parsed.indicators}
    return {"indicators": codes}


def _check(files: dict[Path, IndicatorFile], known: dict[str, set]) -> list[DataError]:
    errors = duplicates(
        ((str(path), i.code) for path, f in files.items() for i in f.indicators), "indicator"
    )
    for path, parsed in files.items():
        for indicator in parsed.indicators:
            record = f"indicator {indicator.code!r}"
            if indicator.action and indicator.action not in known["actions"]:
                errors.append(DataError(str(path), record, f"unknown action {indicator.action!r}"))
            if indicator.node and tuple(indicator.node.split(":", 1)) not in known["nodes"]:
                errors.append(DataError(str(path), record, f"unknown node {indicator.node!r}"))
            periods = [(o.start, o.end) for o in indicator.observations]
            if len(set(periods)) != len(periods):
                errors.append(DataError(str(path), record, "two observations for the same period"))
    return errors


def _write(files: dict[Path, IndicatorFile], progress) -> Counter:
    from pilotage.strategies.models import Action, StrategyNode

    stats: Counter = Counter()
    for parsed in files.values():
        for data in progress(parsed.indicators):
            owner = {"action": None, "node": None}
            if data.action:
                owner["action"] = Action.objects.get(code=data.action)
            else:
                strategy, node = data.node.split(":", 1)
                owner["node"] = StrategyNode.objects.get(strategy__code=strategy, code=node)
            indicator, status = upsert(
                Indicator,
                {"code": data.code},
                {
                    **owner,
                    "kind": data.kind,
                    "measure": data.measure,
                    "direction": data.direction,
                    "tolerance": data.tolerance,
                    "aggregation": data.aggregation,
                    "status_method": data.status_method,
                    "weight": data.weight,
                    "baseline_value": data.baseline.value if data.baseline else None,
                    "baseline_date": data.baseline.date if data.baseline else None,
                    "target_value": data.target.value if data.target else None,
                    "target_date": data.target.date if data.target else None,
                    "external_code": data.external_code,
                    **translated_field_values("title", data.title),
                    **translated_field_values("definition", data.definition),
                    **translated_field_values("unit", data.unit),
                    **translated_field_values("source", data.source),
                    **translated_field_values("method", data.method),
                },
            )
            stats[f"indicators {status}"] += 1
            for target in data.targets:
                _record, status = upsert(
                    Target,
                    {"indicator": indicator, "period_end": target.end},
                    {"period_start": target.start, "value": target.value},
                )
                stats[f"targets {status}"] += 1
            for observation in data.observations:
                _record, status = upsert(
                    Observation,
                    {
                        "indicator": indicator,
                        "period_start": observation.start,
                        "period_end": observation.end,
                    },
                    {
                        "value": observation.value,
                        "numerator": observation.numerator,
                        "denominator": observation.denominator,
                        "text_value": observation.text,
                        "qualifier": observation.qualifier,
                        # Published figures from the sources are public as they stand.
                        "state": ObservationState.PUBLISHED,
                        **translated_field_values("comment", observation.comment),
                    },
                )
                stats[f"observations {status}"] += 1
    return stats


INDICATOR_FOLDER = DataFolder(
    folder="indicators",
    order=40,
    read=lambda path: parse_file(path, IndicatorFile),
    known=_known,
    check=_check,
    write=_write,
)
