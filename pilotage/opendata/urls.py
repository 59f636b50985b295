from django.urls import path

from pilotage.opendata import views

app_name = "opendata"

urlpatterns = [
    path("indicators.csv", views.indicators_csv_view, name="indicators-csv"),
]
