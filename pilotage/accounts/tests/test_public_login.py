"""The public login, for every role: each lands on its own page; wrong passwords and
disabled accounts are told apart only for whoever knows the password; `next` stays on
this site; logout by POST; password reset by e-mail in the visitor's language."""

import html
import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories'
LOGIN = "/account/login/"
ACCOUNT = "/account/"


def log_in(client, email: str, password: str = PASSWORD, **fields):
    return client.post(LOGIN, {"username": email, "password": password, **fields})


def page_text(response) -> str:
    """The page as a person reads it (entities such as &#x27; unescaped)."""
    return html.unescape(response.content.decode())


def logged_in_as(client) -> int | None:
    session_user = client.session.get("_auth_user_id")
    return int(session_user) if session_user else None


def test_the_login_and_the_account_page_live_in_every_language():
    with translation.override("fr"):
        assert (reverse("accounts:login"), reverse("dashboard:account")) == (LOGIN, ACCOUNT)
    with translation.override("nl"):
        assert reverse("accounts:login") == "/nl/account/login/"
    assert settings.LOGIN_URL == "accounts:login"


def test_steering_staff_land_on_their_page_with_what_waits_for_review(client):
    steering = SteeringFactory(full_name="Ana Dupont")
    ObservationFactory(indicator=IndicatorFactory(), state="submitted")

    response = log_in(client, steering.email)
    page = client.get(response["Location"])

    assert (response.status_code, response["Location"]) == (302, ACCOUNT)
    text = page_text(page)
    assert "<h1>Mon espace</h1>" in text
    assert "1 valeur soumise attend sa validation." in text
    assert 'href="/admin/"' in text
    assert "Équipe de pilotage" in text
    assert 'Mon espace<span class="account-name"> · Ana</span>' in text  # the header


def test_a_partner_editor_lands_on_its_page_with_reporting_and_its_organisation(client):
    editor = PartnerEditorFactory(organisation__name="Agence du Numérique")

    response = log_in(client, editor.email)
    text = page_text(client.get(response["Location"]))

    assert response["Location"] == ACCOUNT
    assert "Rapportage" in text
    assert 'href="/reporting/"' in text
    assert "Agence du Numérique" in text
    assert f'href="/registry/{editor.organisation.code}/"' in text


def test_a_jury_member_lands_on_its_page_with_nothing_to_evaluate_yet(client):
    jury = JuryMemberFactory()

    response = log_in(client, jury.email)
    text = page_text(client.get(response["Location"]))

    assert logged_in_as(client) == jury.pk
    assert "Vos évaluations" in text
    assert "Aucune candidature à évaluer pour l'instant." in text
    assert jury.email in text


def test_a_reader_lands_on_its_page_with_what_is_published(client):
    reader = UserFactory(email="lea@example.org")
    others = SteeringFactory(email="someone-else@example.org")

    response = log_in(client, "Lea@Example.org")  # as people type it
    text = page_text(client.get(response["Location"]))

    assert logged_in_as(client) == reader.pk
    assert "Ce que vous pouvez lire" in text
    assert "lea@example.org" in text
    assert others.email not in text
    assert "Rapportage" not in text and 'href="/admin/"' not in text


def test_the_other_languages_log_in_to_the_page_in_their_language(client):
    reader = UserFactory()
    response = client.post("/nl/account/login/", {"username": reader.email, "password": PASSWORD})
    assert response["Location"] == "/nl/account/"
    assert "<h1>Mijn ruimte</h1>" in page_text(client.get("/nl/account/"))


def test_a_wrong_password_says_so_without_telling_whether_the_account_exists(client):
    UserFactory(email="ana@example.org")

    existing = log_in(client, "ana@example.org", "wrong password")
    unknown = log_in(client, "nobody@example.org", "wrong password")

    message = "L'adresse e-mail ou le mot de passe n'est pas correct."
    assert (existing.status_code, unknown.status_code) == (200, 200)
    assert message in page_text(existing) and message in page_text(unknown)
    assert "désactivé" not in page_text(existing)
    assert logged_in_as(client) is None


def test_a_disabled_account_is_told_so_when_the_password_is_right(client):
    UserFactory(email="ana@example.org", is_active=False)

    right = log_in(client, "ana@example.org")
    wrong = log_in(client, "ana@example.org", "wrong password")

    assert "Ce compte est désactivé." in page_text(right)
    assert "Ce compte est désactivé." not in page_text(wrong)
    assert logged_in_as(client) is None


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example.com/", "//evil.example.com/", "/\\evil.example.com", "javascript:x"],
)
def test_a_next_to_another_host_is_ignored(client, next_url):
    reader = UserFactory()
    response = log_in(client, reader.email, next=next_url)
    assert (response.status_code, response["Location"]) == (302, ACCOUNT)


def test_a_next_on_this_site_is_followed_and_the_reporting_pages_send_to_the_public_login(
    client,
):
    editor = PartnerEditorFactory()

    refused = client.get("/reporting/")
    form = client.get(refused["Location"])
    response = log_in(client, editor.email, next="/reporting/")

    assert refused["Location"] == "/account/login/?next=/reporting/"
    assert 'name="next" value="/reporting/"' in page_text(form)
    assert response["Location"] == "/reporting/"


