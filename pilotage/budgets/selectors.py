"""Reads on budgets, for the pages, the API and the exports alike: tables by year and
source with every flow and their execution, computed from the parts only (a line counts
once in each total above it); the money spent beside the progress it bought; and the
reconciliation of every declared total with the sum of its parts.

Published first: wherever the source publishes the total of exactly the lines a figure
adds up, that published figure is the total shown, with the sum of its parts and the
difference beside it (`PublishedTotals.figure`); the sum is the total only where the
source publishes none. The reconciliation reads the same object, so a page, the API and
the downloads show the same published figure and the same sum."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotage.budgets.models import BudgetLine, Flow
from pilotage.strategies.models import Strategy, StrategyNode
from pilotage.taxonomies.models import Term


def _node_parents(strategy: Strategy) -> dict[int, int | None]:
    return dict(StrategyNode.objects.filter(strategy=strategy).values_list("pk", "parent_id"))


def _subtree(strategy: Strategy, parents: dict | None = None) -> dict[int | None, set[int]]:
    """Each node's id with all its descendants' ids (None: the whole strategy)."""
    if parents is None:
        parents = _node_parents(strategy)
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


@dataclass(frozen=True)
class Total:
    """A total as shown: `published` when the source publishes the total of exactly these
    lines (`line` is that declared total), else None; `sum_of_parts`, the lines added up;
    `difference`, the published figure less its parts as published (the source's own
    arithmetic, None when nothing is published); `total`, the figure to show: the
    published one (moved by the approved reallocations that cross its bounds, unless
    published amounts are asked for), else the sum."""

    sum_of_parts: Decimal
    published: Decimal | None = None
    difference: Decimal | None = None
    line: BudgetLine | None = None

    @property
    def total(self) -> Decimal:
        return self.sum_of_parts if self.difference is None else self.sum_of_parts + self.difference

    @property
    def differs(self) -> bool:
        return bool(self.difference)

    @property
    def moved(self) -> bool:
        """Whether approved reallocations moved money across the published total's bounds."""
        return self.published is not None and self.total != self.published


class PublishedTotals:
    """A strategy's declared totals, each with the set of lines it sums: the parts its
    source lists, or else the lines under its node of its source (or a narrower one), its
    flow, and its year when it is for a year. Read once, then asked per figure; it holds
    the strategy's lines, so a table reads them from here (one query for both)."""

    def __init__(self, strategy: Strategy | None, *, read: dict | None = None):
        self.strategy = strategy
        self.declared: list[BudgetLine] = []
        self.parts: list[BudgetLine] = []
        self.sums: dict[int, frozenset[int]] = {}
        self._by_set: dict[frozenset[int], BudgetLine] = {}
        if strategy is None:  # an action's budget, across strategies: nothing published
            return
        if read is None:
            lines = list(
                BudgetLine.objects.filter(strategy=strategy).select_related("node", "source")
            )
        else:  # read for many strategies at once (strategies_budget_totals)
            lines = read["lines"]
            self.__dict__.update(parents=read["parents"], places=read["places"])
        self.declared = [line for line in lines if line.is_declared_total]
        self.parts = [line for line in lines if not line.is_declared_total]
        if not self.declared:
            return
        models.prefetch_related_objects(self.declared, "components")
        sources = _source_and_below() if read is None else read["sources"]
        for total in self.declared:
            listed = [part.pk for part in total.components.all()]
            self.sums[total.pk] = frozenset(
                listed
                or (
                    part.pk
                    for part in self.parts
                    if (total.node_id is None or self.places[part.pk] & self.subtree[total.node_id])
                    and part.source_id in sources.get(total.source_id, {total.source_id})
                    and part.flow == total.flow
                    and (total.year is None or part.year == total.year)
                )
            )
        # When two published figures sum the same lines, the more precise one is shown
        # (the other is still reconciled).
        for total in sorted(self.declared, key=lambda t: (t.precision, t.code), reverse=True):
            if self.sums[total.pk]:
                self._by_set[self.sums[total.pk]] = total

    @cached_property
    def parents(self) -> dict[int, int | None]:
        return _node_parents(self.strategy)

    @cached_property
    def subtree(self) -> dict[int | None, set[int]]:
        return _subtree(self.strategy, self.parents)

    @cached_property
    def places(self) -> dict[int, set[int]]:
        return _line_places(self.parts, self.strategy)

    def published_for(
        self, pks: frozenset[int], *, besides: BudgetLine | None = None
    ) -> BudgetLine | None:
        """The declared total of exactly these lines, if the source publishes one."""
        found = self._by_set.get(pks)
        if found is not None and found == besides:
            others = [t for t in self.declared if t != besides and self.sums[t.pk] == pks]
            return min(others, key=lambda t: (t.precision, t.code), default=None)
        return found

    def figure(self, lines, *, published: bool = False) -> Total:
        """The total of `lines` (parts of this strategy): published first."""
        lines = list(lines)
        summed = sum((_amount(line, published) for line in lines), Decimal(0))
        declared = self.published_for(frozenset(line.pk for line in lines)) if lines else None
        if declared is None:
            return Total(summed)
        as_published = sum((line.amount for line in lines), Decimal(0))
        return Total(summed, declared.amount, declared.amount - as_published, declared)


