"""Store taxonomies from data files and SKOS imports: check everything, then write."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from pilotage.core.datafiles import DataError, DataFileError, parse_file, record_assign, upsert
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


# --- the SKOS import's write: only what differs, in bulk, audited ----------------------


def taxonomy_write(scheme, terms: list, *, actor, file: str) -> tuple[Taxonomy, Counter, int]:
    """Write one checked scheme of a SKOS import (the caller holds the transaction and the
    permission check): the taxonomy and each term only if a value differs, new and changed
    terms in bulk, each with the audit entry a save would have written.

    Returns the taxonomy, the counts ("taxonomies created", "terms unchanged"...) and how
    many audit entries were written. Refuses, naming the concept, a value a column cannot
    hold; nothing is written then."""
    stats: Counter = Counter()
    errors: list[DataError] = []
    taxonomy = Taxonomy.objects.filter(code=scheme.code).first()
    adding = taxonomy is None
    if adding:
        taxonomy = Taxonomy(code=scheme.code)
    changes = record_assign(
        taxonomy,
        {
            "uri": scheme.uri,
            "identifier": scheme.identifier,
            "version": scheme.version,
            "created": scheme.created,
            "modified": scheme.modified,
            "extras": scheme.extras,
            **translated_field_values("title", scheme.title),
            **translated_field_values("label", scheme.label),
            **translated_field_values("definition", scheme.definition),
        },
    )
    _clean(taxonomy, file, f"scheme <{scheme.uri}>", errors)
    existing = {} if adding else {t.code: t for t in Term.objects.filter(taxonomy=taxonomy)}
    code_by_id = {t.pk: code for code, t in existing.items()}
    stored: dict[str, Term] = {}
    depth: dict[str, int] = {}
    created: dict[int, list[Term]] = {}
    updated: list[tuple[Term, Term, set[str]]] = []
    for order, term in enumerate(_parents_first(terms)):
        depth[term.code] = depth[term.parent] + 1 if term.parent else 0
        values = {
            "uri": term.uri,
            "identifier": term.identifier,
            "notation": term.notation,
            "status": term.status,
            "version": term.version,
            "order": order,
            "extras": term.extras,
            **translated_field_values("label", term.label),
            **translated_field_values("definition", term.definition),
        }
        parent = stored[term.parent] if term.parent else None
        record = existing.get(term.code)
        if record is None:
            record = Term(taxonomy=taxonomy, code=term.code, parent=parent)
            record_assign(record, values)
            created.setdefault(depth[term.code], []).append(record)
        else:
            before = copy.copy(record)
            fields = set(record_assign(record, values))
            if code_by_id.get(record.parent_id) != term.parent:
                record.parent = parent
                fields.add("parent")
            if fields:
                updated.append((before, record, fields))
        _clean(record, file, f"concept <{term.uri}>", errors)
        stored[term.code] = record
    if errors:
        raise DataFileError(errors)

    if adding or changes:
        taxonomy.save()  # one record: the audit trail's own signal records it
        stats["taxonomies created" if adding else "taxonomies updated"] += 1
    else:
        stats["taxonomies unchanged"] += 1
    for level in sorted(created):  # parents first, so that each child has its parent's key
        for record in created[level]:
            record.taxonomy = taxonomy
        Term.objects.bulk_create(created[level], batch_size=BATCH)
    if updated:
        now = timezone.now()
        for _before, record, _fields in updated:
            record.updated_at = now
        names = set().union(*(fields for _b, _r, fields in updated)) | {"updated_at"}
        # A save also writes a translated field's own column (the active language's text).
        names |= {
            base for base in ("label", "definition") for n in names if n.startswith(f"{base}_")
        }
        names = sorted(names)
        Term.objects.bulk_update([record for _b, record, _f in updated], names, batch_size=BATCH)
    new = [record for level in sorted(created) for record in created[level]]
    entries = audit_bulk(
        actor,
        [(None, record) for record in new] + [(before, record) for before, record, _f in updated],
    )
    stats["terms created"] += len(new)
    stats["terms updated"] += len(updated)
    stats["terms unchanged"] += len(terms) - len(new) - len(updated)
    return taxonomy, stats, entries + (1 if adding or changes else 0)


BATCH = 500


def _clean(record, file: str, where: str, errors: list[DataError]) -> None:
    """The column checks (lengths, IRIs, choices) before any write, as data errors."""
    try:
        record.clean_fields(exclude=["taxonomy", "parent"])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.append(
                DataError(
                    file,
                    where,
                    " ".join(str(message) for message in messages),
                    column=name,
                    value=str(getattr(record, name, "") or "")[:200],
                )
            )


def audit_bulk(actor, rows: list[tuple[models.Model | None, models.Model]]) -> int:
    """Write, in one statement, the audit entries that saving each (before, after) pair
    would have written: a creation when `before` is None, else an update naming the
    fields that changed (nothing for a pair that changed nothing). Returns their count.

    django-auditlog writes its entries from the save signals, which bulk writes skip; these
    are built as it builds them (its diff, its correlation id, the acting user)."""
    from auditlog.cid import get_cid
    from auditlog.context import auditlog_value
    from auditlog.diff import model_instance_diff
    from auditlog.models import LogEntry

    if not rows:
        return 0
    context = auditlog_value.get({})
    actor = actor if getattr(actor, "is_authenticated", False) else None
    cid = get_cid()
    content_types = {}
    entries = []
    for before, after in rows:
        changes = model_instance_diff(
            before, after, use_json_for_changes=settings.AUDITLOG_STORE_JSON_CHANGES
        )
        if not changes:
            continue
        model = type(after)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(model)
        entries.append(
            LogEntry(
                content_type=content_types[model],
                object_pk=str(after.pk),
                object_id=after.pk,
                object_repr=str(after),
                serialized_data=LogEntry.objects._get_serialized_data_or_none(after),
                action=LogEntry.Action.CREATE if before is None else LogEntry.Action.UPDATE,
                changes=changes,
                actor=actor,
                actor_email=getattr(actor, "email", None) if actor else None,
                remote_addr=context.get("remote_addr"),
                remote_port=context.get("remote_port"),
                cid=cid,
            )
        )
    LogEntry.objects.bulk_create(entries, batch_size=BATCH)
    return len(entries)
