"""The JSON API at /api/v1/: public reads, token-authenticated writes, errors with codes."""

import json
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.parser import Parser

from pilotage.accounts.api import OptionalTokenAuth, TokenAuth
from pilotage.budgets.api import router as budget_router
from pilotage.core.api import (
    API_PREFIX,
    CODE_MAX_LENGTH,
    CURSOR_MAX_LENGTH,
    MAX_VALUES,
    NUMBERS,
    PAGING,
    ErrorOut,
    ExactJSONRenderer,
    QueryError,
    max_limit,
    params_check,
    refused,
)
from pilotage.core.middleware import TEXT_CONTROLS
from pilotage.indicators.api import observations as observation_router
from pilotage.indicators.api import router as indicator_router
from pilotage.indicators.services import PeriodLocked
from pilotage.registry.api import router as organisation_router
from pilotage.registry.magnets import InvalidQuery
from pilotage.registry.magnets_api import router as magnet_router
from pilotage.strategies.api import router as action_router
from pilotage.strategies.api import strategy_router
from pilotage.strategies.facets import InvalidFilter
from pilotage.taxonomies.api import router as taxonomy_router
from pilotage.taxonomies.models import code_validator

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "field": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
    "required": ["code", "detail"],
}
# Answers any operation may give, documented once for all of them.
COMMON_ERRORS = {
    "400": "A request Pilotage refuses (unknown parameter, a value outside its list, a "
    "control character, limit too large)",
    "404": "No such record, or a filter or cursor naming none",
    "422": "A parameter or body of the wrong type or shape",
    "429": "Too many requests from this client; see Retry-After",
}


def _without(controls) -> str:
    """A JSON Schema pattern (ECMA-262, as Python reads it too) for a text holding none of
    the characters `InputCheckMiddleware` refuses: the schema says what the server does."""
    return f"^[^{controls.pattern[1:-1]}]*$"


# Every text in an address of this API is a code or a cursor. A code is what
# `code_validator` lets a record hold (empty: the filter is not applied), so any other
# text names no record (404); a cursor is what `django.core.signing` writes.
CODE = {"pattern": f"^({code_validator.regex.pattern[1:-1]})?$", "maxLength": CODE_MAX_LENGTH}
CURSOR = {"pattern": "^[A-Za-z0-9._:-]*$", "maxLength": CURSOR_MAX_LENGTH}
BODY_TEXT = {"pattern": _without(TEXT_CONTROLS)}  # JSON strings, where a text may hold lines
# An endpoint public without a token and acting as its account with one documents both.
OPTIONAL_SCHEME = OptionalTokenAuth.__name__


def _texts(schema: dict, constraints: dict) -> None:
    """Give every plain string of a (sub)schema what the server accepts of it."""
    if schema.get("type") == "string" and not {"format", "enum", "pattern"} & schema.keys():
        for key, value in constraints.items():
            schema.setdefault(key, value)
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, ()):
            _texts(part, constraints)
    if isinstance(schema.get("items"), dict):
        _texts(schema["items"], constraints)
    for part in schema.get("properties", {}).values():
        _texts(part, constraints)


def _contract(schema: dict) -> None:
    """What the server enforces for every operation, written into the schema: codes and
    cursors in addresses, no control character in a body's text, at most
    `MAX_VALUES` values of a parameter, `limit` at most the maximum page, and an optional
    token as optional (`{}` besides the bearer scheme)."""
    bodies = set()
    for operations in schema["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", ()):
                found = parameter["schema"]
                _texts(found, CURSOR if parameter["name"] == "cursor" else CODE)
                if found.get("type") == "array":
                    found.setdefault("maxItems", MAX_VALUES)
                if parameter["name"] == "limit" and found.get("type") == "integer":
                    found.setdefault("maximum", max_limit())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                bodies.add(ref.rsplit("/", 1)[-1])
            security = operation.get("security")
            if security and any(OPTIONAL_SCHEME in requirement for requirement in security):
                operation["security"] = [{}, {TokenAuth.__name__: []}]
    components = schema.get("components", {})
    for name in bodies:
        if name in components.get("schemas", {}):
            _texts(components["schemas"][name], BODY_TEXT)
    components.get("securitySchemes", {}).pop(OPTIONAL_SCHEME, None)


class PilotageAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Every operation documents the error body, the server's constraints, and reads
        their 304."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        _contract(schema)
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                # ninja keys the statuses it documents by number, ours by text: one key
                # each, or the JSON document repeats "400" and parsers refuse it.
                responses = {str(key): value for key, value in operation["responses"].items()}
                operation["responses"] = responses
                errors = dict(COMMON_ERRORS)
                if operation.get("security"):
                    errors["401"] = "A valid API token is required"
                    errors["403"] = "The token's account may not do this"
                for status, description in errors.items():
                    responses.setdefault(
                        status,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": ERROR_SCHEMA}},
                        },
                    )
                if method in ("get", "head"):
                    responses.setdefault("304", {"description": "Not modified (conditional)"})
                # Answered by the HTTP server before Pilotage reads the request (gunicorn
                # reads request lines of at most 4,094 bytes), in its own words.
                responses.setdefault(
                    "414",
                    {
                        "description": "The address is longer than the server reads",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    },
                )
        return schema


