from django.urls import path

from pilotage.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.StrategyListView.as_view(), name="strategy-list"),
    path("strategies/<str:code>/", views.StrategyDetailView.as_view(), name="strategy-detail"),
    path("actions/<str:code>/", views.ActionDetailView.as_view(), name="action-detail"),
]
