"""Benchmark of the bulk import of values at the scale issue 13 names.

    make bench-imports                 # 1,000,000 values into a table of 2,000,000
    make bench-imports ARGS="--quick"  # a tenth of that, to try the script

It needs PostgreSQL (COPY is the baseline): DATABASE_URL, or by default the local
postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench_imports, created if missing
and emptied at each run. The world is the indicators benchmark's (10,000 actions x 5
indicators x 40 quarters of values already stored). It prints, in one run:

1. the import of N new values from CSV, every row checked (codes, periods, numbers,
   permissions, locks), against PostgreSQL's COPY of the same file into a bare table
   (the aim: within 3 x), and against the floor of the observation table itself: the same
   rows, already typed, inserted with one INSERT … SELECT and committed (its indexes and
   foreign keys, and no check at all);
2. the same file saved the Belgian way (Windows-1252, semicolons, dd/mm/yyyy, decimal
   commas), and a second import of the first file (every row unchanged, nothing written);
3. the same values as XLSX;
4. the peak memory of a dry run of 100,000 and of N rows, each in its own process.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
DEFAULT_URL = "postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench_imports"


def setup_django() -> None:
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


def write_files(folder: Path, codes: list[str], rows: int) -> dict:
    """The same values as CSV (ISO dates, decimal points), the Belgian way, and XLSX:
    new values for the quarters before the stored ones (2016 on), as a value is only
    recorded for a period that has ended."""
    from indicators import quarters

    rng = random.Random(7)
    per_indicator = max(1, -(-rows // len(codes)))
    earlier = list(quarters(per_indicator, first_year=2016 - -(-per_indicator // 4)))
    values = []
    for code in codes:
        for start, end in earlier:
            if len(values) == rows:
                break
            values.append((code, start, end, f"{rng.randint(0, 5000)}.5"))
    paths = {"csv": folder / "values.csv", "belgian": folder / "valeurs.csv"}
    with paths["csv"].open("w", encoding="utf-8") as out:
        out.write("indicator,period_start,period_end,value,comment\n")
        for code, start, end, value in values:
            out.write(f"{code},{start},{end},{value},\n")
    with paths["belgian"].open("w", encoding="cp1252", newline="") as out:
        out.write("Valeurs à importer;;;;\r\n\r\nIndicateur;Début;Fin;Valeur;Commentaire\r\n")
        for code, start, end, value in values:
            out.write(f"{code};{start:%d/%m/%Y};{end:%d/%m/%Y};{value.replace('.', ',')};\r\n")
    return {"paths": paths, "values": values}


def write_xlsx(path: Path, values: list) -> None:
    from decimal import Decimal

    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Valeurs")
    sheet.append(["indicator", "period_start", "period_end", "value", "comment"])
    for code, start, end, value in values:
        sheet.append([code, start, end, float(Decimal(value)), None])
    workbook.save(path)


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def copy_floor(path: Path) -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_bare")
        cursor.execute(
            "CREATE TABLE bench_bare (indicator text, period_start date, period_end date, "
            "value numeric, comment text)"
        )
        started = time.perf_counter()
        with (
            path.open("rb") as source,
            cursor.copy("COPY bench_bare FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            for chunk in iter(lambda: source.read(1 << 20), b""):
                copy.write(chunk)
        return time.perf_counter() - started


def table_floor(actor_id: int) -> float:
    """The rows of bench_bare, typed, inserted into the observation table and committed;
    then taken out again so the import starts from the same table."""
    from django.db import connection, transaction

    from pilotage.indicators.models import Indicator, Observation

    table = Observation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_typed AS SELECT i.id AS indicator_id, b.period_start, "  # noqa: S608
            f"b.period_end, b.value, coalesce(b.comment, '') AS comment FROM bench_bare b "
            f"JOIN {Indicator._meta.db_table} i ON i.code = b.indicator"
        )
        started = time.perf_counter()
        with transaction.atomic():
            cursor.execute(
                f"INSERT INTO {table} (indicator_id, period_start, period_end, value, "  # noqa: S608
                "text_value, qualifier, comment, comment_fr, evidence_url, evidence_file, "
                "reported_by_id, state, submitted_at, review_note, created_at, updated_at) "
                "SELECT indicator_id, period_start, period_end, value, '', 'exact', comment, "
                "comment, '', '', %s, 'submitted', now(), '', now(), now() FROM bench_typed "
                "ORDER BY 1, 2, 3",
                [actor_id],
            )
        floor = time.perf_counter() - started
        cursor.execute(f"DELETE FROM {table} WHERE state = 'submitted'")  # noqa: S608
        cursor.execute("DROP TABLE bench_typed")
    connection.close()
    vacuum()
    return floor


def vacuum() -> None:
    import psycopg

    from pilotage.indicators.models import Observation

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(f"VACUUM ANALYZE {Observation._meta.db_table}")
        # Each import starts with the dirty pages written (needs superuser or
        # pg_checkpoint; without it, the runs are noisier).
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            connection.execute("CHECKPOINT")


def clear() -> None:
    """The imported values taken out again: the next import starts from the same table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM indicators_observation WHERE state = 'submitted'")
    connection.close()
    vacuum()


