"""Registry imports: checked row by row, all or nothing, idempotent, dry runs write nothing."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.datafiles import DataFileError
from pilotage.registry.imports import registry_import
from pilotage.registry.models import Affiliation, Organisation, Person, Relation
from pilotage.registry.tests.factories import OrganisationFactory, enterprise_number_from
from pilotage.taxonomies.models import TermAssignment
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """Row names are translated ("ligne 2"); these tests read them in English."""
    with translation.override("en"):
        yield


GOOD = enterprise_number_from(4242)
OTHER = enterprise_number_from(4343)


@pytest.fixture
def vocabulary():
    TermFactory(taxonomy=TaxonomyFactory(code="organisation-types"), code="startup")
    TermFactory(taxonomy=TaxonomyFactory(code="provinces"), code="namur")
    TermFactory(taxonomy=TaxonomyFactory(code="technologies"), code="artificial-intelligence")


def csv_bytes(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


ORGANISATIONS = csv_bytes(
    "name;enterprise_number;type;province;founded_on;size_band;terms:technologies",
    f"Neuronale;{GOOD};startup;namur;2021-03-01;micro;artificial-intelligence",
    f"Datalab;{OTHER};startup;;;small;",
)


def test_organisations_import_with_their_terms_and_again_change_nothing(vocabulary):
    steering = SteeringFactory()
    first = registry_import(
        actor=steering, kind="organisations", name="orgs.csv", content=ORGANISATIONS
    )
    assert first.counts == {"created": 2, "updated": 0, "unchanged": 0}
    neuronale = Organisation.objects.get(enterprise_number=GOOD)
    assert neuronale.type.code == "startup" and neuronale.province.code == "namur"
    assert TermAssignment.objects.filter(object_id=neuronale.pk).count() == 1
    again = registry_import(
        actor=steering, kind="organisations", name="orgs.csv", content=ORGANISATIONS
    )
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 2}


def test_an_organisation_is_found_by_its_enterprise_number_however_typed(vocabulary):
    existing = OrganisationFactory(enterprise_number=GOOD, name="Ancien nom")
    dotted = f"BE {GOOD[:4]}.{GOOD[4:7]}.{GOOD[7:]}"
    registry_import(
        actor=SteeringFactory(),
        kind="organisations",
        name="orgs.csv",
        content=csv_bytes("name,enterprise_number", f"Nouveau nom,{dotted}"),
    )
    existing.refresh_from_db()
    assert existing.name == "Nouveau nom" and Organisation.objects.count() == 1


BROKEN = [
    ("name,enterprise_number", "Mauvais,0123456780", 2, "enterprise_number"),
    ("name,type", "Inconnu,spaceship", 2, "type"),
    ("name,terms:technologies", "Tagguée,quantum-magic", 2, "terms:technologies"),
    (
        "name,enterprise_number",
        f"Un,{GOOD}\nDeux,{GOOD}",
        3,
        "enterprise_number",
    ),
    ("name,founded_on", "Datée,2021-02-30", 2, "founded_on"),
]


@pytest.mark.parametrize(("header", "body", "row", "column"), BROKEN)
def test_a_bad_row_is_reported_with_row_and_column_and_nothing_is_written(
    vocabulary, header, body, row, column
):
    content = csv_bytes(header, "Première correcte" + "," * header.count(","), body)
    with pytest.raises(DataFileError) as refused:
        registry_import(
            actor=SteeringFactory(), kind="organisations", name="bad.csv", content=content
        )
    problems = [(p.file, p.record, p.column) for p in refused.value.errors]
    assert ("bad.csv", f"row {row + 1}", column) in problems
    assert not Organisation.objects.exists()


def test_relations_to_missing_records_are_refused(vocabulary):
    member = OrganisationFactory(code="MEMBRE")
    content = csv_bytes(
        "organisation,kind,target,start_date",
        "MEMBRE,member_of,NO-SUCH-CLUSTER,2024-01-01",
        "NOBODY,member_of,MEMBRE,2024-01-01",
        "MEMBRE,sponsored_by,MEMBRE,2024-01-01",
    )
    with pytest.raises(DataFileError) as refused:
        registry_import(actor=SteeringFactory(), kind="relations", name="rel.csv", content=content)
    assert {(p.record, p.column) for p in refused.value.errors} == {
        ("row 2", "target"),
        ("row 3", "organisation"),
        ("row 4", "kind"),
    }
    assert not Relation.objects.filter(organisation=member).exists()


def test_relations_and_persons_import_and_persons_refuse_display_unless_they_agree(vocabulary):
    steering = SteeringFactory()
    cluster, member = OrganisationFactory(code="CLUSTER"), OrganisationFactory(code="MEMBRE")
    registry_import(
        actor=steering,
        kind="relations",
        name="rel.csv",
        content=csv_bytes(
            "organisation,kind,target,start_date", "MEMBRE,member_of,CLUSTER,2024-01-01"
        ),
    )
    assert Relation.objects.get().target_organisation == cluster
    registry_import(
        actor=steering,
        kind="persons",
        name="persons.csv",
        content=csv_bytes(
            "code,given_name,family_name,display_refusal,organisation",
            "p1,Alice,Accord,no,MEMBRE",
            "p2,Bob,Silence,,MEMBRE",
        ),
    )
    assert Person.objects.get(code="p1").display_refusal is False
    assert Person.objects.get(code="p2").display_refusal is True  # no answer: not shown
    assert Affiliation.objects.filter(organisation=member).count() == 2


def test_a_dry_run_reports_and_writes_nothing_and_only_steering_imports(vocabulary, tmp_path):
    steering = SteeringFactory(email="pilote@example.org")
    report = registry_import(
        actor=steering, kind="organisations", name="orgs.csv", content=ORGANISATIONS, dry_run=True
    )
    assert report.count("created") == 2 and not Organisation.objects.exists()
    with pytest.raises(Exception, match="steering"):
        registry_import(
            actor=PartnerEditorFactory(), kind="organisations", name="o.csv", content=ORGANISATIONS
        )
    path = tmp_path / "orgs.csv"
    path.write_bytes(ORGANISATIONS)
    out = io.StringIO()
    call_command("registry_import", "organisations", str(path), actor=steering.email, stdout=out)
    assert "2 were created" in out.getvalue()
    assert Organisation.objects.filter(enterprise_number__in=[GOOD, OTHER]).count() == 2
    path.write_bytes(csv_bytes("name,type", "X,spaceship"))
    with pytest.raises(CommandError, match="row 2"):
        call_command("registry_import", "organisations", str(path), actor=steering.email)


def test_an_xlsx_file_imports_like_its_csv(vocabulary):
    workbook = Workbook()
    sheet = workbook.active
    for line in ORGANISATIONS.decode().strip().splitlines():
        sheet.append(line.split(";"))
    content = io.BytesIO()
    workbook.save(content)
    report = registry_import(
        actor=SteeringFactory(), kind="organisations", name="orgs.xlsx", content=content.getvalue()
    )
    assert report.count("created") == 2
    assert Organisation.objects.get(enterprise_number=GOOD).province.code == "namur"
