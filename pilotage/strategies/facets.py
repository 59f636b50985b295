"""Public actions filtered by facets that compose, with the count of every facet value.

One read layer for the dashboard, the API and the exports: `actions_query_parse` turns
query parameters into an `ActionsQuery` (or refuses them with the parameter named),
`actions_filter` gives the matching actions, and `facet_counts` tells, for every value of
every facet, how many actions the query would return with that value toggled: a facet's
counts ignore its own selection (multi-select), and a parent term counts the distinct
actions tagged with it or any of its descendants, never a sum.

Within a facet the values combine with OR, across facets with AND. The indicator status
facet (`progress`) reads the statuses from the read model (indicators.readmodel): an action
matches a status when at least one of its indicators has it.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _

from pilotage.indicators.progress import Status
from pilotage.registry.models import Organisation
from pilotage.strategies.models import Action, ActionStatus, Strategy, StrategyNode
from pilotage.taxonomies.models import Term, TermAssignment

if TYPE_CHECKING:
    from pilotage.indicators.readmodel import ReadModel


@dataclass(frozen=True)
class Facet:
    key: str
    label: str
    taxonomy: str | None = None  # term facets: the taxonomy their values come from
    source: str = ""  # "field" (a foreign key), "m2m", "assignment" (any tagged term)


# The facets, in the order the pages show them. Term facets work with any taxonomy:
# a region that tags its actions with another scheme adds a line here.
FACETS: tuple[Facet, ...] = (
    Facet("strategy", _("Strategy")),
    Facet("type", _("Type"), taxonomy="action-types", source="field"),
    Facet("audience", _("Target audience"), taxonomy="target-audiences", source="m2m"),
    Facet("status", _("Status")),
    Facet("progress", _("Indicator status")),
    Facet("funding", _("Funding source"), taxonomy="funding-sources", source="assignment"),
    Facet("province", _("Province"), taxonomy="provinces", source="assignment"),
    Facet("lead", _("Lead organisation")),
)
FACET_KEYS = tuple(facet.key for facet in FACETS)
DATE_KEYS = ("from", "to", "undated")
# `undated`: the actions with neither a start nor an end date, which no date window
# matches; "true" selects them (beside a window's actions), "false" leaves them out.
UNDATED_VALUES = ("true", "false")
# Parameters the pages and the API accept besides the facets; anything else is refused.
OTHER_KEYS = ("page", "cursor", "limit", "format", "lang")


class InvalidFilter(ValueError):
    """A query parameter Pilotage cannot apply; `field` names it, `code` says why, and
    `status` is the API's answer: 404 for a value naming no record, else 400."""

    def __init__(self, field: str, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ActionsQuery:
    """What a visitor asked for: selected codes per facet, a date range, the undated
    actions (`undated`: True selects them, False leaves them out, None: as the window
    says), a node scope."""

    selected: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    node: StrategyNode | None = None
    undated: bool | None = None

    @property
    def reversed_window(self) -> bool:
        """A period ending before it starts: no action runs in it."""
        return bool(self.date_from and self.date_to and self.date_from > self.date_to)

    def without(self, key: str) -> ActionsQuery:
        return replace(self, selected={k: v for k, v in self.selected.items() if k != key})

    def params(self) -> list[tuple[str, str]]:
        """The query as URL parameters, in a stable order (for links and caches)."""
        pairs = [(key, code) for key in FACET_KEYS for code in self.selected.get(key, ())]
        if self.date_from:
            pairs.append(("from", self.date_from.isoformat()))
        if self.date_to:
            pairs.append(("to", self.date_to.isoformat()))
        if self.undated is not None:
            pairs.append(("undated", "true" if self.undated else "false"))
        return pairs

    @property
    def api_querystring(self) -> str:
        """The query as the actions API reads it, its node scope included (`node`), so that
        a page's link gives the page's own selection."""
        pairs = self.params()
        if self.node is not None:
            pairs.insert(0, ("node", f"{self.node.strategy.code}:{self.node.code}"))
        return urlencode(pairs, safe=":")


@dataclass
class Vocabulary:
    """Every value the facets can take, with labels and term hierarchies (2 queries), and
    the read model the strategies, the node scopes and the indicator statuses come from
    (read once per request)."""

    terms: dict[str, dict[str, Term]]  # taxonomy code -> term code -> term
    strategies: dict[str, Strategy]
    leads: dict[str, Organisation]
    model: ReadModel

    @classmethod
    def load(cls, model: ReadModel | None = None) -> Vocabulary:
        from pilotage.indicators.readmodel import read_model

        model = model or read_model()
        taxonomies = [facet.taxonomy for facet in FACETS if facet.taxonomy]
        terms: dict[str, dict[str, Term]] = {code: {} for code in taxonomies}
        for term in (
            Term.objects.filter(taxonomy__code__in=taxonomies)
            .select_related("taxonomy")
            .order_by("order", "code")
        ):
            terms[term.taxonomy.code][term.code] = term
        strategies = {s.code: s for s in model.strategies}
        leads = {
            organisation.code: organisation
            for organisation in Organisation.objects.filter(
                led_actions__in=public_actions()
            ).distinct()
        }
        return cls(terms=terms, strategies=strategies, leads=leads, model=model)

    def choices(self, key: str) -> list[tuple[str, str, int]]:
        """(code, label, depth) of every value of a facet, in display order."""
        facet = _facet(key)
        if facet.taxonomy:
            return [
                (term.code, term.label, depth)
                for term, depth in _tree_order(self.terms[facet.taxonomy].values())
            ]
        if key == "strategy":
            return [(code, strategy.title, 0) for code, strategy in self.strategies.items()]
        if key == "status":
            return [(value, str(label), 0) for value, label in ActionStatus.choices]
        if key == "progress":
            return [(value, str(label), 0) for value, label in Status.choices]
        return sorted(
            ((code, organisation.name, 0) for code, organisation in self.leads.items()),
            key=lambda item: item[1].lower(),
        )

    def term_ids_with_descendants(self, taxonomy: str, codes: Iterable[str]) -> set[int]:
        """The ids of these terms and of every term below them."""
        by_parent: dict[int | None, list[Term]] = defaultdict(list)
        for term in self.terms[taxonomy].values():
            by_parent[term.parent_id].append(term)
        wanted = {self.terms[taxonomy][code].pk for code in codes}
        frontier = list(wanted)
        while frontier:
            for child in by_parent.get(frontier.pop(), []):
                if child.pk not in wanted:
                    wanted.add(child.pk)
                    frontier.append(child.pk)
        return wanted


def _facet(key: str) -> Facet:
    return next(facet for facet in FACETS if facet.key == key)


def _tree_order(terms: Iterable[Term]) -> list[tuple[Term, int]]:
    """Terms parents first, each followed by its children, with their depth."""
    terms = list(terms)
    by_parent: dict[int | None, list[Term]] = defaultdict(list)
    known = {term.pk for term in terms}
    for term in terms:
        by_parent[term.parent_id if term.parent_id in known else None].append(term)
    ordered: list[tuple[Term, int]] = []

    def visit(parent_id, depth):
        for term in by_parent.get(parent_id, []):
            ordered.append((term, depth))
            visit(term.pk, depth + 1)

    visit(None, 0)
    return ordered


def public_actions() -> models.QuerySet[Action]:
    """Actions the public may read (Action.objects.public(), the one definition)."""
    return Action.objects.public()


def _values(params, key: str) -> list[str]:
    """A parameter's values from a QueryDict or from a plain dict of lists."""
    if hasattr(params, "getlist"):
        return params.getlist(key)
    value = params.get(key, [])
    return list(value) if isinstance(value, list | tuple) else [value]


def _parse_date(params, key: str) -> datetime.date | None:
    raw = (_values(params, key) or [""])[-1]
    if not raw:
        return None
    try:
        return datetime.date.fromisoformat(raw)
    except ValueError:
        raise InvalidFilter(
            key, "invalid_date", _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw}
        ) from None


