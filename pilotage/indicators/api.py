"""`/api/v1/indicators/` and `/api/v1/observations/`: the same numbers as the pages.

Lists are cursor-paginated: the body is the page, the next page's URL is in the `Link`
header (rel="next")."""

from __future__ import annotations

import datetime

from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status

from pilotage.accounts.api import PUBLIC, OptionalTokenAuth
from pilotage.accounts.permissions import is_steering
from pilotage.core.api import PAGING_KEYS, QueryError, cursor_page, params_check
from pilotage.indicators import services
from pilotage.indicators.explain import explanation
from pilotage.indicators.models import Indicator, Observation
from pilotage.indicators.schemas import (
    ErrorOut,
    IndicatorDetailOut,
    IndicatorOut,
    ObservationIn,
    ObservationOut,
    ObservationReadOut,
)
from pilotage.indicators.selectors import (
    PUBLIC_STATES,
    indicator_assessments,
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


def _observation_out(observation: Observation) -> dict:
    return {
        "indicator": observation.indicator.code,
        "period_start": observation.period_start,
        "period_end": observation.period_end,
        "value": observation.value,
        "qualifier": observation.qualifier,
        "state": observation.state,
    }


def _unknown(field: str, value: str) -> QueryError:
    return QueryError(field, "unknown_value", f"“{value}” is not a value of “{field}”.")


def _scoped(queryset, prefix: str, *, action=None, strategy=None, indicator=None):
    """Filter by indicator, action or public strategy; an unknown code is refused (400),
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


@router.get("/", response=list[IndicatorOut])
def indicator_index(
    request,
    response: HttpResponse,
    action: str | None = None,
    strategy: str | None = None,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1),
):
    """Every public indicator with its status and the numbers behind it (published values),
    by code; filter by action or strategy (its actions' and nodes' indicators)."""
    params_check(request, ("action", "strategy", *PAGING_KEYS))
    queryset = _scoped(indicator_list_public(), "", action=action, strategy=strategy)
    indicators, _next = cursor_page(
        request, queryset, ("code",), limit=limit, cursor=cursor, response=response
    )
    assessments = indicator_assessments(indicators)
    return [indicator_out(i, assessments[i.pk]) for i in indicators]


@router.get("/{code}", response={200: IndicatorDetailOut, 404: ErrorOut})
def indicator_detail(request, code: str):
    """One indicator, its status and its published values."""
    params_check(request, ())
    indicator = get_object_or_404(indicator_list_public(), code=code)
    assessment = indicator_assessments([indicator])[indicator.pk]
    values = indicator.observations.filter(state__in=PUBLIC_STATES).select_related("indicator")
    return indicator_out(indicator, assessment) | {
        "observations": [_observation_out(o) for o in values]
    }


class PeriodFilter(Schema):
    """Values whose period overlaps [from, to]."""

    from_: datetime.date | None = Field(None, alias="from")
    to: datetime.date | None = None


def _observations_readable(user):
    """What a request may read: published values of public indicators for the public
    (and tokens of other roles); every state of what its organisation reports for a
    partner's token; everything for steering staff."""
    if user is PUBLIC or user is None:
        return observation_list_public()
    if is_steering(user):
        return Observation.objects.all()
    if user.organisation_id:
        return Observation.objects.filter(indicator__action__lead_id=user.organisation_id)
    return observation_list_public()


@observations.get(
    "/", response=list[ObservationReadOut], auth=OptionalTokenAuth(), url_name="observation_index"
)
def observation_index(
    request,
    response: HttpResponse,
    period: Query[PeriodFilter],
    indicator: str | None = None,
    action: str | None = None,
    strategy: str | None = None,
    cursor: str | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1),
):
    """Published values, by indicator then period, each with the status its indicator had
    as of that period and the sentence explaining it. `from`/`to` keep the values whose
    period overlaps them. Without a token: published values only; with a partner's token:
    every value its organisation reports, whatever its state."""
    params_check(request, ("indicator", "action", "strategy", "from", "to", *PAGING_KEYS))
    period_from, period_to = period.from_, period.to
    if period_from and period_to and period_from > period_to:
        raise QueryError("to", "invalid_range", "The end of the period comes before its start.")
    queryset = _scoped(
        _observations_readable(request.auth).select_related("indicator"),
        "indicator__",
        action=action,
        strategy=strategy,
        indicator=indicator,
    )
    if period_from:
        queryset = queryset.filter(period_end__gte=period_from)
    if period_to:
        queryset = queryset.filter(period_start__lte=period_to)
    items, _next = cursor_page(
        request,
        queryset,
        ("indicator__code", "period_start", "id"),
        limit=limit,
        cursor=cursor,
        response=response,
    )
    statuses = observation_statuses(items)
    return [
        _observation_out(o)
        | {
            "status": statuses[o.pk].status,
            "status_label": str(statuses[o.pk].status_label),
            "explanation": explanation(statuses[o.pk]),
        }
        for o in items
    ]


@observations.post(
    "/", response={201: ObservationOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}
)
def observation_submit(request, payload: ObservationIn):
    """Report a value for a period, as the account the token acts as; submitted by default.

    A validated period answers 409: staff must reopen it first.
    """
    indicator = get_object_or_404(
        Indicator.objects.select_related("action"), code=payload.indicator
    )
    observation = services.observation_record(
        actor=request.auth,
        indicator=indicator,
        period_start=payload.period_start,
        period_end=payload.period_end,
        value=payload.value,
        numerator=payload.numerator,
        denominator=payload.denominator,
        comment=payload.comment,
    )
    if payload.submit:
        observation = services.observation_transition(
            actor=request.auth, observation=observation, transition="submit"
        )
    return Status(201, _observation_out(observation))
