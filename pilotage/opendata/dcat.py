"""The open-data catalogue in DCAT-AP 3.0 (standards/dcat-ap-3.0.0/): every
collection Pilotage exports as a dcat:Dataset, each of its formats as a dcat:Distribution
(format, media type, download URL, licence, dates), and the bulk zip with its data
package as one more dataset. Titles and descriptions in French and English; IRIs under
settings.PILOTAGE_BASE_URI, the same base as the download URLs.

Every node a shape constrains by class carries its type, so the catalogue conforms
without inference (EU vocabularies for file types, languages, licences, frequencies and
themes; IANA for media types).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from rdflib import RDF, RDFS, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS

from pilotage.opendata.exports import COLLECTIONS, Collection
from pilotage.opendata.formats import MEDIA_TYPES, filename, formats_of

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU = "http://publications.europa.eu/resource/authority/"
FILE_TYPES = {
    "csv": "CSV",
    "xlsx": "XLSX",
    "json": "JSON",
    "parquet": "PARQUET",
    "geojson": "GEOJSON",
    "zip": "ZIP",
}
LICENCE = URIRef(f"{EU}licence/CC_BY_4_0")
FRENCH = URIRef(f"{EU}language/FRA")
THEME = URIRef(f"{EU}data-theme/GOVE")
FREQUENCY = URIRef(f"{EU}frequency/UPDATE_CONT")
DATA_PACKAGE = URIRef("https://specs.frictionlessdata.io/data-package/")


def _base() -> str:
    return settings.PILOTAGE_BASE_URI


def _iri(path: str) -> URIRef:
    return URIRef(f"{_base()}{path}")


def _texts(graph: Graph, subject, predicate, texts: dict[str, str]) -> None:
    for language, text in texts.items():
        graph.add((subject, predicate, Literal(text, lang=language)))


def _moment(value: datetime.datetime | None) -> Literal | None:
    if value is None:
        return None
    return Literal(value.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


def _dated(graph: Graph, subject, issued, modified) -> None:
    for predicate, value in ((DCTERMS.issued, issued), (DCTERMS.modified, modified)):
        if (literal := _moment(value)) is not None:
            graph.add((subject, predicate, literal))


def _agents(graph: Graph) -> tuple[URIRef, URIRef]:
    """The publisher (a foaf:Agent) and the contact point (a vcard:Kind)."""
    publisher = _iri("#publisher")
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, RDF.type, FOAF.Organization))
    graph.add((publisher, FOAF.name, Literal(getattr(settings, "PILOTAGE_PUBLISHER", "Pilotage"))))
    contact = _iri("#contact")
    email = getattr(settings, "PILOTAGE_CONTACT_EMAIL", "contact@pilotage.example.org")
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, Literal("Pilotage")))
    graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{email}")))
    return publisher, contact


def _file_type(format: str) -> URIRef:
    return URIRef(f"{EU}file-type/{FILE_TYPES[format]}")


def _media_type(format: str) -> URIRef:
    return URIRef(f"http://www.iana.org/assignments/media-types/{MEDIA_TYPES[format]}")


def _vocabulary(graph: Graph) -> None:
    """The controlled values the catalogue points at, typed as the shapes ask."""
    graph.add((LICENCE, RDF.type, DCTERMS.LicenseDocument))
    graph.add((FRENCH, RDF.type, DCTERMS.LinguisticSystem))
    graph.add((FREQUENCY, RDF.type, DCTERMS.Frequency))
    graph.add((THEME, RDF.type, SKOS.Concept))
    graph.add((THEME, SKOS.prefLabel, Literal("Government and public sector", lang="en")))
    graph.add((THEME, SKOS.prefLabel, Literal("Gouvernement et secteur public", lang="fr")))
    graph.add((DATA_PACKAGE, RDF.type, DCTERMS.Standard))
    for format in MEDIA_TYPES:
        graph.add((_file_type(format), RDF.type, DCTERMS.MediaTypeOrExtent))
        graph.add((_media_type(format), RDF.type, DCTERMS.MediaType))


def _distribution(
    graph: Graph, dataset: URIRef, name: str, format: str, titles: dict, issued, modified
) -> URIRef:
    subject = URIRef(f"{dataset}/{format}")
    url = download_url(name)
    graph.add((subject, RDF.type, DCAT.Distribution))
    graph.add((dataset, DCAT.distribution, subject))
    graph.add((subject, DCAT.accessURL, url))
    graph.add((subject, DCAT.downloadURL, url))
    graph.add((url, RDF.type, RDFS.Resource))
    graph.add((subject, DCTERMS.format, _file_type(format)))
    graph.add((subject, DCAT.mediaType, _media_type(format)))
    graph.add((subject, DCTERMS.license, LICENCE))
    _texts(graph, subject, DCTERMS.title, {k: f"{v} ({format.upper()})" for k, v in titles.items()})
    _dated(graph, subject, issued, modified)
    return subject


def download_url(name: str) -> URIRef:
    """Where a distribution's file is downloaded."""
    return _iri(f"exports/{name}")


