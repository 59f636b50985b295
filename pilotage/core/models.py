"""Shared abstract models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Creation and modification times; the audit trail keeps the full history."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class ChangeKind(models.TextChoices):
    INDICATOR = "indicator", _("an indicator, its targets or its published values")
    LABEL = "label", _("a text or date the pages show, nothing to recompute")
    STRUCTURE = "structure", _("what is public, a tree, a link or a weight")


class Change(models.Model):
    """One committed write the read model follows (core.revisions): the log's last id is
    the data's revision, and the rows after a process's own revision say what to
    recompute. Written in the writer's transaction, so it commits, or not, with it."""

    kind = models.CharField(_("kind"), max_length=10, choices=ChangeKind.choices)
    object_id = models.BigIntegerField(_("record"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self) -> str:
        return f"{self.pk}: {self.kind} {self.object_id or ''}".strip()
