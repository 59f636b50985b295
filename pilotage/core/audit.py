"""The audit trail: who changed which record, when, and the values before and after.

django-auditlog records every create, update and delete of the registered models
(see each app's `AppConfig.ready`). Services run their writes inside `acting_as(actor)`
so that changes made outside a web request (commands, tests, tasks) still name their
author.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.fields import GenericForeignKey
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from pilotage.core.formatting import number_text


@contextmanager
def acting_as(actor) -> Iterator[None]:
    """Attribute every audited change made in this block to `actor` (None: the system)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        yield
        return
    with set_actor(actor):
        yield


def record_history(record: models.Model) -> models.QuerySet[LogEntry]:
    """The audit entries of one record, newest first."""
    return LogEntry.objects.get_for_object(record).select_related("actor").order_by("-timestamp")


# How an audit entry reads in the back-office: who, when, which field (its label) and the
# values before and after as the user's language writes them, records by their name.

ACTIONS = {
    LogEntry.Action.CREATE: _("Addition"),
    LogEntry.Action.UPDATE: _("Change"),
    LogEntry.Action.DELETE: _("Deletion"),
    LogEntry.Action.ACCESS: _("Read"),
}
# Kept by Django or the audit trail itself: a change of them says nothing to a reader.
_UNSHOWN = {"id", "created_at", "updated_at"}
_LONGEST = 300


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class HistoryEntry:
    """One audit entry as a person reads it."""

    who: str
    when: datetime.datetime
    action: str
    record: str  # the record changed, named, when it is not the page's own
    changes: list[FieldChange]
    note: str = ""
    created: bool = False  # an addition: its values only, nothing before


def _empty(value) -> bool:
    return value is None or value in ("None", "", "{}", "[]")


def _generic_parts(model) -> set[str]:
    """The content type and id of a generic relation: the tagged record, named apart."""
    parts = set()
    for field in model._meta.private_fields:
        if isinstance(field, GenericForeignKey):
            parts |= {field.ct_field, field.fk_field}
    return parts


def _shown_field(model, name: str):
    """The model field an audited name stands for, or None when it is not for a reader
    (reverse relations, ids, times kept by Django, the language-less copy of a
    translated field)."""
    if name in _UNSHOWN or name in _generic_parts(model):
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    if not getattr(field, "concrete", False) or field.auto_created:
        return None
    if getattr(field, "primary_key", False):
        return None
    if name in _translated_fields(model):
        return None  # its copies per language (title [fr]...) carry the change
    return field


def _translated_fields(model) -> set[str]:
    from modeltranslation.translator import NotRegistered, translator

    try:
        return set(translator.get_options_for_model(model).all_fields)
    except NotRegistered:
        return set()


def _number(value: str) -> str:
    try:
        return number_text(Decimal(value))
    except (InvalidOperation, ValueError):
        return value


def _json_text(value: str) -> str:
    """A JSON value as lines of "key: value" (amounts in the locale), never the JSON."""
    try:
        data = json.loads(value)
    except (TypeError, ValueError):
        return value

    def flat(data, prefix=""):
        if isinstance(data, dict):
            for key, inner in data.items():
                yield from flat(
                    inner, f"{prefix}{key} / " if isinstance(inner, dict) else f"{prefix}{key}"
                )
        elif isinstance(data, list):
            yield prefix, ", ".join(str(item) for item in data)
        else:
            yield prefix, _number(str(data)) if data is not None else "—"

    return "; ".join(f"{key}: {text}" if key else text for key, text in flat(data))


class _Names:
    """Related records' names, each model read once per page."""

    def __init__(self) -> None:
        self.wanted: dict[type, set] = {}
        self.found: dict[tuple[type, str], str] = {}

    def want(self, model, pk) -> None:
        if not _empty(pk):
            self.wanted.setdefault(model, set()).add(str(pk))

    def read(self) -> None:
        from django.contrib.contenttypes.models import ContentType

        for model, pks in self.wanted.items():
            valid = []
            for pk in pks:
                try:
                    valid.append(model._meta.pk.to_python(pk))
                except (ValidationError, ValueError, TypeError):
                    continue
            for pk, record in _named(model).in_bulk(valid).items():
                self.found[(model, str(pk))] = _record_name(record)
            # A record deleted since: named as the audit trail last saw it.
            missing = [pk for pk in pks if (model, pk) not in self.found]
            if missing:
                seen = LogEntry.objects.filter(
                    content_type=ContentType.objects.get_for_model(model),
                    object_pk__in=missing,
                ).order_by("timestamp")
                for pk, name in seen.values_list("object_pk", "object_repr"):
                    self.found[(model, pk)] = _("%(name)s (deleted)") % {"name": name}

    def name(self, model, pk) -> str:
        if _empty(pk):
            return ""
        return self.found.get((model, str(pk)), _("a deleted record"))


def _named(model) -> models.QuerySet:
    from pilotage.taxonomies.models import Term, TermAssignment

    records = model._default_manager.all()
    if model is Term:
        return records.select_related("taxonomy")
    if model is TermAssignment:
        return records.select_related("term__taxonomy")
    return records


