"""Taxonomies: hierarchical, multilingual vocabularies that qualify any record.

A `Taxonomy` is a SKOS concept scheme, a `Term` a SKOS concept (D4WTA-AP profile).
Any record is tagged with terms of any scheme through `TermAssignment`.
"""

from __future__ import annotations

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotage.core.models import TimeStampedModel

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
    _(
        "A code holds letters, digits, dots, dashes and underscores, "
        "and starts with a letter or digit."
    ),
)
semver_validator = RegexValidator(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$",
    _("A version follows semantic versioning, such as 1.0.0."),
)


class TermStatus(models.TextChoices):
    """The EU Publications Office concept-status code list that D4WTA-AP requires."""

    CURRENT = "CURRENT", _("Current")
    CANDIDATE = "CANDIDATE", _("Candidate")
    CANDIDATE_DEPRECATED = "CANDIDATE_DEPRECATED", _("Candidate, deprecated")
    DEPRECATED = "DEPRECATED", _("Deprecated")
    DRAFT = "DRAFT", _("Draft")
    DRAFT_DEPRECATED = "DRAFT_DEPRECATED", _("Draft, deprecated")
    PLANNED = "PLANNED", _("Planned")
    RETIRED = "RETIRED", _("Retired")
    REVISED = "REVISED", _("Revised")
    REVISED_DEPRECATED = "REVISED_DEPRECATED", _("Revised, deprecated")
    WAITING = "WAITING", _("Waiting")
    WAITING_DEPRECATED = "WAITING_DEPRECATED", _("Waiting, deprecated")


class TaxonomyQuerySet(models.QuerySet):
    pass


class Taxonomy(TimeStampedModel):
    code = models.CharField(_("code"), max_length=100, unique=True, validators=[code_validator])
    uri = models.URLField(
        _("IRI"),
        max_length=500,
        blank=True,
        help_text=_("Kept from an import; empty: Pilotage mints one from its base IRI."),
    )
    identifier = models.CharField(_("identifier"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=300)
    label = models.CharField(
        _("label"), max_length=300, blank=True, help_text=_("Empty: the title.")
    )
    definition = models.TextField(_("definition"), blank=True)
    version = models.CharField(
        _("version"), max_length=50, default="1.0.0", validators=[semver_validator]
    )
    created = models.DateField(_("date created"))
    modified = models.DateField(_("date modified"), null=True, blank=True)
    sources = models.TextField(_("sources"), blank=True)
    extras = models.JSONField(
        _("as published"),
        default=dict,
        blank=True,
        help_text=_(
            "What the imported SKOS file stated beyond the other fields, kept to export "
            "it again as published; empty for a taxonomy made in Pilotage."
        ),
    )

    objects = TaxonomyQuerySet.as_manager()

    class Meta:
        verbose_name = _("taxonomy")
        verbose_name_plural = _("taxonomies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.title or self.code


class TermQuerySet(models.QuerySet):
    def in_scheme(self, scheme_code: str) -> TermQuerySet:
        return self.filter(taxonomy__code=scheme_code)

    def current(self) -> TermQuerySet:
        return self.filter(status=TermStatus.CURRENT)


class Term(TimeStampedModel):
    taxonomy = models.ForeignKey(
        Taxonomy, verbose_name=_("taxonomy"), on_delete=models.CASCADE, related_name="terms"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("broader term"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    code = models.CharField(_("code"), max_length=100, validators=[code_validator])
    uri = models.URLField(_("IRI"), max_length=500, blank=True)
    identifier = models.CharField(_("identifier"), max_length=200, blank=True)
    notation = models.CharField(_("notation"), max_length=100, blank=True)
    label = models.CharField(_("label"), max_length=300)
    definition = models.TextField(_("definition"), blank=True)
    status = models.CharField(
        _("status"), max_length=30, choices=TermStatus.choices, default=TermStatus.CURRENT
    )
    version = models.CharField(
        _("version"), max_length=50, default="1.0.0", validators=[semver_validator]
    )
    order = models.PositiveIntegerField(_("order"), default=0)
    extras = models.JSONField(
        _("as published"),
        default=dict,
        blank=True,
        help_text=_(
            "What the imported SKOS file stated beyond the other fields, kept to export "
            "it again as published; empty for a term made in Pilotage."
        ),
    )

    objects = TermQuerySet.as_manager()

    class Meta:
        verbose_name = _("term")
        verbose_name_plural = _("terms")
        ordering = ["taxonomy__code", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["taxonomy", "code"], name="term_code_unique_in_scheme"),
        ]

    def __str__(self) -> str:
        return self.label or self.code

    def clean(self) -> None:
        if self.parent_id is None:
            return
        if self.parent.taxonomy_id != self.taxonomy_id:
            raise ValidationError({"parent": _("The broader term must be in the same taxonomy.")})
        ancestor = self.parent
        while ancestor is not None:
            if ancestor.pk == self.pk:
                raise ValidationError({"parent": _("A term cannot be its own ancestor.")})
            ancestor = ancestor.parent


class TermAssignment(models.Model):
    """A term applied to a record of any type."""

    term = models.ForeignKey(
        Term, verbose_name=_("term"), on_delete=models.CASCADE, related_name="assignments"
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("term assignment")
        verbose_name_plural = _("term assignments")
        constraints = [
            models.UniqueConstraint(
                fields=["term", "content_type", "object_id"], name="term_assignment_unique"
            ),
        ]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.term} → {self.content_type.model} #{self.object_id}"

    def get_additional_data(self) -> dict:
        # Kept with every audit entry: the tagged record's history finds its tags.
        return {"content_type_id": self.content_type_id, "object_id": self.object_id}
