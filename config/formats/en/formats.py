"""English as Europe writes it (31/12/2025, 31 December 2025, 14:30), not the United
States' month-first dates: Django's `en_GB`, read back in ISO as well."""

from django.conf.locale.en_GB.formats import *  # noqa: F403
from django.conf.locale.en_GB.formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
# An ISO date is what a browser's date field and the API send.
DATE_INPUT_FORMATS = ["%Y-%m-%d", *DATE_INPUT_FORMATS]
DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", *DATETIME_INPUT_FORMATS]
