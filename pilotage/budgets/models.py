"""Budget lines: money planned, revised, committed and paid, by source and year.

A figure is declared once, at the level its source gives it. A declared total (a
published sum) is kept as published and compared with the sum of its parts; it is never
added into another total, so no euro is counted twice.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotage.core.models import TimeStampedModel
from pilotage.taxonomies.models import code_validator


class Flow(models.TextChoices):
    PLANNED = "planned", _("Planned")
    REVISED = "revised", _("Revised")
    COMMITTED = "committed", _("Committed")
    PAID = "paid", _("Paid")


class BudgetLineQuerySet(models.QuerySet):
    def parts(self) -> BudgetLineQuerySet:
        """The lines that add up (declared totals are compared, never added)."""
        return self.filter(is_declared_total=False)


class BudgetLine(TimeStampedModel):
    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    strategy = models.ForeignKey(
        "strategies.Strategy",
        verbose_name=_("strategy"),
        on_delete=models.CASCADE,
        related_name="budget_lines",
    )
    node = models.ForeignKey(
        "strategies.StrategyNode",
        verbose_name=_("strategy node"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="budget_lines",
        help_text=_("Empty, with no action either: a figure for the whole strategy."),
    )
    action = models.ForeignKey(
        "strategies.Action",
        verbose_name=_("action"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="budget_lines",
    )
    label = models.CharField(_("line"), max_length=300, blank=True)
    year = models.PositiveSmallIntegerField(
        _("year"), null=True, blank=True, help_text=_("Empty: the whole period.")
    )
    source = models.ForeignKey(
        "taxonomies.Term",
        verbose_name=_("funding source"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"taxonomy__code": "funding-sources"},
    )
    flow = models.CharField(_("flow"), max_length=10, choices=Flow.choices, default=Flow.PLANNED)
    amount = models.DecimalField(_("amount (€)"), max_digits=18, decimal_places=2)
    is_declared_total = models.BooleanField(
        _("declared total"),
        default=False,
        help_text=_("A total as published: compared with its parts, never added to others."),
    )
    precision = models.DecimalField(
        _("published precision (€)"),
        max_digits=18,
        decimal_places=2,
        default=Decimal("10000.00"),
        help_text=_("The figure's rounding as published (0.01 M€ is 10,000 €)."),
    )
    document = models.CharField(_("source document"), max_length=300, blank=True)

    objects = BudgetLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["strategy", "node__code", "year", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(node__isnull=True) | models.Q(action__isnull=True),
                name="budget_line_on_node_or_action",
                violation_error_message=_("A budget line is on a node or on an action, not both."),
            ),
            models.CheckConstraint(
                condition=~models.Q(flow="planned") | models.Q(amount__gte=0),
                name="budget_planned_not_negative",
                violation_error_message=_("A planned amount cannot be negative."),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def clean(self) -> None:
        errors = {}
        if self.node_id and self.strategy_id and self.node.strategy_id != self.strategy_id:
            errors["node"] = _("The node must belong to the line's strategy.")
        if self.year and self.strategy_id:
            start, end = self.strategy.period_start, self.strategy.period_end
            if self.year < start.year or (end and self.year > end.year):
                errors["year"] = _("%(year)s is outside the strategy's period.") % {
                    "year": self.year
                }
        if errors:
            raise ValidationError(errors)
