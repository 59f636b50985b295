"""The read model: what the public reads of the strategies, computed once per revision.

One object holds the public strategies, their trees (walked once), the one definition of
what is public (a strategy that is not a draft; its nodes; the actions serving them; the
indicators of those nodes and actions), every public indicator's assessment and every
action's and node's roll-up (indicators.book). The pages, the API, the exports and the
search read it through `read_model()`; nothing else computes a status or a roll-up.

Each process keeps its own, valid for the data's revision (core.revisions). At every
`read_model()` it reads the changes committed since (one query): a new published value
re-reads that indicator and recomputes what depends on it; a text shown on the pages
reloads the trees; a change of structure (a strategy published, a node moved, an action
linked, a weight) rebuilds it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils import timezone

from pilotage.core.revisions import (
    LOOKBACK,
    ChangeKind,
    changes_after,
    current_revision,
    is_stale,
)
from pilotage.indicators.book import PUBLIC_STATES, ProgressBook
from pilotage.indicators.models import Indicator
from pilotage.indicators.progress import Assessment, RollUp, Status

# Past this many indicators changed at once, rebuilding is cheaper than refreshing.
REBUILD_AFTER = 5000


def public_indicators() -> QuerySet[Indicator]:
    """Indicators the public may read (Indicator.objects.public()): the read model holds
    exactly these."""
    return Indicator.objects.public()


@dataclass
class ReadModel:
    revision: int
    book: ProgressBook
    strategies: list  # public strategies, newest period first (strategy_list_public)
    trees: dict  # strategy id → its roots (strategies.selectors.TreeNode)
    nodes: dict  # node id → StrategyNode (with its level)
    looked_at: object = None  # when the change log was last read
    applied: set[int] = field(default_factory=set)  # change ids applied, near the revision
    by_code: dict[str, int] = field(default_factory=dict)  # public indicator code → id
    built: int = 0  # the revision it was built at
    versions: dict[int, int] = field(default_factory=dict)  # indicator → revision it moved at

    # -- building and following the changes --------------------------------------------

    @classmethod
    def build(cls) -> ReadModel:
        revision = current_revision()
        model = cls(revision=revision, book=None, strategies=[], trees={}, nodes={}, built=revision)
        # What the revision already holds (a row below it may still commit later).
        model.applied = {pk for pk, *_ in changes_after(revision) if pk <= revision}
        model._load_trees()
        model.book = ProgressBook.from_database(
            strategy_ids=[s.pk for s in model.strategies], states=PUBLIC_STATES
        ).compute_all()
        model._index()
        model.looked_at = timezone.now()
        return model

    def _load_trees(self) -> None:
        from pilotage.strategies.selectors import strategy_list_public, strategy_trees

        self.strategies = list(strategy_list_public())
        self.trees = strategy_trees(self.strategies)
        self.nodes = {}

        def walk(items):
            for item in items:
                self.nodes[item.node.pk] = item.node
                walk(item.children)

        for roots in self.trees.values():
            walk(roots)

    def _index(self) -> None:
        self.by_code = {entry.code: pk for pk, entry in self.book.entries.items()}

    def catch_up(self) -> ReadModel:
        """Apply the changes committed since this model's revision; returns the model to
        use (this one, or a rebuilt one)."""
        rows = [row for row in changes_after(self.revision) if row[0] not in self.applied]
        self.looked_at = timezone.now()
        if not rows:
            return self
        kinds = {kind for _pk, kind, _id in rows}
        indicator_ids = {pk for _pk, kind, pk in rows if kind == ChangeKind.INDICATOR}
        if ChangeKind.STRUCTURE in kinds or len(indicator_ids) > REBUILD_AFTER:
            return ReadModel.build()
        if ChangeKind.LABEL in kinds:
            self._load_trees()
        self.revision = max(self.revision, *(pk for pk, _kind, _id in rows))
        if indicator_ids:
            self.book.refresh(indicator_ids)
            self._index()
            for pk in self.book.touched:
                self.versions[pk] = self.revision
        self.applied |= {pk for pk, *_ in rows}
        self.applied = {pk for pk in self.applied if pk > self.revision - 2 * LOOKBACK}
        return self

    # -- reading ------------------------------------------------------------------------

    def indicator_version(self, indicator_id: int) -> int:
        """The revision at which this indicator (its definition, targets or values) last
        moved: what a fragment showing only it can be kept under."""
        return self.versions.get(indicator_id, self.built)

    def assessment(self, indicator_id: int) -> Assessment | None:
        return self.book.assessments.get(indicator_id)

    def action_rollup(self, action_id: int) -> RollUp | None:
        return self.book.actions.get(action_id)

    def node_rollup(self, node_id: int) -> RollUp | None:
        return self.book.nodes.get(node_id)

    @property
    def node_rollups(self) -> dict[int, RollUp]:
        return self.book.nodes

    def is_public_indicator(self, indicator_id: int) -> bool:
        return indicator_id in self.book.entries

    def is_public_action(self, action_id: int) -> bool:
        return action_id in self.book.nodes_of_action

    def nodes_below(self, node_id: int) -> list[int]:
        """The node and every node below it, top-down."""
        found, stack = [], [node_id]
        while stack:
            current = stack.pop(0)
            found.append(current)
            stack.extend(self.book.children_of.get(current, []))
        return found

    def actions_under(self, node_ids: Iterable[int]) -> set[int]:
        """The actions serving any of these nodes."""
        return {a for n in node_ids for a in self.book.actions_of_node.get(n, [])}

    def indicator_ids(
        self,
        *,
        statuses: Iterable[str] | None = None,
        action_ids: Iterable[int] | None = None,
        node_ids: Iterable[int] | None = None,
    ) -> list[int]:
        """Public indicators, in the order of their codes: of these actions or nodes
        (either, when both are given), with one of these statuses."""
        entries = self.book.entries
        if action_ids is None and node_ids is None:
            ids = list(entries)
        else:
            ids = [i for a in (action_ids or ()) for i in self.book.indicators_of_action.get(a, [])]
            ids += [i for n in (node_ids or ()) for i in self.book.indicators_of_node.get(n, [])]
        if statuses is not None:
            wanted = set(statuses)
            ids = [i for i in ids if self.book.assessments[i].status in wanted]
        return sorted(set(ids), key=lambda i: entries[i].code)

    def actions_with_status(self, statuses: Iterable[str]) -> set[int]:
        """Public actions with at least one indicator in one of these statuses."""
        wanted = set(statuses)
        return {
            entry.action_id
            for pk, entry in self.book.entries.items()
            if entry.action_id
            and entry.action_id in self.book.nodes_of_action
            and self.book.assessments[pk].status in wanted
        }

    def status_counts(self, indicator_ids: Iterable[int]) -> dict[str, int]:
        """How many of these indicators are in each status (every status, 0 included)."""
        counts = {status: 0 for status in Status.values}
        for pk in indicator_ids:
            counts[self.book.assessments[pk].status] += 1
        return counts


_lock = threading.Lock()
_model: ReadModel | None = None
# Within a request, the model read first serves the whole request (one look at the log).
_IN_REQUEST = object()
_of_request: ContextVar = ContextVar("read_model_of_request", default=None)


def read_model() -> ReadModel:
    """This process's read model, brought up to the committed revision (once a request)."""
    global _model
    found = _of_request.get()
    if found is not None and found is not _IN_REQUEST:
        return found
    with _lock:
        if _model is None or is_stale(_model.looked_at):
            _model = ReadModel.build()
        else:
            _model = _model.catch_up()
        model = _model
    if found is _IN_REQUEST:
        _of_request.set(model)
    return model


class ReadModelMiddleware:
    """Marks a request, so that every `read_model()` within it reads the log once."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _of_request.set(_IN_REQUEST)
        try:
            return self.get_response(request)
        finally:
            _of_request.reset(token)


def read_model_reset() -> None:
    """Forget this process's read model (tests: each starts with a new database)."""
    global _model
    with _lock:
        _model = None
