"""Every change to a domain record is kept, and steering staff can read it."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.audit import record_history
from pilotage.strategies import services
from pilotage.strategies.tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


def test_an_update_records_who_when_and_the_values_before_and_after():
    action = ActionFactory(title_fr="Avant")
    editor = PartnerEditorFactory(organisation=action.lead)

    services.action_update(actor=editor, action=action, title_fr="Après")

    entry = record_history(action).first()
    assert entry.action == LogEntry.Action.UPDATE
    assert entry.actor == editor
    assert entry.changes_dict["title_fr"] == ["Avant", "Après"]
    assert entry.timestamp is not None


def test_create_and_delete_are_recorded():
    steering = SteeringFactory()
    lead = ActionFactory().lead
    action = services.action_create(actor=steering, code="NEW-1", title_fr="Nouvelle", lead=lead)
    pk = action.pk

    services.action_delete(actor=steering, action=action)

    entries = LogEntry.objects.filter(object_pk=str(pk), content_type__model="action")
    assert set(entries.values_list("action", flat=True)) == {
        LogEntry.Action.CREATE,
        LogEntry.Action.DELETE,
    }
    assert {entry.actor for entry in entries} == {steering}


def test_steering_staff_read_a_records_history_in_the_back_office(client):
    action = ActionFactory(title_fr="Avant")
    steering = SteeringFactory()
    services.action_update(actor=steering, action=action, title_fr="Après")
    client.force_login(steering)

    response = client.get(reverse("admin:strategies_action_history", args=[action.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Avant" in page and "Après" in page


def test_partner_editors_cannot_read_the_history(client):
    action = ActionFactory()
    client.force_login(PartnerEditorFactory(organisation=action.lead))

    response = client.get(reverse("admin:strategies_action_auditlog", args=[action.pk]))

    assert response.status_code == 403


def test_back_office_changes_are_attributed_to_their_author(client):
    from pilotage.strategies.tests.test_permissions import change_form_data

    action = ActionFactory(title_fr="Avant")
    editor = PartnerEditorFactory(organisation=action.lead)
    client.force_login(editor)

    client.post(
        reverse("admin:strategies_action_change", args=[action.pk]),
        change_form_data(action, title_fr="Après"),
    )

    entry = record_history(action).first()
    assert (entry.actor, entry.changes_dict["title_fr"]) == (editor, ["Avant", "Après"])


def test_an_actions_history_shows_its_partners_tags_nodes_and_audiences(client):
    from pilotage.registry.tests.factories import OrganisationFactory
    from pilotage.strategies.models import ActionPartner
    from pilotage.strategies.tests.factories import StrategyNodeFactory
    from pilotage.taxonomies.services import record_terms_set
    from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

    steering = SteeringFactory(is_staff=True)
    action = ActionFactory()
    editor = PartnerEditorFactory(organisation=action.lead)
    partner = OrganisationFactory(name="Partenaire Alpha")
    partnership = services.partnership_save(
        actor=editor, partnership=ActionPartner(action=action, organisation=partner)
    )
    services.partnership_delete(actor=editor, partnership=partnership)
    provinces = TaxonomyFactory(code="provinces")
    record_terms_set(
        actor=steering,
        record=action,
        taxonomy=provinces,
        terms=[TermFactory(taxonomy=provinces, label_fr="Namur")],
    )
    services.action_nodes_set(
        actor=editor, action=action, nodes=[StrategyNodeFactory(title_fr="Territoire")]
    )
    audiences = TaxonomyFactory(code="target-audiences")
    services.action_target_audiences_set(
        actor=editor, action=action, audiences=[TermFactory(taxonomy=audiences, label_fr="Écoles")]
    )

    client.force_login(steering)
    page = client.get(reverse("admin:strategies_action_history", args=[action.pk])).content.decode()
    assert page.count("Partenaire Alpha") >= 2  # added, then removed
    assert "Namur" in page
    assert "Territoire" in page
    assert "Écoles" in page
    assert str(editor) in page  # who did it
