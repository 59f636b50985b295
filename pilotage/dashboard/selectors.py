"""What the public pages show, composed from the domain apps' selectors.

Statuses, roll-ups and the strategies' trees come from the read model
(indicators.readmodel), read once per request and passed along: nothing here computes a
status or walks the database for a tree. Lists read only the rows they display. Each
function costs a fixed number of queries whatever the size of the data (the tests
count them), so a page's speed does not depend on how much a region has loaded.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import EmptyPage, Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pilotage.accounts.permissions import is_jury_member, is_partner_editor, is_steering
from pilotage.budgets.selectors import strategies_budget_totals
from pilotage.core.formatting import money_unit, number_text
from pilotage.core.revisions import cached
from pilotage.dashboard.charts import (
    ProgressRow,
    budget_chart,
    budget_row,
    counts_chart,
    indicator_chart,
    indicator_series,
    progress_chart,
)
from pilotage.dashboard.maps import province_map
from pilotage.indicators.campaigns import campaigns_visible_to
from pilotage.indicators.explain import explanation
from pilotage.indicators.models import (
    CampaignState,
    Indicator,
    Observation,
    ObservationPart,
    ObservationState,
)
from pilotage.indicators.progress import RollUp, Status
from pilotage.indicators.readmodel import ReadModel
from pilotage.indicators.selectors import PUBLIC_STATES, indicator_list, observation_values
from pilotage.registry.magnets import magnet_index
from pilotage.registry.models import Affiliation, Organisation, Relation
from pilotage.strategies.facets import (
    ActionsQuery,
    FacetCounts,
    Vocabulary,
    actions_filter,
    actions_query_parse,
    facet_counts,
    node_scope,
    public_actions,
)
from pilotage.strategies.models import Action, Strategy, StrategyNode
from pilotage.strategies.selectors import TreeNode
from pilotage.taxonomies.selectors import record_terms

PAGE_SIZE = 25


def indicator_rows(indicators: list[Indicator], model: ReadModel) -> list[dict]:
    """Each indicator with its assessment and the sentence behind it, from the read model."""
    rows = []
    for indicator in indicators:
        assessment = model.assessment(indicator.pk)
        rows.append(
            {
                "indicator": indicator,
                "assessment": assessment,
                "explanation": explanation(assessment),
            }
        )
    return rows


def strategy_public(model: ReadModel, code: str) -> Strategy:
    """One public strategy of the read model by code, or a 404."""
    for strategy in model.strategies:
        if strategy.code == code:
            return strategy
    raise Http404


def tree_walk(tree: list[TreeNode], depth: int = 0):
    """Every item of a tree, top-down, with its depth below the tree's roots."""
    for item in tree:
        yield depth, item
        yield from tree_walk(item.children, depth + 1)


def tree_item(model: ReadModel, node: StrategyNode) -> TreeNode:
    """A node's place in its strategy's tree (the read model's), with its children."""
    for _depth, item in tree_walk(model.trees.get(node.strategy_id, [])):
        if item.node.pk == node.pk:
            return item
    raise Http404


def node_ancestors(model: ReadModel, node: StrategyNode) -> list[StrategyNode]:
    """From the top of the tree down to the node's parent (from the read model)."""
    chain = []
    parent = model.nodes.get(node.parent_id)
    while parent is not None:
        chain.append(parent)
        parent = model.nodes.get(parent.parent_id)
    return list(reversed(chain))


@dataclass
class AmbitionSummary:
    """A top-level node on the home page: its roll-up and its indicators' statuses."""

    node: StrategyNode
    rollup: RollUp | None
    statuses: list[tuple[str, str, int]]  # (status, label, count), the statuses present

    @property
    def bar(self) -> int | None:
        """The progress as a bar's width out of 100 (None when nothing is measured)."""
        if self.rollup is None or self.rollup.progress is None:
            return None
        return max(0, min(100, round(self.rollup.progress * 100)))

    @property
    def segments(self) -> list[tuple[str, int, int]]:
        """The status mix as a stacked bar out of 100: (status, x, width)."""
        total = sum(count for _status, _label, count in self.statuses)
        found, x = [], 0
        for status, _label, count in self.statuses:
            width = round(100 * count / total)
            found.append((status, x, width))
            x += width
        return found


