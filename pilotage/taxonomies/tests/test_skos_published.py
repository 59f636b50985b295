"""A taxonomy as Digital Wallonia publishes it: imported, kept and given back unchanged."""

import json

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import DCTERMS, OWL, SKOS

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.core.datafiles import DataFileError
from pilotage.taxonomies.models import Term, TermStatus
from pilotage.taxonomies.services import taxonomy_import_skos, term_save
from pilotage.taxonomies.skos import graph_serialise, taxonomies_graph, term_uri

pytestmark = pytest.mark.django_db

# Two schemes; concept titles (dct:title), an alternative label, replaces/isReplacedBy,
# a hierarchy given from below (broader) and from above (narrower), a version typed
# xsd:string, labels with surrounding spaces, and the statuses described as the file
# wishes (not as Pilotage would), and a statement about the file itself.
PUBLISHED = """\
@prefix ex: <https://example.org/taxonomy/> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix euvoc: <http://publications.europa.eu/ontology/euvoc#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix status: <http://publications.europa.eu/resource/authority/concept-status/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

ex:themes a skos:ConceptScheme ;
    dct:created "2025-01-10"^^xsd:date ;
    dct:issued "2025-02-01"^^xsd:date ;
    dct:identifier "T1" ;
    owl:versionInfo "1.2.0" ;
    dct:title "Thèmes publiés"@fr ;
    skos:prefLabel "Thèmes"@fr, "Themes"@en ;
    skos:hasTopConcept ex:agriculture .

ex:agriculture a skos:Concept ;
    skos:inScheme ex:themes ;
    skos:topConceptOf ex:themes ;
    dct:identifier "A" ;
    owl:versionInfo "0.0.1" ;
    euvoc:status status:CURRENT ;
    skos:prefLabel "Agriculture "@fr, "Agriculture"@en ;
    dct:title "Agriculture et pêche"@fr, "Farming"@en ;
    skos:definition "Cultures et élevage."@fr ;
    skos:narrower ex:forest .

ex:organic a skos:Concept ;
    skos:inScheme ex:themes ;
    skos:broader ex:agriculture ;
    dct:identifier "B" ;
    owl:versionInfo "0.1.0"^^xsd:string ;
    euvoc:status status:CURRENT ;
    skos:prefLabel "Bio  "@fr ;
    skos:altLabel " Biologique"@fr ;
    skos:definition "Agriculture biologique."@fr ;
    dct:replaces ex:forest .

ex:forest a skos:Concept ;
    skos:inScheme ex:themes ;
    dct:identifier "C" ;
    owl:versionInfo "0.0.1" ;
    euvoc:status status:DEPRECATED ;
    skos:prefLabel "Forêt"@fr ;
    skos:definition "Sylviculture."@fr ;
    dct:isReplacedBy ex:organic .

ex:places a skos:ConceptScheme ;
    dct:created "2025-03-01"^^xsd:date ;
    dct:identifier "P1" ;
    owl:versionInfo "1.0.0" ;
    skos:prefLabel "Lieux"@fr .

ex:namur a skos:Concept ;
    skos:inScheme ex:places ;
    dct:identifier "N" ;
    owl:versionInfo "1.0.0" ;
    euvoc:status status:CURRENT ;
    skos:prefLabel "Namur"@fr ;
    dct:title " Province de Namur "@fr ;
    skos:definition "Une province."@fr .

<https://example.org/taxonomy/> dct:publisher "Digital Wallonia" .

<https://example.org/taxonomy/concept-status> a skos:ConceptScheme ;
    dct:created "2024-06-01"^^xsd:date ;
    dct:identifier "concept-status" ;
    owl:versionInfo "1.0.0" ;
    skos:prefLabel "Statuts"@fr .

status:CURRENT a skos:Concept ;
    skos:inScheme <https://example.org/taxonomy/concept-status> ;
    dct:identifier "CURRENT" ;
    owl:versionInfo "1.0.0" ;
    euvoc:status status:CURRENT ;
    skos:prefLabel "En vigueur"@fr ;
    skos:definition "Utilisé."@fr .

status:DEPRECATED a skos:Concept ;
    skos:inScheme <https://example.org/taxonomy/concept-status> ;
    dct:identifier "DEPRECATED" ;
    owl:versionInfo "1.0.0" ;
    euvoc:status status:CURRENT ;
    skos:prefLabel "Abandonné"@fr ;
    skos:definition "À ne plus utiliser."@fr .
"""


@pytest.fixture
def d4wta_shapes(standards_dir) -> Graph:
    folder = standards_dir / "d4wta-ap-1.0.0"
    shapes = Graph()
    shapes.parse(folder / "d4wta-ap-SHACL.ttl")
    shapes.parse(folder / "skos-d4w-shapes.ttl")
    return shapes


