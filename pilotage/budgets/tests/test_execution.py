"""Execution: planned, revised, committed and paid by node, action, source and year, each
euro counted once, and the money set beside the progress it bought."""

import datetime
from decimal import Decimal as D

import pytest

from pilotage.budgets.models import Flow
from pilotage.budgets.selectors import budget_table
from pilotage.budgets.tests.factories import BudgetLineFactory, funding_source
from pilotage.core.tests.exact import exact_json
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    """Axis A with measures A.1 and A.2 in strategy S; action X serves both measures and a
    node of another strategy T, with money in both."""
    credits, erdf = funding_source("credits"), funding_source("erdf")
    strategy, other = StrategyFactory(code="S"), StrategyFactory(code="T")
    top, below = (StrategyLevelFactory(strategy=strategy, depth=depth) for depth in (0, 1))
    axis = StrategyNodeFactory(strategy=strategy, level=top, code="A")
    first = StrategyNodeFactory(strategy=strategy, level=below, parent=axis, code="A.1")
    second = StrategyNodeFactory(strategy=strategy, level=below, parent=axis, code="A.2")
    elsewhere = StrategyNodeFactory(strategy=other, code="T1")
    action = ActionFactory(code="X")
    action.nodes.set([first, second, elsewhere])

    def line(flow, amount, year, source=credits, **place):
        return BudgetLineFactory(
            strategy=place.pop("strategy", strategy),
            flow=flow,
            amount=D(amount),
            year=year,
            source=source,
            **place,
        )

    line(Flow.PLANNED, 1000, 2025, node=first)
    line(Flow.REVISED, 800, 2025, node=first)  # replaces the measure's plan, not the action's
    line(Flow.COMMITTED, 600, 2025, node=first)
    line(Flow.PAID, 300, 2025, node=first)
    line(Flow.PLANNED, 500, 2026, source=erdf, node=second)
    line(Flow.PLANNED, 200, 2025, action=action)
    line(Flow.PAID, 50, 2025, action=action)
    line(Flow.PLANNED, 999, 2025, action=action, strategy=other)
    return {"strategy": strategy, "axis": axis, "first": first, "second": second, "action": action}


def test_execution_by_node_year_and_source_counts_each_euro_once(plan):
    first = budget_table(node=plan["first"])
    cell = first.cells[0]
    assert (cell.year, cell.source) == (2025, "credits")
    assert (cell.planned, cell.revised, cell.budget) == (D(1200), D(800), D(1000))
    assert (cell.committed, cell.paid) == (D(600), D(350))
    # Rates over what reports both: the measure committed 600 of its 800; the measure and
    # the action paid 300 + 50 of their 800 + 200.
    assert (cell.committed_rate, cell.paid_rate) == (D("75.0"), D("35.0"))

    axis = budget_table(node=plan["axis"])
    # The action serves both measures: its 200 and 50 count once in their axis.
    assert [(row.year, row.budget, row.paid) for row in axis.by_year] == [
        (2025, D(1000), D(350)),
        (2026, D(500), None),
    ]
    assert [(row.source, row.budget) for row in axis.by_source] == [
        ("credits", D(1000)),
        ("erdf", D(500)),
    ]
    grid = [
        (source, [f and f.total for f in years], total.total) for source, years, total in axis.grid
    ]
    assert grid == [("credits", [D(1000), None], D(1000)), ("erdf", [None, D(500)], D(500))]
    assert (axis.total.budget, axis.total.committed, axis.total.paid) == (D(1500), D(600), D(350))
    # A.2's 500 reports no payment: it is left out of the paid rate, not counted as 0 %.
    assert axis.total.paid_rate == D("35.0")
    # The action's line in strategy T is T's money: not in S, nor in S's nodes.
    assert budget_table(plan["strategy"]).total.budget == D(1500)
    assert budget_table(node=plan["second"]).total.budget == D(700)
    assert budget_table(action=plan["action"]).total.budget == D(1199)


def test_execution_and_cost_per_result_from_the_api(client, plan):
    indicator = IndicatorFactory(
        action=plan["action"], target_value=D(200), target_date=datetime.date(2028, 12, 31)
    )
    ObservationFactory(indicator=indicator, value=D(40))

    body = exact_json(client.get("/api/v1/budgets/actions/X/execution"))

    assert (body["total"]["budget"], body["total"]["paid"]) == (D("1199"), D("50"))
    cost = body["cost_per_result"]
    assert (cost["flow"], D(cost["spent"]), D(cost["progress"])) == ("paid", D(50), D("0.2"))
    assert D(cost["per_point"]) == D("2.50")  # 50 € over 20 points of progress
    assert [(c["indicator"], D(c["actual"]), D(c["cost"])) for c in cost["unit_costs"]] == [
        (indicator.code, D(40), D("1.25"))
    ]
    node = exact_json(client.get("/api/v1/budgets/execution", {"strategy": "S", "node": "A.1"}))
    assert [(r["year"], r["source"], r["budget"], r["paid_rate"]) for r in node["cells"]] == [
        (2025, "credits", D("1000"), D("35"))
    ]


@pytest.mark.parametrize(
    "query, status, field, code",
    [
        # One scope per address: the action's execution is under its own path.
        ({"strategy": "S", "action": "X"}, 400, "action", "unknown_filter"),
        ({}, 422, "strategy", "malformed"),
        ({"strategy": "S", "colour": "red"}, 400, "colour", "unknown_filter"),
    ],
)
def test_execution_refuses_a_scope_it_cannot_read(client, plan, query, status, field, code):
    response = client.get("/api/v1/budgets/execution", query)
    assert response.status_code == status
    assert (response.json()["field"], response.json()["code"]) == (field, code)


def test_an_actions_execution_is_a_public_actions(client, plan):
    assert client.get("/api/v1/budgets/actions/NOPE/execution").status_code == 404
    refused = client.get("/api/v1/budgets/actions/X/execution", {"strategy": "S"})
    assert (refused.status_code, refused.json()["field"]) == (400, "strategy")


def test_totals_refuse_an_unknown_flow_and_an_unknown_node(client, plan):
    wrong_flow = client.get("/api/v1/budgets/totals", {"strategy": "S", "flow": "spent"})
    assert (wrong_flow.status_code, wrong_flow.json()["field"]) == (400, "flow")
    missing = client.get("/api/v1/budgets/totals", {"strategy": "S", "node": "Z"})
    assert missing.status_code == 404


def test_an_actions_money_in_a_draft_strategy_stays_out_of_its_public_budget(client, plan):
    from pilotage.strategies.models import StrategyStatus

    draft = StrategyFactory(code="DRAFT", status=StrategyStatus.DRAFT)
    BudgetLineFactory(strategy=draft, action=plan["action"], amount=D(987654), year=2025)

    body = exact_json(client.get("/api/v1/budgets/actions/X/execution"))
    page = client.get("/actions/X/").content.decode()

    assert body["total"]["budget"] == D("1199")  # S's 200 and T's 999 only
    assert "987" not in page
