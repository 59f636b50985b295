"""Reads on budgets, for the pages, the API and the exports alike: tables by year and
source with every flow and their execution, computed from the parts only (a line counts
once in each total above it); the money spent beside the progress it bought; and the
reconciliation of every declared total with the sum of its parts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import models

from pilotage.budgets.models import BudgetLine, Flow
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


def _line_places(lines, strategy: Strategy) -> dict[int, set[int]]:
    """The nodes a line counts under: its own node, or its action's nodes in the line's
    strategy. A node's total takes a line once if any of these is in its subtree, so an
    action under two nodes never counts twice in their common parent."""
    from pilotage.strategies.models import Action

    action_ids = {line.action_id for line in lines if line.action_id}
    nodes_of: dict[int, set[int]] = defaultdict(set)
    for action_id, node_id in Action.nodes.through.objects.filter(
        action_id__in=action_ids, strategynode__strategy=strategy
    ).values_list("action_id", "strategynode_id"):
        nodes_of[action_id].add(node_id)
    return {
        line.pk: {line.node_id} if line.node_id else nodes_of.get(line.action_id, set())
        for line in lines
    }


def _amount(line: BudgetLine, published: bool) -> Decimal:
    return line.amount if published else line.current_amount


EXECUTION_FLOWS = (Flow.COMMITTED, Flow.PAID)


@dataclass
class BudgetRow:
    """The amounts of a cell (a year and a source) or of a sum of cells, by flow.

    `budget` is what execution is measured against: for each node or action of the cell,
    its revised amount when one is declared, else its planned one (a revision replaces
    the plan, IATI's "revised budget"); a sum's budget is the sum of its parts' budgets,
    None when none has one.

    Rates compare like with like: `measured` keeps, per execution flow, the amount and the
    budget of the nodes and actions that report both, so money committed on a programme
    without a published budget never inflates another programme's rate.
    """

    year: int | None = None
    source: str | None = None
    amounts: dict[str, Decimal] = field(default_factory=dict)
    budget: Decimal | None = None
    measured: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    @classmethod
    def of_holder(cls, year, source, amounts: dict[str, Decimal]) -> BudgetRow:
        """The row of one node's or action's lines in a cell."""
        budget = amounts.get(Flow.REVISED, amounts.get(Flow.PLANNED))
        measured = {
            flow: (amounts[flow], budget) for flow in EXECUTION_FLOWS if flow in amounts and budget
        }
        return cls(year, source, dict(amounts), budget, measured)

    def add(self, other: BudgetRow) -> None:
        for flow, amount in other.amounts.items():
            self.amounts[flow] = self.amounts.get(flow, Decimal(0)) + amount
        if other.budget is not None:
            self.budget = (self.budget or Decimal(0)) + other.budget
        for flow, (amount, budget) in other.measured.items():
            known = self.measured.get(flow, (Decimal(0), Decimal(0)))
            self.measured[flow] = (known[0] + amount, known[1] + budget)

    @property
    def planned(self) -> Decimal | None:
        return self.amounts.get(Flow.PLANNED)

    @property
    def revised(self) -> Decimal | None:
        return self.amounts.get(Flow.REVISED)

    @property
    def committed(self) -> Decimal | None:
        return self.amounts.get(Flow.COMMITTED)

    @property
    def paid(self) -> Decimal | None:
        return self.amounts.get(Flow.PAID)

    def rate(self, flow: str) -> Decimal | None:
        """`flow` as a percentage of the budget (one decimal), over what reports both."""
        if flow not in self.measured:
            return None
        amount, budget = self.measured[flow]
        return (amount / budget * 100).quantize(Decimal("0.1"))

    @property
    def committed_rate(self) -> Decimal | None:
        return self.rate(Flow.COMMITTED)

    @property
    def paid_rate(self) -> Decimal | None:
        return self.rate(Flow.PAID)

    @property
    def spent(self) -> tuple[str, Decimal] | None:
        """What was spent, best known first: paid, else committed, else the budget."""
        for flow in (Flow.PAID, Flow.COMMITTED):
            if flow in self.amounts:
                return flow, self.amounts[flow]
        return ("budget", self.budget) if self.budget else None


def _year_key(year: int | None) -> tuple[bool, int]:
    return (year is None, year or 0)


@dataclass
class BudgetTable:
    """A budget by year and source, each flow apart, and its sums."""

    cells: list[BudgetRow]
    lines: int
    reallocated: bool = False

    def _sum(self, key) -> list[BudgetRow]:
        sums: dict = {}
        for cell in self.cells:
            k = key(cell)
            if k not in sums:
                sums[k] = BudgetRow(*k)
            sums[k].add(cell)
        return list(sums.values())

    @property
    def by_year(self) -> list[BudgetRow]:
        return sorted(self._sum(lambda c: (c.year, None)), key=lambda r: _year_key(r.year))

    @property
    def by_source(self) -> list[BudgetRow]:
        return sorted(self._sum(lambda c: (None, c.source)), key=lambda r: r.source)

    @property
    def total(self) -> BudgetRow:
        total = BudgetRow()
        for cell in self.cells:
            total.add(cell)
        return total

    @property
    def years(self) -> list[int | None]:
        return sorted({cell.year for cell in self.cells}, key=_year_key)

    @property
    def grid(self) -> list[tuple[str, list[Decimal | None], Decimal]]:
        """The budget as a table: a row per source, a column per year, and its total."""
        years = self.years
        rows = []
        for source in self.by_source:
            budgets = {c.year: c.budget for c in self.cells if c.source == source.source}
            rows.append((source.source, [budgets.get(year) for year in years], source.budget))
        return rows

    @property
    def has_execution(self) -> bool:
        return any(c.committed is not None or c.paid is not None for c in self.cells)


def _table(lines: list[BudgetLine], published: bool) -> BudgetTable:
    # A revision replaces the plan of what it revises: the same node or action, year and
    # source. So the budget is found holder by holder, then added up into cells.
    by_holder: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in lines:
        key = (line.year, line.source.code, line.strategy_id, line.node_id, line.action_id)
        by_holder[key][line.flow] += _amount(line, published)
    by_cell: dict[tuple, BudgetRow] = {}
    for (year, source, *_holder), amounts in by_holder.items():
        cell = by_cell.setdefault((year, source), BudgetRow(year, source))
        cell.add(BudgetRow.of_holder(year, source, amounts))
    return BudgetTable(
        cells=sorted(by_cell.values(), key=lambda c: (_year_key(c.year), c.source)),
        lines=len(lines),
        reallocated=not published and any(line.revised_amount is not None for line in lines),
    )


def _counted_lines(
    strategy: Strategy | None, node: StrategyNode | None, action=None
) -> list[BudgetLine]:
    """The parts counted in a total: a strategy's lines, those under a node (its own, its
    descendants' and its actions'), or an action's lines in every strategy."""
    lines = BudgetLine.objects.parts().select_related("source")
    if action is not None:  # in every public strategy it serves
        return list(lines.filter(action=action, strategy__in=Strategy.objects.public()))
    if strategy is None:
        raise ValueError("A budget is a strategy's, a node's or an action's.")
    lines = list(lines.filter(strategy=strategy))
    if node is None:
        return lines
    wanted = _subtree(strategy)[node.pk]
    places = _line_places(lines, strategy)
    return [line for line in lines if places[line.pk] & wanted]


