"""The ecosystem registry. For now organisations; persons, events and relations come next."""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotage.core.models import TimeStampedModel
from pilotage.registry.validators import (
    enterprise_number_display,
    enterprise_number_normalise,
    validate_enterprise_number,
)
from pilotage.taxonomies.models import code_validator


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
