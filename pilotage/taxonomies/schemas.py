"""The shape of a taxonomy as data files and SKOS imports carry it, before it is stored."""

from __future__ import annotations

import datetime
from typing import Annotated

from pydantic import AfterValidator, ConfigDict, Field, field_validator

from pilotage.core.datafiles import LANGUAGES, FileSchema, Multilingual, OptionalMultilingual
from pilotage.taxonomies.models import TermStatus

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$"
)


class TermData(FileSchema):
    code: str = Field(pattern=CODE_PATTERN)
    parent: str | None = None
    uri: str = ""
    identifier: str = ""
    notation: str = ""
    label: Multilingual
    definition: OptionalMultilingual = {}
    status: str = TermStatus.CURRENT
    version: str = Field("1.0.0", pattern=SEMVER_PATTERN)

    @field_validator("status", mode="before")
    @classmethod
    def _status_in_code_list(cls, value: str) -> str:
        code = str(value).strip().upper()
        if code not in TermStatus.values:
            allowed = ", ".join(v.lower() for v in TermStatus.values)
            raise ValueError(f"unknown status {value!r} (use one of {allowed})")
        return code

    @field_validator("code", "parent", mode="before")
    @classmethod
    def _codes_as_text(cls, value):
        return str(value) if value is not None else None


class SchemeData(FileSchema):
    code: str = Field(pattern=CODE_PATTERN)
    uri: str = ""
    identifier: str = ""
    title: Multilingual
    label: OptionalMultilingual = {}
    definition: OptionalMultilingual = {}
    version: str = Field("1.0.0", pattern=SEMVER_PATTERN)
    created: datetime.date
    modified: datetime.date | None = None


class TaxonomyFile(FileSchema):
    """`data/taxonomies/<scheme>.yaml`."""

    sources: list[str] = []
    scheme: SchemeData
    terms: list[TermData] = []


# A SKOS import keeps every text exactly as published, surrounding spaces included: the
# import reports them as warnings and never rewrites them (the data files above, which
# people type, are trimmed).
def _check_published(value: dict[str, str]) -> dict[str, str]:
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise ValueError(
            f"unsupported language {', '.join(sorted(unknown))} (use {', '.join(LANGUAGES)})"
        )
    if not (value.get("fr") or "").strip():
        raise ValueError("a French text (fr) is required")
    return dict(value)


def _check_optional_published(value: dict[str, str]) -> dict[str, str]:
    return _check_published(value) if value else {}


PublishedMultilingual = Annotated[dict[str, str], AfterValidator(_check_published)]
OptionalPublishedMultilingual = Annotated[dict[str, str], AfterValidator(_check_optional_published)]


class PublishedTermData(TermData):
    """A concept as a SKOS file states it: texts untouched, and what the file stated beyond
    Pilotage's columns (`Term.extras`)."""

    model_config = ConfigDict(str_strip_whitespace=False)

    label: PublishedMultilingual
    definition: OptionalPublishedMultilingual = {}
    extras: dict = {}


class PublishedSchemeData(SchemeData):
    """A concept scheme as a SKOS file states it (see `PublishedTermData`)."""

    model_config = ConfigDict(str_strip_whitespace=False)

    title: PublishedMultilingual
    label: OptionalPublishedMultilingual = {}
    definition: OptionalPublishedMultilingual = {}
    extras: dict = {}
