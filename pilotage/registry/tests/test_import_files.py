"""Registry files as Belgian administrations save them: each accepted file stores exactly
these values, each refused one writes nothing, and a second identical import adds no
audit entry. The files are built here with the libraries that write them."""

import datetime
import io
from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.datafiles import DataFileError, upsert
from pilotage.core.models import Change
from pilotage.registry.imports import registry_import
from pilotage.registry.models import Organisation, Person, RegistryChange, Relation
from pilotage.registry.tests.factories import OrganisationFactory, enterprise_number_from
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db
NBSP = "\u00a0"
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


def stored() -> dict[str, tuple]:
    return {
        o.enterprise_number: (
            o.name,
            o.locality,
            o.postcode,
            o.latitude,
            o.longitude,
            o.founded_on,
            o.province.code if o.province else "",
            o.description_fr or "",
        )
        for o in Organisation.objects.select_related("province")
    }


def xlsx(*sheets: tuple[str, list[list]], active: int = 0) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.active = active
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def organisations(steering, content: bytes, name: str = "orgs.csv", **options):
    return registry_import(
        actor=steering, kind="organisations", name=name, content=content, **options
    )


def test_excel_csv_in_windows_1252_with_accents(vocabulary, steering):
    text = (
        "nom;numéro d'entreprise;localité;code postal;latitude;longitude;fondée le;description\r\n"
        f"Société d'Électronique;{FIRST};Namur;5000;50,4669;4,8675;01/07/2021;Créée à Namur\r\n"
        f"Brasserie Ça Mousse;{SECOND};Liège;4000;;;2019-03-15;\r\n"
    )
    report = organisations(steering, text.encode("cp1252"))

    assert report.counts == {"created": 2, "updated": 0, "unchanged": 0}
    assert any("Windows-1252" in note for note in report.notes)
    assert stored() == {
        FIRST: (
            "Société d'Électronique",
            "Namur",
            "5000",
            D("50.466900"),
            D("4.867500"),
            datetime.date(2021, 7, 1),
            "namur",  # the province its point lies in
            "Créée à Namur",
        ),
        SECOND: (
            "Brasserie Ça Mousse",
            "Liège",
            "4000",
            None,
            None,
            datetime.date(2019, 3, 15),
            "",
            "",
        ),
    }


def test_a_title_block_and_blank_lines(vocabulary, steering):
    text = (
        "Registre des entreprises\n"
        "Extrait du 1er mars\n"
        "\n"
        "name,enterprise_number,type\n"
        "\n"
        f"Neuronale,{FIRST},startup\n"
        ",,\n"
        f"Datalab,{SECOND},\n"
    )
    report = organisations(steering, text.encode())

    assert report.counts["created"] == 2
    assert any("row 4" in note for note in report.notes)
    assert dict(Organisation.objects.values_list("name", "type__code")) == {
        "Neuronale": "startup",
        "Datalab": None,
    }


@pytest.mark.parametrize(
    "content",
    [
        "naam;ondernemingsnummer;plaats;breedtegraad;lengtegraad;opgericht op\n"
        f"Neuronale;{FIRST};Namen;50,4669;4,8675;01.07.2021\n",
        "Name\tUnternehmensnummer\tOrt\tBreitengrad\tLängengrad\tgegründet am\n"
        f"Neuronale\t{FIRST}\tNamen\t50.4669\t4.8675\t2021-07-01\n",
    ],
    ids=["nl", "de"],
)
def test_headers_in_dutch_and_german(vocabulary, steering, content):
    organisations(steering, content.encode())
    assert stored() == {
        FIRST: (
            "Neuronale",
            "Namen",
            "",
            D("50.466900"),
            D("4.867500"),
            datetime.date(2021, 7, 1),
            "namur",
            "",
        )
    }


XLSX_ORGANISATIONS = [
    ["name", "enterprise_number", "postcode", "latitude", "longitude", "founded_on"],
    # Excel drops the enterprise number's leading 0 and types the rest.
    ["Neuronale", int(FIRST), 5000, 50.4669, 4.8675, datetime.datetime(2021, 7, 1)],
]


def test_an_xlsx_whose_active_sheet_is_the_instructions(vocabulary, steering):
    assert FIRST.startswith("0")
    content = xlsx(
        ("Lisez-moi", [["Remplissez la feuille Organisations"]]),
        ("Organisations", XLSX_ORGANISATIONS),
    )
    report = organisations(steering, content, name="orgs.xlsx")

    assert any("Organisations" in note for note in report.notes)
    assert stored() == {
        FIRST: (
            "Neuronale",
            "",
            "5000",
            D("50.466900"),
            D("4.867500"),
            datetime.date(2021, 7, 1),
            "namur",
            "",
        )
    }


