"""Numbers as a reader of the current language expects them."""

from __future__ import annotations

import datetime
import functools
from decimal import Decimal

from django.utils import formats
from django.utils.translation import get_language


def _trimmed(value: Decimal) -> Decimal:
    """12.50 → 12.5, 45.0 → 45: no zeros that say nothing."""
    return value.to_integral() if value == value.to_integral() else value.normalize()


def number_text(value: Decimal | None, places: int = 2) -> str:
    """58414 → "58 414" in French, "58,414" in English; "–" for nothing."""
    if value is None:
        return "–"
    return formats.number_format(_trimmed(round(value, places)), use_l10n=True, force_grouping=True)


def percent_text(share: Decimal | None) -> str:
    """0.625 → "62,5 %" in French; "–" for nothing."""
    if share is None:
        return "–"
    return f"{number_text(Decimal(share) * 100, 1)} %"


def short_date(value: datetime.date) -> str:
    """31/03/2026 in French and English, 31-3-2026 in Dutch: the locale's short date."""
    return _short_date(value, get_language())


@functools.lru_cache(maxsize=4096)
def _short_date(value: datetime.date, language: str | None) -> str:
    # Pages list hundreds of dates, mostly the same quarters: format each once.
    return formats.date_format(value, "SHORT_DATE_FORMAT")


MILLION = Decimal(1_000_000)


def money_unit(amounts) -> str:
    """The unit a table of euro amounts reads best in: M€ once any reaches a million (as
    the seeds publish their budgets), else €."""
    return "M€" if any(a is not None and abs(a) >= MILLION for a in amounts) else "€"


def money_text(value: Decimal | None, unit: str = "€") -> str:
    """2401980000 in M€ → "2 401,98" in French; euros with their cents; "" for nothing."""
    if value is None:
        return ""
    scaled = Decimal(value) / MILLION if unit == "M€" else Decimal(value)
    return formats.number_format(
        round(scaled, 2), decimal_pos=2, use_l10n=True, force_grouping=True
    )
