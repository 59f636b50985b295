"""Writes on taxonomies and on the terms applied to records."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from pilotage.core.audit import acting_as
from pilotage.core.permissions import require
from pilotage.core.revisions import ChangeKind, changed
from pilotage.taxonomies.models import Taxonomy, Term, TermAssignment
from pilotage.taxonomies.permissions import can_change_taxonomy

if TYPE_CHECKING:
    from pilotage.taxonomies.skos import SkosImportReport

# Who may tag a record is decided by the record's own app (see `tagging_permission_register`);
# a model nobody registered can be tagged by steering staff only.
_TAGGING_PERMISSIONS: dict[type[models.Model], Callable[..., bool]] = {}


def tagging_permission_register(model: type[models.Model], check: Callable[..., bool]) -> None:
    """Let `check(user, record)` decide who may tag records of `model`."""
    _TAGGING_PERMISSIONS[model] = check


def can_tag(user, record: models.Model) -> bool:
    check = _TAGGING_PERMISSIONS.get(type(record), lambda user, _record: can_change_taxonomy(user))
    return check(user, record)


@transaction.atomic
def record_terms_set(
    *, actor, record: models.Model, taxonomy: Taxonomy, terms: Iterable[Term]
) -> list[Term]:
    """Make `terms` the record's terms of one taxonomy, leaving its other taxonomies alone."""
    require(can_tag(actor, record), "You may not change this record's terms.")
    with acting_as(actor):
        terms = record_terms_apply(record=record, taxonomy=taxonomy, terms=terms)
    changed(ChangeKind.LABEL)  # the public pages show its terms
    return terms


def record_terms_apply(
    *, record: models.Model, taxonomy: Taxonomy, terms: Iterable[Term]
) -> list[Term]:
    """The write behind `record_terms_set`, without the permission check: for the loader,
    which runs as the system from the command line. Writes only what differs."""
    terms = list(terms)
    for term in terms:
        if term.taxonomy_id != taxonomy.pk:
            raise ValueError(f"Term {term.code} is not in taxonomy {taxonomy.code}.")
    content_type = ContentType.objects.get_for_model(record)
    current = TermAssignment.objects.filter(
        content_type=content_type, object_id=record.pk, term__taxonomy=taxonomy
    )
    wanted = {term.pk for term in terms}
    for assignment in current.exclude(term_id__in=wanted):
        assignment.delete()
    present = set(current.values_list("term_id", flat=True))
    for term in terms:
        if term.pk not in present:
            TermAssignment.objects.create(term=term, content_type=content_type, object_id=record.pk)
    return terms


@transaction.atomic
def taxonomy_save(*, actor, taxonomy: Taxonomy) -> Taxonomy:
    """Create or change a taxonomy (its terms are saved one by one with `term_save`)."""
    require(can_change_taxonomy(actor, taxonomy), "Only steering staff change taxonomies.")
    with acting_as(actor):
        taxonomy.full_clean()
        taxonomy.save()
    changed(ChangeKind.LABEL)  # the public pages show it
    return taxonomy


@transaction.atomic
def term_save(*, actor, term: Term) -> Term:
    require(can_change_taxonomy(actor, term.taxonomy), "Only steering staff change taxonomies.")
    with acting_as(actor):
        term.full_clean()
        term.save()
    changed(ChangeKind.LABEL)  # the public pages show it
    return term


@transaction.atomic
def term_delete(*, actor, term: Term) -> None:
    require(can_change_taxonomy(actor, term.taxonomy), "Only steering staff change taxonomies.")
    with acting_as(actor):
        term.delete()
    changed(ChangeKind.LABEL)  # the public pages show it


@transaction.atomic
def taxonomy_delete(*, actor, taxonomy: Taxonomy) -> None:
    require(can_change_taxonomy(actor, taxonomy), "Only steering staff change taxonomies.")
    with acting_as(actor):
        # Children first: a term's broader link protects it from being removed before them.
        for term in sorted(taxonomy.terms.all(), key=_depth, reverse=True):
            term.delete()
        taxonomy.delete()
    changed(ChangeKind.LABEL)  # the public pages show it


def _depth(term: Term) -> int:
    depth, parent = 0, term.parent
    while parent is not None:
        depth, parent = depth + 1, parent.parent
    return depth


@transaction.atomic
def taxonomy_import_skos(
    *, actor, text: str | bytes, format: str | None = None, file: str = "<upload>"
) -> SkosImportReport:
    """Import every concept scheme of a SKOS document (Turtle or JSON-LD), all or nothing,
    as published; writes only what differs, so a second import of a file writes nothing."""
    from pilotage.taxonomies.loaders import taxonomy_write
    from pilotage.taxonomies.skos import SkosImportReport, skos_parse

    require(can_change_taxonomy(actor), "Only steering staff import taxonomies.")
    parsed, warnings = skos_parse(text, format=format, file=file)
    report = SkosImportReport(warnings=warnings)
    counts: Counter = Counter()
    with acting_as(actor):
        for item in parsed:
            taxonomy, stats, entries = taxonomy_write(
                item.scheme, item.terms, actor=actor, file=file
            )
            report.taxonomies.append(taxonomy)
            counts.update(stats)
            report.audit_entries += entries
    report.counts = {
        f"{kind} {outcome}": counts[f"{kind} {outcome}"]
        for kind in ("taxonomies", "terms")
        for outcome in ("created", "updated", "unchanged")
    }
    if report.written:
        changed(ChangeKind.LABEL)  # the public pages show them
    return report