def actions_query_parse(
    params, vocabulary: Vocabulary, *, node: StrategyNode | None = None
) -> ActionsQuery:
    """Read facet selections from query parameters (a QueryDict or a dict of lists).

    Unknown parameters, unknown values and malformed dates raise InvalidFilter naming
    the parameter; nothing is silently ignored, so a shared URL means what it says.
    """
    keys = params.keys()
    for key in keys:
        if key not in FACET_KEYS and key not in DATE_KEYS and key not in OTHER_KEYS:
            raise InvalidFilter(
                key, "unknown_filter", _("“%(key)s” is not a filter.") % {"key": key}
            )
    selected: dict[str, tuple[str, ...]] = {}
    for key in FACET_KEYS:
        values = [value for value in dict.fromkeys(_values(params, key)) if value]
        if not values:
            continue
        known = {code for code, _label, _depth in vocabulary.choices(key)}
        for value in values:
            if value not in known:
                raise InvalidFilter(
                    key,
                    "unknown_value",
                    _("“%(value)s” is not a value of the filter “%(facet)s”.")
                    % {"value": value, "facet": _facet(key).label},
                    status=404,
                )
        selected[key] = tuple(values)
    date_from, date_to = _parse_date(params, "from"), _parse_date(params, "to")
    return ActionsQuery(
        selected=selected,
        date_from=date_from,
        date_to=date_to,
        node=node,
        undated=_parse_undated(params),
    )


