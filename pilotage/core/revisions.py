"""The revision of the public data, and the log that tells every process what moved.

Derived figures (statuses, roll-ups, the pages' fragments) are computed once per
revision and kept in each process. A service that commits a change they depend on calls
`changed()` inside its transaction, as its last write: the row commits with the change
(or vanishes with it), and the log's last id is the data's revision. Each process, at
its next request, reads the rows after the revision it holds (one small query) and
recomputes only what they name. No signal writes here: a draft value, a budget line or
an organisation does not move the revision.

Ids come from a sequence, assigned before the commit: a row may become visible after a
higher one. Readers therefore look a few ids back (`LOOKBACK`) and skip what they
applied; rows older than a day are pruned (every `PRUNE_EVERY` writes), and a process
that has not looked for half a day rebuilds everything.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.db import models
from django.utils import timezone

from pilotage.core.models import Change, ChangeKind

T = TypeVar("T")
LOOKBACK = 64  # ids: more than the writers that may commit out of order at once
KEEP = datetime.timedelta(days=1)
PRUNE_EVERY = 500
STALE = KEEP / 2  # a reader silent this long rebuilds: what it missed may be pruned

__all__ = [
    "Change",
    "ChangeKind",
    "cached",
    "changed",
    "changes_after",
    "changes_prune",
    "is_stale",
]


def changed(kind: str, object_ids: Iterable[int] | None = None) -> None:
    """Log a change the read model follows (in the caller's transaction); for
    `INDICATOR`, the ids of the indicators concerned."""
    if kind == ChangeKind.INDICATOR:
        ids = sorted(set(object_ids or ()))
        rows = Change.objects.bulk_create([Change(kind=kind, object_id=pk) for pk in ids])
    else:
        rows = [Change.objects.create(kind=kind)]
    # Every few hundred writes, the log drops what no process can still need.
    if any(row.pk and row.pk % PRUNE_EVERY == 0 for row in rows):
        changes_prune()


def changes_after(seen: int) -> list[tuple[int, str, int | None]]:
    """The changes with an id above `seen - LOOKBACK`, oldest first, as (id, kind,
    object id). A reader that has not looked for `STALE` may have missed pruned rows:
    it rebuilds instead (`is_stale`)."""
    return list(
        Change.objects.filter(pk__gt=seen - LOOKBACK)
        .order_by("pk")
        .values_list("pk", "kind", "object_id")
    )


def is_stale(last_look: datetime.datetime) -> bool:
    """Whether rows a reader has not seen since `last_look` may have been pruned."""
    return timezone.now() - last_look > STALE


def current_revision() -> int:
    return Change.objects.aggregate(last=models.Max("pk"))["last"] or 0


def changes_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete the rows older than a day, the newest excepted; returns how many."""
    newest = current_revision()
    before = (now or timezone.now()) - KEEP
    deleted, _ = Change.objects.filter(created_at__lt=before, pk__lt=newest).delete()
    return deleted


def cached(key: str, revision: int, compute: Callable[[], T], *, timeout: int = 3600) -> T:
    """`compute()`, kept in the cache while the revision has not moved."""
    full_key = f"pilotage:{revision}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = compute()
        cache.set(full_key, value, timeout)
    return value