def published_totals(strategy: Strategy | None) -> PublishedTotals:
    """The published totals of a strategy, read once for every figure of a page, an API
    answer or an export (None: an action's budget, for which nothing is published)."""
    return PublishedTotals(strategy)


def strategies_budget_totals(strategies: list[Strategy]) -> dict[int, BudgetRow]:
    """Each strategy's whole budget and execution, as the total row of its budget table,
    for many strategies in a fixed number of queries (a strategy without lines is absent)."""
    from pilotage.strategies.models import Action

    lines = list(
        BudgetLine.objects.filter(strategy__in=strategies).select_related("node", "source")
    )
    if not lines:
        return {}
    models.prefetch_related_objects(
        [line for line in lines if line.is_declared_total], "components"
    )
    sources = _source_and_below()
    parents: dict[int, dict[int, int | None]] = defaultdict(dict)
    for pk, parent_id, strategy_id in StrategyNode.objects.filter(
        strategy__in=strategies
    ).values_list("pk", "parent_id", "strategy_id"):
        parents[strategy_id][pk] = parent_id
    nodes_of: dict[tuple[int, int], set[int]] = defaultdict(set)
    for action_id, node_id, strategy_id in Action.nodes.through.objects.filter(
        action_id__in={line.action_id for line in lines if line.action_id}
    ).values_list("action_id", "strategynode_id", "strategynode__strategy_id"):
        nodes_of[(action_id, strategy_id)].add(node_id)
    by_strategy: dict[int, list[BudgetLine]] = defaultdict(list)
    for line in lines:
        by_strategy[line.strategy_id].append(line)
    found = {}
    for strategy in strategies:
        own = by_strategy.get(strategy.pk)
        if not own:
            continue
        places = {
            line.pk: {line.node_id}
            if line.node_id
            else nodes_of.get((line.action_id, strategy.pk), set())
            for line in own
            if not line.is_declared_total
        }
        read = {"lines": own, "sources": sources, "parents": parents[strategy.pk]}
        totals = PublishedTotals(strategy, read={**read, "places": places})
        found[strategy.pk] = _table(list(totals.parts), False, totals).total
    return found


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

    `figure` is the budget as shown (a `Total`): the published total of exactly the lines
    of `budget_parts` where the source gives one, else their sum.
    """

    year: int | None = None
    source: str | None = None
    amounts: dict[str, Decimal] = field(default_factory=dict)
    budget: Decimal | None = None
    measured: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    budget_parts: list[BudgetLine] = field(default_factory=list, repr=False)
    figure: Total | None = None

    @classmethod
    def of_holder(cls, year, source, amounts: dict[str, Decimal], lines=None) -> BudgetRow:
        """The row of one node's or action's lines in a cell (`lines` by flow)."""
        budget = amounts.get(Flow.REVISED, amounts.get(Flow.PLANNED))
        measured = {
            flow: (amounts[flow], budget) for flow in EXECUTION_FLOWS if flow in amounts and budget
        }
        lines = lines or {}
        parts = list(lines.get(Flow.REVISED) or lines.get(Flow.PLANNED) or [])
        return cls(year, source, dict(amounts), budget, measured, parts)

    def add(self, other: BudgetRow) -> None:
        self.budget_parts.extend(other.budget_parts)
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
        """What was spent, best known first: paid, else committed, else the budget (as
        shown: published first)."""
        for flow in (Flow.PAID, Flow.COMMITTED):
            if flow in self.amounts:
                return flow, self.amounts[flow]
        budget = self.figure.total if self.figure is not None else self.budget
        return ("budget", budget) if budget else None


def _year_key(year: int | None) -> tuple[bool, int]:
    return (year is None, year or 0)


@dataclass
class BudgetTable:
    """A budget by year and source, each flow apart, and its sums."""

    cells: list[BudgetRow]
    lines: int
    reallocated: bool = False
    totals: PublishedTotals | None = field(default=None, repr=False)
    published: bool = False

    def __post_init__(self) -> None:
        self._figured(self.cells)

    def _figured(self, rows: list[BudgetRow]) -> list[BudgetRow]:
        """Each row's budget as shown, published first (one mechanism for every figure)."""
        for row in rows:
            if row.budget is None:
                row.figure = None
            elif self.totals is None:
                row.figure = Total(row.budget)
            else:
                row.figure = self.totals.figure(row.budget_parts, published=self.published)
        return rows

    def _sum(self, key) -> list[BudgetRow]:
        sums: dict = {}
        for cell in self.cells:
            k = key(cell)
            if k not in sums:
                sums[k] = BudgetRow(*k)
            sums[k].add(cell)
        return self._figured(list(sums.values()))

    @cached_property
    def by_year(self) -> list[BudgetRow]:
        return sorted(self._sum(lambda c: (c.year, None)), key=lambda r: _year_key(r.year))

    @cached_property
    def by_source(self) -> list[BudgetRow]:
        return sorted(self._sum(lambda c: (None, c.source)), key=lambda r: r.source)

    @cached_property
    def total(self) -> BudgetRow:
        total = BudgetRow()
        for cell in self.cells:
            total.add(cell)
        return self._figured([total])[0]

    @property
    def years(self) -> list[int | None]:
        return sorted({cell.year for cell in self.cells}, key=_year_key)

    @property
    def grid(self) -> list[tuple[str, list[Total | None], Total | None]]:
        """The budget as a table: a row per source, a column per year, and its total, each
        figure published first."""
        years = self.years
        rows = []
        for source in self.by_source:
            figures = {c.year: c.figure for c in self.cells if c.source == source.source}
            rows.append((source.source, [figures.get(year) for year in years], source.figure))
        return rows

    @property
    def has_execution(self) -> bool:
        return any(c.committed is not None or c.paid is not None for c in self.cells)


