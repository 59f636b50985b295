"""The open-data files, built once per version of the data and then served from disk.

A download used to recompute its file: four people fetching the organisations' CSV at
once kept four workers and the database busy for seconds each. Now the first request for
a file builds it into `PILOTAGE_EXPORTS_DIR/<version>/` (a temporary file renamed into
place, so no reader sees half a file) while it streams to its client; a download that
finds another worker building it streams its own copy rather than waiting (the lock is
held in the shared cache), and every later download is a file streamed by the server.
The dataset pages read the files' sizes, building what is missing (`export_size`).

The version is the revision (`core.revisions`'s log), what the exports read whose writes do
not move it (`PILOTAGE_EXPORTS_FRESHNESS`: organisations, terms, budget lines; a file that
reads more names it, as D4WMO's persons and events), and the
day (statuses are as of today), and the code that writes the files (a new release that
writes them otherwise, say with formula-like texts quoted, must not serve files built by the
old one): when any moves, the next download builds anew.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import models
from django.utils import timezone

from pilotage.core.revisions import Change

logger = logging.getLogger(__name__)
LOCK_TIMEOUT = 600  # seconds: longer than the largest build; a crashed builder's lock expires
WAIT_STEP = 0.2
KEEP_OLD = 3600  # seconds an older version's folder stays, for downloads still streaming it


# The modules that decide what a file holds and how it is written.
_WRITERS = (
    "opendata/exports.py",
    "opendata/formats.py",
    "core/spreadsheets.py",
    "opendata/d4wmo/export.py",
    "opendata/d4wmo/vocabulary.py",
)


@functools.cache
def _writers_version() -> str:
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for name in _WRITERS:
        digest.update((package / name).read_bytes())
    return digest.hexdigest()[:12]


def exports_dir() -> Path | None:
    """Where the files are kept, or None when each download is built as it streams."""
    folder = settings.PILOTAGE_EXPORTS_DIR
    return Path(folder) if folder else None


def exports_version(extra: Sequence[str] = ()) -> str:
    """A short name for the version of every public figure the exports hold (and of the
    `extra` models a file reads besides)."""
    # The log's count as well as its last id: a change whose id was taken before another's
    # may commit after it, leaving the last id as it was.
    log = Change.objects.aggregate(last=models.Max("pk"), n=models.Count("pk"))
    parts = [
        f"writers:{_writers_version()}",
        f"revision:{log['last'] or 0}:{log['n']}",
        f"day:{timezone.localdate()}",
    ]
    for label in [*settings.PILOTAGE_EXPORTS_FRESHNESS, *extra]:
        model = apps.get_model(label)
        # Its rows' number (a deletion moves it) and their latest dates (`updated_at`, or
        # every date a model without one keeps: a reallocation's request and decision).
        dates = [
            f.name for f in model._meta.concrete_fields if f.get_internal_type() == "DateTimeField"
        ]
        if "updated_at" in dates:
            dates = ["updated_at"]
        figures = model._default_manager.aggregate(
            n=models.Count("pk"), **{name: models.Max(name) for name in dates}
        )
        parts.append(f"{label}:" + ":".join(str(figures[key]) for key in sorted(figures)))
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def export_file(
    name: str, chunks: Callable[[], Iterable[bytes]], *, version: str | None = None
) -> Path:
    """The path of `name` for the current version, built from `chunks()` by one worker
    when it is not there yet (the others wait for it)."""
    root = exports_dir()
    if root is None:
        raise RuntimeError("PILOTAGE_EXPORTS_DIR is not set.")
    version = version or exports_version()
    path = root / version / name
    lock = _lock(version, name)
    deadline = time.monotonic() + LOCK_TIMEOUT * 2
    while not path.exists():
        if cache.add(lock, os.getpid(), timeout=LOCK_TIMEOUT):
            try:
                if not path.exists():  # built while this worker took the lock
                    _build(path, chunks)
                    _prune(root, keep=version)
            finally:
                cache.delete(lock)
            break
        if time.monotonic() > deadline:  # the lock's holder is stuck: build regardless
            _build(path, chunks)
            break
        time.sleep(WAIT_STEP)
    return path


def export_stream(
    name: str, chunks: Callable[[], Iterable[bytes]], *, version: str
) -> Path | Iterator[bytes]:
    """The built file of `name`, or its bytes as they are made when it is not built yet:
    written to the file on the way unless another worker is building it. A download
    never waits for a build, and its first bytes leave at once."""
    root = exports_dir()
    if root is None:
        raise RuntimeError("PILOTAGE_EXPORTS_DIR is not set.")
    path = root / version / name
    if path.exists():
        return path
    lock = _lock(version, name)
    if not cache.add(lock, os.getpid(), timeout=LOCK_TIMEOUT):
        return iter(chunks())
    if path.exists():  # built while this worker took the lock
        cache.delete(lock)
        return path
    return _building(root, path, chunks, version=version, lock=lock)


def export_size(name: str, chunks: Callable[[], Iterable[bytes]], *, version: str) -> int:
    """The size in bytes of `name` for this version: its file's, built when missing (a
    page that finds another worker building it waits for that file rather than making the
    same bytes again); counted as they are made when the exports have no folder."""
    if exports_dir() is None:
        return sum(len(chunk) for chunk in chunks())
    return export_file(name, chunks, version=version).stat().st_size


def _lock(version: str, name: str) -> str:
    return f"pilotage.exports.lock:{version}:{name}"


def _building(
    root: Path, path: Path, chunks: Callable[[], Iterable[bytes]], *, version: str, lock: str
) -> Iterator[bytes]:
    try:
        yield from _writing(path, chunks)
        _prune(root, keep=version)
    finally:
        cache.delete(lock)


def _writing(path: Path, chunks: Callable[[], Iterable[bytes]]) -> Iterator[bytes]:
    """The chunks, each written to a temporary file renamed to `path` after the last
    (removed if the build fails or its client goes away)."""
    started = time.monotonic()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            for chunk in chunks():
                file.write(chunk)
                yield chunk
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    logger.info("Export built: %s in %.1f s", path, time.monotonic() - started)


def _build(path: Path, chunks: Callable[[], Iterable[bytes]]) -> None:
    for _chunk in _writing(path, chunks):
        pass


def _prune(root: Path, *, keep: str) -> None:
    """Drop the folders of versions replaced more than `KEEP_OLD` ago."""
    limit = time.time() - KEEP_OLD
    for folder in root.iterdir():
        if folder.is_dir() and folder.name != keep and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
