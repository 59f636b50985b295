"""`/api/v1/actions`: the public actions with the dashboard's filters and facet counts.

The parameters go through `strategies.facets`, the same read layer as the pages, so the
count here equals the count on the page for the same URL query.
"""

from __future__ import annotations

import datetime

from django.core.paginator import Paginator
from ninja import Field, Query, Router, Schema

from pilotage.strategies.facets import (
    InvalidFilter,
    Vocabulary,
    actions_filter,
    actions_query_parse,
    facet_counts,
)
from pilotage.strategies.models import Action

router = Router(tags=["actions"])
MAX_LIMIT = 100


class ActionOut(Schema):
    code: str
    title: str
    status: str
    type: str | None
    lead: str | None
    start_date: datetime.date | None
    end_date: datetime.date | None
    target_audiences: list[str]
    nodes: list[str]


class FacetValueOut(Schema):
    code: str
    label: str
    count: int
    selected: bool


class FacetOut(Schema):
    key: str
    label: str
    values: list[FacetValueOut]


class ActionPageOut(Schema):
    count: int
    page: int
    pages: int
    items: list[ActionOut]
    facets: list[FacetOut]


class ActionFilters(Schema):
    """Within a filter the values combine with OR, across filters with AND."""

    strategy: list[str] = []
    type: list[str] = []
    audience: list[str] = []
    status: list[str] = []
    funding: list[str] = []
    province: list[str] = []
    lead: list[str] = []
    from_: datetime.date | None = Field(None, alias="from")
    to: datetime.date | None = None


@router.get("/", response=ActionPageOut, url_name="action_index")
def action_index(
    request,
    filters: Query[ActionFilters],
    page: int = Query(1, ge=1),
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
):
    """Public actions matching the filters, a page at a time, with every facet's counts."""
    del filters  # documented and type-checked above; read below as the pages read them
    vocabulary = Vocabulary.load()
    query = actions_query_parse(request.GET, vocabulary)
    actions = actions_filter(query, vocabulary)
    listed = (
        Action.objects.filter(pk__in=actions.values("pk"))
        .select_related("type", "lead")
        .prefetch_related("target_audiences", "nodes__strategy")
        .order_by("code")
    )
    paginator = Paginator(listed, limit)
    if page > max(paginator.num_pages, 1):
        raise InvalidFilter("page", "page_out_of_range", "There is no such page.")
    return {
        "count": paginator.count,
        "page": page,
        "pages": paginator.num_pages,
        "items": [
            {
                "code": action.code,
                "title": action.title,
                "status": action.status,
                "type": action.type.code if action.type_id else None,
                "lead": action.lead.code if action.lead_id else None,
                "start_date": action.start_date,
                "end_date": action.end_date,
                "target_audiences": [term.code for term in action.target_audiences.all()],
                "nodes": [f"{node.strategy.code}:{node.code}" for node in action.nodes.all()],
            }
            for action in paginator.page(page).object_list
        ],
        "facets": [
            {
                "key": facet.key,
                "label": str(facet.label),
                "values": [vars(value) for value in facet.values],
            }
            for facet in facet_counts(query, vocabulary)
        ],
    }