def _table(lines: list[BudgetLine], published: bool, totals: PublishedTotals | None) -> BudgetTable:
    # A revision replaces the plan of what it revises: the same node or action, year and
    # source. So the budget is found holder by holder, then added up into cells.
    by_holder: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    holder_lines: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for line in lines:
        key = (line.year, line.source.code, line.strategy_id, line.node_id, line.action_id)
        by_holder[key][line.flow] += _amount(line, published)
        holder_lines[key][line.flow].append(line)
    by_cell: dict[tuple, BudgetRow] = {}
    for key, amounts in by_holder.items():
        year, source = key[:2]
        cell = by_cell.setdefault((year, source), BudgetRow(year, source))
        cell.add(BudgetRow.of_holder(year, source, amounts, holder_lines[key]))
    return BudgetTable(
        cells=sorted(by_cell.values(), key=lambda c: (_year_key(c.year), c.source)),
        lines=len(lines),
        reallocated=not published and any(line.revised_amount is not None for line in lines),
        totals=totals,
        published=published,
    )


def _counted_lines(
    strategy: Strategy | None,
    node: StrategyNode | None,
    action=None,
    totals: PublishedTotals | None = None,
) -> list[BudgetLine]:
    """The parts counted in a total: a strategy's lines, those under a node (its own, its
    descendants' and its actions'), or an action's lines in every strategy."""
    if action is not None:  # in every public strategy it serves
        lines = BudgetLine.objects.parts().select_related("source")
        return list(lines.filter(action=action, strategy__in=Strategy.objects.public()))
    if strategy is None:
        raise ValueError("A budget is a strategy's, a node's or an action's.")
    if totals is None:
        totals = published_totals(strategy)
    if node is None:
        return list(totals.parts)
    wanted = totals.subtree[node.pk]
    return [line for line in totals.parts if totals.places[line.pk] & wanted]


