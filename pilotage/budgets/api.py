"""`/api/v1/budgets/`: budgets computed from the lines (totals, execution by year and
source, cost per result), the lines themselves with their reallocations, and the
reconciliation of every published total. Amounts are euros, as decimal strings."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q
from django.http import Http404, HttpResponse
from ninja import Field, Query, Router, Schema

from pilotage.budgets.models import BudgetLine, Flow, ReallocationState
from pilotage.budgets.selectors import (
    BudgetRow,
    Decomposition,
    Total,
    budget_lines,
    budget_table,
    budget_totals,
    cost_per_result,
    reconciliation,
)
from pilotage.core.api import (
    ErrorOut,
    QueryError,
    choices_schema,
    cursor_page,
    limit_check,
    params_check,
    unknown_record,
)
from pilotage.strategies.models import Action, Strategy, StrategyNode
from pilotage.strategies.selectors import strategy_public_get
from pilotage.taxonomies.models import Term

# The taxonomy of the lines' funding sources (BudgetLine.source).
SOURCES = "funding-sources"

router = Router(tags=["budgets"])
ERRORS = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut}
# A year filter is a calendar year, as a date holds it.
YEAR_MIN, YEAR_MAX = 1, 9999


def _euros(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _strategy(code: str) -> Strategy:
    try:
        return strategy_public_get(code)
    except Strategy.DoesNotExist:
        raise Http404 from None


def _node(strategy: Strategy, code: str | None) -> StrategyNode | None:
    if code is None:
        return None
    try:
        return StrategyNode.objects.select_related("strategy").get(strategy=strategy, code=code)
    except StrategyNode.DoesNotExist:
        raise Http404 from None


def _action(code: str, field: str | None = None) -> Action:
    """A public action; a path naming none is a 404, and so is a filter (`field`)."""
    try:
        return Action.objects.public().get(code=code)
    except Action.DoesNotExist:
        if field:
            raise unknown_record(field, f"“{code}” is not an action.") from None
        raise Http404 from None


def _flow(flow: str) -> str:
    if flow not in Flow.values:
        raise QueryError("flow", "unknown_value", f"Flows are {', '.join(Flow.values)}.")
    return flow


class FigureOut(Schema):
    """A total as shown: the figure the source publishes for exactly these lines, else
    their sum."""

    total: str = Field(description="Euros: `published_total` when there is one, else the sum")
    published_total: str | None = Field(
        description="Euros, as the source publishes this total (null: none published)"
    )
    sum_of_parts: str = Field(description="Euros: the lines added up")
    difference: str | None = Field(
        description="Euros: the published total less the sum of its parts, both as "
        "published (null: none published)"
    )
    declared_total: str | None = Field(description="The code of the published total's line")


class TotalsOut(Schema):
    strategy: str
    node: str | None
    flow: str
    published: bool = Field(description="Amounts as published, before any reallocation")
    total: str = Field(description="Euros: the published total where there is one, else the sum")
    by_year: dict[str, str] = Field(description='Euros by year ("all": the whole period)')
    by_source: dict[str, str] = Field(description="Euros by funding source")
    lines: int
    figure: FigureOut = Field(description="The total, its published figure and its parts")
    by_year_figures: dict[str, FigureOut] = Field(description="`by_year`, each with its parts")
    by_source_figures: dict[str, FigureOut] = Field(description="`by_source`, each with its parts")


def _figure(found: Total) -> dict:
    return {
        "total": str(found.total),
        "published_total": _euros(found.published),
        "sum_of_parts": str(found.sum_of_parts),
        "difference": _euros(found.difference),
        "declared_total": found.line.code if found.line is not None else None,
    }


class FlowChoice(Schema):
    flow: str = Field("planned", json_schema_extra=choices_schema(Flow.values, blank=False))


@router.get("/totals", response={200: TotalsOut, **ERRORS})
def totals(
    request,
    strategy: str,
    choice: Query[FlowChoice],
    node: str | None = None,
    published: bool = False,
):
    """One flow's totals of a strategy or node, by year ("all": the whole period) and
    source: the published total wherever the source publishes one for exactly these
    lines, else their sum (the `*figures` give both and the difference); after approved
    reallocations unless `published`."""
    params_check(request, ("strategy", "node", "flow", "published"))
    flow = choice.flow
    found = _strategy(strategy)
    result = budget_totals(found, node=_node(found, node), flow=_flow(flow), published=published)
    by_year = {("all" if year is None else str(year)): v for year, v in result["by_year"].items()}
    return {
        "strategy": found.code,
        "node": node,
        "flow": flow,
        "published": published,
        "total": str(result["total"].total),
        "by_year": {year: str(v.total) for year, v in by_year.items()},
        "by_source": {source: str(v.total) for source, v in result["by_source"].items()},
        "lines": result["lines"],
        "figure": _figure(result["total"]),
        "by_year_figures": {year: _figure(v) for year, v in by_year.items()},
        "by_source_figures": {source: _figure(v) for source, v in result["by_source"].items()},
    }


class RowOut(Schema):
    year: int | None
    source: str | None
    planned: str | None = Field(
        description="Euros: the planned lines added up (a published total of them is `budget`)"
    )
    revised: str | None
    committed: str | None
    paid: str | None
    budget: str | None = Field(
        description="Euros: the published total of the budget's lines where the source "
        "publishes one, else revised where published, else planned"
    )
    budget_published: str | None = Field(description="Euros: the published total, if any")
    budget_sum_of_parts: str | None = Field(description="Euros: the budget's lines added up")
    budget_difference: str | None = Field(
        description="Euros: the published total less the sum of its parts (null: none)"
    )
    committed_rate: str | None
    paid_rate: str | None


class UnitCostOut(Schema):
    indicator: str
    unit: str
    actual: str
    cost: str


class CostOut(Schema):
    flow: str
    spent: str
    progress: str | None
    per_point: str | None
    unit_costs: list[UnitCostOut]


class ExecutionOut(Schema):
    strategy: str | None
    node: str | None
    action: str | None
    published: bool
    reallocated: bool
    lines: int
    total: RowOut
    by_year: list[RowOut]
    by_source: list[RowOut]
    cells: list[RowOut]
    cost_per_result: CostOut | None


def _row(row: BudgetRow) -> dict:
    return {
        "year": row.year,
        "source": row.source,
        "planned": _euros(row.planned),
        "revised": _euros(row.revised),
        "committed": _euros(row.committed),
        "paid": _euros(row.paid),
        "budget": _euros(row.figure.total if row.figure else None),
        "budget_published": _euros(row.figure.published if row.figure else None),
        "budget_sum_of_parts": _euros(row.figure.sum_of_parts if row.figure else None),
        "budget_difference": _euros(row.figure.difference if row.figure else None),
        "committed_rate": _euros(row.committed_rate),
        "paid_rate": _euros(row.paid_rate),
    }


@router.get("/execution", response={200: ExecutionOut, **ERRORS})
def execution(request, strategy: str, node: str | None = None, published: bool = False):
    """Planned, revised, committed and paid amounts of a strategy or one of its nodes, by
    year and source and summed, with the shares of the budget committed and paid
    (percent), and for a node the money spent beside its progress (`per_point`: euros per
    percentage point) and its counted results (`unit_costs`). An action's execution is at
    `/budgets/actions/{code}/execution`."""
    params_check(request, ("strategy", "node", "published"))
    found = _strategy(strategy)
    return _execution(found_strategy=found, found_node=_node(found, node), published=published)


@router.get("/actions/{code}/execution", response={200: ExecutionOut, **ERRORS})
def action_execution(request, code: str, published: bool = False):
    """The execution of one public action's budget lines, whatever strategy they belong
    to, as `/budgets/execution` gives a strategy's."""
    params_check(request, ("published",))
    return _execution(found_action=_action(code), published=published)


