"""API schemas for indicators and observations."""

from __future__ import annotations

import datetime
from decimal import Decimal

from ninja import Field, Schema


class AssessmentOut(Schema):
    status: str
    status_label: str
    method: str
    actual: str | None
    as_of: str | None
    baseline_value: str | None
    baseline_date: str | None
    target_value: str | None
    target_date: str | None
    progress: str | None
    expected: str | None
    ratio: str | None
    notes: list[str]
    explanation: str


class IndicatorOut(Schema):
    code: str
    title: str
    kind: str
    unit: str
    measure: str
    direction: str
    action: str | None
    node: str | None
    assessment: AssessmentOut


class ObservationOut(Schema):
    indicator: str
    period_start: datetime.date
    period_end: datetime.date
    value: Decimal | None
    qualifier: str
    state: str


class ObservationReadOut(ObservationOut):
    status: str
    status_label: str
    explanation: str


class IndicatorDetailOut(IndicatorOut):
    observations: list[ObservationOut]


class ObservationIn(Schema):
    indicator: str = Field(max_length=100)
    period_start: datetime.date
    period_end: datetime.date
    value: Decimal | None = Field(None, max_digits=20, decimal_places=4)
    numerator: Decimal | None = Field(None, max_digits=20, decimal_places=4)
    denominator: Decimal | None = Field(None, max_digits=20, decimal_places=4)
    comment: str = Field("", max_length=2000)
    submit: bool = True


class ErrorOut(Schema):
    code: str
    detail: str
    field: str | None = None