def child(path: str, email: str) -> None:
    """One dry run in this process; prints its peak resident memory in MiB."""
    setup_django()
    from pilotage.accounts.models import User
    from pilotage.indicators.bulk import observations_import

    actor = User.objects.get(email=email)
    before = high_water_mark()
    report = observations_import(actor=actor, name=Path(path).name, path=path, dry_run=True)
    print(f"{sum(report.counts.values())} {before:.1f} {high_water_mark():.1f}")


def high_water_mark() -> float:
    """This process's peak resident memory in MiB (VmHWM: reset by exec, unlike
    getrusage's maxrss, which a child inherits from the benchmark's own)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def peak_memory(path: Path, email: str) -> tuple[int, float, float]:
    output = subprocess.run(  # noqa: S603 (this script, with its own arguments)
        [sys.executable, __file__, "--child", str(path), email],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ,
    ).stdout.split()
    return int(output[-3]), float(output[-2]), float(output[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--quick", action="store_true", help="a tenth of the scale")
    parser.add_argument("--no-xlsx", action="store_true", help="skip the XLSX file (slow)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.quick:
        args.actions, args.rows = args.actions // 10, args.rows // 10

    from indicators import ensure_database, generate

    ensure_database(os.environ.setdefault("DATABASE_URL", DEFAULT_URL))
    setup_django()
    from django.core.management import call_command
    from django.db import connection

    from pilotage.indicators.bulk import observations_import

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    print(f"cores: {os.cpu_count()}   PostgreSQL: {connection.pg_version}")
    generation, world = timed(generate, args.actions, 5, 40)
    stored = len(world["indicators"]) * 40
    print(f"world: {stored:,} values stored, generated in {generation:.1f} s (COPY)")
    actor = world["steering"]
    codes = [indicator.code for indicator in world["indicators"]]
    vacuum()

    with tempfile.TemporaryDirectory() as folder:
        files = write_files(Path(folder), codes, args.rows)
        paths, rows = files["paths"], len(files["values"])
        floor = copy_floor(paths["csv"])
        schema = table_floor(actor.pk)
        imported, report = timed(
            observations_import, actor=actor, name="values.csv", path=paths["csv"]
        )
        assert report.counts["created"] == rows, report.counts
        print(f"\n1. Import of {rows:,} new values from CSV, every row checked")
        print(f"   COPY into a bare table            {floor:7.2f} s  (the baseline)")
        print(
            f"   INSERT into the observation table  {schema:7.2f} s  ({schema / floor:5.1f} x COPY;"
            " typed rows, no check: the table's own floor)"
        )
        print(
            f"   Pilotage                          {imported:7.2f} s  "
            f"({imported / floor:5.1f} x COPY, {imported / schema:4.2f} x the table's floor;"
            f" {rows / imported:,.0f} rows/s)"
        )
        print("   aim: within 3 x COPY")

        again, report = timed(
            observations_import, actor=actor, name="values.csv", path=paths["csv"]
        )
        assert report.counts["unchanged"] == rows, report.counts
        clear()
        exclusive, report = timed(
            observations_import,
            actor=actor,
            name="values.csv",
            path=paths["csv"],
            exclusive=True,
        )
        assert report.counts["created"] == rows, report.counts
        print(
            f"   Pilotage --exclusive              {exclusive:7.2f} s  "
            f"({exclusive / floor:5.1f} x COPY; the foreign keys checked once for the table)"
        )
        print("\n2. Other files")
        print(
            f"   the same file again (all unchanged)   {again:7.2f} s  "
            f"({again / floor:5.1f} x COPY)"
        )
        clear()
        belgian, report = timed(
            observations_import, actor=actor, name="valeurs.csv", path=paths["belgian"]
        )
        assert report.counts["created"] == rows, report.counts
        print(
            f"   Windows-1252, ';', dd/mm/yyyy, 1234,5 {belgian:7.2f} s  "
            f"({belgian / floor:5.1f} x COPY)"
        )

        if not args.no_xlsx:
            xlsx = Path(folder) / "values.xlsx"
            written, _nothing = timed(write_xlsx, xlsx, files["values"])
            clear()
            read, report = timed(observations_import, actor=actor, name="values.xlsx", path=xlsx)
            assert report.counts["created"] == rows, report.counts
            print(
                f"\n3. The same values as XLSX ({xlsx.stat().st_size / 2**20:.0f} MiB, written by "
                f"openpyxl in {written:.0f} s)"
            )
            print(
                f"   Pilotage                          {read:7.2f} s  ({read / floor:5.1f} x COPY)"
            )

        print("\n4. Peak memory of a dry run, each in its own process")
        small = Path(folder) / "small.csv"
        with paths["csv"].open() as source, small.open("w") as out:
            for number, line in enumerate(source):
                if number > rows // 10:
                    break
                out.write(line)
        for path in (small, paths["csv"]):
            count, start, peak = peak_memory(path, actor.email)
            print(f"   {count:>9,} rows   peak {peak:6.1f} MiB  (after start-up {start:6.1f} MiB)")


if __name__ == "__main__":
    main()
