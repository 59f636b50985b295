from django.urls import path

from pilotage.dashboard import views
from pilotage.dashboard.caching import once_per_revision as cached

app_name = "dashboard"

# The registry's pages follow the magnet index (its own log), not the read model: never
# cached here.
urlpatterns = [
    path("", cached(views.StrategyListView.as_view()), name="strategy-list"),
    path("search/", cached(views.SearchView.as_view()), name="search"),
    # A person's own page: never cached (caching.py keeps pages for anonymous visitors).
    path("account/", views.AccountView.as_view(), name="account"),
    path("registry/", views.RegistrySearchView.as_view(), name="registry"),
    path("registry/organisations.csv", views.registry_csv, name="registry-csv"),
    path("registry/magnets/<str:code>/", views.MagnetView.as_view(), name="magnet"),
    path("registry/<str:code>/", views.OrganisationView.as_view(), name="organisation"),
    path(
        "strategies/<str:code>/", cached(views.StrategyDetailView.as_view()), name="strategy-detail"
    ),
    path(
        "strategies/<str:code>/budget/",
        cached(views.StrategyBudgetView.as_view()),
        name="strategy-budget",
    ),
    path(
        "strategies/<str:code>/<str:node>/",
        cached(views.NodeDetailView.as_view()),
        name="node-detail",
    ),
    path("actions/", cached(views.ActionListView.as_view()), name="action-list"),
    path("actions/<str:code>/", cached(views.ActionDetailView.as_view()), name="action-detail"),
    path(
        "indicators/<str:code>/",
        cached(views.IndicatorDetailView.as_view()),
        name="indicator-detail",
    ),
    path("indicators/<str:code>/data.csv", cached(views.indicator_data_csv), name="indicator-data"),
]
