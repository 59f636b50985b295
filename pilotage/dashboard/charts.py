"""Vega-Lite specifications of the public charts, with the rows of their data tables.

Every chart is built from the same rows the page shows in its table and offers for
download, so the picture, the table and the file cannot disagree.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pilotage.indicators.models import Indicator
from pilotage.indicators.progress import Value

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


@dataclass(frozen=True)
class SeriesRow:
    """One point of an indicator's chart: a reported value or a point of its target path."""

    date: datetime.date
    series: str  # "actual", "target" (the trajectory) or "baseline" (without trajectory)
    value: Decimal
    period_start: datetime.date | None = None


def indicator_series(indicator: Indicator, values: list[Value]) -> list[SeriesRow]:
    """The published values (at the end of their period) and the target trajectory
    (baseline, intermediate targets, final target), in date order."""
    rows = [SeriesRow(v.end, "actual", v.value, v.start) for v in values if v.value is not None]
    path = []
    if indicator.baseline_value is not None and indicator.baseline_date:
        path.append(SeriesRow(indicator.baseline_date, "target", indicator.baseline_value))
    path += [
        SeriesRow(target.period_end, "target", target.value, target.period_start)
        for target in indicator.targets.all()
    ]
    if indicator.target_value is not None and indicator.target_date:
        path.append(SeriesRow(indicator.target_date, "target", indicator.target_value))
    # A target path needs a start and an end to be a path; alone, a baseline is a point.
    if len(path) > 1:
        rows += path
    elif indicator.baseline_value is not None and indicator.baseline_date:
        rows.append(SeriesRow(indicator.baseline_date, "baseline", indicator.baseline_value))
    return sorted(rows, key=lambda row: (row.date, row.series))


def series_names() -> dict[str, str]:
    return {
        "actual": _("Reported value"),
        "target": _("Target trajectory"),
        "baseline": _("Baseline"),
    }


def _date_format() -> str:
    """Dates on an axis as the reader writes them (d3-time-format)."""
    return "%Y-%m" if (get_language() or "fr").startswith("en") else "%m/%Y"


def indicator_chart(indicator: Indicator, rows: list[SeriesRow]) -> dict | None:
    """A line chart of the values against the target trajectory (None without values)."""
    if not any(row.series == "actual" for row in rows):
        return None
    names = series_names()
    actual, target, baseline = names["actual"], names["target"], names["baseline"]
    unit = indicator.unit or ""
    data = [
        {"date": row.date.isoformat(), "series": names[row.series], "value": float(row.value)}
        for row in rows
    ]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": _("%(title)s: reported values against the target trajectory.")
        % {"title": indicator.title},
        "width": "container",
        "height": 240,
        "data": {"values": data},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {
                "field": "date",
                "type": "temporal",
                "title": _("Date"),
                "axis": {"format": _date_format(), "labelAngle": 0},
            },
            "y": {"field": "value", "type": "quantitative", "title": unit or _("Value")},
            "color": {
                "field": "series",
                "type": "nominal",
                "title": None,
                # Blue and orange stay apart for every common colour-vision deficiency.
                "scale": {
                    "domain": [actual, target, baseline],
                    "range": ["#1f5fa8", "#b35c00", "#4a4a55"],
                },
            },
            "strokeDash": {
                "field": "series",
                "type": "nominal",
                "scale": {"domain": [actual, target, baseline], "range": [[1, 0], [6, 4], [1, 0]]},
                "legend": None,
            },
            "tooltip": [
                {"field": "series", "type": "nominal", "title": _("Series")},
                {"field": "date", "type": "temporal", "title": _("Date")},
                {"field": "value", "type": "quantitative", "title": unit or _("Value")},
            ],
        },
        "config": {"font": "system-ui, sans-serif"},
    }


def counts_chart(title: str, items: list[tuple[str, int]], axis_title: str) -> dict | None:
    """A horizontal bar chart of counts (actions per facet value, for instance)."""
    if not items:
        return None
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "description": title,
        "width": "container",
        "data": {"values": [{"label": label, "count": count} for label, count in items]},
        "mark": {"type": "bar", "color": "#1f5fa8"},
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
        "config": {"font": "system-ui, sans-serif"},
    }
