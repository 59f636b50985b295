"""Public pages: readable without an account and without JavaScript."""

from django.views.generic import TemplateView

from pilotage.strategies.selectors import strategy_list_public, strategy_trees


class StrategyListView(TemplateView):
    """The home page: every public strategy with its tree."""

    template_name = "dashboard/strategy_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        strategies = list(strategy_list_public())
        trees = strategy_trees(strategies)
        context["strategies"] = [(strategy, trees[strategy.pk]) for strategy in strategies]
        return context
