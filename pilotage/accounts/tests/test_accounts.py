"""Accounts: log in by e-mail; roles; only steering staff manage accounts."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.urls import reverse

from pilotage.accounts.models import Role, User
from pilotage.accounts.services import user_create
from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory, UserFactory
from pilotage.registry.tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def test_users_log_in_by_email_whatever_its_case(client):
    UserFactory(email="ana@example.org", password="a long enough passphrase")
    # django-axes counts attempts per request: authenticate() needs one.
    request = HttpRequest()

    assert client.login(
        request=request, email="Ana@Example.org".lower(), password="a long enough passphrase"
    )
    assert not client.login(request=request, email="ana@example.org", password="wrong")


def test_back_office_login_page_asks_for_the_email(client):
    response = client.get(reverse("admin:login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()  # the admin's field, bound to e-mail
    assert User.USERNAME_FIELD == "email"


def test_steering_staff_create_accounts_with_back_office_access_by_role():
    steering = SteeringFactory()
    organisation = OrganisationFactory()

    editor = user_create(
        actor=steering, email="ed@example.org", role=Role.PARTNER_EDITOR, organisation=organisation
    )
    reader = user_create(actor=steering, email="re@example.org", role=Role.READER)

    assert (editor.is_staff, reader.is_staff) == (True, False)


def test_a_partner_editor_needs_an_organisation():
    with pytest.raises(ValidationError, match="organisation"):
        user_create(actor=SteeringFactory(), email="x@example.org", role=Role.PARTNER_EDITOR)


def test_only_steering_staff_create_accounts():
    with pytest.raises(PermissionDenied):
        user_create(actor=PartnerEditorFactory(), email="y@example.org")
    assert not User.objects.filter(email="y@example.org").exists()


@pytest.mark.parametrize(
    "make_user, status",
    [(SteeringFactory, 200), (PartnerEditorFactory, 200), (UserFactory, 302)],
    ids=["steering", "partner", "reader"],
)
def test_back_office_is_for_steering_staff_and_partner_editors(client, make_user, status):
    user = make_user()
    user.is_staff = True  # even with the flag, a reader has no back-office
    user.save()
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code == status


def test_only_steering_staff_see_the_users(client):
    client.force_login(PartnerEditorFactory())
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    client.force_login(SteeringFactory())
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
