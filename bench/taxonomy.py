"""Benchmark of the SKOS import of a taxonomy as Digital Wallonia publishes it (issue 14).

    make bench-taxonomy                 # 1,150 concepts in two schemes
    make bench-taxonomy ARGS="--quick"  # a tenth of that, to try the script

It owns its database: DATABASE_URL, or by default the local
postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench_taxonomy, created if missing
and emptied at each run. The file is generated: preferred labels in French, Dutch,
German and English, definitions, a dct:title on every tenth concept, an alternative label
on every seventh, surrounding spaces on every twenty-fifth label, broader links four
levels deep, some deprecated concepts, and the statuses described. It prints, in one run:

1. the first import (aim: under 60 s), with its counts and audit entries;
2. the D4WTA-AP export of what was imported, validated with pySHACL against the shipped
   shapes (aim: no violation; the shapes' own warnings, such as a label starting with a
   space, are counted apart), and whether the full export is the file again (isomorphic);
3. a second import of the same file (aim: nothing written, no audit entry).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from indicators import ensure_database  # noqa: E402 (the benchmarks' one helper)

DEFAULT_URL = "postgres://pilotage:pilotage@127.0.0.1:5432/pilotage_bench_taxonomy"
LANGUAGES = ("fr", "nl", "de", "en")
WORDS = {
    "fr": "Agriculture Énergie Mobilité Santé Éducation Numérique Culture Tourisme Emploi Eau",
    "nl": "Landbouw Energie Mobiliteit Gezondheid Onderwijs Digitaal Cultuur Toerisme Werk Water",
    "de": "Landwirtschaft Energie Mobilität Gesundheit Bildung Digital Kultur Tourismus Arbeit"
    " Wasser",
    "en": "Agriculture Energy Mobility Health Education Digital Culture Tourism Employment Water",
}


def label(language: str, n: int) -> str:
    words = WORDS[language].split()
    return f"{words[n % len(words)]} {n}"


def generate(concepts: int) -> tuple[str, dict]:
    """A Turtle file of `concepts` concepts in two schemes (two thirds, one third)."""
    base = "https://bench.example.org/taxonomy/"
    lines = [
        f"@prefix t: <{base}> .",
        "@prefix dct: <http://purl.org/dc/terms/> .",
        "@prefix euvoc: <http://publications.europa.eu/ontology/euvoc#> .",
        "@prefix owl: <http://www.w3.org/2002/07/owl#> .",
        "@prefix skos: <http://www.w3.org/2004/02/skos/core#> .",
        "@prefix status: <http://publications.europa.eu/resource/authority/concept-status/> .",
        "@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .",
        "",
    ]
    first = concepts * 2 // 3
    schemes = {"themes": range(0, first), "places": range(first, concepts)}
    stats = {"titles": 0, "spaced": 0, "broader": 0, "deprecated": 0}
    for scheme, numbers in schemes.items():
        tops = [n for n in numbers if (n - numbers.start) < 10]
        lines += [
            f"t:{scheme} a skos:ConceptScheme ;",
            '    dct:created "2025-01-10"^^xsd:date ;',
            f'    dct:identifier "{scheme.upper()}" ;',
            '    owl:versionInfo "1.0.0" ;',
            f'    dct:title "Taxonomie {scheme}"@fr, "Taxonomy {scheme}"@en ;',
            f'    skos:prefLabel "Taxonomie {scheme}"@fr, "Taxonomy {scheme}"@en ;',
            "    skos:hasTopConcept " + ", ".join(f"t:c{n}" for n in tops) + " .",
            "",
        ]
        for n in numbers:
            offset = n - numbers.start
            labels = {language: label(language, n) for language in LANGUAGES}
            if n % 25 == 3:
                labels["fr"] = f" {labels['fr']} "
                stats["spaced"] += 1
            status = "DEPRECATED" if n % 40 == 7 else "CURRENT"
            stats["deprecated"] += status == "DEPRECATED"
            body = [
                f"t:c{n} a skos:Concept ;",
                f"    skos:inScheme t:{scheme} ;",
                f'    dct:identifier "ID{n:05d}" ;',
                '    owl:versionInfo "0.0.1" ;',
                f"    euvoc:status status:{status} ;",
                "    skos:prefLabel "
                + ", ".join(f'"{text}"@{language}' for language, text in labels.items())
                + " ;",
                f'    skos:definition "Définition {n}."@fr, "Definition {n}."@en ;',
            ]
            if offset < 10:
                body.append(f"    skos:topConceptOf t:{scheme} ;")
            else:
                # A tree: ten roots, each level ten times wider, four levels deep.
                body.append(f"    skos:broader t:c{numbers.start + (offset // 10) - 1} ;")
                stats["broader"] += 1
            if n % 10 == 0:
                body.append(f'    dct:title "Titre {n}"@fr, "Title {n}"@en ;')
                stats["titles"] += 1
            if n % 7 == 0:
                body.append(f'    skos:altLabel "Autre {n}"@fr ;')
            body[-1] = body[-1][:-2] + " ."
            lines += [*body, ""]
    lines += [
        "t:concept-status a skos:ConceptScheme ;",
        '    dct:created "2024-06-01"^^xsd:date ;',
        '    dct:identifier "concept-status" ;',
        '    owl:versionInfo "1.0.0" ;',
        '    skos:prefLabel "Statuts"@fr, "Statuses"@en .',
        "",
    ]
    for code, fr, en in (("CURRENT", "Actuel", "Current"), ("DEPRECATED", "Obsolète", "Old")):
        lines += [
            f"status:{code} a skos:Concept ;",
            "    skos:inScheme t:concept-status ;",
            f'    dct:identifier "{code}" ;',
            '    owl:versionInfo "1.0.0" ;',
            "    euvoc:status status:CURRENT ;",
            f'    skos:prefLabel "{fr}"@fr, "{en}"@en ;',
            f'    skos:definition "{fr}."@fr, "{en}."@en .',
            "",
        ]
    return "\n".join(lines), stats


def timed(function, *args, **kwargs):
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def shacl_results(graph, shapes) -> dict[str, int]:
    from pyshacl import validate
    from rdflib import Namespace

    sh = Namespace("http://www.w3.org/ns/shacl#")
    _conforms, report, _text = validate(graph, shacl_graph=shapes, allow_warnings=True)
    counts = {"violations": 0, "warnings": 0}
    for result in report.subjects(sh.resultSeverity, None):
        severity = report.value(result, sh.resultSeverity)
        counts["violations" if severity == sh.Violation else "warnings"] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--concepts", type=int, default=1150)
    parser.add_argument("--quick", action="store_true", help="a tenth of the scale")
    args = parser.parse_args()
    if args.quick:
        args.concepts = args.concepts // 10

    url = os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    if url.startswith("postgres"):
        ensure_database(url)
    import django

    django.setup()
    from auditlog.models import LogEntry
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rdflib import Graph
    from rdflib.compare import isomorphic

    from pilotage.accounts.models import Role, User
    from pilotage.taxonomies.services import taxonomy_import_skos
    from pilotage.taxonomies.skos import taxonomies_graph

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    version = f"PostgreSQL {connection.pg_version}" if connection.vendor == "postgresql" else ""
    print(f"cores: {os.cpu_count()}   database: {connection.vendor} {version}".rstrip())
    steering = User.objects.create_user("bench@example.org", role=Role.STEERING, is_staff=True)
    text, stats = generate(args.concepts)
    published = Graph().parse(data=text, format="turtle")
    print(
        f"file: {args.concepts:,} concepts in two schemes, {len(published):,} triples,"
        f" {len(text) / 1024:.0f} KiB; {stats['titles']} dct:title, {stats['spaced']} spaced"
        f" labels, {stats['broader']} broader links, {stats['deprecated']} deprecated\n"
    )

    entries = LogEntry.objects.count()
    seconds, report = timed(taxonomy_import_skos, actor=steering, text=text, format="turtle")
    written = LogEntry.objects.count() - entries
    counts = ", ".join(f"{what} {n}" for what, n in report.counts.items() if n)
    verdict = "ok" if seconds < 60 else "SLOWER THAN 60 s"
    print(f"1. first import: {seconds:.2f} s ({verdict}); {counts}")
    print(f"   audit entries: {written:,}; warnings: {len(report.warnings)}")

    shapes = Graph()
    folder = Path(settings.BASE_DIR) / "standards" / "d4wta-ap-1.0.0"
    shapes.parse(folder / "d4wta-ap-SHACL.ttl")
    shapes.parse(folder / "skos-d4w-shapes.ttl")
    seconds, exported = timed(taxonomies_graph, report.taxonomies, profile="d4wta")
    print(f"2. D4WTA-AP export: {seconds:.2f} s, {len(exported):,} triples")
    seconds, results = timed(shacl_results, exported, shapes)
    verdict = "ok" if results["violations"] == 0 else "VIOLATIONS"
    print(
        f"   pySHACL: {seconds:.2f} s, {results['violations']} violations ({verdict}),"
        f" {results['warnings']} warnings (R4: a label starting with a space or an accent)"
    )
    seconds, full = timed(taxonomies_graph, report.taxonomies, profile="full")
    seconds_iso, same = timed(isomorphic, published, full)
    print(
        f"   full export: {seconds:.2f} s; isomorphic to the file: {same}"
        f" ({seconds_iso:.2f} s to compare)"
    )

    entries = LogEntry.objects.count()
    with CaptureQueriesContext(connection) as queries:
        seconds, again = timed(taxonomy_import_skos, actor=steering, text=text, format="turtle")
    writes = sum(
        q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        for q in queries.captured_queries
    )
    new_entries = LogEntry.objects.count() - entries
    verdict = "ok" if writes == 0 and new_entries == 0 else "WROTE"
    counts = ", ".join(f"{what} {n}" for what, n in again.counts.items() if n)
    print(
        f"3. second import: {seconds:.2f} s; {counts}; {writes} writes,"
        f" {new_entries} audit entries ({verdict}); {len(queries)} queries"
    )


if __name__ == "__main__":
    main()
