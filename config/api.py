"""The JSON API at /api/v1/: public reads, token-authenticated writes, errors with codes."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as RequestValidationError
from ninja.parser import Parser

from pilotage.accounts.api import TokenAuth
from pilotage.budgets.api import router as budget_router
from pilotage.core.api import QueryError
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
    "400": "A parameter Pilotage refuses (unknown filter or value, bad cursor, limit too large)",
    "404": "No such record",
    "422": "A parameter or body of the wrong type or shape",
    "429": "Too many requests from this client; see Retry-After",
}


class PilotageAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Every operation documents the error body, and reads their 304."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema["paths"].values():
            for method, operation in operations.items():
                responses = operation.setdefault("responses", {})
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
        return schema


class ObjectParser(Parser):
    """A body is a JSON object: anything else (a list, a bare string) is refused by ninja as
    unreadable (400 `unreadable_body`), not read as a schema's missing fields."""

    def parse_body(self, request):
        data = super().parse_body(request)
        if not isinstance(data, dict):
            raise ValueError("The body is not a JSON object.")
        return data


api = PilotageAPI(
    parser=ObjectParser(),
    title="Pilotage API",
    version="1",
    urls_namespace="api",
    description=(
        "Strategies, actions, indicators, published values, budgets, organisations and "
        "taxonomies, with the same numbers as the pages. Reads are public: CORS open, "
        "ETag/Last-Modified with 304, anonymous clients rate-limited (429 with Retry-After). "
        "Long lists page with an opaque `cursor` and `limit` (at most 500): the next page is "
        "in the `Link` header. Every error is {code, detail, field}; unknown parameters are "
        "refused (400 unknown_filter). Partners' software writes with a token."
    ),
)
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
    return _error(request, 400, error.code, str(error.message), error.field)


@api.exception_handler(QueryError)
def query_error(request, error):
    return _error(request, error.status, error.code, error.message, error.field)


@api.exception_handler(InvalidFilter)
def invalid_filter(request, error):
    return _error(request, 400, error.code, str(error.message), error.field)


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
    if hasattr(error, "error_dict"):
        field, errors = next(iter(error.error_dict.items()))
        messages = [message for item in errors for message in item.messages]
        return _error(request, 400, errors[0].code or "invalid", " ".join(messages), field)
    return _error(request, 400, error.error_list[0].code or "invalid", " ".join(error.messages))


@api.exception_handler(RequestValidationError)
def malformed(request, error):
    first = error.errors[0] if error.errors else {}
    field = ".".join(str(part) for part in first.get("loc", ())[1:]) or None
    return _error(request, 422, "malformed", first.get("msg", "Malformed request."), field)