def budget_table(
    strategy: Strategy | None = None,
    *,
    node: StrategyNode | None = None,
    action=None,
    published: bool = False,
    totals: PublishedTotals | None = None,
) -> BudgetTable:
    """The budget of a strategy, a node or an action by year and source, every flow apart,
    computed from its parts (declared totals are compared, never added), with the amounts
    moved by approved reallocations unless `published`; each figure published first
    (`totals`: the strategy's `published_totals`, when the caller already has them)."""
    if node is not None:
        strategy = node.strategy
    if action is not None:
        return _table(_counted_lines(None, None, action), published, None)
    if totals is None:
        totals = published_totals(strategy)
    return _table(_counted_lines(strategy, node, totals=totals), published, totals)


def node_budget_tables(
    strategy: Strategy, *, published: bool = False, totals: PublishedTotals | None = None
) -> dict[int, BudgetTable]:
    """Every node's budget table in one pass over the strategy's lines (by node id; a node
    without money is absent). Each line counts once in each node above its places."""
    if totals is None:
        totals = published_totals(strategy)
    lines, parents, places = totals.parts, totals.parents, totals.places
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
    return {node_id: _table(found, published, totals) for node_id, found in per_node.items()}


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
    source, each a `Total`: published first, else from the parts only, so nothing is
    counted twice."""
    totals = published_totals(strategy)
    lines = [line for line in _counted_lines(strategy, node, totals=totals) if line.flow == flow]
    by_year: dict[int | None, list[BudgetLine]] = defaultdict(list)
    by_source: dict[str, list[BudgetLine]] = defaultdict(list)
    for line in lines:
        by_year[line.year].append(line)
        by_source[line.source.code].append(line)
    return {
        "total": totals.figure(lines, published=published),
        "by_year": {
            year: totals.figure(found, published=published)
            for year, found in sorted(by_year.items(), key=lambda item: _year_key(item[0]))
        },
        "by_source": {
            source: totals.figure(found, published=published)
            for source, found in sorted(by_source.items())
        },
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


class Decomposition(models.TextChoices):
    """The ways a source breaks a published total down, each compared with it."""

    LINES = "lines", _("its lines")
    NODES = "nodes", _("the totals of the nodes below")
    SOURCES = "sources", _("the totals of its funding sources")
    YEARS = "years", _("the totals of its years")
    LISTED = "listed", _("the totals it lists")


@dataclass(frozen=True)
class Reconciliation:
    """A declared total beside one of its decompositions: `figures`, the published
    figures it breaks into (lines, or other published totals), each with its code, amount
    and rounding. `name` is unique among the strategy's declared totals."""

    line: BudgetLine
    name: str
    decomposition: str
    figures: tuple[tuple[str, Decimal, Decimal], ...]

    @property
    def published(self) -> Decimal:
        return self.line.amount

    @property
    def sum_of_parts(self) -> Decimal:
        return sum((amount for _code, amount, _precision in self.figures), Decimal(0))

    @property
    def total(self) -> Decimal:
        """The published figure: the total shown wherever the source publishes one."""
        return self.published

    @property
    def difference(self) -> Decimal:
        """Published minus the sum of the parts: what the total says beyond its parts."""
        return self.published - self.sum_of_parts

    # The names the API and the exports have always used.
    declared = published
    computed = sum_of_parts

    @property
    def parts(self) -> int:
        return len(self.figures)

    @property
    def part_codes(self) -> list[str]:
        return [code for code, _amount, _precision in self.figures]

    @property
    def tolerance(self) -> Decimal:
        """Half the published rounding of the total and of each part."""
        roundings = self.line.precision + sum(p for _code, _amount, p in self.figures)
        return roundings / 2

    @property
    def within_tolerance(self) -> bool:
        return abs(self.difference) <= self.tolerance

    @property
    def decomposition_label(self) -> str:
        return Decomposition(self.decomposition).label


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


