"""Reading data files (YAML/JSON) and reporting their errors by file, record and reason.

Loaders validate everything first and write only when nothing is wrong; the writes run
in one transaction, so a bad file never leaves half its records behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import yaml
from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.utils.translation import gettext as _
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

LANGUAGES = ("fr", "nl", "de", "en")
# A yes/no cell in any of the four languages, or as y/n, true/false, 1/0; an empty cell is
# no answer (the importer decides what that means).
YES = frozenset({"yes", "y", "oui", "ja", "true", "vrai", "waar", "wahr", "1"})
NO = frozenset({"no", "n", "non", "nee", "nein", "false", "faux", "onwaar", "falsch", "0"})


@dataclass(frozen=True)
class DataError:
    """One thing wrong in a data file."""

    file: str
    record: str
    reason: str
    column: str = ""
    # Spreadsheets also say which sheet, and the value as it was read.
    sheet: str = ""
    value: str = ""

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"sheet {self.sheet!r}" if self.sheet else "",
                self.record,
                f"column {self.column!r}" if self.column else "",
                f"value {self.value!r}" if self.value else "",
            )
            if part
        )
        return f"{self.file}: {where}: {self.reason}" if where else f"{self.file}: {self.reason}"

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "sheet": self.sheet,
            "record": self.record,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


class DataFileError(Exception):
    """A load refused because of bad input; nothing was written."""

    def __init__(self, errors: Iterable[DataError]):
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


def _check_multilingual(value: dict[str, str]) -> dict[str, str]:
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise ValueError(
            f"unsupported language {', '.join(sorted(unknown))} (use {', '.join(LANGUAGES)})"
        )
    if not (value.get("fr") or "").strip():
        raise ValueError("a French text (fr) is required")
    return {code: text.strip() for code, text in value.items() if text and text.strip()}


def _check_optional_multilingual(value: dict[str, str]) -> dict[str, str]:
    if not value:
        return {}
    return _check_multilingual(value)


def _as_multilingual(value: Any) -> Any:
    # A plain text where a map is expected is the French text (the reference language),
    # never copied into the other languages: they fall back to it where shown.
    if isinstance(value, str):
        return {"fr": value} if value.strip() else {}
    return value


def _as_text(value: Any) -> Any:
    # YAML reads an unquoted 1 or 2024 as a number; codes and versions are text.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Code = Annotated[str, BeforeValidator(_as_text), Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Text = Annotated[str, BeforeValidator(_as_text)]
Multilingual = Annotated[
    dict[str, str], BeforeValidator(_as_multilingual), AfterValidator(_check_multilingual)
]
OptionalMultilingual = Annotated[
    dict[str, str],
    BeforeValidator(_as_multilingual),
    AfterValidator(_check_optional_multilingual),
]


class FileSchema(BaseModel):
    """Base of every data-file schema: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def read_data(path: Path) -> Any:
    """Parse a YAML or JSON file, or raise DataFileError naming the line at fault."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DataFileError([DataError(str(path), "", f"cannot read the file: {error}")]) from error
    try:
        if path.suffix == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as error:
        raise DataFileError([DataError(str(path), "", f"not valid YAML/JSON: {error}")]) from error


def parse_file(path: Path, schema: type[FileSchema]) -> FileSchema:
    """Validate a file against its schema; every error names the record and the field."""
    data = read_data(path)
    try:
        return schema.model_validate(data if data is not None else {})
    except ValidationError as error:
        raise DataFileError(
            DataError(str(path), _record_name(data, item["loc"]), _reason(item))
            for item in error.errors()
        ) from error


def _record_name(data: Any, location: tuple) -> str:
    """Turn pydantic's location ('nodes', 3, 'title') into "nodes[3] (code '1.1'): title"."""
    parts, node = [], data
    for step in location:
        if isinstance(step, int):
            parts[-1] = f"{parts[-1]}[{step}]"
            try:
                node = node[step]
                if isinstance(node, dict) and "code" in node:
                    parts[-1] += f" (code {node['code']!r})"
            except (IndexError, KeyError, TypeError):
                node = None
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts)


