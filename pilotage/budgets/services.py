"""Writes on budget lines (steering staff only; published figures come from data files)."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.accounts.permissions import is_steering
from pilotage.budgets.models import BudgetLine, Reallocation, ReallocationState
from pilotage.core.audit import acting_as
from pilotage.core.permissions import require
from pilotage.core.revisions import ChangeKind, changed


@transaction.atomic
def budget_line_save(*, actor, line: BudgetLine) -> BudgetLine:
    """Save a line; a corrected published amount keeps the reallocations approved on it
    (the current amount moves by the same difference)."""
    require(is_steering(actor), _("Only steering staff change budgets."))
    if line.pk and line.revised_amount is not None:
        published = BudgetLine.objects.filter(pk=line.pk).values_list("amount", flat=True).first()
        if published is not None and published != line.amount:
            line.revised_amount += line.amount - published
    with acting_as(actor):
        line.full_clean()
        line.save()
    changed(ChangeKind.LABEL)  # the public pages show it
    return line


@transaction.atomic
def budget_line_delete(*, actor, line: BudgetLine) -> None:
    require(is_steering(actor), _("Only steering staff change budgets."))
    if Reallocation.objects.filter(models.Q(from_line=line) | models.Q(to_line=line)).exists():
        raise ValidationError(
            _("This line has reallocations: it is kept for their history."), code="history"
        )
    with acting_as(actor):
        line.delete()
    changed(ChangeKind.LABEL)  # the public pages show it


def _available(line: BudgetLine) -> Decimal:
    """What a line can still give: its current amount less the moves waiting for approval."""
    pending = Reallocation.objects.filter(
        from_line=line, state=ReallocationState.PENDING
    ).aggregate(total=models.Sum("amount"))["total"]
    return line.current_amount - (pending or Decimal(0))


def reallocation_totals(*lines: BudgetLine) -> dict[str, dict[str, str]]:
    """The amounts a reallocation touches, as they stand: each line's, and the totals of
    its flow for each strategy and node above the lines (strategy code, or
    "strategy/node")."""
    from pilotage.budgets.selectors import budget_totals, line_scopes

    totals: dict[str, dict[str, str]] = {"lines": {}, "totals": {}}
    for line in lines:
        totals["lines"][line.code] = str(line.current_amount)
        for strategy, node in line_scopes(line):
            key = strategy.code if node is None else f"{strategy.code}/{node.code}"
            if key not in totals["totals"]:
                found = budget_totals(strategy, node=node, flow=line.flow)["total"].total
                totals["totals"][key] = str(found)
    return totals


def reallocation_check(
    *, from_line: BudgetLine, to_line: BudgetLine, amount: Decimal, reason: str
) -> None:
    """Refuse a move that cannot be asked for (ValidationError with a code per reason)."""
    if not reason.strip():
        raise ValidationError(_("Give a reason."), code="reason")
    if from_line.pk == to_line.pk:
        raise ValidationError(_("Move money between two different lines."), code="same_line")
    if from_line.is_declared_total or to_line.is_declared_total:
        raise ValidationError(_("A declared total is compared, never moved."), code="total")
    if from_line.flow != to_line.flow:
        raise ValidationError(_("Both lines must be of the same flow."), code="flow")
    if amount is None or amount <= 0:
        raise ValidationError(_("Move a positive amount."), code="amount")
    available = _available(from_line)
    if amount > available:
        raise ValidationError(
            _("%(amount)s € is more than the %(available)s € the line still has.")
            % {"amount": amount, "available": available},
            code="too_large",
        )


@transaction.atomic
def reallocation_request(
    *, actor, from_line: BudgetLine, to_line: BudgetLine, amount: Decimal, reason: str
) -> Reallocation:
    """Ask to move `amount` between two lines; it counts only once a second person approves."""
    require(is_steering(actor), _("Only steering staff reallocate budgets."))
    # Requests on the same line wait for each other: "what is left" stays true.
    from_line = BudgetLine.objects.select_for_update().get(pk=from_line.pk)
    reallocation_check(from_line=from_line, to_line=to_line, amount=amount, reason=reason)
    reallocation = Reallocation(
        from_line=from_line, to_line=to_line, amount=amount, reason=reason, requested_by=actor
    )
    with acting_as(actor):
        reallocation.full_clean()
        reallocation.save()
    return reallocation


@transaction.atomic
def reallocation_decide(
    *, actor, reallocation: Reallocation, approve: bool, note: str = ""
) -> Reallocation:
    """A second steering member approves (the amounts move) or rejects the request."""
    require(is_steering(actor), _("Only steering staff reallocate budgets."))
    if reallocation.requested_by_id == actor.pk:
        raise PermissionDenied(_("A second person must approve a reallocation."))
    if reallocation.state != ReallocationState.PENDING:
        raise ValidationError(_("This reallocation is already decided."), code="decided")
    lines = BudgetLine.objects.select_for_update(of=("self",)).select_related("strategy")
    source = lines.get(pk=reallocation.from_line_id)
    target = lines.get(pk=reallocation.to_line_id)
    with acting_as(actor):
        if approve:
            if reallocation.amount > source.current_amount:
                raise ValidationError(_("The line no longer has this amount."), code="too_large")
            reallocation.totals_before = reallocation_totals(source, target)
            source.revised_amount = source.current_amount - reallocation.amount
            target.revised_amount = target.current_amount + reallocation.amount
            source.save(update_fields=["revised_amount", "updated_at"])
            target.save(update_fields=["revised_amount", "updated_at"])
            reallocation.totals_after = reallocation_totals(source, target)
        reallocation.state = ReallocationState.APPROVED if approve else ReallocationState.REJECTED
        reallocation.decided_by = actor
        reallocation.decided_at = timezone.now()
        reallocation.decision_note = note
        reallocation.save()
    changed(ChangeKind.LABEL)  # the public pages show it
    return reallocation
