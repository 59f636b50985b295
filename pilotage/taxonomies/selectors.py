"""Reads on taxonomies."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models

from pilotage.taxonomies.models import Taxonomy, Term


def taxonomy_list() -> models.QuerySet[Taxonomy]:
    """Every taxonomy with its number of terms."""
    return Taxonomy.objects.annotate(term_count=models.Count("terms"))


def term_list(*, taxonomy: Taxonomy) -> models.QuerySet[Term]:
    """A taxonomy's terms, parents loaded, in display order."""
    return Term.objects.filter(taxonomy=taxonomy).select_related("parent", "taxonomy")


def term_descendant_ids(term: Term) -> set[int]:
    """The ids of a term and of every term below it (one query per scheme, not per level)."""
    parents = dict(Term.objects.filter(taxonomy_id=term.taxonomy_id).values_list("pk", "parent_id"))
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in parents.items():
        children.setdefault(parent_id, []).append(pk)
    found, frontier = {term.pk}, [term.pk]
    while frontier:
        current = frontier.pop()
        for child in children.get(current, []):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


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
