"""`/api/v1/indicators/` and `/api/v1/observations/`: the same numbers as the pages.

Lists answer the API's envelope ({count, next, next_cursor, items}, `core.api.envelope`),
cursor-paginated."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from pilotage.accounts.api import PUBLIC, OptionalTokenAuth
from pilotage.accounts.permissions import is_steering
from pilotage.core.api import (
    PAGING_KEYS,
    IsoDate,
    QueryError,
    choices_schema,
    cursor_page,
    cursor_param,
    envelope,
    limit_check,
    limit_param,
    params_check,
    refused,
    rows_page,
    unknown_record,
)
from pilotage.indicators import services
from pilotage.indicators.explain import explanation
from pilotage.indicators.models import Indicator, Observation
from pilotage.indicators.permissions import can_view_unpublished
from pilotage.indicators.progress import Status as IndicatorStatus
from pilotage.indicators.readmodel import ReadModel, read_model
from pilotage.indicators.schemas import (
    ErrorOut,
    IndicatorDetailOut,
    IndicatorPageOut,
    ObservationIn,
    ObservationOut,
    ObservationPageOut,
)
from pilotage.indicators.selectors import (
    PUBLIC_STATES,
    indicator_list_public,
    observation_list_public,
    observation_statuses,
)
from pilotage.strategies.facets import public_actions
from pilotage.strategies.models import Strategy

router = Router(tags=["indicators"])
observations = Router(tags=["observations"])


DEFAULT_LIMIT = 100


def indicator_out(indicator: Indicator, assessment) -> dict:
    return {
        "code": indicator.code,
        "title": indicator.title,
        "kind": indicator.kind,
        "unit": indicator.unit,
        "measure": indicator.measure,
        "direction": indicator.direction,
        "action": indicator.action.code if indicator.action_id else None,
        "node": f"{indicator.node.strategy.code}:{indicator.node.code}"
        if indicator.node_id
        else None,
        "assessment": assessment.as_dict() | {"explanation": explanation(assessment)},
    }


def _observation_out(observation: Observation, code: str | None = None) -> dict:
    return {
        "indicator": code or observation.indicator.code,
        "period_start": observation.period_start,
        "period_end": observation.period_end,
        "value": observation.value,
        "qualifier": observation.qualifier,
        "state": observation.state,
    }


def _unknown(field: str, value: str) -> QueryError:
    return unknown_record(field, f"“{value}” is not a value of “{field}”.")


# The status filter's values, in either spelling (`at_risk`, `at-risk`).
STATUS_VALUES = sorted(
    {*IndicatorStatus.values} | {v.replace("_", "-") for v in IndicatorStatus.values}
)


def _scoped(queryset, prefix: str, *, action=None, strategy=None, indicator=None):
    """Filter by indicator, action or public strategy; an unknown code is refused (404),
    so a misspelt filter never answers with an empty list that looks true."""
    if indicator:
        if not indicator_list_public().filter(code=indicator).exists():
            raise _unknown("indicator", indicator)
        queryset = queryset.filter(**{f"{prefix}code": indicator})
    if action:
        if not public_actions().filter(code=action).exists():
            raise _unknown("action", action)
        queryset = queryset.filter(**{f"{prefix}action__code": action})
    if strategy:
        if not Strategy.objects.public().filter(code=strategy).exists():
            raise _unknown("strategy", strategy)
        in_strategy = indicator_list_public().filter(
            Q(action__nodes__strategy__code=strategy) | Q(node__strategy__code=strategy)
        )
        queryset = queryset.filter(**{f"{prefix}pk__in": in_strategy.values("pk")})
    return queryset


def statuses_parse(values: list[str], field: str = "status") -> list[str] | None:
    """Status filter values (`at-risk` or `at_risk`), None when none is given; an unknown
    one is refused (400: the schema lists them), naming the parameter."""
    values = [value for value in values if value]  # an empty one is no filter
    if not values:
        return None
    statuses = []
    for value in values:
        status = value.strip().replace("-", "_")
        if status not in IndicatorStatus.values:
            raise QueryError(field, "unknown_value", f"“{value}” is not a value of “{field}”.")
        statuses.append(status)
    return statuses


def _indicator_ids(model: ReadModel, *, action=None, strategy=None, statuses=None) -> list[int]:
    """The read model's public indicators of an action or a strategy (its nodes' and its
    actions' indicators), in code order; an unknown code is refused (404)."""
    action_ids = node_ids = None
    if action:
        found = public_actions().filter(code=action).values_list("pk", flat=True).first()
        if found is None:
            raise _unknown("action", action)
        action_ids = [found]
    if strategy:
        found = next((s for s in model.strategies if s.code == strategy), None)
        if found is None:
            raise _unknown("strategy", strategy)
        nodes = [pk for pk, node in model.nodes.items() if node.strategy_id == found.pk]
        in_strategy = model.actions_under(nodes)
        if action_ids is not None:  # both: the action's indicators, if it serves the strategy
            action_ids = [pk for pk in action_ids if pk in in_strategy]
            nodes = []
        else:
            action_ids = sorted(in_strategy)
        node_ids = nodes
    return model.indicator_ids(statuses=statuses, action_ids=action_ids, node_ids=node_ids)


def indicator_rows_of(ids: list[int]) -> models.QuerySet[Indicator]:
    """These indicators with what `indicator_out` reads (one query)."""
    return Indicator.objects.filter(pk__in=ids).select_related("action", "node__strategy")