def line(text: str, start: str) -> int:
    """The number of the first line of `text` starting with `start` (indent aside)."""
    return next(n for n, row in enumerate(text.splitlines(), 1) if row.lstrip().startswith(start))


def as_published(graph: Graph) -> str:
    """What differs, for the assertion message."""
    return "\n".join(
        sorted(
            f"{side} {triple}" for side, part in zip("-+", graph, strict=True) for triple in part
        )
    )


def test_a_published_taxonomy_is_given_back_exactly_and_conforms(d4wta_shapes):
    # Given the published file, imported
    report = taxonomy_import_skos(actor=SteeringFactory(), text=PUBLISHED, format="turtle")

    # When it is exported again, both schemes together
    exported = taxonomies_graph(report.taxonomies, profile="d4wta")

    # Then it is the same graph, and it conforms to D4WTA-AP (its rules' warnings aside)
    published = Graph().parse(data=PUBLISHED, format="turtle")
    _both, only_in_file, only_in_export = graph_diff(
        to_isomorphic(published), to_isomorphic(exported)
    )
    assert isomorphic(published, exported), as_published((only_in_file, only_in_export))
    conforms, _graph, text = validate(exported, shacl_graph=d4wta_shapes, allow_warnings=True)
    assert conforms, text
    assert [t.code for t in report.taxonomies] == ["places", "themes"]
    assert report.counts == {
        "taxonomies created": 2,
        "taxonomies updated": 0,
        "taxonomies unchanged": 0,
        "terms created": 4,
        "terms updated": 0,
        "terms unchanged": 0,
    }


def test_texts_are_kept_as_published_and_spaced_labels_are_warnings():
    report = taxonomy_import_skos(actor=SteeringFactory(), text=PUBLISHED, format="turtle")

    assert Term.objects.get(code="agriculture").label_fr == "Agriculture "
    assert Term.objects.get(code="organic").label_fr == "Bio  "
    assert Term.objects.get(code="forest").parent.code == "agriculture"  # from skos:narrower
    assert Term.objects.get(code="forest").status == TermStatus.DEPRECATED
    agriculture = line(PUBLISHED, 'skos:prefLabel "Agriculture "')
    namur = line(PUBLISHED, 'dct:title " Province')
    organic = line(PUBLISHED, 'skos:prefLabel "Bio')
    alternative = line(PUBLISHED, "skos:altLabel")
    assert sorted((w.record, w.column, w.value, w.reason) for w in report.warnings) == sorted(
        [
            (
                f"line {agriculture}, concept <https://example.org/taxonomy/agriculture>",
                "skos:prefLabel",
                "Agriculture ",
                "trailing spaces, kept as published",
            ),
            (
                f"line {namur}, concept <https://example.org/taxonomy/namur>",
                "dct:title",
                " Province de Namur ",
                "leading and trailing spaces, kept as published",
            ),
            (
                f"line {alternative}, concept <https://example.org/taxonomy/organic>",
                "skos:altLabel",
                " Biologique",
                "leading spaces, kept as published",
            ),
            (
                f"line {organic}, concept <https://example.org/taxonomy/organic>",
                "skos:prefLabel",
                "Bio  ",
                "trailing spaces, kept as published",
            ),
        ]
    )


def test_a_second_import_of_the_same_file_writes_nothing():
    steering = SteeringFactory()
    taxonomy_import_skos(actor=steering, text=PUBLISHED, format="turtle")
    entries = LogEntry.objects.count()

    with CaptureQueriesContext(connection) as queries:
        again = taxonomy_import_skos(actor=steering, text=PUBLISHED, format="turtle")

    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert writes == []
    assert LogEntry.objects.count() == entries
    assert again.written == 0 and again.audit_entries == 0
    assert again.counts["terms unchanged"] == 4
    assert again.counts["taxonomies unchanged"] == 2


