"""Writes on users."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets

from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from pilotage.accounts.models import ApiToken, Role, User
from pilotage.accounts.permissions import (
    can_grant_superuser,
    can_manage_users,
    can_view_backoffice,
)
from pilotage.core.audit import acting_as
from pilotage.core.permissions import require

BACKOFFICE_ROLES = {Role.STEERING, Role.PARTNER_EDITOR}


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    email: str,
    role: str = Role.READER,
    organisation=None,
    full_name: str = "",
    password: str | None = None,
) -> User:
    """Create an account; back-office access follows from the role. `actor` None: the system."""
    if actor is not None:
        require(can_manage_users(actor), "Only steering staff manage accounts.")
    with acting_as(actor):
        user = User(
            email=email,
            role=role,
            organisation=organisation,
            full_name=full_name,
            is_staff=role in BACKOFFICE_ROLES,
        )
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save()
    return user


@transaction.atomic
def user_save(*, actor: User, user: User) -> User:
    """Save an account edited in the back-office; only a superuser makes or edits a superuser."""
    require(can_manage_users(actor), "Only steering staff manage accounts.")
    stored = User.objects.filter(pk=user.pk).values_list("is_superuser", flat=True).first()
    if not can_grant_superuser(actor):
        # Neither granting the flag (to oneself or anyone) nor taking over a superuser's
        # account (its e-mail, its password) may leave a superuser's hands.
        require(not user.is_superuser, "Only a superuser grants superuser status.")
        require(not stored, "Only a superuser edits a superuser's account.")
    with acting_as(actor):
        user.save()
    return user


LOCKOUT_EVENT = "login-locked-out"


@transaction.atomic
def login_lockout_record(*, username: str | None, ip_address: str | None) -> LogEntry | None:
    """Put a login lockout in the audit trail, once per address and cool-off (no actor:
    nobody is logged in); on the account's history when the account exists."""
    address = ip_address if _is_ip_address(ip_address) else None
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    # Every refused attempt during a lockout says so again: one entry is enough, and an
    # address cannot fill the audit trail.
    if LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        additional_data__event=LOCKOUT_EVENT,
        remote_addr=address,
        timestamp__gte=since,
    ).exists():
        return None
    username = (username or "")[:254]
    user = User.objects.filter(email__iexact=username).first() if username else None
    return LogEntry.objects.create(
        content_type=ContentType.objects.get_for_model(User),
        object_pk=str(user.pk) if user else "",
        object_id=user.pk if user else None,
        object_repr=username,
        action=LogEntry.Action.ACCESS,
        remote_addr=address,
        additional_data={"event": LOCKOUT_EVENT, "username": username, "ip_address": address},
    )


@transaction.atomic
def login_attempts_clear(*, actor: User, attempts: list[AccessAttempt]) -> int:
    """Forget failed logins, lifting their lockout before the cool-off ends."""
    require(can_manage_users(actor), "Only steering staff lift a login lockout.")
    deleted, _ = AccessAttempt.objects.filter(pk__in=[a.pk for a in attempts]).delete()
    return deleted


@transaction.atomic
def totp_device_save(*, actor: User, device: TOTPDevice) -> TOTPDevice:
    """Save an authenticator app's device; each person sets their own (a superuser: anyone's)."""
    require(can_view_backoffice(actor), "Only back-office users set a second factor.")
    if not can_grant_superuser(actor):
        require(device.user_id == actor.pk, "Each person sets their own second factor.")
    with acting_as(actor):
        device.save()
    return device


@transaction.atomic
def totp_device_delete(*, actor: User, device: TOTPDevice) -> None:
    """Remove a second factor: its owner, or a superuser (for a lost phone)."""
    require(
        can_grant_superuser(actor) or (can_view_backoffice(actor) and device.user_id == actor.pk),
        "Each person removes their own second factor.",
    )
    with acting_as(actor):
        device.delete()


def _is_ip_address(value: str | None) -> bool:
    try:
        ipaddress.ip_address(value or "")
    except ValueError:
        return False
    return True


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def token_issue(*, actor: User, user: User, name: str) -> tuple[ApiToken, str]:
    """Issue an API key acting as `user`; returns the token and the key, shown only now."""
    require(can_manage_users(actor), "Only steering staff issue API tokens.")
    key = secrets.token_urlsafe(32)
    with acting_as(actor):
        token = ApiToken.objects.create(
            user=user, name=name, prefix=key[:8], key_hash=token_hash(key), issued_by=actor
        )
    return token, key


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    require(can_manage_users(actor), "Only steering staff revoke API tokens.")
    token.revoked_at = timezone.now()
    with acting_as(actor):
        token.save(update_fields=["revoked_at"])
    return token


def token_user(key: str) -> User | None:
    """The account an API key acts as, or None for an unknown or revoked key."""
    token = (
        ApiToken.objects.active().select_related("user").filter(key_hash=token_hash(key)).first()
    )
    if token is None:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