class ObjectParser(Parser):
    """A body is a JSON object: anything else (a list, a bare string) is refused by ninja as
    unreadable (400 `unreadable_body`), not read as a schema's missing fields."""

    def parse_body(self, request):
        # Numbers as written (12.3 is 12.3, not the nearest double), so that an amount
        # is stored as sent or refused, never rounded.
        data = json.loads(request.body, parse_float=Decimal)
        if not isinstance(data, dict):
            raise ValueError("The body is not a JSON object.")
        return data


api = PilotageAPI(
    parser=ObjectParser(),
    renderer=ExactJSONRenderer(),
    title="Pilotage API",
    version="1",
    urls_namespace="api",
    description=(
        "Strategies, actions, indicators, published values, budgets, organisations and "
        "taxonomies, with the same numbers as the pages. Reads are public: CORS open, "
        "ETag/Last-Modified with 304, anonymous clients rate-limited (429 with Retry-After). "
        f"{PAGING} `limit` is at most {max_limit()}. {NUMBERS} Every error is "
        "{code, detail, field}; unknown parameters are refused (400 unknown_filter). "
        "Partners' software writes with a token."
    ),
)
# The resources `/api/v1/` lists, in the order a newcomer reads them.
RESOURCES = {
    "strategies": "Strategies, their levels and nodes, with progress",
    "actions": "Public actions with the dashboard's filters and facet counts",
    "indicators": "Indicators, their status and the numbers behind it",
    "observations": "Published values (a partner's token: its own, and to report)",
    "budgets/totals": "A strategy's or a node's budget totals",
    "budgets/lines": "Budget lines with their reallocations",
    "organisations": "The ecosystem's organisations, public fields only",
    "registry/search": "Organisations by facets, with every value's count",
    "registry/magnets": "The public magnets and their counts",
    "taxonomies": "Taxonomies and their terms",
}


class ResourceOut(Schema):
    name: str
    url: str
    description: str


class IndexOut(Schema):
    title: str
    version: str
    schema_url: str
    docs_url: str
    resources: list[ResourceOut]


@api.get("/", response={200: IndexOut, 400: ErrorOut}, tags=["index"], url_name="index")
def index(request):
    """What this API serves, where its schema and its console are."""
    params_check(request, ())
    root = request.build_absolute_uri(API_PREFIX)
    return {
        "title": api.title,
        "version": api.version,
        "schema_url": f"{root}openapi.json",
        "docs_url": f"{root}docs",
        "resources": [
            {
                "name": name,
                "url": f"{root}{name}/" if "/" not in name else f"{root}{name}",
                "description": description,
            }
            for name, description in RESOURCES.items()
        ],
    }


api.add_router("/strategies/", strategy_router)
api.add_router("/actions/", action_router)
api.add_router("/indicators/", indicator_router)
api.add_router("/registry/", magnet_router)
api.add_router("/budgets/", budget_router)
api.add_router("/observations/", observation_router, auth=TokenAuth())
api.add_router("/organisations/", organisation_router)
api.add_router("/taxonomies/", taxonomy_router)


def _error(request, status: int, code: str, detail: str, field: str | None = None):
    return api.create_response(
        request, {"code": code, "detail": detail, "field": field}, status=status
    )


@api.exception_handler(PeriodLocked)
def period_locked(request, error):
    return _error(request, 409, "locked", " ".join(error.messages))


@api.exception_handler(InvalidQuery)
def invalid_query(request, error):
    return _error(request, error.status, error.code, str(error.message), error.field)


@api.exception_handler(QueryError)
def query_error(request, error):
    return _error(request, error.status, error.code, error.message, error.field)


@api.exception_handler(InvalidFilter)
def invalid_filter(request, error):
    return _error(request, error.status, error.code, str(error.message), error.field)


@api.exception_handler(PermissionDenied)
def permission_denied(request, error):
    return _error(request, 403, "forbidden", str(error) or "Not allowed.")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, error):
    return _error(request, 401, "unauthenticated", "A valid API token is required.")


# What ninja itself raises besides validation: an unreadable body (400), and any other
# HTTP error, answered in the same shape as ours.
HTTP_ERROR_CODES = {
    400: "unreadable_body",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
}


@api.exception_handler(HttpError)
def http_error(request, error):
    status = error.status_code
    if status == 400:
        detail = "The request body is not a JSON object Pilotage can read."
    else:
        detail = str(error)
    return _error(request, status, HTTP_ERROR_CODES.get(status, "error"), detail)


@api.exception_handler(Http404)
def not_found(request, error):
    return _error(request, 404, "not_found", "No such record.")


@api.exception_handler(ValidationError)
def invalid(request, error):
    return query_error(request, refused(error))


@api.exception_handler(RequestValidationError)
def malformed(request, error):
    first = error.errors[0] if error.errors else {}
    field = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
    return _error(request, 422, "malformed", first.get("msg", "Malformed request."), field)
