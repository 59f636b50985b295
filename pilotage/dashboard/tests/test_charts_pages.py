"""The charts on their pages: an indicator's values and targets on an axis in the
reader's language, a node's parts' progress, the budget page's money by source, year and
node; each chart's data checked against the stored records, and its table against its
data, row for row."""

import datetime
import json
import re
from decimal import Decimal as D

import pytest

from pilotage.budgets.models import BudgetLine, Flow
from pilotage.budgets.tests.factories import BudgetLineFactory, funding_source
from pilotage.indicators.models import Observation, ObservationState
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.tests.factories import (
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategy():
    """Two ambitions with a programme each; A1.P1 with an indicator 40 of the way to 200
    and money planned, committed and paid in 2025; A2.P1 with ERDF money planned in 2024
    and no indicator."""
    strategy = StrategyFactory(code="DW")
    ambition = StrategyLevelFactory(strategy=strategy, code="ambition", depth=0)
    programme = StrategyLevelFactory(strategy=strategy, code="programme", depth=1)
    nodes = {}
    for a in (1, 2):
        top = StrategyNodeFactory(
            strategy=strategy, level=ambition, code=f"A{a}", title_fr=f"Ambition {a}"
        )
        nodes[f"A{a}"] = top
        nodes[f"A{a}.P1"] = StrategyNodeFactory(
            strategy=strategy, level=programme, parent=top, code=f"A{a}.P1", title_fr=f"Prog {a}"
        )
    StrategyNodeFactory(
        strategy=strategy, level=programme, parent=nodes["A1"], code="A1.P2", title_fr="Prog 1b"
    )
    indicator = IndicatorFactory(
        action=None,
        node=nodes["A1.P1"],
        code="HOUSEHOLDS",
        unit="foyers",
        baseline_value=D(0),
        baseline_date=datetime.date(2023, 12, 31),
        target_value=D(200),
        target_date=datetime.date(2026, 12, 31),
    )
    for q, value, state in [
        (1, 10, ObservationState.PUBLISHED),
        (2, 25, ObservationState.PUBLISHED),
        (4, 40, ObservationState.PUBLISHED),
        (3, 99, ObservationState.SUBMITTED),  # not public
    ]:
        start = datetime.date(2024, 3 * q - 2, 1)
        end = (datetime.date(2025, 1, 1) if q == 4 else datetime.date(2024, 3 * q + 1, 1)) - (
            datetime.timedelta(days=1)
        )
        ObservationFactory(
            indicator=indicator, period_start=start, period_end=end, value=D(value), state=state
        )
    credits, erdf = funding_source("credits"), funding_source("erdf")
    for flow, amount in [
        (Flow.PLANNED, 1_000_000),
        (Flow.COMMITTED, 600_000),
        (Flow.PAID, 250_000),
    ]:
        BudgetLineFactory(
            strategy=strategy,
            node=nodes["A1.P1"],
            year=2025,
            source=credits,
            flow=flow,
            amount=D(amount),
        )
    BudgetLineFactory(
        strategy=strategy, node=nodes["A2.P1"], year=2024, source=erdf, amount=D(500_000)
    )
    return strategy


def spec_in(page: str, chart_id: str) -> dict:
    found = re.search(
        rf'<script id="{chart_id}" type="application/json">(.*?)</script>', page, re.S
    )
    assert found, chart_id
    return json.loads(found.group(1))


def table_in(page: str, chart_id: str) -> list[list[str]]:
    """The rows of the data table inside a chart's figure, as text."""
    figure = page.split(f'data-vega-spec="{chart_id}"')[1].split("</figure>")[0]
    body = figure.split("<tbody>")[1].split("</tbody>")[0]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", body)
    ]


@pytest.mark.parametrize(
    ("prefix", "quarters"),
    [
        ("", ["T4 2023", "T1 2024", "T2 2024", "T3 2024", "T4 2024"]),
        ("/en", ["Q4 2023", "Q1 2024", "Q2 2024", "Q3 2024", "Q4 2024"]),
        ("/nl", ["K4 2023", "K1 2024", "K2 2024", "K3 2024", "K4 2024"]),
        ("/de", ["Q4 2023", "Q1 2024", "Q2 2024", "Q3 2024", "Q4 2024"]),
    ],
)
def test_an_indicator_chart_draws_its_published_values_on_quarters_of_the_readers_language(
    client, strategy, prefix, quarters
):
    page = client.get(f"{prefix}/indicators/HOUSEHOLDS/").content.decode()
    spec = spec_in(page, "chart-indicator")
    data = spec["data"]["values"]

    published = Observation.objects.filter(
        indicator__code="HOUSEHOLDS", state=ObservationState.PUBLISHED
    ).order_by("period_end")
    assert [(r["date"], r["value"]) for r in data if r["key"] == "actual"] == [
        (o.period_end.isoformat(), float(o.value)) for o in published
    ]
    assert [(r["key"], r["value"]) for r in data if r["key"] != "actual"] == [
        ("target", 0.0),  # the baseline, where the trajectory starts
        ("target", 200.0),  # the final target
    ]
    domain = spec["encoding"]["x"]["scale"]["domain"]
    assert domain[:5] == quarters and domain[-1] == quarters[-1].replace("4 2024", "4 2026")
    assert len(set(spec["encoding"]["x"]["axis"]["values"])) == len(
        spec["encoding"]["x"]["axis"]["values"]
    )
    assert spec["description"]  # what the chart shows, in words
    table = page.split("chart-data")[1].split("</tbody>")[0]
    assert len(re.findall(r'<tr><th scope="row">', table)) == len(data)


