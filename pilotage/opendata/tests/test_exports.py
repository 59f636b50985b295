"""The exports give the same numbers as the API and the pages."""

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.tests.factories import ActionFactory, StrategyNodeFactory

pytestmark = pytest.mark.django_db


def test_the_indicator_export_equals_the_api(client):
    action = ActionFactory()
    action.nodes.add(StrategyNodeFactory())
    for code, value in [("A", 45), ("B", 100), ("C", None)]:
        indicator = IndicatorFactory(code=code, action=action)
        if value is not None:
            day = datetime.date(2026, 1, 1)
            ObservationFactory(
                indicator=indicator, period_start=day, period_end=day, value=D(value)
            )

    response = client.get(reverse("opendata:indicators-csv"))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    api = {item["code"]: item["assessment"] for item in client.get("/api/v1/indicators/").json()}

    assert [row["code"] for row in rows] == ["A", "B", "C"]
    for row in rows:
        for column in ("status", "actual", "progress", "expected", "ratio", "target_value"):
            assert row[column] == (api[row["code"]][column] or ""), (row["code"], column)
        assert row["explanation"] == api[row["code"]]["explanation"]
    assert [row["status"] for row in rows] == ["behind", "achieved", "no_data"]
