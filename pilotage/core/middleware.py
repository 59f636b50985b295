"""Input no page or endpoint can use, refused before any view reads it.

Control characters are never typed by a person, and PostgreSQL cannot store, or even
compare, text holding a NUL: a lookup by such a code would fail in the database instead
of finding nothing. One check here covers every page, the back-office and the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import get_resolver
from django.utils.translation import gettext as _

from pilotage.core.api import API_PREFIX, MAX_VALUES

# In an address (path, query string, cookie): every C0 control and DEL.
ADDRESS_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")
# In a submitted text: the C0 controls but tab, LF and CR, which a multi-line text holds.
TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class Refused(Exception):
    """Where a control character was found, and which."""

    def __init__(self, field: str, character: str):
        super().__init__(field)
        self.field = field
        self.character = character


def _check(pattern: re.Pattern, field: str, text: str) -> None:
    found = pattern.search(text)
    if found:
        # The field is named without its control characters, so the answer is printable.
        raise Refused(ADDRESS_CONTROLS.sub("", field) or "query", found.group())


def _json_check(data: object) -> None:
    """Every key and string of a decoded JSON document, walked without recursion (a
    deeply nested document must not exhaust the stack)."""
    pending: list[tuple[str, object]] = [("", data)]
    while pending:
        where, value = pending.pop()
        if isinstance(value, str):
            _check(TEXT_CONTROLS, where or "body", value)
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{where}.{key}" if where else str(key)
                _check(TEXT_CONTROLS, name, str(key))
                pending.append((name, item))
        elif isinstance(value, list):
            pending.extend(
                (f"{where}.{index}" if where else str(index), item)
                for index, item in enumerate(value)
            )


def request_check(request: HttpRequest) -> None:
    """Raise Refused at the first control character of the path, the query string, the
    session cookie, a form's fields or a JSON body's strings (keys included). An upload's
    name needs no check: Django's parser drops its control characters."""
    _check(ADDRESS_CONTROLS, "path", request.path)
    for key, values in request.GET.lists():
        for text in (key, *values):
            _check(ADDRESS_CONTROLS, key, text)
    # The one cookie a database lookup reads (the session's key).
    _check(ADDRESS_CONTROLS, "cookie", request.COOKIES.get(settings.SESSION_COOKIE_NAME, ""))
    content_type = request.content_type or ""
    if request.method == "POST" and content_type in FORM_TYPES:
        for key, values in request.POST.lists():
            for text in (key, *values):
                _check(TEXT_CONTROLS, key, text)
    # The API reads any body as JSON, whatever type it is sent as.
    elif (content_type == "application/json" or request.path.startswith(API_PREFIX)) and (
        request.body
    ):
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError):
            return  # unreadable: the API's parser answers that, in its own words
        _json_check(data)


class InputCheckMiddleware:
    """A control character anywhere in a request is a 400 naming where it was: JSON
    (`invalid_character`) on the API, the 400 page elsewhere, and the 404 page for a
    path, which can name no page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            request_check(request)
        except Refused as refusal:
            return self._refusal(request, refusal)
        if request.path.startswith(API_PREFIX):
            repeated = next(
                (key for key, values in request.GET.lists() if len(values) > MAX_VALUES), None
            )
            if repeated is not None:
                # The schema's `maxItems`: a filter of more values is no query a client
                # needs, and its address would outgrow what the HTTP server reads.
                detail = _("At most %(count)d values of “%(field)s”.") % {
                    "count": MAX_VALUES,
                    "field": repeated,
                }
                return JsonResponse(
                    {"code": "too_many_values", "detail": detail, "field": repeated}, status=400
                )
        return self.get_response(request)

    def _refusal(self, request: HttpRequest, refusal: Refused) -> HttpResponse:
        detail = _("A control character (U+%(code)04X) cannot appear in “%(field)s”.") % {
            "code": ord(refusal.character),
            "field": refusal.field,
        }
        if request.path.startswith(API_PREFIX):
            return JsonResponse(
                {"code": "invalid_character", "detail": detail, "field": refusal.field},
                status=400,
            )
        resolver = get_resolver()
        if ADDRESS_CONTROLS.search(request.path):
            return resolver.resolve_error_handler(404)(request, exception=None)
        return resolver.resolve_error_handler(400)(request, exception=BadRequest(detail))
