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

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pilotage.core.audit import acting_as
from pilotage.core.datafiles import DataError, DataFileError, record_assign, shown
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
YES = {"yes", "oui", "ja", "true", "1", "y"}
NO = {"no", "non", "nee", "nein", "false", "0", "n", ""}


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


def _has_problems(row: SheetRow) -> bool:
    """Whether this row has a problem (some are found as the sheet is read: a formula)."""
    return any(error.record == row.record for error in row.errors)


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


def _organisation_row(
    row: SheetRow, terms: dict, seen: dict, report: ImportReport, touched: set
) -> None:
    number = None
    if row.text("enterprise_number"):
        try:
            number = enterprise_number_normalise(_enterprise_number(row))
        except ValidationError as error:
            row.problem("enterprise_number", " ".join(error.messages))
        else:
            if number in seen:
                row.problem(
                    "enterprise_number",
                    _("the same number as row %(row)d") % {"row": seen[number]},
                )
                return
            seen[number] = row.number
    existing = Organisation.objects.filter(enterprise_number=number).first() if number else None
    code = row.text("code") or (existing.code if existing else "")
    if not code:
        code = f"BE{number}" if number else slugify(row.text("name"))[:100]
    if existing is None:
        existing = Organisation.objects.filter(code=code).first()
    size = row.text("size_band")
    if size and size not in SizeBand.values:
        row.problem("size_band", _("%(text)r is not a size (%(sizes)s)") % {
            "text": size, "sizes": ", ".join(SizeBand.values)
        })  # fmt: skip
    values = {
        "code": code,
        "name": row.text("name"),
        "enterprise_number": number,
        **{column: row.text(column) for column in ("street", "postcode", "locality")},
        **{column: row.text(column) for column in ("nace_code", "website")},
        "founded_on": row.date("founded_on"),
        "size_band": size if size in SizeBand.values else "",
        "latitude": row.decimal("latitude"),
        "longitude": row.decimal("longitude"),
    }
    if row.text("description"):
        # The file's description is the French one; the other languages are kept.
        values["description_fr"] = row.text("description")
    for column, taxonomy in (("type", "organisation-types"), ("province", "provinces")):
        value = row.text(column)
        term = terms.get((taxonomy, value)) if value else None
        if value and term is None:
            row.problem(column, _("unknown term %(code)r in %(taxonomy)s") % {
                "code": value, "taxonomy": taxonomy
            })  # fmt: skip
        values[column] = term
    if values["province"] is None and None not in (values["latitude"], values["longitude"]):
        # A located organisation without a province gets the one its point lies in.
        code = province_at(float(values["latitude"]), float(values["longitude"]))
        values["province"] = terms.get(("provinces", code))
    tags = {}
    for column in row.cells:
        if column and column.startswith("terms:"):
            taxonomy = column[6:]
            codes = [code.strip() for code in row.text(column).split("|") if code.strip()]
            unknown = [code for code in codes if (taxonomy, code) not in terms]
            for code in unknown:
                row.problem(column, _("unknown term %(code)r in %(taxonomy)s") % {
                    "code": code, "taxonomy": taxonomy
                })  # fmt: skip
            tags[taxonomy] = [terms[(taxonomy, code)] for code in codes if code not in unknown]
    organisation = existing or Organisation()
    changes = record_assign(organisation, values)
    if not _has_problems(row) and (existing is None or changes):
        # The model's checks, on what the row's cells gave without a problem.
        try:
            organisation.full_clean(validate_unique=False)
        except ValidationError as error:
            _validation_problems(row, error, {"description_fr": "description"})
    if _has_problems(row):
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
    report.add(row.record, code, status, shown_changes if status == "updated" else {})
    if status != "unchanged":
        touched.add(organisation.pk)


def _person_row(row: SheetRow, terms: dict, seen: dict, report: ImportReport, touched: set) -> None:
    code = row.text("code")
    if not code:
        row.problem("code", _("a code is needed"))
    refusal = row.text("display_refusal").lower()
    if refusal not in YES | NO:
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
    if _has_problems(row):
        return
    existing = Person.objects.filter(code=code).first()
    person = existing or Person(code=code)
    # Only an explicit "no" lifts the refusal: being shown needs consent.
    changes = record_assign(
        person,
        {
            "given_name": row.text("given_name"),
            "family_name": row.text("family_name"),
            "email": row.text("email"),
            "job_title": row.text("job_title"),
            "display_refusal": refusal not in NO - {""},
        },
    )
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
            touched.add(organisation.pk)
    status = "created" if existing is None else "updated" if shown_changes else "unchanged"
    report.add(row.record, code, status, shown_changes if status == "updated" else {})


def _relation_row(
    row: SheetRow, terms: dict, seen: dict, report: ImportReport, touched: set
) -> None:
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
    start, end, amount = row.date("start_date"), row.date("end_date"), row.decimal("amount")
    if _has_problems(row):
        return
    key = {"organisation": organisation, "kind": kind, target_field: target, "start_date": start}
    existing = Relation.objects.filter(**key).first()
    relation = existing or Relation(**key)
    changes = record_assign(relation, {"role": row.text("role"), "end_date": end, "amount": amount})
    if existing is None or changes:
        try:
            relation.full_clean(validate_unique=False)
        except ValidationError as error:
            _validation_problems(row, error, {"amount": "amount", "end_date": "end_date"})
            return
        relation.save()
        touched.add(organisation.pk)
    status = "created" if existing is None else "updated" if changes else "unchanged"
    record = f"{organisation.code} {kind} {shown(target)}"
    report.add(row.record, record, status, _shown_changes(changes) if existing else {})


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
    seen: dict = {}
    touched: set[int] = set()
    with transaction.atomic(), acting_as(actor):
        for row in rows:
            ROWS[kind](row, terms, seen, report, touched)
        if errors or dry_run:
            transaction.set_rollback(True)  # the checks ran on real writes; none stays
        elif report.count("created") or report.count("updated"):
            registry_changed(touched)
            changed(ChangeKind.LABEL)  # the public pages show them
    if errors:
        raise DataFileError(errors)
    return report
