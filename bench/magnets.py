"""Benchmark of the magnet engine at the scale issue 7 names.

    make bench-magnets                    # 1.1 million organisations, 1,000 queries
    make bench-magnets ARGS="--quick"     # 20,000 organisations, 100 queries

It needs PostgreSQL (the SQL baseline runs there): DATABASE_URL, or by default the local
postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench, emptied at each run. The demo
generator (pilotage.registry.demo) writes the organisations, their terms and relations;
then, side by side on the same random multi-facet queries, each with the count of every
facet value:

1. the engine (pilotage.registry.magnets): parse, intersect, count every value;
2. plain SQL on PostgreSQL, the baseline a Django developer would write: one COUNT for
   the result and one GROUP BY per facet with that facet's own selection removed, over
   membership tables built from the source tables with SQL (indexed, so the baseline is
   at its best);
3. the floor: the same bitmap intersections and cardinalities alone, bitmaps chosen
   beforehand, nothing parsed and no Python object made.

Every count of the engine is checked against SQL's; a difference stops the run.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from indicators import DEFAULT_URL, ensure_database, timed

# Membership of each facet, (organisation, value, start, end), written in SQL from the
# source tables; a term also counts for its parent and grandparent.
MEMBERSHIP = {
    "type": """
        SELECT o.id, t.code, NULL::date, NULL::date FROM registry_organisation o
        JOIN taxonomies_term t ON t.id = o.type_id
        UNION SELECT o.id, p.code, NULL, NULL FROM registry_organisation o
        JOIN taxonomies_term t ON t.id = o.type_id JOIN taxonomies_term p ON p.id = t.parent_id""",
    "province": """
        SELECT o.id, t.code, NULL::date, NULL::date FROM registry_organisation o
        JOIN taxonomies_term t ON t.id = o.province_id""",
    "size": """SELECT id, size_band, NULL::date, NULL::date FROM registry_organisation
        WHERE size_band <> ''""",
    "founded": """SELECT id, ((EXTRACT(YEAR FROM founded_on)::int / 10) * 10)::text,
        NULL::date, NULL::date FROM registry_organisation WHERE founded_on IS NOT NULL""",
    "technologies": """
        SELECT a.object_id, t.code, NULL::date, NULL::date FROM taxonomies_termassignment a
        JOIN taxonomies_term t ON t.id = a.term_id
        JOIN taxonomies_taxonomy x ON x.id = t.taxonomy_id
        JOIN django_content_type c ON c.id = a.content_type_id
        WHERE x.code = 'technologies' AND c.app_label = 'registry' AND c.model = 'organisation'""",
    "s3-domains": """
        SELECT a.object_id, t.code, NULL::date, NULL::date FROM taxonomies_termassignment a
        JOIN taxonomies_term t ON t.id = a.term_id
        JOIN taxonomies_taxonomy x ON x.id = t.taxonomy_id
        JOIN django_content_type c ON c.id = a.content_type_id
        WHERE x.code = 's3-domains' AND c.app_label = 'registry' AND c.model = 'organisation'
        UNION SELECT a.object_id, p.code, NULL, NULL FROM taxonomies_termassignment a
        JOIN taxonomies_term t ON t.id = a.term_id JOIN taxonomies_term p ON p.id = t.parent_id
        JOIN taxonomies_taxonomy x ON x.id = t.taxonomy_id
        JOIN django_content_type c ON c.id = a.content_type_id
        WHERE x.code = 's3-domains' AND c.app_label = 'registry' AND c.model = 'organisation'""",
    "member_of": """SELECT r.organisation_id, o.code, r.start_date, r.end_date
        FROM registry_relation r JOIN registry_organisation o ON o.id = r.target_organisation_id
        WHERE r.kind = 'member_of'""",
    "incubated_by": """SELECT r.organisation_id, o.code, r.start_date, r.end_date
        FROM registry_relation r JOIN registry_organisation o ON o.id = r.target_organisation_id
        WHERE r.kind = 'incubated_by'""",
    "laureate_of": """SELECT r.organisation_id, a.code, r.start_date, r.end_date
        FROM registry_relation r JOIN strategies_action a ON a.id = r.target_action_id
        WHERE r.kind = 'laureate_of'""",
    "funded_by": """SELECT r.organisation_id, a.code, r.start_date, r.end_date
        FROM registry_relation r JOIN strategies_action a ON a.id = r.target_action_id
        WHERE r.kind = 'funded_by'""",
    "event": """SELECT r.organisation_id, e.code, r.start_date, r.end_date
        FROM registry_relation r JOIN registry_event e ON e.id = r.target_event_id
        WHERE r.kind = 'participant_in'
        UNION SELECT r.organisation_id, t.code, r.start_date, r.end_date
        FROM registry_relation r JOIN registry_event e ON e.id = r.target_event_id
        JOIN taxonomies_term t ON t.id = e.type_id WHERE r.kind = 'participant_in'""",
}
FACETS = list(MEMBERSHIP)


def build_membership(cursor) -> None:
    for facet, select in MEMBERSHIP.items():
        table = "m_" + facet.replace("-", "_")
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE UNLOGGED TABLE {table} (org bigint, code text, start_date date, end_date date)"
        )
        cursor.execute(f"INSERT INTO {table} {select}")
        cursor.execute(f"CREATE INDEX ON {table} (code, org)")
        cursor.execute(f"CREATE INDEX ON {table} (org)")
        cursor.execute(f"ANALYZE {table}")


def random_queries(index, count: int, rng: random.Random) -> list[str]:
    """Query strings over 2 to 4 facets, 1 to 3 values each, some NOT, some as of a date."""
    from urllib.parse import urlencode

    queries = []
    for _ in range(count):
        params = []
        for facet in rng.sample(FACETS, rng.randint(2, 4)):
            values = [code for code in index.order[facet] if index.bitmaps[facet][code]]
            if not values:
                continue
            chosen = rng.sample(values, min(len(values), rng.randint(1, 3)))
            key = f"not-{facet}" if rng.random() < 0.2 else facet
            params += [(key, value) for value in chosen]
        if rng.random() < 0.1:
            params.append(("as_of", f"{rng.randint(2017, 2025)}-06-30"))
        queries.append(urlencode(params))
    return queries


def sql_answer(cursor, query) -> tuple[int, dict]:
    """The result's count and every facet value's count, in plain SQL."""

    def where(skip: str | None) -> tuple[str, list]:
        clauses, params = [], []
        if query.as_of:
            clauses.append("(o.founded_on IS NULL OR o.founded_on <= %s)")
            params.append(query.as_of)
        for facet in FACETS:
            if facet == skip:
                continue
            table = "m_" + facet.replace("-", "_")
            dated = ""
            if query.as_of:
                dated = (
                    " AND (m.start_date IS NULL OR m.start_date <= %s)"
                    " AND (m.end_date IS NULL OR m.end_date >= %s)"
                )
            for values, negate in (
                (query.include.get(facet), ""),
                (query.exclude.get(facet), "NOT "),
            ):
                if values:
                    clauses.append(
                        f"o.id {negate}IN (SELECT m.org FROM {table} m "  # noqa: S608
                        f"WHERE m.code = ANY(%s){dated})"
                    )
                    params += [list(values)] + ([query.as_of, query.as_of] if dated else [])
        return " AND ".join(clauses) or "TRUE", params

    clause, params = where(None)
    cursor.execute(f"SELECT COUNT(*) FROM registry_organisation o WHERE {clause}", params)  # noqa: S608
    total = cursor.fetchone()[0]
    counts = {}
    for facet in FACETS:
        clause, params = where(facet)
        table = "m_" + facet.replace("-", "_")
        dated, extra = "", []
        if query.as_of:
            dated = (
                " AND (m.start_date IS NULL OR m.start_date <= %s)"
                " AND (m.end_date IS NULL OR m.end_date >= %s)"
            )
            extra = [query.as_of, query.as_of]
        cursor.execute(
            f"SELECT m.code, COUNT(DISTINCT m.org) FROM {table} m "  # noqa: S608
            f"WHERE m.org IN (SELECT o.id FROM registry_organisation o WHERE {clause}){dated} "
            f"GROUP BY m.code",
            params + extra,
        )
        counts[facet] = dict(cursor.fetchall())
    return total, counts


def floor_cost(index, query) -> tuple:
    """The bitmap work alone: unions of the chosen values, intersections, cardinalities."""
    universe, bitmaps = index._bitmaps_on(query.as_of)
    chosen = {}
    for facet in set(query.include) | set(query.exclude):
        values = bitmaps[facet]
        allowed = [values[v] for v in query.include.get(facet, ())]
        excluded = [values[v] for v in query.exclude.get(facet, ())]
        chosen[facet] = (allowed, excluded)
    lists = {facet: list(bitmaps[facet].values()) for facet in index.bitmaps}
    return chosen, lists, universe


def floor_run(chosen, lists, universe) -> None:
    from pyroaring import BitMap

    def without(skip):
        result = BitMap(universe)
        for facet, (allowed, excluded) in chosen.items():
            if facet == skip:
                continue
            if allowed:
                result &= BitMap.union(*allowed)
            if excluded:
                result -= BitMap.union(*excluded)
        return result

    everything = without(None)
    for facet, values in lists.items():
        base = without(facet) if facet in chosen else everything
        for bitmap in values:
            base.intersection_cardinality(bitmap)


def resident_kib() -> int:
    """The process's resident memory now (Linux), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organisations", type=int, default=1_100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--sql-queries",
        type=int,
        default=None,
        help="run and check SQL on the first N queries only (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="20,000 organisations, 100 queries")
    args = parser.parse_args()
    if args.quick:
        args.organisations, args.queries = 20_000, 100

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    ensure_database(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.http import QueryDict

    from pilotage.registry.demo import demo_registry_generate
    from pilotage.registry.magnets import MagnetIndex

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("load", no_progress=True, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    print(f"cores: {os.cpu_count()}   PostgreSQL: {connection.pg_version}")
    seconds, stats = timed(demo_registry_generate, args.organisations, seed=7)
    print(
        f"scale: {stats.organisations:,} organisations, {stats.relations:,} relations, "
        f"{stats.assignments:,} terms applied (generated in {seconds:.0f} s)"
    )
    rss = resident_kib()
    build, index = timed(MagnetIndex.build)
    grown = resident_kib() - rss
    values = sum(len(index.order[facet.key]) for facet in index.facets)
    print(
        f"index: {values:,} facet values over {len(index.facets)} facets, built in "
        f"{build:.1f} s, bitmaps {index.memory() / 2**20:.1f} MiB "
        f"(the process holds {grown / 1024:.0f} MiB more with the index and its labels)"
    )
    with connection.cursor() as cursor:
        seconds, _ = timed(build_membership, cursor)
    print(f"SQL membership tables built in {seconds:.1f} s\n")

    rng = random.Random(2026)
    queries = random_queries(index, args.queries, rng)
    engine, sql, floor = [], [], []
    checked = len(queries) if args.sql_queries is None else min(args.sql_queries, len(queries))
    with connection.cursor() as cursor:
        for number, text in enumerate(queries):
            started = time.perf_counter()
            query = index.parse(QueryDict(text))
            total = index.count(query)
            facets = index.facet_counts(query, keep_empty=True)
            engine.append(time.perf_counter() - started)

            prepared = floor_cost(index, query)
            started = time.perf_counter()
            floor_run(*prepared)
            floor.append(time.perf_counter() - started)

            if number >= checked:
                continue
            started = time.perf_counter()
            sql_total, sql_counts = sql_answer(cursor, query)
            sql.append(time.perf_counter() - started)

            assert total == sql_total, (text, total, sql_total)
            for facet in facets:
                if facet.key not in sql_counts:
                    continue
                for value in facet.values:
                    expected = sql_counts[facet.key].get(value.code, 0)
                    assert value.count == expected, (
                        text,
                        facet.key,
                        value.code,
                        value.count,
                        expected,
                    )

    print(
        f"{len(queries)} random queries, every facet value counted; the {checked} run in SQL"
        " too gave the same counts\n"
    )
    print(f"{'':22}{'p50':>10}{'p95':>10}")
    for name, times in (("engine", engine), ("plain SQL", sql), ("bitmap floor", floor)):
        print(
            f"{name:22}{statistics.median(times) * 1000:9.2f}ms"
            f"{percentile(times, 0.95) * 1000:9.2f}ms"
        )
    print()
    print(
        f"engine / SQL      p50 {statistics.median(engine) / statistics.median(sql):8.3f}x"
        f"   p95 {percentile(engine, 0.95) / percentile(sql, 0.95):8.3f}x"
    )
    print(
        f"engine / floor    p50 {statistics.median(engine) / statistics.median(floor):8.2f}x"
        f"   p95 {percentile(engine, 0.95) / percentile(floor, 0.95):8.2f}x"
    )
    print(f"aim: engine p95 under 50 ms -> {percentile(engine, 0.95) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
