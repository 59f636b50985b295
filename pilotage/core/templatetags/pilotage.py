from django import template
from django.urls import translate_url

from pilotage.core.formatting import percent_text

register = template.Library()


@register.simple_tag(takes_context=True)
def url_in_language(context, language_code: str) -> str:
    """The current page's address in another language (the language lives in the URL)."""
    request = context["request"]
    return translate_url(request.get_full_path(), language_code)


@register.filter
def lookup(mapping, key):
    """`mapping|lookup:key`: a dictionary's value in a template (None when absent)."""
    return mapping.get(key) if mapping else None


@register.filter
def percent(share) -> str:
    """0.625 → "62,5 %" in the reader's language."""
    return "" if share is None else percent_text(share)