def _reason(item: dict) -> str:
    if item["type"] == "missing":
        return "required field missing"
    if item["type"] == "extra_forbidden":
        return "unknown field"
    return item["msg"].removeprefix("Value error, ")


def upsert(
    model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[models.Model, str]:
    """Create or update the record matched by `lookup`; saves only when something changed.

    Returns the record and "created", "updated" or "unchanged", so a second load of the
    same files writes nothing and adds nothing to the audit trail.
    """
    record, status, _changes = upsert_changes(model, lookup, values)
    return record, status


def upsert_changes(
    model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]
) -> tuple[models.Model, str, dict[str, tuple[Any, Any]]]:
    """`upsert`, also returning what changed: {field: (before, after)} as stored."""
    record = model.objects.filter(**lookup).first()
    if record is None:
        record = model(**lookup)
        record_assign(record, values)  # every value, as stored
        record.full_clean()
        record.save()
        return record, "created", {}
    changes = record_assign(record, values)
    if not changes:
        return record, "unchanged", {}
    record.full_clean()
    record.save()
    return record, "updated", changes


def record_assign(record: models.Model, values: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Give `record` the values that really differ from what it holds, as the database
    will store them; returns {field: (before, after)} for those only.

    Values are compared after normalisation (a decimal to its field's places, None and ""
    on a text field, a related record by its key), and the normalised value is what is
    assigned: the audit trail then records no change that changes nothing
    ("50.466900 → 50.4669", "166.00 → 166"). A record not yet saved gets every value."""
    changes = {}
    for name, value in values.items():
        field = _field(record, name)
        new = normalised(field, value)
        if record._state.adding:
            setattr(record, name, new)
            continue
        if field is not None and field.many_to_one and field.attname != name:
            # A related record by its key: a new record has none to read yet.
            key = new.pk if isinstance(new, models.Model) else new
            if getattr(record, field.attname) != key:
                current = getattr(record, name) if getattr(record, field.attname) else None
                setattr(record, name, new)
                changes[name] = (current, new)
            continue
        current = getattr(record, name)
        if _differs(field, current, new):
            setattr(record, name, new)
            changes[name] = (current, new)
    return changes


def normalised(field: models.Field | None, value: Any) -> Any:
    """A value as `field` stores and reads it back: a decimal with the field's places, a
    text field's None as "" (unless the field keeps None), a text as text.

    A decimal the field cannot keep exactly (more places, or more digits, than it has) is
    left as it is, never rounded: it then differs from what is stored, and `full_clean`
    refuses it. Importers refuse it earlier, by name (`decimal_problem`)."""
    if field is None or isinstance(value, models.Model) or field.is_relation:
        return value
    if value is None or value == "":
        if not field.empty_strings_allowed:
            return None
        return value if field.null else ""
    if isinstance(field, models.DecimalField):
        try:
            value = field.to_python(value)
        except DjangoValidationError:
            return value  # full_clean names the problem
        if decimal_problem(field, value) is not None:
            return value
        return value.quantize(Decimal(1).scaleb(-field.decimal_places))
    try:
        return field.to_python(value)
    except DjangoValidationError:
        return value  # full_clean names the problem


def decimal_problem(field: models.DecimalField, value: Decimal) -> str | None:
    """Why `field` cannot keep `value` exactly, or None when it can.

    Trailing zeros are no places ("1234.5600" fits two places); "1234.567" does not, and
    is refused rather than rounded. Too many digits are refused before any arithmetic
    (`quantize` fails beyond 28 digits)."""
    if not value.is_finite():
        return _("%(value)s is not a number") % {"value": value}
    if value.is_zero():
        return None
    _sign, digits, exponent = value.as_tuple()
    while exponent < 0 and digits[-1] == 0:
        digits, exponent = digits[:-1], exponent + 1
    places = max(-exponent, 0)
    whole = max(len(digits) + exponent, 0)
    if places > field.decimal_places:
        return _(
            "%(value)s has %(places)d decimal places: at most %(most)d are kept (round it "
            "in the file)"
        ) % {"value": plain_decimal(value), "places": places, "most": field.decimal_places}
    if whole > field.max_digits - field.decimal_places:
        return _("%(value)s is too large: at most %(digits)d digits before the decimal mark") % {
            "value": plain_decimal(value) if len(digits) <= 40 else f"{value:.6E}",
            "digits": field.max_digits - field.decimal_places,
        }
    return None


def plain_decimal(value: Decimal) -> str:
    """A decimal as written in a report: no exponent, no trailing zeros."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class ProblemRows:
    """Which records of a file have a problem. Each error is looked at once, as it is
    added, so asking for every row costs the errors once, not rows × errors.

    Usage: `problems = ProblemRows(table.errors)`, then `row.record in problems`."""

    def __init__(self, errors: list[DataError]):
        self._errors, self._read, self._records = errors, 0, set()

    def __contains__(self, record: str) -> bool:
        if self._read < len(self._errors):
            self._records.update(error.record for error in self._errors[self._read :])
            self._read = len(self._errors)
        return record in self._records


def unknown_columns_note(
    keys: Iterable[str], known: Iterable[str], *, prefixes: tuple[str, ...] = ()
) -> str | None:
    """A report's note naming the header cells that are no column the import reads: a
    misspelt header ("libelé") is said, not silently ignored."""
    known = set(known)
    unknown = [key for key in keys if key and key not in known and not key.startswith(prefixes)]
    if not unknown:
        return None
    return _("Columns not read (not a column this import knows): %(columns)s.") % {
        "columns": ", ".join(repr(key) for key in unknown)
    }


def _field(record: models.Model, name: str) -> models.Field | None:
    try:
        field = record._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _differs(field: models.Field | None, current: Any, new: Any) -> bool:
    if isinstance(current, models.Model) or isinstance(new, models.Model):
        return getattr(current, "pk", None) != getattr(new, "pk", None)
    if field is not None and field.empty_strings_allowed and not field.is_relation:
        # An empty translation is empty whether it was stored as None or as "".
        current = "" if current is None else current
        new = "" if new is None else new
    # Decimals compare by value: their places are the field's (see `normalised`).
    return current != new


def shown(value: Any) -> str:
    """A stored value as a report shows it: a record by its code, a decimal without
    trailing zeros, nothing as ""."""
    if value is None:
        return ""
    if isinstance(value, models.Model):
        return str(getattr(value, "code", None) or value)
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def report_lines(report, *, verbosity: int = 1) -> list[str]:
    """An import's report for the command line: its notes, each changed row with its
    before and after (each created or unchanged one too from verbosity 2), then the
    counts, in the future tense for a dry run."""
    lines = list(report.notes)
    for row in report.rows:
        if row.action == "updated":
            changes = "; ".join(
                f"{column}: {before!r} → {after!r}"
                for column, (before, after) in row.changes.items()
            )
            lines.append(f"{row.record} ({row.key}): {row.action}: {changes}")
        elif verbosity >= 2:
            lines.append(f"{row.record} ({row.key}): {row.action}")
    verb = "would be" if report.dry_run else "were"
    counts = ", ".join(f"{count} {verb} {what}" for what, count in report.counts.items())
    lines.append(f"{counts}." + (" Nothing was written (dry run)." if report.dry_run else ""))
    return lines


def problem_lines(error: DataFileError) -> str:
    """A refusal for the command line: how many problems, then each on its line."""
    count = len(error.errors)
    head = f"Nothing was written: {count} problem{'s' if count != 1 else ''}."
    return "\n".join([head, *(str(problem) for problem in error.errors)])
