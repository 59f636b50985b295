"""Every API list (and the details they link to) costs the same number of queries whatever
the size of the data: the same requests are counted over a small world, then over the
same world grown several times larger."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pilotage.budgets.models import BudgetLine
from pilotage.budgets.tests.factories import funding_source
from pilotage.indicators.readmodel import read_model_reset
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.registry.magnets import magnet_index_reset
from pilotage.registry.models import Magnet
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import Strategy, StrategyNode
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)
from pilotage.taxonomies.models import Taxonomy
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db

# Paged lists ask for pages smaller than the small world, so both sizes fill a page.
URLS = [
    "/api/v1/strategies/",
    "/api/v1/strategies/?limit=2",
    "/api/v1/strategies/S0",
    "/api/v1/strategies/S0/nodes/",
    "/api/v1/strategies/S0/nodes/?parent=R0",
    "/api/v1/strategies/S0/nodes/?parent=R0&limit=3",
    "/api/v1/strategies/S0/nodes/R0",
    "/api/v1/actions/?limit=3",
    "/api/v1/actions/?limit=3&page=2",
    "/api/v1/actions/?progress=at_risk",
    "/api/v1/actions/?node=S0:R0&limit=3",
    "/api/v1/actions/?from=2030-01-01&undated=true&limit=3",
    "/api/v1/actions/A0-0",
    "/api/v1/indicators/?limit=3",
    "/api/v1/indicators/?limit=3&strategy=S0",
    "/api/v1/indicators/?limit=3&status=at-risk&status=on-track",
    "/api/v1/indicators/?limit=3&action=A0-0",
    "/api/v1/indicators/I0-0-0",
    "/api/v1/observations/?limit=3",
    "/api/v1/observations/?limit=3&strategy=S0",
    "/api/v1/organisations/?limit=3",
    "/api/v1/organisations/?limit=3&province=p0",
    "/api/v1/taxonomies/",
    "/api/v1/taxonomies/?limit=1",
    "/api/v1/taxonomies/provinces/terms/?limit=3",
    "/api/v1/budgets/lines?limit=3",
    "/api/v1/budgets/lines?limit=3&strategy=S0",
    "/api/v1/budgets/totals?strategy=S0",
    "/api/v1/budgets/execution?strategy=S0",
    "/api/v1/budgets/execution?strategy=S0&node=R0",
    "/api/v1/budgets/actions/A0-0/execution",
    "/api/v1/budgets/reconciliation?strategy=S0",
    "/api/v1/budgets/reconciliation?strategy=S0&limit=1",
    "/api/v1/registry/search?limit=3",
    "/api/v1/registry/magnets",
    "/api/v1/registry/magnets?limit=1",
]


def grow(batch: int, size: int) -> None:
    """Add `size` of everything: to strategy S0 (its root R0 and new nodes below it) and in
    a new strategy; actions with indicators at every status, their values, organisations,
    terms and budget lines."""
    provinces = Taxonomy.objects.filter(code="provinces").first() or TaxonomyFactory(
        code="provinces"
    )
    source = funding_source("region")
    if batch == 0:
        main = StrategyFactory(code="S0")
        root = StrategyNodeFactory(strategy=main, code="R0")
        StrategyLevelFactory(strategy=main, code="below", depth=1)
    main = Strategy.objects.get(code="S0")
    root = StrategyNode.objects.get(strategy=main, code="R0")
    below = main.levels.get(depth=1)
    other = StrategyFactory(code=f"S{batch + 1}")
    top = StrategyLevelFactory(strategy=other, depth=0)
    day = datetime.date(2026, 1, 1)
    for n in range(size):
        province = TermFactory(taxonomy=provinces, code=f"p{batch}{n}" if batch or n else "p0")
        OrganisationFactory(code=f"O{batch}-{n}", province=province)
        Magnet.objects.create(code=f"MG{batch}-{n}", title=f"Magnet {n}", query="")
        node = StrategyNodeFactory(strategy=main, level=below, parent=root, code=f"N{batch}-{n}")
        elsewhere = StrategyNodeFactory(strategy=other, level=top, code=f"M{batch}-{n}")
        action = ActionFactory(code=f"A{batch}-{n}")
        action.nodes.set([node, elsewhere])
        for k, value in enumerate([D(20), D(50), D(100), None]):  # at risk, on track, ...
            indicator = IndicatorFactory(code=f"I{batch}-{n}-{k}", action=action)
            if value is not None:
                ObservationFactory(
                    indicator=indicator, period_start=day, period_end=day, value=value
                )
                ObservationFactory(indicator=indicator, value=value / 2)
        node_indicator = IndicatorFactory(code=f"J{batch}-{n}", action=None, node=node)
        ObservationFactory(indicator=node_indicator, value=D(40))
        for flow, amount in [("planned", "1000.00"), ("committed", "400.00"), ("paid", "200.00")]:
            BudgetLine.objects.create(
                code=f"L{batch}-{n}-{flow}",
                strategy=main,
                node=node,
                source=source,
                flow=flow,
                amount=D(amount),
                year=2025,
            )
            BudgetLine.objects.create(
                code=f"L{batch}-{n}-{flow}-action",
                strategy=main,
                action=action,
                source=source,
                flow=flow,
                amount=D(amount),
                year=2026,
            )
    BudgetLine.objects.create(
        code=f"T{batch}",
        strategy=main,
        node=root,
        source=source,
        amount=D(1000 * size),
        is_declared_total=True,
        year=2025,
    )


def counts(client) -> dict[str, int]:
    """The queries of each URL, on a fresh process's second request (the first builds
    what each process keeps: the read model, the magnet index)."""
    read_model_reset()
    magnet_index_reset()
    cache.clear()
    found = {}
    for url in URLS:
        assert client.get(url).status_code == 200, (url, client.get(url).content)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        found[url] = len(queries)
    return found


def test_every_api_list_costs_the_same_queries_at_two_sizes(client):
    grow(0, 4)
    small = counts(client)
    for batch in (1, 2, 3):
        grow(batch, 6)
    large = counts(client)

    assert {url: (small[url], large[url]) for url in URLS if small[url] != large[url]} == {}
