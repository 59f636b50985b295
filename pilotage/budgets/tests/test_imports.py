"""Budget line imports: CSV or XLSX, every problem by row and column, all or nothing."""

import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.utils import translation

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.budgets.imports import budget_lines_import
from pilotage.budgets.models import BudgetLine
from pilotage.budgets.selectors import budget_totals, reconciliation
from pilotage.budgets.tests.factories import funding_source
from pilotage.core.datafiles import DataFileError
from pilotage.strategies.tests.factories import StrategyFactory, StrategyNodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    with translation.override("en"):  # the reasons are read below in English
        yield


HEADER = "code;strategy;node;year;source;flow;amount;unit;total;parts;document"


@pytest.fixture
def plan():
    strategy = StrategyFactory(code="PLAN")  # 2024-2029
    StrategyNodeFactory(strategy=strategy, code="A")
    funding_source("credits")
    return strategy


def csv(*rows: str) -> bytes:
    return "\n".join([HEADER, *rows]).encode()


GOOD = csv(
    "L-2025;PLAN;A;2025;credits;planned;1,5;M€;;;Budget 2025 p.3",
    "L-2026;PLAN;A;2026;credits;planned;250000;€;;;Budget 2026 p.3",
    "L-TOTAL;PLAN;A;;credits;planned;1,75;M€;oui;L-2025|L-2026;Budget p.1",
)


def test_a_file_of_lines_is_imported_once_and_its_total_reconciled(plan):
    steering = SteeringFactory()
    counts = budget_lines_import(actor=steering, name="budget.csv", content=GOOD)

    assert counts.counts == {"created": 3, "updated": 0, "unchanged": 0}
    assert budget_totals(plan)["total"].sum_of_parts == D("1750000.00")  # not added to itself
    (total,) = reconciliation(plan)
    assert (total.parts, total.difference) == (2, 0)
    again = budget_lines_import(actor=steering, name="budget.csv", content=GOOD)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 3}


def test_every_bad_row_is_named_with_its_column_and_nothing_is_written(plan):
    content = csv(
        "OK;PLAN;A;2025;credits;planned;10;;;;",
        "NEG;PLAN;A;2025;credits;planned;-5;;;;",
        ";;;;;;;;;;",  # a blank row still counts in the numbering
        "SRC;PLAN;A;2025;treasure;planned;5;;;;",
        "YEAR;PLAN;A;2031;credits;planned;5;;;;",
        "NAN;PLAN;A;2025;credits;planned;deux cents;;;;",
        "OK;PLAN;Z;2025;credits;spent;5;;;;",
    )
    with pytest.raises(DataFileError) as caught:
        budget_lines_import(actor=SteeringFactory(), name="budget.csv", content=content)

    found = [(e.record, e.column) for e in caught.value.errors]
    assert found == [
        ("row 3", "amount"),
        ("row 5", "source"),
        ("row 6", "year"),
        ("row 7", "amount"),
        ("row 8", "code"),  # OK is on row 2 already
        ("row 8", "node"),
        ("row 8", "flow"),
    ]
    reasons = {(e.record, e.column): e.reason for e in caught.value.errors}
    assert "negative" in reasons[("row 3", "amount")]
    assert "treasure" in reasons[("row 5", "source")]
    assert "2031" in reasons[("row 6", "year")]
    assert all(e.file == "budget.csv" for e in caught.value.errors)
    assert not BudgetLine.objects.exists()


def test_an_xlsx_file_and_a_dry_run(plan):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["code", "strategy", "node", "year", "source", "amount"])
    sheet.append(["X-1", "PLAN", "A", 2025, "credits", 1200.5])
    buffer = io.BytesIO()
    workbook.save(buffer)

    counts = budget_lines_import(
        actor=SteeringFactory(), name="budget.xlsx", content=buffer.getvalue(), dry_run=True
    )

    assert counts.counts == {"created": 1, "updated": 0, "unchanged": 0}
    assert not BudgetLine.objects.exists()


def test_a_missing_column_and_a_partner_are_refused(plan):
    with pytest.raises(DataFileError) as caught:
        budget_lines_import(actor=SteeringFactory(), name="b.csv", content=b"code;amount\nA;1")
    assert [(e.record, e.column) for e in caught.value.errors] == [
        ("row 1", "strategy"),
        ("row 1", "source"),
    ]
    with pytest.raises(PermissionDenied):
        budget_lines_import(actor=PartnerEditorFactory(), name="b.csv", content=GOOD)


def test_the_command_reports_counts_and_problems(plan, tmp_path, capsys):
    steering = SteeringFactory()
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_bytes(GOOD)
    bad.write_bytes(csv("NEG;PLAN;A;2025;credits;planned;-5;;;;"))

    call_command("budget_import", str(good), actor=steering.email)
    assert "3 were created" in capsys.readouterr().out
    with pytest.raises(CommandError, match=r"bad.csv: row 2, column 'amount'"):
        call_command("budget_import", str(bad), actor=steering.email)
