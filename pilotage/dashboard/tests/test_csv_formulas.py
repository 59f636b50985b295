"""The public pages' CSV downloads (the registry search, an indicator's chart data) write a
text a spreadsheet would run with a quote before it; numbers stay numbers."""

import csv
import io
from decimal import Decimal as D

import pytest

from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db

STARTS = ["=", "+", "-", "@", "\t", "\r"]


def rows_of(response) -> list[dict]:
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode(), newline="")))


@pytest.mark.parametrize("start", STARTS)
def test_an_organisation_name_starting_like_a_formula_is_quoted(client, start):
    OrganisationFactory(code="ORG-EVIL", name=f'{start}HYPERLINK("https://evil.example/")')
    OrganisationFactory(code="ORG-PLAIN", name="Pôle numérique")

    rows = rows_of(client.get("/registry/organisations.csv", HTTP_HOST="localhost"))

    names = {row["code"]: row["name"] for row in rows}
    assert names == {
        "ORG-EVIL": f'\'{start}HYPERLINK("https://evil.example/")',
        "ORG-PLAIN": "Pôle numérique",
    }


def test_an_indicators_data_quotes_its_unit_and_keeps_a_negative_value_a_number(client):
    node = StrategyNodeFactory(strategy=StrategyFactory(code="PUB"), code="A1")
    action = ActionFactory(code="ACT")
    action.nodes.set([node])
    indicator = IndicatorFactory(code="BALANCE", action=action, unit="=1+1")
    ObservationFactory(indicator=indicator, value=D("-5"))

    rows = rows_of(client.get("/indicators/BALANCE/data.csv", HTTP_HOST="localhost"))

    actual = [row for row in rows if row["series"] == "actual"]
    assert [(row["indicator"], row["value"], row["unit"]) for row in actual] == [
        ("BALANCE", "-5", "'=1+1")
    ]
