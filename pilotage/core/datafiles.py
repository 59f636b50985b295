"""Reading data files (YAML/JSON) and reporting their errors by file, record and reason.

Loaders validate everything first and write only when nothing is wrong; the writes run
in one transaction, so a bad file never leaves half its records behind.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import yaml
from django.db import models
from django.utils.translation import gettext as _
from openpyxl import load_workbook
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

LANGUAGES = ("fr", "nl", "de", "en")


@dataclass(frozen=True)
class DataError:
    """One thing wrong in a data file."""

    file: str
    record: str
    reason: str
    column: str = ""

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (self.record, f"column {self.column!r}" if self.column else "") if part
        )
        return f"{self.file}: {where}: {self.reason}" if where else f"{self.file}: {self.reason}"

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "record": self.record,
            "column": self.column,
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


def _as_text(value: Any) -> Any:
    # YAML reads an unquoted 1 or 2024 as a number; codes and versions are text.
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


Code = Annotated[str, BeforeValidator(_as_text), Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
Text = Annotated[str, BeforeValidator(_as_text)]
Multilingual = Annotated[dict[str, str], AfterValidator(_check_multilingual)]
OptionalMultilingual = Annotated[dict[str, str], AfterValidator(_check_optional_multilingual)]


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
    record = model.objects.filter(**lookup).first()
    if record is None:
        record = model(**lookup, **values)
        record.full_clean()
        record.save()
        return record, "created"
    changed = False
    for field, value in values.items():
        if _differs(getattr(record, field), value):
            setattr(record, field, value)
            changed = True
    if not changed:
        return record, "unchanged"
    record.full_clean()
    record.save()
    return record, "updated"


def _differs(current: Any, new: Any) -> bool:
    if isinstance(current, models.Model) or isinstance(new, models.Model):
        return getattr(current, "pk", None) != getattr(new, "pk", None)
    return current != new


def spreadsheet_rows(name: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    """The rows of an uploaded CSV (UTF-8, comma or semicolon) or XLSX file, each with its
    number in the sheet (the header is row 1) and its cells as text by column name; blank
    rows are skipped but still counted. Unreadable files raise DataFileError."""
    if name.lower().endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds for a broken file
            raise DataFileError(
                [DataError(name, "", _("not a readable XLSX file: %(error)s") % {"error": error})]
            ) from error
        values = list(workbook.active.iter_rows(values_only=True))
        text_rows = [
            [
                ""
                if v is None
                else (v.isoformat()[:10] if isinstance(v, datetime.date) else str(v))
                for v in row
            ]
            for row in values
        ]
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DataFileError([DataError(name, "", _("not UTF-8 text"))]) from error
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
        except csv.Error:
            dialect = csv.excel
        text_rows = list(csv.reader(io.StringIO(text), dialect))
    if not text_rows:
        raise DataFileError([DataError(name, "", _("the file is empty"))])
    header = [cell.strip() for cell in text_rows[0]]
    return [
        (number, dict(zip(header, row, strict=False)))
        for number, row in enumerate(text_rows[1:], start=2)
        if any(cell.strip() for cell in row)
    ]


class SheetRow:
    """One row of an uploaded spreadsheet being checked: its cells, and the problems
    found, by column (imports report them all, then write nothing)."""

    def __init__(self, name: str, number: int, cells: dict[str, str], errors: list):
        self.name, self.number, self.cells, self.errors = name, number, cells, errors
        self.record = _("row %(number)d") % {"number": number}

    def text(self, column: str) -> str:
        return (self.cells.get(column) or "").strip()

    def problem(self, column: str, reason: str) -> None:
        self.errors.append(DataError(self.name, self.record, reason, column))

    def date(self, column: str) -> datetime.date | None:
        text = self.text(column)
        if not text:
            return None
        try:
            return datetime.date.fromisoformat(text)
        except ValueError:
            self.problem(column, _("%(text)r is not a date (YYYY-MM-DD)") % {"text": text})
            return None

    def decimal(self, column: str) -> Decimal | None:
        text = self.text(column).replace(",", ".")
        if not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            self.problem(column, _("%(text)r is not a number") % {"text": text})
            return None
