"""Reads on budgets: totals computed from their parts, and the reconciliation of every
declared total with the sum of its parts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import models

from pilotage.budgets.models import BudgetLine
from pilotage.strategies.models import Strategy, StrategyNode
from pilotage.taxonomies.models import Term


def _subtree(strategy: Strategy) -> dict[int | None, set[int]]:
    """Each node's id with all its descendants' ids (None: the whole strategy)."""
    parents = dict(StrategyNode.objects.filter(strategy=strategy).values_list("pk", "parent_id"))
    below: dict[int | None, set[int]] = defaultdict(set)
    for node in parents:
        current = node
        while current is not None:
            below[current].add(node)
            current = parents[current]
        below[None].add(node)
    return below


def _line_nodes(lines) -> dict[int, int | None]:
    """The node a line counts under: its own, or the nodes of its action (first one)."""
    from pilotage.strategies.models import Action

    action_ids = {line.action_id for line in lines if line.action_id}
    first_node = dict(
        Action.nodes.through.objects.filter(action_id__in=action_ids)
        .order_by("strategynode_id")
        .values_list("action_id", "strategynode_id")
    )
    return {line.pk: line.node_id or first_node.get(line.action_id) for line in lines}


def budget_totals(
    strategy: Strategy, *, node: StrategyNode | None = None, flow: str = "planned"
) -> dict:
    """Totals computed from the parts under `node` (or the whole strategy), overall, by
    year and by source; declared totals are left out, so nothing is counted twice."""
    subtree = _subtree(strategy)
    lines = list(
        BudgetLine.objects.parts().filter(strategy=strategy, flow=flow).select_related("source")
    )
    where = _line_nodes(lines)
    wanted = subtree[node.pk if node else None]
    counted = [
        line
        for line in lines
        if (where[line.pk] in wanted) or (node is None and where[line.pk] is None)
    ]
    by_year: dict[int | None, Decimal] = defaultdict(Decimal)
    by_source: dict[str, Decimal] = defaultdict(Decimal)
    for line in counted:
        by_year[line.year] += line.amount
        by_source[line.source.code] += line.amount
    return {
        "total": sum((line.amount for line in counted), Decimal(0)),
        "by_year": dict(sorted(by_year.items(), key=lambda item: (item[0] is None, item[0]))),
        "by_source": dict(sorted(by_source.items())),
        "lines": len(counted),
    }


@dataclass(frozen=True)
class Reconciliation:
    line: BudgetLine
    declared: Decimal
    computed: Decimal
    parts: int

    @property
    def difference(self) -> Decimal:
        """Declared minus computed: what the published total says beyond its parts."""
        return self.declared - self.computed

    @property
    def tolerance(self) -> Decimal:
        """Half the published rounding, for the total and for each part."""
        return self.line.precision / 2 * (self.parts + 1)

    @property
    def within_tolerance(self) -> bool:
        return abs(self.difference) <= self.tolerance


def _source_and_below() -> dict[int, set[int]]:
    """Each funding source with its narrower sources (ERDF covers both its zones)."""
    parents = dict(
        Term.objects.filter(taxonomy__code="funding-sources").values_list("pk", "parent_id")
    )
    below: dict[int, set[int]] = defaultdict(set)
    for term in parents:
        current = term
        while current is not None:
            below[current].add(term)
            current = parents.get(current)
    return below


def reconciliation(strategy: Strategy) -> list[Reconciliation]:
    """Every declared total of the strategy beside the sum of its parts: the parts the
    source lists, or else the lines under its node of the same source (or a narrower one),
    flow, and year when the total is for a year."""
    subtree = _subtree(strategy)
    totals = list(
        BudgetLine.objects.filter(strategy=strategy, is_declared_total=True)
        .select_related("node", "source")
        .prefetch_related("components")
    )
    parts = list(BudgetLine.objects.parts().filter(strategy=strategy))
    where = _line_nodes(parts)
    sources = _source_and_below()
    result = []
    for total in totals:
        listed = list(total.components.all())
        scope = subtree[total.node_id] if total.node_id else subtree[None] | {None}
        matching = listed or [
            part
            for part in parts
            if where[part.pk] in scope
            and part.source_id in sources.get(total.source_id, {total.source_id})
            and part.flow == total.flow
            and (total.year is None or part.year == total.year)
        ]
        result.append(
            Reconciliation(
                line=total,
                declared=total.amount,
                computed=sum((part.amount for part in matching), Decimal(0)),
                parts=len(matching),
            )
        )
    return result


def budget_lines(**filters) -> models.QuerySet[BudgetLine]:
    """Budget lines with what their tables show."""
    return BudgetLine.objects.filter(**filters).select_related(
        "strategy", "node", "action", "source"
    )
