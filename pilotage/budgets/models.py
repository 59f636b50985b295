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
from django.utils.translation import pgettext_lazy

from pilotage.core.models import TimeStampedModel
from pilotage.taxonomies.models import code_validator


class Flow(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("budget flow", "Planned")
    REVISED = "revised", pgettext_lazy("budget flow", "Revised")
    COMMITTED = "committed", pgettext_lazy("budget flow", "Committed")
    PAID = "paid", pgettext_lazy("budget flow", "Paid")


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
    components = models.ManyToManyField(
        "self",
        verbose_name=_("parts"),
        symmetrical=False,
        blank=True,
        related_name="declared_in",
        help_text=_("A declared total's parts, when the source lists them; else its node's lines."),
    )
    revised_amount = models.DecimalField(
        _("amount after reallocations (€)"),
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set by approved reallocations only; the published amount never changes."),
    )

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

    @property
    def current_amount(self) -> Decimal:
        """The amount as published, moved by the approved reallocations."""
        return self.amount if self.revised_amount is None else self.revised_amount

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


class ReallocationState(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Reallocation(models.Model):
    """An amount moved from one budget line to another, approved by a second person."""

    from_line = models.ForeignKey(
        BudgetLine,
        verbose_name=_("from"),
        on_delete=models.PROTECT,
        related_name="reallocations_out",
    )
    to_line = models.ForeignKey(
        BudgetLine, verbose_name=_("to"), on_delete=models.PROTECT, related_name="reallocations_in"
    )
    amount = models.DecimalField(_("amount (€)"), max_digits=18, decimal_places=2)
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=ReallocationState.choices,
        default=ReallocationState.PENDING,
    )
    requested_by = models.ForeignKey(
        "accounts.User", verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    totals_before = models.JSONField(_("totals before"), default=dict, blank=True)
    totals_after = models.JSONField(_("totals after"), default=dict, blank=True)

    class Meta:
        verbose_name = _("reallocation")
        verbose_name_plural = _("reallocations")
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="reallocation_amount_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(from_line=models.F("to_line")),
                name="reallocation_between_two_lines",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_line} → {self.to_line}: {self.amount}"
