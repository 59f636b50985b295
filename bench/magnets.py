"""Benchmark of the magnet engine at the scale issue 7 names.

    make bench-magnets                    # 1.1 million organisations, 1,000 queries
    make bench-magnets ARGS="--quick"     # 20,000 organisations, 100 queries

It needs PostgreSQL (the SQL baseline runs there): DATABASE_URL, or by default the local
postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench, whose schema is dropped and
recreated at each run (`--reuse` keeps data of the same scale from the previous run).

1. Data: `pilotage migrate` and `pilotage load` (taxonomies, clusters, strategies, actions),
   then the organisations (Belgium's 1.1 million enterprises), their terms and relations,
   written with COPY into the application's own tables (the ORM demo generator takes too
   long at this scale), with enough calls, events and incubators for about 1,200 facet
   values over 14 facets, skewed (a few values hold most organisations) and multi-valued.
2. The index: `MagnetIndex.build()`, its time, its bitmaps' memory and the process's growth.
3. The same random multi-facet queries (2 to 4 facets, 1 to 3 values each, some NOT, some
   as of a date), each with the count of every value of every facet:
   - the engine: parse, count, every facet's counts;
   - plain SQL on PostgreSQL, the baseline a Django developer would write over the source
     tables: one COUNT(DISTINCT id) with an IN subquery per facet ticked (NOT EXISTS per
     facet excluded) for the result, and one GROUP BY per facet with that facet's own
     selection removed;
   - the floor: the same bitmap unions, intersections and cardinalities alone, bitmaps
     chosen beforehand, nothing parsed and no Python object made.
   Every count of the engine (the result's and every facet value's) is checked against
   SQL's; a difference stops the run. At full scale SQL takes tens of seconds a query: it
   runs within a time budget (`--sql-budget`, 600 s by default), on queries spread over
   the whole run, and the output says how many were checked.
"""

# ruff: noqa: S608 (SQL assembled from this file's own fragments and codes checked to be
# plain identifiers; every value of a query is a parameter)

from __future__ import annotations

import argparse
import bisect
import datetime
import os
import random
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from indicators import DEFAULT_URL, ensure_database, timed

CALLS, EVENTS, INCUBATORS, PARTNERS = 50, 300, 200, 3_000  # about 1,200 facet values
BATCH = 50_000

# --------------------------------------------------------------------------------------
# Data


def zipf(rng: random.Random, items: list, exponent: float = 1.1):
    """A draw from `items`, the first far likelier than the last."""
    weights = [1 / (rank + 1) ** exponent for rank in range(len(items))]
    cumulative, total = [], 0.0
    for weight in weights:
        total += weight
        cumulative.append(total)

    def draw(k: int = 1) -> list:
        found = set()
        while len(found) < min(k, len(items)):
            position = bisect.bisect_left(cumulative, rng.random() * total)
            found.add(items[min(position, len(items) - 1)])
        return list(found)

    return draw


def reset_schema(connection) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")


