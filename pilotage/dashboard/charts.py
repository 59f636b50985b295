"""Vega-Lite specifications of the public charts, with the rows of their data tables.

Every chart is built from the same rows the page shows in its table and offers for
download, so the picture, the table and the file cannot disagree: a spec's data holds
one row per row of its table, in the table's order. Every text a chart shows (dates,
numbers, names) is written here in the reader's language; the browser only draws.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import dateformat, formats
from django.utils.translation import gettext as _

from pilotage.core.formatting import money_text, number_text, percent_text, short_date
from pilotage.indicators.models import Indicator
from pilotage.indicators.progress import RollUp, Value

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"

# Blue, orange and dark grey stay apart for every common colour-vision deficiency, and
# each has at least 4.5:1 against white (its text labels as much as its marks).
BLUE, ORANGE, GREY, DARK_ORANGE = "#1f5fa8", "#b35c00", "#4a4a55", "#8a4700"
# A phone's width: legends stack in columns and axis labels are cut shorter below it.
NARROW = "containerSize()[0] < 500"


@dataclass(frozen=True)
class SeriesRow:
    """One point of an indicator's chart: a reported value or a point of its target path."""

    date: datetime.date
    series: str  # "actual", "target" (the trajectory) or "baseline" (without trajectory)
    value: Decimal
    period_start: datetime.date | None = None


def indicator_series(indicator: Indicator, values: list[Value]) -> list[SeriesRow]:
    """The published values (at the end of their period) and the target trajectory
    (baseline, intermediate targets, final target), in date order. Without any target,
    the baseline is a point of its own; a target without a baseline is still shown."""
    rows = [SeriesRow(v.end, "actual", v.value, v.start) for v in values if v.value is not None]
    has_baseline = indicator.baseline_value is not None and indicator.baseline_date is not None
    targets = [
        SeriesRow(target.period_end, "target", target.value, target.period_start)
        for target in indicator.targets.all()
    ]
    if indicator.target_value is not None and indicator.target_date:
        targets.append(SeriesRow(indicator.target_date, "target", indicator.target_value))
    if targets:
        if has_baseline:  # the trajectory starts from the baseline
            rows.append(SeriesRow(indicator.baseline_date, "target", indicator.baseline_value))
        rows += targets
    elif has_baseline:
        rows.append(SeriesRow(indicator.baseline_date, "baseline", indicator.baseline_value))
    return sorted(rows, key=lambda row: (row.date, row.series))


def series_names() -> dict[str, str]:
    return {
        "actual": _("Reported value"),
        "target": _("Target trajectory"),
        "baseline": _("Baseline"),
    }


def _config() -> dict:
    """Vega's number locale for the reader's language (the axes' numbers). Axes and
    legends stay out of the accessibility tree (Vega would describe them in English):
    a chart is read through its description, its marks' (each in the reader's
    language) and its table."""
    return {
        "font": "system-ui, sans-serif",
        "locale": {
            "number": {
                "decimal": formats.get_format("DECIMAL_SEPARATOR"),
                "thousands": formats.get_format("THOUSAND_SEPARATOR"),
                "grouping": [3],
                "currency": ["", "\u00a0€"],
            }
        },
        "axis": {"labelFontSize": 12, "titleFontSize": 12, "aria": False},
        "legend": {"labelFontSize": 12, "aria": False},
    }


# ---------------------------------------------------------------- the period axis

# The calendar units an indicator's axis can count in, coarsest first, with the steps
# (in units) at which to label them once there are too many to label each.
UNITS = ("year", "quarter", "month")
STEPS = {
    "year": (1, 2, 5, 10, 20, 50),
    "quarter": (1, 2, 4, 8, 20, 40),
    "month": (1, 3, 6, 12, 24, 60, 120),
}
MAX_TICKS = 12


def _unit_index(day: datetime.date, unit: str) -> int:
    """The number of the year, quarter or month holding `day`, counted from year 0."""
    if unit == "year":
        return day.year
    if unit == "quarter":
        return day.year * 4 + (day.month - 1) // 3
    return day.year * 12 + day.month - 1


