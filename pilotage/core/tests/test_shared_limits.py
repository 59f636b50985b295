"""Rate limits hold across worker processes: two servers, one database, one count.

The operator's finding: each gunicorn worker counted in its own memory, so a client got
480 answers in 16 seconds against 120 a minute. Here two server processes share a
database of their own (PostgreSQL when the tests run on it, else a SQLite file), migrated
by `pilotage migrate` as an install would (the cache table comes with the migrations),
and requests alternate between them, one by one or several at once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.slow

ROOT = Path(settings.BASE_DIR)
LIMIT = 5
REQUESTS = 16


@pytest.fixture(scope="module")
def database(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A fresh database of the tests' kind, migrated as `make setup` does, and a folder:
    on PostgreSQL a database of its own beside the tests' one, else a SQLite file."""
    folder = tmp_path_factory.mktemp("shared-limits")
    options = settings.DATABASES["default"]
    postgres = options["ENGINE"] == "django.db.backends.postgresql"
    if postgres:
        import psycopg

        name = f"{options['NAME']}_shared_limits_{os.getpid()}"
        server = {
            "host": options["HOST"],
            "port": options["PORT"] or 5432,
            "user": options["USER"],
            "password": options["PASSWORD"],
        }
        admin = psycopg.connect(dbname="postgres", autocommit=True, **server)
        admin.execute(f'CREATE DATABASE "{name}"')
        url = f"postgres://{server['user']}:{server['password']}@{server['host']}:{server['port']}/{name}"
    else:
        url = f"sqlite:///{folder / 'db.sqlite3'}"
    subprocess.run(  # noqa: S603 (our own command line)
        [str(ROOT / ".venv" / "bin" / "pilotage"), "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=_environment((url, folder), cache_url=""),
        check=True,
        timeout=600,
    )
    yield url, folder
    if postgres:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.close()


def _environment(database: tuple[str, Path], *, cache_url: str) -> dict:
    url, folder = database
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    return env | {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": url,
        "PILOTAGE_CACHE_URL": cache_url,
        "MEDIA_ROOT": str(folder / "media"),
        "PILOTAGE_API_RATE_LIMIT": str(LIMIT),
        "PILOTAGE_API_RATE_LIMIT_TOKEN": "0",
        "PILOTAGE_PAGE_RATE_LIMIT": str(LIMIT),
        "PILOTAGE_EXPORT_RATE_LIMIT": str(LIMIT),
        "LOG_LEVEL": "INFO",  # each export built is logged
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


@contextmanager
def _two_servers(database: tuple[str, Path], *, cache_url: str, log: Path) -> Iterator[list[str]]:
    """Two gunicorn processes of one worker each, as production runs them, on two ports;
    what they log goes to `log`."""
    env = _environment(database, cache_url=cache_url)
    ports = [_free_port(), _free_port()]
    output = log.open("w")
    servers = [
        subprocess.Popen(  # noqa: S603
            [
                str(ROOT / ".venv" / "bin" / "gunicorn"),
                "config.wsgi",
                f"--bind=127.0.0.1:{port}",
                "--workers=1",
                "--log-level=warning",
            ],
            cwd=ROOT,
            env=env,
            stderr=output,
        )
        for port in ports
    ]
    try:
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for base in bases:
            for _ in range(300):
                try:
                    _status(f"{base}/static/ready")  # not limited: starting costs no count
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail(f"{base} did not start")
        # Far from a minute's end, so every request falls in one window.
        if time.time() % 60 > 45:
            time.sleep(61 - time.time() % 60)
        yield bases
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)
        output.close()


def _alternate(bases: list[str], path: str) -> list[int]:
    return [_status(f"{bases[n % 2]}{path}")[0] for n in range(REQUESTS)]


def _together(bases: list[str], path: str) -> list[int]:
    """The same requests, four at a time: both workers counting at once."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        urls = [f"{bases[n % 2]}{path}" for n in range(REQUESTS)]
        return [status for status, _headers in pool.map(_status, urls)]


def test_two_workers_count_one_limit_in_the_shared_database_cache(database, tmp_path):
    log = tmp_path / "servers.log"
    with _two_servers(database, cache_url="", log=log) as bases:
        api = _alternate(bases, "/api/v1/taxonomies/")
        downloads = _alternate(bases, "/exports/provinces.csv")
        pages = _together(bases, "/exports/")
        refused = _status(f"{bases[0]}/api/v1/taxonomies/")

    assert api.count(200) == LIMIT
    assert api.count(429) == REQUESTS - LIMIT
    assert api[:LIMIT] == [200] * LIMIT  # the first ones pass, whichever worker answers
    assert downloads.count(200) == LIMIT
    assert downloads.count(429) == REQUESTS - LIMIT
    assert pages.count(200) == LIMIT
    assert pages.count(429) == REQUESTS - LIMIT
    assert refused[0] == 429
    assert 1 <= int(refused[1]["Retry-After"]) <= 61
    # Five downloads from both workers: one build, the other worker served the same file.
    assert log.read_text().count("Export built: ") == 1


def test_a_limit_kept_in_each_process_memory_lets_twice_as_many_through(database, tmp_path):
    """What the operator saw: the same requests with a per-process cache."""
    log = tmp_path / "servers.log"
    with _two_servers(database, cache_url="locmemcache://", log=log) as bases:
        api = _alternate(bases, "/api/v1/taxonomies/")

    assert api.count(200) == 2 * LIMIT
