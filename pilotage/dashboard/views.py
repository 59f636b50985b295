"""Public pages: readable without an account and without JavaScript.

Views stay thin: they read through `dashboard.selectors` and the domain selectors, turn
a bad filter into a 400 page that names it, and an unknown code into a 404.
"""

from __future__ import annotations

import csv

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import BadRequest
from django.http import (
    Http404,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from pilotage.budgets.selectors import (
    budget_lines,
    budget_table,
    cost_per_result,
    node_budget_tables,
    published_totals,
    reconciliation,
)
from pilotage.core.api import API_PREFIX
from pilotage.core.spreadsheets import quoted, quoted_row
from pilotage.dashboard import selectors
from pilotage.dashboard.search import MAX_QUERY_LENGTH, InvalidGroup, search
from pilotage.indicators.readmodel import read_model
from pilotage.registry.magnets import InvalidQuery
from pilotage.registry.models import Magnet
from pilotage.strategies.facets import InvalidFilter
from pilotage.strategies.models import Action, Strategy
from pilotage.strategies.selectors import action_public_get
from pilotage.taxonomies.models import Term


def _page_number(request) -> int:
    raw = request.GET.get("page") or "1"
    if not raw.isdigit() or int(raw) < 1:
        raise BadRequest(_("“%(value)s” is not a page number.") % {"value": raw[:20]})
    return int(raw)


def _explorer(request, **kwargs):
    """The actions explorer of the page (a bad filter is a 400 naming it)."""
    try:
        found = selectors.explorer(request.GET, page_number=_page_number(request), **kwargs)
    except InvalidFilter as error:
        raise BadRequest(error.message) from error
    if found.query.reversed_window:
        # The API answers such a period with no action; a visitor is told why.
        raise BadRequest(_("The end of the period comes before its start."))
    return found


def _source_labels() -> dict[str, str]:
    return dict(Term.objects.filter(taxonomy__code="funding-sources").values_list("code", "label"))


class StrategyListView(TemplateView):
    """The home page, a dashboard: each public strategy's headline figures and its
    ambitions with progress (the read model's), the values published since the start of
    the last quarter, and the way into each strategy's tree."""

    template_name = "dashboard/strategy_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        model = read_model()
        context.update(
            summaries=selectors.home_dashboard(model),
            recent=selectors.recent_values(since=selectors.quarter_start(timezone.localdate())),
        )
        return context


class StrategyDetailView(TemplateView):
    """A strategy: its tree with progress and coverage at every level, its actions and
    their indicators with status and explanation."""

    template_name = "dashboard/strategy_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        model = read_model()
        strategy = selectors.strategy_public(model, kwargs["code"])
        tree = model.trees[strategy.pk]
        node_ids = [item.node.pk for _depth, item in selectors.tree_walk(tree)]
        shown = selectors.actions_shown(model, node_ids)
        indicators = selectors.indicators_shown(
            model, node_ids=node_ids, action_ids=model.actions_under(node_ids)
        )
        totals = published_totals(strategy)
        context.update(
            revision=model.revision,
            budget=budget_table(strategy, totals=totals),
            source_labels=_source_labels(),
            reconciliation=reconciliation(strategy, totals=totals),
            strategy=strategy,
            tree=tree,
            rollups=model.node_rollups,
            actions=shown["actions"],
            action_count=shown["count"],
            action_rollups=shown["rollups"],
            indicator_rows=indicators["rows"],
            indicator_count=indicators["count"],
        )
        return context


class StrategyBudgetView(TemplateView):
    """A strategy's money: by source and year, executed, node by node beside progress,
    and its published totals reconciled with their parts; charts beside the tables."""

    template_name = "dashboard/strategy_budget.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        model = read_model()
        strategy = selectors.strategy_public(model, kwargs["code"])
        totals = published_totals(strategy)
        tables = node_budget_tables(strategy, totals=totals)
        rollups = model.node_rollups
        rows = [
            (
                depth,
                item.node,
                tables[item.node.pk],
                rollups.get(item.node.pk),
                cost_per_result(tables[item.node.pk], node=item.node, rollups=rollups),
            )
            for depth, item in selectors.tree_walk(model.trees[strategy.pk])
            if item.node.pk in tables
        ]
        budget = budget_table(strategy, totals=totals)
        source_labels = _source_labels()
        context.update(
            strategy=strategy,
            budget=budget,
            source_labels=source_labels,
            node_rows=rows,
            charts=selectors.strategy_budget_charts(budget, rows, source_labels),
            reconciliation=reconciliation(strategy, totals=totals),
        )
        return context


class NodeDetailView(TemplateView):
    """A node (ambition, programme, axis, lever): where it sits, what is below it and
    its progress (a chart), its indicators, its budget and its actions with filters."""

    template_name = "dashboard/node_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        model = read_model()
        node = selectors.node_public_get(model, kwargs["code"], kwargs["node"])
        strategy = selectors.strategy_public(model, kwargs["code"])
        explorer = _explorer(self.request, node=node, model=model)
        node_ids = model.nodes_below(node.pk)
        indicators = selectors.indicators_shown(
            model, node_ids=node_ids, action_ids=model.actions_under(node_ids)
        )
        rollups = model.node_rollups
        budget = budget_table(node=node)
        children = selectors.tree_item(model, node).children
        context.update(
            revision=model.revision,
            strategy=strategy,
            node=node,
            ancestors=selectors.node_ancestors(model, node),
            children=children,
            children_chart=selectors.children_progress_chart(model, node, children),
            rollups=rollups,
            budget=budget,
            cost=cost_per_result(budget, node=node, rollups=rollups),
            source_labels=_source_labels(),
            indicator_rows=indicators["rows"],
            indicator_count=indicators["count"],
            explorer=explorer,
        )
        return context


class ActionListView(TemplateView):
    """Every public action, with filters that compose and live in the URL."""

    template_name = "dashboard/action_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["explorer"] = _explorer(self.request, model=read_model())
        return context


class ActionDetailView(TemplateView):
    """An action: what it is, who leads it, the strategies it serves, its indicators
    with charts, its budget and its timeline."""

    template_name = "dashboard/action_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        model = read_model()
        try:
            action = action_public_get(kwargs["code"])
        except Action.DoesNotExist as error:
            raise Http404 from error
        if not model.is_public_action(action.pk):
            raise Http404
        shown = selectors.indicators_shown(model, action_ids=[action.pk])
        indicators, rows = shown["list"], shown["rows"]
        selectors.indicator_charts(model, rows)
        budget = budget_table(action=action)
        context.update(
            budget=budget,
            cost=cost_per_result(
                budget,
                action=action,
                indicators=indicators,
                assessments={row["indicator"].pk: row["assessment"] for row in rows},
            ),
            source_labels=_source_labels(),
            budget_lines=budget_lines(
                action=action, strategy__in=Strategy.objects.public()
            ).order_by("year", "source__code", "flow"),
            action=action,
            rollup=model.action_rollup(action.pk),
            indicator_rows=rows,
            indicator_count=shown["count"],
            timeline=selectors.action_timeline(action, rows),
        )
        return context


class IndicatorDetailView(TemplateView):
    """An indicator: its status and explanation, series against targets, breakdowns,
    source and method."""

    template_name = "dashboard/indicator_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        model = read_model()
        indicator = selectors.indicator_public_get(model, kwargs["code"])
        context["indicator"] = indicator
        context.update(selectors.indicator_detail(model, indicator))
        return context


def indicator_data_csv(request, code: str) -> HttpResponse:
    """The rows behind an indicator's chart, as CSV (the same as its data table)."""
    model = read_model()
    indicator = selectors.indicator_public_get(model, code)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{indicator.code}.csv"'
    writer = csv.writer(response)
    writer.writerow(["indicator", "series", "period_start", "date", "value", "unit"])
    for row in selectors.indicator_detail(model, indicator)["series"]:
        writer.writerow(
            [
                quoted(indicator.code),
                quoted(row.series),
                row.period_start.isoformat() if row.period_start else "",
                row.date.isoformat(),
                f"{row.value.normalize():f}",  # a number: "-5" stays one
                quoted(indicator.unit),
            ]
        )
    return response


class RegistrySearchView(TemplateView):
    """The ecosystem's organisations by facets (magnets), with counts, map and list."""

    template_name = "dashboard/registry_search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            context["registry"] = selectors.registry_view(
                self.request.GET, page_number=_page_number(self.request)
            )
        except InvalidQuery as error:
            raise BadRequest(error.message) from error
        return context