def generate(organisations: int, seed: int) -> dict:
    """Calls, events and partners through the ORM (a few hundred rows), then the
    organisations, their terms and relations with COPY; counts of what was written."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection, transaction

    from pilotage.registry.demo import DIVISIONS, PROVINCES, SIZES, TYPES
    from pilotage.registry.models import Event, Organisation, Relation
    from pilotage.registry.signals import registry_changed
    from pilotage.strategies.models import Action, ActionStatus, Strategy, StrategyNode
    from pilotage.taxonomies.models import Term, TermAssignment

    rng = random.Random(seed)
    now = datetime.datetime.now(datetime.UTC)
    terms = {
        (t.taxonomy.code, t.code): t.pk
        for t in Term.objects.select_related("taxonomy").filter(
            taxonomy__code__in=[
                "organisation-types", "provinces", "technologies", "s3-domains", "event-types"
            ]
        )
    }  # fmt: skip
    technologies = [pk for (scheme, _c), pk in terms.items() if scheme == "technologies"]
    domains = [pk for (scheme, _c), pk in terms.items() if scheme == "s3-domains"]
    event_types = [pk for (scheme, _c), pk in terms.items() if scheme == "event-types"]
    organisation_type = ContentType.objects.get_for_model(Organisation).pk
    stats = defaultdict(int)

    with transaction.atomic():
        # More calls for projects under the current strategy's nodes.
        strategy = Strategy.objects.public().order_by("-period_start").first()
        nodes = list(StrategyNode.objects.filter(strategy=strategy).order_by("pk"))
        new_calls = Action.objects.bulk_create(
            Action(
                code=f"BENCH-CALL-{n:03d}",
                title=f"Appel à projets {n}",
                title_fr=f"Appel à projets {n}",
                status=ActionStatus.RUNNING,
                start_date=datetime.date(2016 + n % 10, 1, 1),
            )
            for n in range(CALLS)
        )
        Action.nodes.through.objects.bulk_create(
            Action.nodes.through(action_id=action.pk, strategynode_id=rng.choice(nodes).pk)
            for action in new_calls
        )
        calls = [a.pk for a in Action.objects.order_by("pk")]
        # Events of every type, missions abroad first.
        events = Event.objects.bulk_create(
            Event(
                code=f"BENCH-EVENT-{n:03d}",
                title=f"Événement {n}",
                title_fr=f"Événement {n}",
                type_id=event_types[min(int(rng.expovariate(0.8)), len(event_types) - 1)],
                start_date=datetime.date(rng.randint(2016, 2025), rng.randint(1, 12), 15),
                location="Namur",
            )
            for n in range(EVENTS)
        )
        events = [(e.pk, e.start_date) for e in events]
        clusters = list(
            Organisation.objects.filter(
                type__code__in=["competitiveness-cluster", "business-cluster"]
            ).values_list("pk", flat=True)
        )

        first = (Organisation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        ids = range(first, first + organisations)
        incubator_ids = set(rng.sample(ids, min(INCUBATORS, organisations)))
        province, kind, size = (
            _weighted(rng, {terms[("provinces", k)]: w for k, w in PROVINCES.items()}),
            _weighted(rng, {terms[("organisation-types", k)]: w for k, w in TYPES.items()}),
            _weighted(rng, {str(band.value): w for band, w in SIZES.items()}),
        )
        division = _weighted(rng, DIVISIONS)
        startup, incubator = (
            terms[("organisation-types", "startup")],
            terms[("organisation-types", "incubator")],
        )
        draw_technology = zipf(rng, technologies, 0.8)
        draw_domain = zipf(rng, domains, 0.6)
        draw_cluster = zipf(rng, clusters, 0.7)
        draw_incubator = zipf(rng, sorted(incubator_ids))
        draw_call = zipf(rng, calls)
        draw_event = zipf(rng, events, 0.9)
        organisation_rows, assignment_rows, relation_rows, partner_rows = [], [], [], set()

        def relation(pk, kind, start, end=None, organisation=None, action=None, event=None):
            relation_rows.append(
                (now, now, kind, "", start, end, "", pk, action, event, organisation)
            )

        def flush(force=False):
            for table, columns, rows in (
                ("registry_organisation", ORGANISATION_COLUMNS, organisation_rows),
                ("taxonomies_termassignment", ASSIGNMENT_COLUMNS, assignment_rows),
                ("registry_relation", RELATION_COLUMNS, relation_rows),
            ):
                if rows and (force or len(rows) >= BATCH):
                    copy(connection, table, columns, rows)
                    stats[table] += len(rows)
                    rows.clear()

        for pk in ids:
            type_id = incubator if pk in incubator_ids else kind()
            nace = division()
            founded = datetime.date(
                max(1950, min(2025, int(2025 - rng.expovariate(1 / 15)))),
                rng.randint(1, 12),
                rng.randint(1, 28),
            )
            organisation_rows.append(
                (pk, now, now, f"BENCH-{pk:08d}", f"Entreprise {pk}", "", "", "", "", "", "BE",
                 "bench", province(), type_id, founded, "", nace,
                 "micro" if type_id == startup else size())
            )  # fmt: skip
            digital = nace.startswith(("58", "62", "63")) or type_id == startup
            if digital or rng.random() < 0.05:
                for term in draw_technology(rng.choice([1, 1, 2, 3])):
                    assignment_rows.append((pk, now, organisation_type, term))
            if rng.random() < 0.2:
                for term in draw_domain(rng.choice([1, 1, 2])):
                    assignment_rows.append((pk, now, organisation_type, term))
            if rng.random() < 0.08:
                for cluster in draw_cluster(rng.choice([1, 1, 1, 2])):
                    start = datetime.date(rng.randint(2012, 2025), rng.randint(1, 12), 1)
                    end = None
                    if rng.random() < 0.3:
                        end = start.replace(year=start.year + rng.randint(1, 5))
                    relation(pk, "member_of", start, end, organisation=cluster)
            if type_id == startup and rng.random() < 0.4:
                start = datetime.date(rng.randint(2014, 2025), rng.randint(1, 12), 1)
                end = start.replace(year=start.year + rng.randint(1, 3))
                target = draw_incubator()[0]
                if target != pk:
                    relation(pk, "incubated_by", start, end, organisation=target)
            if rng.random() < (0.15 if digital else 0.02):
                for call in draw_call(rng.choice([1, 1, 2])):
                    start = datetime.date(rng.randint(2016, 2025), rng.randint(1, 12), 1)
                    relation(pk, "laureate_of", start, action=call)
            if rng.random() < (0.1 if digital else 0.01):
                for call in draw_call(1):
                    start = datetime.date(rng.randint(2016, 2025), rng.randint(1, 12), 1)
                    relation(pk, "funded_by", start, action=call)
            if rng.random() < (0.3 if digital else 0.08):
                for event, day in draw_event(rng.choice([1, 1, 2, 3])):
                    relation(pk, "participant_in", day, day, event=event)
            if rng.random() < PARTNERS / organisations:
                partner_rows.add((draw_call()[0], pk))
            flush()
        flush(force=True)
        copy(
            connection,
            "strategies_actionpartner",
            ("role", "action_id", "organisation_id"),
            [("", action, pk) for action, pk in sorted(partner_rows)],
        )
        stats["strategies_actionpartner"] = len(partner_rows)
        with connection.cursor() as cursor:
            for table in ("registry_organisation", "registry_relation"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT MAX(id) FROM {table}))"
                )
        registry_changed(None)
    with connection.cursor() as cursor:
        for table in (
            "registry_organisation", "taxonomies_termassignment", "registry_relation",
            "strategies_actionpartner", "registry_event", "strategies_action",
        ):  # fmt: skip
            cursor.execute(f"ANALYZE {table}")
    stats["relations"] = Relation.objects.count()
    stats["assignments"] = TermAssignment.objects.count()
    return stats


ORGANISATION_COLUMNS = (
    "id", "created_at", "updated_at", "code", "name", "description", "website", "street",
    "postcode", "locality", "country", "sources", "province_id", "type_id", "founded_on",
    "logo", "nace_code", "size_band",
)  # fmt: skip
ASSIGNMENT_COLUMNS = ("object_id", "created_at", "content_type_id", "term_id")
RELATION_COLUMNS = (
    "created_at", "updated_at", "kind", "role", "start_date", "end_date", "source",
    "organisation_id", "target_action_id", "target_event_id", "target_organisation_id",
)  # fmt: skip


def copy(connection, table: str, columns, rows) -> None:
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor, under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as writer:
            for row in rows:
                writer.write_row(row)


def _weighted(rng: random.Random, weights: dict):
    keys, values = list(weights), list(weights.values())
    return lambda: rng.choices(keys, values)[0]


# --------------------------------------------------------------------------------------
# Plain SQL over the source tables


def _terms_up(taxonomy: str) -> str:
    """(term_id, code) of each term of a taxonomy and of each of its ancestors."""
    if not re.fullmatch(r"[A-Za-z0-9_-]+", taxonomy):
        sys.exit(f"Unexpected taxonomy code {taxonomy!r}")
    return f"""(WITH RECURSIVE up(term_id, code, parent_id) AS (
        SELECT t.id, t.code, t.parent_id FROM taxonomies_term t
        JOIN taxonomies_taxonomy x ON x.id = t.taxonomy_id WHERE x.code = '{taxonomy}'
        UNION ALL SELECT up.term_id, p.code, p.parent_id FROM up
        JOIN taxonomies_term p ON p.id = up.parent_id) SELECT term_id, code FROM up)"""


def _sections() -> str:
    from pilotage.registry.magnets import NACE_SECTIONS

    return ", ".join(
        f"({low}, {high}, 'nace-{letter.lower()}')" for letter, (low, high) in NACE_SECTIONS.items()
    )


def membership_sql(organisation_type: int, taxonomies: list[str]) -> dict[str, str]:
    """For each facet, a subquery of (org, code, start_date, end_date): the organisations
    having each value, straight from the application's tables."""
    undated = "NULL::date AS start_date, NULL::date AS end_date"
    relation = """SELECT r.organisation_id AS org, {code} AS code, r.start_date, r.end_date
        FROM registry_relation r {join} WHERE r.kind = '{kind}'"""
    action_links = f"""
        SELECT r.target_action_id AS action_id, r.organisation_id AS org, r.start_date,
            r.end_date FROM registry_relation r WHERE r.target_action_id IS NOT NULL
        UNION ALL SELECT p.action_id, p.organisation_id, {undated}
            FROM strategies_actionpartner p
        UNION ALL SELECT a.id, a.lead_id, {undated}
            FROM strategies_action a WHERE a.lead_id IS NOT NULL"""
    facets = {
        "type": f"""SELECT o.id AS org, u.code, {undated} FROM registry_organisation o
            JOIN {_terms_up("organisation-types")} u ON u.term_id = o.type_id""",
        "province": f"""SELECT o.id AS org, u.code, {undated} FROM registry_organisation o
            JOIN {_terms_up("provinces")} u ON u.term_id = o.province_id""",
        "sector": f"""SELECT o.id AS org, s.code, {undated} FROM registry_organisation o
            JOIN (VALUES {_sections()}) s(low, high, code)
            ON substring(o.nace_code FROM '^[0-9][0-9]')::int BETWEEN s.low AND s.high""",
        "size": f"""SELECT o.id AS org, o.size_band AS code, {undated}
            FROM registry_organisation o WHERE o.size_band <> ''""",
        "founded": f"""SELECT o.id AS org,
            ((EXTRACT(YEAR FROM o.founded_on)::int / 10) * 10)::text AS code, {undated}
            FROM registry_organisation o WHERE o.founded_on IS NOT NULL""",
        "member_of": relation.format(
            code="t.code",
            join="JOIN registry_organisation t ON t.id = r.target_organisation_id",
            kind="member_of",
        ),
        "incubated_by": relation.format(
            code="t.code",
            join="JOIN registry_organisation t ON t.id = r.target_organisation_id",
            kind="incubated_by",
        ),
        "laureate_of": relation.format(
            code="a.code",
            join="JOIN strategies_action a ON a.id = r.target_action_id",
            kind="laureate_of",
        ),
        "funded_by": relation.format(
            code="a.code",
            join="JOIN strategies_action a ON a.id = r.target_action_id",
            kind="funded_by",
        ),
        "event": relation.format(
            code="e.code",
            join="JOIN registry_event e ON e.id = r.target_event_id",
            kind="participant_in",
        )
        + " UNION ALL "
        + relation.format(
            code="u.code",
            join=f"""JOIN registry_event e ON e.id = r.target_event_id
                JOIN {_terms_up("event-types")} u ON u.term_id = e.type_id""",
            kind="participant_in",
        ),
        "action": f"""SELECT p.organisation_id AS org, a.code, {undated}
            FROM strategies_actionpartner p JOIN strategies_action a ON a.id = p.action_id
            UNION ALL SELECT a.lead_id, a.code, {undated} FROM strategies_action a
            WHERE a.lead_id IS NOT NULL""",
        "programme": f"""WITH RECURSIVE up(node_id, strategy_id, code, parent_id) AS (
                SELECT n.id, n.strategy_id, n.code, n.parent_id FROM strategies_strategynode n
                UNION ALL SELECT up.node_id, up.strategy_id, p.code, p.parent_id FROM up
                JOIN strategies_strategynode p ON p.id = up.parent_id)
            SELECT l.org, s.code || ':' || up.code AS code, l.start_date, l.end_date
            FROM ({action_links}) l
            JOIN strategies_action_nodes an ON an.action_id = l.action_id
            JOIN up ON up.node_id = an.strategynode_id
            JOIN strategies_strategy s ON s.id = up.strategy_id WHERE s.status <> 'draft'""",
    }
    for taxonomy in taxonomies:
        facets[taxonomy] = f"""SELECT a.object_id AS org, u.code, {undated}
            FROM taxonomies_termassignment a JOIN {_terms_up(taxonomy)} u ON u.term_id = a.term_id
            WHERE a.content_type_id = {int(organisation_type)}"""
    return facets


