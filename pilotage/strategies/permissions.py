"""Who may change strategies, nodes and actions (pure functions, used by every interface)."""

from __future__ import annotations

from pilotage.accounts.permissions import is_partner_editor, is_steering, owns


def can_change_strategy(user, strategy=None) -> bool:
    """Strategies and their trees are the steering team's."""
    return is_steering(user)


def can_create_action(user, lead_id: int | None = None) -> bool:
    """Steering staff, or a partner editor for an action its own organisation leads."""
    if is_steering(user):
        return True
    return lead_id is not None and owns(user, lead_id)


def can_change_action(user, action=None) -> bool:
    """Steering staff, or a partner editor whose organisation leads the action."""
    if is_steering(user):
        return True
    if action is None:
        # May the user change *some* action? (for menus and list pages)
        return is_partner_editor(user) and user.organisation_id is not None
    return owns(user, action.lead_id)


def can_delete_action(user, action=None) -> bool:
    """Only steering staff delete actions: a partner sets its own to cancelled instead."""
    return is_steering(user)
