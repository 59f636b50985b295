"""Every change to a domain record is kept, and steering staff can read it."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.audit import record_history
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies import services
from pilotage.strategies.models import ActionPartner
from pilotage.strategies.tests.factories import ActionFactory, StrategyNodeFactory
from pilotage.taxonomies.services import record_terms_set
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

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


# An action's history also holds the changes of what belongs to it: its partners (their own
# rows), its tags (term assignments, a generic relation), its nodes and target audiences
# (many-to-many). Each change is made by an author other than the reader, so the author's
# name on the page comes from the entry, not from the page header.

AUTHOR = "Camille Auteur"


def history_entries(client, action) -> list[str]:
    """The entries of the action's back-office history page, as read by steering staff."""
    client.force_login(SteeringFactory(full_name="Dominique Lectrice"))
    response = client.get(reverse("admin:strategies_action_history", args=[action.pk]))
    assert response.status_code == 200
    return response.content.decode().split('<div class="auditlog-entry">')[1:]


def _partner_added(author, action):
    services.partnership_save(
        actor=author,
        partnership=ActionPartner(
            action=action, organisation=OrganisationFactory(name="Partenaire Alpha")
        ),
    )
    return "Partenaire Alpha", 1


def _partner_role_changed(author, action):
    partnership = ActionPartner.objects.create(
        action=action, organisation=OrganisationFactory(name="Partenaire Beta"), role_fr="appui"
    )
    partnership.role_fr = "co-pilote"
    services.partnership_save(actor=author, partnership=partnership)
    return "co-pilote", 1


def _partner_removed(author, action):
    partnership = ActionPartner.objects.create(
        action=action, organisation=OrganisationFactory(name="Partenaire Gamma")
    )
    services.partnership_delete(actor=author, partnership=partnership)
    return "Partenaire Gamma", 1  # the creation above has no author: only the deletion does


def _partners_set(author, action):
    services.action_partners_set(
        actor=author, action=action, partners=[(OrganisationFactory(name="Partenaire Delta"), "")]
    )
    return "Partenaire Delta", 1


def _tag_added(author, action):
    provinces = TaxonomyFactory(code="provinces")
    record_terms_set(
        actor=author,
        record=action,
        taxonomy=provinces,
        terms=[TermFactory(taxonomy=provinces, label_fr="Namur")],
    )
    return "Namur", 1


def _tag_removed(author, action):
    provinces = TaxonomyFactory(code="provinces")
    record_terms_set(
        actor=author,
        record=action,
        taxonomy=provinces,
        terms=[TermFactory(taxonomy=provinces, label_fr="Luxembourg")],
    )
    record_terms_set(actor=author, record=action, taxonomy=provinces, terms=[])
    return "Luxembourg", 2  # added, then removed


def _node_linked(author, action):
    services.action_nodes_set(
        actor=author, action=action, nodes=[StrategyNodeFactory(title_fr="Territoire connecté")]
    )
    return "Territoire connecté", 1


def _node_unlinked(author, action):
    action.nodes.add(StrategyNodeFactory(title_fr="Ancienne mesure"))
    services.action_nodes_set(actor=author, action=action, nodes=[])
    return "Ancienne mesure", 1  # the link above has no author: only the unlinking does


def _audience_set(author, action):
    audiences = TaxonomyFactory(code="target-audiences")
    services.action_target_audiences_set(
        actor=author, action=action, audiences=[TermFactory(taxonomy=audiences, label_fr="Écoles")]
    )
    return "Écoles", 1


DEPENDENT_CHANGES = {
    "partner added": _partner_added,
    "partner role changed": _partner_role_changed,
    "partner removed": _partner_removed,
    "partners set": _partners_set,
    "tag added": _tag_added,
    "tag removed": _tag_removed,
    "node linked": _node_linked,
    "node unlinked": _node_unlinked,
    "target audience set": _audience_set,
}


@pytest.mark.parametrize("change", DEPENDENT_CHANGES.values(), ids=DEPENDENT_CHANGES.keys())
def test_a_change_to_what_belongs_to_an_action_shows_in_its_history_with_its_author(change, client):
    action = ActionFactory()
    author = PartnerEditorFactory(organisation=action.lead, full_name=AUTHOR)

    shown, expected = change(author, action)

    naming = [entry for entry in history_entries(client, action) if shown in entry]
    authored = [entry for entry in naming if AUTHOR in entry]
    assert len(authored) == expected, naming


def test_another_actions_partners_and_tags_stay_out_of_its_history(client):
    action, other = ActionFactory(), ActionFactory()
    author = SteeringFactory(full_name=AUTHOR)
    _partner_added(author, other)
    _tag_added(author, other)

    entries = history_entries(client, action)

    assert not any("Partenaire Alpha" in entry or "Namur" in entry for entry in entries)


def test_back_office_changes_to_partners_tags_nodes_and_audiences_show_in_the_history(client):
    from pilotage.strategies.tests.test_permissions import change_form_data

    action = ActionFactory()
    author = PartnerEditorFactory(organisation=action.lead, full_name=AUTHOR)
    partner = OrganisationFactory(name="Partenaire Epsilon")
    node = StrategyNodeFactory(title_fr="Levier numérique")
    audience = TermFactory(taxonomy=TaxonomyFactory(code="target-audiences"), label_fr="PME")
    tag = TermFactory(taxonomy=TaxonomyFactory(code="provinces"), label_fr="Hainaut")
    tags = "taxonomies-termassignment-content_type-object_id"
    client.force_login(author)

    response = client.post(
        reverse("admin:strategies_action_change", args=[action.pk]),
        change_form_data(
            action,
            nodes=[node.pk],
            target_audiences=[audience.pk],
            **{
                "partnerships-TOTAL_FORMS": "1",
                "partnerships-0-organisation": partner.pk,
                "partnerships-0-role_fr": "relais",
                f"{tags}-TOTAL_FORMS": "1",
                f"{tags}-0-term": tag.pk,
            },
        ),
    )

    assert response.status_code == 302, response.content.decode()[:3000]
    entries = history_entries(client, action)
    for shown in ("Partenaire Epsilon", "Levier numérique", "PME", "Hainaut"):
        assert any(shown in entry and AUTHOR in entry for entry in entries), shown
