"""Who a user is, as the other apps' `can_*` functions need to know it (pure functions)."""

from __future__ import annotations

from pilotage.accounts.models import Role


def is_active_user(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_steering(user) -> bool:
    """Steering staff have full write access; superusers count as steering staff."""
    return is_active_user(user) and (user.is_superuser or user.role == Role.STEERING)


def is_partner_editor(user) -> bool:
    return is_active_user(user) and user.role == Role.PARTNER_EDITOR


def is_jury_member(user) -> bool:
    return is_active_user(user) and user.role == Role.JURY_MEMBER


def owns(user, organisation_id: int | None) -> bool:
    """Whether a partner editor's organisation is `organisation_id`."""
    return (
        is_partner_editor(user)
        and user.organisation_id is not None
        and user.organisation_id == organisation_id
    )


def can_view_backoffice(user) -> bool:
    return is_steering(user) or is_partner_editor(user)


def can_manage_users(user) -> bool:
    return is_steering(user)


def can_grant_superuser(user) -> bool:
    """Superuser status, which bypasses every role, is granted by a superuser only."""
    return is_active_user(user) and user.is_superuser
