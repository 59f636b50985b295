"""Multilingual values as the data files and imports carry them: {"fr": ..., "nl": ...}."""

from __future__ import annotations

from django.conf import settings


def language_codes() -> list[str]:
    """The interface languages, French first."""
    return [code for code, _name in settings.LANGUAGES]


def translated_field_values(field: str, values: dict[str, str] | None) -> dict[str, str]:
    """Spread {"fr": "x", "en": "y"} into modeltranslation columns {"field_fr": "x", ...}.

    Languages absent from `values` are set to "" so that a reload clears a removed
    translation instead of keeping a stale one.
    """
    values = values or {}
    return {f"{field}_{code}": values.get(code) or "" for code in language_codes()}


def translated_value_map(instance, field: str) -> dict[str, str]:
    """The non-empty translations of a field as {"fr": ..., "en": ...}."""
    result = {}
    for code in language_codes():
        value = getattr(instance, f"{field}_{code}", "")
        if value:
            result[code] = value
    return result
