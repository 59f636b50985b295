"""Benchmark of the open-data exports at the scale issue 6 names.

    make bench-opendata                  # 1,000,000 published values (and a tenth of that)
    make bench-opendata ARGS="--quick"   # 50,000 (and 5,000), to try the script

It needs PostgreSQL (COPY is the floor): DATABASE_URL, or by default the local
postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench, created if missing and emptied
at each run. At two sizes (a tenth of the rows, then all of them: memory that does not
grow with the row count shows as the same peak), it exports the published values:

- through the web: /exports/observations.csv and .parquet, streamed by Django's test
  client in a process of its own, from request to last byte;
- through the command line: `pilotage export csv|parquet observations --output FILE` by
  the console script's entry point, in a process of its own;
- with PostgreSQL's COPY (SELECT ...) TO STDOUT of the same query (the floor: the best of
  three runs after a first one to warm the caches).

Times run from request (or command) to last byte written, once Django has started. It
prints each, its ratio to COPY, the peak resident memory of each Pilotage process (its
own VmHWM: Python, Django, psycopg and pyarrow included), and checks that every way gave
the same row count.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from indicators import DEFAULT_URL, ensure_database, generate  # noqa: E402

PER_ACTION, QUARTERS = 5, 40  # 200 values per action


def peak_memory() -> int:
    """This process's own peak resident memory (bytes): VmHWM, not ru_maxrss, which on
    Linux keeps the high-water mark of the parent it was forked from."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child(way: str, format: str, target: str) -> None:
    """In a process of its own, once Django has started: export the published values
    through the web (/exports/observations.<format>, streamed by the test client to a
    file) or through the command line (`pilotage export FORMAT observations --output`,
    by the console script's own entry point)."""
    import django

    django.setup()
    started = time.perf_counter()
    if way == "web":
        from django.test import Client

        response = Client(HTTP_HOST="localhost").get(f"/exports/observations.{format}")
        assert response.status_code == 200, response.status_code
        with open(target, "wb") as out:
            for chunk in response.streaming_content:
                out.write(chunk)
    else:
        from pilotage.cli import main

        main(["pilotage", "export", format, "observations", "--output", target, "--no-progress"])
    seconds = time.perf_counter() - started
    arrow = 0
    if format == "parquet":  # imported only where the export itself imported it
        import pyarrow as pa

        arrow = pa.default_memory_pool().max_memory()
    print(json.dumps({"seconds": seconds, "peak": peak_memory(), "arrow": arrow}))


def run(command: list[str], env: dict) -> dict:
    """Run a child; what it reports of itself."""
    process = subprocess.run(command, env=env, stdout=subprocess.PIPE, cwd=ROOT, check=True)  # noqa: S603
    return json.loads(process.stdout.decode().strip().splitlines()[-1])


def rows_in(path: Path, format: str) -> int:
    if format == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    with path.open("rb") as file:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b"")) - 1


def copy_floor() -> tuple[float, int, int]:
    """COPY of the export's own query (same rows, same order) as CSV to the client."""
    from django.db import connection

    from pilotage.opendata.exports import observation_queryset

    sql, params = observation_queryset().query.sql_with_params()
    size = lines = 0
    started = time.perf_counter()
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)", params) as copy,
    ):
        for chunk in copy:
            size += len(chunk)
            lines += bytes(chunk).count(b"\n")
    return time.perf_counter() - started, lines - 1, size


def measure(rows: int, env: dict, folder: Path) -> list[dict]:
    from django.db import connection

    from pilotage.opendata.exports import observation_queryset

    expected = observation_queryset().count()
    assert expected == rows, (expected, rows)
    copy_floor()  # once to warm the caches, then the best of three
    floor, copied, copy_bytes = min(copy_floor() for _ in range(3))
    results = [
        {"way": "COPY ... TO STDOUT", "seconds": floor, "rows": copied, "rss": None}
        | {"bytes": copy_bytes}
    ]
    for format in ("csv", "parquet"):
        for way, label in (("web", "web"), ("cli", "command line")):
            target = folder / f"{way}.{format}"
            report = run([sys.executable, __file__, "--child", way, format, str(target)], env)
            results.append(
                {
                    "way": f"{label} {format}",
                    "seconds": report["seconds"],
                    "rows": rows_in(target, format),
                    "rss": report["peak"],
                    "arrow": report["arrow"],
                    "bytes": target.stat().st_size,
                }
            )
    connection.close()
    for item in results:
        item["ratio"] = item["seconds"] / floor
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="published values")
    parser.add_argument("--quick", action="store_true", help="50,000 values")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    if args.child:
        child(*args.child)
        return
    if args.quick:
        args.rows = 50_000
    if not url.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    env = dict(os.environ)
    call_command("migrate", verbosity=0)
    print(f"cores: {os.cpu_count()}   PostgreSQL: {connection.pg_version}")
    per_action = PER_ACTION * QUARTERS
    sizes = [max(per_action, args.rows // 10), args.rows]
    report = {}
    with tempfile.TemporaryDirectory() as folder:
        for rows in sizes:
            call_command("flush", interactive=False, verbosity=0)
            started = time.perf_counter()
            generate(max(1, rows // per_action), PER_ACTION, QUARTERS)
            with connection.cursor() as cursor:
                # Freshly copied rows get their hint bits on first read: set them now, so
                # that no way measured pays for it (the first would, COPY or not).
                cursor.execute("VACUUM (ANALYZE) indicators_observation")
            print(f"\n{rows:,} published values generated in {time.perf_counter() - started:.1f} s")
            connection.close()
            results = measure(rows, env, Path(folder))
            report[rows] = results
            print(f"{'':24}{'seconds':>9}{'x COPY':>9}{'rows':>12}{'MB':>9}{'peak RSS MB':>13}")
            for item in results:
                rss = "" if item["rss"] is None else f"{item['rss'] / 2**20:.0f}"
                print(
                    f"{item['way']:24}{item['seconds']:9.2f}{item['ratio']:9.2f}"
                    f"{item['rows']:12,}{item['bytes'] / 2**20:9.1f}{rss:>13}"
                )
            counts = {item["rows"] for item in results}
            if counts != {rows}:
                sys.exit(f"row counts differ: {[(i['way'], i['rows']) for i in results]}")
            print(f"every way gave {rows:,} rows")
    small, large = sizes
    print(
        f"\nPeak resident memory of the Pilotage process at {small:,} and {large:,} rows"
        f" (x{large // small}):"
    )
    for before, after in zip(report[small][1:], report[large][1:], strict=True):
        growth = after["rss"] / before["rss"]
        arrow = (
            f"; Arrow's pool at its peak {before['arrow'] / 2**20:.0f} -> "
            f"{after['arrow'] / 2**20:.0f} MB"
            if "parquet" in before["way"]
            else ""
        )
        print(
            f"  {before['way']:24}{before['rss'] / 2**20:7.0f} MB -> {after['rss'] / 2**20:5.0f} MB"
            f"  (x{growth:.2f}{arrow})"
        )
    csv_ratio = next(i["ratio"] for i in report[large] if i["way"] == "web csv")
    print(f"\nweb CSV / COPY at {large:,} rows: {csv_ratio:.2f} x (aim: within 3 x)")


if __name__ == "__main__":
    main()
