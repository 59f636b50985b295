"""`/api/v1/registry/`: the magnet engine for programs, with the same counts as the page."""

from __future__ import annotations

from django.http import QueryDict
from ninja import Field, Query, Router, Schema
from pydantic import create_model

from pilotage.core.api import ErrorOut, IsoDate
from pilotage.indicators.readmodel import read_model
from pilotage.registry.magnets import FIXED_FACETS, magnet_index
from pilotage.registry.models import Magnet, Organisation

router = Router(tags=["registry"])
MAX_LIMIT = 500


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


class SearchOut(Schema):
    count: int
    offset: int
    items: list[FoundOut]
    facets: list[FacetOut]


class MagnetOut(Schema):
    code: str
    title: str
    query: str
    count: int
    indicator: str | None


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
    facets: Query[FacetParameters],
    offset: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    """Organisations matching facets (`facet=value`, `not-facet=value`, `as_of=date`):
    OR within a facet, AND across, NOT subtracted; every value's count if toggled. An
    unknown facet is a 400 naming it, an unknown value a 404."""
    del facets  # documented and type-checked above; the engine reads the query itself
    index = magnet_index()
    params = request.GET.copy()
    for key in ("offset", "limit"):
        params.pop(key, None)
    query = index.parse(params)
    found = index.matching(query)
    ids = list(found[offset : offset + limit]) if offset < len(found) else []
    organisations = Organisation.objects.filter(pk__in=ids).select_related("type", "province")
    return {
        "count": len(found),
        "offset": offset,
        "items": [_found_out(o) for o in organisations.order_by("pk")],
        "facets": [
            {"key": f.key, "label": f.label, "values": [vars(v) for v in f.values]}
            for f in index.facet_counts(query)
        ],
    }


@router.get("/magnets", response=list[MagnetOut], url_name="magnet_list")
def magnet_list(request):
    """The public magnets with their current counts, and the indicator each feeds when
    that indicator is public."""
    index = magnet_index()
    model = read_model()
    return [
        {
            "code": magnet.code,
            "title": magnet.title,
            "query": magnet.query,
            "count": index.count(index.parse(QueryDict(magnet.query))),
            "indicator": magnet.indicator.code
            if magnet.indicator_id and model.is_public_indicator(magnet.indicator_id)
            else None,
        }
        for magnet in Magnet.objects.filter(public=True).select_related("indicator")
    ]