def _total_names(totals: PublishedTotals) -> dict[int, str]:
    """Each declared total's name: where, year, label, source and flow; its code is added
    when two would otherwise read the same."""
    names = {}
    for total in totals.declared:
        pieces = [total.node.code if total.node_id else totals.strategy.code]
        if total.year:
            pieces.append(str(total.year))
        if total.label:
            pieces.append(total.label)
        pieces += [str(total.source.label), str(total.get_flow_display())]
        names[total.pk] = " · ".join(pieces)
    seen = Counter(names.values())
    return {
        pk: f"{name} ({line.code})" if seen[name] > 1 else name
        for (pk, name), line in zip(names.items(), totals.declared, strict=True)
    }


def _decompositions(totals: PublishedTotals, total: BudgetLine, children: dict) -> list[tuple]:
    """`total`'s decompositions as the source publishes them, each a list of figures
    (code, amount, rounding): its lines, and the published totals of the nodes below, of
    its funding sources, of its years, and of the groups of lines it lists, where these
    split its lines in two or more figures the source publishes. A split by source, year
    or listed group is read in the total's own table: its figures are on its node."""
    pks = totals.sums[total.pk]
    parts = [part for part in totals.parts if part.pk in pks]
    found = [(Decomposition.LINES, [(p.code, p.amount, p.precision) for p in parts])]

    def published_groups(groups: dict, same_node: bool) -> list | None:
        if len(groups) < 2 or sum(len(g) for g in groups.values()) != len(parts):
            return None  # not a split in two or more (or a line in two groups)
        figures, any_total = [], False
        for group in groups.values():
            declared = totals.published_for(frozenset(p.pk for p in group), besides=total)
            if same_node and (declared or group[0]).node_id != total.node_id:
                return None
            if declared is not None:
                figures.append((declared.code, declared.amount, declared.precision))
                any_total = True
            elif len(group) == 1:
                figures.append((group[0].code, group[0].amount, group[0].precision))
            else:
                return None  # a group the source gives no figure for
        return figures if any_total else None

    below = children.get(total.node_id, [])
    by_node: dict[int, list] = defaultdict(list)
    for part in parts:
        for child in below:
            if totals.places[part.pk] & totals.subtree[child]:
                by_node[child].append(part)
    by_source: dict[int, list] = defaultdict(list)
    by_year: dict[int | None, list] = defaultdict(list)
    for part in parts:
        by_source[part.source_id].append(part)
        by_year[part.year].append(part)
    for kind, groups in (
        (Decomposition.NODES, by_node),
        (Decomposition.SOURCES, by_source),
        (Decomposition.YEARS, by_year),
    ):
        figures = published_groups(groups, same_node=kind != Decomposition.NODES)
        if figures:
            found.append((kind, figures))
    # The groups it lists: other published totals of two or more of its lines, apart.
    listed, taken = [], set()
    for other in sorted(totals.declared, key=lambda t: (-len(totals.sums[t.pk]), t.code)):
        group = totals.sums[other.pk]
        if (
            other != total
            and other.node_id == total.node_id
            and other.components.all()
            and 1 < len(group) < len(pks)
            and group <= pks
            and not group & taken
        ):
            listed.append((other.code, other.amount, other.precision))
            taken |= group
    rest = [part for part in parts if part.pk not in taken]
    if listed and all(part.node_id == total.node_id for part in rest):
        found.append(
            (Decomposition.LISTED, listed + [(p.code, p.amount, p.precision) for p in rest])
        )
    return found


def reconciliation(
    strategy: Strategy, *, totals: PublishedTotals | None = None
) -> list[Reconciliation]:
    """Every declared total of the strategy beside each decomposition of it the source
    gives: the sum of its lines (the parts the source lists, or else the lines under its
    node of the same source or a narrower one, flow, and year when the total is for a
    year), then the published totals it splits into. Published figures on both sides:
    the source's own arithmetic, which reallocations do not change."""
    totals = totals if totals is not None else published_totals(strategy)
    if not totals.declared:
        return []
    names = _total_names(totals)
    children: dict[int | None, list[int]] = defaultdict(list)
    for pk, parent in totals.parents.items():
        children[parent].append(pk)
    return [
        Reconciliation(total, names[total.pk], kind.value, tuple(figures))
        for total in totals.declared
        for kind, figures in _decompositions(totals, total, children)
    ]


def budget_lines(**filters) -> models.QuerySet[BudgetLine]:
    """Budget lines with what their tables show."""
    return BudgetLine.objects.filter(**filters).select_related(
        "strategy", "node", "action", "source"
    )