def test_the_bulk_import_writes_the_audit_entries_a_save_would():
    steering = SteeringFactory()
    taxonomy_import_skos(actor=steering, text=PUBLISHED, format="turtle")
    created = LogEntry.objects.filter(
        content_type__model="term", action=LogEntry.Action.CREATE
    ).order_by("object_repr")
    assert [(e.object_repr, e.actor_id) for e in created] == [
        ("Agriculture ", steering.pk),
        ("Bio  ", steering.pk),
        ("Forêt", steering.pk),
        ("Namur", steering.pk),
    ]
    forest = Term.objects.get(code="forest")
    entry = LogEntry.objects.get_for_object(forest).get()
    assert entry.changes["parent"] == ["None", str(forest.parent_id)]

    renamed = PUBLISHED.replace('"Forêt"@fr', '"Forêts"@fr')
    report = taxonomy_import_skos(actor=steering, text=renamed, format="turtle")

    assert report.counts["terms updated"] == 1 and report.counts["terms unchanged"] == 3
    update = LogEntry.objects.get_for_object(forest).get(action=LogEntry.Action.UPDATE)
    assert update.actor_id == steering.pk
    assert update.changes["label_fr"] == ["Forêt", "Forêts"]
    assert Term.objects.get(code="forest").label_fr == "Forêts"


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_a_turtle_syntax_error_names_its_line_after_a_long_string(line_end):
    # Given a file (with Unix or Windows line ends) holding a definition over three lines
    text = PUBLISHED.replace(
        '"Agriculture biologique."@fr', '"""Agriculture\nbiologique,\nsans intrants."""@fr'
    )
    broken = text.replace('skos:definition "Sylviculture."@fr ;', 'skos:definition "Sylv" "x" ;')
    line = broken.splitlines().index('    skos:definition "Sylv" "x" ;') + 1

    with pytest.raises(DataFileError) as caught:
        taxonomy_import_skos(
            actor=SteeringFactory(), text=broken.replace("\n", line_end), format="turtle"
        )

    [error] = caught.value.errors
    assert error.record == f"line {line}"
    assert error.value == 'skos:definition "Sylv" "x" ;'
    assert error.reason.startswith("not valid turtle:")


def test_a_string_never_closed_is_reported_where_it_opens():
    broken = PUBLISHED.replace('"Sylviculture."@fr', '"""Sylviculture.@fr')
    line = broken.splitlines().index('    skos:definition """Sylviculture.@fr ;') + 1

    with pytest.raises(DataFileError) as caught:
        taxonomy_import_skos(actor=SteeringFactory(), text=broken, format="turtle")

    [error] = caught.value.errors
    assert error.record == f"line {line}"
    assert "unterminated string" in error.reason


def test_a_json_ld_syntax_error_names_its_line():
    text = json.dumps({"@id": "https://example.org/x", "@type": "x"}, indent=2)
    broken = text.replace('"@type"', '"@type" "oops"')

    with pytest.raises(DataFileError) as caught:
        taxonomy_import_skos(actor=SteeringFactory(), text=broken, format="json-ld")

    [error] = caught.value.errors
    assert error.record == "line 3"


def test_a_property_outside_the_profile_is_refused_by_subject_property_and_value():
    richer = PUBLISHED.replace(
        '    skos:prefLabel "Forêt"@fr ;', '    skos:prefLabel "Forêt"@fr ;\n    skos:note "N"@fr ;'
    )
    richer = richer.replace('dct:identifier "N" ;', 'dct:identifier "N", "M" ;')

    with pytest.raises(DataFileError) as caught:
        taxonomy_import_skos(actor=SteeringFactory(), text=richer, format="turtle")

    assert sorted((e.record, e.column, e.value) for e in caught.value.errors) == [
        (
            f"line {line(richer, 'ex:forest a')}, concept <https://example.org/taxonomy/forest>",
            "skos:note",
            "N",
        ),
        (
            f"line {line(richer, 'ex:namur a')}, concept <https://example.org/taxonomy/namur>",
            "dct:identifier",
            "M, N",
        ),
    ]
    assert not Term.objects.exists()


