"""Writes on budget lines (steering staff only; published figures come from data files)."""

from __future__ import annotations

from django.db import transaction

from pilotage.accounts.permissions import is_steering
from pilotage.budgets.models import BudgetLine
from pilotage.core.audit import acting_as
from pilotage.core.permissions import require


@transaction.atomic
def budget_line_save(*, actor, line: BudgetLine) -> BudgetLine:
    require(is_steering(actor), "Only steering staff change budgets.")
    with acting_as(actor):
        line.full_clean()
        line.save()
    return line


@transaction.atomic
def budget_line_delete(*, actor, line: BudgetLine) -> None:
    require(is_steering(actor), "Only steering staff change budgets.")
    with acting_as(actor):
        line.delete()