@dataclass
class StrategySummary:
    """A strategy on the home page: its headline figures and its ambitions."""

    strategy: Strategy
    actions: int
    indicators: int
    statuses: dict[str, int]  # every status, 0 included
    ambitions: list[AmbitionSummary]
    budget: object = None  # budgets.selectors.BudgetRow (the budget table's total), or None

    @property
    def on_track(self) -> int:
        return self.statuses[Status.ON_TRACK] + self.statuses[Status.ACHIEVED]


def _status_mix(model: ReadModel, indicator_ids: list[int]) -> list[tuple[str, str, int]]:
    counts = model.status_counts(indicator_ids)
    return [(status, label, counts[status]) for status, label in Status.choices if counts[status]]


def home_dashboard(model: ReadModel) -> list[StrategySummary]:
    """Every public strategy's headline figures (actions, indicators by status, budget and
    execution) and its ambitions with progress, from the read model and one read of the
    budget lines: the same few queries whatever the number of strategies and nodes."""
    budgets = strategies_budget_totals(model.strategies)
    summaries = []
    for strategy in model.strategies:
        node_ids = [item.node.pk for _depth, item in tree_walk(model.trees[strategy.pk])]
        actions = model.actions_under(node_ids)
        indicators = model.indicator_ids(node_ids=node_ids, action_ids=actions)
        ambitions = []
        for item in model.trees[strategy.pk]:
            below = model.nodes_below(item.node.pk)
            ids = model.indicator_ids(node_ids=below, action_ids=model.actions_under(below))
            ambitions.append(
                AmbitionSummary(item.node, model.node_rollup(item.node.pk), _status_mix(model, ids))
            )
        summaries.append(
            StrategySummary(
                strategy=strategy,
                actions=len(actions),
                indicators=len(indicators),
                statuses=model.status_counts(indicators),
                ambitions=ambitions,
                budget=budgets.get(strategy.pk),
            )
        )
    return summaries


