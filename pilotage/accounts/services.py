"""Writes on users."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from pilotage.accounts.models import ApiToken, Role, User
from pilotage.accounts.permissions import can_manage_users
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
