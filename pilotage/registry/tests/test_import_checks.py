"""Registry imports never round, never clear what the file does not give, and never guess
which organisation a row means: each accepted file stores exactly these values, each
refused one writes nothing."""

from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.core.datafiles import DataFileError
from pilotage.core.uploads import UPLOAD_MAX_BYTES
from pilotage.registry.imports import registry_import
from pilotage.registry.models import Organisation, Person, Relation
from pilotage.registry.tests.factories import OrganisationFactory, enterprise_number_from
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db
FIRST, SECOND = enterprise_number_from(4242), enterprise_number_from(4343)


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def vocabulary():
    TermFactory(taxonomy=TaxonomyFactory(code="organisation-types"), code="startup")
    TermFactory(taxonomy=TaxonomyFactory(code="provinces"), code="namur")


@pytest.fixture
def steering():
    return SteeringFactory()


def run(steering, kind: str, *lines: str):
    content = ("\n".join(lines) + "\n").encode()
    return registry_import(actor=steering, kind=kind, name="f.csv", content=content)


def refused(steering, kind: str, *lines: str) -> list[tuple]:
    with pytest.raises(DataFileError) as caught:
        run(steering, kind, *lines)
    return [(e.record, e.column, e.value, e.reason) for e in caught.value.errors]


def snapshot() -> list[tuple]:
    return sorted(
        Organisation.objects.values_list(
            "code", "name", "enterprise_number", "street", "latitude", "type__code"
        )
    )


def test_a_relation_amount_with_more_than_cents_is_refused_never_rounded(steering):
    OrganisationFactory(code="a")
    OrganisationFactory(code="b")

    ((record, column, value, reason),) = refused(
        steering,
        "relations",
        "organisation;kind;target;amount",
        "a;member_of;b;1234,567",
    )

    assert (record, column, value) == ("row 2", "amount", "1234,567")
    assert "3 decimal places" in reason
    assert not Relation.objects.exists()
    run(steering, "relations", "organisation;kind;target;amount", "a;member_of;b;1234,5600")
    assert Relation.objects.get().amount == D("1234.56")


@pytest.mark.parametrize("latitude", ["50,4669123", "1" * 29, "1" * 40 + ",5"])
def test_coordinates_the_field_cannot_keep_are_refused_by_name(vocabulary, steering, latitude):
    problems = refused(
        steering,
        "organisations",
        "name;enterprise_number;latitude;longitude",
        f"Neuronale;{FIRST};{latitude};4,8719",
    )

    assert [problem[:3] for problem in problems] == [("row 2", "latitude", latitude)]
    assert not Organisation.objects.exists()


def test_a_file_without_a_column_leaves_what_is_stored_in_it(vocabulary, steering):
    run(
        steering,
        "organisations",
        "name;enterprise_number;type;street;postcode;locality;latitude;longitude;province",
        f"Neuronale;{FIRST};startup;Rue de Fer 1;5000;Namur;50,4669;4,8719;namur",
    )

    report = run(steering, "organisations", "name;enterprise_number", f"Neuronale SA;{FIRST}")

    organisation = Organisation.objects.select_related("type", "province").get()
    assert (
        organisation.name,
        organisation.street,
        organisation.postcode,
        organisation.locality,
        organisation.latitude,
        organisation.longitude,
        organisation.type.code,
        organisation.province.code,
    ) == (
        "Neuronale SA",
        "Rue de Fer 1",
        "5000",
        "Namur",
        D("50.4669"),
        D("4.8719"),
        "startup",
        "namur",
    )
    (row,) = report.rows
    assert row.changes == {"name": ("Neuronale", "Neuronale SA")}