def test_relation_amounts_with_no_break_spaces_and_an_ambiguous_one_refused(steering):
    OrganisationFactory(code="CLUSTER"), OrganisationFactory(code="MEMBRE")
    good = (
        "organisation;kind;target;start_date;amount\n"
        f"MEMBRE;member_of;CLUSTER;2024-01-01;1{NBSP}234,5\n"
        f"CLUSTER;member_of;MEMBRE;01/02/2024;2{NBSP}000\n"
    )
    registry_import(actor=steering, kind="relations", name="rel.csv", content=good.encode())
    assert set(Relation.objects.values_list("organisation__code", "start_date", "amount")) == {
        ("MEMBRE", datetime.date(2024, 1, 1), D("1234.50")),
        ("CLUSTER", datetime.date(2024, 2, 1), D("2000.00")),
    }

    Relation.objects.all().delete()
    ambiguous = "organisation;kind;target;amount\nMEMBRE;member_of;CLUSTER;1.234\n"
    with pytest.raises(DataFileError) as refused:
        registry_import(
            actor=steering, kind="relations", name="rel.csv", content=ambiguous.encode()
        )
    (problem,) = refused.value.errors
    assert (problem.record, problem.column, problem.value) == ("row 2", "amount", "1.234")
    assert "1234" in problem.reason and "1.234" in problem.reason
    assert not Relation.objects.exists()


def test_a_formula_without_a_saved_value_is_refused_by_its_cell(vocabulary, steering):
    content = xlsx(
        (
            "Organisations",
            [
                ["name", "enterprise_number", "latitude", "longitude"],
                ["Neuronale", FIRST, 50.4669, 4.8675],
                ["Datalab", SECOND, "=C2+0.1", 4.8675],
            ],
        )
    )
    with pytest.raises(DataFileError) as refused:
        organisations(steering, content, name="orgs.xlsx")

    (problem,) = refused.value.errors
    assert (problem.sheet, problem.record, problem.column) == ("Organisations", "row 3", "latitude")
    assert "C3" in problem.reason
    assert not Organisation.objects.exists()


SAME = (
    "name;enterprise_number;latitude;longitude;description;terms:technologies\n"
    f"Neuronale;{FIRST};50,4669;4,8675;Jeune pousse;ai\n"
    f"Datalab;{SECOND};;;;\n"
)


def test_a_second_identical_import_adds_no_audit_entry_in_csv_or_xlsx(vocabulary, steering):
    TermFactory(taxonomy=TaxonomyFactory(code="technologies"), code="ai")
    organisations(steering, SAME.encode())
    registry_import(
        actor=steering,
        kind="persons",
        name="persons.csv",
        content=f"code;given_name;family_name;organisation\np1;Alice;Accord;{FIRST}\n".encode(),
    )
    counted = (LogEntry.objects.count(), Change.objects.count(), RegistryChange.objects.count())

    again = organisations(steering, SAME.encode())
    from_xlsx = organisations(
        steering,
        xlsx(
            (
                "Organisations",
                [
                    [*SAME.splitlines()[0].split(";")],
                    ["Neuronale", int(FIRST), 50.4669, 4.8675, "Jeune pousse", "ai"],
                    ["Datalab", SECOND, None, None, None, None],
                ],
            )
        ),
        name="orgs.xlsx",
    )
    persons = registry_import(
        actor=steering,
        kind="persons",
        name="persons.csv",
        content=f"code;given_name;family_name;organisation\np1;Alice;Accord;{FIRST}\n".encode(),
    )

    assert again.counts == from_xlsx.counts == {"created": 0, "updated": 0, "unchanged": 2}
    assert persons.counts == {"created": 0, "updated": 0, "unchanged": 1}
    assert (
        LogEntry.objects.count(),
        Change.objects.count(),
        RegistryChange.objects.count(),
    ) == counted


