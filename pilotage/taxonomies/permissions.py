"""Taxonomies are shared vocabularies: only steering staff change them."""

from __future__ import annotations

from pilotage.accounts.permissions import is_steering


def can_change_taxonomy(user, taxonomy=None) -> bool:
    return is_steering(user)


def can_tag_record(user, record=None) -> bool:
    """Tagging follows the right to change the record itself, decided by its own app."""
    return is_steering(user)
