"""Reads on taxonomies."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from pilotage.taxonomies.models import Term


def record_terms(record: models.Model) -> models.QuerySet[Term]:
    """The terms applied to one record, of every taxonomy."""
    content_type = ContentType.objects.get_for_model(record)
    return (
        Term.objects.filter(
            assignments__content_type=content_type, assignments__object_id=record.pk
        )
        .select_related("taxonomy")
        .order_by("taxonomy__code", "order", "code")
    )
