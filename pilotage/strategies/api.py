"""`/api/v1/actions/` (the public actions with the dashboard's filters and facet counts)
and `/api/v1/strategies/` (strategies, their levels and nodes).

The action parameters go through `strategies.facets`, the same read layer as the pages, so
the count here equals the count on the page for the same URL query.
"""

from __future__ import annotations

import datetime
import hashlib

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.utils.translation import get_language
from ninja import Field, Query, Router, Schema

from pilotage.core.api import (
    PAGING_KEYS,
    IsoDate,
    Number,
    QueryError,
    choices_schema,
    cursor_decode,
    cursor_page,
    cursor_param,
    envelope,
    limit_check,
    limit_param,
    page_schema,
    params_check,
    rows_page,
    unknown_record,
)
from pilotage.core.revisions import cached
from pilotage.indicators.api import indicator_out, indicator_rows_of
from pilotage.indicators.progress import RollUp
from pilotage.indicators.progress import Status as IndicatorStatus
from pilotage.indicators.readmodel import read_model
from pilotage.indicators.schemas import ErrorOut, IndicatorOut
from pilotage.strategies.facets import (
    UNDATED_VALUES,
    InvalidFilter,
    Vocabulary,
    actions_filter,
    actions_query_parse,
    facet_counts,
)
from pilotage.strategies.models import Action, ActionStatus, Strategy, StrategyNode
from pilotage.strategies.selectors import (
    action_list_public,
    action_public_get,
    strategy_list_public,
    strategy_public_get,
)
from pilotage.taxonomies.models import code_validator
from pilotage.taxonomies.selectors import record_terms

router = Router(tags=["actions"])
strategy_router = Router(tags=["strategies"])


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


class ActionFacetValueOut(Schema):
    code: str
    label: str
    count: int
    selected: bool


class ActionFacetOut(Schema):
    key: str
    label: str
    values: list[ActionFacetValueOut]


ActionPageOut = page_schema(
    "ActionPageOut",
    ActionOut,
    page=(int, Field(description="This page's number (`page` paging)")),
    pages=(int, Field(description="The number of pages of `limit` items")),
    facets=(list[ActionFacetOut], Field(description="Every facet's counts for this query")),
)
_CODE = code_validator.regex.pattern[1:-1]


class PartnerOut(Schema):
    organisation: str
    role: str


class ActionDetailOut(ActionOut):
    description: str
    partners: list[PartnerOut]
    terms: list[str]
    indicators: list[IndicatorOut]


class ActionFilters(Schema):
    """Within a filter the values combine with OR, across filters with AND."""

    strategy: list[str] = []
    type: list[str] = []
    audience: list[str] = []
    status: list[str] = Field([], json_schema_extra=choices_schema(ActionStatus.values, many=True))
    # An indicator status: actions with an indicator in it.
    progress: list[str] = Field(
        [], json_schema_extra=choices_schema(IndicatorStatus.values, many=True)
    )
    funding: list[str] = []
    province: list[str] = []
    lead: list[str] = []
    from_: IsoDate | None = Field(None, alias="from")
    to: IsoDate | None = None
    undated: str = Field(
        "",
        description="Actions with neither a start nor an end date match no `from`/`to` "
        "window: `true` selects them (beside the window's actions, or alone without a "
        "window), `false` leaves them out",
        json_schema_extra=choices_schema(UNDATED_VALUES),
    )
    node: str = Field(
        "",
        description="`strategy:node`: the actions of this node and of every node below it, "
        "as its page lists them",
        json_schema_extra={"pattern": f"^({_CODE}:{_CODE})?$", "maxLength": 201},
    )


