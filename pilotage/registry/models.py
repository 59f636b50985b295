"""The ecosystem registry: organisations, persons, events, publications, the dated and
qualified relations between them, and the saved queries over them (magnets)."""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotage.core.models import TimeStampedModel
from pilotage.registry.validators import (
    enterprise_number_display,
    enterprise_number_normalise,
    validate_enterprise_number,
)
from pilotage.taxonomies.models import code_validator


class SizeBand(models.TextChoices):
    """The EU's SME size classes by head count (Recommendation 2003/361/EC)."""

    MICRO = "micro", _("Micro (fewer than 10 people)")
    SMALL = "small", _("Small (10 to 49)")
    MEDIUM = "medium", _("Medium (50 to 249)")
    LARGE = "large", _("Large (250 or more)")


class OrganisationQuerySet(models.QuerySet):
    def with_relations(self) -> OrganisationQuerySet:
        return self.select_related("type", "province")


class Organisation(TimeStampedModel):
    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=300)
    enterprise_number = models.CharField(
        _("enterprise number"),
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        validators=[validate_enterprise_number],
        help_text=_("Belgian enterprise number (BCE/KBO), stored as 10 digits."),
    )
    type = models.ForeignKey(
        "taxonomies.Term",
        verbose_name=_("type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"taxonomy__code": "organisation-types"},
    )
    description = models.TextField(_("description"), blank=True)
    website = models.URLField(_("website"), blank=True)
    street = models.CharField(_("street and number"), max_length=300, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    locality = models.CharField(_("locality"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, default="BE")
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )
    province = models.ForeignKey(
        "taxonomies.Term",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        limit_choices_to={"taxonomy__code": "provinces"},
    )
    nace_code = models.CharField(
        _("NACE code"),
        max_length=8,
        blank=True,
        help_text=_("Main activity, NACE Rev. 2 (e.g. 62.01); its section is a term too."),
    )
    founded_on = models.DateField(_("founding date"), null=True, blank=True)
    size_band = models.CharField(
        _("size"), max_length=10, choices=SizeBand.choices, blank=True, default=""
    )
    logo = models.FileField(
        _("logo"),
        upload_to="logos/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg", "svg", "webp"])],
    )
    sources = models.TextField(_("sources"), blank=True)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(latitude__isnull=True) & models.Q(longitude__isnull=True))
                | (models.Q(latitude__isnull=False) & models.Q(longitude__isnull=False)),
                name="organisation_coordinates_both_or_none",
                violation_error_message=_("Give both latitude and longitude, or neither."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # Stored as 10 digits whatever way it was typed, so uniqueness holds.
        if self.enterprise_number:
            # A wrong number is reported once, by the field's own validator.
            with contextlib.suppress(ValidationError):
                self.enterprise_number = enterprise_number_normalise(self.enterprise_number)
        else:
            self.enterprise_number = None

    @property
    def enterprise_number_display(self) -> str:
        return enterprise_number_display(self.enterprise_number or "")


class Person(TimeStampedModel):
    """A person of the ecosystem. Shown in public only if they have not refused it
    (D4WMO-AP's `displayRefusal`, true unless they agreed): privacy by default."""

    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    given_name = models.CharField(_("given name"), max_length=150)
    family_name = models.CharField(_("family name"), max_length=150)
    email = models.EmailField(_("e-mail"), blank=True, help_text=_("Never published."))
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    display_refusal = models.BooleanField(
        _("refuses public display"),
        default=True,
        help_text=_("Untick only with the person's consent to be shown publicly."),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        ordering = ["family_name", "given_name"]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"


class AffiliationKind(models.TextChoices):
    EMPLOYEE = "employee", _("Employee")
    CONTACT = "contact", _("Contact")


class Affiliation(TimeStampedModel):
    """A person working for an organisation, or its contact, over a period."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="affiliations"
    )
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="affiliations",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=AffiliationKind.choices)
    role = models.CharField(_("role"), max_length=200, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)

    class Meta:
        verbose_name = _("affiliation")
        verbose_name_plural = _("affiliations")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "organisation", "kind"], name="affiliation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} — {self.organisation} ({self.get_kind_display()})"


class Event(TimeStampedModel):
    """An event of the ecosystem: a mission abroad, a fair, a conference ..."""

    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    type = models.ForeignKey(
        "taxonomies.Term",
        verbose_name=_("type"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"taxonomy__code": "event-types"},
    )
    start_date = models.DateField(_("start date"))
    start_time = models.TimeField(_("start time"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    end_time = models.TimeField(_("end time"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=300, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    organisers = models.ManyToManyField(
        Organisation, verbose_name=_("organisers"), related_name="organised_events", blank=True
    )

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-start_date", "code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="event_dates_ordered",
                violation_error_message=_("An event cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Publication(TimeStampedModel):
    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=300)
    published_on = models.DateField(_("publication date"), null=True, blank=True)
    url = models.URLField(_("address"), blank=True)
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisations"), related_name="publications", blank=True
    )

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ["-published_on", "code"]

    def __str__(self) -> str:
        return self.title


class RelationKind(models.TextChoices):
    """What an organisation is to another record. Partners and leads of actions are
    already recorded on the actions themselves (strategies.ActionPartner, Action.lead)."""

    MEMBER_OF = "member_of", _("Member of")
    INCUBATED_BY = "incubated_by", _("Incubated by")
    LAUREATE_OF = "laureate_of", _("Laureate of")
    PARTICIPANT_IN = "participant_in", _("Participant in")
    FUNDED_BY = "funded_by", _("Funded by")


# What each kind of relation points at.
RELATION_TARGETS = {
    RelationKind.MEMBER_OF: "target_organisation",
    RelationKind.INCUBATED_BY: "target_organisation",
    RelationKind.LAUREATE_OF: "target_action",
    RelationKind.PARTICIPANT_IN: "target_event",
    RelationKind.FUNDED_BY: "target_action",
}


class Relation(TimeStampedModel):
    """A qualified, dated relation of an organisation: member of a cluster, incubated by,
    laureate of a call, participant in a mission, funded by a fund (with the amount)."""

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="relations",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RelationKind.choices)
    target_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation it relates to"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="inbound_relations",
    )
    target_action = models.ForeignKey(
        "strategies.Action",
        verbose_name=_("action (call, fund ...)"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="relations",
    )
    target_event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="relations",
    )
    role = models.CharField(_("role"), max_length=200, blank=True)
    start_date = models.DateField(_("from"), null=True, blank=True)
    end_date = models.DateField(_("until"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount (€)"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("relation")
        verbose_name_plural = _("relations")
        indexes = [models.Index(fields=["kind", "organisation"], name="relation_kind_org")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(target_organisation__isnull=False)
                    & models.Q(target_action__isnull=True)
                    & models.Q(target_event__isnull=True)
                )
                | (
                    models.Q(target_organisation__isnull=True)
                    & models.Q(target_action__isnull=False)
                    & models.Q(target_event__isnull=True)
                )
                | (
                    models.Q(target_organisation__isnull=True)
                    & models.Q(target_action__isnull=True)
                    & models.Q(target_event__isnull=False)
                ),
                name="relation_one_target",
                violation_error_message=_("A relation points at exactly one record."),
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="relation_dates_ordered",
                violation_error_message=_("A relation cannot end before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.get_kind_display()} — {self.target}"

    @property
    def target(self):
        return self.target_organisation or self.target_action or self.target_event

    def clean(self) -> None:
        wanted = RELATION_TARGETS.get(self.kind)
        if wanted and getattr(self, f"{wanted}_id") is None:
            raise ValidationError(
                {
                    wanted: _("A “%(kind)s” relation points at this kind of record.")
                    % {"kind": self.get_kind_display()}
                }
            )
        if self.target_organisation_id and self.target_organisation_id == self.organisation_id:
            raise ValidationError(
                {"target_organisation": _("An organisation cannot relate to itself.")}
            )

    def active_on(self, day) -> bool:
        return (self.start_date is None or self.start_date <= day) and (
            self.end_date is None or self.end_date >= day
        )


class Magnet(TimeStampedModel):
    """A saved query of the registry ("smart magnet"): a name, the query as it stands in
    the search page's URL, and optionally the indicator its count feeds every quarter."""

    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    query = models.CharField(
        _("query"), max_length=2000, help_text=_("As in the registry search's address.")
    )
    indicator = models.OneToOneField(
        "indicators.Indicator",
        verbose_name=_("indicator it feeds"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="magnet",
    )
    public = models.BooleanField(_("public"), default=True)

    class Meta:
        verbose_name = _("magnet")
        verbose_name_plural = _("magnets")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title


class RegistryChange(models.Model):
    """A write the magnet index has to follow: the organisation it touched, or none when
    the change reaches beyond one organisation (a term, an event, a strategy's tree),
    which rebuilds the index. Written by signals (registry.signals) and bulk imports,
    pruned after a day (registry.magnets). A row is never changed: `updated_at` is when
    it was written, named so that the registry API's data version reads the newest one
    beside the count, which pruning lowers."""

    organisation_id = models.BigIntegerField(_("organisation"), null=True, blank=True)
    updated_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("registry change")
        verbose_name_plural = _("registry changes")

    def __str__(self) -> str:
        return f"{self.pk}: {self.organisation_id or '*'}"
