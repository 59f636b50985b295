"""Two factors, optional: whoever sets an authenticator app (TOTP) gives its code at each
back-office login; each person sets their own."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pilotage.accounts.services import totp_device_save
from pilotage.accounts.tests.factories import SteeringFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the factories'


def current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in(client, email: str, **fields):
    return client.post(
        reverse("admin:login"),
        {"username": email, "password": PASSWORD, "next": reverse("admin:index"), **fields},
    )


def test_without_an_authenticator_the_password_is_enough(client):
    user = SteeringFactory()
    assert log_in(client, user.email).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_with_an_authenticator_the_password_alone_or_a_wrong_code_is_refused(client):
    user = SteeringFactory()
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    wrong = f"{(int(current_code(device)) + 1) % 10**device.digits:0{device.digits}d}"

    alone = log_in(client, user.email)
    with_wrong_code = log_in(client, user.email, otp_token=wrong)

    assert (alone.status_code, with_wrong_code.status_code) == (200, 200)
    assert "_auth_user_id" not in client.session


def test_with_an_authenticator_its_code_opens_the_back_office(client):
    user = SteeringFactory()
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)

    response = log_in(client, user.email, otp_token=current_code(device))

    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_a_session_without_the_code_does_not_open_the_back_office(client):
    user = SteeringFactory()
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.force_login(user)  # a session opened past the login form: not verified

    assert client.get(reverse("admin:index")).status_code == 302


def test_each_person_sets_their_own_authenticator(client):
    steering, other = SteeringFactory(), SteeringFactory()
    others_device = TOTPDevice.objects.create(user=other, name="theirs", confirmed=True)
    client.force_login(steering)

    response = client.post(
        reverse("admin:otp_totp_totpdevice_add"),
        {
            "user": other.pk,  # forged: the field is read-only for them
            "name": "my phone",
            "confirmed": "on",
            "key": "3132333435363738393031323334353637383930",
            "step": 30,
            "t0": 0,
            "digits": 6,
            "tolerance": 1,
            "drift": 0,
            "throttling_failure_count": 0,
        },
    )
    listing = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    theirs = client.get(reverse("admin:otp_totp_totpdevice_change", args=[others_device.pk]))

    assert response.status_code == 302
    assert TOTPDevice.objects.get(name="my phone").user == steering
    assert "theirs" not in listing.content.decode()
    assert theirs.status_code == 302  # not among theirs: back to the list


def test_the_service_refuses_a_device_for_someone_else():
    steering, other = SteeringFactory(), SteeringFactory()
    with pytest.raises(PermissionDenied):
        totp_device_save(actor=steering, device=TOTPDevice(user=other, name="x"))
    assert not TOTPDevice.objects.exists()


def test_the_qr_code_is_shown_to_its_owner_only(client):
    steering, other = SteeringFactory(), SteeringFactory()
    mine = TOTPDevice.objects.create(user=steering, name="mine", confirmed=False)
    theirs = TOTPDevice.objects.create(user=other, name="theirs", confirmed=False)
    client.force_login(steering)

    own = client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[mine.pk]))
    others = client.get(reverse("admin:otp_totp_totpdevice_qrcode", args=[theirs.pk]))

    assert (own.status_code, own["Content-Type"]) == (200, "image/svg+xml")
    assert own.content.startswith(b"<?xml")
    assert others.status_code == 403
