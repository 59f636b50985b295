"""Benchmark of the public dashboard's pages at the scale issue 5 names.

    make bench-dashboard                  # 2,000 actions, 10,000 indicators, 40 quarters
    make bench-dashboard ARGS="--quick"   # 200 actions, 1,000 indicators, 8 quarters

It needs PostgreSQL (DATABASE_URL, or by default the local
postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench_dashboard, emptied at each
run) and `wrk` (Debian's package). It serves Pilotage as in production (gunicorn, 2 x
cores + 1 workers, DEBUG off; bench/settings.py), loads each page type with concurrent
clients on loopback, and in the same run a minimal Django view returning a fixed page
(bench/urls.py): the framework's ceiling on this machine. Each page's throughput is
printed as a share of that ceiling, with its p50 and p95 latency, and the number of
SQL queries each page costs, counted at the quick scale and at the run's scale in the
same run (a page's count must not grow with the data).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from indicators import ensure_database, generate, timed  # noqa: E402

DEFAULT_URL = "postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench_dashboard"


def _free_port() -> int:
    """A port nobody listens on: a developer's server on the usual one must not stop the run."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = _free_port()
# wrk prints what its Lua `done` hook writes: requests/s and latency percentiles (µs).
REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %f %d %d %d %d\\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50),
    latency:percentile(95), summary.errors.status, summary.requests))
end
"""


def tag_actions(world_actions: int, rng: random.Random) -> None:
    """Give the generated actions types, audiences and provinces, for the filters."""
    from django.contrib.contenttypes.models import ContentType

    from pilotage.strategies.models import Action
    from pilotage.taxonomies.models import Term, TermAssignment

    types = list(Term.objects.filter(taxonomy__code="action-types"))
    audiences = list(Term.objects.filter(taxonomy__code="target-audiences"))
    provinces = list(Term.objects.filter(taxonomy__code="provinces"))
    action_type = ContentType.objects.get_for_model(Action)
    actions = list(Action.objects.filter(code__startswith="ACT-"))
    for action in actions:
        action.type = rng.choice(types)
    Action.objects.bulk_update(actions, ["type"], batch_size=2000)
    Action.target_audiences.through.objects.bulk_create(
        Action.target_audiences.through(action_id=action.pk, term_id=term.pk)
        for action in actions
        for term in rng.sample(audiences, 2)
    )
    TermAssignment.objects.bulk_create(
        TermAssignment(term=term, content_type=action_type, object_id=action.pk)
        for action in actions
        for term in rng.sample(provinces, rng.randint(1, 2))
    )


def build_world(actions: int, quarters: int) -> dict:
    """An empty database, the shipped data, then the generated strategy BENCH."""
    from django.core.cache import cache
    from django.core.management import call_command

    from pilotage.indicators.readmodel import read_model_reset
    from pilotage.registry.magnets import magnet_index_reset

    call_command("flush", interactive=False, verbosity=0)
    cache.clear()
    read_model_reset()
    magnet_index_reset()
    call_command("load", no_progress=True, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    seconds, world = timed(generate, actions, 5, quarters)
    tag_actions(actions, random.Random(5))
    world["seconds"] = seconds
    return world


def pages_of(world: dict) -> list[tuple[str, str]]:
    indicator = world["indicators"][len(world["indicators"]) // 2]
    return [
        ("ceiling (fixed page)", "/bench/ceiling/"),
        ("home", "/"),
        ("strategy", "/strategies/BENCH/"),
        ("ambition", "/strategies/BENCH/A3/"),
        ("programme", "/strategies/BENCH/P31/"),
        ("actions", "/actions/"),
        ("actions, 3 filters", "/actions/?status=running&province=namur&province=liege"),
        ("action", f"/actions/{indicator.action.code}/"),
        ("indicator", f"/indicators/{indicator.code}/"),
        ("search", "/search/?q=indicateur"),
        ("API actions", "/api/v1/actions/?status=running"),
    ]


def query_counts(world: dict) -> list[tuple[int, int, float]]:
    """Each page type served in this process, after a first request has built what a
    worker keeps: the SQL queries of rendering it (the page cache emptied), of serving it
    from the page cache, and the median time of rendering it (ms, 5 renders)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    def queries_of(path: str) -> int:
        executed.clear()
        with connection.execute_wrapper(count):
            if client.get(path).status_code != 200:
                sys.exit(f"{path} answered {client.get(path).status_code}")
        return len(executed)

    found = []
    with override_settings(ROOT_URLCONF="bench.urls"):
        client = Client(HTTP_HOST="localhost")
        for _name, path in pages_of(world):
            client.get(path)
            cache.clear()
            rendered = queries_of(path)
            kept = queries_of(path)
            times = []
            for _ in range(5):
                cache.clear()
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            found.append((rendered, kept, statistics.median(times)))
    return found


