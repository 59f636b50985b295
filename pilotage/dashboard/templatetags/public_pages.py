"""Filters of the public pages."""

from __future__ import annotations

import re

from django import template

register = template.Library()

# A document cited by its file name ("003_7a9a5e7ed80cce19.txt l.468"), not by its title;
# a file at the end of an address is a link, and stays.
_FILE_NAME = re.compile(r"(?<![/\w.-])[\w-]+\.(?:txt|pdf|docx?|xlsx?|csv|odt|ods)\b", re.I)


@register.filter
def source_title(text: str | None) -> str:
    """`text|source_title`: a source as a reader can use it, or nothing where it only
    names a file (the data files cite their seeds by file name)."""
    if not text or _FILE_NAME.search(text):
        return ""
    return text
