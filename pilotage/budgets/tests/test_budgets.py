"""Budgets: totals from the lines, no double counting, reconciliation, bad input."""

import datetime
import shutil
from decimal import Decimal as D
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from pilotage.budgets.models import BudgetLine
from pilotage.budgets.selectors import budget_totals, reconciliation
from pilotage.core.datafiles import DataFileError
from pilotage.core.loading import shipped_data_load
from pilotage.core.tests.exact import exact_json
from pilotage.strategies.tests.factories import (
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db
M = D(1_000_000)


def test_the_cluster_policy_table_is_reproduced_from_the_api(client, shipped_data):
    body = exact_json(client.get("/api/v1/budgets/totals", {"strategy": "PM40", "node": "II.1"}))

    assert {year: D(v) / M for year, v in body["by_year"].items()} == {
        "2015": D("181.13"),
        "2016": D("101.6"),
        "2017": D("127.35"),
        "2018": D("127.35"),
        "2019": D("104.63"),
    }
    assert D(body["total"]) / M == D("642.06")


def test_plan_marshall_commitment_credits_beside_the_published_total(client, shipped_data):
    rows = {
        r["code"]: r
        for r in exact_json(
            client.get("/api/v1/budgets/reconciliation", {"strategy": "PM40", "limit": 500})
        )["items"]
        if r["decomposition"] == "lines"
    }

    credits = rows["PM40-CE-TOTAL"]
    assert D(credits["declared"]) / M == D("2401.98")
    # The parts, as published: 294.56 + 642.06 + 208.42 + 49 + 903.72 + 24 + 33.55 + 1.90 + 244.78
    parts = [
        D(x)
        for x in ["294.56", "642.06", "208.42", "49", "903.72", "24", "33.55", "1.90", "244.78"]
    ]
    assert D(credits["computed"]) / M == sum(parts) == D("2401.99")
    assert D(credits["difference"]) / M == D("-0.01")
    assert credits["within_tolerance"] is True
    assert D(rows["PM40-FA-TOTAL"]["computed"]) / M == D(468)


def test_no_euro_is_counted_twice_in_a_three_level_tree():
    source = TermFactory(taxonomy=TaxonomyFactory(code="funding-sources"))
    strategy = StrategyFactory(
        period_start=datetime.date(2020, 1, 1), period_end=datetime.date(2025, 12, 31)
    )
    levels = [StrategyLevelFactory(strategy=strategy, depth=depth) for depth in range(3)]
    axis = StrategyNodeFactory(strategy=strategy, level=levels[0], code="1")
    sub = StrategyNodeFactory(strategy=strategy, level=levels[1], parent=axis, code="1.1")
    other_sub = StrategyNodeFactory(strategy=strategy, level=levels[1], parent=axis, code="1.2")
    measure = StrategyNodeFactory(strategy=strategy, level=levels[2], parent=sub, code="1.1.1")

    def line(code, node, amount, total=False, year=None):
        return BudgetLine.objects.create(
            code=code,
            strategy=strategy,
            node=node,
            source=source,
            amount=D(amount),
            is_declared_total=total,
            year=year,
        )

    line("M", measure, 100, year=2021)  # declared at the measure
    line("S", sub, 40, year=2021)  # declared at the sub-axis itself, beside its measure
    line("O", other_sub, 60, year=2022)
    line("S-TOTAL", sub, 140, total=True)  # published sums: compared, never added
    line("A-TOTAL", axis, 205, total=True)

    def shown(node=None):
        found = budget_totals(strategy, node=node)
        return found["total"].sum_of_parts, found["total"].total

    assert shown(measure) == (D(100), D(100))
    assert shown(sub) == (D(140), D(140))  # 100 + 40, as S-TOTAL publishes
    # The axis adds 100 + 40 + 60 = 200 and its source publishes 205: 205 is its total,
    # and the strategy's too (its lines are the same three).
    assert shown(axis) == (D(200), D(205))
    assert shown() == (D(200), D(205))
    by_year = budget_totals(strategy)["by_year"]
    assert {year: (v.sum_of_parts, v.total) for year, v in by_year.items()} == {
        2021: (D(140), D(140)),
        2022: (D(60), D(60)),
    }
    found = {
        item.line.code: item for item in reconciliation(strategy) if item.decomposition == "lines"
    }
    assert found["S-TOTAL"].difference == 0
    assert (found["A-TOTAL"].difference, found["A-TOTAL"].within_tolerance) == (D(5), True)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(settings.PILOTAGE_DATA_DIR, target)
    return target


def spoil(data_dir, change):
    path = data_dir / "budgets" / "pm40.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(content["lines"][0])
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda line: line.update(amount="-5"), "a planned amount cannot be negative"),
        (lambda line: line.update(source="treasure"), "unknown funding source 'treasure'"),
        (lambda line: line.update(year=2031), "2031 is outside the strategy's period"),
        (lambda line: line.update(amount="deux cents"), "Input should be a valid decimal"),
        # In M€: 0.000000001 M€ is a tenth of a cent, which the table would round away.
        (lambda line: line.update(amount="12.000000001"), "12000000.001 a 3 décimales"),
    ],
    ids=["negative", "unknown source", "year outside", "not a number", "rounded"],
)
def test_bad_budget_lines_stop_the_load(data_dir, change, reason):
    spoil(data_dir, change)
    with pytest.raises(DataFileError) as caught:
        shipped_data_load(data_dir)
    assert [reason in error.reason for error in caught.value.errors] == [True]
    assert not BudgetLine.objects.exists()


def test_totals_compare_with_the_parts_their_source_lists_or_narrower_sources(shipped_data):
    from pilotage.strategies.models import Strategy

    def by_lines(code):
        return {
            r.line.code: r
            for r in reconciliation(Strategy.objects.get(code=code))
            if r.decomposition == "lines"
        }

    research = by_lines("S3-CLUSTERS")
    ordinary = research["RESEARCH-2015-BUDGETS-ORDINAIRES"]
    # 28.5 + 15.7 + 104.8 + 7, the four lines the table sums, against 155.98 published
    assert (ordinary.parts, ordinary.computed / M, ordinary.difference / M) == (
        4,
        D("156.0"),
        D("-0.02"),
    )

    # The research total adds regional credits and ERDF: it lists its six parts.
    total = research["RESEARCH-2015-TOTAL"]
    assert (total.parts, total.computed / M, total.within_tolerance) == (6, D("337.0"), True)

    erdf = by_lines("FEDER-2014-2020")
    axis = erdf["FEDER1420-2-TOTAL"]  # the ERDF total counts both zones' lines
    zones = (
        erdf["FEDER1420-2-TRANSITION-TOTAL"].computed + erdf["FEDER1420-2-DEVELOPED-TOTAL"].computed
    )
    assert axis.computed == zones
    assert axis.difference / M == D("439.5") - zones / M
