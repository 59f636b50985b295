"""Reallocations: a reason, a second person's approval, both lines' history, totals kept."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.budgets.models import BudgetLine, ReallocationState
from pilotage.budgets.services import reallocation_decide, reallocation_request
from pilotage.core.audit import record_history
from pilotage.strategies.tests.factories import (
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lines():
    source = TermFactory(taxonomy=TaxonomyFactory(code="funding-sources"))
    strategy = StrategyFactory()
    level = StrategyLevelFactory(strategy=strategy)
    return [
        BudgetLine.objects.create(
            code=code,
            strategy=strategy,
            node=StrategyNodeFactory(strategy=strategy, level=level),
            source=source,
            amount=D(amount),
        )
        for code, amount in [("FROM", 1000), ("TO", 500)]
    ]


def test_a_reallocation_counts_only_once_a_second_person_approves(lines):
    source, target = lines
    alice, bob = SteeringFactory(), SteeringFactory()
    request = reallocation_request(
        actor=alice, from_line=source, to_line=target, amount=D(300), reason="Priorité"
    )

    source.refresh_from_db()
    assert (request.state, source.current_amount) == (ReallocationState.PENDING, D(1000))
    with pytest.raises(PermissionDenied):
        reallocation_decide(actor=alice, reallocation=request, approve=True)

    reallocation_decide(actor=bob, reallocation=request, approve=True)

    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.amount, source.current_amount) == (D(1000), D(700))  # published figure kept
    assert target.current_amount == D(800)
    assert request.totals_before == {"FROM": "1000.00", "TO": "500.00"}
    assert request.totals_after == {"FROM": "700.00", "TO": "800.00"}
    for line in (source, target):
        entry = record_history(line).first()
        assert entry.actor == bob and "revised_amount" in entry.changes_dict


def test_a_reallocation_larger_than_what_is_left_is_refused(lines):
    source, target = lines
    alice = SteeringFactory()
    reallocation_request(actor=alice, from_line=source, to_line=target, amount=D(800), reason="Un")
    with pytest.raises(ValidationError) as caught:
        reallocation_request(
            actor=alice, from_line=source, to_line=target, amount=D(300), reason="Deux"
        )
    assert caught.value.code == "too_large"  # 800 already waiting: 200 left


def test_a_rejected_reallocation_moves_nothing(lines):
    source, target = lines
    request = reallocation_request(
        actor=SteeringFactory(), from_line=source, to_line=target, amount=D(100), reason="x"
    )
    reallocation_decide(actor=SteeringFactory(), reallocation=request, approve=False, note="Non")
    source.refresh_from_db()
    assert (request.state, source.current_amount) == (ReallocationState.REJECTED, D(1000))


def test_partners_cannot_reallocate(lines):
    source, target = lines
    with pytest.raises(PermissionDenied):
        reallocation_request(
            actor=PartnerEditorFactory(), from_line=source, to_line=target, amount=D(1), reason="x"
        )
