"""A record's history as people read it: who, when, which field (its label), the values
before and after in French, related records by name, choices by label, nothing spurious."""

from __future__ import annotations

import re
from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.budgets import services as budgets
from pilotage.budgets.models import Flow
from pilotage.budgets.tests.factories import BudgetLineFactory, funding_source
from pilotage.core.audit import acting_as
from pilotage.strategies.tests.factories import StrategyNodeFactory
from pilotage.taxonomies.services import record_terms_set
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db

# What the old history showed and nobody can read.
RAW = [
    "None",
    ".None",
    "planned",
    "create",
    "update",
    "Relationship",
    "Content type",
    "Field",
    "#",
]


def _text(page) -> str:
    """The history's own part of the page, as text, spaces collapsed."""
    html = page.content.decode()
    html = html[html.index('id="content-main"') :]
    html = html[: html.index('id="footer"')] if 'id="footer"' in html else html
    text = re.sub(r"<[^>]+>", " ", html).replace("&#x27;", "'").replace("&nbsp;", " ")
    return re.sub(r"\s+", " ", text)


def _history(client, line):
    return client.get(
        reverse("admin:budgets_budgetline_history", args=[line.pk]), HTTP_HOST="localhost"
    )


@pytest.fixture
def steering():
    return SteeringFactory(full_name="Claire Pilote")


def test_a_lines_history_names_fields_values_and_records_in_french(client, steering):
    node = StrategyNodeFactory()
    source = funding_source()
    with acting_as(steering):
        line = BudgetLineFactory(
            code="L-HIST", strategy=node.strategy, node=node, amount=D("1234567.5"), year=2025
        )
    line.amount = D("5000000")
    line.flow = Flow.COMMITTED
    line.is_declared_total = True
    budgets.budget_line_save(actor=steering, line=line)
    client.force_login(steering)

    text = _text(_history(client, line))

    # Who, the kind of change, each field by its label, before → after in French.
    assert "Claire Pilote" in text
    assert "Modification" in text and "Ajout" in text
    assert "Montant (€) 1 234 567,5 → 5 000 000" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert "Flux Prévu → Engagé" in text
    assert "Total déclaré Non → Oui" in text
    # Related records by name, the funding source with its taxonomy.
    assert f"Nœud de stratégie {node}" in text
    assert f"Source de financement {source.label} ({source.taxonomy})" in text
    for raw in RAW:
        assert raw not in text, raw


def test_saving_a_record_unchanged_adds_no_entry(client, steering):
    with acting_as(steering):
        line = BudgetLineFactory(amount=D(300))
    budgets.budget_line_save(actor=steering, line=line)  # only its time of change moves
    line.amount = D("300.00")  # the same amount, written with its cents
    budgets.budget_line_save(actor=steering, line=line)
    client.force_login(steering)

    page = _history(client, line)

    assert LogEntry.objects.get_for_object(line).count() >= 2  # the trail keeps them all
    assert [entry.action for entry in page.context["history"]] == ["Ajout"]


def test_a_reallocation_shows_in_both_lines_history_with_amounts_and_names(client, steering):
    approver = SteeringFactory(full_name="Bruno Second")
    giving = BudgetLineFactory(code="GIVING", amount=D(1000), year=2025)
    receiving = BudgetLineFactory(code="RECEIVING", strategy=giving.strategy, amount=D(500))
    move = budgets.reallocation_request(
        actor=steering, from_line=giving, to_line=receiving, amount=D(300), reason="Priorité"
    )
    budgets.reallocation_decide(actor=approver, reallocation=move, approve=True, note="Vu")
    client.force_login(steering)

    for line, after in ((giving, "700"), (receiving, "800")):
        text = _text(_history(client, line))
        assert f"Montant après réaffectations (€) — → {after}" in text
        assert "État En attente d'approbation → Approuvée" in text
        assert "Décision prise par — → Bruno Second" in text
        assert "Demandée par Claire Pilote" in text
        assert "Commentaire de la décision — → Vu" in text
        # The totals as amounts, never the JSON they are kept in.
        assert '{"' not in text and "&quot;" not in text
        assert "GIVING: 1 000" in text.replace("\xa0", " ").replace("\u202f", " ")


def test_a_records_tags_show_their_term_and_taxonomy_never_an_id(client, steering):
    from pilotage.indicators.tests.factories import IndicatorFactory

    indicator = IndicatorFactory()
    themes = TaxonomyFactory(code="themes", title_fr="Thèmes")
    term = TermFactory(taxonomy=themes, label_fr="Hydrogène")
    record_terms_set(actor=steering, record=indicator, taxonomy=themes, terms=[term])
    record_terms_set(actor=steering, record=indicator, taxonomy=themes, terms=[])
    client.force_login(steering)

    page = client.get(
        reverse("admin:indicators_indicator_history", args=[indicator.pk]), HTTP_HOST="localhost"
    )
    text = _text(page)

    assert "Hydrogène (Thèmes)" in text
    assert "Suppression" in text
    assert f"#{indicator.pk}" not in text
    assert "Content type" not in text and "Type de contenu" not in text


def test_a_deleted_record_is_named_as_the_trail_last_saw_it(client, steering):
    with acting_as(steering):
        old_source = funding_source("old-source")
        line = BudgetLineFactory(source=old_source)
    line.source = funding_source("new-source")
    budgets.budget_line_save(actor=steering, line=line)
    old_name = str(old_source)
    with acting_as(steering):
        old_source.delete()
    client.force_login(steering)

    text = _text(_history(client, line))

    # Its name then, marked deleted (the words are the catalogue's).
    assert f"Source de financement {old_name} (" in text
    assert f"Terme {old_source.pk}" not in text


def test_the_whole_audit_trail_reads_the_same_way(client, steering):
    with acting_as(steering):
        line = BudgetLineFactory(code="L-TRAIL", amount=D(10))
    line.flow = Flow.PAID
    budgets.budget_line_save(actor=steering, line=line)
    client.force_login(steering)
    listing = reverse("admin:auditlog_logentry_changelist")

    page = client.get(listing, HTTP_HOST="localhost")
    assert page.status_code == 200
    row = next(e for e in page.context["cl"].result_list if e.object_repr == "L-TRAIL" and e.action)
    detail = client.get(
        reverse("admin:auditlog_logentry_change", args=[row.pk]), HTTP_HOST="localhost"
    )
    text = _text(detail)
    assert "Flux Prévu → Payé" in text
    assert "Claire Pilote" in text
    # A filter by kind of change; a kind that does not exist is refused, never a 500.
    changes = client.get(listing, {"action": "1"}, HTTP_HOST="localhost")
    assert {e.action for e in changes.context["cl"].result_list} == {LogEntry.Action.UPDATE}
    assert client.get(listing, {"action": "zz"}, HTTP_HOST="localhost").status_code in (200, 302)


@pytest.mark.parametrize("who", ["anonymous", "reader", "partner", "jury"], ids=lambda who: who)
def test_only_steering_staff_read_a_history(client, steering, who):
    with acting_as(steering):
        line = BudgetLineFactory()
    users = {
        "reader": lambda: UserFactory(is_staff=True),
        "partner": lambda: PartnerEditorFactory(),
        "jury": lambda: JuryMemberFactory(is_staff=True),
    }
    if who != "anonymous":
        client.force_login(users[who]())

    page = _history(client, line)
    trail = client.get(reverse("admin:auditlog_logentry_changelist"), HTTP_HOST="localhost")

    expected = {302} if who == "anonymous" else {302, 403}
    assert page.status_code in expected
    assert trail.status_code in expected
