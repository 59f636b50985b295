"""A strategy's page and an action's page: progress, coverage, values, status, explanation."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pilotage.core.revisions import ChangeKind, changed
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.models import StrategyStatus
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def strategy_with_indicator():
    strategy = StrategyFactory()
    node = StrategyNodeFactory(strategy=strategy, level=StrategyLevelFactory(strategy=strategy))
    action = ActionFactory(title_fr="Connecter les foyers")
    action.nodes.add(node)
    indicator = IndicatorFactory(action=action, title_fr="Foyers connectés", unit_fr="foyers")
    ObservationFactory(
        indicator=indicator,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 1, 1),
        value=D(45),
    )
    return strategy, action


def test_the_strategy_page_shows_values_status_explanation_and_coverage(
    client, strategy_with_indicator
):
    strategy, action = strategy_with_indicator

    page = client.get(reverse("dashboard:strategy-detail", args=[strategy.code])).content.decode()

    assert "Foyers connectés" in page and "45 foyers" in page
    assert "status-behind" in page and "En retard" in page  # 45 % done, 50 % expected
    assert "45 % du chemin" in page  # the explanation, with its numbers
    assert "1 sur 1 ont rapporté" in page
    assert action.title_fr in page


def test_the_action_page_shows_its_indicators_and_strategies(client, strategy_with_indicator):
    strategy, action = strategy_with_indicator

    page = client.get(reverse("dashboard:action-detail", args=[action.code])).content.decode()

    assert "Foyers connectés" in page and strategy.title_fr in page


def test_unpublished_values_stay_private(client, strategy_with_indicator):
    _strategy, action = strategy_with_indicator
    action.indicators.get().observations.update(state="validated")

    page = client.get(reverse("dashboard:action-detail", args=[action.code])).content.decode()

    assert "45 foyers" not in page


def test_drafts_have_no_public_page(client):
    draft = StrategyFactory(status=StrategyStatus.DRAFT)
    assert client.get(reverse("dashboard:strategy-detail", args=[draft.code])).status_code == 404


def test_the_strategy_page_queries_do_not_grow_with_actions(client, strategy_with_indicator):
    strategy, action = strategy_with_indicator
    url = reverse("dashboard:strategy-detail", args=[strategy.code])
    client.get(url)  # builds the read model
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    node = action.nodes.get()
    for _ in range(5):
        more = ActionFactory()
        more.nodes.add(node)
        ObservationFactory(indicator=IndicatorFactory(action=more))
    changed(ChangeKind.STRUCTURE)  # what the factories wrote, logged as a loader would
    assert client.get(url).content.decode().count('href="/indicators/') == 6
    with CaptureQueriesContext(connection) as after:
        client.get(url)
    assert len(after) == len(before) <= 16


def test_the_shipped_strategies_have_pages(client, shipped_data):
    page = client.get(reverse("dashboard:strategy-detail", args=["DW2016-2024"])).content.decode()
    assert "226" in page  # public digital spaces in 2024
    assert client.get(reverse("dashboard:action-detail", args=["DW-EPN"])).status_code == 200


def test_the_strategy_page_shows_its_budget_and_reconciliation(client, shipped_data):
    page = client.get(reverse("dashboard:strategy-detail", args=["PM40"])).content.decode()
    assert "(M€)" in page  # read in millions, as published
    assert "2\xa0401,98" in page  # the published total
    assert "2\xa0401,99" in page  # the sum of its parts
    assert "-0,01" in page  # the difference, shown, not hidden
