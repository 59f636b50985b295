"""Writes on strategies, nodes and actions. Every write checks its permission here."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from pilotage.core.audit import acting_as
from pilotage.core.datafiles import LANGUAGES
from pilotage.core.permissions import require
from pilotage.core.revisions import ChangeKind, changed
from pilotage.registry.models import Organisation
from pilotage.strategies.models import (
    Action,
    ActionPartner,
    Strategy,
    StrategyLevel,
    StrategyNode,
)
from pilotage.strategies.permissions import (
    can_change_action,
    can_change_strategy,
    can_create_action,
    can_delete_action,
)
from pilotage.taxonomies.models import Term

# Texts are given per language (title_fr, title_nl ...): a service never guesses which.
ACTION_EDITABLE_FIELDS = {
    *(f"{field}_{language}" for field in ("title", "description") for language in LANGUAGES),
    "type",
    "start_date",
    "end_date",
    "status",
    "lead",
}


def _stored_lead_id(action: Action) -> int | None:
    """The lead as stored, whatever the in-memory instance says (a form may have changed it)."""
    return Action.objects.filter(pk=action.pk).values_list("lead_id", flat=True).first()


def _require_action_write(actor, action: Action) -> None:
    if action.pk is None:
        require(
            can_create_action(actor, lead_id=action.lead_id),
            "You may create actions only for your own organisation.",
        )
        return
    stored = Action(pk=action.pk, lead_id=_stored_lead_id(action))
    require(can_change_action(actor, stored), "Your organisation does not lead this action.")
    # Nor may a partner hand its action over to another organisation.
    require(can_change_action(actor, action), "You may not give the lead to another organisation.")


@transaction.atomic
def strategy_save(*, actor, strategy: Strategy) -> Strategy:
    """Create or change a strategy."""
    require(can_change_strategy(actor, strategy), "Only steering staff change strategies.")
    with acting_as(actor):
        strategy.full_clean()
        strategy.save()
    changed(ChangeKind.STRUCTURE)
    return strategy


@transaction.atomic
def strategy_delete(*, actor, strategy: Strategy) -> None:
    require(can_change_strategy(actor, strategy), "Only steering staff change strategies.")
    with acting_as(actor):
        strategy.delete()
    changed(ChangeKind.STRUCTURE)


@transaction.atomic
def level_save(*, actor, level: StrategyLevel) -> StrategyLevel:
    """Create or rename a level of a strategy's tree."""
    require(can_change_strategy(actor, level.strategy), "Only steering staff change strategies.")
    with acting_as(actor):
        level.full_clean()
        level.save()
    changed(ChangeKind.LABEL)
    return level


@transaction.atomic
def level_delete(*, actor, level: StrategyLevel) -> None:
    require(can_change_strategy(actor, level.strategy), "Only steering staff change strategies.")
    with acting_as(actor):
        level.delete()
    changed(ChangeKind.STRUCTURE)


@transaction.atomic
def node_save(*, actor, node: StrategyNode) -> StrategyNode:
    """Create or change a node of a strategy's tree."""
    require(can_change_strategy(actor, node.strategy), "Only steering staff change strategies.")
    with acting_as(actor):
        node.full_clean()
        node.save()
    changed(ChangeKind.STRUCTURE)
    return node


@transaction.atomic
def node_delete(*, actor, node: StrategyNode) -> None:
    require(can_change_strategy(actor, node.strategy), "Only steering staff change strategies.")
    with acting_as(actor):
        node.delete()
    changed(ChangeKind.STRUCTURE)


@transaction.atomic
def action_save(*, actor, action: Action) -> Action:
    """Save an action built or changed in memory (by a form or the loader)."""
    _require_action_write(actor, action)
    stored_weight = (
        Action.objects.filter(pk=action.pk).values_list("weight", flat=True).first()
        if action.pk
        else None
    )
    with acting_as(actor):
        action.full_clean()
        action.save()
    # Its weight counts in its nodes' progress; its texts and dates are only shown.
    changed(ChangeKind.LABEL if stored_weight == action.weight else ChangeKind.STRUCTURE)
    return action


@transaction.atomic
def action_create(*, actor, code: str, lead: Organisation | None = None, **fields) -> Action:
    """Create an action; a partner editor may only create actions its organisation leads."""
    unknown = set(fields) - ACTION_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Unknown action fields: {', '.join(sorted(unknown))}")
    return action_save(actor=actor, action=Action(code=code, lead=lead, **fields))


@transaction.atomic
def action_update(*, actor, action: Action, **changes) -> Action:
    """Change some fields of an action."""
    unknown = set(changes) - ACTION_EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"Unknown action fields: {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(action, field, value)
    return action_save(actor=actor, action=action)


@transaction.atomic
def action_delete(*, actor, action: Action) -> None:
    require(can_delete_action(actor, action), "Only steering staff delete actions.")
    with acting_as(actor):
        action.delete()
    changed(ChangeKind.STRUCTURE)


@transaction.atomic
def action_partners_set(
    *, actor, action: Action, partners: Iterable[tuple[Organisation, str]]
) -> list[ActionPartner]:
    """Make `partners` (organisation, role) the action's partners."""
    _require_action_write(actor, action)
    partners = list(partners)
    wanted = {organisation.pk: role for organisation, role in partners}
    if len(wanted) != len(partners):
        raise ValidationError("An organisation can be a partner of an action only once.")
    with acting_as(actor):
        for partnership in action.partnerships.all():
            if partnership.organisation_id not in wanted:
                partnership.delete()
            elif partnership.role != wanted[partnership.organisation_id]:
                partnership.role = wanted[partnership.organisation_id]
                partnership.save()
        present = set(action.partnerships.values_list("organisation_id", flat=True))
        for organisation, role in partners:
            if organisation.pk not in present:
                ActionPartner.objects.create(action=action, organisation=organisation, role=role)
    changed(ChangeKind.LABEL)
    return list(action.partnerships.all())


@transaction.atomic
def partnership_save(*, actor, partnership: ActionPartner) -> ActionPartner:
    """Add or change one partner of an action (the action's lead decides)."""
    _require_action_write(actor, partnership.action)
    with acting_as(actor):
        partnership.full_clean()
        partnership.save()
    changed(ChangeKind.LABEL)
    return partnership


@transaction.atomic
def partnership_delete(*, actor, partnership: ActionPartner) -> None:
    _require_action_write(actor, partnership.action)
    with acting_as(actor):
        partnership.delete()
    changed(ChangeKind.LABEL)


@transaction.atomic
def action_nodes_set(*, actor, action: Action, nodes: Iterable[StrategyNode]) -> None:
    """Attach the action to these nodes, possibly of several strategies."""
    _require_action_write(actor, action)
    with acting_as(actor):
        action.nodes.set(list(nodes))
    changed(ChangeKind.STRUCTURE)


@transaction.atomic
def action_target_audiences_set(*, actor, action: Action, audiences: Iterable[Term]) -> None:
    _require_action_write(actor, action)
    audiences = list(audiences)
    for term in audiences:
        if term.taxonomy.code != "target-audiences":
            raise ValidationError(f"{term.code} is not a target audience.")
    with acting_as(actor):
        action.target_audiences.set(audiences)
    changed(ChangeKind.LABEL)
