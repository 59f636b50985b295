"""`/api/v1/registry/`: the magnet engine for programs, with the same counts as the page."""

from __future__ import annotations

from django.http import QueryDict
from ninja import Query, Router, Schema

from pilotage.indicators.readmodel import read_model
from pilotage.registry.magnets import magnet_index
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


@router.get("/search", response=SearchOut, url_name="registry_search")
def registry_search(
    request,
    offset: int = Query(0, ge=0),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    """Organisations matching facets (`facet=value`, `not-facet=value`, `as_of=date`):
    OR within a facet, AND across, NOT subtracted; every value's count if toggled. An
    unknown facet or value is a 400 naming it."""
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
