"""The progress book: every assessment and roll-up of a set of strategies, kept current.

The one engine of statuses and roll-ups: the read model (indicators.readmodel) holds the
public strategies' book, the quarterly report computes one as of its quarter from the
validated values. `compute_all` computes everything once; `refresh` reads a few
indicators again (their definition, targets and values) and recomputes only what depends
on them: those indicators, the computed (formula) indicators they are a component of,
their actions, the nodes those serve and their ancestors.

A book keeps each indicator's `Summary` (count, first and last values), not its values:
the database computes it (one window query), so two million values load in seconds and
cost no memory. Sums and averages, and formulas, are summed here from their values,
exactly (SQLite would add floats).

A node's progress is the weighted mean of what is directly below it (its indicators, its
child nodes, its actions); its coverage counts every action and node indicator of its
whole subtree, each once: "3 of 5 reported" above children saying "1 of 2" and "2 of 3".
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import RowNumber

from pilotage.indicators.models import Indicator, Measure, Observation, ObservationState
from pilotage.indicators.progress import (
    Assessment,
    RollUp,
    Spec,
    Summary,
    Value,
    assess,
    rollup,
    summarise,
)

PUBLIC_STATES = (ObservationState.PUBLISHED,)
ACCEPTED_STATES = (ObservationState.VALIDATED, ObservationState.PUBLISHED)
SPEC_FIELDS = (
    "pk",
    "code",
    "action_id",
    "node_id",
    "weight",
    "direction",
    "aggregation",
    "status_method",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "tolerance",
    "on_track_from",
    "behind_from",
    "formula",
    "measure",
)


def rollup_item(weight, assessment: Assessment) -> tuple:
    """What an indicator contributes to a roll-up: (weight, progress, reported).

    Only the trajectory's share of the way is a progress; a growth rate is not a share of
    a target. An indicator with a value has reported, even without a target.
    """
    progress = assessment.progress if assessment.method == "trajectory" else None
    return (weight, progress, assessment.actual is not None)


def computed_values(formula: dict, measure: str, series: list[list[Value]]) -> list[Value]:
    """Apply a formula period by period: a ratio (×100 for a percentage) or a sum, over
    the periods where every component has a value."""
    by_period = [{(v.start, v.end): v.value for v in values} for values in series]
    periods = set(by_period[0]).intersection(*by_period[1:])
    result = []
    for start, end in sorted(periods):
        numbers = [values[(start, end)] for values in by_period]
        if formula["op"] == "sum":
            value = sum(numbers, Decimal(0))
        elif numbers[1] == 0:
            continue  # a ratio over zero has no value
        else:
            value = numbers[0] / numbers[1] * (100 if measure == Measure.PERCENTAGE else 1)
        result.append(Value(start, end, value))
    return result


def _rows(queryset, *, many: bool):
    """Rows streamed in chunks when there are many (a full build), else read at once: a
    server-side cursor costs more than a few rows do."""
    return queryset.iterator(chunk_size=20000) if many else queryset


def _observations(indicators, *, states, as_of):
    """The numeric values of `indicators` (a queryset or ids) in these states."""
    observations = Observation.objects.filter(
        indicator_id__in=indicators, state__in=states, value__isnull=False
    )
    return observations.filter(period_end__lte=as_of) if as_of is not None else observations


def values_of(indicator_ids: Iterable[int], *, states, as_of=None) -> dict[int, list[Value]]:
    """Every stored value of these indicators, by id (one query)."""
    values: dict[int, list[Value]] = defaultdict(list)
    ids = list(indicator_ids)
    rows = _observations(ids, states=states, as_of=as_of).values_list(
        "indicator_id", "period_start", "period_end", "value"
    )
    for indicator_id, start, end, value in _rows(rows.order_by(), many=len(ids) > 500):
        values[indicator_id].append(Value(start, end, value))
    return values


def last_value_summaries(indicators, *, states, as_of=None) -> dict[int, Summary]:
    """The summary of each indicator's values, computed by the database: its count, its
    earliest start, and the values of its first and last periods (no sum: for stocks)."""
    ranked = (
        _observations(indicators, states=states, as_of=as_of)
        .annotate(
            latest=Window(
                RowNumber(),
                partition_by=[F("indicator_id")],
                order_by=[F("period_end").desc(), F("period_start").desc()],
            ),
            earliest=Window(
                RowNumber(),
                partition_by=[F("indicator_id")],
                order_by=[F("period_end").asc(), F("period_start").asc()],
            ),
            n=Window(Count("pk"), partition_by=[F("indicator_id")]),
            first_start=Window(Min("period_start"), partition_by=[F("indicator_id")]),
        )
        .filter(Q(latest=1) | Q(earliest=1))
        .order_by()
        .values_list("indicator_id", "period_end", "value", "n", "first_start", "latest")
    )
    firsts: dict[int, tuple] = {}
    lasts: dict[int, tuple] = {}
    many = not isinstance(indicators, list | tuple)
    for indicator_id, end, value, count, first_start, latest in _rows(ranked, many=many):
        if latest == 1:
            lasts[indicator_id] = (end, value, count, first_start)
        # One period only: it is both the first and the last.
        if latest != 1 or count == 1:
            firsts[indicator_id] = (end, value)
    return {
        indicator_id: Summary(
            count=count,
            total=None,
            first=firsts[indicator_id][1],
            first_end=firsts[indicator_id][0],
            first_start=first_start,
            last=value,
            last_end=end,
        )
        for indicator_id, (end, value, count, first_start) in lasts.items()
    }


@dataclass
class Entry:
    """What the book knows of an indicator besides its summary."""

    code: str
    action_id: int | None
    node_id: int | None
    weight: Decimal
    aggregation: str
    spec: Spec
    formula: dict | None = None
    measure: str = Measure.NUMBER


@dataclass
class ProgressBook:
    states: tuple = PUBLIC_STATES
    as_of: datetime.date | None = None  # assess as of then (the values are cut there too)
    entries: dict[int, Entry] = field(default_factory=dict)
    summaries: dict[int, Summary | None] = field(default_factory=dict)
    indicators_of_action: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    indicators_of_node: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    nodes_of_action: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    actions_of_node: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    parent_of: dict[int, int | None] = field(default_factory=dict)
    children_of: dict[int | None, list[int]] = field(default_factory=lambda: defaultdict(list))
    node_weights: dict[int, Decimal] = field(default_factory=dict)  # in their parent's mean
    action_weights: dict[int, Decimal] = field(default_factory=dict)  # in their nodes' mean
    # Computed indicators: component code → the ids of the computed indicators using it.
    dependents: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    assessments: dict[int, Assessment] = field(default_factory=dict)
    actions: dict[int, RollUp] = field(default_factory=dict)
    nodes: dict[int, RollUp] = field(default_factory=dict)
    # Each node's subtree, for its coverage: the actions (with indicators) and node
    # indicators anywhere below it or on it, each once.
    actions_below: dict[int, set[int]] = field(default_factory=dict)
    indicators_below: dict[int, list[int]] = field(default_factory=dict)
    touched: set[int] = field(default_factory=set)  # the indicators the last refresh recomputed

    # -- loading ------------------------------------------------------------------------

    @classmethod
    def from_database(cls, *, strategy_ids=None, states=None, as_of=None) -> ProgressBook:
        """Load the strategies' trees, indicators and the summaries of their values (a
        handful of queries); with `as_of`, only the values of periods ended by then."""
        from pilotage.strategies.models import Action, StrategyNode

        book = cls(states=tuple(states or PUBLIC_STATES), as_of=as_of)
        nodes = StrategyNode.objects.all()
        if strategy_ids is not None:
            nodes = nodes.filter(strategy_id__in=list(strategy_ids))
        for pk, parent_id, weight in nodes.values_list("pk", "parent_id", "weight"):
            book.parent_of[pk] = parent_id
            book.children_of[parent_id].append(pk)
            book.node_weights[pk] = weight
        links = Action.nodes.through.objects.filter(strategynode_id__in=nodes.values("pk"))
        for action_id, node_id in links.values_list("action_id", "strategynode_id"):
            book.nodes_of_action[action_id].append(node_id)
            book.actions_of_node[node_id].append(action_id)
        book.action_weights = dict(
            Action.objects.filter(pk__in=links.values("action_id")).values_list("pk", "weight")
        )
        indicators = Indicator.objects.filter(
            Q(action_id__in=links.values("action_id")) | Q(node_id__in=nodes.values("pk"))
        )
        book._load_entries(indicators)
        book._load_summaries(indicators, list(book.entries))
        book._subtrees()
        return book

    def _load_entries(self, indicators, *, many: bool = True) -> list[int]:
        """Each indicator's definition and targets (two queries); returns their ids."""
        from pilotage.indicators.models import Target

        milestones: dict[int, list] = defaultdict(list)
        for indicator_id, end, value in Target.objects.filter(
            indicator_id__in=indicators.values("pk")
        ).values_list("indicator_id", "period_end", "value"):
            milestones[indicator_id].append((end, value))
        loaded = []
        for row in _rows(indicators.values(*SPEC_FIELDS), many=many):
            loaded.append(row["pk"])
            entry = Entry(
                code=row["code"],
                action_id=row["action_id"],
                node_id=row["node_id"],
                weight=row["weight"],
                aggregation=row["aggregation"],
                formula=row["formula"] or None,
                measure=row["measure"],
                spec=Spec(
                    direction=row["direction"],
                    aggregation=row["aggregation"],
                    method=row["status_method"],
                    baseline_value=row["baseline_value"],
                    baseline_date=row["baseline_date"],
                    target_value=row["target_value"],
                    target_date=row["target_date"],
                    tolerance=row["tolerance"],
                    on_track_from=row["on_track_from"],
                    behind_from=row["behind_from"],
                    milestones=tuple(milestones.get(row["pk"], ())),
                ),
            )
            self._forget(row["pk"])
            self.entries[row["pk"]] = entry
            if entry.action_id:
                self.indicators_of_action[entry.action_id].append(row["pk"])
            else:
                self.indicators_of_node[entry.node_id].append(row["pk"])
            for code in (entry.formula or {}).get("of", []):
                self.dependents[code].append(row["pk"])
        return loaded

    def _forget(self, indicator_id: int) -> None:
        """Take an indicator out of the indexes before it is read again."""
        entry = self.entries.pop(indicator_id, None)
        if entry is None:
            return
        owner = (
            self.indicators_of_action[entry.action_id]
            if entry.action_id
            else self.indicators_of_node[entry.node_id]
        )
        if indicator_id in owner:
            owner.remove(indicator_id)
        for code in (entry.formula or {}).get("of", []):
            if indicator_id in self.dependents.get(code, []):
                self.dependents[code].remove(indicator_id)

    def _load_summaries(self, indicators, ids: list[int]) -> None:
        """Stocks summarised by the database; flows, averages and formulas from their
        values, here."""
        wanted = set(ids)
        stocks = {pk for pk in wanted if self.entries[pk].aggregation == "last"}
        summaries = last_value_summaries(
            indicators.filter(aggregation="last").values("pk")
            if len(wanted) > 500
            else sorted(stocks),
            states=self.states,
            as_of=self.as_of,
        )
        for pk in wanted:
            self.summaries[pk] = summaries.get(pk) if pk in stocks else None
        flows = [pk for pk in wanted if pk not in stocks and not self.entries[pk].formula]
        for pk, values in values_of(flows, states=self.states, as_of=self.as_of).items():
            self.summaries[pk] = summarise(values)
        for pk in wanted:
            if self.entries[pk].formula:
                self.summaries[pk] = summarise(self._formula_values(pk))

    def _formula_values(self, indicator_id: int) -> list[Value]:
        """A computed indicator's values, from its components' stored values (its
        components may belong to any strategy)."""
        entry = self.entries[indicator_id]
        codes = entry.formula.get("of", [])
        found = dict(Indicator.objects.filter(code__in=codes).values_list("code", "pk"))
        if not codes or any(code not in found for code in codes):
            return []
        values = values_of(found.values(), states=self.states, as_of=self.as_of)
        return computed_values(
            entry.formula, entry.measure, [values.get(found[code], []) for code in codes]
        )

    def _subtrees(self) -> None:
        """Each node's actions and node indicators, over its whole subtree."""

        def visit(node_id: int) -> tuple[set[int], list[int]]:
            actions = {a for a in self.actions_of_node.get(node_id, []) if a in self.action_weights}
            indicators = list(self.indicators_of_node.get(node_id, []))
            for child in self.children_of.get(node_id, []):
                below_actions, below_indicators = visit(child)
                actions |= below_actions
                indicators += below_indicators
            self.actions_below[node_id] = actions
            self.indicators_below[node_id] = indicators
            return actions, indicators

        for root in self.children_of.get(None, []):
            visit(root)

    # -- computing ----------------------------------------------------------------------

    def compute_all(self) -> ProgressBook:
        for indicator_id, entry in self.entries.items():
            self.assessments[indicator_id] = assess(
                entry.spec, self.summaries.get(indicator_id), self.as_of
            )
        for action_id in self.indicators_of_action:
            self._action(action_id)
        for root in self.children_of.get(None, []):
            self._node_tree(root)
        return self

    def refresh(self, indicator_ids: Iterable[int]) -> int:
        """Read these indicators again (definition, targets, values) and recompute what
        depends on them: the computed indicators using them, their actions, then every
        node above, deepest first. An indicator this book does not hold changes only the
        formulas using it. Returns how many items it recomputed."""
        ids = set(indicator_ids)
        held = [pk for pk in ids if pk in self.entries]
        actions_before = {self.entries[pk].action_id for pk in held}
        nodes_before = {self.entries[pk].node_id for pk in held}
        codes = {pk: self.entries[pk].code for pk in held}
        reread: list[int] = []
        if held:
            queryset = Indicator.objects.filter(pk__in=held)
            reread = self._load_entries(queryset, many=len(held) > 500)
            for pk in set(held) - set(reread):  # deleted
                self._forget(pk)
                self.summaries.pop(pk, None)
                self.assessments.pop(pk, None)
                codes.pop(pk)
            if reread:
                self._load_summaries(queryset, reread)
        outside = ids - set(held)
        if outside and self.dependents:  # components of this book's formulas, elsewhere
            codes |= dict(Indicator.objects.filter(pk__in=outside).values_list("pk", "code"))
        touched = set(reread)
        for code in codes.values():
            for computed_id in self.dependents.get(code, []):
                self.summaries[computed_id] = summarise(self._formula_values(computed_id))
                touched.add(computed_id)
        self.touched = touched
        action_ids = {a for a in actions_before if a}
        node_ids = {n for n in nodes_before if n}
        for pk in touched:
            entry = self.entries[pk]
            self.assessments[pk] = assess(entry.spec, self.summaries.get(pk), self.as_of)
            if entry.action_id:
                action_ids.add(entry.action_id)
            else:
                node_ids.add(entry.node_id)
        for action_id in action_ids:
            self._action(action_id)
            node_ids.update(self.nodes_of_action.get(action_id, []))
        above = set()
        for node_id in node_ids:
            while node_id is not None and node_id not in above:
                above.add(node_id)
                node_id = self.parent_of.get(node_id)
        for node_id in sorted(above, key=self._depth, reverse=True):  # children first
            self._node(node_id)
        return len(touched) + len(action_ids) + len(above)

    def _depth(self, node_id: int) -> int:
        depth = 0
        while (node_id := self.parent_of.get(node_id)) is not None:
            depth += 1
        return depth

    def _action(self, action_id: int) -> RollUp | None:
        ids = self.indicators_of_action.get(action_id, [])
        if not ids:
            self.actions.pop(action_id, None)
            return None
        items = [rollup_item(self.entries[i].weight, self.assessments[i]) for i in ids]
        self.actions[action_id] = rollup(items)
        return self.actions[action_id]

    def _node(self, node_id: int) -> RollUp:
        items = [
            rollup_item(self.entries[i].weight, self.assessments[i])
            for i in self.indicators_of_node.get(node_id, [])
        ]
        for child in self.children_of.get(node_id, []):
            below = self.nodes.get(child)
            if below is not None and below.total:
                items.append((self.node_weights.get(child, 1), below.progress, below.reported > 0))
        for action_id in self.actions_of_node.get(node_id, []):
            if action_id in self.actions:
                action = self.actions[action_id]
                items.append(
                    (self.action_weights.get(action_id, 1), action.progress, action.reported > 0)
                )
        progress = rollup(items).progress
        # Coverage over the whole subtree, each action and indicator once.
        actions = [
            self.actions[a] for a in self.actions_below.get(node_id, ()) if a in self.actions
        ]
        indicators = [
            self.assessments[i]
            for i in self.indicators_below.get(node_id, [])
            if i in self.assessments
        ]
        reported = sum(1 for a in actions if a.reported) + sum(
            1 for a in indicators if a.actual is not None
        )
        assessed = sum(1 for a in actions if a.assessed) + sum(
            1 for a in indicators if rollup_item(1, a)[1] is not None
        )
        self.nodes[node_id] = RollUp(
            progress=progress,
            reported=reported,
            total=len(actions) + len(indicators),
            assessed=assessed,
        )
        return self.nodes[node_id]

    def _node_tree(self, node_id: int) -> RollUp:
        for child in self.children_of.get(node_id, []):
            self._node_tree(child)
        return self._node(node_id)