def _unit_label(index: int, unit: str) -> str:
    """ "2024", "T4 2024", "déc. 2024": a unit as the reader writes it."""
    if unit == "year":
        return str(index)
    if unit == "quarter":
        return _("Q%(quarter)s %(year)s") % {"quarter": index % 4 + 1, "year": index // 4}
    return dateformat.format(datetime.date(index // 12, index % 12 + 1, 1), "N Y")


def _period_unit(row: SeriesRow) -> str:
    """The unit a reported value's period spans: a year (or more), a quarter, a month."""
    days = (row.date - row.period_start).days + 1 if row.period_start else 1
    return "year" if days >= 360 else "quarter" if days >= 85 else "month"


def _position_date(row: SeriesRow, unit: str) -> datetime.date:
    """Where a row sits: a value at the end of its period; a baseline or a target "as of"
    the first day of a unit is the state at the end of the unit before (a baseline of
    1 January 2022 is the end of 2021)."""
    day = row.date
    if row.period_start is None and day.day == 1:
        starts_unit = (
            unit == "month"
            or (unit == "quarter" and day.month % 3 == 1)
            or (unit == "year" and day.month == 1)
        )
        if starts_unit:
            return day - datetime.timedelta(days=1)
    return day


@dataclass(frozen=True)
class PeriodAxis:
    """An indicator's x axis in calendar units: one category per year, quarter or month
    from the first row to the last (so the spacing is time's), and the labels shown."""

    unit: str
    first: int
    labels: list[str]
    ticks: list[str]

    def position(self, row: SeriesRow) -> int:
        return _unit_index(_position_date(row, self.unit), self.unit) - self.first


def _collides(rows: list[SeriesRow], unit: str) -> bool:
    """Whether two different dates of one series would share a unit's category."""
    seen: dict[tuple[str, int], datetime.date] = {}
    for row in rows:
        key = (row.series, _unit_index(_position_date(row, unit), unit))
        if seen.setdefault(key, row.date) != row.date:
            return True
    return False


def period_axis(rows: list[SeriesRow]) -> PeriodAxis | None:
    """The calendar unit suited to the reported values' periods (annual values: years;
    quarterly: quarters; monthly: months), the finer one when two values of a series
    would share a category; None when even months are too coarse (then the axis is
    plain time)."""
    actual = [row for row in rows if row.series == "actual"]
    if not rows:
        return None
    unit = max((_period_unit(row) for row in actual), key=UNITS.index, default="year")
    while _collides(rows, unit):
        if unit == UNITS[-1]:
            return None
        unit = UNITS[UNITS.index(unit) + 1]
    indexes = [_unit_index(_position_date(row, unit), unit) for row in rows]
    first, last = min(indexes), max(indexes)
    count = last - first + 1
    step = next((s for s in STEPS[unit] if -(-count // s) <= MAX_TICKS), STEPS[unit][-1])
    labels = [_unit_label(index, unit) for index in range(first, last + 1)]
    ticks = [
        label
        for index, label in zip(range(first, last + 1), labels, strict=True)
        if index % step == 0
    ]
    return PeriodAxis(unit, first, labels, ticks or labels[:1])


def _d3_date_format() -> str:
    """The locale's short date (Django's SHORT_DATE_FORMAT) as a d3-time-format."""
    tokens = {"d": "%d", "j": "%-d", "m": "%m", "n": "%-m", "Y": "%Y", "y": "%y"}
    return "".join(tokens.get(c, c) for c in formats.get_format("SHORT_DATE_FORMAT"))


# ---------------------------------------------------------------- the indicator chart


def _when(row: SeriesRow) -> str:
    """A row's date as its table writes it: a value's period, a target's date."""
    if row.period_start and row.period_start != row.date:
        return f"{short_date(row.period_start)} – {short_date(row.date)}"
    return short_date(row.date)


def _quantity(value: Decimal, unit: str) -> str:
    return f"{number_text(value)}\u00a0{unit}" if unit else number_text(value)


def indicator_chart(indicator: Indicator, rows: list[SeriesRow]) -> dict | None:
    """A line chart of the reported values (joined to the baseline that precedes them),
    the target trajectory dashed and the final target marked and labelled, with a
    legend, on an axis counted in the values' own periods (None without values).

    Its data are `rows`, one each, in their order (the data table's rows)."""
    if not any(row.series == "actual" for row in rows):
        return None
    names = series_names()
    target_name = _("Target")
    unit = indicator.unit or ""
    axis = period_axis(rows)
    actual = [row for row in rows if row.series == "actual"]
    targets = [row for row in rows if row.series == "target"]
    final = targets[-1] if targets else None
    baseline = next(
        (
            row
            for row in rows
            if row.series in ("baseline", "target")
            and row.period_start is None
            and row.date == indicator.baseline_date
            and row.value == indicator.baseline_value
        ),
        None,
    )
    if baseline is final:
        baseline = None

    def order(row):
        return axis.position(row) if axis else (row.date - rows[0].date).days

    # The baseline is the line's first value when it comes before every reported value.
    joined = baseline is not None and order(baseline) < min(order(row) for row in actual)
    data = []
    for row in rows:
        item = {
            "date": row.date.isoformat(),
            "series": names[row.series],
            "value": float(row.value),
            "key": row.series,
            "order": order(row),
            "when": _when(row),
            "text": _quantity(row.value, unit),
            "aria": f"{names[row.series]}, {_when(row)}: {_quantity(row.value, unit)}",
            "start": row is baseline,
            "joined": row is baseline and joined,
            "final": row is final,
            "last": row is actual[-1],
        }
        if axis:
            item["period"] = axis.labels[axis.position(row)]
        if row is final:
            item["label"] = _("Target: %(value)s") % {"value": item["text"]}
        data.append(item)

    legend = [names["actual"]]
    if baseline is not None:
        legend.append(names["baseline"])
    if len(targets) > 1:
        legend.append(names["target"])
    if final is not None:
        legend.append(target_name)
    colours = {
        names["actual"]: BLUE,
        names["baseline"]: GREY,
        names["target"]: ORANGE,
        target_name: ORANGE,
    }
    shapes = {names["baseline"]: "square", target_name: "diamond"}
    shown = json.dumps(legend)
    shape_of = " : ".join(
        [
            *(
                f"indexof({shown}, datum.value) == {legend.index(name)} ? '{shape}'"
                for name, shape in shapes.items()
                if name in legend
            ),
            "'stroke'",
        ]
    )
    dashed = legend.index(names["target"]) if names["target"] in legend else -1

    if axis:
        x = {
            "field": "period",
            "type": "ordinal",
            "title": None,
            "sort": None,
            "scale": {"domain": axis.labels},
            "axis": {
                "values": axis.ticks,
                "labelAngle": 0,
                "labelOverlap": "parity",
                "labelPadding": 6,
                "grid": True,
            },
        }
    else:
        x = {
            "field": "date",
            "type": "temporal",
            "title": None,
            "scale": {"type": "utc"},
            "axis": {
                "format": _d3_date_format(),
                "labelAngle": 0,
                "labelOverlap": True,
                "tickMinStep": 86_400_000,
            },
        }
    tooltip = [
        {"field": "series", "type": "nominal", "title": _("Series")},
        {"field": "when", "type": "nominal", "title": _("Date")},
        {"field": "text", "type": "nominal", "title": unit or _("Value")},
    ]
    described = {"description": {"field": "aria"}}
    layers: list[dict] = []
    if len(targets) > 1:
        layers.append(
            {
                "transform": [{"filter": "datum.key == 'target'"}],
                "mark": {"type": "line", "strokeDash": [6, 4], "strokeWidth": 2},
                "encoding": {
                    "color": {"datum": names["target"]},
                    "order": {"field": "order"},
                    "description": {"value": names["target"]},
                },
            }
        )
    layers += [
        {
            "transform": [{"filter": "datum.key == 'actual' || datum.joined"}],
            "mark": {"type": "line", "strokeWidth": 2.5},
            "encoding": {
                "color": {"datum": names["actual"]},
                "order": {"field": "order"},
                "description": {"value": names["actual"]},
            },
        },
        {
            "transform": [{"filter": "datum.key == 'actual'"}],
            "mark": {"type": "point", "filled": True, "size": 60, "opacity": 1},
            "encoding": {"color": {"datum": names["actual"]}, "tooltip": tooltip, **described},
        },
        {
            "transform": [{"filter": "datum.last"}],
            "mark": {"type": "text", "dy": -12, "fontWeight": "bold", "color": BLUE},
            "encoding": {"text": {"field": "text"}, **described},
        },
    ]
    if baseline is not None:
        layers.append(
            {
                "transform": [{"filter": "datum.start"}],
                "mark": {
                    "type": "point",
                    "shape": "square",
                    "filled": True,
                    "size": 70,
                    "opacity": 1,
                },
                "encoding": {
                    "color": {"datum": names["baseline"]},
                    "tooltip": tooltip,
                    **described,
                },
            }
        )
    if final is not None:
        layers += [
            {
                "transform": [{"filter": "datum.final"}],
                "mark": {
                    "type": "point",
                    "shape": "diamond",
                    "filled": True,
                    "size": 150,
                    "opacity": 1,
                },
                "encoding": {"color": {"datum": target_name}, "tooltip": tooltip, **described},
            },
            {
                "transform": [{"filter": "datum.final"}],
                "mark": {
                    "type": "text",
                    "align": "right",
                    "dx": -10,
                    "dy": -12,
                    "fontWeight": "bold",
                    "color": DARK_ORANGE,
                },
                "encoding": {"text": {"field": "label"}, **described},
            },
        ]
    # One legend for every layer: the scale's domain is the series shown, each entry
    # drawn as its marks are (a line, dashed for the trajectory; a square, a diamond).
    layers[0]["encoding"]["color"].update(
        scale={"domain": legend, "range": [colours[name] for name in legend]},
        title=None,
        legend={
            "orient": "bottom",
            "direction": "horizontal",
            "columns": {"expr": NARROW + " ? 1 : 4"},
            "labelLimit": 0,
            "symbolStrokeWidth": 2.5,
            "encode": {
                "symbols": {
                    "update": {
                        "shape": {"signal": shape_of},
                        "strokeDash": {
                            "signal": f"indexof({shown}, datum.value) == {dashed} ? [6, 3] : [1, 0]"
                        },
                    }
                }
            },
        },
    )
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": indicator_description(indicator, rows),
        "width": "container",
        "height": 240,
        "data": {"values": data},
        "encoding": {
            "x": x,
            "y": {"field": "value", "type": "quantitative", "title": unit or _("Value")},
        },
        "layer": layers,
        "config": _config(),
    }


def indicator_description(indicator: Indicator, rows: list[SeriesRow]) -> str:
    """What the chart shows, in words (its accessible description)."""
    unit = indicator.unit or ""
    actual = [row for row in rows if row.series == "actual"]
    first, last = actual[0], actual[-1]
    if len(actual) == 1:
        text = _("%(title)s: one reported value, %(value)s (%(when)s).") % {
            "title": indicator.title,
            "value": _quantity(last.value, unit),
            "when": _when(last),
        }
    else:
        text = _(
            "%(title)s: %(count)s reported values, from %(first)s (%(first_when)s) "
            "to %(last)s (%(last_when)s)."
        ) % {
            "title": indicator.title,
            "count": len(actual),
            "first": _quantity(first.value, unit),
            "first_when": _when(first),
            "last": _quantity(last.value, unit),
            "last_when": _when(last),
        }
    others = [row for row in rows if row.series != "actual"]
    if others and others[0].series == "baseline":
        text += " " + _("Baseline: %(value)s (%(when)s).") % {
            "value": _quantity(others[0].value, unit),
            "when": _when(others[0]),
        }
    elif others:
        text += " " + _("Target: %(value)s (%(when)s).") % {
            "value": _quantity(others[-1].value, unit),
            "when": _when(others[-1]),
        }
    return text


# ---------------------------------------------------------------- bars


def _table(caption: str, columns: list[tuple[str, bool]], rows: list[list[str]]) -> dict:
    """A chart's data table, written from the same loop as its data (one row each):
    partials/chart_table.html shows it under the chart. Columns: (title, is a number);
    a row's first cell heads it."""
    numbers = [number for _title, number in columns[1:]]
    return {
        "caption": caption,
        "columns": [{"title": title, "number": number} for title, number in columns],
        "rows": [
            {
                "head": row[0],
                "cells": [
                    {"text": text, "number": number}
                    for text, number in zip(row[1:], numbers, strict=True)
                ],
            }
            for row in rows
        ],
    }


def counts_chart(title: str, items: list[tuple[str, int]], axis_title: str) -> dict | None:
    """A horizontal bar chart of counts (actions per facet value, for instance)."""
    if not items:
        return None
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": title,
        "width": "container",
        "height": 24 * len(items),
        "data": {"values": [{"label": label, "count": count} for label, count in items]},
        "mark": {"type": "bar", "color": BLUE},
        "encoding": {
            "y": {"field": "label", "type": "nominal", "sort": "-x", "title": None},
            "x": {
                "field": "count",
                "type": "quantitative",
                "title": axis_title,
                "axis": {"format": "d", "tickMinStep": 1},
            },
            "tooltip": [
                {"field": "label", "type": "nominal", "title": title},
                {"field": "count", "type": "quantitative", "title": axis_title},
            ],
        },
        "config": _config(),
    }


@dataclass(frozen=True)
class ProgressRow:
    """A part of a node (a child node) and its progress toward its targets."""

    code: str
    title: str
    rollup: RollUp | None
    href: str = ""


def progress_chart(caption: str, items: list[ProgressRow]) -> dict | None:
    """A bar per part with its progress toward its targets (0 to 100 %), in the tree's
    order; a part whose progress cannot be measured keeps its row, written "not measured
    yet", never a bar of zero (None without parts)."""
    if not items:
        return None
    unmeasured = _("not measured yet")
    data = []
    for item in items:
        progress = item.rollup.progress if item.rollup else None
        data.append(
            {
                "code": item.code,
                "label": f"{item.code} {item.title}",
                "progress": None if progress is None else float(round(progress * 100, 1)),
                "text": unmeasured if progress is None else percent_text(progress),
                "aria": f"{item.code} {item.title}: "
                + (unmeasured if progress is None else percent_text(progress)),
                "reported": _("%(reported)s of %(total)s reported")
                % {"reported": item.rollup.reported, "total": item.rollup.total}
                if item.rollup and item.rollup.total
                else "",
            }
        )
    labels = [row["label"] for row in data]
    description = caption + ". " + "; ".join(f"{row['label']}: {row['text']}" for row in data) + "."
    y = {
        "field": "label",
        "type": "nominal",
        "title": None,
        "sort": None,
        "scale": {"domain": labels},
        "axis": {"labelLimit": {"expr": NARROW + " ? 120 : 240"}},
    }
    tooltip = [
        {"field": "label", "type": "nominal", "title": _("Node")},
        {"field": "text", "type": "nominal", "title": _("Progress")},
        {"field": "reported", "type": "nominal", "title": _("Indicators")},
    ]
    described = {"description": {"field": "aria"}}
    label = {"text": {"field": "text"}, "tooltip": tooltip, **described}
    table = _table(
        caption,
        [(_("Node"), False), (_("Progress"), True), (_("Indicators"), False)],
        [[row["label"], row["text"], row["reported"]] for row in data],
    )
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": description,
        "usermeta": {"table": table},
        "width": "container",
        "height": 28 * len(data),
        "data": {"values": data},
        "encoding": {"y": y},
        "layer": [
            {
                "transform": [{"filter": "isValid(datum.progress)"}],
                "mark": {"type": "bar", "color": BLUE, "cornerRadiusEnd": 2},
                "encoding": {
                    "x": {
                        "field": "progress",
                        "type": "quantitative",
                        "title": _("Progress (%)"),
                        "scale": {"domain": [0, 100]},
                        "axis": {"values": [0, 25, 50, 75, 100], "format": "d"},
                    },
                    "tooltip": tooltip,
                    **described,
                },
            },
            # Each figure written at the end of its bar, inside it where the bar is long
            # (white on blue), after it elsewhere; "not measured yet" where none is.
            {
                "transform": [{"filter": "isValid(datum.progress) && datum.progress >= 80"}],
                "mark": {"type": "text", "align": "right", "dx": -4, "color": "#ffffff"},
                "encoding": {"x": {"field": "progress", "type": "quantitative"}, **label},
            },
            {
                "transform": [
                    {"filter": "!isValid(datum.progress) || datum.progress < 80"},
                    {"calculate": "isValid(datum.progress) ? datum.progress : 0", "as": "end"},
                ],
                "mark": {"type": "text", "align": "left", "dx": 4, "color": "#1a1a1a"},
                "encoding": {"x": {"field": "end", "type": "quantitative"}, **label},
            },
        ],
        "config": _config(),
    }


@dataclass(frozen=True)
class FlowRow:
    """A row of a budget chart: its budget as shown (published first), committed, paid."""

    label: str
    budget: Decimal | None
    committed: Decimal | None
    paid: Decimal | None


def budget_row(label: str, row) -> FlowRow:
    """A budget table's row (budgets.selectors.BudgetRow) as its chart reads it: the
    budget as the table shows it, published first."""
    budget = row.figure.total if row.figure is not None else row.budget
    return FlowRow(str(label), budget, row.committed, row.paid)


def budget_chart(
    captions: tuple[str, str], items: Iterable[FlowRow], unit: str, label_title: str
) -> dict | None:
    """Budget, committed and paid side by side for each row (a funding source, a year, a
    node), in `unit` (M€ or €); a flow nobody reports is left out, an amount not
    reported is no bar (None with fewer than two amounts: nothing to compare).
    `captions`: the chart's title when it shows budgets only, and when it shows money
    committed or paid."""
    items = list(items)
    names = {"budget": _("Budget"), "committed": _("Committed"), "paid": _("Paid")}
    flows = [flow for flow in names if any(getattr(item, flow) is not None for item in items)]
    if sum(getattr(item, flow) is not None for item in items for flow in flows) < 2:
        return None
    caption = captions[0] if flows == ["budget"] else captions[1]
    scale = Decimal(1_000_000) if unit == "M€" else Decimal(1)
    data = []
    for item in items:
        row = {"label": item.label}
        for flow in names:
            amount = getattr(item, flow)
            row[flow] = None if amount is None else float(round(amount / scale, 2))
            row[f"{flow}_text"] = "" if amount is None else money_text(amount, unit)
            row[f"{flow}_aria"] = f"{item.label}, {names[flow]}: {row[f'{flow}_text']}\u00a0{unit}"
        data.append(row)
    described = "; ".join(
        item.label
        + ": "
        + ", ".join(
            f"{names[flow]} {row[f'{flow}_text']}\u00a0{unit}"
            for flow in flows
            if row[flow] is not None
        )
        for item, row in zip(items, data, strict=True)
    )
    colours = {"budget": BLUE, "committed": ORANGE, "paid": GREY}
    table = _table(
        caption,
        [(label_title, False), *((names[flow], True) for flow in flows)],
        [[row["label"], *(row[f"{flow}_text"] for flow in flows)] for row in data],
    )
    flow_name = " : ".join(
        [*(f"datum.flow == '{flow}' ? {json.dumps(names[flow])}" for flow in flows), "''"]
    )
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": f"{caption}. {described}.",
        "usermeta": {"table": table},
        "width": "container",
        "height": len(data) * (14 * len(flows) + 12),
        "data": {"values": data},
        "transform": [
            {"fold": flows, "as": ["flow", "amount"]},
            {"filter": "isValid(datum.amount)"},
            {"calculate": flow_name, "as": "flow_name"},
            {"calculate": "datum[datum.flow + '_text']", "as": "amount_text"},
            {"calculate": "datum[datum.flow + '_aria']", "as": "aria"},
        ],
        "mark": {"type": "bar", "cornerRadiusEnd": 2},
        "encoding": {
            "y": {
                "field": "label",
                "type": "nominal",
                "title": None,
                "sort": None,
                "scale": {"domain": [item.label for item in items]},
                "axis": {"labelLimit": {"expr": NARROW + " ? 120 : 240"}},
            },
            "yOffset": {"field": "flow_name", "sort": [names[flow] for flow in flows]},
            "x": {
                "field": "amount",
                "type": "quantitative",
                "title": unit,
                "axis": {"tickCount": {"expr": NARROW + " ? 4 : 8"}},
            },
            "color": {
                "field": "flow_name",
                "title": None,
                "scale": {
                    "domain": [names[flow] for flow in flows],
                    "range": [colours[flow] for flow in flows],
                },
                "legend": {
                    "orient": "bottom",
                    "direction": "horizontal",
                    "columns": {"expr": NARROW + " ? 2 : 3"},
                    "labelLimit": 0,
                },
            },
            "description": {"field": "aria"},
            "tooltip": [
                {"field": "label", "type": "nominal", "title": label_title},
                {"field": "flow_name", "type": "nominal", "title": _("Flow")},
                {"field": "amount_text", "type": "nominal", "title": unit},
            ],
        },
        "config": _config(),
    }