def test_the_command_and_the_back_office_print_the_warnings(tmp_path, client):
    steering = SteeringFactory()
    path = tmp_path / "published.ttl"
    path.write_text(PUBLISHED, encoding="utf-8")
    from io import StringIO

    out = StringIO()
    call_command("skos_import", str(path), actor=steering.email, stdout=out)
    printed = out.getvalue()
    # In French, the reference language: "Avertissement" is "Warning".
    assert "'Bio  '" in printed and printed.count("Avertissement") == 4
    assert "terms created 4" in printed

    client.force_login(steering)
    response = client.post(
        reverse("admin:taxonomies_taxonomy_import_skos"),
        {"file": SimpleUploadedFile("published.ttl", PUBLISHED.encode()), "format": ""},
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "“ Province de Namur ”" in content
    assert "terms unchanged: 4" in content


def test_the_json_ld_export_of_an_imported_file_imports_again_without_a_change():
    steering = SteeringFactory()
    report = taxonomy_import_skos(actor=steering, text=PUBLISHED, format="turtle")
    text = graph_serialise(taxonomies_graph(report.taxonomies, profile="full"), format="json-ld")

    again = taxonomy_import_skos(actor=steering, text=text, format="json-ld")

    assert again.written == 0 and again.audit_entries == 0


def test_the_back_office_shows_an_imported_term_with_its_spaces(client):
    steering = SteeringFactory()
    taxonomy_import_skos(actor=steering, text=PUBLISHED, format="turtle")
    client.force_login(steering)
    term = Term.objects.get(code="agriculture")

    term_page = client.get(reverse("admin:taxonomies_term_change", args=[term.pk]))
    scheme_page = client.get(reverse("admin:taxonomies_taxonomy_change", args=[term.taxonomy_id]))

    assert term_page.status_code == 200 and scheme_page.status_code == 200
    assert 'value="Agriculture "' in term_page.content.decode()
    assert "Agriculture et pêche" in term_page.content.decode()  # its extras, read only


def test_the_command_exports_both_schemes_of_the_file_as_one_file(tmp_path):
    taxonomy_import_skos(actor=SteeringFactory(), text=PUBLISHED, format="turtle")
    target = tmp_path / "again.ttl"

    call_command("skos_export", "themes", "places", output=target)

    text = target.read_text("utf-8")
    assert "@prefix dct: <http://purl.org/dc/terms/> ." in text
    assert isomorphic(Graph().parse(data=text), Graph().parse(data=PUBLISHED, format="turtle"))


def test_a_value_a_column_cannot_hold_is_refused_by_concept_and_column():
    longer = PUBLISHED.replace('dct:identifier "N" ;', f'dct:identifier "{"N" * 201}" ;')

    with pytest.raises(DataFileError) as caught:
        taxonomy_import_skos(actor=SteeringFactory(), text=longer, format="turtle")

    [error] = caught.value.errors
    assert (error.record, error.column) == (
        "concept <https://example.org/taxonomy/namur>",
        "identifier",
    )
    assert "200" in error.reason
    assert not Term.objects.exists()


def test_a_term_added_in_pilotage_to_an_imported_taxonomy_gets_the_usual_defaults(d4wta_shapes):
    steering = SteeringFactory()
    [places, themes] = taxonomy_import_skos(
        actor=steering, text=PUBLISHED, format="turtle"
    ).taxonomies
    added = term_save(
        actor=steering,
        term=Term(taxonomy=themes, code="added", label_fr="Ajouté", definition_fr="Nouveau."),
    )

    graph = taxonomies_graph([places, themes], profile="d4wta")

    concept = URIRef(added.uri or term_uri(added, themes))
    scheme = URIRef(themes.uri)
    assert (concept, SKOS.topConceptOf, scheme) in graph
    assert (scheme, SKOS.hasTopConcept, concept) in graph
    assert (concept, DCTERMS.identifier, Literal("added")) in graph
    assert (concept, OWL.versionInfo, Literal("1.0.0")) in graph
    conforms, _graph, text = validate(graph, shacl_graph=d4wta_shapes, allow_warnings=True)
    assert conforms, text


def test_a_concept_given_two_broader_concepts_is_refused():
    conflicting = PUBLISHED.replace(
        "    skos:broader ex:agriculture ;",
        "    skos:broader ex:agriculture ;\n    skos:narrower ex:namur ;",
    ).replace(
        "dct:isReplacedBy ex:organic .",
        "dct:isReplacedBy ex:organic ;\n    skos:narrower ex:organic .",
    )

    with pytest.raises(DataFileError) as caught:
        taxonomy_import_skos(actor=SteeringFactory(), text=conflicting, format="turtle")

    assert sorted((e.record, e.reason) for e in caught.value.errors) == [
        (
            f"line {line(conflicting, 'ex:organic a')}, concept <https://example.org/taxonomy/organic>",
            "has more than one broader concept (Pilotage keeps one)",
        ),
        (
            f"line {line(conflicting, 'ex:organic a')}, concept <https://example.org/taxonomy/organic>",
            "narrower concept <https://example.org/taxonomy/namur> is not in the scheme",
        ),
    ]


def test_a_refusal_in_json_ld_names_the_line_of_the_node():
    graph = Graph().parse(data=PUBLISHED, format="turtle")
    forest = URIRef("https://example.org/taxonomy/forest")
    graph.add((forest, SKOS.note, Literal("N", lang="fr")))
    text = graph_serialise(graph, format="json-ld")

    with pytest.raises(DataFileError) as caught:
        taxonomy_import_skos(actor=SteeringFactory(), text=text, format="json-ld")

    [error] = caught.value.errors
    number = int(error.record.removeprefix("line ").split(",")[0])
    assert text.splitlines()[number - 1].strip().rstrip(",") == '"@id": "ex:forest"'
    assert error.column == "skos:note"
