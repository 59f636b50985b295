"""`/api/v1/organisations/`: the organisations of the ecosystem, public fields only.

Never persons, e-mail addresses, enterprise numbers or street addresses: the schema below
is the whole of what leaves."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from pilotage.core.api import (
    PAGING_KEYS,
    ErrorOut,
    cursor_page,
    cursor_param,
    envelope,
    limit_param,
    page_schema,
    params_check,
    unknown_record,
)
from pilotage.registry.models import Organisation
from pilotage.taxonomies.models import Term

router = Router(tags=["organisations"])


class OrganisationOut(Schema):
    code: str
    name: str
    type: str | None
    province: str | None
    website: str
    description: str


def _out(organisation: Organisation) -> dict:
    return {
        "code": organisation.code,
        "name": organisation.name,
        "type": organisation.type.code if organisation.type_id else None,
        "province": organisation.province.code if organisation.province_id else None,
        "website": organisation.website,
        "description": organisation.description,
    }


def _term_filter(field: str, value: str, taxonomies: tuple[str, ...]) -> None:
    if not Term.objects.filter(taxonomy__code__in=taxonomies, code=value).exists():
        raise unknown_record(field, f"“{value}” is not a value of “{field}”.")


OrganisationPageOut = page_schema("OrganisationPageOut", OrganisationOut)


@router.get("/", response={200: OrganisationPageOut, 400: ErrorOut, 404: ErrorOut})
def organisation_index(
    request,
    response: HttpResponse,
    type: str | None = None,
    province: str | None = None,
    cursor: str | None = cursor_param(),
    limit: int = limit_param(100),
):
    """Organisations by code, with their public fields; filter by type or province
    (term codes)."""
    params_check(request, ("type", "province", *PAGING_KEYS))
    queryset = Organisation.objects.with_relations()
    if type:
        _term_filter("type", type, ("organisation-types",))
        queryset = queryset.filter(type__code=type)
    if province:
        _term_filter("province", province, ("provinces",))
        queryset = queryset.filter(province__code=province)
    items, following = cursor_page(request, queryset, ("code",), limit=limit, cursor=cursor)
    rows = [_out(organisation) for organisation in items]
    return envelope(request, response, rows, count=queryset.count(), following=following)


@router.get("/{code}", response={200: OrganisationOut, 400: ErrorOut, 404: ErrorOut})
def organisation_detail(request, code: str):
    """One organisation, its public fields."""
    params_check(request, ())
    return _out(get_object_or_404(Organisation.objects.with_relations(), code=code))
