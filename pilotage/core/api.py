"""What every JSON API endpoint shares: strict query parameters, cursor pagination,
conditional requests (ETag, Last-Modified, 304). Rate limiting lives with the tokens
(`accounts.api`).

Nothing here knows a domain model by import: the models an endpoint's answer depends on
are named in the settings (`PILOTAGE_API_FRESHNESS`), the endpoints call the helpers.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from email.utils import format_datetime
from typing import Annotated

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language
from ninja import Schema
from pydantic import BeforeValidator

API_PREFIX = "/api/v1/"
FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DEFAULT_LIMIT = 50
# Parameters every paginated list accepts besides its filters.
PAGING_KEYS = ("cursor", "limit")
# The longest code a record holds, and cursor this API writes (keys of a few codes).
CODE_MAX_LENGTH = 100
CURSOR_MAX_LENGTH = 1000
# Values one parameter may repeat (OR within a filter): more is refused, before any
# endpoint reads them, so that no address is longer than a server reads.
MAX_VALUES = 20


class ErrorOut(Schema):
    """Every error the API answers: a stable code, a sentence, the parameter at fault."""

    code: str
    detail: str
    field: str | None = None


class QueryError(ValueError):
    """A request Pilotage refuses: `field` names the parameter at fault, `code` says why."""

    def __init__(self, field: str | None, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.field = field
        self.code = code
        self.message = message
        self.status = status


def _full_date(value: object) -> object:
    """A date parameter as the schema's `format: date` says (YYYY-MM-DD): pydantic would
    also read `0` as 1970-01-01 and `20240101` as a date."""
    if isinstance(value, str) and not FULL_DATE.fullmatch(value):
        raise ValueError("A date is written YYYY-MM-DD.")
    return value


IsoDate = Annotated[datetime.date, BeforeValidator(_full_date)]


def refused(error: ValidationError, status: int = 400) -> QueryError:
    """A model's or service's ValidationError as the API answers it: its first field (or
    none), its code, its messages."""
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
    else:
        field, errors = None, error.error_list
    message = " ".join(text for item in errors for text in item.messages)
    return QueryError(field, errors[0].code or "invalid", message, status=status)


def unknown_record(field: str, message: str) -> QueryError:
    """A filter naming a record that does not exist: 404, as a path naming it would be.
    The request is well formed (its schema cannot list every code); the record is what
    is missing, and the list is never answered empty as if nothing matched."""
    return QueryError(field, "unknown_value", message, status=404)


def choices_schema(values: Iterable[str], *, many: bool = False, blank: bool = True) -> dict:
    """The `json_schema_extra` of a parameter taking one of a closed list of values (or
    several, repeated): the schema lists what the server accepts. An empty value means the
    filter is not applied, as for a code (`blank`), unless the parameter has a default."""
    enum = ["", *values] if blank else list(values)
    return {"items": {"type": "string", "enum": enum}} if many else {"enum": enum}


def max_limit() -> int:
    return getattr(settings, "PILOTAGE_API_MAX_LIMIT", 500)


def params_check(request: HttpRequest, allowed: Iterable[str]) -> None:
    """Refuse any query parameter the endpoint does not know (400 `unknown_filter`), so a
    misspelt filter never silently returns everything."""
    allowed = set(allowed)
    for key in request.GET:
        if key not in allowed:
            raise QueryError(key, "unknown_filter", f"“{key}” is not a parameter of this list.")


def limit_check(limit: int) -> int:
    if limit > max_limit():
        raise QueryError("limit", "limit_too_large", f"At most {max_limit()} items per page.")
    return limit


def _cursor_salt(request: HttpRequest) -> str:
    # A cursor only means something on the list that issued it.
    return f"pilotage.api.cursor:{request.path}"


def cursor_encode(request: HttpRequest, key: Sequence) -> str:
    """An opaque, signed cursor carrying the sort key of the last item given."""
    return signing.dumps(list(key), salt=_cursor_salt(request))


def cursor_decode(request: HttpRequest, cursor: str, width: int) -> list:
    try:
        key = signing.loads(cursor, salt=_cursor_salt(request))
    except (signing.BadSignature, ValueError, TypeError):
        raise _no_such_page() from None
    if not isinstance(key, list) or len(key) != width:
        raise _no_such_page()
    return key


def _no_such_page() -> QueryError:
    # A cursor is opaque: one this list did not issue names no page of it (404), whatever
    # its form.
    return QueryError(
        "cursor", "invalid_cursor", "This cursor was not issued by this list.", status=404
    )


def _after(fields: Sequence[str], key: Sequence) -> models.Q:
    """Rows strictly after `key` in the order of `fields` (all ascending)."""
    condition = models.Q()
    for index, name in enumerate(fields):
        step = models.Q(**{f"{name}__gt": key[index]})
        for previous, value in zip(fields[:index], key[:index], strict=True):
            step &= models.Q(**{previous: value})
        condition |= step
    return condition


def _key_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def cursor_page(
    request: HttpRequest,
    queryset: models.QuerySet,
    fields: Sequence[str],
    *,
    limit: int,
    cursor: str | None,
    response: HttpResponse | None = None,
) -> tuple[list, str | None]:
    """One page of `queryset` in the order of `fields` (unique together, ascending), after
    the cursor; returns the items and the cursor of the next page (None on the last).

    Keyset pagination: a page costs the same wherever it is in the list. When `response`
    is given, the next page's URL goes in its `Link` header (rel="next")."""
    limit_check(limit)
    if cursor:
        queryset = queryset.filter(_after(fields, cursor_decode(request, cursor, len(fields))))
    items = list(queryset.order_by(*fields)[: limit + 1])
    following = None
    if len(items) > limit:
        items = items[:limit]
        last = items[-1]
        key = [_key_value(_attribute(last, name)) for name in fields]
        following = cursor_encode(request, key)
        if response is not None:
            query = request.GET.copy()
            query["cursor"] = following
            url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
            response["Link"] = f'<{url}>; rel="next"'
    return items, following


