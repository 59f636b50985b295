from django.urls import path, register_converter

from pilotage.opendata import views


class RdfFormat:
    regex = "ttl|jsonld"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(RdfFormat, "rdf")


app_name = "opendata"

urlpatterns = [
    path("indicators.csv", views.indicators_csv_view, name="indicators-csv"),
    path("d4wmo.<rdf:format>", views.d4wmo_view, name="d4wmo"),
]
