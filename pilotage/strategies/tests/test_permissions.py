"""A partner editor writes only the actions its organisation leads: on every write path."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies import services
from pilotage.strategies.models import Action, ActionPartner, ActionStatus
from pilotage.strategies.permissions import can_change_action, can_create_action, can_delete_action
from pilotage.strategies.tests.factories import ActionFactory, StrategyNodeFactory
from pilotage.taxonomies.services import record_terms_set
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def action():
    return ActionFactory(title_fr="Titre d'origine")


@pytest.fixture
def outsider():
    """A partner editor of another organisation than the action's lead."""
    return PartnerEditorFactory()


def audiences():
    return TermFactory(taxonomy=TaxonomyFactory(code="target-audiences"))


WRITES = {
    "update": lambda actor, action: services.action_update(
        actor=actor, action=action, title_fr="Piraté"
    ),
    "save": lambda actor, action: services.action_save(
        actor=actor, action=Action.objects.get(pk=action.pk)
    ),
    "delete": lambda actor, action: services.action_delete(actor=actor, action=action),
    "partners": lambda actor, action: services.action_partners_set(
        actor=actor, action=action, partners=[(OrganisationFactory(), "co-pilote")]
    ),
    "nodes": lambda actor, action: services.action_nodes_set(
        actor=actor, action=action, nodes=[StrategyNodeFactory()]
    ),
    "audiences": lambda actor, action: services.action_target_audiences_set(
        actor=actor, action=action, audiences=[audiences()]
    ),
    "terms": lambda actor, action: record_terms_set(
        actor=actor, record=action, taxonomy=TaxonomyFactory(), terms=[]
    ),
    "partnership_save": lambda actor, action: services.partnership_save(
        actor=actor, partnership=ActionPartner(action=action, organisation=OrganisationFactory())
    ),
    "partnership_delete": lambda actor, action: services.partnership_delete(
        actor=actor,
        partnership=ActionPartner.objects.create(action=action, organisation=OrganisationFactory()),
    ),
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_partner_editor_of_another_organisation_cannot_write(write, action, outsider):
    with pytest.raises(PermissionDenied):
        write(outsider, action)
    action.refresh_from_db()
    assert action.title_fr == "Titre d'origine"
    assert Action.objects.filter(pk=action.pk).exists()


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
@pytest.mark.parametrize("make_user", [UserFactory, JuryMemberFactory], ids=["reader", "jury"])
def test_readers_and_jury_members_cannot_write(write, make_user, action):
    with pytest.raises(PermissionDenied):
        write(make_user(), action)


@pytest.mark.parametrize("name", [n for n in WRITES if n != "delete"])
def test_partner_editor_of_the_lead_can_write(name, action):
    editor = PartnerEditorFactory(organisation=action.lead)
    WRITES[name](editor, action)


def test_only_steering_staff_delete_actions(action):
    with pytest.raises(PermissionDenied):
        services.action_delete(actor=PartnerEditorFactory(organisation=action.lead), action=action)
    services.action_delete(actor=SteeringFactory(), action=action)
    assert not Action.objects.filter(pk=action.pk).exists()


def test_partner_editor_cannot_hand_its_action_to_another_organisation(action):
    editor = PartnerEditorFactory(organisation=action.lead)
    with pytest.raises(PermissionDenied):
        services.action_update(actor=editor, action=action, lead=OrganisationFactory())
    assert Action.objects.get(pk=action.pk).lead_id == editor.organisation_id


def test_partner_editor_creates_actions_only_for_its_own_organisation():
    editor = PartnerEditorFactory()
    with pytest.raises(PermissionDenied):
        services.action_create(
            actor=editor, code="X-1", title_fr="Autre", lead=OrganisationFactory()
        )
    created = services.action_create(
        actor=editor, code="X-2", title_fr="Nôtre", lead=editor.organisation
    )
    assert created.lead_id == editor.organisation_id


@pytest.mark.parametrize(
    "make_user, own, expected",
    [
        (lambda org: None, False, (False, False, False)),
        (lambda org: UserFactory(), False, (False, False, False)),
        (lambda org: PartnerEditorFactory(organisation=org), True, (True, True, False)),
        (lambda org: PartnerEditorFactory(), False, (False, False, False)),
        (lambda org: SteeringFactory(), False, (True, True, True)),
    ],
    ids=["anonymous", "reader", "partner-of-lead", "partner-elsewhere", "steering"],
)
def test_permission_matrix(make_user, own, expected, action):
    from django.contrib.auth.models import AnonymousUser

    user = make_user(action.lead) or AnonymousUser()
    assert (
        can_create_action(user, lead_id=action.lead_id),
        can_change_action(user, action),
        can_delete_action(user, action),
    ) == expected


# The back-office is a write path too.


def change_form_data(action, **overrides):
    data = {
        "code": action.code,
        "title_fr": action.title_fr,
        "title_nl": "",
        "title_de": "",
        "title_en": "",
        "description_fr": "",
        "description_nl": "",
        "description_de": "",
        "description_en": "",
        "status": action.status,
        "lead": action.lead_id or "",
        "weight": str(action.weight),
        "partnerships-TOTAL_FORMS": "0",
        "partnerships-INITIAL_FORMS": "0",
        "taxonomies-termassignment-content_type-object_id-TOTAL_FORMS": "0",
        "taxonomies-termassignment-content_type-object_id-INITIAL_FORMS": "0",
        "budget_lines-TOTAL_FORMS": "0",
        "budget_lines-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_admin_refuses_a_partner_editor_on_another_organisations_action(client, action, outsider):
    client.force_login(outsider)
    url = reverse("admin:strategies_action_change", args=[action.pk])

    assert client.get(url).status_code in (302, 403, 404)
    response = client.post(url, change_form_data(action, title_fr="Piraté"))
    assert response.status_code in (302, 403, 404)
    assert client.post(
        reverse("admin:strategies_action_delete", args=[action.pk]), {"post": "yes"}
    ).status_code in (302, 403, 404)

    action.refresh_from_db()
    assert action.title_fr == "Titre d'origine"


def test_admin_lets_the_lead_partner_edit_its_action(client, action):
    editor = PartnerEditorFactory(organisation=action.lead)
    client.force_login(editor)
    url = reverse("admin:strategies_action_change", args=[action.pk])

    response = client.post(
        url, change_form_data(action, title_fr="Nouveau titre", status=ActionStatus.COMPLETED)
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    action.refresh_from_db()
    assert (action.title_fr, action.status) == ("Nouveau titre", ActionStatus.COMPLETED)


def test_admin_lead_partner_sees_but_cannot_add_its_actions_budget_lines(client, action):
    from pilotage.budgets.models import BudgetLine
    from pilotage.budgets.tests.factories import funding_source
    from pilotage.strategies.tests.factories import StrategyFactory

    strategy = StrategyFactory()
    client.force_login(PartnerEditorFactory(organisation=action.lead))
    url = reverse("admin:strategies_action_change", args=[action.pk])
    smuggled = {
        "budget_lines-TOTAL_FORMS": "1",
        "budget_lines-0-code": "SMUGGLED",
        "budget_lines-0-strategy": strategy.pk,
        "budget_lines-0-source": funding_source().pk,
        "budget_lines-0-flow": "planned",
        "budget_lines-0-amount": "1000000",
    }

    client.post(url, change_form_data(action, **smuggled))

    assert not BudgetLine.objects.filter(code="SMUGGLED").exists()


def test_admin_lead_partner_cannot_move_the_lead_elsewhere(client, action):
    editor = PartnerEditorFactory(organisation=action.lead)
    client.force_login(editor)
    url = reverse("admin:strategies_action_change", args=[action.pk])

    response = client.post(url, change_form_data(action, lead=OrganisationFactory().pk))

    assert response.status_code == 200  # the form is shown again with the error
    assert Action.objects.get(pk=action.pk).lead_id == editor.organisation_id


def test_admin_lists_only_the_partners_own_actions(client, action):
    own = ActionFactory()
    client.force_login(PartnerEditorFactory(organisation=own.lead))

    response = client.get(reverse("admin:strategies_action_changelist"))

    assert response.status_code == 200
    assert own.code in response.content.decode()
    assert action.code not in response.content.decode()


def test_admin_refuses_a_partner_editor_on_another_organisations_partners(client, action, outsider):
    partnership = ActionPartner.objects.create(
        action=action, organisation=OrganisationFactory(), role_fr="appui"
    )
    client.force_login(outsider)
    change = reverse("admin:strategies_actionpartner_change", args=[partnership.pk])
    form = {"action": action.pk, "organisation": partnership.organisation_id, "role_fr": "piraté"}

    assert client.get(change).status_code in (302, 403, 404)
    assert client.post(change, form).status_code in (302, 403, 404)
    assert client.post(
        reverse("admin:strategies_actionpartner_delete", args=[partnership.pk]), {"post": "yes"}
    ).status_code in (302, 403, 404)
    added = client.post(
        reverse("admin:strategies_actionpartner_add"),
        {**form, "organisation": OrganisationFactory().pk},
    )
    assert added.status_code == 403  # the service refuses it

    assert list(action.partnerships.values_list("pk", "role_fr")) == [(partnership.pk, "appui")]
