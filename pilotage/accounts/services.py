"""Writes on users."""

from __future__ import annotations

from django.db import transaction

from pilotage.accounts.models import Role, User
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
