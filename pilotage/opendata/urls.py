from django.urls import path, register_converter
from django.views.generic import RedirectView

from pilotage.opendata import views
from pilotage.opendata.exports import COLLECTIONS
from pilotage.opendata.formats import FORMATS


class RdfFormat:
    regex = "ttl|jsonld"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CollectionName(RdfFormat):
    regex = "|".join(sorted(COLLECTIONS, key=len, reverse=True))


class ExportFormat(RdfFormat):
    regex = "|".join(FORMATS)


register_converter(RdfFormat, "rdf")
register_converter(CollectionName, "collection")
register_converter(ExportFormat, "export_format")


app_name = "opendata"

urlpatterns = [
    path("", views.export_index, name="index"),
    path("pilotage.zip", views.zip_view, name="zip"),
    path("catalogue.<rdf:format>", views.catalogue_view, name="catalogue"),
    path("d4wmo.<rdf:format>", views.d4wmo_view, name="d4wmo"),
    path(
        "indicators.csv",
        views.export_view,
        {"collection": "indicators", "format": "csv"},
        name="indicators-csv",
    ),
    path("<collection:collection>.<export_format:format>", views.export_view, name="export"),
    path("<collection:collection>/", views.collection_detail, name="collection-detail"),
    # The catalogue's IRI of a dataset leads to its page.
    path(
        "datasets/<collection:collection>",
        RedirectView.as_view(pattern_name="opendata:collection-detail", permanent=False),
        name="dataset",
    ),
]
