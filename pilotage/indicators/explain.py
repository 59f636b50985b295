"""The sentence that explains a status, in the reader's language, from its numbers."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _

from pilotage.indicators.progress import Assessment, Status


def _number(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return formats.number_format(
        value.normalize() if value == value.to_integral() else round(value, 2),
        use_l10n=True,
        force_grouping=True,
    )


def _percent(share: Decimal | None) -> str:
    return (
        "–" if share is None else f"{formats.number_format(round(share * 100, 1), use_l10n=True)} %"
    )


def _date(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "–"


def explanation(assessment: Assessment) -> str:
    """E.g. "45 on 1/1/2026; 45 % of the way from 0 (1/1/2024) to 100 (1/1/2028),
    50 % expected by then: 90 % of the expected progress."."""
    a = assessment
    if a.status == Status.NO_DATA:
        return (
            _("No value published yet.")
            if not a.notes
            else _("Not assessed: %(why)s.") % {"why": "; ".join(a.notes)}
        )
    value = _("%(value)s on %(date)s") % {"value": _number(a.actual), "date": _date(a.as_of)}
    if a.status == Status.NO_TARGET:
        return _("%(value)s; no target to measure progress against.") % {"value": value}
    if a.method == "growth":
        text = _("%(value)s; growing %(observed)s a year since %(start)s") % {
            "value": value,
            "observed": _percent(a.progress),
            "start": _date(a.baseline_date),
        }
        if a.expected is not None:
            text += _(", %(required)s a year needed to reach %(target)s by %(date)s") % {
                "required": _percent(a.expected),
                "target": _number(a.target_value),
                "date": _date(a.target_date),
            }
        return text + "."
    text = _(
        "%(value)s: %(progress)s of the way from %(baseline)s (%(start)s) to %(target)s (%(end)s)"
    ) % {
        "value": value,
        "progress": _percent(a.progress),
        "baseline": _number(a.baseline_value),
        "start": _date(a.baseline_date),
        "target": _number(a.target_value),
        "end": _date(a.target_date),
    }
    if a.expected is not None and a.ratio is not None:
        text += _("; %(expected)s expected by then, so %(ratio)s of the expected progress") % {
            "expected": _percent(a.expected),
            "ratio": _percent(a.ratio),
        }
    if a.notes:
        text += f" ({'; '.join(a.notes)})"
    return text + "."