def sql_answer(cursor, membership: dict[str, str], query) -> tuple[int, dict]:
    """The result's count and every facet value's count, in plain SQL."""
    day = query.as_of

    def running(alias: str) -> tuple[str, list]:
        if not day:
            return "", []
        return (
            f" AND ({alias}.start_date IS NULL OR {alias}.start_date <= %s)"
            f" AND ({alias}.end_date IS NULL OR {alias}.end_date >= %s)",
            [day, day],
        )

    def where(skip: str | None) -> tuple[str, list]:
        clauses, params = [], []
        if day:
            clauses.append("(o.founded_on IS NULL OR o.founded_on <= %s)")
            params.append(day)
        for facet, values in query.include.items():
            if facet != skip:
                dated, dates = running("m")
                clauses.append(
                    f"o.id IN (SELECT m.org FROM ({membership[facet]}) m "
                    f"WHERE m.code = ANY(%s){dated})"
                )
                params += [list(values), *dates]
        for facet, values in query.exclude.items():
            if facet != skip:
                dated, dates = running("m")
                clauses.append(
                    f"NOT EXISTS (SELECT 1 FROM ({membership[facet]}) m "
                    f"WHERE m.org = o.id AND m.code = ANY(%s){dated})"
                )
                params += [list(values), *dates]
        return " AND ".join(clauses) or "TRUE", params

    clause, params = where(None)
    cursor.execute(
        f"SELECT COUNT(DISTINCT o.id) FROM registry_organisation o WHERE {clause}",
        params,
    )
    total = cursor.fetchone()[0]
    counts = {}
    for facet, select in membership.items():
        clause, params = where(facet)
        dated, dates = running("m")
        cursor.execute(
            f"SELECT m.code, COUNT(DISTINCT m.org) FROM ({select}) m "
            f"WHERE m.org IN (SELECT o.id FROM registry_organisation o WHERE {clause}){dated} "
            "GROUP BY m.code",
            params + dates,
        )
        counts[facet] = dict(cursor.fetchall())
    return total, counts


