"""`/api/v1/budgets/`: totals computed from the lines, and the reconciliation."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from pilotage.budgets.selectors import budget_totals, reconciliation
from pilotage.strategies.models import Strategy, StrategyNode

router = Router(tags=["budgets"])


class TotalsOut(Schema):
    strategy: str
    node: str | None
    flow: str
    total: str
    by_year: dict[str, str]
    by_source: dict[str, str]
    lines: int


class ReconciliationOut(Schema):
    code: str
    node: str | None
    year: int | None
    source: str
    flow: str
    declared: str
    computed: str
    difference: str
    tolerance: str
    within_tolerance: bool
    parts: int
    document: str


@router.get("/totals", response=TotalsOut)
def totals(request, strategy: str, node: str | None = None, flow: str = "planned"):
    """Totals of a strategy or node, computed from the lines (euros), by year and source."""
    found = get_object_or_404(Strategy.objects.public(), code=strategy)
    found_node = get_object_or_404(StrategyNode, strategy=found, code=node) if node else None
    result = budget_totals(found, node=found_node, flow=flow)
    return {
        "strategy": found.code,
        "node": node,
        "flow": flow,
        "total": str(result["total"]),
        "by_year": {
            ("all" if year is None else str(year)): str(v) for year, v in result["by_year"].items()
        },
        "by_source": {source: str(v) for source, v in result["by_source"].items()},
        "lines": result["lines"],
    }


@router.get("/reconciliation", response=list[ReconciliationOut])
def reconciliation_report(request, strategy: str):
    """Every declared total beside the sum of its parts, and the difference."""
    found = get_object_or_404(Strategy.objects.public(), code=strategy)
    return [
        {
            "code": item.line.code,
            "node": item.line.node.code if item.line.node_id else None,
            "year": item.line.year,
            "source": item.line.source.code,
            "flow": item.line.flow,
            "declared": str(item.declared),
            "computed": str(item.computed),
            "difference": str(item.difference),
            "tolerance": str(item.tolerance),
            "within_tolerance": item.within_tolerance,
            "parts": item.parts,
            "document": item.line.document,
        }
        for item in reconciliation(found)
    ]