def test_the_account_page_needs_a_login(client):
    response = client.get("/nl/account/")
    assert (response.status_code, response["Location"]) == (
        302,
        "/nl/account/login/?next=/nl/account/",
    )


def test_every_form_carries_a_csrf_token_and_a_forged_login_is_refused():
    reader = UserFactory()
    strict = Client(enforce_csrf_checks=True)
    for url in (LOGIN, "/account/password/reset/"):
        assert 'name="csrfmiddlewaretoken"' in page_text(strict.get(url))
    forged = strict.post(LOGIN, {"username": reader.email, "password": PASSWORD})
    assert forged.status_code == 403
    assert "_auth_user_id" not in strict.session


def test_logout_is_a_post_and_ends_the_session(client):
    client.force_login(UserFactory())
    header = page_text(client.get("/"))

    refused = client.get("/account/logout/")
    response = client.post("/account/logout/")

    assert 'action="/account/logout/"' in header
    assert refused.status_code == 405
    assert response.status_code == 200
    assert "Vous êtes déconnecté" in page_text(response)
    assert logged_in_as(client) is None


def test_staff_sessions_end_sooner_from_the_public_login_too(client):
    log_in(client, SteeringFactory().email)
    assert client.session.get_expiry_age() == settings.PILOTAGE_STAFF_SESSION_AGE

    client.post("/account/logout/")
    log_in(client, JuryMemberFactory().email)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def test_staff_with_an_authenticator_give_its_code_and_then_open_the_back_office(client):
    steering = SteeringFactory()
    device = TOTPDevice.objects.create(user=steering, name="phone", confirmed=True)

    asked = log_in(client, steering.email)
    assert logged_in_as(client) is None
    response = log_in(client, steering.email, otp_token=current_code(device))

    assert "Saisissez le code que montre votre application d'authentification." in (
        page_text(asked)
    )
    assert 'autocomplete="one-time-code"' in page_text(asked)
    assert response["Location"] == ACCOUNT
    assert client.get("/admin/").status_code == 200  # verified: the back-office opens


def test_whoever_set_two_authenticators_picks_one(client):
    steering = SteeringFactory()
    TOTPDevice.objects.create(user=steering, name="ordinateur", confirmed=True)
    phone = TOTPDevice.objects.create(user=steering, name="téléphone", confirmed=True)

    asked = log_in(client, steering.email)
    response = log_in(
        client, steering.email, otp_device=phone.persistent_id, otp_token=current_code(phone)
    )

    assert '<option value="' + phone.persistent_id + '">téléphone</option>' in page_text(asked)
    assert response["Location"] == ACCOUNT


def test_a_wrong_code_is_refused(client):
    steering = SteeringFactory()
    device = TOTPDevice.objects.create(user=steering, name="phone", confirmed=True)
    wrong = f"{(int(current_code(device)) + 1) % 10**device.digits:0{device.digits}d}"

    response = log_in(client, steering.email, otp_token=wrong)

    assert "Le code n'est pas correct ou a expiré." in page_text(response)
    assert logged_in_as(client) is None


def test_jury_members_and_readers_who_reach_the_back_office_get_their_page(client):
    client.force_login(JuryMemberFactory())

    response = client.get("/admin/", follow=True)

    assert response.redirect_chain[-1] == (ACCOUNT, 302)
    assert "Vos évaluations" in page_text(response)


@pytest.mark.parametrize("factory", [JuryMemberFactory, UserFactory])
def test_jury_members_and_readers_logging_in_at_the_back_office_get_their_page(client, factory):
    user = factory()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.email, "password": PASSWORD, "next": "/admin/"},
        follow=True,
    )

    assert response.redirect_chain[-1] == (ACCOUNT, 302)
    assert "<h1>Mon espace</h1>" in page_text(response)
    assert client.get("/admin/accounts/user/").status_code == 302  # still no back-office
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_the_back_office_login_stays_for_staff(client):
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/login/").status_code == 200


def test_a_password_reset_sends_a_link_in_the_visitors_language_that_sets_a_new_password(
    client,
):
    reader = UserFactory(email="lea@example.org")

    response = client.post("/de/account/password/reset/", {"email": "LEA@example.org"})
    unknown = client.post("/de/account/password/reset/", {"email": "nobody@example.org"})

    assert response["Location"] == unknown["Location"] == "/de/account/password/reset/sent/"
    [message] = mail.outbox
    assert message.to == ["lea@example.org"]
    assert "neues Passwort" in message.subject
    link = re.search(r"http://testserver(/de/account/password/reset/\S+/)", message.body)[1]
    form = client.get(link, follow=True)
    new_password = "a brand new long passphrase"
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done["Location"] == "/de/account/password/reset/done/"
    reader.refresh_from_db()
    assert reader.check_password(new_password)
    assert log_in(Client(), reader.email, new_password)["Location"] == ACCOUNT
