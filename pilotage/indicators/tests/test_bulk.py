"""Bulk import of observations: every row checked, all or nothing, locked periods refused."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.utils import translation

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.datafiles import DataFileError
from pilotage.indicators.bulk import observations_import, observations_import_csv
from pilotage.indicators.models import Observation, ObservationImport
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def write(tmp_path, text: str):
    path = tmp_path / "values.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_is_imported_and_recorded(tmp_path):
    steering = SteeringFactory()
    IndicatorFactory(code="A")
    IndicatorFactory(code="B")
    path = write(
        tmp_path,
        "indicator,period_start,period_end,value,comment\n"
        "A,2026-01-01,2026-03-31,12.5,first\n"
        'B,2026-01-01,2026-03-31,"7,25",\n',
    )

    assert observations_import_csv(actor=steering, name="values.csv", path=path) == 2

    values = dict(Observation.objects.values_list("indicator__code", "value"))
    assert values == {"A": D("12.5"), "B": D("7.25")}
    assert set(Observation.objects.values_list("state", flat=True)) == {State.SUBMITTED}
    assert ObservationImport.objects.get().rows == 2


def test_every_bad_row_is_reported_and_nothing_written(tmp_path):
    IndicatorFactory(code="A")
    path = write(
        tmp_path,
        "indicator,period_start,period_end,value\n"
        "A,2026-01-01,2026-03-31,1\n"
        "NOPE,2026-01-01,2026-03-31,1\n"
        "A,31/02/2026,2026-03-31,1\n"
        "A,2026-04-01,2026-06-30,douze\n"
        "A,2026-01-01,2026-03-31,2\n",
    )

    with pytest.raises(DataFileError) as caught:
        observations_import_csv(actor=SteeringFactory(), name="values.csv", path=path)

    found = [(e.record, e.column) for e in caught.value.errors]
    assert found == [
        ("row 3", "indicator"),
        ("row 4", "period_start"),
        ("row 5", "value"),
        ("row 6", "indicator"),
    ]
    assert not Observation.objects.exists()


def test_a_locked_period_refuses_the_file(tmp_path):
    indicator = IndicatorFactory(code="A")
    ObservationFactory(
        indicator=indicator,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        state=State.VALIDATED,
        value=D(1),
    )
    path = write(tmp_path, "indicator,period_start,period_end,value\nA,2026-01-01,2026-03-31,9\n")

    with pytest.raises(DataFileError, match="locked"):
        observations_import_csv(actor=SteeringFactory(), name="values.csv", path=path)
    assert Observation.objects.get().value == D(1)


def test_a_partner_imports_only_its_own_indicators(tmp_path):
    partner = PartnerEditorFactory()
    IndicatorFactory(code="OWN", action__lead=partner.organisation)
    IndicatorFactory(code="THEIRS")
    path = write(
        tmp_path,
        "indicator,period_start,period_end,value\nOWN,2026-01-01,2026-03-31,1\nTHEIRS,2026-01-01,2026-03-31,1\n",
    )
    with pytest.raises(DataFileError) as caught:
        observations_import_csv(actor=partner, name="values.csv", path=path)
    assert [e.record for e in caught.value.errors] == ["row 3"]


# --- files as Belgian Excel and LibreOffice save them ---------------------------------

Q1 = (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))


def stored() -> dict:
    return {
        (code, start, end): value
        for code, start, end, value in Observation.objects.values_list(
            "indicator__code", "period_start", "period_end", "value"
        )
    }


def write_bytes(tmp_path, name: str, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def workbook_bytes(build) -> bytes:
    import io

    from openpyxl import Workbook

    workbook = Workbook()
    build(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_excel_csv_semicolon_in_windows_1252_with_a_title_block_and_decimal_commas(tmp_path):
    IndicatorFactory(code="LEVÉES")
    IndicatorFactory(code="B")
    IndicatorFactory(code="C")
    text = (
        "Valeurs du premier trimestre;;;;\r\n"
        "\r\n"
        "Indicateur;Début;Fin;Valeur;Commentaire;;\r\n"
        "LEVÉES;01/01/2026;31/03/2026;1.234;reçu;;\r\n"
        "\r\n"
        "B;2026-01-01;46112;12,5;;;\r\n"
        "C;2026-01-01;2026-03-31;7;;;\r\n"
    )
    path = write_bytes(tmp_path, "valeurs.csv", text.encode("cp1252"))

    report = observations_import(actor=SteeringFactory(), name="valeurs.csv", path=path)

    # "12,5" shows the decimal comma, so "1.234" is a thousand two hundred and thirty-four.
    assert stored() == {("LEVÉES", *Q1): D("1234"), ("B", *Q1): D("12.5"), ("C", *Q1): D("7")}
    assert Observation.objects.get(indicator__code="LEVÉES").comment == "reçu"
    assert report.counts == {"created": 3, "updated": 0, "unchanged": 0}
    assert any("Windows-1252" in note for note in report.notes)
    assert any("row 3" in note for note in report.notes)


def test_a_number_only_the_decimal_mark_settles_is_refused_with_both_readings(tmp_path):
    IndicatorFactory(code="A")
    path = write(
        tmp_path, "indicator,period_start,period_end,value\nA,2026-01-01,2026-03-31,1.234\n"
    )

    with pytest.raises(DataFileError) as caught:
        observations_import(actor=SteeringFactory(), name="values.csv", path=path)

    (error,) = caught.value.errors
    assert (error.record, error.column, error.value) == ("row 2", "value", "1.234")
    assert "1234" in error.reason and "1.234" in error.reason
    assert not Observation.objects.exists()


def test_dutch_headers_and_a_dot_decimal_file(tmp_path):
    IndicatorFactory(code="A")
    IndicatorFactory(code="B")
    path = write(
        tmp_path,
        "Indicator\tBegin\tEinde\tWaarde\n"
        "A\t01.01.2026\t31.03.2026\t1.234\n"
        "B\t2026-01-01\t2026-03-31\t0.5\n",
    )

    observations_import(actor=SteeringFactory(), name="values.csv", path=path)

    assert stored() == {("A", *Q1): D("1.234"), ("B", *Q1): D("0.5")}


def test_percentages_by_the_indicators_unit_and_values_the_table_cannot_hold(tmp_path):
    from pilotage.indicators.models import Measure

    IndicatorFactory(code="SHARE", measure=Measure.PERCENTAGE, unit="%")
    IndicatorFactory(code="COUNT", unit="entreprises")
    IndicatorFactory(code="FLAG", measure=Measure.BOOLEAN)
    refused = write(
        tmp_path,
        "indicator;period_start;period_end;value\n"
        "COUNT;2026-01-01;2026-03-31;45 %\n"
        "FLAG;2026-01-01;2026-03-31;2\n"
        "SHARE;2026-01-01;2026-03-31;12,34567\n",
    )
    with pytest.raises(DataFileError) as caught:
        observations_import(actor=SteeringFactory(), name="values.csv", path=refused)
    assert [(e.record, e.column) for e in caught.value.errors] == [
        ("row 2", "value"),
        ("row 3", "value"),
        ("row 4", "value"),
    ]
    assert "percentage" in caught.value.errors[0].reason
    assert "4 decimal places" in caught.value.errors[2].reason
    assert not Observation.objects.exists()

    accepted = write(
        tmp_path,
        "indicator;period_start;period_end;value\n"
        "SHARE;2026-01-01;2026-03-31;45,5 %\n"
        "FLAG;2026-01-01;2026-03-31;1\n",
    )
    observations_import(actor=SteeringFactory(), name="values.csv", path=accepted)
    assert stored() == {("SHARE", *Q1): D("45.5"), ("FLAG", *Q1): D("1")}


def test_xlsx_behind_an_instructions_sheet_with_percent_and_date_cells(tmp_path):
    from pilotage.indicators.models import Measure

    IndicatorFactory(code="SHARE", measure=Measure.PERCENTAGE, unit="%")
    IndicatorFactory(code="COUNT")

    def build(workbook):
        workbook.active.title = "Mode d'emploi"
        workbook.active.append(["Remplissez la feuille Valeurs."])
        sheet = workbook.create_sheet("Valeurs")
        sheet.append(["indicateur", "début", "fin", "valeur"])
        sheet.append(["SHARE", *Q1, 0.45])
        sheet["D2"].number_format = "0%"
        sheet.append(["COUNT", 46023, 46112, 1234])  # Excel serial numbers

    path = write_bytes(tmp_path, "values.xlsx", workbook_bytes(build))
    report = observations_import(actor=SteeringFactory(), name="values.xlsx", path=path)

    assert stored() == {("SHARE", *Q1): D("45"), ("COUNT", *Q1): D("1234")}
    assert any("Valeurs" in note for note in report.notes)


def test_a_formula_without_its_saved_value_is_refused_by_cell(tmp_path):
    IndicatorFactory(code="A")

    def build(workbook):
        sheet = workbook.active
        sheet.title = "Data"
        sheet.append(["indicator", "period_start", "period_end", "value"])
        sheet.append(["A", *Q1, "=2*21"])

    path = write_bytes(tmp_path, "values.xlsx", workbook_bytes(build))
    with pytest.raises(DataFileError) as caught:
        observations_import(actor=SteeringFactory(), name="values.xlsx", path=path)

    (error,) = caught.value.errors
    assert (error.sheet, error.record, error.column) == ("Data", "row 2", "value")
    assert "D2" in error.reason
    assert not Observation.objects.exists()


def test_a_second_import_writes_nothing_and_a_dry_run_shows_before_and_after(tmp_path):
    IndicatorFactory(code="A")
    IndicatorFactory(code="B")
    steering = SteeringFactory()
    first = write(
        tmp_path,
        "indicator,period_start,period_end,value,comment\n"
        "A,2026-01-01,2026-03-31,12.5,x\nB,2026-01-01,2026-03-31,3,\n",
    )
    observations_import(actor=steering, name="values.csv", path=first)
    written = dict(Observation.objects.values_list("indicator__code", "updated_at"))

    again = observations_import(actor=steering, name="values.csv", path=first)

    assert again.counts == {"created": 0, "updated": 0, "unchanged": 2}
    assert dict(Observation.objects.values_list("indicator__code", "updated_at")) == written

    changed = write(
        tmp_path,
        "indicator,period_start,period_end,value,comment\n"
        'A,2026-01-01,2026-03-31,"12,50",x\nB,2026-01-01,2026-03-31,4,\n'
        "A,2026-04-01,2026-06-30,1,\n",
    )
    plan = observations_import(actor=steering, name="values.csv", path=changed, dry_run=True)

    assert plan.counts == {"created": 1, "updated": 1, "unchanged": 1}
    assert [(row.record, row.key, row.changes) for row in plan.rows] == [
        ("row 3", "B", {"value": ("3", "4")})
    ]
    assert Observation.objects.count() == 2
    assert Observation.objects.get(indicator__code="B").value == D(3)


def test_a_file_without_data_rows_is_no_success(tmp_path):
    IndicatorFactory(code="A")
    path = write(tmp_path, "indicator,period_start,period_end,value\n\n\n")

    with pytest.raises(DataFileError, match="no data row"):
        observations_import(actor=SteeringFactory(), name="values.csv", path=path)


def test_the_same_indicator_and_period_twice_names_both_rows(tmp_path):
    IndicatorFactory(code="A")
    path = write(
        tmp_path,
        "indicator,period_start,period_end,value\n"
        "A,2026-01-01,2026-03-31,1\nA,01/01/2026,31/03/2026,2\n",
    )
    with pytest.raises(DataFileError) as caught:
        observations_import(actor=SteeringFactory(), name="values.csv", path=path)

    (error,) = caught.value.errors
    assert (error.record, error.column) == ("row 3", "indicator")
    assert "row 2" in error.reason
    assert not Observation.objects.exists()


def test_the_command_checks_then_imports(tmp_path, capsys):
    from django.core.management import call_command

    IndicatorFactory(code="A")
    steering = SteeringFactory()
    path = write(tmp_path, "indicator,period_start,period_end,value\nA,2026-01-01,2026-03-31,7\n")

    call_command("values_import", str(path), actor=steering.email, dry_run=True)
    assert "1 would be created" in capsys.readouterr().out
    assert not Observation.objects.exists()

    call_command("values_import", str(path), actor=steering.email)
    assert stored() == {("A", *Q1): D(7)}


def test_an_ambiguous_number_still_suits_its_indicator(tmp_path):
    from pilotage.indicators.models import Measure

    IndicatorFactory(code="FLAG", measure=Measure.BOOLEAN)
    IndicatorFactory(code="COUNT", unit="entreprises")
    path = write(
        tmp_path,
        "indicator;period_start;period_end;value\n"
        "FLAG;2026-01-01;2026-03-31;1.000\n"
        "COUNT;2026-01-01;2026-03-31;1.234 %\n"
        "COUNT;2026-04-01;2026-06-30;12,5\n",
    )
    with pytest.raises(DataFileError) as caught:
        observations_import(actor=SteeringFactory(), name="values.csv", path=path)

    assert [(e.record, e.value) for e in caught.value.errors] == [
        ("row 2", "1.000"),
        ("row 3", "1.234 %"),
    ]
    assert "percentage" in caught.value.errors[1].reason
    assert not Observation.objects.exists()


def test_a_date_excel_made_in_the_value_column_is_refused(tmp_path):
    IndicatorFactory(code="A")

    def build(workbook):
        sheet = workbook.active
        sheet.append(["indicator", "period_start", "period_end", "value"])
        sheet.append(["A", *Q1, datetime.date(2026, 7, 1)])

    path = write_bytes(tmp_path, "values.xlsx", workbook_bytes(build))
    with pytest.raises(DataFileError, match="a date, where a number is expected"):
        observations_import(actor=SteeringFactory(), name="values.xlsx", path=path)
    assert not Observation.objects.exists()


def test_only_action_owners_and_steering_staff_import_values(tmp_path):
    from django.core.exceptions import PermissionDenied

    from pilotage.accounts.tests.factories import UserFactory

    IndicatorFactory(code="A")
    path = write(tmp_path, "indicator,period_start,period_end,value\nA,2026-01-01,2026-03-31,1\n")
    with pytest.raises(PermissionDenied):
        observations_import(actor=UserFactory(), name="values.csv", path=path)
    assert not Observation.objects.exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="checking foreign keys once is PostgreSQL's"
)
def test_an_exclusive_import_keeps_the_foreign_keys_validated(tmp_path):
    IndicatorFactory(code="A")
    path = write(tmp_path, "indicator,period_start,period_end,value\nA,2026-01-01,2026-03-31,3\n")

    observations_import(actor=SteeringFactory(), name="values.csv", path=path, exclusive=True)

    assert stored() == {("A", *Q1): D(3)}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid), convalidated FROM pg_constraint "
            "WHERE conrelid = 'indicators_observation'::regclass AND contype = 'f' ORDER BY 1"
        )
        keys = cursor.fetchall()
    assert [(definition.split(" REFERENCES ")[0], valid) for definition, valid in keys] == [
        ("FOREIGN KEY (indicator_id)", True),
        ("FOREIGN KEY (reported_by_id)", True),
    ]
    assert all("DEFERRABLE INITIALLY DEFERRED" in definition for definition, _valid in keys)


def test_values_are_checked_then_imported_from_the_back_office(client):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    IndicatorFactory(code="A")
    url = reverse("admin:indicators_observationimport_import")
    content = "indicateur;début;fin;valeur\nA;01/01/2026;31/03/2026;1 234,5\n".encode("cp1252")
    client.force_login(SteeringFactory())

    checked = client.post(url, {"file": SimpleUploadedFile("v.csv", content), "check": "1"})
    assert checked.context["report"].counts == {"created": 1, "updated": 0, "unchanged": 0}
    assert not Observation.objects.exists()

    done = client.post(url, {"import_checked": checked.context["checked"]})
    assert done.status_code == 302
    assert stored() == {("A", *Q1): D("1234.5")}
    assert ObservationImport.objects.get().file_name == "v.csv"

    refused = client.post(url, {"file": SimpleUploadedFile("w.csv", b"indicator;value\nA;1\n")})
    assert refused.status_code == 200 and refused.context["problems"]
    client.force_login(PartnerEditorFactory())
    assert client.get(url).status_code == 403


def test_a_period_that_has_not_ended_is_refused_by_row(tmp_path):
    IndicatorFactory(code="A")
    today = datetime.date.today()
    path = write(
        tmp_path,
        "indicator,period_start,period_end,value\n"
        f"A,{today.replace(day=1)},{today},1\n"
        f"A,{today.replace(day=1)},{today + datetime.timedelta(days=1)},2\n",
    )

    with pytest.raises(DataFileError) as caught:
        observations_import_csv(actor=SteeringFactory(), name="values.csv", path=path)

    assert [(e.record, e.column, e.reason) for e in caught.value.errors] == [
        ("row 3", "period_end", "the period has not ended yet")
    ]
    assert not Observation.objects.exists()
