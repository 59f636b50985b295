"""`pilotage load`: every app's data files into the database, all or nothing.

Each app registers the folder of `data/` it reads (`data_folder_register`, in its
`AppConfig.ready`), so the core knows no domain. A load parses every file, gathers the
codes each folder provides, cross-checks every reference, and only then writes, folder by
folder in their order, in one transaction. Records are matched by code, so a second run
changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from pilotage.core.datafiles import DataError, DataFileError

Files = dict[Path, Any]
Known = dict[str, set]
Progress = Callable[[Iterable], Iterable]


@dataclass(frozen=True)
class DataFolder:
    """How one folder of `data/` is read, checked and written."""

    folder: str
    order: int
    # Parse one file (raise DataFileError).
    read: Callable[[Path], Any]
    # The codes this folder's files and the database provide, by kind ("organisations" ...).
    known: Callable[[Files], Known]
    # What is wrong with the files, given every code known to the load.
    check: Callable[[Files, Known], list[DataError]]
    # Write the files; returns counts such as {"nodes created": 3}.
    write: Callable[[Files, Progress], Counter]


_FOLDERS: dict[str, DataFolder] = {}


def data_folder_register(folder: DataFolder) -> None:
    _FOLDERS[folder.folder] = folder


def registered_folders() -> list[DataFolder]:
    return sorted(_FOLDERS.values(), key=lambda folder: folder.order)


def data_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def shipped_data_read(data_dir: Path) -> dict[str, Files]:
    """Parse and cross-check every data file; raise DataFileError listing all problems."""
    parsed: dict[str, Files] = {}
    errors: list[DataError] = []
    for folder in registered_folders():
        parsed[folder.folder] = {}
        for path in data_files(data_dir / folder.folder):
            try:
                parsed[folder.folder][path] = folder.read(path)
            except DataFileError as error:
                errors.extend(error.errors)
    if not errors:
        known: Known = {}
        for folder in registered_folders():
            for kind, codes in folder.known(parsed[folder.folder]).items():
                known.setdefault(kind, set()).update(codes)
        for folder in registered_folders():
            errors.extend(folder.check(parsed[folder.folder], known))
    if errors:
        raise DataFileError(errors)
    return parsed


@transaction.atomic
def shipped_data_load(data_dir: Path, *, progress: Progress = iter) -> Counter:
    """Load every data file under `data_dir`; returns counts of created/updated/unchanged."""
    parsed = shipped_data_read(data_dir)
    stats: Counter = Counter()
    for folder in registered_folders():
        stats.update(folder.write(parsed[folder.folder], progress))
    if any(count for key, count in stats.items() if not str(key).endswith("unchanged")):
        from pilotage.core.revisions import ChangeKind, changed

        changed(ChangeKind.STRUCTURE)  # anything may have moved; a second load writes nothing
    return stats


def duplicates(file_codes: Iterable[tuple[str, str]], kind: str) -> list[DataError]:
    """A DataError for every code seen twice, in one file or across files."""
    seen: dict[str, str] = {}
    errors = []
    for file, code in file_codes:
        if code in seen:
            where = "twice in this file" if seen[code] == file else f"also in {seen[code]}"
            errors.append(DataError(file, f"{kind} {code!r}", f"duplicate code ({where})"))
        else:
            seen[code] = file
    return errors