def check(text: str, total: int, facets, sql_total: int, sql_counts: dict) -> int:
    """Every count of the engine equals SQL's; the number of counts compared."""
    if total != sql_total:
        sys.exit(f"MISMATCH {text}: the engine finds {total}, SQL {sql_total}")
    compared = 1
    seen = set()
    for facet in facets:
        if facet.key not in sql_counts:
            sys.exit(f"MISMATCH {text}: facet {facet.key} has no SQL counterpart")
        seen.add(facet.key)
        codes = set()
        for value in facet.values:
            codes.add(value.code)
            expected = sql_counts[facet.key].get(value.code, 0)
            if value.count != expected:
                sys.exit(
                    f"MISMATCH {text}: {facet.key}={value.code} counts {value.count} "
                    f"in the engine, {expected} in SQL"
                )
            compared += 1
        missing = {c: n for c, n in sql_counts[facet.key].items() if n and c not in codes}
        if missing:
            sys.exit(f"MISMATCH {text}: SQL counts {facet.key} values the engine lacks: {missing}")
    unseen = {k for k, v in sql_counts.items() if any(v.values())} - seen
    if unseen:
        sys.exit(f"MISMATCH {text}: SQL counts facets the engine lacks: {sorted(unseen)}")
    return compared


# --------------------------------------------------------------------------------------
# Queries and the floor


