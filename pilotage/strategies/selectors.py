"""Reads on strategies, for the public pages, the back-office and (later) the API."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models

from pilotage.strategies.models import Action, Strategy, StrategyNode


@dataclass
class TreeNode:
    """A node with its children, built in memory from one query."""

    node: StrategyNode
    children: list[TreeNode] = field(default_factory=list)


def strategy_list_public() -> models.QuerySet[Strategy]:
    """Strategies the public may read (not drafts), newest period first."""
    return (
        Strategy.objects.public()
        .select_related("owner", "predecessor")
        .prefetch_related("levels")
        .annotate(node_count=models.Count("nodes"))
        .order_by("-period_start", "code")
    )


def strategy_trees(strategies: list[Strategy]) -> dict[int, list[TreeNode]]:
    """Each strategy's tree of nodes, by strategy id, with one query for all of them."""
    nodes = (
        StrategyNode.objects.filter(strategy__in=strategies)
        .select_related("level")
        .annotate(action_count=models.Count("actions"))
        .order_by("strategy_id", "level__depth", "order", "code")
    )
    wrapped = {node.pk: TreeNode(node) for node in nodes}
    roots: dict[int, list[TreeNode]] = {strategy.pk: [] for strategy in strategies}
    for item in wrapped.values():
        parent = wrapped.get(item.node.parent_id)
        if parent is None:
            roots[item.node.strategy_id].append(item)
        else:
            parent.children.append(item)
    return roots


def strategy_public_get(code: str) -> Strategy:
    """One public strategy by code (raises Strategy.DoesNotExist)."""
    return strategy_list_public().get(code=code)


def public_nodes_prefetch(lookup: str = "nodes") -> models.Prefetch:
    """An action's nodes as the public reads them: only those of public strategies (an
    action serving a draft too never names the draft's node)."""
    return models.Prefetch(
        lookup, queryset=StrategyNode.objects.public().select_related("strategy")
    )


def action_list_public() -> models.QuerySet[Action]:
    """Public actions by code, with their type, lead, audiences and public nodes: the
    API's list, the exports and the catalogues read them from here."""
    return (
        Action.objects.public()
        .select_related("type", "lead")
        .prefetch_related("target_audiences", public_nodes_prefetch())
        .order_by("code")
    )


def action_public_get(code: str) -> Action:
    """One public action by code (the read model decides), with what its page shows:
    only the nodes of public strategies (raises Action.DoesNotExist)."""
    from pilotage.indicators.readmodel import read_model

    action = (
        Action.objects.select_related("type", "lead")
        .prefetch_related("target_audiences", "partnerships__organisation", public_nodes_prefetch())
        .get(code=code)
    )
    if not read_model().is_public_action(action.pk):
        raise Action.DoesNotExist
    return action
