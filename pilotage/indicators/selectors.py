"""Reads on indicators: their values, statuses with explanations, and roll-ups."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import models

from pilotage.indicators.book import ProgressBook, rollup_item
from pilotage.indicators.models import Indicator, Measure, Observation, ObservationState
from pilotage.indicators.progress import Assessment, RollUp, Spec, Value, assess, rollup

PUBLIC_STATES = (ObservationState.PUBLISHED,)
ACCEPTED_STATES = (ObservationState.VALIDATED, ObservationState.PUBLISHED)


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
    """Indicators with what their pages and assessments need loaded."""
    queryset = Indicator.objects.with_relations()
    if action_ids is not None:
        queryset = queryset.filter(action_id__in=action_ids)
    if node_ids is not None:
        queryset = queryset.filter(node_id__in=node_ids)
    return queryset


def observation_values(
    indicators: Iterable[Indicator], *, states=PUBLIC_STATES
) -> dict[int, list[Value]]:
    """The numeric values of these indicators, by indicator id, in one query.

    A computed indicator's values come from its components, period by period, for the
    periods where every component has a value; they are never typed in.
    """
    indicators = list(indicators)
    components = _components(indicators)
    wanted = [i.pk for i in indicators] + [c.pk for c in components.values()]
    stored: dict[int, list[Value]] = defaultdict(list)
    rows = (
        Observation.objects.filter(indicator_id__in=wanted, state__in=states)
        .exclude(value=None)
        .values_list("indicator_id", "period_start", "period_end", "value")
    )
    for indicator_id, start, end, value in rows:
        stored[indicator_id].append(Value(start, end, value))
    values: dict[int, list[Value]] = defaultdict(list)
    for indicator in indicators:
        if indicator.is_computed:
            parts = [components.get(code) for code in indicator.formula["of"]]
            if all(parts):
                values[indicator.pk] = computed_values(indicator, [stored[p.pk] for p in parts])
        else:
            values[indicator.pk] = stored[indicator.pk]
    return values


def _components(indicators: list[Indicator]) -> dict[str, Indicator]:
    codes = {code for i in indicators if i.is_computed for code in i.formula.get("of", [])}
    return {i.code: i for i in Indicator.objects.filter(code__in=codes)} if codes else {}


def computed_values(indicator: Indicator, series: list[list[Value]]) -> list[Value]:
    """Apply a formula period by period: a ratio (×100 for a percentage) or a sum."""
    by_period = [{(v.start, v.end): v.value for v in values} for values in series]
    periods = set(by_period[0]).intersection(*by_period[1:])
    result = []
    for start, end in sorted(periods):
        numbers = [values[(start, end)] for values in by_period]
        if indicator.formula["op"] == "sum":
            value = sum(numbers, Decimal(0))
        elif numbers[1] == 0:
            continue  # a ratio over zero has no value
        else:
            value = (
                numbers[0] / numbers[1] * (100 if indicator.measure == Measure.PERCENTAGE else 1)
            )
        result.append(Value(start, end, value))
    return result


def indicator_assessments(
    indicators: Iterable[Indicator],
    *,
    states=PUBLIC_STATES,
    as_of: datetime.date | None = None,
) -> dict[int, Assessment]:
    """The status and explanation of each indicator, by id (public values by default)."""
    indicators = list(indicators)
    values = observation_values(indicators, states=states)
    return {
        indicator.pk: assess(indicator_spec(indicator), values.get(indicator.pk, []), as_of)
        for indicator in indicators
    }


def action_rollups(
    indicators: Iterable[Indicator], assessments: dict[int, Assessment]
) -> dict[int, RollUp]:
    """Each action's progress: the weighted mean of its indicators', with coverage."""
    by_action: dict[int, list] = defaultdict(list)
    for indicator in indicators:
        if indicator.action_id:
            by_action[indicator.action_id].append(
                rollup_item(indicator.weight, assessments[indicator.pk])
            )
    return {action_id: rollup(items) for action_id, items in by_action.items()}


def node_rollups(strategy, *, states=PUBLIC_STATES, as_of=None) -> dict[int, RollUp]:
    """Every node's progress, bottom-up: the mean of its children's, its actions' and its
    own indicators', over those that reported, with coverage (as of a date if given)."""
    book = ProgressBook.from_database(strategy_ids=[strategy.pk], states=states, as_of=as_of)
    return book.compute_all().nodes


def indicator_list_public() -> models.QuerySet[Indicator]:
    """Indicators the public may read: every one except those that belong only to draft
    strategies (on a node of a draft, or on an action serving drafts only)."""
    from pilotage.strategies.facets import public_actions
    from pilotage.strategies.models import Action, StrategyNode, StrategyStatus

    draft_nodes = StrategyNode.objects.filter(strategy__status=StrategyStatus.DRAFT)
    drafts_only = Action.objects.filter(nodes__in=draft_nodes).exclude(pk__in=public_actions())
    return indicator_list().exclude(node__in=draft_nodes).exclude(action__in=drafts_only)


def observation_list_public() -> models.QuerySet[Observation]:
    """Published values of public indicators."""
    return Observation.objects.filter(
        state__in=PUBLIC_STATES, indicator__in=indicator_list_public().values("pk")
    )


def observation_statuses(observations: Iterable[Observation]) -> dict[int, Assessment]:
    """For each published value, the status its indicator had as of the value's period
    end, from the published values up to then (by observation id; 2 queries + targets)."""
    observations = list(observations)
    indicators = {o.indicator_id: o.indicator for o in observations}
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