def _action_out(action: Action) -> dict:
    return {
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


@router.get(
    "/", response={200: ActionPageOut, 400: ErrorOut, 422: ErrorOut}, url_name="action_index"
)
def action_index(
    request,
    response: HttpResponse,
    filters: Query[ActionFilters],
    page: int = Query(1, ge=1, description="A page number, instead of a cursor"),
    cursor: str | None = cursor_param(),
    limit: int = limit_param(50),
):
    """Public actions matching the filters, by code, with every facet's counts.

    Page through with `cursor` (`next`, `next_cursor` and the `Link` header give the next
    page; a cursor page costs the same wherever it is in the list) or with `page` (and
    `pages`), not both (400 `cursor_and_page`)."""
    del filters  # documented and type-checked above; read below as the pages read them
    limit_check(limit)
    if cursor and page > 1:
        cursor_decode(request, cursor, 1)  # one this list did not issue names no page: 404
        raise QueryError("cursor", "cursor_and_page", "Give a cursor or a page, not both.")
    # The same answer for every reader until the data change (as the pages): computed
    # once per revision, language and address.
    key = "|".join(("api-actions", get_language(), request.get_host(), request.get_full_path()))

    def answer():
        body, link = _action_index(request, page=page, cursor=cursor, limit=limit)
        return ActionPageOut.model_validate(body), link  # validated once, kept validated

    body, link = cached(
        hashlib.sha256(key.encode()).hexdigest(), read_model().revision, answer, timeout=60
    )
    if link:
        response["Link"] = link
    return body


def _action_index(request, *, page: int, cursor: str | None, limit: int) -> tuple[dict, str]:
    """The actions API's answer and its `Link` header."""
    response = HttpResponse()
    vocabulary = Vocabulary.load()
    params = request.GET.copy()
    node = _node_scope((params.pop("node", None) or [""])[-1], vocabulary)
    query = actions_query_parse(params, vocabulary, node=node)
    actions = actions_filter(query, vocabulary)
    listed = action_list_public().filter(pk__in=actions.values("pk"))
    paginator = Paginator(listed, limit)
    if page > max(paginator.num_pages, 1):
        raise InvalidFilter("page", "page_out_of_range", "There is no such page.", status=404)
    if cursor or page == 1:
        items, following = cursor_page(request, listed, ("code",), limit=limit, cursor=cursor)
    else:
        items, following = paginator.page(page).object_list, None
    body = envelope(
        request,
        response,
        [_action_out(action) for action in items],
        count=paginator.count,
        following=following,
        page=page,
        pages=paginator.num_pages,
        facets=[
            {
                "key": facet.key,
                "label": str(facet.label),
                "values": [vars(value) for value in facet.values],
            }
            for facet in facet_counts(query, vocabulary)
        ],
    )
    return body, response.get("Link", "")


def _node_scope(code: str, vocabulary: Vocabulary) -> StrategyNode | None:
    """The public node a `node` filter names (`strategy:node`), or None when not given;
    a code naming none is refused (404)."""
    if not code:
        return None
    strategy_code, _colon, node_code = code.partition(":")
    strategy = vocabulary.strategies.get(strategy_code)
    found = strategy and next(
        (
            node
            for node in vocabulary.model.nodes.values()
            if node.strategy_id == strategy.pk and node.code == node_code
        ),
        None,
    )
    if not found:
        raise unknown_record("node", f"“{code}” is not a public node (strategy:node).")
    return found


@router.get("/{code}", response={200: ActionDetailOut, 400: ErrorOut, 404: ErrorOut})
def action_detail(request, code: str):
    """One public action: what the page shows, with its indicators' statuses."""
    params_check(request, ())
    try:
        action = action_public_get(code)
    except Action.DoesNotExist:
        raise Http404 from None
    model = read_model()
    indicators = indicator_rows_of(model.indicator_ids(action_ids=[action.pk])).order_by("code")
    return _action_out(action) | {
        "description": action.description,
        "partners": [
            {"organisation": p.organisation.code, "role": p.role} for p in action.partnerships.all()
        ],
        "terms": [f"{term.taxonomy.code}:{term.code}" for term in record_terms(action)],
        "indicators": [indicator_out(i, model.assessment(i.pk)) for i in indicators],
    }


# Strategies -----------------------------------------------------------------------------


class LevelOut(Schema):
    code: str
    name: str
    depth: int


class StrategyOut(Schema):
    code: str
    title: str
    description: str
    version: str
    status: str
    period_start: datetime.date
    period_end: datetime.date | None
    owner: str | None
    predecessor: str | None
    nodes: int
    levels: list[LevelOut]


class RollUpOut(Schema):
    progress: Number | None
    reported: int
    total: int
    assessed: int


class NodeOut(Schema):
    strategy: str
    code: str
    title: str
    description: str
    level: str
    depth: int
    parent: str | None
    order: int
    progress: RollUpOut | None


class NodeDetailOut(NodeOut):
    values: list
    ancestors: list[str]
    children: list[str]
    actions: list[str]
    indicators: list[str]


def _strategy_out(strategy) -> dict:
    return {
        "code": strategy.code,
        "title": strategy.title,
        "description": strategy.description,
        "version": strategy.version,
        "status": strategy.status,
        "period_start": strategy.period_start,
        "period_end": strategy.period_end,
        "owner": strategy.owner.code if strategy.owner_id else None,
        "predecessor": strategy.public_predecessor.code if strategy.public_predecessor else None,
        "nodes": strategy.node_count,
        "levels": [
            {"code": level.code, "name": level.name, "depth": level.depth}
            for level in sorted(strategy.levels.all(), key=lambda level: level.depth)
        ],
    }


def _rollup_out(rollup: RollUp | None) -> dict | None:
    if rollup is None:
        return None
    return {
        "progress": rollup.progress,
        "reported": rollup.reported,
        "total": rollup.total,
        "assessed": rollup.assessed,
    }


def _node_out(
    strategy: Strategy, node: StrategyNode, parents: dict[int, str], rollup: RollUp | None
) -> dict:
    return {
        "strategy": strategy.code,
        "code": node.code,
        "title": node.title,
        "description": node.description,
        "level": node.level.code,
        "depth": node.level.depth,
        "parent": parents.get(node.parent_id),
        "order": node.order,
        "progress": _rollup_out(rollup),
    }


def _strategy(code: str) -> Strategy:
    try:
        return strategy_public_get(code)
    except Strategy.DoesNotExist:
        raise Http404 from None


StrategyPageOut = page_schema("StrategyPageOut", StrategyOut)
NodePageOut = page_schema("NodePageOut", NodeOut)


@strategy_router.get("/", response={200: StrategyPageOut, 400: ErrorOut, 404: ErrorOut})
def strategy_index(
    request,
    response: HttpResponse,
    cursor: str | None = cursor_param(),
    limit: int = limit_param(),
):
    """Every public strategy (adopted or archived), newest period first, with its levels."""
    params_check(request, PAGING_KEYS)
    strategies = list(strategy_list_public())
    page, following = rows_page(
        request,
        strategies,
        lambda s: (-s.period_start.toordinal(), s.code),
        width=2,
        limit=limit,
        cursor=cursor,
    )
    items = [_strategy_out(strategy) for strategy in page]
    return envelope(request, response, items, count=len(strategies), following=following)


@strategy_router.get("/{code}", response={200: StrategyOut, 400: ErrorOut, 404: ErrorOut})
def strategy_detail(request, code: str):
    """One public strategy with its levels."""
    params_check(request, ())
    return _strategy_out(_strategy(code))


@strategy_router.get("/{code}/nodes/", response={200: NodePageOut, 400: ErrorOut, 404: ErrorOut})
def node_index(
    request,
    code: str,
    response: HttpResponse,
    level: str | None = None,
    parent: str | None = None,
    cursor: str | None = cursor_param(),
    limit: int = limit_param(100),
):
    """A strategy's nodes, top-down (level, then order), each with its progress (the
    roll-up of the published values, as on its page); filter by level or parent code."""
    params_check(request, ("level", "parent", *PAGING_KEYS))
    strategy = _strategy(code)
    model = read_model()
    nodes = _nodes_of(model, strategy)
    codes = {node.pk: node.code for node in nodes}
    if level is not None:
        if (
            level not in {node.level.code for node in nodes}
            and not strategy.levels.filter(code=level).exists()
        ):
            raise unknown_record("level", f"“{level}” is not a level.")
        nodes = [node for node in nodes if node.level.code == level]
    if parent is not None:
        if parent not in codes.values():
            raise unknown_record("parent", f"“{parent}” is not a node.")
        nodes = [node for node in nodes if codes.get(node.parent_id) == parent]
    page, following = rows_page(request, nodes, _node_key, width=3, limit=limit, cursor=cursor)
    items = [_node_out(strategy, node, codes, model.node_rollup(node.pk)) for node in page]
    return envelope(request, response, items, count=len(nodes), following=following)


@strategy_router.get(
    "/{code}/nodes/{node}", response={200: NodeDetailOut, 400: ErrorOut, 404: ErrorOut}
)
def node_detail(request, code: str, node: str):
    """One node: where it sits, what is below it, its actions and indicators, and its
    progress (the roll-up of the published values, as on its page)."""
    params_check(request, ())
    strategy = _strategy(code)
    model = read_model()
    nodes = {n.pk: n for n in _nodes_of(model, strategy)}
    found = next((n for n in nodes.values() if n.code == node), None)
    if found is None:
        raise Http404
    codes = {pk: n.code for pk, n in nodes.items()}
    ancestors, parent = [], nodes.get(found.parent_id)
    while parent is not None:
        ancestors.insert(0, parent.code)
        parent = nodes.get(parent.parent_id)
    children = sorted(
        (n for n in nodes.values() if n.parent_id == found.pk), key=lambda n: (n.order, n.code)
    )
    entries = model.book.entries
    return _node_out(strategy, found, codes, model.node_rollup(found.pk)) | {
        "values": found.values,
        "ancestors": ancestors,
        "children": [child.code for child in children],
        "actions": sorted(found.actions.values_list("code", flat=True)),
        "indicators": [entries[pk].code for pk in model.indicator_ids(node_ids=[found.pk])],
    }


def _nodes_of(model, strategy: Strategy) -> list[StrategyNode]:
    """A public strategy's nodes as the read model holds them, top-down (level, then
    order)."""
    nodes = [node for node in model.nodes.values() if node.strategy_id == strategy.pk]
    return sorted(nodes, key=_node_key)


def _node_key(node: StrategyNode) -> tuple[int, int, str]:
    return (node.level.depth, node.order, node.code)