def _attribute(record, name: str):
    value = record
    for part in name.split("__"):
        value = getattr(value, part)
    return value


# Conditional requests ----------------------------------------------------------------


def _models_for(path: str) -> list[type[models.Model]] | None:
    """The models the answer to `path` depends on, or None when the settings do not say."""
    table = getattr(settings, "PILOTAGE_API_FRESHNESS", {})
    best = max((prefix for prefix in table if path.startswith(prefix)), key=len, default=None)
    return None if best is None else [apps.get_model(label) for label in table[best]]


def data_version(path: str) -> tuple[str, object]:
    """A digest of what the answer to `path` depends on, and when that last changed: per
    model the newest `updated_at` (a log's `created_at`) and the row count (a deletion
    changes it too)."""
    parts = []
    newest = None
    for model in _models_for(path) or ():
        names = {f.name for f in model._meta.get_fields()}
        stamp = next((name for name in ("updated_at", "created_at") if name in names), None)
        figures = model._default_manager.aggregate(
            n=models.Count("pk"), **({"m": models.Max(stamp)} if stamp else {})
        )
        changed = figures.get("m")
        parts.append(f"{model._meta.label}:{figures['n']}:{changed.isoformat() if changed else ''}")
        if changed and (newest is None or changed > newest):
            newest = changed
    return "|".join(parts), newest


class ApiConditionalMiddleware:
    """`ETag` and `Last-Modified` on the API's public reads, and 304 to a client that
    already has the answer, decided before the endpoint runs.

    The ETag digests the data version of the models the endpoint reads (settings), the
    full query string, the language and today's date (statuses are computed as of
    today). Token-authenticated requests are private and left alone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not (
            request.path.startswith(API_PREFIX)
            and request.method in ("GET", "HEAD")
            and "HTTP_AUTHORIZATION" not in request.META
            and _models_for(request.path) is not None
        ):
            return self.get_response(request)
        version, newest = data_version(request.path)
        seed = json.dumps(
            [version, request.get_full_path(), get_language(), timezone.localdate().isoformat()]
        )
        etag = '"' + hashlib.sha256(seed.encode()).hexdigest()[:32] + '"'
        last_modified = newest.timestamp() if newest else None
        not_modified = get_conditional_response(
            request, etag=etag, last_modified=int(last_modified) if last_modified else None
        )
        if not_modified is not None:
            response = not_modified
        else:
            response = self.get_response(request)
            if response.status_code != 200:
                return response
        response["ETag"] = etag
        if newest:
            response["Last-Modified"] = format_datetime(
                newest.astimezone(datetime.UTC), usegmt=True
            )
        response["Cache-Control"] = "public, max-age=0, must-revalidate"
        patch_vary_headers(response, ("Accept-Language",))
        return response


class ApiMethodMiddleware:
    """HTTP's methods on every API address: HEAD answers as GET without the body, OPTIONS
    with the methods the address takes (`Allow`, 204), and a method it does not take in
    the API's error shape (ninja answers those itself, as a bare text, before any of the
    API's exception handlers)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        if request.method == "HEAD":
            request.method = "GET"
            response = self.get_response(request)
            request.method = "HEAD"
            if not response.streaming:
                response["Content-Length"] = str(len(response.content))
                response.content = b""
            return response
        response = self.get_response(request)
        if response.status_code != 405:
            return response
        allowed = response.get("Allow", "")
        if request.method == "OPTIONS":
            answer = HttpResponse(status=204)
            methods = [method.strip() for method in allowed.split(",") if method.strip()]
            answer["Allow"] = ", ".join(dict.fromkeys([*methods, "HEAD", "OPTIONS"]))
            return answer
        refused = JsonResponse(
            {
                "code": "method_not_allowed",
                "detail": f"{request.method} is not allowed here; allowed: {allowed}.",
                "field": None,
            },
            status=405,
        )
        refused["Allow"] = allowed
        return refused


# CORS ----------------------------------------------------------------------------------


def cors_public_read(sender, request: HttpRequest, **kwargs) -> bool:
    """django-cors-headers asks this for each request: CORS for the API's anonymous reads
    (GET, HEAD and their preflight) only, never for writes or requests carrying a token."""
    if not request.path.startswith(API_PREFIX):
        return False
    if request.method in ("GET", "HEAD"):
        return "HTTP_AUTHORIZATION" not in request.META
    if request.method == "OPTIONS":
        wanted = request.META.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD", "").upper()
        headers = request.META.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS", "").lower()
        return wanted in ("GET", "HEAD") and "authorization" not in headers
    return False
