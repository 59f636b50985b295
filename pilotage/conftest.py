"""Shared pytest fixtures."""

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import translation

# The standards the tests validate against, shipped with their licence (standards/LICENSE).
STANDARDS = Path(settings.BASE_DIR) / "standards"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """On PostgreSQL, no autovacuum on the test database's tables. Each test's rows are
    rolled back, so a table holds only dead rows between tests; a vacuum then records it
    as empty (reltuples 0), the planner expects one row and nests loops six deep, and the
    next test's query over a few hundred rows runs for minutes. Never vacuumed, a table is
    estimated from its size, as it should be here."""
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT format('ALTER TABLE %I.%I SET (autovacuum_enabled = false,"
                    " toast.autovacuum_enabled = false)', schemaname, tablename)"
                    " FROM pg_tables WHERE schemaname = current_schema()"
                )
                for (statement,) in cursor.fetchall():
                    cursor.execute(statement)


@dataclass
class _Snapshot:
    """The rows `pilotage load` added to a freshly migrated database, and what those rows
    may point at outside themselves (content types, permissions), to know it still holds."""

    before: dict
    rows: list[tuple[type, list[dict]]] = field(default_factory=list)


_shipped: _Snapshot | None = None


def _tables() -> list[type]:
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def _migrated_state() -> dict:
    """What a migrated database holds before any data is loaded: the rows a snapshot's
    foreign keys may point at, with their ids (a flush by a transactional test may renumber
    them, and then the snapshot no longer fits)."""
    return {
        model._meta.label: set(model._base_manager.values_list("pk", flat=True))
        for model in _tables()
    } | {
        "content types": set(ContentType.objects.values_list("pk", "app_label", "model")),
        "permissions": set(Permission.objects.values_list("pk", "codename")),
    }


def _snapshot_take(before: dict) -> _Snapshot:
    snapshot = _Snapshot(before=before)
    for model in _tables():
        kept = before[model._meta.label]
        fields = [f.attname for f in model._meta.concrete_fields]
        rows = [
            row
            for row in model._base_manager.order_by("pk").values(*fields)
            if row[model._meta.pk.attname] not in kept
        ]
        if rows:
            snapshot.rows.append((model, rows))
    return snapshot


def _snapshot_restore(snapshot: _Snapshot) -> None:
    # Foreign keys are deferred to the end of the transaction, so the order of the tables
    # does not matter; the sequences move past the copied ids, as a load leaves them.
    with transaction.atomic():
        for model, rows in snapshot.rows:
            model._base_manager.bulk_create([model(**row) for row in rows], batch_size=500)
        models = [model for model, _rows in snapshot.rows]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)


@pytest.fixture
def shipped_data(db):
    """The shipped data files, loaded by the real command: once per test session, then
    copied row for row into each test's database (loading takes seconds; the copy a
    fraction). Tests of the loading itself call the command."""
    global _shipped
    before = _migrated_state()
    if _shipped is not None and _shipped.before == before:
        _snapshot_restore(_shipped)
        return
    call_command("load", no_progress=True, verbosity=0)
    _shipped = _snapshot_take(before)


@pytest.fixture
def standards_dir() -> Path:
    if not STANDARDS.is_dir():
        pytest.fail(f"The standards are expected at {STANDARDS} (shipped in the repository).")
    return STANDARDS


@pytest.fixture(autouse=True)
def default_language():
    """Each test starts in French, whatever language an earlier request activated."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test's database starts anew, its revisions too: so does the cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_read_model():
    """Each test's database starts anew; so does this process's read model."""
    from pilotage.indicators.readmodel import read_model_reset

    read_model_reset()
    yield
    read_model_reset()


@pytest.fixture(autouse=True)
def fresh_magnet_index():
    """Each test's database starts anew; so does the in-memory magnet index."""
    from pilotage.registry.magnets import magnet_index_reset

    magnet_index_reset()
    yield
    magnet_index_reset()
