"""Shared abstract models."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    """Creation and modification times; the audit trail keeps the full history."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Revision(models.Model):
    """A counter that moves whenever the data behind a derived figure change, so that a
    figure computed once can be kept in each process's cache and dropped the moment it
    could be stale, in every process (one row read by its key per request)."""

    name = models.CharField(_("name"), max_length=50, primary_key=True)
    number = models.BigIntegerField(_("number"), default=0)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self) -> str:
        return f"{self.name} {self.number}"
