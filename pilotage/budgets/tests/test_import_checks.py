"""Budget imports never round, never reset what the file does not give, and refuse what
they cannot read by name: each accepted file stores exactly these values, each refused
one writes nothing."""

from decimal import Decimal as D

import pytest
from django.utils import translation

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.budgets.imports import budget_lines_import
from pilotage.budgets.models import BudgetLine, Flow
from pilotage.budgets.tests.factories import funding_source
from pilotage.core.datafiles import NO, YES, DataFileError
from pilotage.registry import imports as registry_imports
from pilotage.strategies.tests.factories import StrategyFactory, StrategyNodeFactory

pytestmark = pytest.mark.django_db


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


def run(steering, *lines: str, **options):
    content = "\n".join(lines).encode()
    return budget_lines_import(actor=steering, name="b.csv", content=content, **options)


def refused(steering, *lines: str) -> list[tuple]:
    with pytest.raises(DataFileError) as caught:
        run(steering, *lines)
    return [(e.record, e.column, e.value, e.reason) for e in caught.value.errors]


FULL = "code;strategy;node;label;year;source;flow;amount;unit;total;precision;document"


def test_an_amount_with_more_than_cents_in_euros_is_refused_never_rounded(plan, steering):
    problems = refused(
        steering,
        "code;strategy;source;amount",
        "L1;PLAN;credits;1,234567 k€",
        "L2;PLAN;credits;1234,567",
    )

    assert [problem[:3] for problem in problems] == [
        ("row 2", "amount", "1,234567"),
        ("row 3", "amount", "1234,567"),
    ]
    assert "1234.567 €" in problems[0][3] and "at most 2" in problems[0][3]
    assert "3 decimal places" in problems[1][3]
    assert not BudgetLine.objects.exists()


def test_an_amount_that_is_whole_cents_once_in_euros_is_stored_exactly(plan, steering):
    run(
        steering,
        "code;strategy;source;amount;precision",
        "L1;PLAN;credits;1,23456 k€;0,01",
        "L2;PLAN;credits;1234,5600;",
    )

    stored = dict(BudgetLine.objects.values_list("code", "amount"))
    assert stored == {"L1": D("1234.56"), "L2": D("1234.56")}
    assert BudgetLine.objects.get(code="L1").precision == D("10.00")  # 0,01 k€


@pytest.mark.parametrize("amount", ["1" * 29, "1" * 40 + ",5", "1" * 17, "12345678901234567,5 k€"])
def test_an_amount_too_long_for_the_field_is_refused_by_name(plan, steering, amount):
    ((record, column, _value, reason),) = refused(
        steering, "code;strategy;source;amount", f"L1;PLAN;credits;{amount}"
    )

    assert (record, column) == ("row 2", "amount")
    assert "too large" in reason and "16 digits" in reason
    assert not BudgetLine.objects.exists()


@pytest.mark.parametrize("year", ["²⁰²⁵", "2025²", "٢٠٢٥", "20 25", "25"])
def test_a_year_is_four_plain_digits(plan, steering, year):
    ((record, column, value, _reason),) = refused(
        steering, "code;strategy;source;amount;year", f"L1;PLAN;credits;10;{year}"
    )

    assert (record, column, value) == ("row 2", "year", year)


def test_a_file_without_a_column_leaves_what_is_stored_in_it(plan, steering):
    run(
        steering,
        FULL,
        "L1;PLAN;A;Crédits 2025;2025;credits;revised;5;€;yes;100;Budget p.3",
    )

    report = run(steering, "code;strategy;source;amount", "L1;PLAN;credits;7")

    line = BudgetLine.objects.select_related("node").get(code="L1")
    assert (
        line.amount,
        line.label_fr,
        line.document,
        line.year,
        line.flow,
        line.is_declared_total,
        line.precision,
        line.node.code,
        line.action,
    ) == (D("7.00"), "Crédits 2025", "Budget p.3", 2025, Flow.REVISED, True, D("100.00"), "A", None)
    (row,) = report.rows
    assert row.changes == {"amount": ("5", "7")}


def test_a_new_line_takes_the_defaults_of_the_columns_the_file_lacks(plan, steering):
    run(steering, "code;strategy;source;amount", "L1;PLAN;credits;7")

    line = BudgetLine.objects.get(code="L1")
    assert (line.flow, line.is_declared_total, line.year, line.node, line.precision) == (
        Flow.PLANNED,
        False,
        None,
        None,
        D("0.01"),
    )


def test_an_empty_cell_of_a_column_the_file_has_is_an_empty_value(plan, steering):
    run(steering, FULL, "L1;PLAN;A;Crédits;2025;credits;;5;€;;;Budget")
    run(steering, FULL, "L1;PLAN;;;;credits;;5;€;;;")

    line = BudgetLine.objects.get(code="L1")
    assert (line.node, line.label_fr, line.year, line.document) == (None, "", None, "")


def test_a_header_that_is_no_column_is_named_in_the_report(plan, steering):
    report = run(
        steering,
        "code;strategy;source;amount;libelé;commentaire",
        "L1;PLAN;credits;7;Crédits;à revoir",
    )

    assert report.notes == [
        "Columns not read (not a column this import knows): 'libelé', 'commentaire'."
    ]
    assert not BudgetLine.objects.get(code="L1").label_fr


def test_one_yes_no_vocabulary_for_every_import(plan, steering):
    assert {"yes", "oui", "ja", "y", "1"} <= YES and {"no", "non", "nee", "nein", "n", "0"} <= NO
    assert (registry_imports.YES, registry_imports.NO) == (YES, NO)  # the same sets
    run(
        steering,
        "code;strategy;source;amount;total",
        "L1;PLAN;credits;7;y",
        "L2;PLAN;credits;7;n",
        "L3;PLAN;credits;7;ja",
    )

    totals = dict(BudgetLine.objects.values_list("code", "is_declared_total"))
    assert totals == {"L1": True, "L2": False, "L3": True}
