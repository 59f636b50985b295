"""The sentence that explains a status, in the reader's language, from its numbers."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _

from pilotage.core.formatting import number_text, percent_text
from pilotage.indicators.progress import Assessment, Status


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
            else _("Not assessed: %(why)s.") % {"why": "; ".join(str(note) for note in a.notes)}
        )
    value = _("%(value)s on %(date)s") % {"value": number_text(a.actual), "date": _date(a.as_of)}
    if a.status == Status.NO_TARGET and a.progress is None:
        return _("%(value)s; no target to measure progress against.") % {"value": value}
    if a.method == "growth":
        text = _("%(value)s; growing %(observed)s a year since %(start)s") % {
            "value": value,
            "observed": percent_text(a.progress),
            "start": _date(a.baseline_date),
        }
        if a.expected is not None:
            text += _(", %(required)s a year needed to reach %(target)s by %(date)s") % {
                "required": percent_text(a.expected),
                "target": number_text(a.target_value),
                "date": _date(a.target_date),
            }
        return text + "."
    text = _(
        "%(value)s: %(progress)s of the way from %(baseline)s (%(start)s) to %(target)s (%(end)s)"
    ) % {
        "value": value,
        "progress": percent_text(a.progress),
        "baseline": number_text(a.baseline_value),
        "start": _date(a.baseline_date),
        "target": number_text(a.target_value),
        "end": _date(a.target_date),
    }
    if a.expected is not None and a.ratio is not None:
        text += _("; %(expected)s expected by then, so %(ratio)s of the expected progress") % {
            "expected": percent_text(a.expected),
            "ratio": percent_text(a.ratio),
        }
    if a.notes:
        text += f" ({'; '.join(str(note) for note in a.notes)})"
    return text + "."
