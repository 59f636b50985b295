"""Indicators, their targets and observed values (IATI's indicator model, with statuses)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotage.core.models import TimeStampedModel
from pilotage.taxonomies.models import code_validator

AMOUNT = {"max_digits": 20, "decimal_places": 4}


class IndicatorKind(models.TextChoices):
    OUTPUT = "output", _("Output")
    RESULT = "result", _("Result")
    IMPACT = "impact", _("Impact")


class Measure(models.TextChoices):
    NUMBER = "number", _("Number")
    PERCENTAGE = "percentage", _("Percentage")
    AMOUNT = "amount", _("Amount in euros")
    BOOLEAN = "boolean", _("Yes or no")
    TEXT = "text", _("Text")


class Direction(models.TextChoices):
    INCREASE = "increase", _("Increase")
    DECREASE = "decrease", _("Decrease")
    MAINTAIN = "maintain", _("Maintain within a tolerance")


class Aggregation(models.TextChoices):
    SUM = "sum", _("Sum of flows")
    LAST = "last", _("Last value of a stock")
    AVERAGE = "average", _("Average")


class StatusMethod(models.TextChoices):
    TRAJECTORY = "trajectory", _("Expected trajectory")
    GROWTH = "growth", _("Growth rate (Open SDG)")


class IndicatorQuerySet(models.QuerySet):
    def with_relations(self) -> IndicatorQuerySet:
        return self.select_related("action", "node__strategy").prefetch_related("targets")

    def public(self) -> IndicatorQuerySet:
        """Indicators the public may read: of a public node or of a public action (the
        strategies' one definition of public)."""
        from pilotage.strategies.models import Action, StrategyNode

        return self.filter(
            models.Q(node__in=StrategyNode.objects.public())
            | models.Q(action__in=Action.objects.public())
        )


class Indicator(TimeStampedModel):
    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=500)
    definition = models.TextField(_("definition"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=IndicatorKind.choices)
    unit = models.CharField(_("unit"), max_length=100, blank=True)
    measure = models.CharField(
        _("measure"), max_length=12, choices=Measure.choices, default=Measure.NUMBER
    )
    direction = models.CharField(
        _("desired direction"), max_length=10, choices=Direction.choices, default=Direction.INCREASE
    )
    tolerance = models.DecimalField(
        _("tolerance"),
        **AMOUNT,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("For an indicator to maintain: the deviation from the target allowed."),
    )
    aggregation = models.CharField(
        _("values over time"), max_length=10, choices=Aggregation.choices, default=Aggregation.LAST
    )
    status_method = models.CharField(
        _("status method"),
        max_length=12,
        choices=StatusMethod.choices,
        default=StatusMethod.TRAJECTORY,
    )
    on_track_from = models.DecimalField(
        _("on track from"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.95"),
        help_text=_("Share of the expected progress from which the indicator is on track."),
    )
    behind_from = models.DecimalField(
        _("behind from"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.85"),
        help_text=_("Below this share of the expected progress, the indicator is at risk."),
    )
    action = models.ForeignKey(
        "strategies.Action",
        verbose_name=_("action"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
    )
    node = models.ForeignKey(
        "strategies.StrategyNode",
        verbose_name=_("strategy node"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="indicators",
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=3,
        default=Decimal(1),
        validators=[MinValueValidator(Decimal("0.001"))],
    )
    baseline_value = models.DecimalField(_("baseline value"), **AMOUNT, null=True, blank=True)
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    target_value = models.DecimalField(_("target value"), **AMOUNT, null=True, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    source = models.TextField(_("source"), blank=True)
    method = models.TextField(_("method"), blank=True)
    external_code = models.CharField(
        _("external reference"),
        max_length=100,
        blank=True,
        help_text=_("E.g. the code of an EU common indicator."),
    )
    formula = models.JSONField(
        _("formula"),
        default=dict,
        blank=True,
        help_text=_(
            'Computed from other indicators: {"op": "ratio", "of": [numerator, denominator]} '
            'or {"op": "sum", "of": [codes]}. Its values are never typed in.'
        ),
    )

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(action__isnull=False) & models.Q(node__isnull=True))
                | (models.Q(action__isnull=True) & models.Q(node__isnull=False)),
                name="indicator_on_action_or_node",
                violation_error_message=_("An indicator measures an action or a strategy node."),
            ),
            models.CheckConstraint(
                condition=models.Q(behind_from__lte=models.F("on_track_from")),
                name="indicator_bands_ordered",
                violation_error_message=_("'Behind' must start below 'on track'."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_computed(self) -> bool:
        return bool(self.formula)

    def clean(self) -> None:
        errors = {}
        if (self.target_value is None) != (self.target_date is None):
            errors["target_date"] = _("Give the target's value and date together.")
        if (self.baseline_value is None) != (self.baseline_date is None):
            errors["baseline_date"] = _("Give the baseline's value and date together.")
        if self.baseline_date and self.target_date and self.target_date <= self.baseline_date:
            errors["target_date"] = _("The target date must come after the baseline date.")
        if self.direction == Direction.MAINTAIN and self.tolerance is None:
            errors["tolerance"] = _("An indicator to maintain needs a tolerance.")
        if self.formula:
            op, parts = self.formula.get("op"), self.formula.get("of")
            if op not in ("ratio", "sum") or not isinstance(parts, list) or not parts:
                errors["formula"] = _('Use {"op": "ratio" or "sum", "of": [indicator codes]}.')
            elif op == "ratio" and len(parts) != 2:
                errors["formula"] = _("A ratio has a numerator and a denominator.")
        if errors:
            raise ValidationError(errors)


class Target(models.Model):
    """An intermediate target: the value expected at the end of a period."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE, related_name="targets"
    )
    period_start = models.DateField(_("start of period"))
    period_end = models.DateField(_("end of period"))
    value = models.DecimalField(_("value"), **AMOUNT)

    class Meta:
        verbose_name = _("intermediate target")
        verbose_name_plural = _("intermediate targets")
        ordering = ["indicator", "period_end"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period_end"], name="target_unique"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="target_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period_end}: {self.value}"


class ObservationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    VALIDATED = "validated", _("Validated")
    PUBLISHED = "published", _("Published")


class Qualifier(models.TextChoices):
    """How the figure was published: "more than 400" is kept as at least 400."""

    EXACT = "exact", _("Exact")
    AT_LEAST = "at-least", _("At least")
    ABOUT = "about", _("About")


class ObservationQuerySet(models.QuerySet):
    def public(self) -> ObservationQuerySet:
        """Values the public may read: published ones of public indicators."""
        return self.filter(
            state=ObservationState.PUBLISHED, indicator__in=Indicator.objects.public().values("pk")
        )

    def validated(self) -> ObservationQuerySet:
        """What the steering team has accepted: validated or published."""
        return self.filter(state__in=[ObservationState.VALIDATED, ObservationState.PUBLISHED])


class Observation(TimeStampedModel):
    """The value of an indicator for a period (a quarter, a year, a date range)."""

    # The unique (indicator, period_start, period_end) index serves every lookup by
    # indicator; a second index would only slow the bulk imports down.
    indicator = models.ForeignKey(
        Indicator,
        verbose_name=_("indicator"),
        on_delete=models.CASCADE,
        related_name="observations",
        db_index=False,
    )
    period_start = models.DateField(_("start of period"))
    period_end = models.DateField(_("end of period"))
    value = models.DecimalField(_("value"), **AMOUNT, null=True, blank=True)
    numerator = models.DecimalField(_("numerator"), **AMOUNT, null=True, blank=True)
    denominator = models.DecimalField(_("denominator"), **AMOUNT, null=True, blank=True)
    text_value = models.TextField(_("text"), blank=True)
    qualifier = models.CharField(
        _("as published"), max_length=10, choices=Qualifier.choices, default=Qualifier.EXACT
    )
    comment = models.TextField(_("comment"), blank=True)
    evidence_url = models.URLField(_("evidence (link)"), blank=True)
    evidence_file = models.FileField(_("evidence (file)"), upload_to="evidence/%Y/", blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ObservationState.choices, default=ObservationState.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    review_note = models.TextField(
        _("reason"),
        blank=True,
        help_text=_("Why staff sent the value back or reopened it (the audit trail keeps each)."),
    )

    objects = ObservationQuerySet.as_manager()

    class Meta:
        verbose_name = _("observation")
        verbose_name_plural = _("observations")
        ordering = ["indicator", "period_end", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period_start", "period_end"], name="observation_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="observation_period_ordered",
                violation_error_message=_("A period cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period_start}/{self.period_end}"

    def clean(self) -> None:
        measure = self.indicator.measure if self.indicator_id else None
        if measure == Measure.PERCENTAGE and self.numerator is not None:
            if not self.denominator:
                raise ValidationError({"denominator": _("A percentage needs a denominator.")})
            self.value = self.numerator * 100 / self.denominator
        if measure == Measure.TEXT and not self.text_value:
            raise ValidationError({"text_value": _("This indicator is reported as text.")})
        if measure == Measure.BOOLEAN and self.value not in (None, 0, 1):
            raise ValidationError({"value": _("Yes or no: 1 or 0.")})
        if measure not in (Measure.TEXT, None) and self.value is None:
            raise ValidationError({"value": _("A value is required.")})


class ObservationPart(models.Model):
    """One part of a value broken down by a taxonomy (e.g. by province)."""

    observation = models.ForeignKey(
        Observation, verbose_name=_("observation"), on_delete=models.CASCADE, related_name="parts"
    )
    term = models.ForeignKey(
        "taxonomies.Term", verbose_name=_("term"), on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(_("value"), **AMOUNT)

    class Meta:
        verbose_name = _("breakdown part")
        verbose_name_plural = _("breakdown")
        constraints = [
            models.UniqueConstraint(fields=["observation", "term"], name="part_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.term}: {self.value}"


class CampaignState(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ReportingCampaign(TimeStampedModel):
    """A period (usually a quarter) for which action owners report their indicators."""

    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=200)
    period_start = models.DateField(_("start of period"))
    period_end = models.DateField(_("end of period"))
    deadline = models.DateField(_("deadline"))
    remind_days_before = models.PositiveSmallIntegerField(
        _("reminder, days before the deadline"), default=7
    )
    strategy = models.ForeignKey(
        "strategies.Strategy",
        verbose_name=_("strategy"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        help_text=_("Empty: the indicators of every action."),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=CampaignState.choices, default=CampaignState.OPEN
    )
    reminded_on = models.DateField(_("last reminder"), null=True, blank=True)

    class Meta:
        verbose_name = _("reporting campaign")
        verbose_name_plural = _("reporting campaigns")
        ordering = ["-period_end", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="campaign_period_ordered",
                violation_error_message=_("A period cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class QuarterlyReport(TimeStampedModel):
    """The report of a campaign to the Government and the Digital Council, frozen.

    `snapshot` holds the numbers as they were validated when the report was made, so the
    report of a past quarter reads the same whatever is edited later.
    """

    campaign = models.OneToOneField(
        ReportingCampaign,
        verbose_name=_("reporting campaign"),
        on_delete=models.PROTECT,
        related_name="report",
    )
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("frozen by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    snapshot = models.JSONField(_("snapshot"))

    class Meta:
        verbose_name = _("quarterly report")
        verbose_name_plural = _("quarterly reports")
        ordering = ["-campaign__period_end"]

    def __str__(self) -> str:
        return str(self.campaign)


class ObservationImport(models.Model):
    """One bulk import of values (history, other systems): who, when, what file.

    The rows go in by COPY, not one by one, so the audit trail records the import itself.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    file_name = models.CharField(_("file"), max_length=300)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    rows = models.PositiveIntegerField(_("rows"))
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bulk import")
        verbose_name_plural = _("bulk imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.rows})"
