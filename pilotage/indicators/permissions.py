"""Who may define indicators, report their values and read the unpublished ones."""

from __future__ import annotations

from pilotage.accounts.permissions import is_partner_editor, is_steering, owns


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


def can_view_unpublished(user, indicator=None) -> bool:
    """Values not yet published are read by steering staff and by the partner editors of
    the organisation reporting them: the role decides, not the organisation an account
    names (a reader or a jury member tied to an organisation reads only what is
    published). Without `indicator`, whether the user reads any unpublished value."""
    if is_steering(user):
        return True
    if indicator is None:
        return is_partner_editor(user) and user.organisation_id is not None
    return owns(user, owner_organisation_id(indicator))


def can_view_report(user) -> bool:
    """A quarterly report holds every organisation's validated values, published or not:
    a document of steering staff (a partner reads its own values on its campaign page)."""
    return is_steering(user)
