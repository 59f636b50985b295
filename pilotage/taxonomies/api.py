"""`/api/v1/taxonomies/`: the schemes and their terms (SKOS exports live elsewhere)."""

from __future__ import annotations

import datetime

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema

from pilotage.core.api import (
    PAGING_KEYS,
    ErrorOut,
    QueryError,
    choices_schema,
    cursor_page,
    cursor_param,
    envelope,
    limit_param,
    page_schema,
    params_check,
    rows_page,
    unknown_record,
)
from pilotage.taxonomies.models import Taxonomy, Term, TermStatus

router = Router(tags=["taxonomies"])


class TaxonomyOut(Schema):
    code: str
    uri: str
    title: str
    label: str
    definition: str
    version: str
    created: datetime.date
    modified: datetime.date | None
    terms: int


class TermOut(Schema):
    code: str
    uri: str
    notation: str
    label: str
    definition: str
    parent: str | None
    status: str
    order: int


def _taxonomy_out(taxonomy: Taxonomy, terms: int) -> dict:
    return {
        "code": taxonomy.code,
        "uri": taxonomy.uri,
        "title": taxonomy.title,
        "label": taxonomy.label,
        "definition": taxonomy.definition,
        "version": taxonomy.version,
        "created": taxonomy.created,
        "modified": taxonomy.modified,
        "terms": terms,
    }


def _terms_count(taxonomy_ids) -> dict[int, int]:
    counts: dict[int, int] = {}
    for taxonomy_id in Term.objects.filter(taxonomy_id__in=taxonomy_ids).values_list(
        "taxonomy_id", flat=True
    ):
        counts[taxonomy_id] = counts.get(taxonomy_id, 0) + 1
    return counts


TaxonomyPageOut = page_schema("TaxonomyPageOut", TaxonomyOut)
TermPageOut = page_schema("TermPageOut", TermOut)


@router.get("/", response={200: TaxonomyPageOut, 400: ErrorOut, 404: ErrorOut})
def taxonomy_index(
    request,
    response: HttpResponse,
    cursor: str | None = cursor_param(),
    limit: int = limit_param(100),
):
    """Every taxonomy, by code, with its number of terms."""
    params_check(request, PAGING_KEYS)
    taxonomies = list(Taxonomy.objects.order_by("code"))
    page, following = rows_page(
        request, taxonomies, lambda t: (t.code,), width=1, limit=limit, cursor=cursor
    )
    counts = _terms_count([t.pk for t in page])
    items = [_taxonomy_out(t, counts.get(t.pk, 0)) for t in page]
    return envelope(request, response, items, count=len(taxonomies), following=following)


@router.get("/{code}", response={200: TaxonomyOut, 400: ErrorOut, 404: ErrorOut})
def taxonomy_detail(request, code: str):
    """One taxonomy."""
    params_check(request, ())
    taxonomy = get_object_or_404(Taxonomy, code=code)
    return _taxonomy_out(taxonomy, taxonomy.terms.count())


class TermFilters(Schema):
    parent: str | None = None
    status: str | None = Field(None, json_schema_extra=choices_schema(TermStatus.values))


@router.get("/{code}/terms/", response={200: TermPageOut, 400: ErrorOut, 404: ErrorOut})
def term_index(
    request,
    code: str,
    response: HttpResponse,
    filters: Query[TermFilters],
    cursor: str | None = cursor_param(),
    limit: int = limit_param(100),
):
    """A taxonomy's terms, by code; `parent` keeps the terms just below one term,
    `status` those of a status."""
    params_check(request, ("parent", "status", *PAGING_KEYS))
    parent, status = filters.parent, filters.status
    taxonomy = get_object_or_404(Taxonomy, code=code)
    terms = Term.objects.filter(taxonomy=taxonomy).select_related("parent")
    if parent is not None:
        if not terms.filter(code=parent).exists():
            raise unknown_record("parent", f"“{parent}” is not a term here.")
        terms = terms.filter(parent__code=parent)
    if status:  # empty: not applied, as for every filter
        if status not in TermStatus.values:
            raise QueryError("status", "unknown_value", f"“{status}” is not a term status.")
        terms = terms.filter(status=status)
    items, following = cursor_page(request, terms, ("code",), limit=limit, cursor=cursor)
    rows = [
        {
            "code": term.code,
            "uri": term.uri,
            "notation": term.notation,
            "label": term.label,
            "definition": term.definition,
            "parent": term.parent.code if term.parent_id else None,
            "status": term.status,
            "order": term.order,
        }
        for term in items
    ]
    return envelope(request, response, rows, count=terms.count(), following=following)
