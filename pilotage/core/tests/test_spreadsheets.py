"""The one spreadsheet reader, against files as Belgian administrations save them.

Every file is built here by the library that writes it (openpyxl, csv, str.encode), never
kept as an opaque binary; each accepted file's values are asserted exactly."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from pilotage.core.datafiles import DataError, DataFileError
from pilotage.core.spreadsheets import (
    Ambiguous,
    CellError,
    Column,
    ImportReport,
    Missing,
    Number,
    columns,
    decimal_mark_of,
    excel_number,
    language_decimal_mark,
    no_data,
    number_for_unit,
    open_table,
    plain,
    quoted,
    quoted_row,
    read_date,
    read_number,
    read_table,
    unquoted,
    written,
    xlsx_row,
)

D = Decimal
JULY_1 = datetime.date(2026, 7, 1)
FORMULA_REASON = (
    "holds a formula with no saved value: open the file in Excel or LibreOffice and save "
    "it, or paste the values"
)

WANTED = columns(
    Column(
        "indicator",
        {"fr": "Indicateur", "nl": "Indicator", "de": "Indikator", "en": "Indicator"},
        required=True,
    ),
    Column(
        "period_start",
        {
            "fr": "Début de la période",
            "nl": "Begin van de periode",
            "de": "Beginn des Zeitraums",
            "en": "Period start",
        },
        required=True,
    ),
    Column("value", {"fr": "Valeur", "nl": "Waarde", "de": "Wert", "en": "Value"}, required=True),
    Column("comment", {"fr": "Commentaire", "nl": "Opmerking", "de": "Kommentar", "en": "Comment"}),
)
HEADER = ["Indicateur", "Début de la période", "Valeur", "Commentaire"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def csv_bytes(rows, *, delimiter=";", encoding="utf-8", above="") -> bytes:
    buffer = io.StringIO()
    buffer.write(above)
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def data_workbook(*rows, title="Données") -> Workbook:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    return workbook


def read(table) -> list[tuple]:
    """Each data row as the importers read it: number, code, start, value, comment."""
    return [
        (row.number, row.text("indicator"), row.date("period_start"), row.numeric("value"))
        for row in table.records()
    ]


# --- numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "percent"),
    [
        ("5 000 000", "5000000", False),
        ("5\u00a0000\u00a0000", "5000000", False),
        ("5\u202f000", "5000", False),
        ("1'234", "1234", False),
        ("1\u2019234,5", "1234.5", False),
        ("1 234,5", "1234.5", False),
        ("1.234,5", "1234.5", False),
        ("1,234.5", "1234.5", False),
        ("1.234.567,89", "1234567.89", False),
        ("12,5 %", "12.5", True),
        ("12,5%", "12.5", True),
        ("45 %", "45", True),
        ("-1.234.567", "-1234567", False),
        ("\u22121 234", "-1234", False),
        ("0.123", "0.123", False),
        ("12.5", "12.5", False),
        ("1234.567", "1234.567", False),
        (",5", "0.5", False),
        ("5000000,5", "5000000.5", False),
    ],
)
def test_a_number_is_read_as_people_write_it(text, value, percent):
    assert read_number(text) == Number(D(value), percent=percent)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_empty_cell_is_no_number(text):
    assert read_number(text) is None


@pytest.mark.parametrize(
    ("text", "grouped", "decimal"),
    [("1.234", "1234", "1.234"), ("1,234", "1234", "1.234"), ("-12,500", "-12500", "-12.5")],
)
def test_a_number_two_conventions_read_differently_is_refused_naming_both(text, grouped, decimal):
    with pytest.raises(Ambiguous) as refused:
        read_number(text)

    assert refused.value.readings == (D(grouped), D(decimal))
    assert str(refused.value) == (
        f"{text} can be read as {grouped} or as {decimal}: write it without a thousands "
        "separator, or with a decimal comma"
    )


@pytest.mark.parametrize(
    ("text", "mark", "value"),
    [
        ("1.234", ",", "1234"),
        ("1.234", ".", "1.234"),
        ("1,234", ",", "1.234"),
        ("1,234", ".", "1234"),
        ("12,5", ".", "12.5"),  # a number showing its own mark keeps it
    ],
)
def test_the_files_decimal_mark_settles_an_ambiguous_number(text, mark, value):
    assert read_number(text, decimal_mark=mark) == Number(D(value))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("12 5", "12 5 is not a number"),
        ("1.23.4", "1.23.4: thousands are grouped by three"),
        ("1,2,3", "1,2,3: thousands are grouped by three"),
        ("abc", "abc is not a number"),
        ("12,5 EUR", "12,5 EUR is not a number"),
        ("1.234.5,6", "1.234.5,6: thousands are grouped by three"),
    ],
)
def test_what_is_not_a_number_is_refused_with_the_reason(text, reason):
    with pytest.raises(CellError) as refused:
        read_number(text)

    assert not isinstance(refused.value, Ambiguous)
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    ("text", "mark"),
    [
        ("12,5", ","),
        ("1.234,5", ","),
        ("1 234,5", ","),
        ("3.75", "."),
        ("1,234,567", "."),
        ("0,123", ","),
        ("1.234", None),
        ("1 234", None),
        ("12", None),
        ("abc", None),
    ],
)
def test_the_decimal_mark_a_number_shows(text, mark):
    assert decimal_mark_of(text) == mark


def test_plain_writes_no_exponent_and_no_trailing_zero():
    assert [plain(D(text)) for text in ("5000000.50", "45.000", "0.125", "1E+3", "-0")] == [
        "5000000.5",
        "45",
        "0.125",
        "1000",
        "-0",
    ]


def test_excel_numbers_keep_their_fifteen_digits():
    assert excel_number(0.1 + 0.2) == D("0.3")
    assert excel_number(2500.75) == D("2500.75")
    assert excel_number(12345678901234567) == D(12345678901234567)


def test_a_percentage_means_what_the_indicators_unit_says():
    assert number_for_unit(Number(D(45), percent=True), unit="%", percentage=False) == D(45)
    assert number_for_unit(Number(D("12.5"), percent=True), unit="", percentage=True) == D("12.5")
    assert number_for_unit(Number(D(3)), unit="EUR", percentage=False) == D(3)
    with pytest.raises(CellError) as refused:
        number_for_unit(Number(D(45), percent=True), unit="EUR", percentage=False)
    assert str(refused.value) == "45 % is a percentage, but this indicator is measured in EUR"


# --- written numbers read back -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "fr", "en"),
    [
        ("1.234", "1,2340", "1.2340"),
        ("-999.5", "-999,5", "-999.5"),
        ("-1.5", "-1,5", "-1.5"),
        ("-123.456", "-123,4560", "-123.4560"),
        ("5000000.50", "5000000,5", "5000000.5"),
        ("1234.567", "1234,567", "1234.567"),
        ("0.125", "0,125", "0.125"),
        ("12", "12", "12"),
        ("45.000", "45", "45"),
    ],
)
def test_written_numbers_are_never_ambiguous(value, fr, en):
    assert written(D(value), "fr") == fr
    assert written(D(value), "en") == en


@pytest.mark.parametrize("language", ["fr", "nl", "de", "en"])
@pytest.mark.parametrize(
    "value",
    ["1.234", "999.999", "-12.5", "5000000.5", "0.0001", "0.123", "100.25", "1000", "7"],
)
def test_written_numbers_read_back_as_the_same_value(language, value):
    text = written(D(value), language)

    assert read_number(text) == Number(D(value))
    assert read_number(text, decimal_mark=language_decimal_mark(language)) == Number(D(value))
    assert read_number(text, decimal_mark="." if language != "en" else ",") == Number(D(value))


def test_written_nothing_is_empty():
    assert written(None, "fr") == ""


def test_each_language_has_its_decimal_mark():
    assert [language_decimal_mark(code) for code in ("fr", "nl", "de", "en", "en-gb")] == [
        ",",
        ",",
        ",",
        ".",
        ".",
    ]


# --- dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "2026-07-01",
        "2026-07-01T00:00:00",
        "01/07/2026",
        "1/7/2026",
        "01.07.2026",
        "01-07-2026",
        "46204",
        Number(D(46204)),
        datetime.datetime(2026, 7, 1, 10, 30),
        JULY_1,
    ],
)
def test_a_date_is_read_as_people_write_it(value):
    assert read_date(value) == JULY_1


def test_an_excel_serial_in_the_1904_system():
    assert read_date("44742", epoch=1904) == JULY_1
    assert read_date(Number(D(44742)), epoch=1904) == JULY_1


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("31/02/2026", "31/02/2026 is not a day of the calendar"),
        ("2026-13-01", "2026-13-01 is not a day of the calendar"),
        ("July 1st", "July 1st is not a date (write 2026-07-01 or 01/07/2026)"),
        ("0", "0 is not a date (write 2026-07-01 or 01/07/2026)"),
        ("2026", "2026 is a year, not a date (write 2026-07-01 or 01/07/2026)"),
        ("365", "365 is not a date (write 2026-07-01 or 01/07/2026)"),
    ],
)
def test_what_is_not_a_date_is_refused_with_the_reason(text, reason):
    with pytest.raises(CellError) as refused:
        read_date(text)

    assert str(refused.value) == reason


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_empty_date_is_none(value):
    assert read_date(value) is None


# --- CSV: encodings, delimiters, title blocks, blank lines ---------------------------


def test_csv_in_utf8_with_a_byte_order_mark():
    content = csv_bytes([HEADER, ["IND-1", "01/07/2026", "5 000 000", "Liège"]], above="\ufeff")

    table = read_table("q3.csv", content, WANTED)

    assert table.keys == ["indicator", "period_start", "value", "comment"]
    assert table.header_row == 1
    assert table.notes == []
    assert read(table) == [(2, "IND-1", JULY_1, Number(D(5000000)))]
    assert [row.text("comment") for row in table.records()] == ["Liège"]


def test_csv_in_utf8_without_byte_order_mark():
    content = csv_bytes([HEADER, ["IND-1", "2026-07-01", "12,5 %", "Données vérifiées"]])

    table = read_table("q3.csv", content, WANTED)

    assert table.notes == []
    assert read(table) == [(2, "IND-1", JULY_1, Number(D("12.5"), percent=True))]
    assert [row.text("comment") for row in table.records()] == ["Données vérifiées"]


def test_csv_in_windows_1252_is_read_and_said():
    content = csv_bytes(
        [HEADER, ["IND-1", "01.07.2026", "1 234,5", "Été – Liège, données “vérifiées”"]],
        encoding="cp1252",
    )

    table = read_table("q3.csv", content, WANTED)

    assert table.notes == ["The file was read as Windows-1252 (not UTF-8)."]
    assert read(table) == [(2, "IND-1", JULY_1, Number(D("1234.5")))]
    assert [row.text("comment") for row in table.records()] == ["Été – Liège, données “vérifiées”"]


def test_csv_in_latin_1_is_read_and_said():
    # 0x81 has no character in Windows-1252: only Latin-1 reads it.
    content = "Indicateur;Début de la période;Valeur\nIND-\x81;2026-07-01;3\n".encode("latin-1")

    table = read_table("q3.csv", content, WANTED)

    assert table.notes == ["The file was read as Latin-1 (not UTF-8)."]
    assert read(table) == [(2, "IND-\x81", JULY_1, Number(D(3)))]


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_delimiter_is_found_from_the_header(delimiter):
    content = csv_bytes(
        [HEADER, ["IND-1", "2026-07-01", "1,5", "a; b, c"], ["IND-2", "2026-07-01", "7", ""]],
        delimiter=delimiter,
    )

    table = read_table("q3.csv", content, WANTED)

    table.settle_decimal_mark(list(table.records()), ["value"])
    assert read(table) == [
        (2, "IND-1", JULY_1, Number(D("1.5"))),
        (3, "IND-2", JULY_1, Number(D(7))),
    ]
    assert [row.text("comment") for row in table.records()] == ["a; b, c", ""]


def test_a_title_block_with_semicolons_does_not_fool_the_delimiter():
    above = "Rapport trimestriel; Fédération Wallonie-Bruxelles\r\nCampagne;T3;2026\r\n\r\n"
    content = csv_bytes(
        [HEADER, ["IND-1", "2026-07-01", "2,5", "un; deux"]], delimiter=",", above=above
    )

    table = read_table("q3.csv", content, WANTED)

    assert table.header_row == 4
    assert table.notes == ["The header is on row 4; the rows above it are not read."]
    assert read(table) == [(5, "IND-1", JULY_1, Number(D("2.5")))]
    assert [row.text("comment") for row in table.records()] == ["un; deux"]


def test_blank_lines_are_skipped_and_rows_numbered_as_the_spreadsheet_shows_them():
    content = (
        "Indicateur;Début de la période;Valeur;Commentaire\r\n"
        'IND-1;2026-07-01;1;"sur\r\ndeux lignes"\r\n'
        "\r\n"
        ";;;\r\n"
        " ; ;  ;\r\n"
        "IND-2;2026-07-01;2;\r\n"
    ).encode()

    table = read_table("q3.csv", content, WANTED)

    assert read(table) == [(2, "IND-1", JULY_1, Number(D(1))), (6, "IND-2", JULY_1, Number(D(2)))]
    assert [row.text("comment") for row in table.records()] == ["sur\r\ndeux lignes", ""]
    assert table.errors == []


def test_a_line_break_inside_a_cell_is_not_a_new_row():
    content = "Indicateur;Début de la période;Valeur;Commentaire\nIND-1;2026-07-01;1;a\u2028b\n"

    table = read_table("q3.csv", content.encode(), WANTED)

    assert [(row.number, row.text("comment")) for row in table.records()] == [(2, "a\u2028b")]


def test_trailing_empty_columns_are_ignored():
    content = csv_bytes([[*HEADER, "", "", ""], ["IND-1", "2026-07-01", "4", "", "", "", ""]])

    table = read_table("q3.csv", content, WANTED)

    assert table.keys == ["indicator", "period_start", "value", "comment"]
    assert read(table) == [(2, "IND-1", JULY_1, Number(D(4)))]
    assert table.errors == []


def test_a_value_beyond_the_last_header_column_is_reported():
    content = csv_bytes(
        [HEADER[:3], ["IND-1", "2026-07-01", "4"], ["IND-2", "2026-07-01", "5", "", " oops "]]
    )

    table = read_table("q3.csv", content, WANTED)

    assert read(table) == [(2, "IND-1", JULY_1, Number(D(4))), (3, "IND-2", JULY_1, Number(D(5)))]
    assert table.errors == [
        DataError(
            "q3.csv",
            "row 3",
            "a value beyond the last column of the header (column E)",
            value="oops",
        )
    ]


@pytest.mark.parametrize(
    "header",
    [
        ["Indicateur", "Début de la période", "Valeur", "Commentaire"],
        ["Indicator", "Begin van de periode", "Waarde", "Opmerking"],
        ["Indikator", "Beginn des Zeitraums", "Wert", "Kommentar"],
        ["Indicator", "Period start", "Value", "Comment"],
        ["INDICATEUR", "Debut de la periode", "valeur", "commentaire"],
        ["indicator", "period_start", "value", "comment"],
        [" Indicateur ", "début_de_la_période", "VALEUR", "Commentaire"],
    ],
)
def test_the_header_is_read_in_any_language_with_or_without_accents(header):
    content = csv_bytes([header, ["IND-1", "2026-07-01", "9", "ok"]])

    table = read_table("q3.csv", content, WANTED)

    assert table.keys == ["indicator", "period_start", "value", "comment"]
    assert read(table) == [(2, "IND-1", JULY_1, Number(D(9)))]


def test_other_columns_keep_their_header_as_written():
    content = csv_bytes(
        [["Indicateur", "Début de la période", "Valeur", "Sexe:F"], ["A", "", "", "3"]]
    )

    table = read_table("q3.csv", content, WANTED)

    assert table.keys == ["indicator", "period_start", "value", "Sexe:F"]
    assert [row.raw("Sexe:F") for row in table.records()] == ["3"]


def test_a_missing_required_column_is_named_by_row_and_column():
    content = csv_bytes([["Indicateur", "Valeur"], ["IND-1", "3"]], above="Rapport T3\r\n")

    with pytest.raises(DataFileError) as refused:
        read_table("q3.csv", content, WANTED)

    assert refused.value.errors == [
        DataError(
            "q3.csv",
            "row 2",
            "missing column (Begin van de periode, Beginn des Zeitraums, Début de la période, "
            "Period start, period_start)",
            "period_start",
        )
    ]


def test_a_header_naming_a_column_twice_is_refused():
    content = csv_bytes(
        [["Indicateur", "Début de la période", "Valeur", "Waarde"], ["A", "", "1", "2"]]
    )

    with pytest.raises(DataFileError) as refused:
        read_table("q3.csv", content, WANTED)

    assert refused.value.errors == [
        DataError(
            "q3.csv",
            "row 1",
            "the header names this column twice, in columns C and D",
            "value",
            value="Waarde",
        )
    ]


def test_a_header_naming_another_column_twice_is_refused():
    content = csv_bytes([[*HEADER, "Sexe:F", "sexe:f"], ["A", "", "1", "", "2", "3"]])

    with pytest.raises(DataFileError) as refused:
        read_table("q3.csv", content, WANTED)

    assert [(e.record, e.column, e.reason) for e in refused.value.errors] == [
        ("row 1", "sexe:f", "the header names this column twice, in columns E and F")
    ]


def test_a_file_without_header_is_refused_naming_the_columns_looked_for():
    content = csv_bytes([["a", "b", "c"], ["1", "2", "3"]])

    with pytest.raises(DataFileError) as refused:
        read_table("q3.csv", content, WANTED)

    assert refused.value.errors == [
        DataError(
            "q3.csv",
            "",
            "no header row with the columns Indicator, Period start, Value in the first 30 "
            "rows; the first row reads: a | b | c",
        )
    ]


def test_an_empty_file_and_an_old_excel_file_are_refused():
    with pytest.raises(DataFileError) as empty:
        read_table("q3.csv", b"", WANTED)
    with pytest.raises(DataFileError) as xls:
        read_table("q3.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), WANTED)

    assert [str(e) for e in empty.value.errors] == ["q3.csv: the file is empty"]
    assert [str(e) for e in xls.value.errors] == [
        "q3.xls: an Excel 97-2003 file (.xls): save it as .xlsx or CSV"
    ]


# --- the file's decimal mark ---------------------------------------------------------


def test_a_number_showing_a_decimal_comma_settles_the_file():
    content = csv_bytes([HEADER, ["A", "2026-07-01", "1.234", ""], ["B", "2026-07-01", "12,5", ""]])
    table = read_table("q3.csv", content, WANTED)

    table.settle_decimal_mark(list(table.records()), (key for key in ["value"]))

    assert table.decimal_mark == ","
    assert [row.numeric("value") for row in table.records()] == [Number(D(1234)), Number(D("12.5"))]
    assert table.errors == []


def test_a_number_showing_a_decimal_point_settles_the_file():
    content = csv_bytes([HEADER, ["A", "", "1,234", ""], ["B", "", "3.75", ""]])
    table = read_table("q3.csv", content, WANTED)

    table.settle_decimal_mark(list(table.records()), ["value"])

    assert [row.numeric("value") for row in table.records()] == [Number(D(1234)), Number(D("3.75"))]


@pytest.mark.parametrize("other", ["", "12", "12,5;3.75"])
def test_an_unsettled_ambiguous_number_is_refused_naming_row_column_and_readings(other):
    rows = [["B", "", value, ""] for value in other.split(";") if value]
    content = csv_bytes([HEADER, ["A", "", "1.234", ""], *rows])
    table = read_table("q3.csv", content, WANTED)

    table.settle_decimal_mark(list(table.records()), ["value"])
    [row.numeric("value") for row in table.records()]

    assert table.decimal_mark is None
    assert table.errors == [
        DataError(
            "q3.csv",
            "row 2",
            "1.234 can be read as 1234 or as 1.234: write it without a thousands separator, "
            "or with a decimal comma",
            "value",
            value="1.234",
        )
    ]


def test_a_row_refuses_a_percentage_or_a_date_where_a_plain_number_is_expected():
    workbook = data_workbook(["A", JULY_1, "45 %"], ["B", JULY_1, JULY_1])
    table = read_table("q3.xlsx", xlsx_bytes(workbook), WANTED)

    assert [row.decimal("value") for row in table.records()] == [None, None]
    assert [(e.record, e.column, e.value, e.reason) for e in table.errors] == [
        ("row 2", "value", "45 %", "a percentage, where a plain number is expected"),
        ("row 3", "value", "2026-07-01", "a date, where a number is expected"),
    ]


# --- XLSX ----------------------------------------------------------------------------


def test_the_data_sheet_is_found_when_the_instructions_are_active():
    workbook = Workbook()
    instructions = workbook.active
    instructions.title = "Instructions"
    instructions.append(["Indicateur : le code de l'indicateur; Valeur : la valeur"])
    data = workbook.create_sheet("Données")
    data.append(["Rapport du troisième trimestre"])
    data.append([])
    data.append(HEADER)
    data.append(["IND-1", JULY_1, 3, "ok"])
    workbook.active = 0

    table = read_table("q3.xlsx", xlsx_bytes(workbook), WANTED)

    assert (table.sheet, table.header_row) == ("Données", 3)
    assert table.notes == [
        "The data were read from the sheet Données.",
        "The header is on row 3; the rows above it are not read.",
    ]
    assert read(table) == [(4, "IND-1", JULY_1, Number(D(3)))]


def test_xlsx_cells_are_read_by_what_they_show():
    workbook = data_workbook(
        ["PCT", datetime.datetime(2026, 7, 1), 0.45],
        ["PCT2", "01/07/2026", 0.455],
        ["SUM", 46204, 0.1 + 0.2],
        ["INT", "2026-07-01", 5000000],
        ["BIG", JULY_1, 2500.75],
    )
    sheet = workbook.active
    sheet["C2"].number_format = "0%"
    sheet["C3"].number_format = "0.0%"
    sheet["B4"].number_format = "General"

    table = read_table("q3.xlsx", xlsx_bytes(workbook), WANTED)

    assert read(table) == [
        (2, "PCT", JULY_1, Number(D(45), percent=True)),
        (3, "PCT2", JULY_1, Number(D("45.5"), percent=True)),
        (4, "SUM", JULY_1, Number(D("0.3"))),
        (5, "INT", JULY_1, Number(D(5000000))),
        (6, "BIG", JULY_1, Number(D("2500.75"))),
    ]
    assert table.errors == []


def test_an_xlsx_in_the_1904_date_system():
    workbook = data_workbook(["DATE", JULY_1, 1], ["SERIAL", 44742, 2])
    workbook.epoch = CALENDAR_MAC_1904

    table = read_table("mac.xlsx", xlsx_bytes(workbook), WANTED)

    assert table.epoch == 1904
    assert [row.raw("period_start") for row in table.records()] == [JULY_1, Number(D(44742))]
    assert read(table) == [(2, "DATE", JULY_1, Number(D(1))), (3, "SERIAL", JULY_1, Number(D(2)))]


def test_a_formula_without_saved_value_is_refused_naming_sheet_and_cell():
    workbook = data_workbook(["IND-1", JULY_1, "=2*3"], ["IND-2", JULY_1, 4])

    table = read_table("q3.xlsx", xlsx_bytes(workbook), WANTED)
    rows = list(table.records())

    assert isinstance(rows[0].raw("value"), Missing)
    assert [row.numeric("value") for row in rows] == [None, Number(D(4))]
    assert table.errors == [
        DataError("q3.xlsx", "row 2", f"cell C2 {FORMULA_REASON}", "value", sheet="Données")
    ]


def test_reading_the_records_twice_reports_each_problem_once():
    workbook = data_workbook(["IND-1", JULY_1, "=2*3"], ["IND-2", "=A1", 4])
    table = read_table("q3.xlsx", xlsx_bytes(workbook), WANTED)

    first = list(table.records())
    second = list(table.records())

    assert first == second
    assert [(e.record, e.column) for e in table.errors] == [
        ("row 2", "value"),
        ("row 3", "period_start"),
    ]


def test_numbers_stored_as_text_in_xlsx_are_settled_like_a_csv():
    workbook = data_workbook(["A", JULY_1, "1.234"], ["B", JULY_1, "12,5"], ["C", JULY_1, 7.5])
    table = read_table("q3.xlsx", xlsx_bytes(workbook), WANTED)
    assert table.decimal_mark is None

    table.settle_decimal_mark(list(table.records()), ["value"])

    assert table.decimal_mark == ","
    assert [row.numeric("value") for row in table.records()] == [
        Number(D(1234)),
        Number(D("12.5")),
        Number(D("7.5")),
    ]


def test_an_ambiguous_number_stored_as_text_in_xlsx_is_refused():
    workbook = data_workbook(["A", JULY_1, "1,234"], ["B", JULY_1, 3.75])
    table = read_table("q3.xlsx", xlsx_bytes(workbook), WANTED)

    table.settle_decimal_mark(list(table.records()), ["value"])

    assert [row.numeric("value") for row in table.records()] == [None, Number(D("3.75"))]
    assert [(e.sheet, e.record, e.column, e.value) for e in table.errors] == [
        ("Données", "row 2", "value", "1,234")
    ]
    assert "can be read as 1234 or as 1.234" in table.errors[0].reason


def test_an_xlsx_header_naming_a_column_twice_is_refused():
    workbook = Workbook()
    workbook.active.append(["Indicator", "Period start", "Value", "Wert"])

    with pytest.raises(DataFileError) as refused:
        read_table("q3.xlsx", xlsx_bytes(workbook), WANTED)

    assert [(e.sheet, e.record, e.column, e.value) for e in refused.value.errors] == [
        ("Sheet", "row 1", "value", "Wert")
    ]


def test_an_xlsx_without_the_header_names_its_first_row():
    workbook = Workbook()
    workbook.active.append(["Nom", "Adresse"])

    with pytest.raises(DataFileError) as refused:
        read_table("q3.xlsx", xlsx_bytes(workbook), WANTED)

    assert [(e.sheet, e.reason) for e in refused.value.errors] == [
        (
            "Sheet",
            "no header row with the columns Indicator, Period start, Value in the first 30 "
            "rows; the first row reads: Nom | Adresse",
        )
    ]


def test_a_broken_xlsx_is_refused():
    with pytest.raises(DataFileError) as refused:
        read_table("q3.xlsx", b"PK\x03\x04 not really a zip", WANTED)

    assert refused.value.errors[0].reason.startswith("not a readable XLSX file")


# --- files on disk, streamed ---------------------------------------------------------


def test_open_table_streams_a_csv_on_disk(tmp_path):
    path = tmp_path / "values.csv"
    path.write_bytes(
        csv_bytes(
            [HEADER, *([f"IND-{n}", "01/07/2026", f"{n},5", "été"] for n in range(1, 4))],
            encoding="cp1252",
        )
    )

    table = open_table("values.csv", path, WANTED)
    try:
        assert not isinstance(table.rows, list)
        assert table.notes == ["The file was read as Windows-1252 (not UTF-8)."]
        assert list(table.rows) == [
            (2, ["IND-1", "01/07/2026", "1,5", "été"]),
            (3, ["IND-2", "01/07/2026", "2,5", "été"]),
            (4, ["IND-3", "01/07/2026", "3,5", "été"]),
        ]
    finally:
        table.close()


def test_open_table_closes_the_csv_it_streams(tmp_path):
    path = tmp_path / "values.csv"
    path.write_bytes(csv_bytes([HEADER, ["IND-1", "2026-07-01", "1", ""]]))
    table = open_table("values.csv", path, WANTED)

    table.close()

    with pytest.raises(ValueError, match="closed file"):
        list(table.rows)


def test_open_table_streams_an_xlsx_on_disk(tmp_path):
    workbook = data_workbook(["IND-1", JULY_1, 0.45], ["IND-2", "=1+1", 2])
    workbook.active["C2"].number_format = "0%"
    path = tmp_path / "values.xlsx"
    workbook.save(path)

    table = open_table("values.xlsx", path, WANTED)
    try:
        rows = list(table.rows)
    finally:
        table.close()

    assert not isinstance(table.rows, list)
    assert rows[0] == (2, ["IND-1", JULY_1, Number(D(45), percent=True), None])
    assert rows[1][0] == 3
    assert rows[1][1][0] == "IND-2"
    assert rows[1][1][1].reason() == f"cell B3 {FORMULA_REASON}"
    assert rows[1][1][2] == Number(D(2))


def test_open_table_refuses_a_file_on_disk_without_header(tmp_path):
    path = tmp_path / "values.csv"
    path.write_bytes(b"a;b\n1;2\n")

    with pytest.raises(DataFileError):
        open_table("values.csv", path, WANTED)


# --- the report ----------------------------------------------------------------------


def test_the_report_counts_its_rows():
    report = ImportReport("q3.csv", dry_run=True)
    report.add("row 2", "A", "created")
    report.add("row 3", "B", "updated", {"value": ("3", "4")})
    report.add("row 4", "C", "unchanged")
    report.add("row 5", "D", "created")
    report.add("row 6", "E", "empty")

    assert report.counts == {"created": 2, "updated": 1, "unchanged": 1}
    assert report.count("empty") == 1
    assert report.rows[1].changes == {"value": ("3", "4")}
    assert report.rows[0].changes == {}


def test_a_bulk_report_counts_by_its_totals():
    report = ImportReport("big.csv", totals={"created": 999_000, "updated": 1_000})
    report.add("row 2", "A", "created")

    assert report.counts == {"created": 999_000, "updated": 1_000, "unchanged": 0}
    assert report.count("created") == 999_000


def test_a_file_with_a_header_and_no_data_row_is_refused():
    table = read_table("q3.csv", csv_bytes([HEADER], above="Titre\r\n"), WANTED)

    assert list(table.records()) == []
    assert [str(e) for e in no_data(table).errors] == [
        "q3.csv: the file has a header on row 2 but no data row under it"
    ]


# --- files that must be refused, never a crash -----------------------------------------


def refused(content: bytes, name: str = "file.csv") -> list[DataError]:
    with pytest.raises(DataFileError) as caught:
        read_table(name, content, WANTED)
    return caught.value.errors


def test_a_nul_byte_or_a_huge_cell_names_its_row():
    (nul,) = refused(b"indicator;period_start;value\nA;2026-07-01;1\nB\x00;2026-07-01;2\n")
    assert nul.record == "row 3"
    (huge,) = refused(b"indicator;period_start;value\nA;2026-07-01;" + b"9" * 200_000 + b"\n")
    assert huge.record == "row 2"


def test_a_file_mixing_utf8_with_windows_1252_is_refused_naming_the_line():
    content = "indicator;period_start;value\nDÉJÀ;2026-07-01;1\n".encode()
    content += "ÉTÉ;2026-07-01;2\n".encode("cp1252")
    (error,) = refused(content)
    assert error.record == "row 3" and "UTF-8" in error.reason


def test_a_utf16_file_from_excel_unicode_text_is_read():
    text = "indicator\tperiod_start\tvalue\nÉTÉ\t2026-07-01\t1\n"
    table = read_table("file.txt", text.encode("utf-16"), WANTED)
    assert [row.text("indicator") for row in table.records()] == ["ÉTÉ"]
    assert any("UTF-16" in note for note in table.notes)


def test_a_damaged_workbook_and_a_chart_sheet():
    good = xlsx_bytes(data_workbook(["A", JULY_1, 1]))
    (error,) = refused(good[: len(good) // 2], "broken.xlsx")
    assert "XLSX" in error.reason

    workbook = data_workbook(["A", JULY_1, 1])
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.add_data(Reference(workbook["Données"], min_col=3, min_row=1, max_row=2))
    workbook.create_chartsheet("Graphique", 0).add_chart(chart)
    workbook.active = 0
    table = read_table("chart.xlsx", xlsx_bytes(workbook), WANTED)
    assert [row.text("indicator") for row in table.records()] == ["A"]


def test_a_formula_like_text_we_quoted_reads_back_as_written():
    assert quoted("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert quoted("-5 %") == "'-5 %" and quoted("plain") == "plain"
    assert unquoted(quoted("=HYPERLINK(1)")) == "=HYPERLINK(1)"
    assert unquoted("'tis") == "'tis"


def test_a_row_we_write_quotes_its_texts_and_keeps_its_numbers_and_dates():
    row = ["=1+1", D("-5"), -5, -2.5, JULY_1, None, "plain", "'tis"]

    assert quoted_row(row) == ["'=1+1", D("-5"), -5, -2.5, JULY_1, None, "plain", "'tis"]


STARTS = ["=", "+", "-", "@", "\t", "\r"]


@pytest.mark.parametrize("start", STARTS)
def test_a_formula_like_text_of_a_csv_we_wrote_reads_back_as_typed(start):
    comment = f"{start}HYPERLINK(1)"
    content = csv_bytes([HEADER, quoted_row(["IND-A", "2026-07-01", D("-5"), comment])])
    assert f"'{start}HYPERLINK(1)".encode() in content

    [row] = read_table("template.csv", content, WANTED).records()

    assert (row.text("comment"), row.decimal("value")) == (comment, D(-5))


# XML reads a carriage return back as a line feed: a CR never survives a workbook.
@pytest.mark.parametrize("start", [start for start in STARTS if start != "\r"])
def test_a_formula_like_text_of_a_workbook_we_wrote_reads_back_as_typed(start):
    comment = f"{start}HYPERLINK(1)"
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(xlsx_row(sheet, HEADER))
    sheet.append(xlsx_row(sheet, ["IND-A", JULY_1, -5, comment]))
    assert (sheet["D2"].value, sheet["D2"].data_type, sheet["C2"].data_type) == (
        f"'{comment}",
        "s",
        "n",
    )

    [row] = read_table("template.xlsx", xlsx_bytes(workbook), WANTED).records()

    assert (row.text("comment"), row.decimal("value")) == (comment, D(-5))


def test_a_workbook_text_we_write_is_a_text_cell_whatever_it_holds():
    """openpyxl takes "#N/A" for an error value; a control character XML cannot hold is
    removed before the quote is decided, so it cannot uncover a "="."""
    workbook = Workbook()
    sheet = workbook.active

    sheet.append(xlsx_row(sheet, ["#N/A", "\x01=1+1", "#DIV/0!"]))

    cells = sheet[1]
    assert [(cell.value, cell.data_type) for cell in cells] == [
        ("#N/A", "s"),
        ("'=1+1", "s"),
        ("#DIV/0!", "s"),
    ]
