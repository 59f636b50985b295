"""Store organisations from data files."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from pydantic import Field

from pilotage.core.datafiles import (
    Code,
    DataError,
    FileSchema,
    OptionalMultilingual,
    Text,
    parse_file,
    upsert,
)
from pilotage.core.i18n import translated_field_values
from pilotage.core.loading import DataFolder, duplicates
from pilotage.registry.models import Organisation
from pilotage.registry.validators import enterprise_number_normalise
from pilotage.taxonomies.models import Taxonomy, Term
from pilotage.taxonomies.services import record_terms_apply

COORDINATE = Decimal("0.000001")


class AddressData(FileSchema):
    street: str = ""
    postcode: Text = ""
    locality: str = ""
    country: str = Field("BE", min_length=2, max_length=2)
    lat: Decimal | None = Field(None, ge=-90, le=90)
    lon: Decimal | None = Field(None, ge=-180, le=180)


class OrganisationData(FileSchema):
    code: Code
    name: str = Field(min_length=1)
    enterprise_number: Text | None = None
    type: Code | None = None
    terms: dict[Code, list[Code]] = {}
    description: OptionalMultilingual = {}
    website: str = ""
    address: AddressData | None = None
    province: Code | None = None


class OrganisationFile(FileSchema):
    """`data/organisations/<group>.yaml`."""

    sources: list[str] = []
    organisations: list[OrganisationData] = []


def organisation_file_read(path: Path) -> OrganisationFile:
    return parse_file(path, OrganisationFile)


def organisation_check(
    file: str, parsed: OrganisationFile, known: dict[str, set]
) -> list[DataError]:
    """Enterprise numbers and term references, which the schema alone cannot check."""
    errors = []
    for organisation in parsed.organisations:
        record = f"organisation {organisation.code!r}"
        if organisation.enterprise_number:
            try:
                enterprise_number_normalise(organisation.enterprise_number)
            except ValidationError as error:
                errors.append(DataError(file, record, " ".join(error.messages)))
        references = [
            ("organisation-types", organisation.type),
            ("provinces", organisation.province),
        ]
        references += [
            (scheme, code) for scheme, codes in organisation.terms.items() for code in codes
        ]
        for scheme, code in references:
            if code is None:
                continue
            if scheme not in known["taxonomies"]:
                errors.append(DataError(file, record, f"unknown taxonomy {scheme!r}"))
            elif (scheme, code) not in known["terms"]:
                errors.append(
                    DataError(file, record, f"unknown term {code!r} in taxonomy {scheme!r}")
                )
        address = organisation.address
        if address and (address.lat is None) != (address.lon is None):
            errors.append(DataError(file, record, "give both lat and lon, or neither"))
    return errors


def organisation_apply(parsed: OrganisationFile) -> Counter:
    """Write checked organisations and their terms."""
    stats: Counter = Counter()
    taxonomies = {taxonomy.code: taxonomy for taxonomy in Taxonomy.objects.all()}
    terms = {(t.taxonomy.code, t.code): t for t in Term.objects.select_related("taxonomy")}
    for data in parsed.organisations:
        address = data.address or AddressData()
        organisation, status = upsert(
            Organisation,
            {"code": data.code},
            {
                "name": data.name,
                "enterprise_number": (
                    enterprise_number_normalise(data.enterprise_number)
                    if data.enterprise_number
                    else None
                ),
                "type": terms[("organisation-types", data.type)] if data.type else None,
                "province": terms[("provinces", data.province)] if data.province else None,
                "website": data.website,
                "street": address.street,
                "postcode": address.postcode,
                "locality": address.locality,
                "country": address.country,
                "latitude": address.lat.quantize(COORDINATE) if address.lat is not None else None,
                "longitude": address.lon.quantize(COORDINATE) if address.lon is not None else None,
                "sources": ", ".join(parsed.sources),
                **translated_field_values("description", data.description),
            },
        )
        stats[status] += 1
        for scheme, codes in data.terms.items():
            record_terms_apply(
                record=organisation,
                taxonomy=taxonomies[scheme],
                terms=[terms[(scheme, code)] for code in codes],
            )
    return stats


def _known(files: dict[Path, OrganisationFile]) -> dict[str, set]:
    codes = set(Organisation.objects.values_list("code", flat=True))
    codes |= {o.code for parsed in files.values() for o in parsed.organisations}
    return {"organisations": codes}


def _check(files: dict[Path, OrganisationFile], known: dict[str, set]) -> list[DataError]:
    errors = duplicates(
        ((str(path), o.code) for path, f in files.items() for o in f.organisations), "organisation"
    )
    for path, parsed in files.items():
        errors += organisation_check(str(path), parsed, known)
    return errors


def _write(files: dict[Path, OrganisationFile], progress) -> Counter:
    stats: Counter = Counter()
    for parsed in progress(list(files.values())):
        for status, count in organisation_apply(parsed).items():
            stats[f"organisations {status}"] += count
    return stats


ORGANISATION_FOLDER = DataFolder(
    folder="organisations",
    order=20,
    read=organisation_file_read,
    known=_known,
    check=_check,
    write=_write,
)
