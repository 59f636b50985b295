"""API schemas for indicators and observations."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, WithJsonSchema

from pilotage.core.api import Number, page_schema
from pilotage.indicators.models import AMOUNT


class AssessmentOut(Schema):
    status: str
    status_label: str
    method: str
    actual: Number | None
    as_of: str | None
    baseline_value: Number | None
    baseline_date: str | None
    target_value: Number | None
    target_date: str | None
    progress: Number | None
    expected: Number | None
    ratio: Number | None
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
    value: Number | None
    qualifier: str
    state: str


class ObservationReadOut(ObservationOut):
    status: str
    status_label: str
    explanation: str


IndicatorPageOut = page_schema("IndicatorPageOut", IndicatorOut)
ObservationPageOut = page_schema("ObservationPageOut", ObservationReadOut)


class IndicatorDetailOut(IndicatorOut):
    observations: list[ObservationOut]


def _amount_schema() -> dict:
    """What an amount the model stores (`AMOUNT`) can be sent as: a JSON number read
    exactly as written (the API's parser), or a decimal text, of at most 16 integer and 4
    decimal digits. More is refused, never rounded."""
    integers = AMOUNT["max_digits"] - AMOUNT["decimal_places"]
    places = AMOUNT["decimal_places"]
    bound = 10**integers
    return {
        "anyOf": [
            {
                "type": "number",
                "exclusiveMinimum": -bound,
                "exclusiveMaximum": bound,
                "multipleOf": float(Decimal(1).scaleb(-places)),
            },
            {"type": "string", "pattern": rf"^-?\d{{1,{integers}}}(\.\d{{1,{places}}})?$"},
            {"type": "null"},
        ]
    }


Amount = Annotated[Decimal, Field(**AMOUNT), WithJsonSchema(_amount_schema())]


class ObservationIn(Schema):
    # A field Pilotage does not know is refused (422), never silently dropped.
    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(max_length=100)
    period_start: datetime.date
    period_end: datetime.date
    value: Amount | None = None
    numerator: Amount | None = None
    denominator: Amount | None = None
    comment: str = Field("", max_length=2000)
    submit: bool = True


class ErrorOut(Schema):
    code: str
    detail: str
    field: str | None = None
