"""Who may change organisations."""

from __future__ import annotations

from pilotage.accounts.permissions import is_steering, owns


def can_create_organisation(user) -> bool:
    return is_steering(user)


def can_change_organisation(user, organisation=None) -> bool:
    """Steering staff, or a partner editor for its own organisation's profile."""
    if is_steering(user):
        return True
    return organisation is not None and owns(user, organisation.pk)


def can_delete_organisation(user, organisation=None) -> bool:
    return is_steering(user)
