"""Every public page type costs the same number of queries at 3 and at 30 actions (and
indicators, values, budget lines): counted once the read model is built, with the
fragments rendered anew (a new revision) and again from the fragment cache."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pilotage.budgets.models import Flow
from pilotage.budgets.tests.factories import BudgetLineFactory, funding_source
from pilotage.indicators.models import Indicator, ObservationPart
from pilotage.indicators.readmodel import read_model_reset
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.models import Action, Strategy
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)
from pilotage.taxonomies.models import Term
from pilotage.taxonomies.services import record_terms_apply
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db

# Each page type, with the most queries it may make once the read model is built (the
# request's savepoint and its release included): with its fragments to render, and from
# the fragment cache. The read model costs one query (the change log); the rest is what
# the page lists (one query each, whatever their number), the facets and the budget.
PAGES = {
    "home": ("/", 9, 9),
    "strategy": ("/strategies/QC/", 13, 13),
    "strategy budget": ("/strategies/QC/budget/", 13, 13),
    "ambition": ("/strategies/QC/A0/", 22, 22),
    "programme": ("/strategies/QC/A0.P0/", 22, 22),
    "actions": ("/actions/", 15, 15),
    "actions by indicator status": ("/actions/?progress=behind&progress=at_risk", 15, 15),
    "action": ("/actions/QC-ACT-000/", 15, 15),
    "indicator": ("/indicators/QC-IND-000-00/", 8, 8),
    "indicator data": ("/indicators/QC-IND-000-00/data.csv", 8, 8),
    "search": ("/search/?q=numerique", 10, 10),
    "search group": ("/search/?q=numerique&group=actions&page=1", 5, 5),
}


def quarter(index: int) -> tuple[datetime.date, datetime.date]:
    year, q = 2024 + index // 4, index % 4
    start = datetime.date(year, 3 * q + 1, 1)
    end = (
        datetime.date(year + 1, 1, 1) if q == 3 else datetime.date(year, 3 * q + 4, 1)
    ) - datetime.timedelta(days=1)
    return start, end


def grow(size: int) -> None:
    """A strategy of two ambitions each with a programme, `size` actions over them; each
    action with its indicators (the first action `size` of them), values, terms and
    budget lines; the first indicator with `size` values broken down by province."""
    strategy = Strategy.objects.filter(code="QC").first()
    if strategy is None:
        strategy = StrategyFactory(code="QC", title_fr="Wallonie numérique")
        ambition = StrategyLevelFactory(strategy=strategy, code="ambition", depth=0)
        programme = StrategyLevelFactory(strategy=strategy, code="programme", depth=1)
        for a in range(2):
            top = StrategyNodeFactory(strategy=strategy, level=ambition, code=f"A{a}")
            node = StrategyNodeFactory(
                strategy=strategy, level=programme, parent=top, code=f"A{a}.P0"
            )
            IndicatorFactory(action=None, node=node, code=f"QC-NODE-{a}")
        types = TaxonomyFactory(code="action-types")
        for code in ("call", "cheque"):
            TermFactory(taxonomy=types, code=code)
        provinces = TaxonomyFactory(code="provinces")
        for code in ("liege", "namur"):
            TermFactory(taxonomy=provinces, code=code)
    nodes = list(strategy.nodes.filter(parent__isnull=False).order_by("code"))
    types = list(Term.objects.filter(taxonomy__code="action-types"))
    provinces = list(Term.objects.filter(taxonomy__code="provinces"))
    source = funding_source("credits")
    for index in range(Action.objects.filter(code__startswith="QC-").count(), size):
        action = ActionFactory(
            code=f"QC-ACT-{index:03}", title_fr=f"Réseaux numériques {index}", type=types[index % 2]
        )
        action.nodes.set([nodes[index % 2]])
        record_terms_apply(record=action, taxonomy=provinces[0].taxonomy, terms=provinces)
        for flow in (Flow.PLANNED, Flow.PAID):
            BudgetLineFactory(strategy=strategy, action=action, year=2025, source=source, flow=flow)
        add_indicators(action, 2)
    add_indicators(Action.objects.get(code="QC-ACT-000"), size)
    first = Indicator.objects.get(code="QC-IND-000-00")
    broken_down = first.observations.filter(parts__isnull=False).distinct().count()
    for k in range(broken_down, size):
        start, end = quarter(12 + k)  # after its three first values
        observation = ObservationFactory(
            indicator=first, period_start=start, period_end=end, value=D(10 * (k + 1))
        )
        ObservationPart.objects.bulk_create(
            ObservationPart(observation=observation, term=term, value=observation.value / 2)
            for term in provinces
        )


def add_indicators(action, count: int) -> None:
    """Indicators of the action up to `count`, each with three values a year apart, on
    track, behind or at risk in turn (the target trajectory goes from 0 in 2024 to 100
    in 2028: 25 a year)."""
    for n in range(action.indicators.count(), count):
        indicator = IndicatorFactory(
            action=action,
            code=f"{action.code.replace('ACT', 'IND')}-{n:02}",
            title_fr=f"Foyers {n}",
        )
        share = (D(1), D("0.9"), D("0.5"))[(n + action.pk) % 3]
        for k in range(3):
            start, end = quarter(4 * k + n % 4)
            ObservationFactory(
                indicator=indicator,
                period_start=start,
                period_end=end,
                value=D(25) * (4 * k + n % 4 + 1) / 4 * share,
            )


def counted(client, url: str) -> tuple[int, int]:
    """Queries of a request with the read model built and the fragments to render, then
    of the same request from the fragment cache."""
    read_model_reset()
    cache.clear()
    assert client.get(url).status_code == 200  # builds this process's read model
    cache.clear()
    with CaptureQueriesContext(connection) as rendered:
        assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as cached:
        assert client.get(url).status_code == 200
    return len(rendered), len(cached)


@pytest.mark.parametrize("page", PAGES)
def test_every_public_page_type_costs_the_same_queries_at_3_and_at_30_actions(client, page):
    url, most_rendered, most_cached = PAGES[page]
    grow(3)
    few = counted(client, url)
    grow(30)
    many = counted(client, url)
    assert many == few
    assert few[0] <= most_rendered and few[1] <= most_cached, few