def test_a_node_page_charts_its_parts_progress_with_its_table(client, strategy):
    page = client.get("/strategies/DW/A1/").content.decode()
    spec = spec_in(page, "chart-children")

    # A1.P1: 40 reported of a 200 target from 0, i.e. 20 %; A1.P2 measures nothing.
    assert [(r["label"], r["progress"]) for r in spec["data"]["values"]] == [
        ("A1.P1 Prog 1", float(D(40) / D(200) * 100)),
        ("A1.P2 Prog 1b", None),
    ]
    assert table_in(page, "chart-children") == [
        ["A1.P1 Prog 1", "20 %", "1 sur 1 ont rapporté"],
        ["A1.P2 Prog 1b", "pas encore mesurée", ""],
    ]
    assert "vendor/charts.js" in page
    assert "chart-children" not in client.get("/strategies/DW/A1.P1/").content.decode()


def amounts(**filters) -> dict[str, D]:
    """Each flow's sum of the stored lines, in M€, computed here from the lines."""
    sums: dict[str, D] = {}
    for line in BudgetLine.objects.filter(**filters):
        sums[line.flow] = sums.get(line.flow, D(0)) + line.amount / D(1_000_000)
    return sums


def flows(sums: dict[str, D]) -> tuple:
    return tuple(
        None if flow not in sums else float(sums[flow])
        for flow in (Flow.PLANNED, Flow.COMMITTED, Flow.PAID)
    )


def test_the_budget_page_charts_money_by_source_year_and_node_each_with_its_table(client, strategy):
    response = client.get("/strategies/DW/budget/")
    page = response.content.decode()
    assert "vendor/charts.js" in page

    by_source = spec_in(page, "chart-budget-sources")
    credits, erdf = funding_source("credits"), funding_source("erdf")
    assert [
        (r["label"], r["budget"], r["committed"], r["paid"]) for r in by_source["data"]["values"]
    ] == [
        (credits.label, *flows(amounts(source=credits))),
        (erdf.label, *flows(amounts(source=erdf))),
    ]
    by_year = spec_in(page, "chart-budget-years")
    assert [
        (r["label"], r["budget"], r["committed"], r["paid"]) for r in by_year["data"]["values"]
    ] == [("2024", *flows(amounts(year=2024))), ("2025", *flows(amounts(year=2025)))]
    by_node = spec_in(page, "chart-budget-nodes")
    assert [
        (r["label"], r["budget"], r["committed"], r["paid"]) for r in by_node["data"]["values"]
    ] == [
        ("A1 Ambition 1", *flows(amounts(node__parent__code="A1"))),
        ("A2 Ambition 2", *flows(amounts(node__parent__code="A2"))),
    ]
    assert by_node["encoding"]["color"]["scale"]["domain"] == ["Budget", "Engagé", "Payé"]
    assert table_in(page, "chart-budget-nodes") == [
        ["A1 Ambition 1", "1,00", "0,60", "0,25"],
        ["A2 Ambition 2", "0,50", "", ""],
    ]
    for chart_id in ("chart-budget-sources", "chart-budget-years", "chart-budget-nodes"):
        spec = spec_in(page, chart_id)
        rows = table_in(page, chart_id)
        assert [row[0] for row in rows] == [r["label"] for r in spec["data"]["values"]]
        assert spec["description"].startswith(spec["usermeta"]["table"]["caption"])


def test_a_budget_page_in_english_names_its_charts_in_english(client, strategy):
    page = client.get("/en/strategies/DW/budget/").content.decode()
    assert spec_in(page, "chart-budget-years")["usermeta"]["table"]["caption"] == (
        "Budget and execution by year (M€)"
    )
    assert spec_in(page, "chart-budget-years")["config"]["locale"]["number"]["decimal"] == "."
