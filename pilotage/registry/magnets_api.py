"""`/api/v1/registry/`: the magnet engine for programs, with the same counts as the page."""

from __future__ import annotations

from django.http import HttpResponse, QueryDict
from ninja import Field, Query, Router, Schema
from pydantic import create_model

from pilotage.core.api import (
    PAGING_KEYS,
    ErrorOut,
    IsoDate,
    QueryError,
    cursor_decode,
    cursor_encode,
    cursor_page,
    cursor_param,
    envelope,
    limit_check,
    limit_param,
    page_schema,
    params_check,
)
from pilotage.indicators.readmodel import read_model
from pilotage.registry.magnets import FIXED_FACETS, magnet_index
from pilotage.registry.models import Magnet, Organisation

router = Router(tags=["registry"])


class FoundOut(Schema):
    code: str
    name: str
    type: str | None
    province: str | None
    locality: str
    website: str


class FacetValueOut(Schema):
    code: str
    label: str
    count: int
    selected: bool
    excluded: bool


class FacetOut(Schema):
    key: str
    label: str
    values: list[FacetValueOut]


SearchOut = page_schema(
    "SearchOut",
    FoundOut,
    offset=(int, Field(description="Items skipped before this page (`offset` paging)")),
    facets=(list[FacetOut], Field(description="Every facet's counts for this query")),
)


class MagnetOut(Schema):
    code: str
    title: str
    query: str
    count: int
    indicator: str | None


MagnetPageOut = page_schema("MagnetPageOut", MagnetOut)


def _found_out(organisation: Organisation) -> dict:
    return {
        "code": organisation.code,
        "name": organisation.name,
        "type": organisation.type.code if organisation.type_id else None,
        "province": organisation.province.code if organisation.province_id else None,
        "locality": organisation.locality,
        "website": organisation.website,
    }


def _facet_parameters() -> type[Schema]:
    """The search's parameters, as the schema documents them: each fixed facet and its
    `not-` twin (values repeated), and the day of an "as of" query. A taxonomy applied to
    organisations is a facet too, under its code, though the schema cannot list it."""
    fields: dict = {"as_of": (IsoDate | None, None)}
    for facet in FIXED_FACETS:
        fields[facet.key] = (list[str], [])
        fields[f"not_{facet.key}"] = (list[str], Field([], alias=f"not-{facet.key}"))
    return create_model("FacetParameters", __base__=Schema, **fields)


FacetParameters = _facet_parameters()


@router.get(
    "/search",
    response={200: SearchOut, 400: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="registry_search",
)
def registry_search(
    request,
    response: HttpResponse,
    facets: Query[FacetParameters],
    offset: int = Query(0, ge=0, description="Items to skip, instead of a cursor"),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(50),
):
    """Organisations matching facets (`facet=value`, `not-facet=value`, `as_of=date`):
    OR within a facet, AND across, NOT subtracted; every value's count if toggled. An
    unknown facet is a 400 naming it, an unknown value a 404."""
    del facets  # documented and type-checked above; the engine reads the query itself
    limit_check(limit)
    index = magnet_index()
    params = request.GET.copy()
    for key in ("offset", *PAGING_KEYS):
        params.pop(key, None)
    query = index.parse(params)
    found = index.matching(query)
    start = offset
    if cursor:
        last = cursor_decode(request, cursor, 1)[0]
        if offset:
            raise QueryError("cursor", "cursor_and_page", "Give a cursor or an offset, not both.")
        start = found.rank(last)  # the organisations up to the last one given
    ids = list(found[start : start + limit]) if start < len(found) else []
    following = cursor_encode(request, [ids[-1]]) if start + limit < len(found) else None
    organisations = Organisation.objects.filter(pk__in=ids).select_related("type", "province")
    return envelope(
        request,
        response,
        [_found_out(o) for o in organisations.order_by("pk")],
        count=len(found),
        following=following,
        offset=start,
        facets=[
            {"key": f.key, "label": f.label, "values": [vars(v) for v in f.values]}
            for f in index.facet_counts(query)
        ],
    )


@router.get(
    "/magnets", response={200: MagnetPageOut, 400: ErrorOut, 404: ErrorOut}, url_name="magnet_list"
)
def magnet_list(
    request,
    response: HttpResponse,
    cursor: str | None = cursor_param(),
    limit: int = limit_param(100),
):
    """The public magnets, by code, with their current counts, and the indicator each
    feeds when that indicator is public."""
    params_check(request, PAGING_KEYS)
    index = magnet_index()
    model = read_model()
    magnets = Magnet.objects.filter(public=True).select_related("indicator")
    page, following = cursor_page(request, magnets, ("code",), limit=limit, cursor=cursor)
    items = [
        {
            "code": magnet.code,
            "title": magnet.title,
            "query": magnet.query,
            "count": index.count(index.parse(QueryDict(magnet.query))),
            "indicator": magnet.indicator.code
            if magnet.indicator_id and model.is_public_indicator(magnet.indicator_id)
            else None,
        }
        for magnet in page
    ]
    return envelope(request, response, items, count=magnets.count(), following=following)