def registry_csv(request) -> StreamingHttpResponse:
    """The organisations the search finds, as on the screen, in CSV (public fields)."""
    try:
        rows = selectors.registry_rows(request.GET)
    except InvalidQuery as error:
        raise BadRequest(error.message) from error
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(quoted_row(row)) for row in rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = 'attachment; filename="organisations.csv"'
    return response


class _Echo:
    def write(self, value: str) -> str:
        return value


class MagnetView(RegistrySearchView):
    """A saved magnet: its name and description over the search its query makes."""

    def get_context_data(self, **kwargs):
        try:
            magnet = Magnet.objects.get(code=kwargs["code"], public=True)
        except Magnet.DoesNotExist as error:
            raise Http404 from error
        self.request.GET = QueryDict(magnet.query)
        context = super().get_context_data(**kwargs)
        context["magnet"] = magnet
        return context


class OrganisationView(TemplateView):
    template_name = "dashboard/organisation_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(selectors.organisation_profile(kwargs["code"]))
        return context


class AccountView(LoginRequiredMixin, TemplateView):
    """A person's own page after login ("My space"), by role; only their own account."""

    template_name = "dashboard/account.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["overview"] = selectors.account_overview(self.request.user)
        return context


class SearchView(TemplateView):
    """Search across strategies, nodes, actions, indicators and organisations."""

    template_name = "dashboard/search.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        text = self.request.GET.get("q", "")
        if len(text) > MAX_QUERY_LENGTH:
            raise BadRequest(
                _("A search is at most %(count)s characters.") % {"count": MAX_QUERY_LENGTH}
            )
        group = self.request.GET.get("group") or None
        page = _page_number(self.request)
        try:
            groups = search(text, group=group, page=page if group else 1)
        except InvalidGroup as error:
            raise BadRequest(
                _("“%(value)s” is not a group of results.") % {"value": str(error)[:20]}
            ) from error
        if group and page > 1 and not any(found.hits for found in groups.values()):
            raise Http404
        context.update(
            q=text,
            group=group,
            groups=list(groups.values()),
            hit_count=sum(found.count for found in groups.values()),
        )
        return context


def _api_error(status: int, code: str, detail: str) -> JsonResponse:
    # What Django answers itself under /api/ (an unknown address, a body too large) keeps
    # the API's shape, for clients that read every error as JSON.
    return JsonResponse({"code": code, "detail": detail, "field": None}, status=status)


def bad_request(request, exception=None):
    """400 in the visitor's language, saying what was wrong with the address."""
    message = str(exception) if isinstance(exception, BadRequest) else ""
    if request.path.startswith(API_PREFIX):
        return _api_error(400, "bad_request", message or "This request cannot be read.")
    return render(request, "400.html", {"message": message}, status=400)


def page_not_found(request, exception=None):
    if request.path.startswith(API_PREFIX):
        return _api_error(404, "not_found", "No such address in the API.")
    return render(request, "404.html", status=404)


def server_error(request):
    if request.path.startswith(API_PREFIX):
        return _api_error(500, "server_error", "Pilotage failed to answer; it has been logged.")
    return render(request, "500.html", status=500)
