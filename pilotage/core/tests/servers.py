"""Pilotage served as production serves it, for the tests that need real processes: a
database of its own (PostgreSQL when the tests run on it, else a SQLite file), migrated
by `pilotage migrate` as an install would, and gunicorn on free loopback ports."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
BIN = ROOT / ".venv" / "bin"


@contextmanager
def fresh_database(folder: Path, label: str) -> Iterator[str]:
    """The URL of a new, migrated database of the tests' kind, dropped afterwards."""
    options = settings.DATABASES["default"]
    postgres = options["ENGINE"] == "django.db.backends.postgresql"
    admin = None
    if postgres:
        import psycopg

        name = f"{options['NAME']}_{label}_{os.getpid()}"
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
    try:
        command(url, folder, "migrate", "--no-input", "-v0")
        yield url
    finally:
        if admin is not None:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            admin.close()


def environment(url: str, folder: Path, **settings_env: str) -> dict:
    """The process environment of a server or command on that database: base settings
    (DEBUG off), no cache or Redis but what `settings_env` names."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    return (
        env
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
            "DATABASE_URL": url,
            "PILOTAGE_CACHE_URL": "",
            "MEDIA_ROOT": str(folder / "media"),
        }
        | settings_env
    )


def command(url: str, folder: Path, *arguments: str, **settings_env: str) -> str:
    """Run `pilotage <arguments>` on that database; its standard output."""
    return subprocess.run(  # noqa: S603 (our own command line)
        [str(BIN / "pilotage"), *arguments],
        cwd=ROOT,
        env=environment(url, folder, **settings_env),
        check=True,
        timeout=900,
        capture_output=True,
        text=True,
    ).stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
            response.read()
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


@contextmanager
def gunicorn(
    env: dict, *, servers: int = 1, workers: int = 1, log: Path, options: tuple[str, ...] = ()
) -> Iterator[list[str]]:
    """`servers` gunicorn processes of `workers` workers each, as production runs them,
    on ports of their own; their base URLs once each answers. What they log goes to
    `log`."""
    ports = [free_port() for _ in range(servers)]
    output = log.open("w")
    processes = [
        subprocess.Popen(  # noqa: S603
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers}",
                "--log-level=warning",
                *options,
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
                    status(f"{base}/static/ready")  # no page: starting costs no rate count
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail(f"{base} did not start")
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        output.close()
