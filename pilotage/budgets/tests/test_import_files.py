"""Budget files as Belgian administrations save them: each accepted file stores exactly
these amounts, each refused one writes nothing, and a second identical import adds no
audit entry. The files are built here with the libraries that write them."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from auditlog.models import LogEntry
from django.core.management import CommandError, call_command
from django.utils import translation

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.budgets.imports import budget_lines_import
from pilotage.budgets.models import BudgetLine
from pilotage.budgets.tests.factories import BudgetLineFactory, funding_source
from pilotage.core.datafiles import DataFileError
from pilotage.core.models import Change
from pilotage.strategies.tests.factories import StrategyFactory, StrategyNodeFactory

pytestmark = pytest.mark.django_db
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def plan():
    strategy = StrategyFactory(code="PLAN")  # 2024-2029
    StrategyNodeFactory(strategy=strategy, code="A")
    funding_source("credits")
    return strategy


@pytest.fixture
def steering():
    return SteeringFactory()


def stored() -> dict[str, tuple]:
    return {
        line.code: (
            line.amount,
            line.year,
            line.label_fr or "",
            line.node.code if line.node else "",
        )
        for line in BudgetLine.objects.select_related("node")
    }


def xlsx(*sheets: tuple[str, list[list]], active: int = 0) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets:
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.active = active
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_excel_csv_in_windows_1252_with_accents_and_no_break_spaces(plan, steering):
    text = (
        "code;stratégie;nœud;année;source;montant;libellé\r\n"
        f"L-1;PLAN;A;2025;credits;1{NBSP}234,5;Crédits d'impulsion — Liège\r\n"
        f"L-2;PLAN;A;2026;credits;5{NBSP}000{NBSP}000;Été\r\n"
    )
    report = budget_lines_import(actor=steering, name="budget.csv", content=text.encode("cp1252"))

    assert report.counts == {"created": 2, "updated": 0, "unchanged": 0}
    assert any("Windows-1252" in note for note in report.notes)
    assert stored() == {
        "L-1": (D("1234.50"), 2025, "Crédits d'impulsion — Liège", "A"),
        "L-2": (D("5000000.00"), 2026, "Été", "A"),
    }


def test_a_title_block_and_blank_lines_above_and_between_the_rows(plan, steering):
    text = (
        "Budget régional 2025\n"
        "Arrêté du 12 mars\n"
        "\n"
        ";;;\n"
        "code;strategy;source;year;amount;unit\n"
        "\n"
        "T-1;PLAN;credits;2025;1,5;M€\n"
        "\n"
        "T-2;PLAN;credits;2025;250;k€\n"
    )
    report = budget_lines_import(actor=steering, name="budget.csv", content=text.encode())

    assert report.counts["created"] == 2
    assert any("row 5" in note for note in report.notes)
    assert stored() == {
        "T-1": (D("1500000.00"), 2025, "", ""),
        "T-2": (D("250000.00"), 2025, "", ""),
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (  # Dutch headers, dotted thousands and a decimal comma
            "code;strategie;knooppunt;jaar;bron;bedrag;omschrijving\n"
            "N-1;PLAN;A;2025;credits;1.234,5;Impulsfonds\n"
            "N-2;PLAN;A;2025;credits;12,25;Kleine lijn\n",
            {
                "N-1": (D("1234.50"), 2025, "Impulsfonds", "A"),
                "N-2": (D("12.25"), 2025, "Kleine lijn", "A"),
            },
        ),
        (  # German headers, tab-separated, units after the amounts
            "Code\tStrategie\tJahr\tQuelle\tBetrag\tBezeichnung\n"
            f"D-1\tPLAN\t2025\tcredits\t1{NNBSP}234,50 €\tFörderung\n"
            "D-2\tPLAN\t2026\tcredits\t2,5 M€\tÜbertrag\n"
            "D-3\tPLAN\t2026\tcredits\t12 k€\t\n",
            {
                "D-1": (D("1234.50"), 2025, "Förderung", ""),
                "D-2": (D("2500000.00"), 2026, "Übertrag", ""),
                "D-3": (D("12000.00"), 2026, "", ""),
            },
        ),
    ],
)
def test_headers_in_dutch_and_german(plan, steering, content, expected):
    budget_lines_import(actor=steering, name="begroting.csv", content=content.encode("utf-8-sig"))
    assert stored() == expected


def test_an_xlsx_whose_active_sheet_is_the_instructions(plan, steering):
    content = xlsx(
        ("Instructions", [["Fill in the sheet Données"], ["One line per row"]]),
        (
            "Données",
            [
                ["Budget 2025"],
                [],
                ["code", "stratégie", "nœud", "année", "source", "montant"],
                ["X-1", "PLAN", "A", 2025, "credits", 1234.5],
                ["X-2", "PLAN", "A", 2026, "credits", 166],
                ["X-3", "PLAN", "A", 2026, "credits", 0.1 + 0.2],
            ],
        ),
        active=0,
    )
    report = budget_lines_import(actor=steering, name="budget.xlsx", content=content)

    assert report.counts["created"] == 3
    assert any("Données" in note for note in report.notes)
    assert stored() == {
        "X-1": (D("1234.50"), 2025, "", "A"),
        "X-2": (D("166.00"), 2026, "", "A"),
        "X-3": (D("0.30"), 2026, "", "A"),
    }


def test_an_ambiguous_amount_is_refused_with_both_readings_and_nothing_written(plan, steering):
    content = "code;strategy;source;amount\nA-1;PLAN;credits;1.234\nA-2;PLAN;credits;12\n"
    with pytest.raises(DataFileError) as refused:
        budget_lines_import(actor=steering, name="budget.csv", content=content.encode())

    (problem,) = refused.value.errors
    assert (problem.file, problem.record, problem.column, problem.value) == (
        "budget.csv",
        "row 2",
        "amount",
        "1.234",
    )
    assert "1234" in problem.reason and "1.234" in problem.reason
    assert not BudgetLine.objects.exists()


def test_a_formula_without_a_saved_value_is_refused_by_its_cell(plan, steering):
    content = xlsx(
        (
            "Budget",
            [
                ["code", "strategy", "source", "amount"],
                ["F-1", "PLAN", "credits", 100],
                ["F-2", "PLAN", "credits", "=D2*2"],  # openpyxl saves no cached value
            ],
        )
    )
    with pytest.raises(DataFileError) as refused:
        budget_lines_import(actor=steering, name="budget.xlsx", content=content)

    problems = [(p.sheet, p.record, p.column) for p in refused.value.errors]
    assert ("Budget", "row 3", "amount") in problems
    assert any("D3" in p.reason for p in refused.value.errors)
    assert not BudgetLine.objects.exists()


def test_a_header_without_rows_is_refused(plan, steering):
    with pytest.raises(DataFileError, match="no data row"):
        budget_lines_import(
            actor=steering, name="empty.csv", content=b"code;strategy;source;amount\n\n"
        )


SAME_LINES = (
    "code;strategy;node;year;source;amount;label\n"
    "S-1;PLAN;A;2025;credits;166;Premier\n"
    "S-2;PLAN;A;2025;credits;1 234,5;\n"
)


def test_a_second_identical_import_adds_no_audit_entry_in_csv_or_xlsx(plan, steering):
    budget_lines_import(actor=steering, name="budget.csv", content=SAME_LINES.encode())
    assert stored() == {
        "S-1": (D("166.00"), 2025, "Premier", "A"),
        "S-2": (D("1234.50"), 2025, "", "A"),
    }
    entries, changes = LogEntry.objects.count(), Change.objects.count()

    again = budget_lines_import(actor=steering, name="budget.csv", content=SAME_LINES.encode())
    as_xlsx = xlsx(
        (
            "Budget",
            [
                ["code", "strategy", "node", "year", "source", "amount", "label"],
                ["S-1", "PLAN", "A", 2025, "credits", 166, "Premier"],
                ["S-2", "PLAN", "A", 2025, "credits", 1234.5, None],
            ],
        )
    )
    from_xlsx = budget_lines_import(actor=steering, name="budget.xlsx", content=as_xlsx)

    assert again.counts == from_xlsx.counts == {"created": 0, "updated": 0, "unchanged": 2}
    assert (LogEntry.objects.count(), Change.objects.count()) == (entries, changes)


def test_a_line_stored_elsewhere_is_left_alone_and_a_real_change_is_one_entry(plan, steering):
    line = BudgetLineFactory(
        code="E-1", strategy=plan, source=funding_source("credits"), amount=D("166.0000")
    )
    line.refresh_from_db()
    entries = LogEntry.objects.count()
    content = "code;strategy;source;amount;precision\nE-1;PLAN;credits;166;10 000\n"

    unchanged = budget_lines_import(actor=steering, name="b.csv", content=content.encode())
    assert unchanged.counts["unchanged"] == 1 and LogEntry.objects.count() == entries

    changed = budget_lines_import(
        actor=steering, name="b.csv", content=content.replace(";166;", ";200;").encode()
    )
    (row,) = changed.rows
    assert (row.action, row.changes) == ("updated", {"amount": ("166", "200")})
    (entry,) = LogEntry.objects.filter(object_pk=str(line.pk)).order_by("-pk")[:1]
    assert entry.changes_dict == {"amount": ["166.00", "200.00"]}
    assert LogEntry.objects.count() == entries + 1


def test_the_command_dry_run_reports_and_writes_nothing_then_lists_problems(
    plan, steering, tmp_path
):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(SAME_LINES.encode("cp1252"))
    bad.write_bytes(b"code;strategy;source;amount\nB-1;PLAN;credits;1.234\nB-2;PLAN;gold;5\n")

    out = io.StringIO()
    call_command("budget_import", str(good), actor=steering.email, dry_run=True, stdout=out)
    assert "2 would be created, 0 would be updated, 0 would be unchanged." in out.getvalue()
    assert "Nothing was written" in out.getvalue() and not BudgetLine.objects.exists()

    call_command("budget_import", str(good), actor=steering.email, stdout=io.StringIO())
    out = io.StringIO()
    changed = SAME_LINES.replace(";166;", ";170;").encode()
    good.write_bytes(changed)
    call_command("budget_import", str(good), actor=steering.email, stdout=out)
    assert "row 2 (S-1): updated: amount: '166' → '170'" in out.getvalue()
    assert "0 were created, 1 were updated, 1 were unchanged." in out.getvalue()

    with pytest.raises(CommandError) as refused:
        call_command("budget_import", str(bad), actor=steering.email)
    message = str(refused.value)
    assert message.startswith("Nothing was written: 2 problems.")
    assert "bad.csv: row 2, column 'amount', value '1.234'" in message
    assert "bad.csv: row 3, column 'source', value 'gold'" in message
