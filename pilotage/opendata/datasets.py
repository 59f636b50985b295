"""What a collection's page and the exports index show: its rows, each file's size, its
last change and its first rows, read from the collection's own definition and files
(`opendata.exports`, `opendata.formats`, `opendata.files`), never a list of their own.

Counted once per version of the data and kept in the shared cache: the first page after
a change builds the collection's files (as a download would), every later one reads them
from the cache.
"""

from __future__ import annotations

import datetime
import itertools
from contextlib import closing
from dataclasses import dataclass

from django.core.cache import cache

from pilotage.core.spreadsheets import quoted_row
from pilotage.opendata.exports import Collection
from pilotage.opendata.files import KEEP_OLD, export_size
from pilotage.opendata.formats import MEDIA_TYPES, export_chunks, filename, formats_of

PREVIEW_ROWS = 10


@dataclass(frozen=True)
class File:
    format: str
    name: str
    media_type: str
    size: int


@dataclass(frozen=True)
class Dataset:
    """A collection's figures for one version of the data."""

    name: str
    rows: int
    modified: datetime.datetime | None
    files: tuple[File, ...]
    # The first rows as the CSV writes them: texts that start like a formula quoted.
    preview: tuple[tuple[str, ...], ...]


def dataset_get(collection: Collection, *, version: str) -> Dataset:
    """The figures of `collection` for this version of the data, counted once."""
    key = f"pilotage.exports.dataset:{version}:{collection.name}"
    found = cache.get(key)
    if found is None:
        found = _dataset(collection, version=version)
        cache.set(key, found, KEEP_OLD)
    return found


def _dataset(collection: Collection, *, version: str) -> Dataset:
    files = tuple(
        File(
            format,
            filename(collection, format),
            MEDIA_TYPES[format],
            export_size(
                filename(collection, format),
                lambda format=format: export_chunks(collection, format),
                version=version,
            ),
        )
        for format in formats_of(collection)
    )
    return Dataset(
        name=collection.name,
        rows=collection.count(),
        modified=collection.modified(),
        files=files,
        preview=preview_rows(collection),
    )


def preview_rows(collection: Collection, size: int = PREVIEW_ROWS) -> tuple[tuple[str, ...], ...]:
    """The first `size` rows, each cell the text the CSV holds (empty for a missing value)."""
    with closing(iter(collection.rows())) as rows:
        first = list(itertools.islice(rows, size))
    return tuple(
        tuple("" if value is None else str(value) for value in quoted_row(row)) for row in first
    )
