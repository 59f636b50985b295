"""Reading data files (YAML/JSON) and reporting their errors by file, record and reason.

Loaders validate everything first and write only when nothing is wrong; the writes run
in one transaction, so a bad file never leaves half its records behind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from django.db import models
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

LANGUAGES = ("fr", "nl", "de", "en")


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
