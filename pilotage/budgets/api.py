"""`/api/v1/budgets/`: budgets computed from the lines (totals, execution by year and
source, cost per result), the lines themselves with their reallocations, and the
reconciliation of every published total. Amounts are euros, as exact JSON numbers."""

from __future__ import annotations

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
    PAGING_KEYS,
    ErrorOut,
    Number,
    QueryError,
    choices_schema,
    cursor_page,
    cursor_param,
    envelope,
    limit_check,
    limit_param,
    page_schema,
    params_check,
    rows_page,
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

    total: Number = Field(description="Euros: `published_total` when there is one, else the sum")
    published_total: Number | None = Field(
        description="Euros, as the source publishes this total (null: none published)"
    )
    sum_of_parts: Number = Field(description="Euros: the lines added up")
    difference: Number | None = Field(
        description="Euros: the published total less the sum of its parts, both as "
        "published (null: none published)"
    )
    declared_total: str | None = Field(description="The code of the published total's line")


class TotalsOut(Schema):
    strategy: str
    node: str | None
    flow: str
    published: bool = Field(description="Amounts as published, before any reallocation")
    total: Number = Field(description="Euros: the published total where there is one, else the sum")
    by_year: dict[str, Number] = Field(description='Euros by year ("all": the whole period)')
    by_source: dict[str, Number] = Field(description="Euros by funding source")
    lines: int
    figure: FigureOut = Field(description="The total, its published figure and its parts")
    by_year_figures: dict[str, FigureOut] = Field(description="`by_year`, each with its parts")
    by_source_figures: dict[str, FigureOut] = Field(description="`by_source`, each with its parts")


def _figure(found: Total) -> dict:
    return {
        "total": found.total,
        "published_total": found.published,
        "sum_of_parts": found.sum_of_parts,
        "difference": found.difference,
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
        "total": result["total"].total,
        "by_year": {year: v.total for year, v in by_year.items()},
        "by_source": {source: v.total for source, v in result["by_source"].items()},
        "lines": result["lines"],
        "figure": _figure(result["total"]),
        "by_year_figures": {year: _figure(v) for year, v in by_year.items()},
        "by_source_figures": {source: _figure(v) for source, v in result["by_source"].items()},
    }


class RowOut(Schema):
    year: int | None
    source: str | None
    planned: Number | None = Field(
        description="Euros: the planned lines added up (a published total of them is `budget`)"
    )
    revised: Number | None
    committed: Number | None
    paid: Number | None
    budget: Number | None = Field(
        description="Euros: the published total of the budget's lines where the source "
        "publishes one, else revised where published, else planned"
    )
    budget_published: Number | None = Field(description="Euros: the published total, if any")
    budget_sum_of_parts: Number | None = Field(description="Euros: the budget's lines added up")
    budget_difference: Number | None = Field(
        description="Euros: the published total less the sum of its parts (null: none)"
    )
    committed_rate: Number | None
    paid_rate: Number | None


class UnitCostOut(Schema):
    indicator: str
    unit: str
    actual: Number
    cost: Number


class CostOut(Schema):
    flow: str
    spent: Number
    progress: Number | None
    per_point: Number | None
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
        "planned": row.planned,
        "revised": row.revised,
        "committed": row.committed,
        "paid": row.paid,
        "budget": row.figure.total if row.figure else None,
        "budget_published": row.figure.published if row.figure else None,
        "budget_sum_of_parts": row.figure.sum_of_parts if row.figure else None,
        "budget_difference": row.figure.difference if row.figure else None,
        "committed_rate": row.committed_rate,
        "paid_rate": row.paid_rate,
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
            "spent": cost.spent,
            "progress": cost.progress,
            "per_point": cost.per_point,
            "unit_costs": [
                {
                    "indicator": item.indicator.code,
                    "unit": item.indicator.unit,
                    "actual": item.actual,
                    "cost": item.cost,
                }
                for item in cost.unit_costs
            ],
        },
    }


class ReallocationOut(Schema):
    direction: str
    other_line: str
    amount: Number
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
    amount: Number
    current_amount: Number
    is_declared_total: bool
    precision: Number
    document: str
    reallocations: list[ReallocationOut]


LinePageOut = page_schema("LinePageOut", LineOut)


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
        "amount": line.amount,
        "current_amount": line.current_amount,
        "is_declared_total": line.is_declared_total,
        "precision": line.precision,
        "document": line.document,
        "reallocations": [
            {
                "direction": direction,
                "other_line": other,
                "amount": move.amount,
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
    cursor: str | None = cursor_param(),
    limit: int = limit_param(100),
):
    """The budget lines of public strategies, by code, with their published and current
    amounts and the approved reallocations that moved them (no names: the people who
    asked and approved are in the back-office's history)."""
    params_check(request, (*LineFilters.model_fields, *PAGING_KEYS))
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
    items, following = cursor_page(request, found, ("code",), limit=limit, cursor=cursor)
    rows = [_line_out(line) for line in items]
    return envelope(request, response, rows, count=found.count(), following=following)


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
    total: Number = Field(description="Euros: the published total, the figure shown")
    published: Number = Field(description="Euros, as published (same as `declared`)")
    sum_of_parts: Number = Field(description="Euros: the parts added up (same as `computed`)")
    declared: Number
    computed: Number
    difference: Number = Field(description="Euros: published less the sum of the parts")
    tolerance: Number
    within_tolerance: bool
    parts: int
    part_codes: list[str] = Field(description="The lines or published totals added up")
    document: str


ReconciliationPageOut = page_schema("ReconciliationPageOut", ReconciliationOut)


@router.get("/reconciliation", response={200: ReconciliationPageOut, **ERRORS})
def reconciliation_report(
    request,
    strategy: str,
    response: HttpResponse,
    cursor: str | None = cursor_param(),
    limit: int = limit_param(100),
):
    """Every published total beside the sum of its parts and the difference, once per
    decomposition the source gives (its lines, the totals of the nodes below, of its
    funding sources, of its years, of the groups it lists), published figures on both
    sides (nothing is ever changed to make them agree)."""
    params_check(request, ("strategy", *PAGING_KEYS))
    found = _strategy(strategy)
    # In the report's order (a total, then each of its decompositions), keyed by position.
    report = list(enumerate(reconciliation(found)))
    page, following = rows_page(
        request, report, lambda row: (row[0],), width=1, limit=limit, cursor=cursor
    )
    items = [
        {
            "code": item.line.code,
            "name": item.name,
            "decomposition": item.decomposition,
            "node": item.line.node.code if item.line.node_id else None,
            "year": item.line.year,
            "source": item.line.source.code,
            "flow": item.line.flow,
            "total": item.total,
            "published": item.published,
            "sum_of_parts": item.sum_of_parts,
            "declared": item.declared,
            "computed": item.computed,
            "difference": item.difference,
            "tolerance": item.tolerance,
            "within_tolerance": item.within_tolerance,
            "parts": item.parts,
            "part_codes": item.part_codes,
            "document": item.line.document,
        }
        for _position, item in page
    ]
    return envelope(request, response, items, count=len(report), following=following)
