from collections.abc import Callable, Iterable

from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date

from pilotage.opendata.d4wmo import d4wmo_export
from pilotage.opendata.dcat import catalogue_export
from pilotage.opendata.exports import COLLECTIONS
from pilotage.opendata.files import export_file, exports_dir, exports_version
from pilotage.opendata.formats import (
    FORMATS,
    MEDIA_TYPES,
    export_chunks,
    filename,
    formats_of,
    zip_chunks,
)


def _download(request, chunks: Callable[[], Iterable[bytes]], media_type: str, name: str):
    """The file built once per version of the data (`opendata.files`), with its ETag and
    Last-Modified (304 when the client has it); streamed as it is built when the exports
    have no folder."""
    charset = "; charset=utf-8" if media_type.startswith("text/") or "json" in media_type else ""
    content_type = f"{media_type}{charset}"
    if exports_dir() is None:
        response = StreamingHttpResponse(chunks(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    version = exports_version()
    etag = f'"{version}-{name}"'
    path = export_file(name, chunks, version=version)
    modified = int(path.stat().st_mtime)
    response = get_conditional_response(request, etag=etag, last_modified=modified)
    if response is None:
        response = FileResponse(
            path.open("rb"), as_attachment=True, filename=name, content_type=content_type
        )
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
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


# Outside the request's transaction: the build lock must be seen by the other workers at
# once, and a build must not hold a write transaction open (SQLite's lock) while it runs.
@transaction.non_atomic_requests
def export_view(request, collection: str, format: str):
    """One collection in one format, streamed."""
    found = COLLECTIONS.get(collection)
    if found is None or format not in formats_of(found):
        raise Http404
    return _download(
        request, lambda: export_chunks(found, format), MEDIA_TYPES[format], filename(found, format)
    )


@transaction.non_atomic_requests
def zip_view(request):
    """Every collection as CSV with its Frictionless Data Package descriptor, streamed."""
    return _download(request, zip_chunks, MEDIA_TYPES["zip"], "pilotage.zip")


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
