from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from pilotage.opendata.d4wmo import d4wmo_export
from pilotage.opendata.dcat import catalogue_export
from pilotage.opendata.exports import COLLECTIONS
from pilotage.opendata.formats import (
    FORMATS,
    MEDIA_TYPES,
    export_chunks,
    filename,
    formats_of,
    zip_chunks,
)


def _download(chunks, media_type: str, name: str) -> StreamingHttpResponse:
    charset = "; charset=utf-8" if media_type.startswith("text/") or "json" in media_type else ""
    response = StreamingHttpResponse(chunks, content_type=f"{media_type}{charset}")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_index(request):
    """The page listing every collection in every format, the bulk zip and the catalogue."""
    rows = [
        {
            "collection": collection,
            "title": collection.title["en" if request.LANGUAGE_CODE == "en" else "fr"],
            "links": {
                format: filename(collection, format) if format in formats_of(collection) else None
                for format in FORMATS
            },
        }
        for collection in COLLECTIONS.values()
    ]
    return render(request, "opendata/index.html", {"rows": rows, "formats": FORMATS})


def export_view(request, collection: str, format: str):
    """One collection in one format, streamed."""
    found = COLLECTIONS.get(collection)
    if found is None or format not in formats_of(found):
        raise Http404
    return _download(export_chunks(found, format), MEDIA_TYPES[format], filename(found, format))


def zip_view(request):
    """Every collection as CSV with its Frictionless Data Package descriptor, streamed."""
    return _download(zip_chunks(), MEDIA_TYPES["zip"], "pilotage.zip")


def catalogue_view(request, format: str):
    """The DCAT-AP 3.0 catalogue of every dataset and distribution."""
    media = {"ttl": "text/turtle", "jsonld": "application/ld+json"}[format]
    response = HttpResponse(
        catalogue_export(format="json-ld" if format == "jsonld" else "turtle"),
        content_type=f"{media}; charset=utf-8",
    )
    response["Content-Disposition"] = f'inline; filename="catalogue.{format}"'
    return response


def d4wmo_view(request, format: str):
    """Pilotage's public records in Digital Wallonia's data model (D4WMO-AP)."""
    media = {"ttl": "text/turtle", "jsonld": "application/ld+json"}[format]
    response = HttpResponse(
        d4wmo_export(format="json-ld" if format == "jsonld" else "turtle"),
        content_type=f"{media}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="pilotage-d4wmo.{format}"'
    return response