def random_queries(index, count: int, rng: random.Random) -> list[str]:
    """Query strings over 2 to 4 facets, 1 to 3 values each (values weighted by their
    size, so results are rarely empty), some NOT, some as of a date."""
    facets = [facet.key for facet in index.facets if any(index.bitmaps[facet.key].values())]
    queries = []
    for _ in range(count):
        params = []
        for facet in rng.sample(facets, rng.randint(2, 4)):
            values = [code for code in index.order[facet] if index.bitmaps[facet][code]]
            sizes = [len(index.bitmaps[facet][code]) ** 0.5 for code in values]
            chosen = set()
            for _draw in range(rng.randint(1, 3)):
                chosen.add(rng.choices(values, sizes)[0])
            key = f"not-{facet}" if rng.random() < 0.2 else facet
            params += [(key, value) for value in sorted(chosen)]
        if rng.random() < 0.1:
            params.append(("as_of", f"{rng.randint(2017, 2025)}-06-30"))
        queries.append(urlencode(params))
    return queries


def floor_prepare(index, query) -> tuple:
    """The bitmaps the query needs, chosen beforehand (not timed)."""
    universe, bitmaps = index._bitmaps_on(query.as_of)
    chosen = {}
    for facet in set(query.include) | set(query.exclude):
        values = bitmaps[facet]
        allowed = [values[v] for v in query.include.get(facet, ())]
        excluded = [values[v] for v in query.exclude.get(facet, ())]
        chosen[facet] = (allowed, excluded)
    lists = [(facet.key, list(bitmaps[facet.key].values())) for facet in index.facets]
    return chosen, lists, universe