def _execution(
    *,
    found_strategy: Strategy | None = None,
    found_node: StrategyNode | None = None,
    found_action: Action | None = None,
    published: bool,
) -> dict:
    table = budget_table(found_strategy, node=found_node, action=found_action, published=published)
    cost = (
        cost_per_result(table, node=found_node, action=found_action)
        if found_node or found_action
        else None
    )
    return {
        "strategy": found_strategy.code if found_strategy else None,
        "node": found_node.code if found_node else None,
        "action": found_action.code if found_action else None,
        "published": published,
        "reallocated": table.reallocated,
        "lines": table.lines,
        "total": _row(table.total),
        "by_year": [_row(row) for row in table.by_year],
        "by_source": [_row(row) for row in table.by_source],
        "cells": [_row(row) for row in table.cells],
        "cost_per_result": cost
        and {
            "flow": cost.flow,
            "spent": str(cost.spent),
            "progress": _euros(cost.progress),
            "per_point": _euros(cost.per_point),
            "unit_costs": [
                {
                    "indicator": item.indicator.code,
                    "unit": item.indicator.unit,
                    "actual": str(item.actual),
                    "cost": str(item.cost),
                }
                for item in cost.unit_costs
            ],
        },
    }


class ReallocationOut(Schema):
    direction: str
    other_line: str
    amount: str
    reason: str
    decided_at: str | None


class LineOut(Schema):
    code: str
    strategy: str
    node: str | None
    action: str | None
    label: str
    year: int | None
    source: str
    flow: str
    amount: str
    current_amount: str
    is_declared_total: bool
    precision: str
    document: str
    reallocations: list[ReallocationOut]


class LinePageOut(Schema):
    count: int
    next_cursor: str | None
    items: list[LineOut]


class LineFilters(Schema):
    strategy: str | None = None
    node: str | None = Field(None, description="A node code (in any strategy unless given)")
    action: str | None = None
    year: int | None = Field(None, ge=YEAR_MIN, le=YEAR_MAX)
    source: str | None = None
    flow: str | None = Field(None, json_schema_extra=choices_schema(Flow.values))
    total: bool | None = None


