"""Progress, status and roll-up: computed from the numbers, never typed in, always explained.

Pure functions over plain values, so the pages, the API, the exports and the quarterly
report all compute them the same way, and tests can check them by hand.

- progress toward target = (actual - baseline) / (target - baseline): 1 means reached;
- status by the expected trajectory (linear from the baseline to the target, through the
  intermediate targets), or by the compound-growth-rate method of Open SDG;
- roll-up: the weighted mean of the progress of what reported, with its coverage; a
  missing value is left out, never counted as zero.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

ZERO, ONE = Decimal(0), Decimal(1)
DAYS_PER_YEAR = 365.25
# Open SDG's thresholds for the growth method (ratio to the required growth, or growth alone).
GROWTH_ON_TRACK, GROWTH_BEHIND = Decimal("0.95"), Decimal("0.60")
GROWTH_NO_TARGET_ON_TRACK, GROWTH_NO_TARGET_BEHIND = Decimal("0.015"), Decimal("0.005")


class Status(models.TextChoices):
    ACHIEVED = "achieved", _("Achieved")
    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind")
    AT_RISK = "at_risk", _("At risk")
    NOT_STARTED = "not_started", _("Not started")
    NO_DATA = "no_data", _("No data")
    NO_TARGET = "no_target", _("No target")


@dataclass(frozen=True)
class Value:
    """One observed value and the period it covers."""

    start: datetime.date
    end: datetime.date
    value: Decimal


@dataclass(frozen=True)
class Spec:
    """What the computation needs to know of an indicator."""

    direction: str = "increase"
    aggregation: str = "last"
    method: str = "trajectory"
    baseline_value: Decimal | None = None
    baseline_date: datetime.date | None = None
    target_value: Decimal | None = None
    target_date: datetime.date | None = None
    tolerance: Decimal | None = None
    on_track_from: Decimal = Decimal("0.95")
    behind_from: Decimal = Decimal("0.85")
    # Intermediate targets: (date, value), in any order.
    milestones: tuple[tuple[datetime.date, Decimal], ...] = ()


@dataclass(frozen=True)
class Assessment:
    """A status and the numbers it was computed from."""

    status: str
    method: str
    actual: Decimal | None = None
    as_of: datetime.date | None = None
    baseline_value: Decimal | None = None
    baseline_date: datetime.date | None = None
    target_value: Decimal | None = None
    target_date: datetime.date | None = None
    progress: Decimal | None = None
    expected: Decimal | None = None
    ratio: Decimal | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    def as_dict(self) -> dict:
        """For the API and exports: numbers as strings, dates as ISO text."""
        return {key: _plain(value) for key, value in asdict(self).items()} | {
            "notes": [str(note) for note in self.notes],
            "status_label": self.status_label,
        }


def _plain(value):
    """Decimals without trailing zeros or exponent ("45", "0.4503"), dates in ISO."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class RollUp:
    """The weighted mean progress of what reported, and how much reported.

    `reported` counts the items with a value; `assessed`, those whose progress toward a
    target could be measured (a value without a target reports, but has no progress).
    """

    progress: Decimal | None
    reported: int
    total: int
    assessed: int | None = None

    def __post_init__(self):
        if self.assessed is None:
            object.__setattr__(self, "assessed", self.reported)


@dataclass(frozen=True, slots=True)
class Summary:
    """What a status needs of an indicator's series: its count, sum, first and last
    values and the dates around them. The read model keeps this rather than every value,
    and the database can compute it (indicators.book) as `summarise` does."""

    count: int
    total: Decimal | None  # the sum of the values (None where it was not needed)
    first: Decimal  # the value of the period that ends first (then starts first)
    first_end: datetime.date
    first_start: datetime.date  # the earliest start of any period
    last: Decimal  # the value of the period that ends last (then starts last)
    last_end: datetime.date


def summarise(values: Iterable[Value], as_of: datetime.date | None = None) -> Summary | None:
    """The summary of the values of periods ended by `as_of` (all by default); None
    when there is none."""
    counted = [v for v in values if as_of is None or v.end <= as_of]
    if not counted:
        return None
    first = min(counted, key=lambda v: (v.end, v.start))
    last = max(counted, key=lambda v: (v.end, v.start))
    return Summary(
        count=len(counted),
        total=sum((v.value for v in counted), ZERO),
        first=first.value,
        first_end=first.end,
        first_start=min(v.start for v in counted),
        last=last.value,
        last_end=last.end,
    )


