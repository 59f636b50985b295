"""Exports of public collections, through the same selectors as the pages and the API."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from pilotage.indicators.explain import explanation
from pilotage.indicators.selectors import indicator_assessments, indicator_list

INDICATOR_COLUMNS = [
    "code",
    "title",
    "kind",
    "unit",
    "action",
    "node",
    "status",
    "status_label",
    "actual",
    "as_of",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "progress",
    "expected",
    "ratio",
    "method",
    "explanation",
]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def indicator_rows(batch: int = 500) -> Iterator[list]:
    """One row per indicator with its status and the numbers behind it, batch by batch
    so memory stays flat whatever the number of indicators."""
    queryset = indicator_list().select_related("node__strategy").order_by("code")
    codes = list(queryset.values_list("code", flat=True))
    for start in range(0, len(codes), batch):
        indicators = list(queryset.filter(code__in=codes[start : start + batch]))
        assessments = indicator_assessments(indicators)
        for indicator in indicators:
            assessment = assessments[indicator.pk]
            numbers = assessment.as_dict()
            yield [
                indicator.code,
                indicator.title,
                indicator.kind,
                indicator.unit,
                indicator.action.code if indicator.action_id else "",
                f"{indicator.node.strategy.code}:{indicator.node.code}"
                if indicator.node_id
                else "",
                *(numbers[column] or "" for column in INDICATOR_COLUMNS[6:18]),
                explanation(assessment),
            ]


def indicators_csv() -> Iterator[str]:
    """The indicators as CSV lines (UTF-8), header first."""
    writer = csv.writer(_Echo())
    yield writer.writerow(INDICATOR_COLUMNS)
    for row in indicator_rows():
        yield writer.writerow(row)
