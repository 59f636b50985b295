"""Store taxonomies from data files and SKOS imports: check everything, then write."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pilotage.core.datafiles import DataError, DataFileError, parse_file, upsert
from pilotage.core.i18n import translated_field_values
from pilotage.core.loading import DataFolder, duplicates
from pilotage.taxonomies.models import Taxonomy, Term
from pilotage.taxonomies.schemas import SchemeData, TaxonomyFile, TermData


def taxonomy_file_read(path: Path) -> TaxonomyFile:
    """Parse and check one taxonomy file, or raise DataFileError listing what is wrong."""
    parsed = parse_file(path, TaxonomyFile)
    errors = taxonomy_check(str(path), parsed.scheme, parsed.terms)
    if errors:
        raise DataFileError(errors)
    return parsed


def taxonomy_check(file: str, scheme: SchemeData, terms: list[TermData]) -> list[DataError]:
    """Duplicate codes, unknown or cyclic parents: what a schema alone cannot see."""
    errors = []
    counts = Counter(term.code for term in terms)
    for code, count in counts.items():
        if count > 1:
            errors.append(DataError(file, f"term {code!r}", f"duplicate code ({count} terms)"))
    parents = {term.code: term.parent for term in terms}
    for term in terms:
        if term.parent is not None and term.parent not in parents:
            errors.append(
                DataError(file, f"term {term.code!r}", f"unknown parent code {term.parent!r}")
            )
    for code in parents:
        seen, current = {code}, parents[code]
        while current is not None and current in parents:
            if current in seen:
                errors.append(DataError(file, f"term {code!r}", "its parents form a cycle"))
                break
            seen.add(current)
            current = parents[current]
    return errors


def taxonomy_apply(scheme: SchemeData, terms: list[TermData], sources: list[str] = ()) -> Counter:
    """Write a checked taxonomy; returns how many records were created, updated, unchanged."""
    stats: Counter = Counter()
    taxonomy, status = upsert(
        Taxonomy,
        {"code": scheme.code},
        {
            "uri": scheme.uri,
            "identifier": scheme.identifier,
            "version": scheme.version,
            "created": scheme.created,
            "modified": scheme.modified,
            "sources": ", ".join(sources),
            **translated_field_values("title", scheme.title),
            **translated_field_values("label", scheme.label),
            **translated_field_values("definition", scheme.definition),
        },
    )
    stats[status] += 1
    stored: dict[str, Term] = {}
    # Parents first, whatever the order in the file.
    for order, term in enumerate(_parents_first(terms)):
        record, status = upsert(
            Term,
            {"taxonomy": taxonomy, "code": term.code},
            {
                "parent": stored[term.parent] if term.parent else None,
                "uri": term.uri,
                "identifier": term.identifier,
                "notation": term.notation,
                "status": term.status,
                "version": term.version,
                "order": order,
                **translated_field_values("label", term.label),
                **translated_field_values("definition", term.definition),
            },
        )
        stored[term.code] = record
        stats[status] += 1
    return stats


def _parents_first(terms: list[TermData]) -> list[TermData]:
    by_code = {term.code: term for term in terms}
    ordered, placed = [], set()

    def place(term: TermData) -> None:
        if term.code in placed:
            return
        if term.parent:
            place(by_code[term.parent])
        placed.add(term.code)
        ordered.append(term)

    for term in terms:
        place(term)
    return ordered


def _known(files: dict[Path, TaxonomyFile]) -> dict[str, set]:
    terms = set(Term.objects.values_list("taxonomy__code", "code"))
    schemes = set(Taxonomy.objects.values_list("code", flat=True))
    for parsed in files.values():
        schemes.add(parsed.scheme.code)
        terms |= {(parsed.scheme.code, term.code) for term in parsed.terms}
    return {"taxonomies": schemes, "terms": terms}


def _check(files: dict[Path, TaxonomyFile], known: dict[str, set]) -> list[DataError]:
    return duplicates(((str(path), f.scheme.code) for path, f in files.items()), "taxonomy")


def _write(files: dict[Path, TaxonomyFile], progress) -> Counter:
    stats: Counter = Counter()
    for parsed in progress(list(files.values())):
        for status, count in taxonomy_apply(parsed.scheme, parsed.terms, parsed.sources).items():
            stats[f"taxonomy records {status}"] += count
    return stats


TAXONOMY_FOLDER = DataFolder(
    folder="taxonomies", order=10, read=taxonomy_file_read, known=_known, check=_check, write=_write
)