def _record_name(record) -> str:
    # A term says which taxonomy it is of: two taxonomies may share a label.
    from pilotage.taxonomies.models import Term, TermAssignment

    if isinstance(record, TermAssignment):
        record = record.term
    if isinstance(record, Term):
        return f"{record} ({record.taxonomy})"
    return str(record)


def _value_text(field, value, names: _Names) -> str:
    if _empty(value):
        return ""
    if field.choices:
        labels = {str(key): label for key, label in field.flatchoices}
        return str(labels.get(str(value), value))
    if field.is_relation:
        return names.name(field.related_model, value)
    if isinstance(field, models.BooleanField):
        return str(_("Yes") if value in ("True", True) else _("No"))
    if isinstance(field, models.DecimalField | models.FloatField):
        return _number(value)
    if isinstance(field, models.DateTimeField):
        try:
            moment = datetime.datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment, datetime.UTC)
        return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    if isinstance(field, models.DateField):
        try:
            return formats.date_format(datetime.date.fromisoformat(str(value)), "DATE_FORMAT")
        except ValueError:
            return str(value)
    if isinstance(field, models.JSONField):
        return _json_text(value)
    text = str(value)
    return text if len(text) <= _LONGEST else text[: _LONGEST - 1] + "…"


def _changes(entry: LogEntry, model, names: _Names) -> list[FieldChange]:
    changes = []
    for name, values in (entry.changes_dict or {}).items():
        field = _shown_field(model, name) if model is not None else None
        if field is None:
            continue
        label = str(capfirst(field.verbose_name))
        if isinstance(values, dict):  # a many-to-many change: the records added or removed
            objects = ", ".join(str(item) for item in values.get("objects", []))
            if values.get("operation") == "delete":
                changes.append(FieldChange(label, objects, ""))
            else:
                changes.append(FieldChange(label, "", objects))
            continue
        if field.many_to_many or not isinstance(values, list | tuple) or len(values) != 2:
            continue
        before, after = (_value_text(field, value, names) for value in values)
        if before != after:
            changes.append(FieldChange(label, before, after))
    return changes


def _tag_name(entry: LogEntry, model, names: _Names) -> str:
    """A tag (a term applied to a record) is named by its term, even once removed."""
    if not _generic_parts(model):
        return ""
    for name, values in (entry.changes_dict or {}).items():
        field = _shown_field(model, name)
        if field is not None and field.many_to_one and isinstance(values, list | tuple):
            for value in values:
                if not _empty(value):
                    return names.name(field.related_model, value)
    return ""


def changed_labels(entry: LogEntry) -> list[str]:
    """The labels of the fields an entry changed, for a list of entries (no values, no
    query)."""
    model = entry.content_type.model_class()
    if model is None:
        return []
    fields = (_shown_field(model, name) for name in (entry.changes_dict or {}))
    return [str(capfirst(field.verbose_name)) for field in fields if field is not None]


def history_entries(entries, *, record: models.Model | None = None) -> list[HistoryEntry]:
    """Audit entries as people read them, in their order: each change with its field's
    label, the values before and after in the user's language, related records by name;
    a change that changed nothing a reader sees (a time kept by Django, 300 saved again as
    300.00) is left out. `record`: the page's own, whose entries need no name."""
    entries = list(entries)
    names = _Names()
    for entry in entries:
        model = entry.content_type.model_class()
        for name, values in (entry.changes_dict or {}).items():
            field = _shown_field(model, name) if model is not None else None
            if field is not None and field.is_relation and not field.many_to_many:
                for value in values if isinstance(values, list | tuple) else ():
                    names.want(field.related_model, value)
        if model is not None and _generic_parts(model):
            names.want(model, entry.object_pk)
    names.read()

    own = None if record is None else (record._meta.concrete_model, str(record.pk))
    readable = []
    for entry in entries:
        model = entry.content_type.model_class()
        changes = _changes(entry, model, names)
        if entry.action == LogEntry.Action.UPDATE and not changes:
            continue
        note = ""
        if (entry.additional_data or {}).get("event") == "login-locked-out":
            note = _("Login locked out after too many failed attempts from %(address)s.") % {
                "address": entry.remote_addr or "?"
            }
        name = ""
        if model is None or (model, entry.object_pk) != own:
            shown = _tag_name(entry, model, names) if model is not None else None
            shown = shown or (names.found.get((model, entry.object_pk)) if model else None)
            kind = capfirst(model._meta.verbose_name) if model is not None else ""
            name = f"{kind} « {shown or entry.object_repr} »" if kind else entry.object_repr
        readable.append(
            HistoryEntry(
                who=str(entry.actor) if entry.actor_id else str(_("system")),
                when=entry.timestamp,
                action=str(ACTIONS.get(entry.action, entry.get_action_display())),
                record=name,
                changes=changes,
                note=note,
                created=entry.action == LogEntry.Action.CREATE,
            )
        )
    return readable
