"""Budget tables on the public pages: by source and year, executed, beside progress."""

import datetime
from decimal import Decimal as D

import pytest
from django.urls import reverse

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.budgets.models import Flow
from pilotage.budgets.services import reallocation_decide, reallocation_request
from pilotage.budgets.tests.factories import BudgetLineFactory, funding_source
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.models import StrategyStatus
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db
NBSP = "\xa0"


@pytest.fixture
def programme():
    strategy = StrategyFactory(code="DW")
    node = StrategyNodeFactory(
        strategy=strategy, level=StrategyLevelFactory(strategy=strategy), code="P1"
    )
    credits = funding_source("credits")
    for flow, amount in [(Flow.PLANNED, 1000), (Flow.COMMITTED, 600), (Flow.PAID, 250)]:
        BudgetLineFactory(
            strategy=strategy, node=node, year=2025, source=credits, flow=flow, amount=D(amount)
        )
    indicator = IndicatorFactory(
        action=None, node=node, target_value=D(200), target_date=datetime.date(2028, 12, 31)
    )
    ObservationFactory(indicator=indicator, value=D(40))
    return node


def test_a_node_page_shows_its_execution_and_what_a_point_of_progress_cost(client, programme):
    page = client.get(reverse("dashboard:node-detail", args=["DW", "P1"])).content.decode()

    assert f"1{NBSP}000,00" in page  # the budget, by source and year
    assert "60,0 %" in page and "25,0 %" in page  # 600 committed and 250 paid of 1000
    assert f"12,50{NBSP}€" in page  # 250 paid over 20 points of progress (40 of a 200 target)


def test_an_action_page_shows_its_lines_as_moved_by_an_approved_reallocation(client):
    strategy = StrategyFactory()
    action = ActionFactory(code="ACT")
    action.nodes.add(StrategyNodeFactory(strategy=strategy))
    giving = BudgetLineFactory(strategy=strategy, action=action, amount=D(1000), year=2025)
    receiving = BudgetLineFactory(strategy=strategy, action=ActionFactory(), amount=D(10))
    move = reallocation_request(
        actor=SteeringFactory(), from_line=giving, to_line=receiving, amount=D(300), reason="x"
    )
    reallocation_decide(actor=SteeringFactory(), reallocation=move, approve=True)

    page = client.get(reverse("dashboard:action-detail", args=["ACT"])).content.decode()

    assert "700,00" in page and f"1{NBSP}000,00" in page  # current, and as published


def test_the_strategy_budget_page_shows_every_node_and_the_reconciliation(client, shipped_data):
    page = client.get(reverse("dashboard:strategy-budget", args=["PM40"])).content.decode()

    assert "(M€)" in page  # amounts of this size read in millions, as the seeds publish them
    assert "642,06" in page  # II.1, from its yearly lines
    assert "-0,01" in page  # the published total less the sum of its parts
    assert reverse("dashboard:node-detail", args=["PM40", "II.1"]) in page


def test_a_draft_strategy_has_no_public_budget_page(client):
    StrategyFactory(code="DRAFT", status=StrategyStatus.DRAFT)
    assert client.get(reverse("dashboard:strategy-budget", args=["DRAFT"])).status_code == 404