class IndicatorFilter(Schema):
    """Indicators in any of these statuses (`at-risk` and `at_risk` alike)."""

    status: list[str] = Field([], json_schema_extra=choices_schema(STATUS_VALUES, many=True))


@router.get("/", response={200: IndicatorPageOut, 400: ErrorOut})
def indicator_index(
    request,
    response: HttpResponse,
    filters: Query[IndicatorFilter],
    action: str | None = None,
    strategy: str | None = None,
    cursor: str | None = cursor_param(),
    limit: int = limit_param(DEFAULT_LIMIT),
):
    """Every public indicator with its status and the numbers behind it (published values),
    by code; filter by action, by strategy (its actions' and nodes' indicators), by status
    (`status=at-risk`, repeated for several: any of them)."""
    params_check(request, ("action", "strategy", "status", *PAGING_KEYS))
    limit_check(limit)
    model = read_model()
    ids = _indicator_ids(
        model,
        action=action,
        strategy=strategy,
        statuses=statuses_parse(filters.status),
    )
    entries = model.book.entries
    page, following = rows_page(
        request, ids, lambda pk: (entries[pk].code,), width=1, limit=limit, cursor=cursor
    )
    found = {i.pk: i for i in indicator_rows_of(page)}
    indicators = [found[pk] for pk in page if pk in found]
    items = [indicator_out(i, model.assessment(i.pk)) for i in indicators]
    return envelope(request, response, items, count=len(ids), following=following)


@router.get("/{code}", response={200: IndicatorDetailOut, 404: ErrorOut})
def indicator_detail(request, code: str):
    """One indicator, its status and its published values."""
    params_check(request, ())
    model = read_model()
    pk = model.by_code.get(code)
    if pk is None:
        raise Http404
    indicator = get_object_or_404(indicator_rows_of([pk]))
    values = indicator.observations.filter(state__in=PUBLIC_STATES)
    return indicator_out(indicator, model.assessment(pk)) | {
        "observations": [_observation_out(o, code=indicator.code) for o in values]
    }


class PeriodFilter(Schema):
    """Values whose period overlaps [from, to]."""

    from_: IsoDate | None = Field(None, alias="from")
    to: IsoDate | None = None


def _observations_readable(user):
    """What a request may read: published values of public indicators for the public
    (and tokens of other roles, a reader's tied to an organisation included); every state
    of what its organisation reports for a partner editor's token; everything for
    steering staff."""
    if user is PUBLIC or user is None or not can_view_unpublished(user):
        return observation_list_public()
    if is_steering(user):
        return Observation.objects.all()
    return Observation.objects.filter(indicator__action__lead_id=user.organisation_id)


@observations.get(
    "/", response=ObservationPageOut, auth=OptionalTokenAuth(), url_name="observation_index"
)
def observation_index(
    request,
    response: HttpResponse,
    period: Query[PeriodFilter],
    indicator: str | None = None,
    action: str | None = None,
    strategy: str | None = None,
    cursor: str | None = cursor_param(),
    limit: int = limit_param(DEFAULT_LIMIT),
):
    """Published values, by indicator then period, each with the status its indicator had
    as of that period and the sentence explaining it. `from`/`to` keep the values whose
    period overlaps them. Without a token: published values only; with a partner's token:
    every value its organisation reports, whatever its state."""
    params_check(request, ("indicator", "action", "strategy", "from", "to", *PAGING_KEYS))
    period_from, period_to = period.from_, period.to
    queryset = _scoped(
        _observations_readable(request.auth).select_related("indicator"),
        "indicator__",
        action=action,
        strategy=strategy,
        indicator=indicator,
    )
    if period_from and period_to and period_from > period_to:
        queryset = queryset.none()  # a period ending before it starts overlaps nothing
    if period_from:
        queryset = queryset.filter(period_end__gte=period_from)
    if period_to:
        queryset = queryset.filter(period_start__lte=period_to)
    items, following = cursor_page(
        request, queryset, ("indicator__code", "period_start", "id"), limit=limit, cursor=cursor
    )
    statuses = observation_statuses(items)
    rows = [
        _observation_out(o)
        | {
            "status": statuses[o.pk].status,
            "status_label": str(statuses[o.pk].status_label),
            "explanation": explanation(statuses[o.pk]),
        }
        for o in items
    ]
    return envelope(request, response, rows, count=queryset.count(), following=following)


@observations.post(
    "/", response={201: ObservationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def observation_submit(request, payload: ObservationIn):
    """Report a value for a period, as the account the token acts as; submitted by default.

    A value its indicator's rules refuse answers 409 naming the field: a period not ended
    yet, not of the indicator's frequency, ending before it starts, or validated and
    locked (staff must reopen it first). The schema cannot state these: they depend on the
    indicator and on the date.
    """
    try:
        return _observation_submit(request, payload)
    except services.PeriodLocked:
        raise
    except ValidationError as error:
        raise refused(error, status=409) from None


def _observation_submit(request, payload: ObservationIn):
    indicator = get_object_or_404(
        Indicator.objects.select_related("action"), code=payload.indicator
    )
    # A field the client leaves out keeps what is stored (a correction of the value alone
    # keeps the comment); one it sends, even empty, replaces it.
    given = {
        name: getattr(payload, name)
        for name in ("value", "numerator", "denominator", "comment")
        if name in payload.model_fields_set
    }
    observation = services.observation_record(
        actor=request.auth,
        indicator=indicator,
        period_start=payload.period_start,
        period_end=payload.period_end,
        **given,
    )
    if payload.submit:
        observation = services.observation_transition(
            actor=request.auth, observation=observation, transition="submit"
        )
    return Status(201, _observation_out(observation))
