"""Belgian enterprise numbers (numéro d'entreprise BCE/KBO), checked by python-stdnum."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.be import vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength


def enterprise_number_normalise(value: str) -> str:
    """Return the number as 10 digits (`0123456789`), or raise ValidationError saying why."""
    try:
        return vat.validate(value)
    except InvalidChecksum as error:
        raise ValidationError(
            _("%(value)s is not a valid Belgian enterprise number: its check digits do not match."),
            code="checksum",
            params={"value": value},
        ) from error
    except InvalidLength as error:
        raise ValidationError(
            _("%(value)s is not a valid Belgian enterprise number: it must have 10 digits."),
            code="length",
            params={"value": value},
        ) from error
    except (InvalidFormat, InvalidComponent) as error:
        raise ValidationError(
            _(
                "%(value)s is not a valid Belgian enterprise number: "
                "it must read 0123.456.789 or 1123.456.789."
            ),
            code="format",
            params={"value": value},
        ) from error


def validate_enterprise_number(value: str) -> None:
    enterprise_number_normalise(value)


def enterprise_number_display(value: str) -> str:
    """0123456789 → 0123.456.789, the way the Crossroads Bank for Enterprises prints it."""
    return f"{value[:4]}.{value[4:7]}.{value[7:]}" if len(value) == 10 else value
