from django.views.generic import TemplateView


class StrategyListView(TemplateView):
    template_name = "dashboard/strategy_list.html"
