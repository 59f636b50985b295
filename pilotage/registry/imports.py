"""Imports of organisations, persons and relations from CSV or XLSX, all or nothing.

Every row is checked (enterprise numbers, terms, dates, amounts, the records a relation
points at); every problem is reported with its file, row, column and reason, and then
nothing is written. An organisation is matched by its enterprise number first, then by
its code, so importing the same file twice changes nothing. A dry run makes every check
and reports what would be created, updated or left unchanged, and writes nothing.

Columns (a header row, any order; empty cells are empty values):

- organisations: code, name, enterprise_number, type, street, postcode, locality,
  latitude, longitude, province, nace_code, founded_on, size_band, website, description,
  and `terms:<taxonomy>` columns of term codes separated by `|`;
- persons: code, given_name, family_name, email, job_title, display_refusal (yes/no),
  organisation (code or enterprise number), affiliation (employee or contact);
- relations: organisation (code or enterprise number), kind, target (the code of an
  organisation, action or event, as the kind wants), role, start_date, end_date, amount.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pilotage.core.audit import acting_as
from pilotage.core.datafiles import (
    NO,
    YES,
    DataError,
    DataFileError,
    ProblemRows,
    decimal_problem,
    record_assign,
    shown,
    unknown_columns_note,
)
from pilotage.core.permissions import require
from pilotage.core.revisions import ChangeKind, changed
from pilotage.core.spreadsheets import (
    Column,
    ImportReport,
    Number,
    SheetRow,
    columns,
    no_data,
    read_table,
)
from pilotage.registry.geo import province_at
from pilotage.registry.models import (
    RELATION_TARGETS,
    Affiliation,
    AffiliationKind,
    Event,
    Organisation,
    Person,
    Relation,
    RelationKind,
    SizeBand,
)
from pilotage.registry.permissions import can_create_organisation
from pilotage.registry.signals import registry_changed
from pilotage.registry.validators import enterprise_number_normalise
from pilotage.strategies.models import Action
from pilotage.taxonomies.models import Taxonomy, Term, TermAssignment
from pilotage.taxonomies.services import record_terms_apply

KINDS = ("organisations", "persons", "relations")


def _column(key: str, fr: str, nl: str, de: str, en: str = "", required: bool = False) -> Column:
    return Column(key, {"fr": fr, "nl": nl, "de": de, "en": en or key}, required=required)


COLUMNS = {
    "organisations": columns(
        _column("code", "code", "code", "Code"),
        _column("name", "nom", "naam", "Name", required=True),
        _column(
            "enterprise_number", "numéro d'entreprise", "ondernemingsnummer", "Unternehmensnummer"
        ),
        _column("type", "type", "type", "Typ"),
        _column("street", "rue", "straat", "Straße"),
        _column("postcode", "code postal", "postcode", "Postleitzahl"),
        _column("locality", "localité", "plaats", "Ort"),
        _column("latitude", "latitude", "breedtegraad", "Breitengrad"),
        _column("longitude", "longitude", "lengtegraad", "Längengrad"),
        _column("province", "province", "provincie", "Provinz"),
        _column("nace_code", "code NACE", "NACE-code", "NACE-Code"),
        _column("founded_on", "fondée le", "opgericht op", "gegründet am"),
        _column("size_band", "taille", "grootteklasse", "Größenklasse"),
        _column("website", "site web", "website", "Website"),
        _column("description", "description", "beschrijving", "Beschreibung"),
    ),
    "persons": columns(
        _column("code", "code", "code", "Code", required=True),
        _column("given_name", "prénom", "voornaam", "Vorname"),
        _column("family_name", "nom de famille", "achternaam", "Nachname"),
        _column("email", "courriel", "e-mail", "E-Mail"),
        _column("job_title", "fonction", "functie", "Funktion"),
        _column(
            "display_refusal", "refus d'affichage", "weigering van weergave", "Anzeige verweigert"
        ),
        _column("organisation", "organisation", "organisatie", "Organisation"),
        _column("affiliation", "affiliation", "band", "Zugehörigkeit"),
    ),
    "relations": columns(
        _column("organisation", "organisation", "organisatie", "Organisation", required=True),
        _column("kind", "type de relation", "soort", "Art", required=True),
        _column("target", "cible", "doel", "Ziel"),
        _column("role", "rôle", "rol", "Rolle"),
        _column("start_date", "date de début", "begindatum", "Beginn"),
        _column("end_date", "date de fin", "einddatum", "Ende"),
        _column("amount", "montant", "bedrag", "Betrag"),
    ),
}
NUMERIC = {"organisations": ("latitude", "longitude"), "relations": ("amount",)}


def _organisation_by_reference(reference: str) -> Organisation | None:
    """An organisation by code, or by enterprise number however it is typed."""
    found = Organisation.objects.filter(code=reference).first()
    if found is None:
        try:
            number = enterprise_number_normalise(reference)
        except ValidationError:
            return None
        found = Organisation.objects.filter(enterprise_number=number).first()
    return found


def _validation_problems(row: SheetRow, error: ValidationError, columns: dict[str, str]) -> None:
    for field, messages in error.message_dict.items():
        # A check across fields is the row's, not one column's.
        row.problem(columns.get(field, "" if field == "__all__" else field), " ".join(messages))


@dataclass
class _Run:
    """What every row of one import reads and adds to."""

    terms: dict
    report: ImportReport
    problems: ProblemRows
    seen: dict = dataclasses.field(default_factory=dict)  # (column, value): the row that gave it
    touched: set[int] = dataclasses.field(default_factory=set)


def _decimal(row: SheetRow, column: str, model_field) -> Decimal | None:
    """A number the field keeps exactly; one it would round, or too long, is refused."""
    value = row.decimal(column)
    if value is not None and (problem := decimal_problem(model_field, value)):
        row.problem(column, problem)
        return None
    return value


def _twice(row: SheetRow, run: _Run, column: str, value: str, reason: str) -> bool:
    """Whether another row of the file gave the same `value` (named with both rows)."""
    first = run.seen.setdefault((column, value), row.number)
    if first == row.number:
        return False
    row.problem(column, reason % {"value": value, "row": first, "this": row.number})
    return True


def _shown_changes(changes: dict, columns: dict[str, str] | None = None) -> dict:
    columns = columns or {}
    return {
        columns.get(field, field): (shown(before), shown(after))
        for field, (before, after) in changes.items()
    }


def _enterprise_number(row: SheetRow) -> str:
    """The number as written; a number cell lost its leading zeros in Excel."""
    cell = row.raw("enterprise_number")
    text = row.text("enterprise_number")
    if isinstance(cell, Number) and not cell.percent and text.isdigit():
        return text.zfill(10)
    return text


def _organisation_match(row: SheetRow, run: _Run, number: str | None) -> tuple:
    """(the organisation the row describes or None for a new one, its code), or None when
    it cannot be told without a guess (the problem named).

    An organisation is found by its enterprise number, then by the code the row gives;
    never by a code made up from the name: a new "CPAS" must not overwrite the one stored.
    """
    written = row.text("code")
    by_number = Organisation.objects.filter(enterprise_number=number).first() if number else None
    by_code = Organisation.objects.filter(code=written).first() if written else None
    if by_number and by_code and by_number.pk != by_code.pk:
        row.problem(
            "code",
            _(
                "the enterprise number %(number)s is %(first)s's, the code %(code)s is "
                "%(second)s's: correct one of them"
            )
            % {
                "number": number,
                "first": by_number.code,
                "code": written,
                "second": by_code.code,
            },
        )
        return None
    existing = by_number or by_code
    if existing is not None:
        return existing, written or existing.code
    if written:
        return None, written
    code = f"BE{number}" if number else slugify(row.text("name"))[:100]
    if not code:
        row.problem("code", _("give this organisation a code: its name makes none"))
        return None
    if Organisation.objects.filter(code=code).exists():
        row.problem(
            "code",
            _(
                "an organisation with the code %(code)s is already stored: give this row a "
                "code (%(code)s to update that one, another to add a new one)"
                "%(or_number)s"
            )
            % {
                "code": code,
                "or_number": "" if number else _(" or its enterprise number"),
            },
        )
        return None
    return None, code


def _organisation_row(row: SheetRow, run: _Run) -> None:
    given = row.table.keys.__contains__
    number = None
    if row.text("enterprise_number"):
        try:
            number = enterprise_number_normalise(_enterprise_number(row))
        except ValidationError as error:
            row.problem("enterprise_number", " ".join(error.messages))
        else:
            reason = _("the same number as row %(row)d")
            if _twice(row, run, "enterprise_number", number, reason):
                return
    matched = _organisation_match(row, run, number)
    if matched is None:
        return
    existing, code = matched
    if _twice(row, run, "code", code, _("the code %(value)s is already on row %(row)d")):
        return
    size = row.text("size_band")
    if size and size not in SizeBand.values:
        row.problem("size_band", _("%(text)r is not a size (%(sizes)s)") % {
            "text": size, "sizes": ", ".join(SizeBand.values)
        })  # fmt: skip
    fields = Organisation._meta
    read = {
        "name": row.text,
        "enterprise_number": lambda column: number,
        **dict.fromkeys(("street", "postcode", "locality", "nace_code", "website"), row.text),
        "founded_on": row.date,
        "size_band": lambda column: size if size in SizeBand.values else "",
        "latitude": lambda column: _decimal(row, column, fields.get_field(column)),
        "longitude": lambda column: _decimal(row, column, fields.get_field(column)),
    }
    # Only the file's columns are written: one it does not have leaves the stored value
    # (a new organisation takes the default).
    values = {"code": code} | {column: get(column) for column, get in read.items() if given(column)}
    if row.text("description"):
        # The file's description is the French one; the other languages are kept.
        values["description_fr"] = row.text("description")
    for column, taxonomy in (("type", "organisation-types"), ("province", "provinces")):
        if not given(column):
            continue
        value = row.text(column)
        term = run.terms.get((taxonomy, value)) if value else None
        if value and term is None:
            row.problem(column, _("unknown term %(code)r in %(taxonomy)s") % {
                "code": value, "taxonomy": taxonomy
            })  # fmt: skip
        values[column] = term
    point = (
        values.get("latitude", existing.latitude if existing else None),
        values.get("longitude", existing.longitude if existing else None),
    )
    no_province = values.get("province") is None if given("province") else (
        existing is None or existing.province_id is None
    )  # fmt: skip
    located = "latitude" in values or "longitude" in values or given("province")
    if no_province and located and None not in point:
        # A located organisation without a province gets the one its point lies in.
        province = province_at(float(point[0]), float(point[1]))
        values["province"] = run.terms.get(("provinces", province))
    tags = {}
    for column in row.cells:
        if column and column.startswith("terms:"):
            taxonomy = column[6:]
            codes = [code.strip() for code in row.text(column).split("|") if code.strip()]
            unknown = [code for code in codes if (taxonomy, code) not in run.terms]
            for term_code in unknown:
                row.problem(column, _("unknown term %(code)r in %(taxonomy)s") % {
                    "code": term_code, "taxonomy": taxonomy
                })  # fmt: skip
            tags[taxonomy] = [run.terms[(taxonomy, c)] for c in codes if c not in unknown]
    organisation = existing or Organisation()
    changes = record_assign(organisation, values)
    if row.record not in run.problems and (existing is None or changes):
        # The model's checks, on what the row's cells gave without a problem.
        try:
            organisation.full_clean(validate_unique=False)
        except ValidationError as error:
            _validation_problems(row, error, {"description_fr": "description"})
    if row.record in run.problems:
        return
    if existing is None or changes:
        organisation.save()
    shown_changes = _shown_changes(changes, {"description_fr": "description"})
    content_type = ContentType.objects.get_for_model(Organisation)
    for taxonomy, chosen in tags.items():
        current = set(
            TermAssignment.objects.filter(
                content_type=content_type,
                object_id=organisation.pk,
                term__taxonomy__code=taxonomy,
            ).values_list("term__code", flat=True)
        )
        if current != {term.code for term in chosen}:
            record_terms_apply(
                record=organisation, taxonomy=Taxonomy.objects.get(code=taxonomy), terms=chosen
            )
            shown_changes[f"terms:{taxonomy}"] = (
                "|".join(sorted(current)),
                "|".join(term.code for term in chosen),
            )
    status = "created" if existing is None else "updated" if shown_changes else "unchanged"
    run.report.add(row.record, code, status, shown_changes if status == "updated" else {})
    if status != "unchanged":
        run.touched.add(organisation.pk)


def _person_row(row: SheetRow, run: _Run) -> None:
    given = row.table.keys.__contains__
    code = row.text("code")
    if not code:
        row.problem("code", _("a code is needed"))
    elif _twice(row, run, "code", code, _("the code %(value)s is already on row %(row)d")):
        return
    refusal = row.text("display_refusal").lower()
    if refusal and refusal not in YES | NO:
        row.problem("display_refusal", _("%(text)r is not yes or no") % {"text": refusal})
    organisation = None
    if row.text("organisation"):
        organisation = _organisation_by_reference(row.text("organisation"))
        if organisation is None:
            row.problem(
                "organisation",
                _("no organisation %(reference)r") % {"reference": row.text("organisation")},
            )
    kind = row.text("affiliation") or AffiliationKind.CONTACT
    if kind not in AffiliationKind.values:
        row.problem("affiliation", _("%(text)r is not employee or contact") % {"text": kind})
    if row.record in run.problems:
        return
    existing = Person.objects.filter(code=code).first()
    person = existing or Person(code=code)
    columns = ("given_name", "family_name", "email", "job_title")
    values = {column: row.text(column) for column in columns if given(column)}
    if given("display_refusal") or existing is None:
        # Only an explicit "no" lifts the refusal: being shown needs consent.
        values["display_refusal"] = refusal not in NO
    changes = record_assign(person, values)
    if existing is None or changes:
        try:
            person.full_clean(validate_unique=False)
        except ValidationError as error:
            _validation_problems(row, error, {})
            return
        person.save()
    shown_changes = _shown_changes(changes)
    if organisation is not None:
        _affiliation, new = Affiliation.objects.get_or_create(
            person=person, organisation=organisation, kind=kind
        )
        if new:
            shown_changes["organisation"] = ("", organisation.code)
            run.touched.add(organisation.pk)
    status = "created" if existing is None else "updated" if shown_changes else "unchanged"
    run.report.add(row.record, code, status, shown_changes if status == "updated" else {})


def _relation_row(row: SheetRow, run: _Run) -> None:
    given = row.table.keys.__contains__
    organisation = _organisation_by_reference(row.text("organisation"))
    if organisation is None:
        row.problem(
            "organisation",
            _("no organisation %(reference)r") % {"reference": row.text("organisation")},
        )
    kind = row.text("kind")
    target_field = RELATION_TARGETS.get(kind)
    if target_field is None:
        row.problem("kind", _("%(text)r is not a kind of relation (%(kinds)s)") % {
            "text": kind, "kinds": ", ".join(RelationKind.values)
        })  # fmt: skip
    target = None
    if target_field:
        model = {
            "target_organisation": Organisation,
            "target_action": Action,
            "target_event": Event,
        }[target_field]
        reference = row.text("target")
        target = (
            _organisation_by_reference(reference)
            if model is Organisation
            else model.objects.filter(code=reference).first()
        )
        if target is None:
            row.problem("target", _("no %(model)s %(reference)r") % {
                "model": model._meta.verbose_name, "reference": reference
            })  # fmt: skip
    start, end = row.date("start_date"), row.date("end_date")
    amount = _decimal(row, "amount", Relation._meta.get_field("amount"))
    if row.record in run.problems:
        return
    key = {"organisation": organisation, "kind": kind, target_field: target, "start_date": start}
    existing = Relation.objects.filter(**key).first()
    relation = existing or Relation(**key)
    read = {"role": row.text("role"), "end_date": end, "amount": amount}
    changes = record_assign(relation, {column: read[column] for column in read if given(column)})
    if existing is None or changes:
        try:
            relation.full_clean(validate_unique=False)
        except ValidationError as error:
            _validation_problems(row, error, {"amount": "amount", "end_date": "end_date"})
            return
        relation.save()
        run.touched.add(organisation.pk)
    status = "created" if existing is None else "updated" if changes else "unchanged"
    record = f"{organisation.code} {kind} {shown(target)}"
    run.report.add(row.record, record, status, _shown_changes(changes) if existing else {})


ROWS = {"organisations": _organisation_row, "persons": _person_row, "relations": _relation_row}


def registry_import(
    *, actor, kind: str, name: str, content: bytes, dry_run: bool = False
) -> ImportReport:
    """Import a file of `kind`; the report says, row by row, what was (or would be)
    created, changed (before and after) or left alone. Raises DataFileError with every
    problem, writing nothing."""
    require(can_create_organisation(actor), _("Only steering staff import into the registry."))
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    table = read_table(name, content, COLUMNS[kind])
    rows = list(table.records())
    if not rows:
        raise no_data(table)
    table.settle_decimal_mark(rows, NUMERIC.get(kind, ()))
    terms = {(t.taxonomy.code, t.code): t for t in Term.objects.select_related("taxonomy")}
    errors: list[DataError] = table.errors
    report = ImportReport(name, dry_run=dry_run, notes=list(table.notes))
    prefixes = ("terms:",) if kind == "organisations" else ()
    if note := unknown_columns_note(table.keys, COLUMNS[kind], prefixes=prefixes):
        report.notes.append(note)
    run = _Run(terms=terms, report=report, problems=ProblemRows(errors))
    with transaction.atomic(), acting_as(actor):
        for row in rows:
            ROWS[kind](row, run)
        if errors or dry_run:
            transaction.set_rollback(True)  # the checks ran on real writes; none stays
        elif report.count("created") or report.count("updated"):
            registry_changed(run.touched)
            changed(ChangeKind.LABEL)  # the public pages show them
    if errors:
        raise DataFileError(errors)
    return report
