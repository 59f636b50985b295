"""Reads on indicators: the public ones, their values and the statuses of their values.

Statuses and roll-ups of today come from the read model (indicators.readmodel); this
module lists records and values.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from pilotage.accounts.permissions import is_steering
from pilotage.indicators.book import (
    ACCEPTED_STATES,
    PUBLIC_STATES,
    computed_values,
    values_of,
)
from pilotage.indicators.models import Indicator, Observation
from pilotage.indicators.permissions import can_view_unpublished
from pilotage.indicators.progress import Assessment, Spec, Value, assess
from pilotage.indicators.readmodel import public_indicators

__all__ = [
    "ACCEPTED_STATES",
    "PUBLIC_STATES",
    "indicator_list",
    "indicator_list_public",
    "indicator_spec",
    "observation_list_public",
    "observation_statuses",
    "observation_values",
    "observations_visible_to",
]


def indicator_spec(indicator: Indicator) -> Spec:
    """The computation's view of an indicator (targets must be prefetched)."""
    return Spec(
        direction=indicator.direction,
        aggregation=indicator.aggregation,
        method=indicator.status_method,
        baseline_value=indicator.baseline_value,
        baseline_date=indicator.baseline_date,
        target_value=indicator.target_value,
        target_date=indicator.target_date,
        tolerance=indicator.tolerance,
        on_track_from=indicator.on_track_from,
        behind_from=indicator.behind_from,
        milestones=tuple((t.period_end, t.value) for t in indicator.targets.all()),
    )


def indicator_list(*, action_ids=None, node_ids=None) -> models.QuerySet[Indicator]:
    """Indicators with what their pages need loaded."""
    queryset = Indicator.objects.with_relations()
    if action_ids is not None:
        queryset = queryset.filter(action_id__in=action_ids)
    if node_ids is not None:
        queryset = queryset.filter(node_id__in=node_ids)
    return queryset


def indicator_list_public() -> models.QuerySet[Indicator]:
    """Indicators the public may read (readmodel.public_indicators), with relations."""
    return indicator_list().filter(pk__in=public_indicators().values("pk"))


def observation_values(
    indicators: Iterable[Indicator], *, states=PUBLIC_STATES
) -> dict[int, list[Value]]:
    """The values of these indicators, by id, for their charts (one query, and one more
    for computed indicators' components): a computed indicator's values come from its
    components, period by period, for the periods where every component has a value."""
    indicators = list(indicators)
    codes = {code for i in indicators if i.is_computed for code in i.formula.get("of", [])}
    components = (
        dict(Indicator.objects.filter(code__in=codes).values_list("code", "pk")) if codes else {}
    )
    stored = values_of(
        [i.pk for i in indicators if not i.is_computed] + list(components.values()),
        states=states,
    )
    values: dict[int, list[Value]] = {}
    for indicator in indicators:
        if not indicator.is_computed:
            values[indicator.pk] = stored.get(indicator.pk, [])
        elif all(code in components for code in indicator.formula["of"]):
            series = [stored.get(components[code], []) for code in indicator.formula["of"]]
            values[indicator.pk] = computed_values(indicator.formula, indicator.measure, series)
        else:
            values[indicator.pk] = []
    return values


def observation_list_public() -> models.QuerySet[Observation]:
    """Published values of public indicators (Observation.objects.public())."""
    return Observation.objects.public()


def observations_visible_to(
    user, queryset: models.QuerySet[Observation] | None = None
) -> models.QuerySet[Observation]:
    """The values `user` reads in the back-office: every one for steering staff; the
    public ones (`Observation.objects.public()`) and, whatever their state, its
    organisation's for a partner editor (indicators.permissions.can_view_unpublished);
    the public ones otherwise."""
    queryset = Observation.objects.all() if queryset is None else queryset
    if is_steering(user):
        return queryset
    published = models.Q(pk__in=Observation.objects.public().values("pk"))
    if not can_view_unpublished(user):
        return queryset.filter(published)
    return queryset.filter(published | models.Q(indicator__action__lead_id=user.organisation_id))


def observation_statuses(observations: Iterable[Observation]) -> dict[int, Assessment]:
    """For each published value, the status its indicator had as of the value's period
    end, from the published values up to then (by observation id; 2 queries + targets).
    Today's status is the read model's; this is the history behind it."""
    observations = list(observations)
    indicators = {o.indicator_id for o in observations}
    loaded = {
        i.pk: i for i in Indicator.objects.filter(pk__in=indicators).prefetch_related("targets")
    }
    values = observation_values(loaded.values())
    return {
        o.pk: assess(
            indicator_spec(loaded[o.indicator_id]),
            values.get(o.indicator_id, []),
            o.period_end,
        )
        for o in observations
    }
