"""Data4Wallonia interoperability: exports conform to D4WMO-AP, its example imports."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from pyshacl import validate
from rdflib import RDF, Graph

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.opendata.d4wmo import D4W, D4wmoError, d4wmo_export, d4wmo_graph, d4wmo_import
from pilotage.registry.models import Affiliation, AffiliationKind, Event, Organisation, Person

pytestmark = pytest.mark.django_db


@pytest.fixture
def d4wmo_shapes(standards_dir) -> Graph:
    folder = standards_dir / "d4wmo-ap-asis-1.0.0"
    shapes = Graph()
    shapes.parse(folder / "d4wmo-ap-asis-SHACL.ttl")
    shapes.parse(folder / "model-d4w-shapes.ttl")
    return shapes


@pytest.fixture
def example(standards_dir) -> bytes:
    return (standards_dir / "d4wmo-ap-asis-1.0.0" / "example-rdf_model.ttl").read_bytes()


def conforms(graph: Graph, shapes: Graph) -> tuple[bool, str]:
    ok, _report, text = validate(graph, shacl_graph=shapes, inference="none", advanced=True)
    return ok, text


@pytest.mark.slow
def test_the_export_of_the_shipped_data_conforms_to_d4wmo_ap(shipped_data, d4wmo_shapes):
    cluster = Organisation.objects.get(code="MECATECH")
    shown = Person.objects.create(
        code="alice",
        given_name="Alice",
        family_name="Martin",
        display_refusal=False,
        email="alice.martin@example.org",
    )
    hidden = Person.objects.create(code="bob", given_name="Bob", family_name="Secret")
    for person in (shown, hidden):
        Affiliation.objects.create(
            person=person, organisation=cluster, kind=AffiliationKind.CONTACT
        )
    graph = Graph()
    graph.parse(data=d4wmo_export(format="turtle"), format="turtle")
    ok, text = conforms(graph, d4wmo_shapes)
    assert ok, text[:3000]
    assert len(list(graph.subjects(RDF.type, D4W.Ambition))) > 0
    assert len(list(graph.subjects(RDF.type, D4W.ActionPlan))) > 0
    names = {str(o) for o in graph.objects(None, D4W.lastName)}
    assert "Martin" in names and "Secret" not in names  # only who agreed to be shown
    assert "alice.martin@example.org" not in graph.serialize(format="turtle")
    jsonld = Graph().parse(data=d4wmo_export(format="json-ld"), format="json-ld")
    assert len(jsonld) == len(graph)


EXAMPLE_PROFILES = ["federation-wallonie-bruxelles", "parlement-wallonie"]


@pytest.mark.slow
def test_the_profiles_example_imports_and_exports_again_with_the_same_facts(
    shipped_data, example, d4wmo_shapes
):
    counts = d4wmo_import(actor=SteeringFactory(), content=example, name="example-rdf_model.ttl")
    assert counts["organisations"] == {"created": 2} and counts["persons"] == {"created": 1}
    event = Event.objects.get(code__startswith="conference")
    assert event.start_date == datetime.date(2025, 1, 29)
    assert {o.name for o in event.organisers.all()} == {
        "Fédération Wallonie-Bruxelles",
        "Parlement de Wallonie",
    }
    source = Graph().parse(data=example, format="turtle")
    exported = d4wmo_graph()

    def facts(graph):
        """Events with their dates, the example's profiles, persons: what both say."""
        profiles = {
            s
            for s in graph.subjects(RDF.type, D4W.Profile)
            if str(graph.value(s, D4W.slug)) in EXAMPLE_PROFILES
        }
        return (
            {
                (str(graph.value(s, D4W.title)), str(graph.value(s, D4W.startDate)))
                for s in graph.subjects(RDF.type, D4W.Event)
            },
            {str(graph.value(s, D4W.title)) for s in profiles},
            {
                (str(graph.value(s, D4W.firstName)), str(graph.value(s, D4W.lastName)))
                for s in graph.subjects(RDF.type, D4W.Person)
                if str(graph.value(s, D4W.firstName)) != "Pilotage"
            },
        )

    assert facts(exported) == facts(source)
    organisers = {
        str(exported.value(o, D4W.title))
        for s in exported.subjects(RDF.type, D4W.Event)
        for o in exported.objects(s, D4W.organizer)
    }
    assert organisers == {"Fédération Wallonie-Bruxelles", "Parlement de Wallonie"}
    ok, text = conforms(exported, d4wmo_shapes)
    assert ok, text[:3000]
    # Importing again changes nothing.
    again = d4wmo_import(actor=SteeringFactory(), content=example, name="again")
    assert again["organisations"] == {"unchanged": 2} and again["events"] == {"unchanged": 1}
    assert Organisation.objects.filter(code__in=EXAMPLE_PROFILES).count() == 2


def test_an_import_is_refused_whole_and_only_to_steering_staff(shipped_data, example):
    broken = (
        example + b"\n<http://example.com/p> a <http://data4wallonia.com/resource/model/Person> .\n"
    )
    with pytest.raises(D4wmoError) as refused:
        d4wmo_import(actor=SteeringFactory(), content=broken, name="broken.ttl")
    assert "broken.ttl" in str(refused.value) and "firstName" in str(refused.value)
    assert not Organisation.objects.filter(code__in=EXAMPLE_PROFILES).exists()
    assert not Event.objects.exists()
    with pytest.raises(PermissionDenied):
        d4wmo_import(actor=PartnerEditorFactory(), content=example)


def test_the_web_and_the_command_line_give_the_same_export(client, db, tmp_path):
    from django.core.management import call_command

    from pilotage.strategies.tests.factories import StrategyFactory

    StrategyFactory(title_fr="Stratégie exportée")
    web = client.get("/exports/d4wmo.ttl")
    assert web.status_code == 200 and web["Content-Type"].startswith("text/turtle")
    output = tmp_path / "export.ttl"
    call_command("d4wmo", "export", output=str(output))
    assert (
        Graph()
        .parse(data=b"".join(web.streaming_content), format="turtle")
        .isomorphic(Graph().parse(output, format="turtle"))
    )
    assert client.get("/exports/d4wmo.jsonld").status_code == 200
    assert client.get("/exports/d4wmo.xml").status_code == 404
