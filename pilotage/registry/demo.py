"""Demo data for the registry at any scale: organisations located in the provinces,
typed, sized, with NACE codes, technologies and domains from the shipped taxonomies, and
their relations (cluster memberships, incubation, call laureates, missions abroad,
W.IN.G funding), persons and events. Reproducible from a seed; skewed like real data
(many micro companies, few large ones; Hainaut and Liège first).

Written with bulk inserts, then one registry change tells the magnet index to rebuild.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from pilotage.registry.geo import province_at, province_polygons
from pilotage.registry.models import (
    Affiliation,
    AffiliationKind,
    Event,
    Organisation,
    Person,
    Relation,
    RelationKind,
    SizeBand,
)
from pilotage.registry.signals import registry_changed
from pilotage.strategies.models import Action
from pilotage.taxonomies.models import Term, TermAssignment

BATCH = 5_000
# Shares of Wallonia's enterprises by province, roughly as its population.
PROVINCES = {"hainaut": 34, "liege": 29, "namur": 13, "brabant-wallon": 14, "luxembourg": 10}
TYPES = {
    "company": 78,
    "startup": 9,
    "association": 6,
    "public-administration": 2,
    "training-centre": 1.5,
    "research-centre": 1,
    "incubator": 0.6,
    "investment-fund": 0.5,
    "university": 0.2,
}
SIZES = {SizeBand.MICRO: 84, SizeBand.SMALL: 11, SizeBand.MEDIUM: 4, SizeBand.LARGE: 1}
# NACE divisions, weighted; digital (J 58-63) and manufacturing well represented.
DIVISIONS = {
    "62.01": 6, "62.02": 4, "63.11": 2, "58.29": 1, "61.10": 1, "10.71": 3, "25.62": 3,
    "28.99": 2, "20.14": 1, "21.20": 1, "41.20": 8, "43.21": 6, "46.90": 8, "47.11": 9,
    "49.41": 4, "55.10": 2, "56.10": 6, "64.19": 1, "68.20": 4, "69.20": 4, "70.22": 5,
    "71.12": 3, "72.19": 2, "73.11": 2, "85.59": 3, "86.21": 3, "88.10": 2, "01.11": 2,
    "35.11": 1, "38.11": 1, "90.01": 1, "96.02": 2,
}  # fmt: skip
SYLLABLES = [
    "wal",
    "nam",
    "lie",
    "ge",
    "mo",
    "ns",
    "ar",
    "lon",
    "hai",
    "na",
    "ur",
    "bra",
    "ban",
    "vi",
    "ta",
    "sys",
    "tec",
    "dat",
    "ia",
    "lux",
    "ver",
    "ti",
]
SUFFIXES = ["SA", "SRL", "SC", "ASBL", "SCRL"]
CALLS = ["DW-START-IA", "DW-TREMPLIN-IA", "DW-CAP-IA", "DW-IMPLEMENT-IT-4-CIRCULARITY"]
LABELS = ["DW-FACTORIES-OF-THE-FUTURE"]
FUND = "DW-WING"


@dataclass
class DemoStats:
    organisations: int = 0
    relations: int = 0
    assignments: int = 0
    persons: int = 0
    events: int = 0


def _weighted(rng: random.Random, weights: dict) -> Callable[[], object]:
    keys, values = list(weights), list(weights.values())

    def draw():
        return rng.choices(keys, values)[0]

    return draw


def _points(rng: random.Random, per_province: int = 400) -> dict[str, list[tuple]]:
    """Random points inside each province (rejection sampling in its bounding box)."""
    pools = {}
    for code, shapes in province_polygons().items():
        if code not in PROVINCES:
            continue
        xs = [x for rings in shapes for x, _ in rings[0]]
        ys = [y for rings in shapes for _, y in rings[0]]
        pool = []
        while len(pool) < per_province:
            lon, lat = rng.uniform(min(xs), max(xs)), rng.uniform(min(ys), max(ys))
            if province_at(lat, lon) == code:
                pool.append((round(lat, 6), round(lon, 6)))
        pools[code] = pool
    return pools


def _enterprise_number(n: int) -> str:
    base = 200_000_000 // 100 + n  # 8 digits after a leading 0 (BCE numbers start 0 or 1)
    base %= 2 * 10**7
    return f"{base:08d}{97 - base % 97:02d}"


@transaction.atomic
def demo_registry_generate(
    organisations: int, *, seed: int = 2026, progress: Callable = lambda items, **_: items
) -> DemoStats:
    """Add `organisations` demo organisations (codes DEMO-…) and their relations."""
    rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not secrets)
    stats = DemoStats()
    terms = {
        (t.taxonomy.code, t.code): t
        for t in Term.objects.select_related("taxonomy").filter(
            taxonomy__code__in=[
                "organisation-types", "provinces", "technologies", "s3-domains", "event-types"
            ]
        )
    }  # fmt: skip
    technologies = [t for (scheme, _c), t in terms.items() if scheme == "technologies"]
    domains = [t for (scheme, _c), t in terms.items() if scheme == "s3-domains"]
    points = _points(rng)
    province, kind, size, division = (
        _weighted(rng, PROVINCES),
        _weighted(rng, TYPES),
        _weighted(rng, SIZES),
        _weighted(rng, DIVISIONS),
    )
    start = Organisation.objects.filter(code__startswith="DEMO-").count()
    rows = []
    for n in progress(range(start, start + organisations), desc="organisations"):
        where = province()
        lat, lon = rng.choice(points[where])
        type_code = kind()
        founded = datetime.date(
            min(2025, int(2025 - rng.expovariate(1 / 15))), rng.randint(1, 12), rng.randint(1, 28)
        )
        rows.append(
            Organisation(
                code=f"DEMO-{n:07d}",
                name=" ".join(
                    [
                        "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).title(),
                        rng.choice(SUFFIXES),
                    ]
                ),
                enterprise_number=_enterprise_number(n),
                type=terms[("organisation-types", type_code)],
                province=terms[("provinces", where)],
                latitude=lat,
                longitude=lon,
                size_band=SizeBand.MICRO if type_code == "startup" else size(),
                founded_on=max(founded, datetime.date(1950, 1, 1)),
                nace_code=division(),
                sources="demo",
            )
        )
        if len(rows) >= BATCH:
            Organisation.objects.bulk_create(rows)
            stats.organisations += len(rows)
            rows = []
    Organisation.objects.bulk_create(rows)
    stats.organisations += len(rows)
    created = list(
        Organisation.objects.filter(code__startswith="DEMO-", code__gte=f"DEMO-{start:07d}")
        .order_by("code")
        .values_list("pk", "type__code", "nace_code")
    )
    stats.events = _events(rng, terms, per_year=max(3, min(60, organisations // 20_000)))
    missions = list(Event.objects.filter(type__code="international-mission"))
    clusters = list(Organisation.objects.filter(type__code="competitiveness-cluster"))
    # A region has a few hundred incubators, however many companies it counts.
    incubators = [pk for pk, type_code, _nace in created if type_code == "incubator"][:300]
    actions = {a.code: a for a in Action.objects.filter(code__in=CALLS + LABELS + [FUND])}
    organisation_type = ContentType.objects.get_for_model(Organisation)
    relations, assignments, persons, affiliations = [], [], [], []
    for pk, type_code, nace in progress(created, desc="relations"):
        digital = nace.startswith(("58", "62", "63")) or type_code == "startup"
        chosen = (
            rng.sample(technologies, rng.randint(1, 3)) if digital or rng.random() < 0.05 else []
        )
        for term in chosen:
            assignments.append(
                TermAssignment(term=term, content_type=organisation_type, object_id=pk)
            )
        # AI startups are the ones the AI calls, the missions and W.IN.G reach most.
        ai_startup = type_code == "startup" and any(
            term.code == "artificial-intelligence" for term in chosen
        )
        if rng.random() < 0.2:
            for term in rng.sample(domains, rng.randint(1, 2)):
                assignments.append(
                    TermAssignment(term=term, content_type=organisation_type, object_id=pk)
                )
        if clusters and rng.random() < 0.06:
            relations.append(
                _relation(rng, pk, RelationKind.MEMBER_OF, target_organisation=rng.choice(clusters))
            )
        if type_code == "startup" and incubators and rng.random() < 0.4:
            relations.append(
                _relation(
                    rng,
                    pk,
                    RelationKind.INCUBATED_BY,
                    target_organisation_id=rng.choice(incubators),
                )
            )
        calls = [actions[c] for c in CALLS if c in actions]
        if calls and ((digital and rng.random() < 0.12) or rng.random() < 0.01):
            relations.append(
                _relation(rng, pk, RelationKind.LAUREATE_OF, target_action=rng.choice(calls))
            )
        manufacturer = nace[:2].isdigit() and 10 <= int(nace[:2]) <= 33
        if LABELS[0] in actions and manufacturer and rng.random() < 0.08:
            relations.append(
                _relation(rng, pk, RelationKind.LAUREATE_OF, target_action=actions[LABELS[0]])
            )
        if missions and rng.random() < (0.6 if ai_startup else 0.15 if digital else 0.02):
            for mission in rng.sample(missions, rng.choice([1, 1, 2, 3])):
                relations.append(
                    _relation(rng, pk, RelationKind.PARTICIPANT_IN, target_event=mission)
                )
        if FUND in actions and rng.random() < (0.5 if ai_startup else 0.08 * digital):
            relation = _relation(rng, pk, RelationKind.FUNDED_BY, target_action=actions[FUND])
            relation.amount = rng.choice([250_000, 500_000, 750_000, 1_000_000, 2_500_000])
            relations.append(relation)
        if rng.random() < 0.1:
            person = Person(
                code=f"DEMO-P-{pk}",
                given_name=rng.choice(["Marie", "Luc", "Sofia", "Jan", "Anna", "Karim", "Lea"]),
                family_name=rng.choice(["Dubois", "Lambert", "Peeters", "Martin", "Renard"]),
                display_refusal=rng.random() < 0.7,
            )
            persons.append(person)
            affiliations.append((person, pk))
        if len(relations) + len(assignments) >= BATCH:
            stats.relations += len(Relation.objects.bulk_create(relations))
            stats.assignments += len(TermAssignment.objects.bulk_create(assignments))
            relations, assignments = [], []
    stats.relations += len(Relation.objects.bulk_create(relations))
    stats.assignments += len(TermAssignment.objects.bulk_create(assignments))
    Person.objects.bulk_create(persons, batch_size=BATCH)
    Affiliation.objects.bulk_create(
        [
            Affiliation(person=person, organisation_id=pk, kind=AffiliationKind.CONTACT)
            for person, pk in affiliations
        ],
        batch_size=BATCH,
    )
    stats.persons = len(persons)
    registry_changed(None)
    return stats


def _relation(rng: random.Random, organisation_id: int, kind: str, **target) -> Relation:
    start = datetime.date(rng.randint(2016, 2025), rng.randint(1, 12), 1)
    end = None
    if kind in (RelationKind.MEMBER_OF, RelationKind.INCUBATED_BY) and rng.random() < 0.3:
        end = start.replace(year=start.year + rng.randint(1, 4))
    return Relation(
        organisation_id=organisation_id, kind=kind, start_date=start, end_date=end, **target
    )


def _events(rng: random.Random, terms, *, per_year: int = 3) -> int:
    """International missions, a few a year (more for a larger ecosystem), matched by
    code so that generating again adds none twice."""
    destinations = ["Québec", "Tokyo", "Boston", "Dubaï", "Lyon", "Singapour", "Berlin", "Nairobi"]
    created = 0
    for year in range(2017, 2026):
        for number in range(per_year):
            destination = destinations[(year + number) % len(destinations)]
            code = f"DEMO-MISSION-{year}-{number:02d}-{destination[:3].upper()}"
            _event, new = Event.objects.get_or_create(
                code=code,
                defaults={
                    "title_fr": f"Mission numérique à {destination} ({year})",
                    "type": terms[("event-types", "international-mission")],
                    "start_date": datetime.date(year, rng.randint(1, 11), rng.randint(1, 20)),
                    "location": destination,
                },
            )
            created += new
    return created
