"""Reallocations: a reason, a second person's approval, both lines' history, totals kept."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.budgets.models import BudgetLine, ReallocationState
from pilotage.budgets.selectors import budget_totals, reconciliation
from pilotage.budgets.services import reallocation_decide, reallocation_request
from pilotage.budgets.tests.factories import BudgetLineFactory
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
    assert request.totals_before["lines"] == {"FROM": "1000.00", "TO": "500.00"}
    assert request.totals_after["lines"] == {"FROM": "700.00", "TO": "800.00"}
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


def test_an_approved_reallocation_moves_the_totals_of_the_nodes_above_both_lines():
    strategy = StrategyFactory()
    top, below = (StrategyLevelFactory(strategy=strategy, depth=depth) for depth in (0, 1))
    axis_a = StrategyNodeFactory(strategy=strategy, level=top, code="A")
    axis_b = StrategyNodeFactory(strategy=strategy, level=top, code="B")
    measure = StrategyNodeFactory(strategy=strategy, level=below, parent=axis_a, code="A.1")

    def line(code, node, amount, total=False):
        return BudgetLineFactory(
            code=code, strategy=strategy, node=node, amount=D(amount), is_declared_total=total
        )

    giving, receiving = line("A1", measure, 400), line("B0", axis_b, 100)
    line("A-TOTAL", axis_a, 400, total=True)
    request = reallocation_request(
        actor=SteeringFactory(), from_line=giving, to_line=receiving, amount=D(150), reason="x"
    )
    reallocation_decide(actor=SteeringFactory(), reallocation=request, approve=True)

    def total(node=None, **kw):
        return budget_totals(strategy, node=node, **kw)["total"].total

    assert (total(axis_a), total(measure), total(axis_b), total()) == (250, 250, 250, 500)
    # Published figures stay as published, and so does the source's own arithmetic.
    assert (total(axis_a, published=True), total(axis_b, published=True)) == (400, 100)
    assert [item.difference for item in reconciliation(strategy)] == [0]
    keys = {f"{strategy.code}/A", f"{strategy.code}/A.1", f"{strategy.code}/B", strategy.code}
    assert set(request.totals_before["totals"]) == keys
    before = {key: D(v) for key, v in request.totals_before["totals"].items()}
    after = {key: D(v) for key, v in request.totals_after["totals"].items()}
    assert {key: after[key] - before[key] for key in keys} == {
        f"{strategy.code}/A": -150,
        f"{strategy.code}/A.1": -150,
        f"{strategy.code}/B": 150,
        strategy.code: 0,
    }


def test_a_corrected_published_amount_keeps_the_approved_moves_and_a_moved_line_stays(lines):
    from pilotage.budgets.services import budget_line_delete, budget_line_save

    source, target = lines
    staff = SteeringFactory()
    move = reallocation_request(
        actor=staff, from_line=source, to_line=target, amount=D(300), reason="x"
    )
    reallocation_decide(actor=SteeringFactory(), reallocation=move, approve=True)
    source.refresh_from_db()

    source.amount = D(1100)  # the published figure was mistyped
    budget_line_save(actor=staff, line=source)

    source.refresh_from_db()
    assert (source.amount, source.current_amount) == (D(1100), D(800))
    with pytest.raises(ValidationError):
        budget_line_delete(actor=staff, line=source)
