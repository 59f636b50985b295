"""Who reads which persons and affiliations of the registry, and whose e-mail."""

import pytest

from pilotage.accounts.models import User
from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.registry.models import Affiliation, AffiliationKind, Person
from pilotage.registry.permissions import (
    can_view_affiliation,
    can_view_person,
    can_view_person_email,
)
from pilotage.registry.selectors import affiliations_visible_to, persons_visible_to
from pilotage.registry.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    ours, theirs = OrganisationFactory(), OrganisationFactory()
    people = {}
    for code, refused, organisations in (
        ("own", False, [ours]),
        ("shared", False, [ours, theirs]),
        ("other", False, [theirs]),
        ("refused", True, [ours]),
        ("loner", False, []),
    ):
        person = Person.objects.create(
            code=code, given_name="Test", family_name=code, display_refusal=refused
        )
        for organisation in organisations:
            Affiliation.objects.create(
                person=person, organisation=organisation, kind=AffiliationKind.CONTACT
            )
        people[code] = person
    return {"ours": ours, "theirs": theirs, "people": people}


def _codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


def test_a_partner_editor_reads_its_own_organisations_people_who_accept_display(registry):
    partner = PartnerEditorFactory(organisation=registry["ours"])
    people = registry["people"]

    assert _codes(persons_visible_to(partner)) == {"own", "shared"}
    assert [code for code, p in people.items() if can_view_person(partner, p)] == [
        "own",
        "shared",
    ]
    assert [code for code, p in people.items() if can_view_person_email(partner, p)] == [
        "own",
        "shared",
    ]
    # Never an e-mail on a page of persons in general.
    assert can_view_person_email(partner) is False


def test_a_partner_editor_reads_only_its_own_organisations_affiliations(registry):
    partner = PartnerEditorFactory(organisation=registry["ours"])

    visible = affiliations_visible_to(partner)

    assert {(a.person.code, a.organisation_id) for a in visible} == {
        ("own", registry["ours"].pk),
        ("shared", registry["ours"].pk),
    }
    shared_elsewhere = Affiliation.objects.get(
        person__code="shared", organisation=registry["theirs"]
    )
    assert can_view_affiliation(partner, shared_elsewhere) is False


def test_steering_staff_and_superusers_read_every_person_and_e_mail(registry):
    for user in (SteeringFactory(), User.objects.create_superuser(email="root@example.org")):
        assert _codes(persons_visible_to(user)) == set(registry["people"])
        assert all(can_view_person_email(user, p) for p in registry["people"].values())
        assert affiliations_visible_to(user).count() == Affiliation.objects.count()


@pytest.mark.parametrize(
    "make",
    [
        lambda ours: UserFactory(),
        lambda ours: UserFactory(organisation=ours),
        lambda ours: JuryMemberFactory(organisation=ours),
        lambda ours: PartnerEditorFactory(organisation=ours, is_active=False),
    ],
    ids=["reader", "reader-of-the-organisation", "jury-of-the-organisation", "inactive-partner"],
)
def test_other_accounts_read_no_person(registry, make):
    user = make(registry["ours"])

    assert _codes(persons_visible_to(user)) == set()
    assert affiliations_visible_to(user).count() == 0
    assert not any(can_view_person(user, p) for p in registry["people"].values())
