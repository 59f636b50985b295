"""Public pages: readable without an account and without JavaScript."""

from __future__ import annotations

from django.http import Http404
from django.views.generic import TemplateView

from pilotage.budgets.selectors import budget_lines, budget_totals, reconciliation
from pilotage.indicators.explain import explanation
from pilotage.indicators.selectors import (
    action_rollups,
    indicator_assessments,
    indicator_list,
    node_rollups,
)
from pilotage.strategies.models import Action, Strategy
from pilotage.strategies.selectors import (
    action_public_get,
    strategy_list_public,
    strategy_public_get,
    strategy_trees,
)
from pilotage.taxonomies.models import Term


def _indicator_rows(indicators, assessments):
    return [
        {
            "indicator": indicator,
            "assessment": assessments[indicator.pk],
            "explanation": explanation(assessments[indicator.pk]),
        }
        for indicator in indicators
    ]


class StrategyListView(TemplateView):
    """The home page: every public strategy with its tree."""

    template_name = "dashboard/strategy_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        strategies = list(strategy_list_public())
        trees = strategy_trees(strategies)
        context["strategies"] = [(strategy, trees[strategy.pk]) for strategy in strategies]
        return context


class StrategyDetailView(TemplateView):
    """A strategy: its tree with progress and coverage at every level, its actions and
    their indicators with status and explanation."""

    template_name = "dashboard/strategy_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            strategy = strategy_public_get(kwargs["code"])
        except Strategy.DoesNotExist as error:
            raise Http404 from error
        tree = strategy_trees([strategy])[strategy.pk]
        rollups = node_rollups(strategy)
        nodes = [item for item in _walk(tree)]
        node_ids = [item.node.pk for item in nodes]
        indicators = list(indicator_list(node_ids=node_ids)) + list(
            indicator_list().filter(action__nodes__in=node_ids).distinct()
        )
        assessments = indicator_assessments(indicators)
        actions = list(
            Action.objects.with_relations().filter(nodes__in=node_ids).distinct().order_by("code")
        )
        context.update(
            budget=budget_totals(strategy),
            source_labels=dict(
                Term.objects.filter(taxonomy__code="funding-sources").values_list("code", "label")
            ),
            reconciliation=reconciliation(strategy),
            strategy=strategy,
            tree=tree,
            rollups=rollups,
            actions=actions,
            action_rollups=action_rollups(indicators, assessments),
            indicator_rows=_indicator_rows(indicators, assessments),
        )
        return context


def _walk(tree):
    for item in tree:
        yield item
        yield from _walk(item.children)


class ActionDetailView(TemplateView):
    """An action: what it is, who leads it, the strategies it serves, its indicators."""

    template_name = "dashboard/action_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            action = action_public_get(kwargs["code"])
        except Action.DoesNotExist as error:
            raise Http404 from error
        indicators = list(indicator_list(action_ids=[action.pk]))
        assessments = indicator_assessments(indicators)
        context.update(
            budget_lines=budget_lines(action=action).order_by("year", "source__code", "flow"),
            action=action,
            rollup=action_rollups(indicators, assessments).get(action.pk),
            indicator_rows=_indicator_rows(indicators, assessments),
        )
        return context
