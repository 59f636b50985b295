"""Rate limits hold across worker processes: two servers, one database, one count.

The operator's finding: each gunicorn worker counted in its own memory, so a client got
480 answers in 16 seconds against 120 a minute. Here two server processes share a
database of their own (PostgreSQL when the tests run on it, else a SQLite file), migrated
by `pilotage migrate` as an install would (the cache table comes with the migrations),
and requests alternate between them, one by one or several at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from pilotage.core.tests.servers import environment, fresh_database, gunicorn, status

pytestmark = pytest.mark.slow

LIMIT = 5
REQUESTS = 16


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("shared-limits")
    with fresh_database(folder, "shared_limits") as url:
        yield url, folder


@contextmanager
def _two_servers(database: tuple[str, Path], *, cache_url: str, log: Path) -> Iterator[list[str]]:
    """Two gunicorn processes of one worker each, on two ports; what they log goes to
    `log`."""
    url, folder = database
    env = environment(
        url,
        folder,
        PILOTAGE_CACHE_URL=cache_url,
        PILOTAGE_API_RATE_LIMIT=str(LIMIT),
        PILOTAGE_API_RATE_LIMIT_TOKEN="0",
        PILOTAGE_PAGE_RATE_LIMIT=str(LIMIT),
        PILOTAGE_EXPORT_RATE_LIMIT=str(LIMIT),
        LOG_LEVEL="INFO",  # each export built is logged
    )
    with gunicorn(env, servers=2, log=log) as bases:
        # Far from a minute's end, so every request falls in one window.
        if time.time() % 60 > 45:
            time.sleep(61 - time.time() % 60)
        yield bases


def _alternate(bases: list[str], path: str) -> list[int]:
    return [status(f"{bases[n % 2]}{path}")[0] for n in range(REQUESTS)]


def _together(bases: list[str], path: str) -> list[int]:
    """The same requests, four at a time: both workers counting at once."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        urls = [f"{bases[n % 2]}{path}" for n in range(REQUESTS)]
        return [code for code, _headers in pool.map(status, urls)]


def test_two_workers_count_one_limit_in_the_shared_database_cache(database, tmp_path):
    log = tmp_path / "servers.log"
    with _two_servers(database, cache_url="", log=log) as bases:
        api = _alternate(bases, "/api/v1/taxonomies/")
        downloads = _alternate(bases, "/exports/provinces.csv")
        pages = _together(bases, "/exports/")
        refused = status(f"{bases[0]}/api/v1/taxonomies/")

    assert api.count(200) == LIMIT
    assert api.count(429) == REQUESTS - LIMIT
    assert api[:LIMIT] == [200] * LIMIT  # the first ones pass, whichever worker answers
    assert downloads.count(200) == LIMIT
    assert downloads.count(429) == REQUESTS - LIMIT
    assert pages.count(200) == LIMIT
    assert pages.count(429) == REQUESTS - LIMIT
    assert refused[0] == 429
    assert 1 <= int(refused[1]["Retry-After"]) <= 61
    # Five downloads from both workers: one build, the other worker served the same file;
    # the index pages, four at once, built each other file once between them.
    built = [
        line.split("Export built: ")[1].rsplit(" in ", 1)[0]
        for line in log.read_text().splitlines()
        if "Export built: " in line
    ]
    assert sum(path.endswith("/provinces.csv") for path in built) == 1
    assert len(built) == len(set(built)), built


def test_a_limit_kept_in_each_process_memory_lets_twice_as_many_through(database, tmp_path):
    """What the operator saw: the same requests with a per-process cache."""
    log = tmp_path / "servers.log"
    with _two_servers(database, cache_url="locmemcache://", log=log) as bases:
        api = _alternate(bases, "/api/v1/taxonomies/")

    assert api.count(200) == 2 * LIMIT
