"""Budgets in the back-office: a reallocation asked for by one staff member and decided by
another, both lines' history, the budget table on nodes, lines inline."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.budgets.models import BudgetLine, Reallocation, ReallocationState
from pilotage.budgets.tests.factories import BudgetLineFactory, funding_source
from pilotage.strategies.tests.factories import StrategyNodeFactory

pytestmark = pytest.mark.django_db
ADD = reverse("admin:budgets_reallocation_add")
LIST = reverse("admin:budgets_reallocation_changelist")


@pytest.fixture
def lines():
    giving = BudgetLineFactory(code="GIVING", amount=D(1000), year=2025)
    receiving = BudgetLineFactory(code="RECEIVING", strategy=giving.strategy, amount=D(500))
    return giving, receiving


def ask(client, giving, receiving, amount, reason="Priorité régionale"):
    return client.post(
        ADD,
        {"from_line": giving.pk, "to_line": receiving.pk, "amount": amount, "reason": reason},
    )


def test_a_reallocation_asked_in_the_back_office_needs_another_persons_approval(client, lines):
    giving, receiving = lines
    alice, bob = SteeringFactory(), SteeringFactory()
    client.force_login(alice)
    assert ask(client, giving, receiving, "300").status_code == 302
    move = Reallocation.objects.get()
    assert (move.requested_by, move.state) == (alice, ReallocationState.PENDING)

    # Selected in the list, confirmed on the next page.
    approve = {"action": "approve", "_selected_action": [move.pk], "post": "yes"}
    refused = client.post(LIST, approve, follow=True)
    assert "deuxième personne" in refused.content.decode()  # the back-office speaks French
    move.refresh_from_db()
    assert move.state == ReallocationState.PENDING

    client.force_login(bob)
    client.post(LIST, approve)
    move.refresh_from_db()
    giving.refresh_from_db()
    receiving.refresh_from_db()
    assert (move.state, move.decided_by) == (ReallocationState.APPROVED, bob)
    assert (giving.current_amount, receiving.current_amount) == (D(700), D(800))

    for line in (giving, receiving):
        history = client.get(reverse("admin:budgets_budgetline_history", args=[line.pk]))
        entries = list(history.context["log_entries"])
        moves = [e for e in entries if e.content_type.model == "reallocation"]
        assert [e.object_id for e in moves] == [move.pk, move.pk]  # decided, then asked
        assert any("revised_amount" in e.changes_dict for e in entries)


def test_the_back_office_refuses_a_move_beyond_what_the_line_has_left(client, lines):
    giving, receiving = lines
    client.force_login(SteeringFactory())
    ask(client, giving, receiving, "800")

    page = ask(client, giving, receiving, "300")

    assert page.status_code == 200
    assert "amount" in page.context["adminform"].form.errors
    assert Reallocation.objects.count() == 1


def test_partners_neither_ask_nor_decide(client, lines):
    client.force_login(PartnerEditorFactory())
    assert client.get(ADD).status_code == 403
    assert ask(client, *lines, "1").status_code == 403
    assert not Reallocation.objects.exists()


def test_a_node_shows_its_budget_table_and_takes_lines_inline(client):
    node = StrategyNodeFactory()
    BudgetLineFactory(strategy=node.strategy, node=node, amount=D("1234.5"), year=2025)
    client.force_login(SteeringFactory())
    url = reverse("admin:strategies_strategynode_change", args=[node.pk])

    page = client.get(url)
    assert "1\xa0234,50" in page.content.decode()
    budget_lines = next(
        f for f in page.context["inline_admin_formsets"] if f.formset.model is BudgetLine
    )
    assert budget_lines.has_add_permission

    form = {k: v for k, v in page.context["adminform"].form.initial.items() if v is not None}
    prefix = budget_lines.formset.prefix
    data = _management(page) | {
        **{k: v for k, v in form.items() if not isinstance(v, list | dict)},
        f"{prefix}-1-code": "NEW-LINE",
        f"{prefix}-1-year": "1990",  # before the strategy's period
        f"{prefix}-1-source": funding_source().pk,
        f"{prefix}-1-flow": "planned",
        f"{prefix}-1-amount": "10",
        f"{prefix}-1-precision": "0.01",
        f"{prefix}-1-node": node.pk,
    }
    data[f"{prefix}-TOTAL_FORMS"] = "2"
    refused = client.post(url, data)
    assert refused.status_code == 200
    errors = [
        form.errors
        for inline in refused.context["inline_admin_formsets"]
        for form in inline.formset.forms
        if form.errors
    ]
    assert [list(e) for e in errors] == [["year"]]
    assert not BudgetLine.objects.filter(code="NEW-LINE").exists()

    data[f"{prefix}-1-year"] = "2025"
    assert client.post(url, data).status_code == 302
    added = BudgetLine.objects.get(code="NEW-LINE")
    assert (added.strategy, added.node, added.amount) == (node.strategy, node, D(10))


def _management(page) -> dict:
    """Every field the change page's forms would post back as they are."""
    data = {}
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for key, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{key}"] = value
        for form in formset.forms:
            for name, field in form.fields.items():
                value = form.initial.get(name, field.initial)
                if value is not None and not isinstance(value, list | dict):
                    data[form.add_prefix(name)] = getattr(value, "pk", value)
    return data


def test_budget_lines_are_imported_from_the_back_office_all_or_nothing(client, lines):
    from django.core.files.uploadedfile import SimpleUploadedFile

    giving, _receiving = lines
    url = reverse("admin:budgets_budgetline_import")
    header = "code;strategy;source;year;amount\n"
    good = f"UP-1;{giving.strategy.code};{giving.source.code};2025;12,5\n"
    bad = f"UP-2;{giving.strategy.code};treasure;2025;1\n"
    client.force_login(SteeringFactory())

    page = client.post(url, {"file": SimpleUploadedFile("b.csv", (header + good + bad).encode())})
    assert [(p.record, p.column) for p in page.context["problems"]] == [("ligne 3", "source")]
    assert not BudgetLine.objects.filter(code__startswith="UP-").exists()

    checked = client.post(
        url, {"file": SimpleUploadedFile("b.csv", (header + good).encode()), "check": "1"}
    )
    assert checked.context["report"].counts == {"created": 1, "updated": 0, "unchanged": 0}
    assert not BudgetLine.objects.filter(code__startswith="UP-").exists()
    # The checked file is imported without a second upload.
    kept = client.post(url, {"import_checked": checked.context["checked"]})
    assert kept.status_code == 302
    assert BudgetLine.objects.get(code="UP-1").amount == D("12.50")
    BudgetLine.objects.filter(code="UP-1").delete()

    done = client.post(url, {"file": SimpleUploadedFile("b.csv", (header + good).encode())})
    assert done.status_code == 302
    assert BudgetLine.objects.get(code="UP-1").amount == D("12.50")
    client.force_login(PartnerEditorFactory())
    assert client.get(url).status_code == 403
