"""The progress book: every assessment and roll-up of a set of strategies, kept current.

`compute_all` computes everything once; `record` adds one value and recomputes only what
depends on it: that indicator, the computed (formula) indicators it is a component of,
their actions, the nodes those serve and their ancestors. The public pages use the same
roll-up rules through `node_rollups`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models

from pilotage.indicators.models import Indicator, Observation
from pilotage.indicators.progress import Assessment, RollUp, Spec, Value, assess, rollup


def rollup_item(weight, assessment: Assessment) -> tuple:
    """What an indicator contributes to a roll-up: (weight, progress, reported).

    Only the trajectory's share of the way is a progress; a growth rate is not a share of
    a target. An indicator with a value has reported, even without a target.
    """
    progress = assessment.progress if assessment.method == "trajectory" else None
    return (weight, progress, assessment.actual is not None)


@dataclass
class ProgressBook:
    specs: dict[int, Spec]
    weights: dict[int, Decimal]
    values: dict[int, list[Value]]
    indicators_of_action: dict[int, list[int]]
    indicators_of_node: dict[int, list[int]]
    nodes_of_action: dict[int, list[int]]
    actions_of_node: dict[int, list[int]]
    parent_of: dict[int, int | None]
    children_of: dict[int | None, list[int]]
    assessments: dict[int, Assessment] = field(default_factory=dict)
    as_of: object = None  # a date: assess as of then (the values are cut there too)
    node_weights: dict[int, Decimal] = field(default_factory=dict)  # in their parent's mean
    action_weights: dict[int, Decimal] = field(default_factory=dict)  # in their nodes' mean
    # Computed indicators: id → the indicator (its formula), and component id → the ids of
    # the computed indicators that use it; the stored values of components that are not
    # typed-in indicators of this book (another strategy's, or computed themselves).
    formulas: dict[int, Indicator] = field(default_factory=dict)
    dependents: dict[int, list[int]] = field(default_factory=dict)
    component_values: dict[int, list[Value]] = field(default_factory=dict)
    component_codes: dict[str, int] = field(default_factory=dict)
    actions: dict[int, RollUp] = field(default_factory=dict)
    nodes: dict[int, RollUp] = field(default_factory=dict)

    @classmethod
    def from_database(cls, *, strategy_ids=None, states=None, as_of=None) -> ProgressBook:
        """Load the strategies' trees, indicators and values (a handful of queries); with
        `as_of`, only the values of periods ended by then (a past quarter's report)."""
        from pilotage.indicators.selectors import PUBLIC_STATES, indicator_spec
        from pilotage.strategies.models import Action, StrategyNode

        states = states or PUBLIC_STATES
        nodes = StrategyNode.objects.all()
        if strategy_ids is not None:
            nodes = nodes.filter(strategy_id__in=strategy_ids)
        parent_of = dict(nodes.values_list("pk", "parent_id"))
        children_of: dict[int | None, list[int]] = defaultdict(list)
        for pk, parent_id in parent_of.items():
            children_of[parent_id].append(pk)
        links = Action.nodes.through.objects.filter(strategynode_id__in=list(parent_of))
        nodes_of_action: dict[int, list[int]] = defaultdict(list)
        actions_of_node: dict[int, list[int]] = defaultdict(list)
        for action_id, node_id in links.values_list("action_id", "strategynode_id"):
            nodes_of_action[action_id].append(node_id)
            actions_of_node[node_id].append(action_id)
        indicators = Indicator.objects.filter(
            models.Q(action_id__in=list(nodes_of_action)) | models.Q(node_id__in=list(parent_of))
        ).prefetch_related("targets")
        book = cls(
            specs={},
            weights={},
            values=defaultdict(list),
            indicators_of_action=defaultdict(list),
            indicators_of_node=defaultdict(list),
            nodes_of_action=nodes_of_action,
            actions_of_node=actions_of_node,
            parent_of=parent_of,
            children_of=children_of,
        )
        computed = []
        for indicator in indicators:
            book.specs[indicator.pk] = indicator_spec(indicator)
            book.weights[indicator.pk] = indicator.weight
            if indicator.action_id:
                book.indicators_of_action[indicator.action_id].append(indicator.pk)
            else:
                book.indicators_of_node[indicator.node_id].append(indicator.pk)
            if indicator.is_computed:
                computed.append(indicator)
        book.as_of = as_of
        book.node_weights = dict(nodes.values_list("pk", "weight"))
        book.action_weights = dict(
            Action.objects.filter(pk__in=list(nodes_of_action)).values_list("pk", "weight")
        )
        observations = Observation.objects.filter(
            indicator_id__in=list(book.specs), state__in=states
        )
        if as_of is not None:
            observations = observations.filter(period_end__lte=as_of)
        rows = (
            observations.exclude(value=None)
            .values_list("indicator_id", "period_start", "period_end", "value")
            .iterator(chunk_size=20000)
        )
        for indicator_id, start, end, value in rows:
            book.values[indicator_id].append(Value(start, end, value))
        if computed:
            book._load_formulas(computed, states=states, as_of=as_of)
        return book

    def _load_formulas(self, computed: list[Indicator], *, states, as_of) -> None:
        """Index the computed indicators by component, load the stored values of the
        components the book does not hold, and compute the formulas' values."""
        from pilotage.indicators.selectors import _components

        components = _components(computed)
        for indicator in computed:
            self.formulas[indicator.pk] = indicator
            for code in indicator.formula.get("of", []):
                if code in components:
                    self.dependents.setdefault(components[code].pk, []).append(indicator.pk)
        self.component_codes = {code: component.pk for code, component in components.items()}
        outside = [pk for pk in self.dependents if pk not in self.specs or pk in self.formulas]
        if outside:
            observations = Observation.objects.filter(indicator_id__in=outside, state__in=states)
            if as_of is not None:
                observations = observations.filter(period_end__lte=as_of)
            rows = observations.exclude(value=None).values_list(
                "indicator_id", "period_start", "period_end", "value"
            )
            for indicator_id, start, end, value in rows:
                self.component_values.setdefault(indicator_id, []).append(Value(start, end, value))
        for indicator_id in self.formulas:
            self._compute_formula(indicator_id)

    def _series(self, indicator_id: int) -> list[Value]:
        """The stored values of a component."""
        if indicator_id in self.specs and indicator_id not in self.formulas:
            return self.values.get(indicator_id, [])
        return self.component_values.get(indicator_id, [])

    def _compute_formula(self, indicator_id: int) -> None:
        """A computed indicator's values, period by period, from its components' (only
        the periods where every component has a value)."""
        from pilotage.indicators.selectors import computed_values

        indicator = self.formulas[indicator_id]
        ids = [self.component_codes.get(code) for code in indicator.formula.get("of", [])]
        if not ids or None in ids:
            self.values[indicator_id] = []
        else:
            series = [self._series(pk) for pk in ids]
            self.values[indicator_id] = computed_values(indicator, series)

    def compute_all(self) -> ProgressBook:
        for indicator_id, spec in self.specs.items():
            self.assessments[indicator_id] = assess(
                spec, self.values.get(indicator_id, []), self.as_of
            )
        for action_id in self.indicators_of_action:
            self._action(action_id)
        for root in self.children_of.get(None, []):
            self._node_tree(root)
        return self

    def record(self, indicator_id: int, value: Value) -> int:
        """Add one value (replacing the one of the same period); recompute what depends on
        it: the indicator, the computed indicators it is a component of, their actions,
        then every node above them, deepest first. Returns how many items it recomputed.

        A value after the book's `as_of` changes nothing (the book is cut there), and a
        computed indicator takes no value of its own: its values come from its components.
        """
        if indicator_id in self.formulas:
            raise ValueError("A computed indicator's values come from its components.")
        if self.as_of is not None and value.end > self.as_of:
            return 0
        typed_in = indicator_id in self.specs
        if not typed_in and indicator_id not in self.dependents:
            return 0  # nothing in this book depends on it
        series = self.values if typed_in else self.component_values
        series[indicator_id] = [
            *(
                v
                for v in series.get(indicator_id, [])
                if (v.start, v.end) != (value.start, value.end)
            ),
            value,
        ]
        touched = [indicator_id] if typed_in else []
        for computed_id in self.dependents.get(indicator_id, []):
            self._compute_formula(computed_id)
            touched.append(computed_id)
        action_ids, node_ids = [], []
        for touched_id in touched:
            self.assessments[touched_id] = assess(
                self.specs[touched_id], self.values[touched_id], self.as_of
            )
            action_id = self._action_index.get(touched_id)
            if action_id is not None:
                if action_id not in action_ids:
                    action_ids.append(action_id)
                node_ids += self.nodes_of_action.get(action_id, [])
            else:
                node_ids += [n for n, ids in self.indicators_of_node.items() if touched_id in ids]
        for action_id in action_ids:
            self._action(action_id)
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

    @property
    def _action_index(self) -> dict[int, int]:
        """Indicator → action, built on first use."""
        if "_action_of" not in self.__dict__:
            self.__dict__["_action_of"] = {
                i: a for a, ids in self.indicators_of_action.items() for i in ids
            }
        return self.__dict__["_action_of"]

    def _action(self, action_id: int) -> RollUp:
        items = [
            rollup_item(self.weights[i], self.assessments[i])
            for i in self.indicators_of_action[action_id]
        ]
        self.actions[action_id] = rollup(items)
        return self.actions[action_id]

    def _node(self, node_id: int) -> RollUp:
        items = [
            rollup_item(self.weights[i], self.assessments[i])
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
        self.nodes[node_id] = rollup(items)
        return self.nodes[node_id]

    def _node_tree(self, node_id: int) -> RollUp:
        for child in self.children_of.get(node_id, []):
            self._node_tree(child)
        return self._node(node_id)
