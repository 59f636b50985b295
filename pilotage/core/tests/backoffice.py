"""Posting a back-office form as a browser would: what the page shows, changed as asked."""

from __future__ import annotations


def _value(data: dict, name: str, value) -> None:
    if value is None or value is False:
        return  # an empty field, an unticked box: a browser sends nothing
    if value is True:
        data[name] = "on"
    elif isinstance(value, list | tuple):
        data[name] = [str(item) for item in value]
    else:
        data[name] = str(value)


def admin_form_data(page, **changes) -> dict:
    """The fields of an admin change page (its inlines' management forms included), as
    the page holds them, with `changes` applied."""
    data: dict = {}
    form = page.context["adminform"].form
    for name in form.fields:
        _value(data, form.add_prefix(name), form[name].value())
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            _value(
                data,
                formset.management_form.add_prefix(name),
                formset.management_form[name].value(),
            )
        for each in formset.forms:
            for name in each.fields:
                _value(data, each.add_prefix(name), each[name].value())
    data.update(changes)
    return data