def _parse_undated(params) -> bool | None:
    raw = (_values(params, "undated") or [""])[-1]
    if not raw:
        return None
    if raw not in UNDATED_VALUES:
        raise InvalidFilter(
            "undated",
            "unknown_value",
            _("“%(value)s” is not a value of “undated” (true or false).") % {"value": raw},
        )
    return raw == "true"


def _undated() -> models.Q:
    return models.Q(start_date__isnull=True, end_date__isnull=True)


def _assigned(taxonomy_term_ids: set[int]) -> models.QuerySet:
    return TermAssignment.objects.filter(
        content_type=ContentType.objects.get_for_model(Action), term_id__in=taxonomy_term_ids
    ).values("object_id")


def actions_filter(
    query: ActionsQuery, vocabulary: Vocabulary, *, scope: list[int] | None = None
) -> models.QuerySet[Action]:
    """The public actions matching the query, each once (one SQL query when evaluated)."""
    actions = public_actions()
    if query.node is not None:
        node_ids = scope if scope is not None else vocabulary.model.nodes_below(query.node.pk)
        actions = actions.filter(
            pk__in=Action.nodes.through.objects.filter(strategynode_id__in=node_ids).values(
                "action_id"
            )
        )
    for key, codes in query.selected.items():
        facet = _facet(key)
        if facet.taxonomy:
            ids = vocabulary.term_ids_with_descendants(facet.taxonomy, codes)
            if facet.source == "field":
                actions = actions.filter(type_id__in=ids)
            elif facet.source == "m2m":
                actions = actions.filter(
                    pk__in=Action.target_audiences.through.objects.filter(term_id__in=ids).values(
                        "action_id"
                    )
                )
            else:
                actions = actions.filter(pk__in=_assigned(ids))
        elif key == "strategy":
            actions = actions.filter(
                pk__in=Action.nodes.through.objects.filter(
                    strategynode__strategy__code__in=codes
                ).values("action_id")
            )
        elif key == "status":
            actions = actions.filter(status__in=codes)
        elif key == "progress":
            actions = actions.filter(pk__in=sorted(vocabulary.model.actions_with_status(codes)))
        elif key == "lead":
            actions = actions.filter(lead__code__in=codes)
    if query.undated is False:
        actions = actions.exclude(_undated())
    if query.date_from is None and query.date_to is None:
        return actions.filter(_undated()) if query.undated else actions
    # An action with one date runs from its start or until its end; one with neither
    # matches no window (nothing says when it runs), unless `undated` selects it.
    window = ~_undated()
    if query.reversed_window:
        window = models.Q(pk__in=[])
    if query.date_to:
        window &= models.Q(start_date__isnull=True) | models.Q(start_date__lte=query.date_to)
    if query.date_from:
        window &= models.Q(end_date__isnull=True) | models.Q(end_date__gte=query.date_from)
    return actions.filter(window | _undated()) if query.undated else actions.filter(window)


