from django import template
from django.urls import translate_url

from pilotage.core.formatting import money_text, money_unit, percent_text

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


@register.filter
def money(amount, unit: str = "€") -> str:
    """`amount|money:unit`: euros shown in € or in M€, in the reader's language."""
    return money_text(amount, unit)


@register.filter
def unit_for(amounts) -> str:
    """`amounts|unit_for`: M€ for a table whose amounts reach a million, else €. Takes a
    budget table (its cells' amounts), or any iterable of amounts."""
    cells = getattr(amounts, "cells", None)
    if cells is not None:
        amounts = [a for cell in cells for a in (*cell.amounts.values(), cell.budget)]
    return money_unit(amounts)


@register.filter
def euros(amount) -> str:
    """`amount|euros`: one amount with its unit ("240,00 M€", "12,50 €")."""
    if amount is None:
        return ""
    unit = money_unit([amount])
    return f"{money_text(amount, unit)}\u00a0{unit}"