def _summary(values, as_of) -> Summary | None:
    if values is None or isinstance(values, Summary):
        return values  # a summary is already cut at its book's date
    return summarise(values, as_of)


def actual_value(spec: Spec, values, as_of: datetime.date | None = None):
    """The indicator's value at `as_of` (default: its latest), as (value, date) or (None, None).

    A stock is its last value; flows add up; an average is the mean of the periods.
    `values` is a sequence of values or their summary.
    """
    summary = _summary(values, as_of)
    if summary is None:
        return None, None
    if spec.aggregation == "sum":
        return summary.total, summary.last_end
    if spec.aggregation == "average":
        return summary.total / summary.count, summary.last_end
    return summary.last, summary.last_end


def progress_toward_target(
    *, baseline: Decimal, target: Decimal, actual: Decimal, direction: str, tolerance=None
) -> Decimal | None:
    """Share of the way from baseline to target (1 = reached); None if the target
    contradicts the desired direction."""
    if direction == "maintain":
        return ONE if abs(actual - target) <= (tolerance or ZERO) else ZERO
    if (direction == "increase" and target < baseline) or (
        direction == "decrease" and target > baseline
    ):
        return None
    if target == baseline:
        reached = actual >= target if direction == "increase" else actual <= target
        return ONE if reached else ZERO
    return (actual - baseline) / (target - baseline)


def expected_value(spec: Spec, baseline: Decimal, start: datetime.date, day: datetime.date):
    """The value the trajectory expects on `day`: linear between the baseline, the
    intermediate targets and the final target."""
    points = sorted([(start, baseline), *spec.milestones, (spec.target_date, spec.target_value)])
    if day <= points[0][0]:
        return points[0][1]
    for (d0, v0), (d1, v1) in itertools.pairwise(points):
        if day <= d1:
            span = (d1 - d0).days
            return v1 if span == 0 else v0 + (v1 - v0) * Decimal((day - d0).days) / Decimal(span)
    return points[-1][1]


def assess(
    spec: Spec, values: Sequence[Value] | Summary | None, as_of: datetime.date | None = None
) -> Assessment:
    """The status of an indicator from its values (or their summary), with the numbers
    behind it."""
    summary = _summary(values, as_of)
    if spec.method == "growth":
        return _assess_growth(spec, summary)
    return _assess_trajectory(spec, summary)


def _baseline(spec: Spec, summary: Summary) -> tuple[Decimal, datetime.date, tuple]:
    if spec.baseline_value is not None and spec.baseline_date is not None:
        return spec.baseline_value, spec.baseline_date, ()
    return ZERO, summary.first_start, (_("no baseline given: 0 at the start of the first period"),)


def _assess_trajectory(spec: Spec, summary: Summary | None) -> Assessment:
    actual, day = actual_value(spec, summary)
    common = {"method": "trajectory", "actual": actual, "as_of": day}
    if actual is None:
        return Assessment(Status.NO_DATA, **common)
    if spec.target_value is None or spec.target_date is None:
        return Assessment(Status.NO_TARGET, **common)
    baseline, start, notes = _baseline(spec, summary)
    common |= {
        "baseline_value": baseline,
        "baseline_date": start,
        "target_value": spec.target_value,
        "target_date": spec.target_date,
        "notes": notes,
    }
    progress = progress_toward_target(
        baseline=baseline,
        target=spec.target_value,
        actual=actual,
        direction=spec.direction,
        tolerance=spec.tolerance,
    )
    if progress is None:
        notes = (*notes, _("the target lies against the desired direction"))
        return Assessment(Status.NO_TARGET, **(common | {"notes": notes}))
    common["progress"] = progress
    if spec.direction == "maintain":
        status = Status.ON_TRACK if progress == ONE else Status.AT_RISK
        return Assessment(status, **common)
    if progress >= ONE:
        return Assessment(Status.ACHIEVED, **common)
    if day < start:
        return Assessment(Status.NOT_STARTED, **common)
    expected_share = progress_toward_target(
        baseline=baseline,
        target=spec.target_value,
        actual=expected_value(spec, baseline, start, day),
        direction=spec.direction,
    )
    common["expected"] = expected_share
    if not expected_share:
        status = Status.ON_TRACK if progress > ZERO else Status.NOT_STARTED
        return Assessment(status, **common)
    ratio = progress / expected_share
    if ratio >= spec.on_track_from:
        status = Status.ON_TRACK
    elif ratio >= spec.behind_from:
        status = Status.BEHIND
    else:
        status = Status.AT_RISK
    return Assessment(status, **(common | {"ratio": ratio}))


