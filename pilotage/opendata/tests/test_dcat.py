"""The DCAT-AP 3.0 catalogue conforms to its SHACL shapes and describes every export."""

import pytest
from django.conf import settings
from pyshacl import validate
from rdflib import RDF, Graph, Namespace, URIRef

from pilotage.core.i18n import language_codes
from pilotage.opendata.dcat import catalogue_export
from pilotage.opendata.exports import COLLECTIONS
from pilotage.opendata.formats import formats_of

pytestmark = pytest.mark.django_db

# Plain namespaces: rdflib's closed ones warn when pytest inspects this module.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCT = Namespace("http://purl.org/dc/terms/")


@pytest.fixture
def dcat_shapes(standards_dir) -> Graph:
    return Graph().parse(standards_dir / "dcat-ap-3.0.0" / "dcat-ap-SHACL.ttl")


@pytest.mark.parametrize(
    ("url", "format"), [("catalogue.ttl", "turtle"), ("catalogue.jsonld", "json-ld")]
)
def test_the_catalogue_conforms_to_dcat_ap(client, open_data, dcat_shapes, url, format):
    response = client.get(f"/exports/{url}")
    assert response.status_code == 200
    graph = Graph().parse(data=response.content, format=format)
    conforms, _report, text = validate(graph, shacl_graph=dcat_shapes, inference="none")
    assert conforms, text[:4000]
    assert len(graph) == len(Graph().parse(data=catalogue_export(), format="turtle"))


def test_every_collection_is_a_dataset_with_each_format_downloadable(client, open_data):
    graph = Graph().parse(data=client.get("/exports/catalogue.ttl").content, format="turtle")
    base = settings.PILOTAGE_BASE_URI
    datasets = set(graph.subjects(RDF.type, DCAT.Dataset))
    assert len(datasets) == len(COLLECTIONS) + 1  # and the bulk zip
    for name, collection in COLLECTIONS.items():
        dataset = URIRef(f"{base}exports/datasets/{name}")
        assert dataset in datasets
        titles = {title.language: str(title) for title in graph.objects(dataset, DCT["title"])}
        assert titles == collection.title
        languages = {d.language for d in graph.objects(dataset, DCT.description)}
        assert languages == set(language_codes())
        assert graph.value(dataset, DCT.modified) is not None
        urls = {
            str(graph.value(distribution, DCAT.downloadURL))
            for distribution in graph.objects(dataset, DCAT.distribution)
        }
        assert urls == {f"{base}exports/{name}.{format}" for format in formats_of(collection)}
        for url in urls:
            assert client.get("/" + url.removeprefix(base)).status_code == 200, url
    zipped = URIRef(f"{base}exports/datasets/pilotage/zip")
    assert str(graph.value(zipped, DCAT.downloadURL)) == f"{base}exports/pilotage.zip"
    for distribution in graph.subjects(RDF.type, DCAT.Distribution):
        assert graph.value(distribution, DCT.license) is not None
        assert graph.value(distribution, DCAT.mediaType) is not None
        assert graph.value(distribution, DCT["format"]) is not None


def test_the_shapes_catch_a_dataset_without_a_title(open_data, dcat_shapes):
    """The check is real: remove what DCAT-AP requires and pySHACL says so."""
    graph = Graph().parse(data=catalogue_export(), format="turtle")
    dataset = URIRef(f"{settings.PILOTAGE_BASE_URI}exports/datasets/strategies")
    graph.remove((dataset, DCT["title"], None))
    graph.remove((dataset, DCT.description, None))
    conforms, _report, text = validate(graph, shacl_graph=dcat_shapes, inference="none")
    assert not conforms and "description" in text


def test_each_dataset_lands_on_its_own_page(client, open_data):
    """dcat:landingPage (a foaf:Document, DCAT-AP 3.0's Dataset shape allows it): the
    collection's page, which answers; the bulk dataset's is the exports index."""
    graph = Graph().parse(data=client.get("/exports/catalogue.ttl").content, format="turtle")
    base = settings.PILOTAGE_BASE_URI
    for name in COLLECTIONS:
        dataset = URIRef(f"{base}exports/datasets/{name}")
        [landing] = graph.objects(dataset, DCAT.landingPage)
        assert str(landing) == f"{base}exports/{name}/"
        assert (landing, RDF.type, URIRef("http://xmlns.com/foaf/0.1/Document")) in graph
        assert client.get("/" + str(landing).removeprefix(base)).status_code == 200
    [bulk] = graph.objects(URIRef(f"{base}exports/datasets/pilotage"), DCAT.landingPage)
    assert str(bulk) == f"{base}exports/"
