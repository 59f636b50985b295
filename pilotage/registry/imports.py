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

from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pilotage.core.audit import acting_as
from pilotage.core.datafiles import DataError, DataFileError
from pilotage.core.permissions import require
from pilotage.core.spreadsheets import Column, SheetRow, columns, no_data, read_table
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
from pilotage.registry.services import organisation_locate
from pilotage.registry.signals import registry_changed
from pilotage.registry.validators import enterprise_number_normalise
from pilotage.strategies.models import Action
from pilotage.taxonomies.models import Taxonomy, Term
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
        row.problem(columns.get(field, field), " ".join(messages))


def _organisation_row(row: SheetRow, terms: dict, seen: dict, stats: Counter, touched: set) -> None:
    number = None
    if row.text("enterprise_number"):
        try:
            number = enterprise_number_normalise(row.text("enterprise_number"))
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
    organisation = existing or Organisation(code=code)
    before = {f.attname: getattr(organisation, f.attname) for f in Organisation._meta.fields}
    organisation.code = code
    organisation.name = row.text("name")
    organisation.enterprise_number = number
    for column in ("street", "postcode", "locality", "nace_code", "website"):
        setattr(organisation, column, row.text(column))
    if row.text("description"):
        organisation.description_fr = row.text("description")
    organisation.founded_on = row.date("founded_on")
    size = row.text("size_band")
    if size and size not in SizeBand.values:
        row.problem("size_band", _("%(text)r is not a size (%(sizes)s)") % {
            "text": size, "sizes": ", ".join(SizeBand.values)
        })  # fmt: skip
    organisation.size_band = size if size in SizeBand.values else ""
    organisation.latitude, organisation.longitude = (
        row.decimal("latitude"),
        row.decimal("longitude"),
    )
    for column, taxonomy in (("type", "organisation-types"), ("province", "provinces")):
        value = row.text(column)
        term = terms.get((taxonomy, value)) if value else None
        if value and term is None:
            row.problem(column, _("unknown term %(code)r in %(taxonomy)s") % {
                "code": value, "taxonomy": taxonomy
            })  # fmt: skip
        setattr(organisation, column, term)
    organisation_locate(organisation)
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
    try:
        organisation.full_clean(validate_unique=False)
    except ValidationError as error:
        _validation_problems(row, error, {})
    if row.errors:
        return
    after = {f.attname: getattr(organisation, f.attname) for f in Organisation._meta.fields}
    changed = before != after
    organisation.save()
    for taxonomy, chosen in tags.items():
        current = set(
            Term.objects.filter(
                assignments__object_id=organisation.pk, taxonomy__code=taxonomy
            ).values_list("pk", flat=True)
        )
        if current != {term.pk for term in chosen}:
            record_terms_apply(
                record=organisation, taxonomy=Taxonomy.objects.get(code=taxonomy), terms=chosen
            )
            changed = True
    stats["created" if existing is None else "updated" if changed else "unchanged"] += 1
    touched.add(organisation.pk)


def _person_row(row: SheetRow, terms: dict, seen: dict, stats: Counter, touched: set) -> None:
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
    if row.errors:
        return
    existing = Person.objects.filter(code=code).first()
    person = existing or Person(code=code)
    # Only an explicit "no" lifts the refusal: being shown needs consent.
    values = {
        "given_name": row.text("given_name"),
        "family_name": row.text("family_name"),
        "email": row.text("email"),
        "job_title": row.text("job_title"),
        "display_refusal": refusal not in NO - {""},
    }
    changed = any(getattr(person, field) != value for field, value in values.items())
    for field, value in values.items():
        setattr(person, field, value)
    try:
        person.full_clean(validate_unique=False)
    except ValidationError as error:
        _validation_problems(row, error, {})
        return
    if changed or existing is None:
        person.save()
    if organisation is not None:
        _affiliation, new = Affiliation.objects.get_or_create(
            person=person, organisation=organisation, kind=kind
        )
        changed = changed or new
        touched.add(organisation.pk)
    stats["created" if existing is None else "updated" if changed else "unchanged"] += 1


def _relation_row(row: SheetRow, terms: dict, seen: dict, stats: Counter, touched: set) -> None:
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
    if row.errors:
        return
    key = {"organisation": organisation, "kind": kind, target_field: target, "start_date": start}
    existing = Relation.objects.filter(**key).first()
    relation = existing or Relation(**key)
    values = {"role": row.text("role"), "end_date": end, "amount": amount}
    changed = any(getattr(relation, field) != value for field, value in values.items())
    for field, value in values.items():
        setattr(relation, field, value)
    try:
        relation.full_clean(validate_unique=False)
    except ValidationError as error:
        _validation_problems(row, error, {"amount": "amount", "end_date": "end_date"})
        return
    if changed or existing is None:
        relation.save()
    touched.add(organisation.pk)
    stats["created" if existing is None else "updated" if changed else "unchanged"] += 1


ROWS = {"organisations": _organisation_row, "persons": _person_row, "relations": _relation_row}


def registry_import(
    *, actor, kind: str, name: str, content: bytes, dry_run: bool = False
) -> dict[str, int]:
    """Import a file of `kind`; returns how many records were (or would be) created,
    updated or left unchanged. Raises DataFileError with every problem, writing nothing."""
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
    stats: Counter = Counter()
    seen: dict = {}
    touched: set[int] = set()
    with transaction.atomic(), acting_as(actor):
        for row in rows:
            ROWS[kind](row, terms, seen, stats, touched)
        if errors or dry_run:
            transaction.set_rollback(True)  # the checks ran on real writes; none stays
        else:
            registry_changed(touched)
    if errors:
        raise DataFileError(errors)
    return {key: stats[key] for key in ("created", "updated", "unchanged")}