def dataset_iri(code: str) -> URIRef:
    """The IRI of a dataset of the catalogue (its page is `exports/<code>/`)."""
    return _iri(f"exports/datasets/{code}")


def _dataset(
    graph: Graph, catalogue, publisher, contact, *, code, titles, descriptions, keywords, landing
):
    subject = dataset_iri(code)
    graph.add((subject, RDF.type, DCAT.Dataset))
    graph.add((catalogue, DCAT.dataset, subject))
    graph.add((subject, DCTERMS.identifier, Literal(code)))
    _texts(graph, subject, DCTERMS.title, titles)
    _texts(graph, subject, DCTERMS.description, descriptions)
    graph.add((subject, DCTERMS.publisher, publisher))
    graph.add((subject, DCAT.contactPoint, contact))
    graph.add((subject, DCTERMS.language, FRENCH))
    graph.add((subject, DCAT.theme, THEME))
    graph.add((subject, DCTERMS.accrualPeriodicity, FREQUENCY))
    graph.add((subject, DCAT.landingPage, landing))
    graph.add((landing, RDF.type, FOAF.Document))
    for keyword in keywords:
        graph.add((subject, DCAT.keyword, Literal(keyword, lang="fr")))
    return subject


def _collection(graph: Graph, catalogue, publisher, contact, collection: Collection):
    issued, modified = collection.issued(), collection.modified()
    dataset = _dataset(
        graph,
        catalogue,
        publisher,
        contact,
        code=collection.name,
        titles=collection.title,
        descriptions=collection.description,
        keywords=["Pilotage", collection.title["fr"]],
        landing=_iri(f"exports/{collection.name}/"),  # the collection's own page
    )
    _dated(graph, dataset, issued, modified)
    for format in formats_of(collection):
        _distribution(
            graph,
            dataset,
            filename(collection, format),
            format,
            collection.title,
            issued,
            modified,
        )
    return modified


def catalogue_graph() -> Graph:
    """The whole catalogue, as one graph."""
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF)):
        graph.bind(prefix, namespace)
    graph.bind("vcard", VCARD)
    graph.bind("skos", SKOS)
    catalogue = _iri("exports/catalogue")
    publisher, contact = _agents(graph)
    _vocabulary(graph)
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    titles = {"fr": "Pilotage — données ouvertes", "en": "Pilotage — open data"}
    _texts(graph, catalogue, DCTERMS.title, titles)
    _texts(
        graph,
        catalogue,
        DCTERMS.description,
        {
            "fr": "Les stratégies, actions, indicateurs, valeurs publiées, budgets, "
            "organisations et taxonomies publiés par Pilotage, avec les mêmes chiffres que "
            "le tableau de bord.",
            "en": "The strategies, actions, indicators, published values, budgets, "
            "organisations and taxonomies Pilotage publishes, with the same numbers as the "
            "dashboard.",
        },
    )
    graph.add((catalogue, DCTERMS.publisher, publisher))
    graph.add((catalogue, DCTERMS.license, LICENCE))
    graph.add((catalogue, DCTERMS.language, FRENCH))
    home = URIRef(_base())
    graph.add((catalogue, FOAF.homepage, home))
    graph.add((home, RDF.type, FOAF.Document))
    changes = [
        _collection(graph, catalogue, publisher, contact, collection)
        for collection in COLLECTIONS.values()
    ]
    changes = [moment for moment in changes if moment is not None]
    latest = max(changes) if changes else None
    bulk = _dataset(
        graph,
        catalogue,
        publisher,
        contact,
        code="pilotage",
        titles={"fr": "Toutes les collections de Pilotage", "en": "Every collection of Pilotage"},
        descriptions={
            "fr": "Chaque collection en CSV, dans un zip avec son descripteur Frictionless "
            "Data Package (datapackage.json).",
            "en": "Every collection as CSV, in one zip with its Frictionless Data Package "
            "descriptor (datapackage.json).",
        },
        keywords=["Pilotage"],
        landing=_iri("exports/"),
    )
    _dated(graph, bulk, None, latest)
    zipped = _distribution(
        graph, bulk, "pilotage.zip", "zip", {"fr": "Pilotage", "en": "Pilotage"}, None, latest
    )
    graph.add((zipped, DCTERMS.conformsTo, DATA_PACKAGE))
    _dated(graph, catalogue, None, latest)
    return graph


def catalogue_export(*, format: str = "turtle") -> str:
    """The catalogue as Turtle or JSON-LD."""
    return catalogue_graph().serialize(format="json-ld" if format == "json-ld" else "turtle")
