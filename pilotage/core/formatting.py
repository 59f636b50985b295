"""Numbers as a reader of the current language expects them."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats


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
