"""The audit trail: who changed which record, when, and the values before and after.

django-auditlog records every create, update and delete of the registered models
(see each app's `AppConfig.ready`). Services run their writes inside `acting_as(actor)`
so that changes made outside a web request (commands, tests, tasks) still name their
author.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db import models


@contextmanager
def acting_as(actor) -> Iterator[None]:
    """Attribute every audited change made in this block to `actor` (None: the system)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        yield
        return
    with set_actor(actor):
        yield


def record_history(record: models.Model) -> models.QuerySet[LogEntry]:
    """The audit entries of one record, newest first."""
    return LogEntry.objects.get_for_object(record).select_related("actor").order_by("-timestamp")
