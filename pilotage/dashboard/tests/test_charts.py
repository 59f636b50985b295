"""The charts' specifications: an indicator's values joined by a line, its target
trajectory and its target marked and labelled, a legend, an axis counted in the values'
own periods with no label twice, in the reader's language; the node and budget bar
charts; every chart's data the rows of its table, one each, in order."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import translation

from pilotage.dashboard.charts import (
    FlowRow,
    ProgressRow,
    budget_chart,
    indicator_chart,
    indicator_series,
    progress_chart,
)
from pilotage.indicators.models import Target
from pilotage.indicators.progress import RollUp, Value
from pilotage.indicators.tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db
NBSP = "\xa0"


def year(y: int, value) -> Value:
    return Value(datetime.date(y, 1, 1), datetime.date(y, 12, 31), D(value))


def quarter(y: int, q: int, value) -> Value:
    start = datetime.date(y, 3 * q - 2, 1)
    end = (datetime.date(y + 1, 1, 1) if q == 4 else datetime.date(y, 3 * q + 1, 1)) - (
        datetime.timedelta(days=1)
    )
    return Value(start, end, D(value))


def month(y: int, m: int, value) -> Value:
    end = (datetime.date(y + 1, 1, 1) if m == 12 else datetime.date(y, m + 1, 1)) - (
        datetime.timedelta(days=1)
    )
    return Value(datetime.date(y, m, 1), end, D(value))


def chart_of(indicator, values, language="fr"):
    with translation.override(language):
        rows = indicator_series(indicator, values)
        return rows, indicator_chart(indicator, rows)


def layer(spec, mark: str, flag: str) -> dict:
    """The layer of `mark` drawn from the rows `flag` selects (its filter names it)."""
    return next(
        found
        for found in spec["layer"]
        if found["mark"]["type"] == mark and flag in found["transform"][0]["filter"]
    )


def legend(spec) -> list[str]:
    return spec["layer"][0]["encoding"]["color"]["scale"]["domain"]


def test_two_values_a_year_apart_are_one_line_from_the_baseline_on_a_yearly_axis():
    # The report: 166 public digital spaces at the end of 2023, 226 in 2024, drawn as two
    # dots on a monthly axis printing "12/2024" twice, with no legend.
    indicator = IndicatorFactory(
        unit="espaces",
        baseline_value=D(166),
        baseline_date=datetime.date(2023, 12, 31),
        target_value=None,
        target_date=None,
    )
    _rows, spec = chart_of(indicator, [year(2024, 226)])

    assert [(r["series"], r["period"], r["value"]) for r in spec["data"]["values"]] == [
        ("Valeur de référence", "2023", 166.0),
        ("Valeur rapportée", "2024", 226.0),
    ]
    x = spec["encoding"]["x"]
    assert x["scale"]["domain"] == ["2023", "2024"] == x["axis"]["values"]  # a tick a year
    assert x["axis"]["labelOverlap"] == "parity"
    # The reported line starts from the baseline: both rows are in the line's layer.
    line = layer(spec, "line", "datum.key == 'actual'")
    assert line["transform"][0]["filter"] == "datum.key == 'actual' || datum.joined"
    assert [r["joined"] or r["key"] == "actual" for r in spec["data"]["values"]] == [True, True]
    assert legend(spec) == ["Valeur rapportée", "Valeur de référence"]
    legend_spec = spec["layer"][0]["encoding"]["color"]["legend"]
    assert legend_spec["orient"] == "bottom"
    assert spec["description"] == (
        f"{indicator.title}{NBSP}: une valeur rapportée, 226{NBSP}espaces "
        f"(01/01/2024 – 31/12/2024). Valeur de référence{NBSP}: 166{NBSP}espaces (31/12/2023)."
    )


def test_the_trajectory_is_dashed_and_the_final_target_a_labelled_diamond():
    indicator = IndicatorFactory(
        unit="foyers",
        baseline_value=D(0),
        baseline_date=datetime.date(2022, 1, 1),  # as of 1 January: the end of 2021
        target_value=D(58414),
        target_date=datetime.date(2025, 12, 31),
    )
    _rows, spec = chart_of(indicator, [year(2023, 20000), year(2024, 41000)])
    data = spec["data"]["values"]

    assert [(r["key"], r["period"], r["value"]) for r in data] == [
        ("target", "2021", 0.0),
        ("actual", "2023", 20000.0),
        ("actual", "2024", 41000.0),
        ("target", "2025", 58414.0),
    ]
    assert spec["encoding"]["x"]["scale"]["domain"] == ["2021", "2022", "2023", "2024", "2025"]
    trajectory = layer(spec, "line", "datum.key == 'target'")
    assert trajectory["mark"]["strokeDash"] == [6, 4]
    target = layer(spec, "point", "datum.final")
    assert target["mark"]["shape"] == "diamond"
    assert [r["final"] for r in data] == [False, False, False, True]
    assert data[-1]["label"] == f"Cible{NBSP}: 58{NBSP}414{NBSP}foyers"
    assert layer(spec, "text", "datum.final")["encoding"]["text"] == {"field": "label"}
    assert [r["last"] for r in data] == [False, False, True, False]  # the last value labelled
    assert legend(spec) == [
        "Valeur rapportée",
        "Valeur de référence",
        "Trajectoire cible",
        "Cible",
    ]
    assert spec["description"].endswith(f"Cible{NBSP}: 58{NBSP}414{NBSP}foyers (31/12/2025).")


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("fr", ["T4 2023", "T1 2024", "T2 2024", "T3 2024", "T4 2024", "T1 2025"]),
        ("en", ["Q4 2023", "Q1 2024", "Q2 2024", "Q3 2024", "Q4 2024", "Q1 2025"]),
        ("nl", ["K4 2023", "K1 2024", "K2 2024", "K3 2024", "K4 2024", "K1 2025"]),
        ("de", ["Q4 2023", "Q1 2024", "Q2 2024", "Q3 2024", "Q4 2024", "Q1 2025"]),
    ],
)
def test_quarterly_values_are_counted_in_quarters_in_the_readers_language(language, labels):
    indicator = IndicatorFactory(
        baseline_value=D(100),
        baseline_date=datetime.date(2023, 12, 31),
        target_value=None,
        target_date=None,
    )
    values = [quarter(2024, 1, 120), quarter(2024, 2, 150), quarter(2024, 4, 210)]
    values.append(quarter(2025, 1, 230))
    _rows, spec = chart_of(indicator, values, language)

    assert spec["encoding"]["x"]["scale"]["domain"] == labels  # Q3 2024 kept: time's spacing
    assert spec["encoding"]["x"]["axis"]["values"] == labels
    assert [r["period"] for r in spec["data"]["values"]] == [labels[i] for i in (0, 1, 2, 4, 5)]


@pytest.mark.parametrize(
    ("language", "first", "number"),
    [
        ("fr", "jan. 2024", (NBSP, ",")),
        ("nl", "jan 2024", (".", ",")),
        ("de", "Jan. 2024", (".", ",")),
        ("en", "Jan. 2024", (",", ".")),
    ],
)
def test_monthly_values_are_counted_in_months_and_numbers_in_the_readers_locale(
    language, first, number
):
    indicator = IndicatorFactory(
        baseline_value=None, baseline_date=None, target_value=None, target_date=None
    )
    _rows, spec = chart_of(indicator, [month(2024, 1, 10), month(2024, 3, 13)], language)

    domain = spec["encoding"]["x"]["scale"]["domain"]
    assert len(domain) == 3 and domain[0] == first
    locale = spec["config"]["locale"]["number"]
    assert (locale["thousands"], locale["decimal"]) == number
    assert legend(spec) == [spec["data"]["values"][0]["series"]]  # the values only


def test_a_long_span_labels_at_most_twelve_ticks_each_once():
    indicator = IndicatorFactory(
        baseline_value=D(0),
        baseline_date=datetime.date(2016, 1, 1),
        target_value=D(1_000_000),
        target_date=datetime.date(2030, 12, 31),
    )
    values = [
        quarter(y, q, 1000 * (4 * (y - 2016) + q)) for y in range(2016, 2025) for q in (1, 2, 3, 4)
    ]
    _rows, spec = chart_of(indicator, values)

    axis = spec["encoding"]["x"]
    ticks, domain = axis["axis"]["values"], axis["scale"]["domain"]
    assert domain[0] == "T4 2015" and domain[-1] == "T4 2030" and len(domain) == 61
    assert len(ticks) <= 12 and len(set(ticks)) == len(ticks)
    assert set(ticks) <= set(domain)
    assert len(set(domain)) == len(domain)


def test_values_that_a_coarser_unit_would_merge_get_a_finer_one_then_plain_time():
    indicator = IndicatorFactory(
        baseline_value=None, baseline_date=None, target_value=None, target_date=None
    )
    # Two twelve-month values ending in the same year (a school year, a calendar year)
    # would share the year's category: they are counted in quarters.
    school_year = Value(datetime.date(2023, 7, 1), datetime.date(2024, 6, 30), D(80))
    _rows, spec = chart_of(indicator, [school_year, year(2024, 100)])
    assert spec["encoding"]["x"]["scale"]["domain"] == ["T2 2024", "T3 2024", "T4 2024"]
    assert [r["period"] for r in spec["data"]["values"]] == ["T2 2024", "T4 2024"]

    two_weeks = [
        Value(datetime.date(2024, 3, 1), datetime.date(2024, 3, 14), D(5)),
        Value(datetime.date(2024, 3, 15), datetime.date(2024, 3, 28), D(7)),
    ]
    _rows, spec = chart_of(indicator, two_weeks)
    x = spec["encoding"]["x"]
    assert x["type"] == "temporal" and x["scale"]["type"] == "utc"
    assert x["axis"]["format"] == "%d/%m/%Y" and x["axis"]["labelOverlap"] is True


def test_a_target_without_baseline_is_still_marked_and_an_intermediate_target_is_on_the_path():
    indicator = IndicatorFactory(
        baseline_value=None,
        baseline_date=None,
        target_value=D(500),
        target_date=datetime.date(2026, 12, 31),
    )
    _rows, spec = chart_of(indicator, [year(2024, 200)])
    assert [(r["key"], r["period"], r["final"]) for r in spec["data"]["values"]] == [
        ("actual", "2024", False),
        ("target", "2026", True),
    ]
    assert legend(spec) == ["Valeur rapportée", "Cible"]  # no trajectory of one point

    indicator.baseline_value, indicator.baseline_date = D(100), datetime.date(2023, 12, 31)
    Target.objects.create(
        indicator=indicator,
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        value=D(300),
    )
    _rows, spec = chart_of(indicator, [year(2024, 200)])
    assert [(r["key"], r["value"], r["final"]) for r in spec["data"]["values"]] == [
        ("target", 100.0, False),
        ("actual", 200.0, False),
        ("target", 300.0, False),
        ("target", 500.0, True),
    ]
    assert legend(spec) == ["Valeur rapportée", "Valeur de référence", "Trajectoire cible", "Cible"]


def test_no_values_no_chart():
    indicator = IndicatorFactory()
    assert chart_of(indicator, [])[1] is None


def test_the_progress_chart_has_a_row_per_part_and_never_draws_an_unmeasured_one_as_zero():
    items = [
        ProgressRow("A1", "Territoire intelligent", RollUp(D("0.625"), 2, 3)),
        ProgressRow("A2", "Économie", RollUp(None, 0, 2)),
        ProgressRow("A3", "Sans indicateur", None),
    ]
    with translation.override("fr"):
        spec = progress_chart("Progression des parties de A", items)

    assert spec["data"]["values"] == [
        {
            "code": "A1",
            "label": "A1 Territoire intelligent",
            "aria": "A1 Territoire intelligent: 62,5 %",
            "progress": 62.5,
            "text": "62,5 %",
            "reported": "2 sur 3 ont rapporté",
        },
        {
            "code": "A2",
            "label": "A2 Économie",
            "aria": "A2 Économie: pas encore mesurée",
            "progress": None,
            "text": "pas encore mesurée",
            "reported": "0 sur 2 ont rapporté",
        },
        {
            "code": "A3",
            "label": "A3 Sans indicateur",
            "aria": "A3 Sans indicateur: pas encore mesurée",
            "progress": None,
            "text": "pas encore mesurée",
            "reported": "",
        },
    ]
    assert spec["encoding"]["y"]["scale"]["domain"] == [
        "A1 Territoire intelligent",
        "A2 Économie",
        "A3 Sans indicateur",
    ]
    bars = spec["layer"][0]
    assert bars["transform"] == [{"filter": "isValid(datum.progress)"}]
    assert bars["encoding"]["x"]["scale"]["domain"] == [0, 100]
    table = spec["usermeta"]["table"]
    assert [[row["head"], *(c["text"] for c in row["cells"])] for row in table["rows"]] == [
        [r["label"], r["text"], r["reported"]] for r in spec["data"]["values"]
    ]
    assert spec["description"].startswith("Progression des parties de A. A1 Territoire")


def test_the_budget_chart_shows_the_flows_someone_reports_each_amount_once():
    items = [
        FlowRow("Crédits", D(1_000_000), D(600_000), None),
        FlowRow("FEDER", D(2_500_000), None, None),
    ]
    with translation.override("fr"):
        spec = budget_chart(("Budget", "Budget et exécution"), items, "M€", "Source")

    assert spec["usermeta"]["table"]["caption"] == "Budget et exécution"
    assert spec["transform"][0] == {"fold": ["budget", "committed"], "as": ["flow", "amount"]}
    assert [
        (r["label"], r["budget"], r["committed"], r["paid"]) for r in spec["data"]["values"]
    ] == [
        ("Crédits", 1.0, 0.6, None),
        ("FEDER", 2.5, None, None),
    ]
    assert spec["encoding"]["color"]["scale"]["domain"] == ["Budget", "Engagé"]
    rows = spec["usermeta"]["table"]["rows"]
    assert [[row["head"], *(c["text"] for c in row["cells"])] for row in rows] == [
        ["Crédits", "1,00", "0,60"],
        ["FEDER", "2,50", ""],
    ]
    with translation.override("fr"):
        only = budget_chart(("Budget", "Budget et exécution"), items[1:], "M€", "Source")
        two = budget_chart(("Budget", "Budget et exécution"), [items[1], items[1]], "M€", "")
    assert only is None  # one amount: nothing to compare
    assert two["usermeta"]["table"]["caption"] == "Budget"