def test_a_record_stored_elsewhere_is_left_alone_and_a_real_change_is_reported(
    vocabulary, steering
):
    # As the back-office or a data file stored it: six places, empty translations as None.
    existing = OrganisationFactory(
        code="NEURO",
        name="Neuronale",
        enterprise_number=FIRST,
        latitude=D("50.4669"),
        longitude=D("4.8675"),
        description_nl=None,
    )
    existing.province = None
    existing.save()
    entries = LogEntry.objects.count()
    content = (
        "code;name;enterprise_number;latitude;longitude;province\n"
        f"NEURO;Neuronale;{FIRST};50,466900;4,8675;\n"
    )

    assert organisations(steering, content.encode()).counts["unchanged"] == 0  # the province
    existing.refresh_from_db()
    assert existing.province.code == "namur"
    entries = LogEntry.objects.count()
    assert organisations(steering, content.encode()).counts["unchanged"] == 1
    assert LogEntry.objects.count() == entries

    moved = organisations(steering, content.replace("50,466900", "50,4670").encode())
    (row,) = moved.rows
    assert (row.action, row.changes) == ("updated", {"latitude": ("50.4669", "50.467")})
    entry = LogEntry.objects.get_for_object(existing).order_by("-pk").first()
    assert entry.changes_dict == {"latitude": ["50.466900", "50.467000"]}
    assert LogEntry.objects.count() == entries + 1


def test_the_data_files_upsert_writes_nothing_for_the_same_values_normalised(vocabulary):
    values = {
        "name": "Neuronale",
        "latitude": D("50.4669"),
        "longitude": D("4.8675"),
        "description_fr": "Jeune pousse",
        "description_nl": "",
        "website": None,
    }
    record, status = upsert(Organisation, {"code": "NEURO"}, values)
    assert status == "created"
    record.refresh_from_db()
    assert (record.latitude, record.website, record.description_nl) == (D("50.466900"), "", "")
    Organisation.objects.filter(pk=record.pk).update(description_nl=None)
    entries = LogEntry.objects.count()

    assert upsert(Organisation, {"code": "NEURO"}, values)[1] == "unchanged"
    assert upsert(Organisation, {"code": "NEURO"}, {**values, "latitude": 50.4669})[1] == (
        "unchanged"
    )
    assert LogEntry.objects.count() == entries


def test_the_back_office_checks_then_imports_the_checked_file(vocabulary, client):
    url = reverse("admin:registry_organisation_import")
    client.force_login(SteeringFactory())
    listing = client.get(reverse("admin:registry_organisation_changelist"))
    assert url in listing.content.decode()

    content = f"name;enterprise_number\nNeuronale;{FIRST}\n".encode("cp1252")
    checked = client.post(
        url,
        {"kind": "organisations", "file": SimpleUploadedFile("o.csv", content), "check": "1"},
    )
    assert checked.context["report"].counts == {"created": 1, "updated": 0, "unchanged": 0}
    assert "Neuronale" not in dict(Organisation.objects.values_list("name", "code"))
    assert "Import the checked file" in checked.content.decode()

    done = client.post(url, {"import_checked": checked.context["checked"]})
    assert done.status_code == 302
    assert Organisation.objects.get(enterprise_number=FIRST).name == "Neuronale"

    refused = client.post(
        url,
        {
            "kind": "persons",
            "file": SimpleUploadedFile("p.csv", b"code;organisation\np1;NOBODY\n"),
            "check": "1",
        },
    )
    (problem,) = refused.context["problems"]
    assert (problem.file, problem.record, problem.column, problem.value) == (
        "p.csv",
        "row 2",
        "organisation",
        "NOBODY",
    )
    assert not Person.objects.exists()
    assert client.post(url, {"import_checked": "forged"}).context["problems"]

    client.force_login(PartnerEditorFactory())
    assert client.get(url).status_code == 403
    assert client.post(url, {"import_checked": checked.context["checked"]}).status_code == 403


def test_the_command_dry_run_lists_what_would_change(vocabulary, steering, tmp_path):
    path = tmp_path / "orgs.csv"
    path.write_bytes(SAME.replace(";ai", ";").encode("cp1252"))
    call_command(
        "registry_import", "organisations", str(path), actor=steering.email, stdout=io.StringIO()
    )
    path.write_bytes(SAME.replace(";ai", ";").replace("Datalab", "Datalab SA").encode())
    out = io.StringIO()
    call_command(
        "registry_import",
        "organisations",
        str(path),
        actor=steering.email,
        dry_run=True,
        stdout=out,
    )
    assert f"row 3 (BE{SECOND}): updated: name: 'Datalab' → 'Datalab SA'" in out.getvalue()
    assert "0 would be created, 1 would be updated, 1 would be unchanged." in out.getvalue()
    assert Organisation.objects.get(enterprise_number=SECOND).name == "Datalab"