def floor_run(chosen, lists, universe) -> None:
    """Unions within a facet, intersections across, one cardinality per value."""
    from pyroaring import BitMap

    def without(skip):
        result = universe
        for facet, (allowed, excluded) in chosen.items():
            if facet == skip:
                continue
            if allowed:
                result = result & (allowed[0] if len(allowed) == 1 else BitMap.union(*allowed))
            if excluded:
                result = result - BitMap.union(*excluded)
        return result

    everything = without(None)
    for facet, values in lists:
        base = without(facet) if facet in chosen else everything
        for bitmap in values:
            base.intersection_cardinality(bitmap)


# --------------------------------------------------------------------------------------


def resident_kib() -> int:
    """The process's resident memory now (Linux), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def ms(values: list[float], share: float) -> str:
    return f"{percentile(values, share) * 1000:9.2f}ms" if values else f"{'-':>11}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--organisations", type=int, default=1_100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument(
        "--sql-budget",
        type=float,
        default=None,
        help="seconds of SQL at most, on queries spread over the run "
        "(default: 600 at full scale, none with --quick)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data of a previous run of the same scale"
    )
    parser.add_argument("--quick", action="store_true", help="20,000 organisations, 100 queries")
    args = parser.parse_args()
    if args.quick:
        args.organisations, args.queries = 20_000, 100
    elif args.sql_budget is None:
        args.sql_budget = 600

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    if not url.startswith("postgres"):
        sys.exit("The benchmark needs PostgreSQL: set DATABASE_URL=postgres://...")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    ensure_database(url)
    import django

    django.setup()
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection
    from django.db.utils import ProgrammingError
    from django.http import QueryDict

    from pilotage.registry.magnets import MagnetIndex
    from pilotage.registry.models import Organisation

    print(f"cores: {os.cpu_count()}   PostgreSQL: {connection.pg_version}")
    reused = False
    if args.reuse:
        try:
            reused = Organisation.objects.filter(code__startswith="BENCH-").count() == (
                args.organisations
            )
        except ProgrammingError:  # no schema yet: generate
            reused = False
    if not reused:
        seconds, _ = timed(reset_schema, connection)
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("load", no_progress=True, verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        print(f"schema, migrate and load: {time.perf_counter() - started:.0f} s")
        seconds, stats = timed(generate, args.organisations, args.seed)
        print(
            f"generated with COPY in {seconds:.0f} s: {stats['registry_organisation']:,} "
            f"organisations, {stats['taxonomies_termassignment']:,} terms applied, "
            f"{stats['registry_relation']:,} relations, "
            f"{stats['strategies_actionpartner']:,} action partners"
        )
    else:
        print(f"data of the previous run kept ({args.organisations:,} organisations)")

    rss = resident_kib()
    build, index = timed(MagnetIndex.build)
    grown = resident_kib() - rss
    values = sum(len(index.order[facet.key]) for facet in index.facets)
    print(
        f"index: {values:,} facet values over {len(index.facets)} facets, built in "
        f"{build:.1f} s; bitmaps {index.memory() / 2**20:.1f} MiB (index.memory()), "
        f"process RSS +{grown / 1024:.0f} MiB"
    )
    print("  " + ", ".join(f"{facet.key} {len(index.order[facet.key])}" for facet in index.facets))
    taxonomies = [facet.key for facet in index.facets if facet.key == facet.taxonomy]
    membership = membership_sql(ContentType.objects.get_for_model(Organisation).pk, taxonomies)
    unknown = {facet.key for facet in index.facets} - set(membership)
    if unknown:
        sys.exit(f"The SQL baseline does not know the facets {sorted(unknown)}")

    rng = random.Random(2026)
    queries = random_queries(index, args.queries, rng)
    engine, engine_dated, engine_undated, sql, floor = [], [], [], [], []
    checked = compared = 0
    budget = args.sql_budget
    sql_spent = 0.0
    started_run = time.perf_counter()
    with connection.cursor() as cursor:
        for number, text in enumerate(queries):
            started = time.perf_counter()
            query = index.parse(QueryDict(text))
            total = index.count(query)
            facets = index.facet_counts(query, keep_empty=True)
            elapsed = time.perf_counter() - started
            engine.append(elapsed)
            (engine_dated if query.as_of else engine_undated).append(elapsed)

            prepared = floor_prepare(index, query)
            started = time.perf_counter()
            floor_run(*prepared)
            floor.append(time.perf_counter() - started)

            # Within a budget, SQL keeps pace with the run: query n runs once the time
            # spent so far leaves room for it at the mean cost seen.
            mean = sql_spent / checked if checked else 0
            if budget is None or sql_spent + mean <= budget * (number + 1) / len(queries):
                started = time.perf_counter()
                sql_total, sql_counts = sql_answer(cursor, membership, query)
                spent = time.perf_counter() - started
                sql.append(spent)
                sql_spent += spent
                checked += 1
                compared += check(text, total, facets, sql_total, sql_counts)
            if number % 100 == 99:
                print(
                    f"  {number + 1} queries, {checked} of them checked in SQL "
                    f"({time.perf_counter() - started_run:.0f} s)",
                    flush=True,
                )

    print(
        f"\n{len(queries):,} random queries with every facet value counted; {checked:,} also "
        f"run in SQL: {compared:,} counts, all equal to SQL's\n"
    )
    print(f"{'':34}{'p50':>11}{'p95':>11}")
    for name, times in (
        ("engine (parse, count, facets)", engine),
        (f"  as_of queries ({len(engine_dated)})", engine_dated),
        (f"  the others ({len(engine_undated)})", engine_undated),
        (f"plain SQL ({len(sql)} queries)", sql),
        ("bitmap floor", floor),
    ):
        print(f"{name:34}{ms(times, 0.5)}{ms(times, 0.95)}")
    print()
    print(
        f"engine / SQL      p50 {statistics.median(engine) / statistics.median(sql):9.4f}x"
        f"   p95 {percentile(engine, 0.95) / percentile(sql, 0.95):9.4f}x"
        f"   (SQL is {statistics.median(sql) / statistics.median(engine):,.0f}x slower at p50)"
    )
    print(
        f"engine / floor    p50 {statistics.median(engine) / statistics.median(floor):9.2f}x"
        f"   p95 {percentile(engine, 0.95) / percentile(floor, 0.95):9.2f}x"
    )
    print(
        f"scale: {Organisation.objects.count():,} organisations, {values:,} facet values, "
        f"{len(index.facets)} facets; cores: {os.cpu_count()}; index built in {build:.1f} s, "
        f"{index.memory() / 2**20:.1f} MiB of bitmaps, RSS +{grown / 1024:.0f} MiB"
    )
    p95 = percentile(engine, 0.95) * 1000
    print(f"aim: engine p95 under 50 ms -> {p95:.1f} ms ({'met' if p95 < 50 else 'not met'})")


if __name__ == "__main__":
    main()
