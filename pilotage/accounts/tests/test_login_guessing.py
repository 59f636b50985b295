"""The login resists guessing: lockout per address and per account from an address, a
cool-off, the audit trail, shorter staff sessions, long passwords, and a superuser flag
only a superuser grants."""

from datetime import timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from pilotage.accounts.models import Role, User
from pilotage.accounts.services import user_save
from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories'
ADDRESS = "203.0.113.7"
OTHER_ADDRESS = "198.51.100.20"


def log_in(client, email: str, password: str, address: str = ADDRESS, login: str = "admin:login"):
    return client.post(
        reverse(login),
        {"username": email, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
    )


# The back-office's login and the public one, which every role uses: the same defences.
LOGINS = pytest.mark.parametrize("login", ["admin:login", "accounts:login"])


def logged_in_as(client) -> int | None:
    session_user = client.session.get("_auth_user_id")
    return int(session_user) if session_user else None


@LOGINS
def test_twenty_wrong_passwords_lock_the_login_and_the_right_one_is_then_refused(client, login):
    user = SteeringFactory(email="ana@example.org")

    statuses = [
        log_in(client, user.email, f"guess number {n}", login=login).status_code for n in range(20)
    ]
    right = log_in(client, user.email, PASSWORD, login=login)

    limit = settings.AXES_FAILURE_LIMIT
    assert statuses == [200] * (limit - 1) + [429] * (20 - limit + 1)
    assert right.status_code == 429
    assert logged_in_as(client) is None


@LOGINS
def test_the_lockout_page_says_the_same_whether_the_account_exists_or_not(client, login):
    SteeringFactory(email="ana@example.org")

    for _ in range(settings.AXES_FAILURE_LIMIT):
        existing = log_in(client, "ana@example.org", "wrong password", ADDRESS, login)
        unknown = log_in(client, "nobody@example.org", "wrong password", OTHER_ADDRESS, login)

    assert (existing.status_code, unknown.status_code) == (429, 429)
    assert existing.content == unknown.content
    assert b"example.org" not in existing.content
    assert "15 minutes" in existing.content.decode()


def test_a_lockout_by_address_refuses_a_second_account_from_that_address_only(client):
    first, second = SteeringFactory(), SteeringFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, first.email, "wrong password")

    from_same_address = log_in(client, second.email, PASSWORD)
    assert from_same_address.status_code == 429
    assert logged_in_as(client) is None

    from_elsewhere = log_in(client, second.email, PASSWORD, address=OTHER_ADDRESS)
    assert from_elsewhere.status_code == 302
    assert logged_in_as(client) == second.pk


def test_the_right_password_works_again_after_the_cool_off(client):
    user = SteeringFactory()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, user.email, "wrong password")

        traveller.shift(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))
        assert log_in(client, user.email, PASSWORD).status_code == 429

        # The refused attempt counted: the cool-off starts again from it.
        traveller.shift(settings.AXES_COOLOFF_TIME + timedelta(seconds=1))
        response = log_in(client, user.email, PASSWORD)

    assert response.status_code == 302
    assert logged_in_as(client) == user.pk


def test_staff_unlock_an_address_from_the_command_line(client):
    user = SteeringFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, user.email, "wrong password")

    call_command("axes_reset_ip", ADDRESS)

    assert log_in(client, user.email, PASSWORD).status_code == 302


@LOGINS
def test_a_lockout_is_in_the_audit_trail_once_and_on_the_account_history(client, login):
    user = SteeringFactory(email="ana@example.org")
    for _ in range(20):
        log_in(client, "Ana@Example.org", "wrong password", login=login)

    entries = LogEntry.objects.filter(additional_data__event="login-locked-out")
    assert [(e.object_pk, e.remote_addr, e.actor_id) for e in entries] == [
        (str(user.pk), ADDRESS, None)
    ]

    # Read back as steering staff read the audit trail: the whole trail, then the account's.
    reader = SteeringFactory()
    client.force_login(reader)
    message = f"Login locked out after too many failed attempts from {ADDRESS}."
    with translation.override("en"):
        trail = client.get(reverse("admin:auditlog_logentry_changelist"))
        history = client.get(reverse("admin:accounts_user_auditlog", args=[user.pk]))
    assert message in trail.content.decode()
    assert message in history.content.decode()


def test_a_lockout_on_an_unknown_account_is_in_the_audit_trail_too(client):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "nobody@example.org", "wrong password")

    entry = LogEntry.objects.get(additional_data__event="login-locked-out")
    assert (entry.object_pk, entry.object_repr, entry.remote_addr) == (
        "",
        "nobody@example.org",
        ADDRESS,
    )


@LOGINS
def test_an_overlong_username_is_refused_like_any_other(client, login):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, "x" * 5000 + "@example.org", "wrong password", login=login)
    assert response.status_code == 429