def budget_table(
    strategy: Strategy | None = None,
    *,
    node: StrategyNode | None = None,
    action=None,
    published: bool = False,
) -> BudgetTable:
    """The budget of a strategy, a node or an action by year and source, every flow apart,
    computed from its parts (declared totals are compared, never added), with the amounts
    moved by approved reallocations unless `published`."""
    if node is not None:
        strategy = node.strategy
    return _table(_counted_lines(strategy, node, action), published)


def node_budget_tables(strategy: Strategy, *, published: bool = False) -> dict[int, BudgetTable]:
    """Every node's budget table in one pass over the strategy's lines (by node id; a node
    without money is absent). Each line counts once in each node above its places."""
    lines = list(BudgetLine.objects.parts().filter(strategy=strategy).select_related("source"))
    parents = dict(StrategyNode.objects.filter(strategy=strategy).values_list("pk", "parent_id"))
    places = _line_places(lines, strategy)
    per_node: dict[int, list[BudgetLine]] = defaultdict(list)
    for line in lines:
        above: set[int] = set()
        for place in places[line.pk]:
            current = place
            while current is not None and current not in above:
                above.add(current)
                current = parents.get(current)
        for node_id in above:
            per_node[node_id].append(line)
    return {node_id: _table(found, published) for node_id, found in per_node.items()}


