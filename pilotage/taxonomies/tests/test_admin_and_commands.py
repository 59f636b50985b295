"""SKOS through the back-office and the command line."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from rdflib import Graph

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.taxonomies.models import Taxonomy, Term

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(standards_dir) -> bytes:
    return (standards_dir / "d4wta-ap-1.0.0" / "example-rdf_taxonomy.ttl").read_bytes()


def test_steering_staff_import_a_skos_file_in_the_back_office(client, example):
    client.force_login(SteeringFactory())
    url = reverse("admin:taxonomies_taxonomy_import_skos")

    response = client.post(url, {"file": SimpleUploadedFile("taxo.ttl", example), "format": ""})

    assert response.status_code == 302
    assert Taxonomy.objects.get(code="digital-wallonia").terms.count() == 3


def test_a_bad_upload_lists_its_problems_and_imports_nothing(client, example):
    client.force_login(SteeringFactory())
    broken = example.replace(b"skos:broader d4wta:services", b"skos:broader d4wta:nowhere")

    response = client.post(
        reverse("admin:taxonomies_taxonomy_import_skos"),
        {"file": SimpleUploadedFile("taxo.ttl", broken), "format": "turtle"},
    )

    assert response.status_code == 200
    assert "nowhere" in response.content.decode()
    assert not Term.objects.exists()


def test_partner_editors_cannot_import(client, example):
    client.force_login(PartnerEditorFactory())
    response = client.post(
        reverse("admin:taxonomies_taxonomy_import_skos"),
        {"file": SimpleUploadedFile("taxo.ttl", example)},
    )
    assert response.status_code == 403
    assert not Taxonomy.objects.exists()


def test_the_admin_exports_one_taxonomy_as_turtle(client, shipped_data):
    client.force_login(SteeringFactory())
    provinces = Taxonomy.objects.get(code="provinces")

    response = client.post(
        reverse("admin:taxonomies_taxonomy_changelist"),
        {"action": "export_turtle", "_selected_action": [provinces.pk]},
    )

    assert response["Content-Disposition"] == 'attachment; filename="provinces.ttl"'
    graph = Graph().parse(data=response.content.decode(), format="turtle")
    assert len(set(graph.subjects())) >= provinces.terms.count()


def test_command_line_export_and_import_round_trip(tmp_path, shipped_data, capsys):
    target = tmp_path / "audiences.jsonld"
    call_command("skos_export", "target-audiences", format="json-ld", profile="full", output=target)
    before = {(t.code, t.label_nl) for t in Term.objects.filter(taxonomy__code="target-audiences")}
    Term.objects.filter(taxonomy__code="target-audiences").update(label_nl="")
    steering = SteeringFactory()

    call_command("skos_import", str(target), actor=steering.email)

    after = {(t.code, t.label_nl) for t in Term.objects.filter(taxonomy__code="target-audiences")}
    assert after == before


def test_command_line_import_refuses_a_reader(tmp_path, example):
    path = tmp_path / "x.ttl"
    path.write_bytes(example)
    with pytest.raises(CommandError):
        call_command("skos_import", str(path), actor=PartnerEditorFactory().email)
