"""Revisions: cache derived figures exactly as long as what they derive from is unchanged.

A derived figure (progress, statuses, roll-ups) is computed, never stored as published;
computing it for every request is what costs. `cached(name, key, compute)` keeps the
result in the process's cache under the current revision of `name`; `revision_bump(name)`
(signals, bulk imports) makes every process compute it again at its next request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.db import models

from pilotage.core.models import Revision

T = TypeVar("T")


def revision(name: str) -> int:
    found = Revision.objects.filter(name=name).values_list("number", flat=True).first()
    return found or 0


def revision_bump(name: str) -> None:
    updated = Revision.objects.filter(name=name).update(number=models.F("number") + 1)
    if not updated:
        Revision.objects.get_or_create(name=name, defaults={"number": 1})


def cached(name: str, key: str, compute: Callable[[], T], *, timeout: int = 3600) -> T:
    """`compute()`, from the cache while the revision of `name` has not moved."""
    full_key = f"pilotage:{name}:{revision(name)}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout)
    return value