@dataclass
class FacetValue:
    code: str
    label: str
    count: int
    selected: bool
    depth: int = 0


@dataclass
class FacetCounts:
    facet: Facet
    values: list[FacetValue]

    @property
    def key(self) -> str:
        return self.facet.key

    @property
    def label(self) -> str:
        return self.facet.label

    @property
    def selected(self) -> bool:
        return any(value.selected for value in self.values)


def _pairs(key: str, actions: models.QuerySet[Action], vocabulary: Vocabulary) -> Iterable[tuple]:
    """(value, action id) for every action of the set and every value it has."""
    facet = _facet(key)
    ids = actions.values("pk")
    if key in ("status", "type"):
        return Action.objects.filter(pk__in=ids).values_list(
            "status" if key == "status" else "type_id", "pk"
        )
    if key == "lead":
        return Action.objects.filter(pk__in=ids).values_list("lead__code", "pk")
    if key == "progress":
        return _statuses_of(
            vocabulary.model, Action.objects.filter(pk__in=ids).values_list("pk", flat=True)
        )
    if key == "audience":
        return Action.target_audiences.through.objects.filter(action_id__in=ids).values_list(
            "term_id", "action_id"
        )
    if key == "strategy":
        return (
            Action.nodes.through.objects.filter(action_id__in=ids)
            .values_list("strategynode__strategy__code", "action_id")
            .distinct()
        )
    return TermAssignment.objects.filter(
        content_type=ContentType.objects.get_for_model(Action),
        term__taxonomy__code=facet.taxonomy,
        object_id__in=ids,
    ).values_list("term_id", "object_id")


def _statuses_of(model: ReadModel, action_ids: Iterable[int]) -> list[tuple[str, int]]:
    """(indicator status, action id) for each status among each action's indicators."""
    book = model.book
    pairs = []
    for action_id in action_ids:
        indicators = book.indicators_of_action.get(action_id, ())
        statuses = {book.assessments[i].status for i in indicators}
        pairs += [(status, action_id) for status in statuses]
    return pairs


def facet_counts(
    query: ActionsQuery, vocabulary: Vocabulary, *, scope: list[int] | None = None
) -> list[FacetCounts]:
    """Every facet with the number of actions each of its values would give (one query
    per facet, whatever the number of actions)."""
    result = []
    for facet in FACETS:
        others = actions_filter(query.without(facet.key), vocabulary, scope=scope)
        records: dict[object, set[int]] = defaultdict(set)
        for value, action_id in _pairs(facet.key, others, vocabulary):
            if value is not None:
                records[value].add(action_id)
        selected = set(query.selected.get(facet.key, ()))
        if facet.taxonomy:
            counts = _term_counts(vocabulary.terms[facet.taxonomy].values(), records)
        else:
            counts = {value: len(ids) for value, ids in records.items()}
        values = [
            FacetValue(code, label, counts.get(code, 0), code in selected, depth)
            for code, label, depth in vocabulary.choices(facet.key)
        ]
        # Keep the values that would give something, and the selected ones.
        values = [value for value in values if value.count or value.selected]
        if values:
            result.append(FacetCounts(facet, values))
    return result


def _term_counts(terms: Iterable[Term], records: dict[object, set[int]]) -> dict[str, int]:
    """Distinct records per term code, a term counting its descendants' records too."""
    terms = list(terms)
    by_pk = {term.pk: term for term in terms}
    gathered: dict[int, set[int]] = defaultdict(set)
    for term_id, ids in records.items():
        term = by_pk.get(term_id)
        while term is not None:
            gathered[term.pk] |= ids
            term = by_pk.get(term.parent_id)
    return {by_pk[pk].code: len(ids) for pk, ids in gathered.items()}


def node_scope(node: StrategyNode, vocabulary: Vocabulary) -> list[int]:
    """The ids of a node and of every node below it (from the read model's tree)."""
    return vocabulary.model.nodes_below(node.pk)
