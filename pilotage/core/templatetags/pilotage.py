from django import template
from django.template.defaultfilters import floatformat
from django.urls import translate_url
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from pilotage.core.formatting import money_text, money_unit, percent_text, short_date

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


@register.filter
def series_rows(series, unit: str = ""):
    """`series|series_rows:unit`: the rows of a chart's data table (period, series,
    value), written in one pass: a chart's table can hold hundreds of rows."""
    names = {
        "actual": _("Reported value"),
        "target": _("Target trajectory"),
        "baseline": _("Baseline"),
    }

    return format_html_join(
        "",
        '<tr><th scope="row">{}{}</th><td>{}</td><td class="number">{} {}</td></tr>',
        (
            (
                format_html("{} – ", short_date(row.period_start)) if row.period_start else "",
                short_date(row.date),
                names.get(row.series, names["baseline"]),
                floatformat(row.value, "-2g"),
                unit,
            )
            for row in series
        ),
    )


@register.filter(name="short_date")
def short_date_filter(value) -> str:
    """`day|short_date`: the locale's short date, as `date:"SHORT_DATE_FORMAT"`."""
    return short_date(value) if value else ""
