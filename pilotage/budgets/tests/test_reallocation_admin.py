"""Reallocations in the back-office: lines offered by label with what they have left (never
a declared total), amounts in French, a decision with a comment on a confirmation page,
the totals before and after as a table."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.budgets import services
from pilotage.budgets.models import Reallocation, ReallocationState
from pilotage.budgets.tests.factories import BudgetLineFactory

pytestmark = pytest.mark.django_db
ADD = reverse("admin:budgets_reallocation_add")
LIST = reverse("admin:budgets_reallocation_changelist")
SPACES = str.maketrans({"\xa0": " ", "\u202f": " "})


def _decide_url(move) -> str:
    return reverse("admin:budgets_reallocation_decide", args=[move.pk])


def _text(page) -> str:
    html = page.content.decode()
    html = html[html.index('id="content-main"') :]
    text = re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").translate(SPACES)
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def lines():
    giving = BudgetLineFactory(code="GIVING", label="Bourses", amount=D("3630000"), year=2025)
    receiving = BudgetLineFactory(
        code="RECEIVING", label="Chèques", strategy=giving.strategy, amount=D(500)
    )
    total = BudgetLineFactory(
        code="DECLARED", strategy=giving.strategy, amount=D(9000), is_declared_total=True
    )
    return giving, receiving, total


@pytest.fixture
def alice():
    return SteeringFactory(full_name="Alice Demande")


@pytest.fixture
def bob():
    return SteeringFactory(full_name="Bob Approuve")


def test_lines_are_offered_by_label_with_what_they_have_left_never_a_declared_total(
    client, lines, alice
):
    giving, receiving, total = lines
    # 3 630 000 less 1 000 000 waiting for approval: 2 630 000 left to give.
    services.reallocation_request(
        actor=alice, from_line=giving, to_line=receiving, amount=D(1_000_000), reason="Déjà"
    )
    client.force_login(alice)

    form = client.get(ADD, HTTP_HOST="localhost").context["adminform"].form
    offered = {line.pk: label for line, label in _choices(form.fields["from_line"])}

    assert total.pk not in offered
    assert set(offered) == {giving.pk, receiving.pk}
    assert offered[giving.pk].translate(SPACES).startswith("GIVING — Bourses (")
    assert "2 630 000 €" in offered[giving.pk].translate(SPACES)
    assert "500 €" in offered[receiving.pk].translate(SPACES)
    to_offered = {line.pk for line, _label in _choices(form.fields["to_line"])}
    assert total.pk not in to_offered


def _choices(field):
    return [(choice.instance, label) for choice, label in field.choices if choice]


def test_a_move_beyond_what_is_left_is_refused_with_amounts_in_french(client, lines, alice):
    giving, receiving, total = lines
    client.force_login(alice)

    page = client.post(
        ADD,
        {"from_line": giving.pk, "to_line": receiving.pk, "amount": "5000000", "reason": "x"},
        HTTP_HOST="localhost",
    )

    assert page.status_code == 200
    [error] = page.context["adminform"].form.errors["amount"]
    assert (
        error.translate(SPACES)
        == "5 000 000 € dépasse les 3 630 000 € encore disponibles sur la ligne."
    )
    declared = client.post(
        ADD,
        {"from_line": total.pk, "to_line": receiving.pk, "amount": "1", "reason": "x"},
        HTTP_HOST="localhost",
    )
    assert declared.status_code == 200
    assert "from_line" in declared.context["adminform"].form.errors
    assert not Reallocation.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"amount": "abc"},
        {"amount": "-5"},
        {"amount": "1e400"},
        {"from_line": "zz"},
        {"to_line": "999999"},
        {"reason": ""},
    ],
    ids=lambda data: "-".join(f"{k}={v}" for k, v in data.items()),
)
def test_bad_input_is_a_form_error_never_a_500(client, lines, alice, data):
    giving, receiving, _total = lines
    client.force_login(alice)
    base = {"from_line": giving.pk, "to_line": receiving.pk, "amount": "10", "reason": "x"}

    page = client.post(ADD, base | data, HTTP_HOST="localhost")

    assert page.status_code == 200
    assert page.context["adminform"].form.errors
    assert not Reallocation.objects.exists()


def test_a_second_person_approves_with_a_comment_after_a_confirmation(client, lines, alice, bob):
    giving, receiving, _total = lines
    move = services.reallocation_request(
        actor=alice, from_line=giving, to_line=receiving, amount=D("130000"), reason="Priorité"
    )
    client.force_login(bob)

    page = client.get(_decide_url(move), {"decision": "approve"}, HTTP_HOST="localhost")
    text = _text(page)
    # Before and after, by hand: 3 630 000 - 130 000 = 3 500 000; 500 + 130 000 = 130 500.
    assert "GIVING — Bourses 3 630 000 € 3 500 000 € -130 000 €" in text
    assert "RECEIVING — Chèques 500 € 130 500 € +130 000 €" in text
    move.refresh_from_db()
    assert move.state == ReallocationState.PENDING  # nothing decided by opening the page

    done = client.post(
        _decide_url(move), {"decision": "approve", "note": "Vu en comité"}, HTTP_HOST="localhost"
    )

    assert done.status_code == 302
    move.refresh_from_db()
    giving.refresh_from_db()
    receiving.refresh_from_db()
    assert (move.state, move.decided_by, move.decision_note) == (
        ReallocationState.APPROVED,
        bob,
        "Vu en comité",
    )
    assert (giving.current_amount, receiving.current_amount) == (D(3_500_000), D(130_500))
    change = _text(client.get(done["Location"], HTTP_HOST="localhost"))
    # The totals as a table; the strategy's total is its declared total, as published.
    assert "Ligne GIVING 3 630 000 € 3 500 000 € -130 000 €" in change
    assert "Ligne RECEIVING 500 € 130 500 € +130 000 €" in change
    assert f"Total {giving.strategy.code} 9 000 € 9 000 € —" in change
    assert '{"' not in change and "&quot;" not in change
    assert "Vu en comité" in change


def test_the_requester_cannot_approve_and_is_told_on_the_page(client, lines, alice):
    giving, receiving, _total = lines
    move = services.reallocation_request(
        actor=alice, from_line=giving, to_line=receiving, amount=D(10), reason="x"
    )
    client.force_login(alice)

    page = client.post(_decide_url(move), {"decision": "approve"}, HTTP_HOST="localhost")

    assert page.status_code == 200
    assert "deuxième personne" in page.content.decode()
    move.refresh_from_db()
    assert move.state == ReallocationState.PENDING


def test_a_rejection_needs_a_reason_and_keeps_the_amounts(client, lines, alice, bob):
    giving, receiving, _total = lines
    move = services.reallocation_request(
        actor=alice, from_line=giving, to_line=receiving, amount=D(10), reason="x"
    )
    client.force_login(bob)

    refused = client.post(_decide_url(move), {"decision": "reject"}, HTTP_HOST="localhost")
    assert refused.status_code == 200
    assert "note" in refused.context["form"].errors
    bad = client.post(_decide_url(move), {"decision": "maybe"}, HTTP_HOST="localhost")
    assert bad.status_code == 200
    assert "decision" in bad.context["form"].errors

    client.post(_decide_url(move), {"decision": "reject", "note": "Hors cadre"})
    move.refresh_from_db()
    giving.refresh_from_db()
    assert (move.state, move.decision_note) == (ReallocationState.REJECTED, "Hors cadre")
    assert giving.current_amount == D(3_630_000)
    # Decided: its page sends back to the record, saying so.
    again = client.get(_decide_url(move), HTTP_HOST="localhost")
    assert again.status_code == 302


def test_moves_selected_in_the_list_are_decided_on_a_confirmation_page(client, lines, alice, bob):
    giving, receiving, _total = lines
    moves = [
        services.reallocation_request(
            actor=alice, from_line=giving, to_line=receiving, amount=D(amount), reason="x"
        )
        for amount in (100, 200)
    ]
    client.force_login(bob)
    selected = {"action": "approve", "_selected_action": [m.pk for m in moves]}

    page = client.post(LIST, selected, HTTP_HOST="localhost")
    assert page.status_code == 200
    assert "Vu" not in _text(page)
    assert not Reallocation.objects.exclude(state=ReallocationState.PENDING).exists()

    client.post(LIST, selected | {"post": "yes", "note": "Vu"}, HTTP_HOST="localhost")

    assert set(Reallocation.objects.values_list("state", "decision_note")) == {
        (ReallocationState.APPROVED, "Vu")
    }
    giving.refresh_from_db()
    assert giving.current_amount == D(3_630_000 - 300)


def test_amounts_in_the_lists_are_in_french(client, lines, alice):
    giving, receiving, _total = lines
    services.reallocation_request(
        actor=alice, from_line=giving, to_line=receiving, amount=D("1234567.5"), reason="x"
    )
    client.force_login(alice)

    listing = _text(client.get(LIST, HTTP_HOST="localhost"))
    lines_listing = _text(
        client.get(reverse("admin:budgets_budgetline_changelist"), HTTP_HOST="localhost")
    )

    assert "1 234 567,50" in listing
    assert "3 630 000" in lines_listing


@pytest.mark.parametrize("who", ["anonymous", "reader", "partner", "jury"])
def test_only_steering_staff_open_or_post_a_decision(client, lines, alice, who):
    giving, receiving, _total = lines
    move = services.reallocation_request(
        actor=alice, from_line=giving, to_line=receiving, amount=D(10), reason="x"
    )
    users = {
        "reader": lambda: UserFactory(is_staff=True),
        "partner": lambda: PartnerEditorFactory(is_staff=True),
        "jury": lambda: JuryMemberFactory(is_staff=True),
    }
    if who != "anonymous":
        client.force_login(users[who]())

    opened = client.get(_decide_url(move), HTTP_HOST="localhost")
    posted = client.post(
        _decide_url(move), {"decision": "approve", "note": "x"}, HTTP_HOST="localhost"
    )
    bulk = client.post(
        LIST,
        {"action": "approve", "_selected_action": [move.pk], "post": "yes"},
        HTTP_HOST="localhost",
    )

    if who in ("anonymous", "reader", "jury"):  # no back-office: its login
        assert {opened.status_code, posted.status_code, bulk.status_code} == {302}
        assert "/login/" in opened["Location"]
    else:
        assert (opened.status_code, posted.status_code) == (403, 403)
        assert bulk.status_code in (200, 403)  # the list without the action, or refused
    move.refresh_from_db()
    assert move.state == ReallocationState.PENDING
