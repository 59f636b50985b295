"""Organisations: Belgian enterprise numbers are checked, and only owners change profiles."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory, UserFactory
from pilotage.registry import services
from pilotage.registry.models import Organisation
from pilotage.registry.tests.factories import OrganisationFactory, enterprise_number_from
from pilotage.registry.validators import enterprise_number_display, enterprise_number_normalise

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("base", [97, 2_000_000, 4_031_234, 19_999_999])
def test_numbers_with_matching_check_digits_are_accepted(base):
    number = enterprise_number_from(base)
    assert len(number) == 10 and number[0] in "01"
    digits = int(number[:8])
    assert int(number[8:]) == 97 - digits % 97  # the rule, computed independently
    assert enterprise_number_normalise(number) == number


def test_formatted_numbers_are_normalised_to_ten_digits():
    number = enterprise_number_from(31_415_926)
    formatted = f"BE {number[:4]}.{number[4:7]}.{number[7:]}"
    assert enterprise_number_normalise(formatted) == number
    assert enterprise_number_display(number) == f"{number[:4]}.{number[4:7]}.{number[7:]}"


@pytest.mark.parametrize(
    "value, code, reason",
    [
        ("0123.456.788", "checksum", "check digits"),
        ("12345", "length", "10 digits"),
        ("abc", "format", "0123.456.789"),
    ],
)
def test_wrong_numbers_are_refused_with_a_clear_message(value, code, reason):
    with pytest.raises(ValidationError) as caught:
        enterprise_number_normalise(value)
    assert caught.value.code == code
    with translation.override("en"):
        message = " ".join(caught.value.messages)
    assert reason in message and value in message


def test_the_message_speaks_french_by_default():
    with pytest.raises(ValidationError) as caught:
        enterprise_number_normalise("0123.456.788")
    assert "chiffres de contrôle" in caught.value.messages[0]


def test_saving_an_organisation_stores_the_normalised_number():
    number = enterprise_number_from(12_121_212)
    organisation = Organisation(
        code="NEW", name="Nouvelle", enterprise_number=f"{number[:4]}.{number[4:7]}.{number[7:]}"
    )

    services.organisation_save(actor=SteeringFactory(), organisation=organisation)

    assert Organisation.objects.get(code="NEW").enterprise_number == number


def test_a_wrong_number_is_never_saved():
    organisation = Organisation(code="BAD", name="Mauvaise", enterprise_number="0123456788")
    with pytest.raises(ValidationError) as caught:
        services.organisation_save(actor=SteeringFactory(), organisation=organisation)
    assert list(caught.value.message_dict) == ["enterprise_number"]
    assert not Organisation.objects.filter(code="BAD").exists()


def test_a_partner_editor_changes_only_its_own_organisation():
    own, other = OrganisationFactory(), OrganisationFactory()
    editor = PartnerEditorFactory(organisation=own)

    own.website = "https://example.org"
    services.organisation_save(actor=editor, organisation=own)
    other.name = "Piratée"
    with pytest.raises(PermissionDenied):
        services.organisation_save(actor=editor, organisation=other)
    with pytest.raises(PermissionDenied):
        services.organisation_save(actor=editor, organisation=Organisation(code="X", name="X"))
    with pytest.raises(PermissionDenied):
        services.organisation_delete(actor=editor, organisation=own)
    assert Organisation.objects.get(pk=other.pk).name != "Piratée"


def test_readers_change_no_organisation():
    organisation = OrganisationFactory()
    with pytest.raises(PermissionDenied):
        services.organisation_save(actor=UserFactory(), organisation=organisation)
