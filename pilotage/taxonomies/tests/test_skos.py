"""SKOS import and export, checked against the D4WTA-AP shapes with pySHACL."""

import pytest
from pyshacl import validate
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import SKOS

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.datafiles import DataFileError
from pilotage.taxonomies.models import Taxonomy, Term, TermStatus
from pilotage.taxonomies.services import taxonomy_delete, taxonomy_import_skos
from pilotage.taxonomies.skos import taxonomy_export, taxonomy_graph, term_uri
from pilotage.taxonomies.tests.factories import TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def d4wta_shapes(standards_dir) -> Graph:
    folder = standards_dir / "d4wta-ap-1.0.0"
    shapes = Graph()
    shapes.parse(folder / "d4wta-ap-SHACL.ttl")
    shapes.parse(folder / "skos-d4w-shapes.ttl")
    return shapes


@pytest.fixture
def example_ttl(standards_dir) -> str:
    return (standards_dir / "d4wta-ap-1.0.0" / "example-rdf_taxonomy.ttl").read_text("utf-8")


def assert_conforms(graph: Graph, shapes: Graph) -> None:
    conforms, _report, text = validate(graph, shacl_graph=shapes)
    assert conforms, text


def test_every_shipped_taxonomy_exports_conforming_to_d4wta_ap(shipped_data, d4wta_shapes):
    taxonomies = list(Taxonomy.objects.all())
    assert len(taxonomies) >= 5
    for taxonomy in taxonomies:
        for format in ("turtle", "json-ld"):
            graph = Graph().parse(data=taxonomy_export(taxonomy, format=format), format=format)
            assert_conforms(graph, d4wta_shapes)


def test_d4wta_profile_keeps_french_and_english_labels_full_profile_keeps_all():
    term = TermFactory(
        label_fr="Écoles", label_nl="Scholen", label_de="Schulen", label_en="Schools"
    )

    def labels(profile):
        graph = taxonomy_graph(term.taxonomy, profile=profile)
        return {
            label.language
            for label in graph.objects(URIRef(term_uri(term, term.taxonomy)), SKOS.prefLabel)
        }

    assert labels("d4wta") == {"fr", "en"}
    assert labels("full") == {"fr", "nl", "de", "en"}


def test_the_d4wta_example_imports_without_loss(example_ttl):
    [taxonomy] = taxonomy_import_skos(
        actor=SteeringFactory(), text=example_ttl, format="turtle"
    ).taxonomies

    assert taxonomy.code == "digital-wallonia"
    assert taxonomy.terms.count() == 3
    wifi = taxonomy.terms.get(code="acces-au-wifi")
    assert wifi.parent.code == "accompagnement-citoyen"
    assert wifi.label_fr == "Accéder à du WiFi"
    assert wifi.identifier == "6tO7kpywpnel6H2Z7BHqUf"
    assert wifi.status == TermStatus.CURRENT
    # Exported again without the status descriptions D4WTA-AP needs, the graph is the same.
    original = Graph().parse(data=example_ttl, format="turtle")
    exported = taxonomy_graph(taxonomy, profile="full")
    assert isomorphic(original, exported)


def test_a_full_export_reimports_to_the_same_graph_in_json_ld():
    parent = TermFactory()
    TermFactory(
        taxonomy=parent.taxonomy, parent=parent, notation="20002", status=TermStatus.DEPRECATED
    )
    before = taxonomy_graph(parent.taxonomy, profile="full")
    text = taxonomy_export(parent.taxonomy, format="json-ld", profile="full")
    steering = SteeringFactory()
    taxonomy_delete(actor=steering, taxonomy=parent.taxonomy)
    assert not Term.objects.exists()

    [again] = taxonomy_import_skos(actor=steering, text=text, format="json-ld").taxonomies

    assert isomorphic(before, taxonomy_graph(again, profile="full"))


def test_a_bad_skos_file_is_refused_whole_with_reasons(example_ttl):
    broken = example_ttl.replace("skos:broader d4wta:services", "skos:broader d4wta:nowhere")
    broken = broken.replace('"Accéder à du WiFi"@fr', '"Accéder à du WiFi"@it')

    with pytest.raises(DataFileError) as caught:
        taxonomy_import_skos(actor=SteeringFactory(), text=broken, format="turtle")

    reasons = [error.reason for error in caught.value.errors]
    assert any("broader concept" in reason and "nowhere" in reason for reason in reasons)
    assert any("'it'" in reason for reason in reasons)
    assert not Taxonomy.objects.exists() and not Term.objects.exists()


def test_unsupported_properties_are_refused_rather_than_lost(example_ttl):
    richer = example_ttl.replace(
        'skos:prefLabel "Accéder à du WiFi"@fr ;',
        'skos:prefLabel "Accéder à du WiFi"@fr ; skos:scopeNote "Note"@fr ;',
    )
    with pytest.raises(DataFileError, match="scopeNote"):
        taxonomy_import_skos(actor=SteeringFactory(), text=richer, format="turtle")


def test_only_steering_staff_import(example_ttl):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        taxonomy_import_skos(actor=PartnerEditorFactory(), text=example_ttl, format="turtle")
    assert not Taxonomy.objects.exists()


def test_shipped_taxonomy_file_and_its_scheme_metadata(shipped_data):
    provinces = Taxonomy.objects.get(code="provinces")
    notations = dict(provinces.terms.values_list("code", "notation"))
    assert notations["brabant-wallon"] == "20002"
    assert notations["namur"] == "90000"