def serve(env: dict) -> subprocess.Popen:
    workers = 2 * (os.cpu_count() or 1) + 1
    server = subprocess.Popen(  # noqa: S603 (our own command line)
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            f"--bind=127.0.0.1:{PORT}",
            f"--workers={workers}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/bench/ceiling/", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start")


def load(path: str, seconds: int, connections: int, script: Path) -> tuple[float, float, float]:
    url = f"http://127.0.0.1:{PORT}{path}"
    # Warm every worker (its caches, its magnet index) before measuring.
    for _ in range(10):
        with urllib.request.urlopen(url, timeout=60) as response:
            if response.status != 200:
                sys.exit(f"{path} answered {response.status}")
    output = subprocess.run(  # noqa: S603
        [
            shutil.which("wrk") or "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout=30s",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT"))
    rate, p50, p95, errors, count = line.split()[1:]
    if int(errors):
        sys.exit(f"{path}: {errors} of {count} answers were not 2xx/3xx")
    return float(rate), int(p50) / 1000, int(p95) / 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--actions", type=int, default=2000)
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="a tenth of the scale, short loads")
    args = parser.parse_args()
    if args.quick:
        args.actions, args.quarters, args.seconds = 200, 8, 2
    if not shutil.which("wrk"):
        sys.exit("The benchmark needs wrk (apt-get install wrk).")

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    # The queries per page at the quick scale first, then the world of this run.
    small = query_counts(build_world(200, 8))
    world = build_world(args.actions, args.quarters)
    counts = query_counts(world)
    print(f"cores: {os.cpu_count()}   PostgreSQL: {connection.pg_version}")
    print(
        f"scale: {args.actions:,} actions, {len(world['indicators']):,} indicators, "
        f"{args.quarters} quarters = {len(world['indicators']) * args.quarters:,} values "
        f"(generated in {world['seconds']:.0f} s)"
    )
    connection.close()
    pages = pages_of(world)
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE="bench.settings",
        SECRET_KEY="bench-" + "x" * 50,
        ALLOWED_HOSTS="127.0.0.1",
        PYTHONPATH=str(ROOT),
    )
    server = serve(env)
    try:
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "report.lua"
            script.write_text(REPORT)
            results = [
                (name, *load(path, args.seconds, args.connections, script)) for name, path in pages
            ]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    ceiling = results[0][1]
    workers = 2 * (os.cpu_count() or 1) + 1
    print(
        f"gunicorn, {workers} workers; wrk, {args.connections} connections, "
        f"{args.seconds} s a page\n"
    )
    print(
        f"{'page':24}{'req/s':>9}{'of ceiling':>12}{'p50':>10}{'p95':>10}"
        f"{'queries (rendered/kept)':>25}{'at 200 actions':>16}{'render':>10}"
    )
    for (name, rate, p50, p95), count, quick in zip(results, counts, small, strict=True):
        flag = "" if count[:2] == quick[:2] else "  <- grows with the data"
        print(
            f"{name:24}{rate:9.0f}{rate / ceiling:11.0%}{p50:8.1f}ms{p95:8.1f}ms"
            f"{f'{count[0]} / {count[1]}':>25}{f'{quick[0]} / {quick[1]}':>16}"
            f"{count[2]:8.1f}ms{flag}"
        )
    print(
        "\nA page is rendered once per revision and kept (dashboard.caching): the load above"
        "\nmeasures pages as a visitor gets them between two changes; 'render' is the time"
        "\nof rendering one in this process with the page cache emptied (read model kept)."
    )
    below = [name for name, rate, *_ in results[1:] if rate / ceiling < 0.5]
    print("aim: every page at 50 % of the ceiling or more, with as many queries at both scales")
    print("below the aim: " + (", ".join(below) if below else "none"))


if __name__ == "__main__":
    main()