def quarter_start(day: datetime.date) -> datetime.date:
    """The first day of the quarter before the one `day` is in."""
    index = (day.year * 4 + (day.month - 1) // 3) - 1
    return datetime.date(index // 4, 3 * (index % 4) + 1, 1)


RECENT_SHOWN = 8


def recent_values(*, since: datetime.date) -> dict:
    """The published values that moved since `since` (publishing is a value's last move),
    newest first: the first RECENT_SHOWN with their indicator, and how many in all."""
    found = Observation.objects.public().filter(updated_at__date__gte=since)
    return {
        "since": since,
        "count": found.count(),
        "values": list(
            found.select_related("indicator").order_by("-updated_at", "indicator__code")[
                :RECENT_SHOWN
            ]
        ),
    }


SHOWN = 50


def actions_shown(model: ReadModel, node_ids: list[int]) -> dict:
    """The first actions under these nodes, each with its roll-up from the read model,
    and how many there are (a page lists the rest through the filters)."""
    actions = list(
        Action.objects.filter(
            pk__in=Action.nodes.through.objects.filter(strategynode_id__in=node_ids).values(
                "action_id"
            )
        )
        .select_related("lead")
        .order_by("code")[:SHOWN]
    )
    return {
        "count": len(model.actions_under(node_ids)),
        "actions": actions,
        "rollups": {action.pk: model.action_rollup(action.pk) for action in actions},
    }


def indicators_shown(
    model: ReadModel, *, node_ids: list[int] | None = None, action_ids=None
) -> dict:
    """The first SHOWN public indicators of these nodes and actions, by code, and how many
    they have in all (the open data and the API list them all): only the displayed ones
    are read from the database, their statuses come from the read model."""
    ids = model.indicator_ids(node_ids=node_ids, action_ids=action_ids)
    shown = ids[:SHOWN]
    listed = list(indicator_list().filter(pk__in=shown).order_by("code")) if shown else []
    return {"list": listed, "count": len(ids), "rows": indicator_rows(listed, model)}


@dataclass
class Explorer:
    """Actions filtered by facets: the page of results, the counts, the map."""

    query: ActionsQuery
    total: int
    page: object  # a Django Page of actions
    facets: list[FacetCounts]
    map: dict
    chart: dict | None
    rollups: dict  # action id → its roll-up (the read model's), for the page's actions

    @property
    def querystring(self) -> str:
        """The filters as a query string, for pagination links and the API link."""
        return urlencode(self.query.params())


def explorer(
    params, *, node: StrategyNode | None = None, page_number=1, model: ReadModel | None = None
) -> Explorer:
    """Parse the filters (InvalidFilter on a bad one), filter, count, paginate.

    An out-of-range page is a 404; the number of queries does not depend on the data."""
    vocabulary = Vocabulary.load(model)
    model = vocabulary.model
    query = actions_query_parse(params, vocabulary, node=node)
    scope = node_scope(node, vocabulary) if node is not None else None
    actions = actions_filter(query, vocabulary, scope=scope)
    listed = (
        Action.objects.filter(pk__in=actions.values("pk"))
        .select_related("type", "lead")
        .order_by("code")
    )
    paginator = Paginator(listed, PAGE_SIZE, allow_empty_first_page=True)
    try:
        page = paginator.page(page_number)
    except EmptyPage as error:
        raise Http404 from error
    facets = facet_counts(query, vocabulary, scope=scope)
    by_key = {facet.key: facet for facet in facets}
    provinces = _in_results(by_key.get("province"))
    types = [value for value in _in_results(by_key.get("type")) if value.depth == 0]
    return Explorer(
        query=query,
        total=paginator.count,
        page=page,
        facets=facets,
        map=province_map({value.code: value.count for value in provinces}),
        chart=counts_chart(
            str(by_key["type"].label), [(value.label, value.count) for value in types], _("Actions")
        )
        if types
        else None,
        rollups={action.pk: model.action_rollup(action.pk) for action in page.object_list},
    )


def _in_results(facet: FacetCounts | None) -> list:
    """A facet's values as the results hold them: a facet's counts ignore its own
    selection, so once values are ticked, only those are among the results."""
    if facet is None:
        return []
    return [value for value in facet.values if value.selected] if facet.selected else facet.values


def node_public_get(model: ReadModel, strategy_code: str, node_code: str) -> StrategyNode:
    """One node of a public strategy (with its strategy, level and parent), or a 404."""
    try:
        node = StrategyNode.objects.with_relations().get(
            strategy__code=strategy_code, code=node_code
        )
    except StrategyNode.DoesNotExist as error:
        raise Http404 from error
    if node.pk not in model.nodes:
        raise Http404
    return node


def indicator_public_get(model: ReadModel, code: str) -> Indicator:
    """One public indicator: the read model holds it (readmodel.public_indicators)."""
    indicator = indicator_list().filter(code=code).first()
    if indicator is None or not model.is_public_indicator(indicator.pk):
        raise Http404
    return indicator


def indicator_detail(model: ReadModel, indicator: Indicator) -> dict:
    """An indicator's status (the read model's), series, chart and breakdowns (published
    values only)."""
    assessment = model.assessment(indicator.pk)
    values = observation_values([indicator]).get(indicator.pk, [])
    series = indicator_series(indicator, values)
    broken_down = (
        Observation.objects.filter(
            indicator=indicator, state__in=PUBLIC_STATES, parts__isnull=False
        )
        .distinct()
        .prefetch_related(
            Prefetch(
                "parts",
                queryset=ObservationPart.objects.select_related("term__taxonomy").order_by(
                    "term__order", "term__code"
                ),
            )
        )
        .order_by("period_start")
    )
    breakdowns = [
        {
            "period_start": observation.period_start,
            "period_end": observation.period_end,
            "taxonomy": _taxonomy_name(observation.parts.all()[0].term.taxonomy),
            "parts": observation.parts.all(),
        }
        for observation in broken_down
    ]
    return {
        "assessment": assessment,
        "explanation": explanation(assessment),
        "series": series,
        "chart": indicator_chart(indicator, series),
        "breakdowns": breakdowns,
    }


def _taxonomy_name(taxonomy) -> str:
    return taxonomy.label or taxonomy.title


def indicator_charts(model: ReadModel, rows: list[dict]) -> None:
    """Give each indicator row its series (one query for all their values) and its
    chart, rendered once per version of its indicator and language: after one value is
    published, only that indicator's chart is drawn again."""
    values = observation_values([row["indicator"] for row in rows])
    for row in rows:
        indicator = row["indicator"]
        row["series"] = indicator_series(indicator, values.get(indicator.pk, []))
        row["chart_html"] = cached(
            f"chart:{indicator.pk}:{get_language()}",
            model.indicator_version(indicator.pk),
            lambda indicator=indicator, series=row["series"]: _chart_html(indicator, series),
        )


def _chart_html(indicator: Indicator, series: list) -> str:
    chart = indicator_chart(indicator, series)
    if chart is None:
        return ""
    return render_to_string(
        "dashboard/partials/chart.html",
        {
            "chart": chart,
            "chart_id": f"chart-{indicator.code}",
            "caption": indicator.title,
            "series": series,
            "unit": indicator.unit,
            "download": reverse("dashboard:indicator-data", args=[indicator.code]),
        },
    )


def children_progress_chart(model: ReadModel, node: StrategyNode, children: list) -> dict | None:
    """The progress of each node right below `node`, in the tree's order (the read
    model's roll-ups: no query)."""
    return progress_chart(
        _("Progress of each part of %(code)s toward its targets") % {"code": node.code},
        [
            ProgressRow(item.node.code, item.node.title, model.node_rollups.get(item.node.pk))
            for item in children
        ],
    )


def strategy_budget_charts(
    budget, node_rows: list[tuple], source_labels: dict[str, str]
) -> dict[str, dict | None]:
    """The budget page's charts, from the tables it shows (no query): budget, committed
    and paid by funding source, by year, and for each node of the first level."""
    unit = money_unit([a for cell in budget.cells for a in (*cell.amounts.values(), cell.budget)])
    whole = _("Whole period")
    return {
        "by_source": budget_chart(
            (
                _("Budget by funding source (%(unit)s)") % {"unit": unit},
                _("Budget and execution by funding source (%(unit)s)") % {"unit": unit},
            ),
            [
                budget_row(source_labels.get(row.source, row.source), row)
                for row in budget.by_source
            ],
            unit,
            _("Source"),
        ),
        "by_year": budget_chart(
            (
                _("Budget by year (%(unit)s)") % {"unit": unit},
                _("Budget and execution by year (%(unit)s)") % {"unit": unit},
            ),
            [budget_row(row.year or whole, row) for row in budget.by_year],
            unit,
            _("Year"),
        ),
        "by_node": budget_chart(
            (
                _("Budget of each node of the first level (%(unit)s)") % {"unit": unit},
                _("Budget and execution of each node of the first level (%(unit)s)")
                % {"unit": unit},
            ),
            [
                budget_row(f"{node.code} {node.title}", table.total)
                for depth, node, table, _rollup, _cost in node_rows
                if depth == 0
            ],
            unit,
            _("Node"),
        ),
    }


@dataclass(frozen=True)
class TimelineEvent:
    date: object
    label: str
    kind: str  # start, end, value


def action_timeline(action: Action, indicator_rows: list[dict]) -> list[TimelineEvent]:
    """The action's dated events: its start and end, and each published value."""
    events = []
    if action.start_date:
        events.append(TimelineEvent(action.start_date, _("Start of the action"), "start"))
    if action.end_date:
        events.append(TimelineEvent(action.end_date, _("End of the action"), "end"))
    text = _("%(indicator)s: %(value)s %(unit)s")  # translated once, not per value
    for row in indicator_rows:
        title, unit = row["indicator"].title, row["indicator"].unit
        for point in row.get("series", []):
            if point.series == "actual":
                label = text % {"indicator": title, "value": number_text(point.value), "unit": unit}
                events.append(TimelineEvent(point.date, label, "value"))
    return sorted(events, key=lambda event: event.date)


@dataclass
class RegistryView:
    """Organisations found by a magnet query: a page of them, the facets, the map."""

    query: object  # a registry.magnets.MagnetQuery
    total: int
    organisations: list
    page_number: int
    pages: int
    facets: list
    map: dict

    @property
    def querystring(self) -> str:
        return urlencode(self.query.params())


FACET_VALUES_SHOWN = 15


def registry_view(params, *, page_number: int = 1) -> RegistryView:
    """Parse (InvalidQuery on a bad facet), count, and page the organisations in the
    order they were registered; a page past the end is a 404."""
    index = magnet_index()
    query = index.parse(params)
    found = index.matching(query)
    pages = max(1, -(-len(found) // PAGE_SIZE))
    if page_number > pages:
        raise Http404
    ids = list(found[(page_number - 1) * PAGE_SIZE : page_number * PAGE_SIZE])
    organisations = list(
        Organisation.objects.filter(pk__in=ids).select_related("type", "province").order_by("pk")
    )
    facets = index.facet_counts(query)
    for facet in facets:
        # The most frequent values, and whatever is ticked; the API lists them all.
        shown = sorted(facet.values, key=lambda value: -value.count)[:FACET_VALUES_SHOWN]
        keep = {id(value) for value in shown}
        facet.values = [
            value for value in facet.values if id(value) in keep or value.selected or value.excluded
        ]
    provinces = next((facet for facet in facets if facet.key == "province"), None)
    in_results = (
        [value for value in provinces.values if value.selected]
        if provinces and any(value.selected for value in provinces.values)
        else (provinces.values if provinces else [])
    )
    return RegistryView(
        query=query,
        total=len(found),
        organisations=organisations,
        page_number=page_number,
        pages=pages,
        facets=facets,
        map=province_map({value.code: value.count for value in in_results if not value.excluded}),
    )


REGISTRY_COLUMNS = ["code", "name", "type", "province", "locality", "nace_code", "size", "website"]


def registry_rows(params, *, batch: int = 2000):
    """The organisations a search finds, header first, batch by batch (flat memory).
    The query is read at once, so a bad one raises before anything is sent."""
    index = magnet_index()
    found = index.matching(index.parse(params))
    return _registry_rows(list(found), batch)


def _registry_rows(ids: list[int], batch: int):
    yield REGISTRY_COLUMNS
    for start in range(0, len(ids), batch):
        for organisation in (
            Organisation.objects.filter(pk__in=ids[start : start + batch])
            .select_related("type", "province")
            .order_by("pk")
        ):
            yield [
                organisation.code,
                organisation.name,
                organisation.type.code if organisation.type_id else "",
                organisation.province.code if organisation.province_id else "",
                organisation.locality,
                organisation.nace_code,
                organisation.size_band,
                organisation.website,
            ]


def organisation_profile(code: str) -> dict:
    """An organisation's public profile: what it is, its relations both ways, the actions
    it leads or takes part in, its labels, and only the persons who agreed to be shown."""
    try:
        organisation = Organisation.objects.select_related("type", "province").get(code=code)
    except Organisation.DoesNotExist as error:
        raise Http404 from error
    actions = public_actions()
    return {
        "organisation": organisation,
        "terms": list(record_terms(organisation)),
        "relations": list(
            Relation.objects.filter(organisation=organisation)
            # A relation to a draft's action is not public (its action is not).
            .filter(Q(target_action__isnull=True) | Q(target_action__in=actions))
            .select_related("target_organisation", "target_action", "target_event__type")
            .order_by("kind", "-start_date")
        ),
        "members": list(
            Relation.objects.filter(target_organisation=organisation)
            .select_related("organisation")
            .order_by("kind", "organisation__name")[:50]
        ),
        "led": list(actions.filter(lead=organisation).order_by("code")),
        "partnered": list(actions.filter(partnerships__organisation=organisation).order_by("code")),
        "persons": list(
            Affiliation.objects.filter(organisation=organisation, person__display_refusal=False)
            .select_related("person")
            .order_by("person__family_name")
        ),
    }


@dataclass
class AccountOverview:
    """What a person's own page shows: their account, and what waits for them by role."""

    role: str  # "steering", "partner_editor", "jury_member" or "reader"
    organisation: Organisation | None
    open_campaigns: list
    awaiting_review: int | None  # values submitted and not yet validated (steering staff)


def account_overview(user) -> AccountOverview:
    """A logged-in person's page: steering staff see what waits for review, a partner
    editor its organisation's reporting, jury members and readers their account only
    (readers read what is published, as everyone does). Three queries at most."""
    if is_steering(user):
        role = "steering"
    elif is_partner_editor(user):
        role = "partner_editor"
    elif is_jury_member(user):
        role = "jury_member"
    else:
        role = "reader"
    reports = role in ("steering", "partner_editor")
    return AccountOverview(
        role=role,
        organisation=(
            Organisation.objects.filter(pk=user.organisation_id).first()
            if user.organisation_id
            else None
        ),
        open_campaigns=(
            list(campaigns_visible_to(user).filter(state=CampaignState.OPEN)) if reports else []
        ),
        awaiting_review=(
            Observation.objects.filter(state=ObservationState.SUBMITTED).count()
            if role == "steering"
            else None
        ),
    )
