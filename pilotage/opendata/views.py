from collections.abc import Callable, Iterable
from pathlib import Path

from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pilotage.opendata.d4wmo import d4wmo_export
from pilotage.opendata.datasets import dataset_get
from pilotage.opendata.dcat import catalogue_export, dataset_iri, download_url
from pilotage.opendata.exports import COLLECTIONS, Collection
from pilotage.opendata.files import export_stream, exports_dir, exports_version
from pilotage.opendata.formats import (
    FORMATS,
    LICENCE,
    MEDIA_TYPES,
    export_chunks,
    filename,
    formats_of,
    zip_chunks,
)

# What D4WMO's file reads besides what every export does: its version follows them.
D4WMO_FRESHNESS = (
    "registry.Person",
    "registry.Event",
    "strategies.ActionPartner",
    "taxonomies.TermAssignment",
)
FIELD_TYPES = {
    "string": _("text"),
    "integer": _("integer"),
    "number": _("number"),
    "date": _("date"),
    "boolean": _("true or false"),
}


def _download(
    request,
    chunks: Callable[[], Iterable[bytes]],
    media_type: str,
    name: str,
    *,
    freshness: Iterable[str] = (),
):
    """The file built once per version of the data (`opendata.files`), with its ETag and
    Last-Modified (304 when the client has it); streamed as it is built when it is not
    there yet (or when the exports have no folder), never waiting for a build."""
    charset = "; charset=utf-8" if media_type.startswith("text/") or "json" in media_type else ""
    content_type = f"{media_type}{charset}"
    if exports_dir() is None:
        response = StreamingHttpResponse(chunks(), content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    version = exports_version(tuple(freshness))
    etag = f'"{version}-{name}"'
    response = get_conditional_response(request, etag=etag)
    if response is not None:
        response["ETag"] = etag
        return response
    found = export_stream(name, chunks, version=version)
    if isinstance(found, Path):
        modified = int(found.stat().st_mtime)
        response = get_conditional_response(request, etag=etag, last_modified=modified)
        if response is None:
            response = FileResponse(
                found.open("rb"), as_attachment=True, filename=name, content_type=content_type
            )
        response["Last-Modified"] = http_date(modified)
    else:
        response = StreamingHttpResponse(found, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=0, must-revalidate"
    return response


def _title(request, texts: dict[str, str]) -> str:
    """The text in the reader's language, French where it has none."""
    return texts.get(request.LANGUAGE_CODE) or texts["fr"]


def _entry(request, collection: Collection, version: str) -> dict:
    dataset = dataset_get(collection, version=version)
    return {
        "collection": collection,
        "title": _title(request, collection.title),
        "description": _title(request, collection.description),
        "dataset": dataset,
        "files": {file.format: file for file in dataset.files},
    }


# Outside the request's transaction, as the downloads: the figures build the files.
@transaction.non_atomic_requests
def export_index(request):
    """Every collection with its rows, last change and files (each with its size), the
    bulk zip and the catalogue."""
    version = exports_version()
    rows = [_entry(request, collection, version) for collection in COLLECTIONS.values()]
    return render(request, "opendata/index.html", {"rows": rows, "formats": FORMATS})


@transaction.non_atomic_requests
def collection_detail(request, collection: str):
    """A collection's page: what it holds, its fields and their types, its figures and
    files, its first rows, its catalogue entry and its licence."""
    found = COLLECTIONS[collection]  # the URL converter lets only their names through
    entry = _entry(request, found, exports_version())
    fields = [
        {
            "field": field,
            "type": FIELD_TYPES[field.type],
            "key": field.name in found.primary_key,
            "description": gettext(field.description) if field.description else "",
        }
        for field in found.fields
    ]
    return render(
        request,
        "opendata/collection_detail.html",
        entry
        | {
            "fields": fields,
            "licence": LICENCE,
            "iri": dataset_iri(found.name),
            "distributions": [download_url(file.name) for file in entry["dataset"].files],
        },
    )


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


@transaction.non_atomic_requests
def d4wmo_view(request, format: str):
    """Pilotage's public records in Digital Wallonia's data model (D4WMO-AP), built once
    per version of what it reads (a graph is written whole: its first download waits for
    it, every later one gets the file)."""
    media = {"ttl": "text/turtle", "jsonld": "application/ld+json"}[format]
    rdf = "json-ld" if format == "jsonld" else "turtle"
    return _download(
        request,
        lambda: [d4wmo_export(format=rdf).encode()],
        media,
        f"pilotage-d4wmo.{format}",
        freshness=D4WMO_FRESHNESS,
    )
