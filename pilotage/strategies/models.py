"""Strategies, their trees of nodes, and the actions that carry them out."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotage.core.models import TimeStampedModel
from pilotage.taxonomies.models import code_validator


class StrategyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ADOPTED = "adopted", _("Adopted")
    ARCHIVED = "archived", _("Archived")


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


# The statuses the public never reads; every "public" below is built on this.
NOT_PUBLIC = (StrategyStatus.DRAFT,)


class StrategyQuerySet(models.QuerySet):
    def public(self) -> StrategyQuerySet:
        """Strategies the public may read: adopted or archived, never drafts."""
        return self.exclude(status__in=NOT_PUBLIC)


class Strategy(TimeStampedModel):
    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    version = models.CharField(_("version"), max_length=50, default="1")
    period_start = models.DateField(_("start of period"))
    period_end = models.DateField(_("end of period"), null=True, blank=True)
    owner = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_strategies",
    )
    status = models.CharField(
        _("status"), max_length=20, choices=StrategyStatus.choices, default=StrategyStatus.DRAFT
    )
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("predecessor"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
    )
    sources = models.TextField(
        _("sources"), blank=True, help_text=_("The documents this strategy is taken from.")
    )

    objects = StrategyQuerySet.as_manager()

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        ordering = ["period_start", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__isnull=True)
                | models.Q(period_end__gte=models.F("period_start")),
                name="strategy_period_ordered",
                violation_error_message=_("The period cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    @property
    def is_public(self) -> bool:
        """Whether Strategy.objects.public() holds it (for a record already loaded, such
        as a public strategy's predecessor, which may be a draft)."""
        return self.status not in NOT_PUBLIC

    @property
    def public_predecessor(self) -> Strategy | None:
        """The predecessor the public may read: none when it is a draft."""
        predecessor = self.predecessor if self.predecessor_id else None
        return predecessor if predecessor is not None and predecessor.is_public else None

    def clean(self) -> None:
        ancestor = self.predecessor
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError(
                    {"predecessor": _("A strategy cannot be its own predecessor.")}
                )
            ancestor = ancestor.predecessor


class StrategyLevel(models.Model):
    """A level of a strategy's tree, named as the strategy names it (theme, ambition ...)."""

    strategy = models.ForeignKey(
        Strategy, verbose_name=_("strategy"), on_delete=models.CASCADE, related_name="levels"
    )
    code = models.CharField(_("code"), max_length=50, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    depth = models.PositiveSmallIntegerField(_("depth"), help_text=_("0 for the top level."))

    class Meta:
        verbose_name = _("strategy level")
        verbose_name_plural = _("strategy levels")
        ordering = ["strategy", "depth"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "code"], name="level_code_unique"),
            models.UniqueConstraint(fields=["strategy", "depth"], name="level_depth_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class StrategyNodeQuerySet(models.QuerySet):
    def with_relations(self) -> StrategyNodeQuerySet:
        return self.select_related("strategy", "level", "parent")

    def public(self) -> StrategyNodeQuerySet:
        """Nodes the public may read: those of a public strategy."""
        return self.filter(strategy__in=Strategy.objects.public())


class StrategyNode(TimeStampedModel):
    strategy = models.ForeignKey(
        Strategy, verbose_name=_("strategy"), on_delete=models.CASCADE, related_name="nodes"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="children",
    )
    level = models.ForeignKey(
        StrategyLevel, verbose_name=_("level"), on_delete=models.PROTECT, related_name="nodes"
    )
    code = models.CharField(_("code"), max_length=50, validators=[code_validator])
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    values = models.JSONField(
        _("values"),
        default=list,
        blank=True,
        help_text=_('The values a node stands for, each as {"fr": ..., "en": ...}.'),
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=3,
        default=1,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Its share in the progress of what it belongs to."),
    )

    objects = StrategyNodeQuerySet.as_manager()

    class Meta:
        verbose_name = _("strategy node")
        verbose_name_plural = _("strategy nodes")
        ordering = ["strategy", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["strategy", "code"], name="node_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def clean(self) -> None:
        errors = {}
        if self.level_id and self.strategy_id and self.level.strategy_id != self.strategy_id:
            errors["level"] = _("The level must be one of the node's strategy.")
        if self.parent_id:
            if self.parent.strategy_id != self.strategy_id:
                errors["parent"] = _("The parent must be a node of the same strategy.")
            elif self.level_id and self.parent.level.depth + 1 != self.level.depth:
                errors["level"] = _("A node's level must be just below its parent's level.")
        elif self.level_id and self.level.depth != 0:
            errors["level"] = _("A node without parent must be at the top level.")
        if errors:
            raise ValidationError(errors)


class ActionQuerySet(models.QuerySet):
    def with_relations(self) -> ActionQuerySet:
        return self.select_related("type", "lead").prefetch_related(
            "target_audiences", "partnerships__organisation", "nodes__strategy"
        )

    def public(self) -> ActionQuerySet:
        """Actions the public may read: those serving a node of a public strategy (an
        action serving only drafts is a draft too)."""
        return self.filter(
            pk__in=Action.nodes.through.objects.filter(
                strategynode__strategy__in=Strategy.objects.public()
            ).values("action_id")
        )


class Action(TimeStampedModel):
    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=500)
    description = models.TextField(_("description"), blank=True)
    type = models.ForeignKey(
        "taxonomies.Term",
        verbose_name=_("type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"taxonomy__code": "action-types"},
    )
    target_audiences = models.ManyToManyField(
        "taxonomies.Term",
        verbose_name=_("target audiences"),
        blank=True,
        related_name="+",
        limit_choices_to={"taxonomy__code": "target-audiences"},
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ActionStatus.choices, default=ActionStatus.PLANNED
    )
    lead = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("lead organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_actions",
    )
    partners = models.ManyToManyField(
        "registry.Organisation",
        verbose_name=_("partners"),
        through="ActionPartner",
        related_name="partnered_actions",
        blank=True,
    )
    nodes = models.ManyToManyField(
        StrategyNode,
        verbose_name=_("strategy nodes"),
        related_name="actions",
        blank=True,
        help_text=_("An action may contribute to nodes of several strategies."),
    )
    weight = models.DecimalField(
        _("weight"),
        max_digits=8,
        decimal_places=3,
        default=1,
        validators=[MinValueValidator(Decimal("0.001"))],
        help_text=_("Its share in the progress of what it belongs to."),
    )

    objects = ActionQuerySet.as_manager()

    class Meta:
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="action_dates_ordered",
                violation_error_message=_("An action cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class ActionPartner(models.Model):
    """An organisation taking part in an action, with its role."""

    action = models.ForeignKey(
        Action, verbose_name=_("action"), on_delete=models.CASCADE, related_name="partnerships"
    )
    organisation = models.ForeignKey(
        "registry.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="partnerships",
    )
    role = models.CharField(_("role"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(fields=["action", "organisation"], name="partner_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} ({self.role})" if self.role else str(self.organisation)

    def get_additional_data(self) -> dict:
        # Kept with every audit entry, deletions included: the action's history finds it.
        return {"action_id": self.action_id}