def test_staff_sessions_end_sooner_than_the_others(client):
    staff = SteeringFactory()
    response = log_in(client, staff.email, PASSWORD)

    assert response.status_code == 302
    assert client.session.get_expiry_age() == 8 * 3600
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 3600

    reader = UserFactory(role=Role.READER)
    client.logout()
    client.force_login(reader)
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE == 24 * 3600


def test_passwords_are_twelve_characters_at_least():
    with pytest.raises(ValidationError) as refused:
        validate_password("Tg7#kq2!Lp")  # 10 characters, not common, not numeric
    assert [error.code for error in refused.value.error_list] == ["password_too_short"]
    validate_password("Tg7#kq2!Lp9@")


def test_the_back_office_refuses_a_ten_character_password(client):
    client.force_login(SteeringFactory(is_superuser=True))
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "new@example.org",
            "role": Role.READER,
            "password1": "Tg7#kq2!Lp",
            "password2": "Tg7#kq2!Lp",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="new@example.org").exists()


def change_form_data(user: User, **changes) -> dict:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "role": user.role,
        "organisation": "",
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "date_joined_0": user.date_joined.strftime("%d/%m/%Y"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        **changes,
    }


def test_steering_staff_cannot_make_themselves_superuser(client):
    steering = SteeringFactory()
    client.force_login(steering)

    response = client.post(
        reverse("admin:accounts_user_change", args=[steering.pk]),
        change_form_data(steering, full_name="Ana Renamed", is_superuser="on"),
    )

    assert response.status_code == 302  # the form was saved...
    steering.refresh_from_db()
    assert (steering.full_name, steering.is_superuser) == ("Ana Renamed", False)  # ...not the flag


def test_steering_staff_cannot_make_another_user_superuser(client):
    client.force_login(SteeringFactory())
    other = SteeringFactory()

    response = client.post(
        reverse("admin:accounts_user_change", args=[other.pk]),
        change_form_data(other, is_superuser="on"),
    )

    assert response.status_code == 302
    other.refresh_from_db()
    assert other.is_superuser is False


def test_a_superuser_grants_superuser_status(client):
    client.force_login(SteeringFactory(is_superuser=True))
    other = SteeringFactory()

    response = client.post(
        reverse("admin:accounts_user_change", args=[other.pk]),
        change_form_data(other, is_superuser="on"),
    )

    assert response.status_code == 302
    other.refresh_from_db()
    assert other.is_superuser is True


def test_steering_staff_cannot_take_over_a_superusers_account(client):
    superuser = SteeringFactory(is_superuser=True)
    client.force_login(SteeringFactory())

    change = client.post(
        reverse("admin:accounts_user_change", args=[superuser.pk]),
        change_form_data(superuser, email="mine@example.org"),
    )
    password = client.post(
        reverse("admin:auth_user_password_change", args=[superuser.pk]),
        {"password1": "a new long passphrase", "password2": "a new long passphrase"},
    )

    assert (change.status_code, password.status_code) == (403, 403)
    superuser.refresh_from_db()
    assert superuser.email != "mine@example.org"
    assert superuser.check_password(PASSWORD)


def test_the_service_refuses_the_flag_whatever_the_interface():
    steering = SteeringFactory()
    steering.is_superuser = True

    with pytest.raises(PermissionDenied):
        user_save(actor=User.objects.get(pk=steering.pk), user=steering)
    steering.refresh_from_db()
    assert steering.is_superuser is False


def test_steering_staff_see_the_failed_logins_and_lift_a_lockout(client):
    user = SteeringFactory()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, user.email, "wrong password")
    attempt = AccessAttempt.objects.get(ip_address=ADDRESS)

    staff = Client()
    staff.force_login(SteeringFactory())
    listing = staff.get(reverse("admin:axes_accessattempt_changelist"))
    deleted = staff.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )

    assert listing.status_code == 200
    assert user.email in listing.content.decode()
    assert deleted.status_code == 302
    assert log_in(client, user.email, PASSWORD).status_code == 302


def test_partner_editors_do_not_see_the_failed_logins(client):
    client.force_login(PartnerEditorFactory())
    response = client.get(reverse("admin:axes_accessattempt_changelist"))
    assert response.status_code == 403


@override_settings(PILOTAGE_CLIENT_ADDRESS_HEADER="HTTP_X_FORWARDED_FOR")
def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(client):
    user = SteeringFactory()
    proxy = "10.0.0.2"
    for n in range(settings.AXES_FAILURE_LIMIT):
        # What the client wrote before the proxy's entry changes nothing.
        client.post(
            reverse("admin:login"),
            {"username": user.email, "password": "wrong password"},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {ADDRESS}",
        )

    def right_password_from(address: str):
        return client.post(
            reverse("admin:login"),
            {"username": user.email, "password": PASSWORD, "next": reverse("admin:index")},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=address,
        )

    assert right_password_from(ADDRESS).status_code == 429
    assert right_password_from("not an address").status_code == 302
    assert AccessAttempt.objects.get().ip_address == ADDRESS
