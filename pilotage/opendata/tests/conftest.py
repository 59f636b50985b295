"""Public and non-public records side by side, for the exports to keep the former only."""

import datetime
from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from pilotage.budgets.models import BudgetLine
from pilotage.indicators.models import ObservationState
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.registry.models import Person
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import StrategyStatus
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory


@pytest.fixture
def open_data(db):
    provinces = TaxonomyFactory(code="provinces")
    namur = TermFactory(taxonomy=provinces, code="namur", label_fr="Namur")
    kind = TermFactory(taxonomy=TaxonomyFactory(code="organisation-types"), code="cluster")
    located = OrganisationFactory(
        code="ORG-LOCATED",
        name="Cluster « Énergie », Namur",
        type=kind,
        province=namur,
        latitude=D("50.4669"),
        longitude=D("4.8675"),
        website="https://example.org/",
        street="Rue secrète 1",
    )
    OrganisationFactory(code="ORG-NOWHERE", name="Nowhere\nSA")
    public = StrategyFactory(code="PUB", title_fr="Stratégie publique", owner=located)
    draft = StrategyFactory(code="DRAFT", status=StrategyStatus.DRAFT, title_fr="Brouillon")
    top = StrategyNodeFactory(strategy=public, code="A1", title_fr="Ambition « une »")
    below = StrategyNodeFactory(
        strategy=public,
        level=StrategyLevelFactory(strategy=public, code="programme", depth=1),
        parent=top,
        code="P1",
    )
    hidden_node = StrategyNodeFactory(strategy=draft, code="HIDDEN-NODE")
    action = ActionFactory(code="ACT-PUBLIC", lead=located, start_date=datetime.date(2024, 3, 1))
    action.nodes.set([below])
    audience = TermFactory(taxonomy=TaxonomyFactory(code="target-audiences"), code="schools")
    action.target_audiences.set([audience])
    hidden_action = ActionFactory(code="ACT-HIDDEN")
    hidden_action.nodes.set([hidden_node])
    indicator = IndicatorFactory(code="IND-PUBLIC", action=action)
    node_indicator = IndicatorFactory(code="IND-NODE", action=None, node=top, unit="%")
    hidden_indicator = IndicatorFactory(code="IND-HIDDEN", action=hidden_action)
    for year, value in [(2024, "12.5"), (2025, "40")]:
        ObservationFactory(
            indicator=indicator,
            period_start=datetime.date(year, 1, 1),
            period_end=datetime.date(year, 12, 31),
            value=D(value),
        )
    ObservationFactory(indicator=node_indicator, value=D("3.1415"))
    ObservationFactory(  # published without a number (a value to come, or text only)
        indicator=node_indicator,
        period_start=datetime.date(2024, 1, 1),
        period_end=datetime.date(2024, 12, 31),
        value=None,
        qualifier="about",
    )
    states = (ObservationState.DRAFT, ObservationState.SUBMITTED, ObservationState.VALIDATED)
    for index, state in enumerate(states):
        ObservationFactory(
            indicator=indicator,
            period_start=datetime.date(2026, 1, 1) + datetime.timedelta(days=index),
            period_end=datetime.date(2026, 12, 31),
            value=D("777777"),
            state=state,
        )
    ObservationFactory(indicator=hidden_indicator, value=D("888888"))
    source = TermFactory(taxonomy=TaxonomyFactory(code="funding-sources"), code="region")
    parts = [
        BudgetLine.objects.create(
            code=f"PUB-{n}", strategy=public, node=below, source=source, amount=D(amount), year=2025
        )
        for n, amount in [(1, "1000.50"), (2, "2000.00")]
    ]
    BudgetLine.objects.create(
        code="PUB-TOTAL",
        strategy=public,
        node=top,
        source=source,
        amount=D("3000.00"),
        is_declared_total=True,
        year=2025,
        document="Plan, p. 3",
    )
    BudgetLine.objects.create(
        code="DRAFT-LINE", strategy=draft, source=source, amount=D("999999.00")
    )
    Person.objects.create(
        code="someone", given_name="Alice", family_name="Secret", email="alice@example.org"
    )
    return SimpleNamespace(
        public=public,
        draft=draft,
        action=action,
        indicator=indicator,
        parts=parts,
        # What must never leave: draft records, unpublished values, persons, addresses.
        hidden=[
            "DRAFT",
            "HIDDEN-NODE",
            "ACT-HIDDEN",
            "IND-HIDDEN",
            "777777",
            "888888",
            "999999",
            "Secret",
            "alice@example.org",
            "Rue secrète",
        ],
    )
