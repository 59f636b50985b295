from django.urls import path

from pilotage.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.StrategyListView.as_view(), name="strategy-list"),
]
