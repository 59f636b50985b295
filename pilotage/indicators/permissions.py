"""Who may define indicators and report their values."""

from __future__ import annotations

from pilotage.accounts.permissions import is_steering, owns


def can_change_indicator(user, indicator=None) -> bool:
    """Indicators, their targets and formulas are the steering team's."""
    return is_steering(user)


def owner_organisation_id(indicator) -> int | None:
    """The organisation that reports an indicator: the lead of its action."""
    return indicator.action.lead_id if indicator.action_id else None


def can_report(user, indicator) -> bool:
    """Steering staff, or a partner editor for an indicator of an action it leads."""
    if indicator.is_computed:
        return False
    return is_steering(user) or owns(user, owner_organisation_id(indicator))


def can_validate(user, observation=None) -> bool:
    return is_steering(user)
