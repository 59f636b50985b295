"""Benchmark of the indicators engine at the scale issue 3 names.

    make bench                     # 10,000 actions x 5 indicators x 40 quarters
    make bench ARGS="--quick"      # a tenth of that, to try the script

It needs PostgreSQL (COPY is the baseline): DATABASE_URL, or by default the local
postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench, created if missing and
emptied at each run. It prints, side by side in one run:

1. a full rebuild of the read model (every status and roll-up of the public strategies),
   beside one pass of NumPy over the same values (the floor: fetch them, find each
   indicator's latest); then one value published through the services, timed from its
   commit until its indicator's and its action's pages show it (the aim: under 50 ms);
(The bulk import of values has its own benchmark, bench/imports.py.)
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
DEFAULT_URL = "postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench"


def quarters(count: int, first_year: int = 2016):
    for index in range(count):
        year, quarter = first_year + index // 4, index % 4
        start = datetime.date(year, 3 * quarter + 1, 1)
        end = (
            datetime.date(year + (quarter == 3), (3 * quarter + 3) % 12 + 1, 1)
        ) - datetime.timedelta(days=1)
        yield start, end


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def generate(actions: int, per_action: int, quarter_count: int) -> dict:
    """Strategy, actions, indicators, and their values written with COPY."""
    from django.db import connection

    from pilotage.accounts.models import Role, User
    from pilotage.indicators.models import Indicator, IndicatorKind, Observation
    from pilotage.registry.models import Organisation
    from pilotage.strategies.models import Action, Strategy, StrategyLevel, StrategyNode

    rng = random.Random(42)
    owner = Organisation.objects.create(code="BENCH", name="Bench")
    steering = User.objects.create_user("bench@example.org", role=Role.STEERING, is_staff=True)
    strategy = Strategy.objects.create(
        code="BENCH",
        title_fr="Bench",
        period_start=datetime.date(2016, 1, 1),
        owner=owner,
        status="adopted",
    )
    top = StrategyLevel.objects.create(
        strategy=strategy, code="ambition", name_fr="Ambition", depth=0
    )
    below = StrategyLevel.objects.create(
        strategy=strategy, code="programme", name_fr="Programme", depth=1
    )
    ambitions = [
        StrategyNode.objects.create(strategy=strategy, level=top, code=f"A{a}", title_fr=f"A{a}")
        for a in range(10)
    ]
    programmes = StrategyNode.objects.bulk_create(
        StrategyNode(
            strategy=strategy,
            level=below,
            parent=ambitions[p // 10],
            code=f"P{p}",
            title_fr=f"P{p}",
        )
        for p in range(100)
    )
    created = Action.objects.bulk_create(
        Action(code=f"ACT-{n}", title_fr=f"Action {n}", lead=owner, status="running")
        for n in range(actions)
    )
    Action.nodes.through.objects.bulk_create(
        Action.nodes.through(
            action_id=action.pk, strategynode_id=programmes[n % len(programmes)].pk
        )
        for n, action in enumerate(created)
    )
    periods = list(quarters(quarter_count))
    indicators = Indicator.objects.bulk_create(
        (
            Indicator(
                code=f"IND-{action.pk}-{k}",
                title_fr="Indicateur",
                kind=IndicatorKind.OUTPUT,
                action=action,
                weight=Decimal(1 + k % 3),
                baseline_value=Decimal(0),
                baseline_date=periods[0][0],
                target_value=Decimal(1000),
                target_date=periods[-1][1] + datetime.timedelta(days=365 * 2),
            )
            for action in created
            for k in range(per_action)
        ),
        batch_size=5000,
    )
    table = Observation._meta.db_table
    now = datetime.datetime.now(datetime.UTC)
    with (
        connection.cursor() as cursor,
        cursor.copy(
            f"COPY {table} (indicator_id, period_start, period_end, value, text_value, qualifier, "
            "comment, "
            "evidence_url, evidence_file, state, review_note, created_at, updated_at) FROM STDIN"
        ) as copy,
    ):
        for indicator in indicators:
            pace = rng.uniform(5, 30)
            for index, (start, end) in enumerate(periods):
                copy.write_row(
                    (
                        indicator.pk,
                        start,
                        end,
                        round(pace * (index + 1), 2),
                        "",
                        "exact",
                        "",
                        "",
                        "",
                        "published",
                        "",
                        now,
                        now,
                    )
                )
    with connection.cursor() as cursor:
        # Fresh tables have no statistics yet; the planner needs them (autovacuum would do it).
        cursor.execute(f"ANALYZE {table}")
    return {"steering": steering, "indicators": indicators, "periods": periods}


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - started, result


def numpy_floor() -> tuple[float, float, int]:
    """The same published values fetched into NumPy arrays, then each indicator's latest
    value found in one vectorised pass: what no engine reading them can beat."""
    import numpy as np
    from django.db import connection

    from pilotage.indicators.models import Observation

    table = Observation._meta.db_table
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indicator_id, period_end - DATE '2000-01-01', value::float8 "  # noqa: S608
            f"FROM {table} WHERE state = 'published' AND value IS NOT NULL"
        )
        rows = np.array(cursor.fetchall(), dtype=np.float64)
    fetched = time.perf_counter() - started
    started = time.perf_counter()
    order = np.lexsort((rows[:, 1], rows[:, 0]))
    ordered = rows[order]
    last = np.append(ordered[1:, 0] != ordered[:-1, 0], True)
    latest = ordered[last]
    computed = time.perf_counter() - started
    return fetched, computed, len(latest)


def read_model_figures(world: dict) -> None:
    """Section 1: the read model's full rebuild, its floor, and one published value."""
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from pilotage.core.formatting import number_text
    from pilotage.indicators import services
    from pilotage.indicators.readmodel import ReadModel, read_model

    connection.close()  # a fresh connection, as a worker starting
    (build, model) = timed(ReadModel.build)
    book = model.book
    fetched, computed, found = numpy_floor()
    assert found == len(book.entries), (found, len(book.entries))
    print("1. The read model: every status and roll-up of the public strategies")
    print(
        f"   full rebuild          {build:8.2f} s  ({len(book.entries):,} indicators,"
        f" {len(book.actions):,} actions, {len(book.nodes):,} nodes)   aim: under 10 s"
    )
    print(
        f"   NumPy floor           {fetched + computed:8.2f} s  (fetch {fetched:.2f} s"
        f" + latest of each {computed:.2f} s)"
    )
    print(f"   ratio rebuild / floor {build / (fetched + computed):8.2f} x")

    rng = random.Random(7)
    client = Client(HTTP_HOST="localhost")
    steering = world["steering"]
    last = world["periods"][-1][1]
    read_model()
    warm = world["indicators"][0]
    for url in (f"/indicators/{warm.code}/", f"/actions/{warm.action.code}/"):
        client.get(url)  # templates and URL patterns loaded, as in a running worker
    timings: dict[str, list[float]] = {"indicator": [], "action": []}
    for round_ in range(20):
        indicator = rng.choice(world["indicators"])
        pages = (
            ("indicator", f"/indicators/{indicator.code}/"),
            ("action", f"/actions/{indicator.action.code}/"),
        )
        for _page, url in pages:
            client.get(url)  # as visitors saw them before the publication
        day = last + datetime.timedelta(days=round_ + 1)
        value = Decimal(rng.randint(100000, 999999))
        observation = services.observation_record(
            actor=steering, indicator=indicator, period_start=day, period_end=day, value=value
        )
        for transition in ("submit", "validate", "publish"):
            services.observation_transition(
                actor=steering, observation=observation, transition=transition
            )
        with translation.override("fr"):
            shown = number_text(value)  # as the French pages write it
        for page, url in pages:
            started = time.perf_counter()  # the publication has committed
            body = client.get(url).content.decode()
            timings[page].append(time.perf_counter() - started)
            if shown not in body:
                sys.exit(f"{url} does not show the value {value} just published")
    for page, seconds in timings.items():
        seconds.sort()
        p50, worst = statistics.median(seconds) * 1000, seconds[-1] * 1000
        print(
            f"   a published value on its {page + ' page':15} p50 {p50:6.1f} ms"
            f"   max {worst:6.1f} ms  (aim: under 50 ms)"
        )
    refreshes = []
    for _round in range(50):
        seconds, _count = timed(model.book.refresh, [rng.choice(world["indicators"]).pk])
        refreshes.append(seconds)
    median = statistics.median(refreshes) * 1000
    print(f"   one indicator re-read and recomputed {median:.2f} ms (median of 50)\n")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--actions", type=int, default=10_000)
    parser.add_argument("--indicators-per-action", type=int, default=5)
    parser.add_argument("--quarters", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="a tenth of the scale")
    args = parser.parse_args()
    if args.quick:
        args.actions = args.actions // 10

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
    call_command("flush", interactive=False, verbosity=0)
    values = args.actions * args.indicators_per_action * args.quarters
    print(f"cores: {os.cpu_count()}   PostgreSQL: {connection.pg_version}")
    print(
        f"scale: {args.actions:,} actions x {args.indicators_per_action} indicators"
        f" x {args.quarters} quarters = {values:,} values"
    )
    generation, world = timed(generate, args.actions, args.indicators_per_action, args.quarters)
    print(f"generated in {generation:.1f} s (COPY)\n")
    read_model_figures(world)


if __name__ == "__main__":
    main()