def _line_out(line: BudgetLine) -> dict:
    moves = [
        ("out", move.to_line.code, move)
        for move in line.reallocations_out.all()
        if move.state == ReallocationState.APPROVED
    ] + [
        ("in", move.from_line.code, move)
        for move in line.reallocations_in.all()
        if move.state == ReallocationState.APPROVED
    ]
    return {
        "code": line.code,
        "strategy": line.strategy.code,
        "node": line.node.code if line.node_id else None,
        "action": line.action.code if line.action_id else None,
        "label": line.label,
        "year": line.year,
        "source": line.source.code,
        "flow": line.flow,
        "amount": str(line.amount),
        "current_amount": str(line.current_amount),
        "is_declared_total": line.is_declared_total,
        "precision": str(line.precision),
        "document": line.document,
        "reallocations": [
            {
                "direction": direction,
                "other_line": other,
                "amount": str(move.amount),
                "reason": move.reason,
                "decided_at": move.decided_at.isoformat() if move.decided_at else None,
            }
            for direction, other, move in sorted(moves, key=lambda m: m[2].decided_at)
        ],
    }


@router.get("/lines", response={200: LinePageOut, **ERRORS})
def lines(
    request,
    response: HttpResponse,
    filters: Query[LineFilters],
    cursor: str | None = None,
    limit: int = Query(100, ge=1),
):
    """The budget lines of public strategies, by code, with their published and current
    amounts and the approved reallocations that moved them (no names: the people who
    asked and approved are in the back-office's history)."""
    params_check(request, (*LineFilters.model_fields, "cursor", "limit"))
    limit_check(limit)
    found = budget_lines(strategy__in=Strategy.objects.public()).prefetch_related(
        "reallocations_out__to_line", "reallocations_in__from_line"
    )
    # A code naming no record is refused (404), as the other lists do, rather than
    # answered with an empty page that looks true.
    if filters.strategy:
        found = found.filter(strategy=_strategy(filters.strategy))
    if filters.node:
        nodes = StrategyNode.objects.filter(
            strategy__in=Strategy.objects.public(), code=filters.node
        )
        if filters.strategy:
            nodes = nodes.filter(strategy__code=filters.strategy)
        if not nodes.exists():
            raise unknown_record("node", f"“{filters.node}” is not a node.")
        found = found.filter(node__code=filters.node)
    if filters.action:
        _action(filters.action, field="action")
        found = found.filter(action__code=filters.action)
    if filters.year is not None:
        found = found.filter(year=filters.year)
    if filters.source:
        if not Term.objects.filter(taxonomy__code=SOURCES, code=filters.source).exists():
            raise unknown_record("source", f"“{filters.source}” is not a funding source.")
        found = found.filter(
            Q(source__code=filters.source) | Q(source__parent__code=filters.source)
        )
    if filters.flow:
        found = found.filter(flow=_flow(filters.flow))
    if filters.total is not None:
        found = found.filter(is_declared_total=filters.total)
    found = found.order_by("code")
    items, following = cursor_page(
        request, found, ("code",), limit=limit, cursor=cursor, response=response
    )
    return {
        "count": found.count(),
        "next_cursor": following,
        "items": [_line_out(line) for line in items],
    }


class ReconciliationOut(Schema):
    code: str = Field(description="The published total's line")
    name: str = Field(description="The total, named uniquely in its strategy")
    decomposition: str = Field(
        description="What it is compared with: " + ", ".join(Decomposition.values)
    )
    node: str | None
    year: int | None
    source: str
    flow: str
    total: str = Field(description="Euros: the published total, the figure shown")
    published: str = Field(description="Euros, as published (same as `declared`)")
    sum_of_parts: str = Field(description="Euros: the parts added up (same as `computed`)")
    declared: str
    computed: str
    difference: str = Field(description="Euros: published less the sum of the parts")
    tolerance: str
    within_tolerance: bool
    parts: int
    part_codes: list[str] = Field(description="The lines or published totals added up")
    document: str


@router.get("/reconciliation", response={200: list[ReconciliationOut], **ERRORS})
def reconciliation_report(request, strategy: str):
    """Every published total beside the sum of its parts and the difference, once per
    decomposition the source gives (its lines, the totals of the nodes below, of its
    funding sources, of its years, of the groups it lists), published figures on both
    sides (nothing is ever changed to make them agree)."""
    params_check(request, ("strategy",))
    found = _strategy(strategy)
    return [
        {
            "code": item.line.code,
            "name": item.name,
            "decomposition": item.decomposition,
            "node": item.line.node.code if item.line.node_id else None,
            "year": item.line.year,
            "source": item.line.source.code,
            "flow": item.line.flow,
            "total": str(item.total),
            "published": str(item.published),
            "sum_of_parts": str(item.sum_of_parts),
            "declared": str(item.declared),
            "computed": str(item.computed),
            "difference": str(item.difference),
            "tolerance": str(item.tolerance),
            "within_tolerance": item.within_tolerance,
            "parts": item.parts,
            "part_codes": item.part_codes,
            "document": item.line.document,
        }
        for item in reconciliation(found)
    ]