def test_a_person_file_without_the_refusal_column_keeps_the_consent(steering):
    run(
        steering,
        "persons",
        "code;given_name;family_name;email;display_refusal",
        "p1;Ana;Lo;ana@x.be;no",
    )
    run(steering, "persons", "code;given_name", "p1;Anna")
    run(steering, "persons", "code;given_name;family_name", "p2;Bob;Lo")

    stored = dict(Person.objects.values_list("code", "display_refusal"))
    assert stored == {"p1": False, "p2": True}  # a new person refuses until told
    assert Person.objects.get(code="p1").email == "ana@x.be"


def test_a_header_that_is_no_column_is_named_in_the_report(vocabulary, steering):
    report = run(
        steering,
        "organisations",
        "name;enterprise_number;adresse;terms:technologies",
        f"Neuronale;{FIRST};Rue de Fer 1;",
    )

    assert report.notes == ["Columns not read (not a column this import knows): 'adresse'."]


def test_a_code_twice_in_the_file_is_refused_naming_both_rows(vocabulary, steering):
    problems = refused(
        steering,
        "organisations",
        "code;name;enterprise_number",
        f"neuro;Neuronale;{FIRST}",
        f"neuro;Neuro bis;{SECOND}",
    )

    assert [problem[:3] for problem in problems] == [("row 3", "code", "neuro")]
    assert "row 2" in problems[0][3]
    assert not Organisation.objects.exists()


def test_a_new_organisation_named_like_a_stored_one_is_refused_not_merged(vocabulary, steering):
    OrganisationFactory(code="cpas", name="CPAS", street="Rue Haute 1")
    before = snapshot()

    ((record, column, _value, reason),) = refused(
        steering, "organisations", "name;street", "CPAS;Rue Basse 2"
    )

    assert (record, column) == ("row 2", "code")
    assert "cpas" in reason and "give this row a code" in reason
    assert snapshot() == before
    run(steering, "organisations", "code;name;street", "cpas-namur;CPAS;Rue Basse 2")
    assert sorted(Organisation.objects.values_list("code", "street")) == [
        ("cpas", "Rue Haute 1"),
        ("cpas-namur", "Rue Basse 2"),
    ]


def test_a_number_of_one_organisation_with_the_code_of_another_is_refused(vocabulary, steering):
    OrganisationFactory(code="a", enterprise_number=FIRST)
    OrganisationFactory(code="b", enterprise_number=SECOND)
    before = snapshot()

    ((record, column, _value, reason),) = refused(
        steering, "organisations", "code;name;enterprise_number", f"b;Bee;{FIRST}"
    )

    assert (record, column) == ("row 2", "code")
    assert FIRST in reason and "a's" in reason and "b's" in reason
    assert snapshot() == before


def test_a_person_code_twice_in_the_file_is_refused(steering):
    problems = refused(steering, "persons", "code;given_name;family_name", "p1;Ana;Lo", "p1;Bob;Lo")

    assert [problem[:3] for problem in problems] == [("row 3", "code", "p1")]
    assert not Person.objects.exists()


def test_the_back_office_refuses_a_file_over_the_limit_before_reading_it(client):
    client.force_login(SteeringFactory())
    url = reverse("admin:registry_organisation_import")
    big = SimpleUploadedFile("big.csv", b"name\n" + b"x" * UPLOAD_MAX_BYTES)

    page = client.post(url, {"kind": "organisations", "file": big, "check": "1"})

    assert page.status_code == 200
    (message,) = page.context["form"].errors["file"]
    assert "big.csv" in message and "at most 10.0\xa0MB" in message
    assert page.context["report"] is None and not Organisation.objects.exists()


def test_the_upload_limit_is_a_setting(client, settings):
    settings.PILOTAGE_UPLOAD_MAX_BYTES = 100
    client.force_login(SteeringFactory())
    url = reverse("admin:budgets_budgetline_import")
    big = SimpleUploadedFile("b.csv", b"code;strategy;source;amount\n" + b"x" * 100)

    page = client.post(url, {"file": big, "check": "1"})

    (message,) = page.context["form"].errors["file"]
    assert "at most 100\xa0bytes" in message
