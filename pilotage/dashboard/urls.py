from django.urls import path

from pilotage.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.StrategyListView.as_view(), name="strategy-list"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("registry/", views.RegistrySearchView.as_view(), name="registry"),
    path("registry/organisations.csv", views.registry_csv, name="registry-csv"),
    path("registry/magnets/<str:code>/", views.MagnetView.as_view(), name="magnet"),
    path("registry/<str:code>/", views.OrganisationView.as_view(), name="organisation"),
    path("strategies/<str:code>/", views.StrategyDetailView.as_view(), name="strategy-detail"),
    path(
        "strategies/<str:code>/budget/",
        views.StrategyBudgetView.as_view(),
        name="strategy-budget",
    ),
    path("strategies/<str:code>/<str:node>/", views.NodeDetailView.as_view(), name="node-detail"),
    path("actions/", views.ActionListView.as_view(), name="action-list"),
    path("actions/<str:code>/", views.ActionDetailView.as_view(), name="action-detail"),
    path("indicators/<str:code>/", views.IndicatorDetailView.as_view(), name="indicator-detail"),
    path("indicators/<str:code>/data.csv", views.indicator_data_csv, name="indicator-data"),
]
