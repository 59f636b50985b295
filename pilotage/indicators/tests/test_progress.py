"""Progress, status and roll-up, checked by hand."""

import datetime
from decimal import Decimal as D

import pytest

from pilotage.indicators.progress import (
    RollUp,
    Spec,
    Status,
    Value,
    assess,
    progress_toward_target,
    rollup,
)


def test_rollup_weights_the_progress_of_what_reported():
    # (2 * 1 + 1 * 0 + 1 * 0.5) / (2 + 1 + 1) = 2.5 / 4
    assert rollup([(D(2), D(1)), (D(1), D(0)), (D(1), D("0.5"))]).progress == D("0.625")


def test_rollup_leaves_out_what_did_not_report_and_says_so():
    result = rollup([(D(2), D(1)), (D(1), D(0)), (D(1), None)])
    # (2 * 1 + 1 * 0) / (2 + 1) = 2/3, not (2 + 0 + 0) / 4
    assert round(result.progress, 3) == D("0.667")
    assert (result.reported, result.total) == (2, 3)


def test_rollup_of_nothing_reported_has_no_progress():
    assert rollup([(D(1), None)]) == RollUp(progress=None, reported=0, total=1)


def test_rollup_caps_over_achievement():
    assert rollup([(D(1), D(3)), (D(1), D(0))]).progress == D("0.5")


@pytest.mark.parametrize(
    "baseline, target, actual, direction, expected",
    [
        (D(100), D(200), D(150), "increase", D("0.5")),
        (D(100), D(50), D(80), "decrease", D("0.4")),
        (D(100), D(200), D(90), "increase", D("-0.1")),
        (D(100), D(50), D(120), "increase", None),  # target against the direction
        (D(10), D(10), D(12), "increase", D(1)),
        (D(10), D(10), D(9), "increase", D(0)),
    ],
)
def test_progress_toward_target(baseline, target, actual, direction, expected):
    assert (
        progress_toward_target(baseline=baseline, target=target, actual=actual, direction=direction)
        == expected
    )


def test_maintain_is_reached_within_the_tolerance():
    within = progress_toward_target(
        baseline=D(50), target=D(50), actual=D(52), direction="maintain", tolerance=D(2)
    )
    outside = progress_toward_target(
        baseline=D(50), target=D(50), actual=D(53), direction="maintain", tolerance=D(2)
    )
    assert (within, outside) == (D(1), D(0))


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def stock(value, end, start=None) -> Value:
    return Value(day(start or end), day(end), D(value))


SPEC = Spec(
    baseline_value=D(0),
    baseline_date=day("2024-01-01"),
    target_value=D(100),
    target_date=day("2028-01-01"),
)


@pytest.mark.parametrize(
    "actual, status",
    [
        ("50", Status.ON_TRACK),
        ("48", Status.ON_TRACK),
        ("45", Status.BEHIND),
        ("40", Status.AT_RISK),
        ("100", Status.ACHIEVED),
    ],
)
def test_status_by_the_expected_trajectory(actual, status):
    # Half-way through the period (2026-01-01 is 731 of 1461 days), 50.03 is expected.
    result = assess(SPEC, [stock(actual, "2026-01-01")])
    assert result.status == status
    assert result.progress == D(actual) / 100
    if status != Status.ACHIEVED:
        expected_share = D(731) / D(1461)
        assert result.expected == pytest.approx(expected_share)
        assert result.ratio == pytest.approx(D(actual) / 100 / expected_share)


def test_bands_are_configurable():
    strict = Spec(**{**SPEC.__dict__, "on_track_from": D("0.99"), "behind_from": D("0.97")})
    assert assess(strict, [stock("48", "2026-01-01")]).status == Status.AT_RISK


def test_intermediate_targets_bend_the_trajectory():
    # 80 expected by the end of 2025, then 100 by 2028: at 2026-01-01, 80 is expected.
    bent = Spec(**{**SPEC.__dict__, "milestones": ((day("2026-01-01"), D(80)),)})
    result = assess(bent, [stock("60", "2026-01-01")])
    assert result.expected == D("0.8")
    assert result.status == Status.AT_RISK  # 60 / 80 = 75 %


def test_flows_add_up_and_stocks_keep_their_last_value():
    values = [stock("10", "2024-12-31", "2024-01-01"), stock("20", "2025-12-31", "2025-01-01")]
    flows = assess(Spec(**{**SPEC.__dict__, "aggregation": "sum"}), values)
    stocks = assess(SPEC, values)
    assert (flows.actual, stocks.actual) == (D(30), D(20))


def test_missing_values_and_targets_are_said_not_guessed():
    assert assess(SPEC, []).status == Status.NO_DATA
    no_target = assess(Spec(), [stock("5", "2025-01-01")])
    assert (no_target.status, no_target.actual) == (Status.NO_TARGET, D(5))


def test_before_the_baseline_date_nothing_has_started():
    assert assess(SPEC, [stock("0", "2023-06-30")]).status == Status.NOT_STARTED


def test_growth_method_compares_observed_and_required_growth():
    # From 100 to 121 in 2 years is 10 % a year; reaching 200 in 5 years needs 14.87 %.
    spec = Spec(
        method="growth",
        baseline_value=D(100),
        baseline_date=day("2020-01-01"),
        target_value=D(200),
        target_date=day("2025-01-01"),
    )
    result = assess(spec, [stock("121", "2022-01-01")])
    years = (day("2022-01-01") - day("2020-01-01")).days / 365.25
    observed = (121 / 100) ** (1 / years) - 1
    required = 2 ** (1 / ((day("2025-01-01") - day("2020-01-01")).days / 365.25)) - 1
    assert float(result.progress) == pytest.approx(observed)
    assert float(result.ratio) == pytest.approx(observed / required)
    assert result.status == Status.BEHIND  # 60 % ≤ ratio < 95 %


def test_growth_without_target_uses_fixed_rates():
    spec = Spec(method="growth")
    values = [stock("100", "2020-01-01"), stock("103", "2022-01-01")]
    assert assess(spec, values).status == Status.BEHIND  # about 1.5 % a year, just under
    values = [stock("100", "2020-01-01"), stock("110", "2022-01-01")]
    assert assess(spec, values).status == Status.ON_TRACK


def test_the_explanation_carries_the_numbers():
    result = assess(SPEC, [stock("45", "2026-01-01")]).as_dict()
    assert result["actual"] == "45"
    assert result["target_value"] == "100"
    assert result["as_of"] == "2026-01-01"
    assert result["status"] == "behind"
