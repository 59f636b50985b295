"""`/api/v1/indicators/` and `/api/v1/observations/`: the same numbers as the pages."""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from ninja import Router, Status

from pilotage.indicators import services
from pilotage.indicators.explain import explanation
from pilotage.indicators.models import Indicator, Observation
from pilotage.indicators.schemas import (
    ErrorOut,
    IndicatorDetailOut,
    IndicatorOut,
    ObservationIn,
    ObservationOut,
)
from pilotage.indicators.selectors import PUBLIC_STATES, indicator_assessments, indicator_list

router = Router(tags=["indicators"])
observations = Router(tags=["observations"])


def _indicator_out(indicator: Indicator, assessment) -> dict:
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


@router.get("/", response=list[IndicatorOut])
def indicator_index(request, action: str | None = None, strategy: str | None = None):
    """Every indicator with its status and the numbers behind it (published values)."""
    queryset = indicator_list()
    if action:
        queryset = queryset.filter(action__code=action)
    if strategy:
        queryset = queryset.filter(
            Q(action__nodes__strategy__code=strategy) | Q(node__strategy__code=strategy)
        ).distinct()
    indicators = list(queryset.order_by("code"))
    assessments = indicator_assessments(indicators)
    return [_indicator_out(i, assessments[i.pk]) for i in indicators]


@router.get("/{code}", response={200: IndicatorDetailOut, 404: ErrorOut})
def indicator_detail(request, code: str):
    """One indicator, its status and its published values."""
    indicator = get_object_or_404(indicator_list(), code=code)
    assessment = indicator_assessments([indicator])[indicator.pk]
    values = indicator.observations.filter(state__in=PUBLIC_STATES).select_related("indicator")
    return _indicator_out(indicator, assessment) | {
        "observations": [_observation_out(o) for o in values]
    }


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
