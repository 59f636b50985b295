"""The exports give the same numbers as the API and the pages."""

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse

from pilotage.core.tests.exact import agrees, exact_json
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.models import StrategyStatus
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
    api = {item["code"]: item["assessment"] for item in _api_items(client, "/api/v1/indicators/")}

    assert [row["code"] for row in rows] == ["A", "B", "C"]
    for row in rows:
        for column in ("status", "actual", "progress", "expected", "ratio", "target_value"):
            assert agrees(row[column], api[row["code"]][column]), (row["code"], column)
        assert row["explanation"] == api[row["code"]]["explanation"]
    assert [row["status"] for row in rows] == ["behind", "achieved", "no_data"]


def _csv_rows(client) -> list[dict]:
    response = client.get(reverse("opendata:indicators-csv"))
    return list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))


def _api_items(client, url: str) -> list[dict]:
    """Every item of the paged API list, following the Link headers."""
    items = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        items += exact_json(response)["items"]
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].replace("http://testserver", "") if link else None
    return items


def test_every_listed_indicator_has_a_page_and_every_page_is_listed(client):
    """One definition of public: the API (every page), the CSV and the pages agree."""
    public = StrategyNodeFactory(strategy__code="PUB", code="N1")
    draft = StrategyNodeFactory(strategy__code="DRAFT", strategy__status=StrategyStatus.DRAFT)
    serving_public = ActionFactory(code="ACT-PUB")
    serving_public.nodes.add(public)
    serving_draft = ActionFactory(code="ACT-DRAFT")
    serving_draft.nodes.add(draft)
    serving_both = ActionFactory(code="ACT-BOTH")
    serving_both.nodes.add(public, draft)
    serving_none = ActionFactory(code="ACT-NONE")
    indicators = {
        "I-PUB": {"action": serving_public},
        "I-PUB-2": {"action": serving_public},
        "I-NODE": {"action": None, "node": public},
        "I-BOTH": {"action": serving_both},
        "I-DRAFT": {"action": serving_draft},
        "I-DRAFT-NODE": {"action": None, "node": draft},
        "I-NONE": {"action": serving_none},
    }
    for code, where in indicators.items():
        ObservationFactory(indicator=IndicatorFactory(code=code, **where), value=D(30))

    listed_by_api = [item["code"] for item in _api_items(client, "/api/v1/indicators/?limit=2")]
    listed_in_csv = [row["code"] for row in _csv_rows(client)]
    with_a_page = {
        code
        for code in indicators
        if client.get(reverse("dashboard:indicator-detail", args=[code])).status_code == 200
    }

    assert listed_by_api == listed_in_csv == ["I-BOTH", "I-NODE", "I-PUB", "I-PUB-2"]
    assert with_a_page == set(listed_by_api)
    for code in set(indicators) - with_a_page:
        assert client.get(reverse("dashboard:indicator-detail", args=[code])).status_code == 404
        assert client.get(f"/api/v1/indicators/{code}").status_code == 404


def test_the_csv_status_and_progress_equal_the_apis_for_each_indicator(client):
    action = ActionFactory()
    action.nodes.add(StrategyNodeFactory())
    day = datetime.date(2026, 1, 1)
    values = [D(20), D(42), D(43), D(50), D(100), D("12.3400"), D(4500), None]
    for index, value in enumerate(values):
        indicator = IndicatorFactory(code=f"K{index}", action=action, target_value=D(5000))
        if index < 5:
            indicator.target_value = D(100)
            indicator.save()
        if value is not None:
            ObservationFactory(indicator=indicator, period_start=day, period_end=day, value=value)

    rows = {row["code"]: row for row in _csv_rows(client)}
    api = {item["code"]: item["assessment"] for item in _api_items(client, "/api/v1/indicators/")}

    assert set(rows) == set(api) == {f"K{index}" for index in range(len(values))}
    for code, row in rows.items():
        for column in ("status", "status_label", "progress", "expected", "ratio", "actual"):
            assert agrees(row[column], api[code][column]), (code, column)
    assert [rows[f"K{index}"]["status"] for index in range(5)] == [
        "at_risk",
        "at_risk",
        "behind",
        "on_track",
        "achieved",
    ]
    assert (rows["K5"]["actual"], rows["K6"]["actual"]) == ("12.34", "4500")