def _years(start: datetime.date, end: datetime.date) -> float:
    return (end - start).days / DAYS_PER_YEAR


def _cagr(first: Decimal, last: Decimal, years: float) -> Decimal | None:
    if first <= 0 or last <= 0 or years <= 0:
        return None
    return Decimal(repr(math.pow(float(last / first), 1 / years) - 1))


def _assess_growth(spec: Spec, summary: Summary | None) -> Assessment:
    """Open SDG: the observed compound annual growth rate against the rate the target
    requires (or, without a target, against fixed rates)."""
    actual, day = actual_value(spec, summary)
    common = {"method": "growth", "actual": actual, "as_of": day}
    if actual is None:
        return Assessment(Status.NO_DATA, **common)
    if spec.baseline_value is not None and spec.baseline_date is not None:
        first, start = spec.baseline_value, spec.baseline_date
    elif summary.count >= 2:
        first, start = summary.first, summary.first_end
    else:
        notes = (_("a growth rate needs a baseline or two values"),)
        status = Status.NO_TARGET if spec.target_value is None else Status.NO_DATA
        return Assessment(status, **(common | {"notes": notes}))
    common |= {"baseline_value": first, "baseline_date": start}
    observed = _cagr(first, actual, _years(start, day))
    if observed is None:
        notes = (_("a growth rate needs positive values over a positive span of time"),)
        return Assessment(Status.NO_DATA, **(common | {"notes": notes}))
    sign = Decimal(-1) if spec.direction == "decrease" else ONE
    if spec.target_value is None or spec.target_date is None:
        growth = sign * observed
        if growth >= GROWTH_NO_TARGET_ON_TRACK:
            status = Status.ON_TRACK
        elif growth >= GROWTH_NO_TARGET_BEHIND:
            status = Status.BEHIND
        else:
            status = Status.AT_RISK
        return Assessment(status, **(common | {"progress": observed}))
    common |= {"target_value": spec.target_value, "target_date": spec.target_date}
    reached = actual >= spec.target_value if sign > 0 else actual <= spec.target_value
    if reached:
        return Assessment(Status.ACHIEVED, **(common | {"progress": observed}))
    required = _cagr(first, spec.target_value, _years(start, spec.target_date))
    if not required:
        return Assessment(Status.AT_RISK, **(common | {"progress": observed}))
    ratio = observed / required
    if ratio >= GROWTH_ON_TRACK:
        status = Status.ON_TRACK
    elif ratio >= GROWTH_BEHIND:
        status = Status.BEHIND
    else:
        status = Status.AT_RISK
    return Assessment(
        status, **(common | {"progress": observed, "expected": required, "ratio": ratio})
    )


def rollup(items: Iterable[tuple]) -> RollUp:
    """Weighted mean of (weight, progress[, reported]) over the items with a progress.

    `reported` defaults to "has a progress". Each progress counts between 0 and 1: an
    indicator far beyond its target must not hide another one lagging behind.
    """
    items = [
        (item[0], item[1], item[2] if len(item) > 2 else item[1] is not None) for item in items
    ]
    assessed = [
        (weight, min(max(progress, ZERO), ONE))
        for weight, progress, _reported in items
        if progress is not None
    ]
    total_weight = sum((weight for weight, _progress in assessed), ZERO)
    progress = (
        sum((weight * value for weight, value in assessed), ZERO) / total_weight
        if total_weight
        else None
    )
    return RollUp(
        progress=progress,
        reported=sum(1 for item in items if item[2]),
        total=len(items),
        assessed=len(assessed),
    )