def line_scopes(line: BudgetLine) -> list[tuple[Strategy, StrategyNode | None]]:
    """The totals a line counts in: its strategy's, then each node above it, top down."""
    nodes = {node.pk: node for node in StrategyNode.objects.filter(strategy=line.strategy_id)}
    places = _line_places([line], line.strategy)[line.pk]
    above: list[StrategyNode] = []
    for place in sorted(places):
        chain = []
        current = nodes.get(place)
        while current is not None:
            chain.append(current)
            current = nodes.get(current.parent_id)
        above.extend(node for node in reversed(chain) if node not in above)
    return [(line.strategy, None), *((line.strategy, node) for node in above)]


def budget_totals(
    strategy: Strategy,
    *,
    node: StrategyNode | None = None,
    flow: str = "planned",
    published: bool = False,
) -> dict:
    """One flow's totals under `node` (or the whole strategy), overall, by year and by
    source, from the parts only, so nothing is counted twice."""
    lines = [line for line in _counted_lines(strategy, node) if line.flow == flow]
    by_year: dict[int | None, Decimal] = defaultdict(Decimal)
    by_source: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        by_year[line.year] += _amount(line, published)
        by_source[line.source.code] += _amount(line, published)
    return {
        "total": sum(by_year.values(), Decimal(0)),
        "by_year": dict(sorted(by_year.items(), key=lambda item: _year_key(item[0]))),
        "by_source": dict(sorted(by_source.items())),
        "lines": len(lines),
    }


@dataclass(frozen=True)
class UnitCost:
    """What one unit of an indicator's result cost: the money spent over its value."""

    indicator: object
    actual: Decimal
    cost: Decimal


@dataclass(frozen=True)
class CostPerResult:
    """The money spent set beside the progress it bought.

    `flow` says which money: paid when reported, else committed, else the budget.
    `per_point` is that money over the progress toward target in percentage points;
    `unit_costs`, that money over each counted result (an action's number indicators).
    """

    flow: str
    spent: Decimal
    progress: Decimal | None
    per_point: Decimal | None
    unit_costs: tuple[UnitCost, ...] = ()


def cost_per_result(
    table: BudgetTable,
    *,
    node: StrategyNode | None = None,
    action=None,
    rollups: dict | None = None,
    indicators: list | None = None,
    assessments: dict | None = None,
) -> CostPerResult | None:
    """A node's or an action's budget beside its progress and, for an action, beside each
    of its counted results. Roll-ups and assessments are the read model's
    (indicators.readmodel), never computed here; what the caller already has is not read
    again: `rollups` (the node roll-ups), an action's `indicators` and their
    `assessments`."""
    from pilotage.indicators.models import Indicator, Measure
    from pilotage.indicators.readmodel import read_model

    spent = table.total.spent
    if spent is None:
        return None
    flow, amount = spent
    rollup = None
    if action is not None:
        model = read_model()
        if indicators is None:
            ids = model.indicator_ids(action_ids=[action.pk])
            indicators = list(Indicator.objects.filter(pk__in=ids).order_by("code"))
        if assessments is None:
            assessments = {i.pk: model.assessment(i.pk) for i in indicators}
        rollup = model.action_rollup(action.pk)
    elif node is not None:
        rollup = (rollups if rollups is not None else read_model().node_rollups).get(node.pk)
    indicators, assessments = indicators or [], assessments or {}
    progress = rollup.progress if rollup is not None else None
    per_point = (amount / (progress * 100)).quantize(Decimal("0.01")) if progress else None
    unit_costs = []
    for indicator in indicators:
        assessment = assessments.get(indicator.pk)
        actual = assessment.actual if assessment else None
        if indicator.measure == Measure.NUMBER and actual and actual > 0:
            unit_costs.append(
                UnitCost(indicator, actual, (amount / actual).quantize(Decimal("0.01")))
            )
    return CostPerResult(flow, amount, progress, per_point, tuple(unit_costs))


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
    flow, and year when the total is for a year. Published figures on both sides: the
    source's own arithmetic, which reallocations do not change."""
    subtree = _subtree(strategy)
    totals = list(
        BudgetLine.objects.filter(strategy=strategy, is_declared_total=True)
        .select_related("node", "source")
        .prefetch_related("components")
    )
    parts = list(BudgetLine.objects.parts().filter(strategy=strategy))
    places = _line_places(parts, strategy)
    sources = _source_and_below()
    result = []
    for total in totals:
        listed = list(total.components.all())
        matching = listed or [
            part
            for part in parts
            if (total.node_id is None or places[part.pk] & subtree[total.node_id])
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
