"""Dates as each reader writes them: day first in every language, English included."""

import datetime

import pytest
from django import forms
from django.utils import formats, translation

from pilotage.core.formatting import short_date

DAY = datetime.date(2025, 12, 31)


@pytest.mark.parametrize(
    ("code", "long", "short"),
    [
        ("fr", "31 décembre 2025", "31/12/2025"),
        ("nl", "31 december 2025", "31-12-2025"),
        ("de", "31. Dezember 2025", "31.12.2025"),
        ("en", "31 December 2025", "31/12/2025"),
    ],
)
def test_a_date_reads_day_first_in_each_language(code, long, short):
    with translation.override(code):
        assert formats.date_format(DAY) == long
        assert short_date(DAY) == short


class _Period(forms.Form):
    end = forms.DateField()


@pytest.mark.parametrize("typed", ["31/12/2025", "2025-12-31"])
def test_an_english_form_reads_a_date_typed_day_first_or_in_iso(typed):
    with translation.override("en"):
        form = _Period({"end": typed})
        assert form.is_valid(), form.errors
    assert form.cleaned_data["end"] == DAY


def test_an_english_form_never_reads_a_date_month_first():
    with translation.override("en"):
        assert not _Period({"end": "12/31/2025"}).is_valid()
