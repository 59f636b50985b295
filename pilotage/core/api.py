"""What every JSON API endpoint shares: strict query parameters, one envelope and cursor
pagination for every list, exact decimals as JSON numbers, conditional requests (ETag,
Last-Modified, 304). Rate limiting lives with the tokens (`accounts.api`).

Nothing here knows a domain model by import: the models an endpoint's answer depends on
are named in the settings (`PILOTAGE_API_FRESHNESS`), the endpoints call the helpers.
"""

from __future__ import annotations

import bisect
import datetime
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from email.utils import format_datetime
from json.encoder import encode_basestring_ascii
from typing import Annotated, Any

from django.apps import apps
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language
from ninja import Field, Query, Schema
from ninja.renderers import BaseRenderer
from ninja.responses import NinjaJSONEncoder
from pydantic import BeforeValidator, WithJsonSchema, create_model

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


# Exact numbers ------------------------------------------------------------------------

NUMBERS = (
    "Numbers are JSON numbers written with their exact decimal digits, as recorded, without "
    "the storage's trailing zeros or an exponent (226, 0.4503, 1234567890123456.1234): read "
    "them with a decimal-aware parser (Python: `json.loads(text, parse_float=Decimal)`) to "
    "keep every digit; a double keeps about 15."
)
# A decimal the API answers: a JSON number with its exact digits (`decimal_text`).
Number = Annotated[Decimal, WithJsonSchema({"type": "number"})]


def decimal_text(value: Decimal) -> str:
    """A decimal as a JSON number, exactly: its digits without trailing zeros or exponent
    ("226.0000" is 226, 1E+3 is 1000), never through a float. Not a number: null."""
    if not value.is_finite():
        return "null"
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _json_key(key: object) -> str:
    if isinstance(key, str):
        return key
    return json.dumps(key) if key is None or isinstance(key, bool) else str(key)


def _json_write(value: Any, out: Callable[[str], object], default: Callable) -> None:
    if value is None:
        out("null")
    elif value is True:
        out("true")
    elif value is False:
        out("false")
    elif isinstance(value, str):
        out(encode_basestring_ascii(value))
    elif isinstance(value, Decimal):
        out(decimal_text(value))
    elif isinstance(value, int):
        out(int.__repr__(value))
    elif isinstance(value, float):
        out(float.__repr__(value) if math.isfinite(value) else "null")
    elif isinstance(value, dict):
        out("{")
        for index, (key, item) in enumerate(value.items()):
            out(("," if index else "") + encode_basestring_ascii(_json_key(key)) + ":")
            _json_write(item, out, default)
        out("}")
    elif isinstance(value, list | tuple):
        out("[")
        for index, item in enumerate(value):
            if index:
                out(",")
            _json_write(item, out, default)
        out("]")
    else:  # dates, lazy texts, models: as ninja writes them
        _json_write(default(value), out, default)


def json_text(data: Any) -> str:
    """JSON as ninja writes it, but a Decimal is a number with its exact digits (the
    standard library writes a Decimal only as a text, or rounded through a float)."""
    parts: list[str] = []
    _json_write(data, parts.append, NinjaJSONEncoder().default)
    return "".join(parts)


class ExactJSONRenderer(BaseRenderer):
    """The API's answers, decimals as exact JSON numbers (`json_text`)."""

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> str:
        return json_text(data)


# One envelope for every list ------------------------------------------------------------

PAGING = (
    "Every list answers {count, next, next_cursor, items}: `count` is the number of items "
    "matching the filters (all pages), `items` this page, `next` the URL of the next page "
    '(also in the `Link` header, rel="next") and `next_cursor` its cursor, both null on the '
    "last page. Page with `limit` (items per page) and the opaque `cursor`."
)


def cursor_param():
    return Query(
        None,
        description="The next page's cursor, as the previous page gave it (`next_cursor`)",
    )


def limit_param(default: int = DEFAULT_LIMIT):
    return Query(default, ge=1, description="Items per page (at most the API's maximum)")


def page_schema(name: str, item: type, **extra: Any) -> type[Schema]:
    """The envelope of a list of `item`: {count, next, next_cursor, items} and what the list
    adds (`extra`: field name -> (type, default or Field)). Bound to a name of the item's
    module, where it is found again (answers are cached pickled)."""
    return create_model(
        name,
        __base__=Schema,
        __module__=item.__module__,
        __doc__=PAGING,
        count=(int, Field(description="Items matching the filters, on every page")),
        next=(str | None, Field(description="The next page's URL; null on the last page")),
        next_cursor=(str | None, Field(description="The next page's cursor; null on the last")),
        items=(list[item], Field(description="This page's items, in the list's order")),
        **extra,
    )


def next_url(request: HttpRequest, following: str | None) -> str | None:
    """This list's address with the next page's cursor, the other parameters kept."""
    if following is None:
        return None
    query = request.GET.copy()
    query["cursor"] = following
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def envelope(
    request: HttpRequest,
    response: HttpResponse | None,
    items: list,
    *,
    count: int,
    following: str | None,
    **extra: Any,
) -> dict:
    """A page of a list as every list answers it; the next page's URL is also in the
    response's `Link` header."""
    url = next_url(request, following)
    if url and response is not None:
        response["Link"] = f'<{url}>; rel="next"'
    return {"count": count, "next": url, "next_cursor": following, "items": items, **extra}


def rows_page(
    request: HttpRequest,
    rows: Sequence,
    key: Callable[[Any], tuple],
    *,
    width: int,
    limit: int,
    cursor: str | None,
) -> tuple[list, str | None]:
    """`cursor_page` for rows already read, in ascending order of `key` (unique, `width`
    values): the page after the cursor and the cursor of the next one (None on the last)."""
    limit_check(limit)
    keys = [list(key(row)) for row in rows]
    start = bisect.bisect_right(keys, cursor_decode(request, cursor, width)) if cursor else 0
    page = list(rows[start : start + limit])
    following = None
    if start + limit < len(rows):
        following = cursor_encode(request, keys[start + limit - 1])
    return page, following


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
            response["Link"] = f'<{next_url(request, following)}>; rel="next"'
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
