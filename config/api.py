"""The JSON API at /api/v1/: public reads, token-authenticated writes, errors with codes."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as RequestValidationError
from ninja.security import HttpBearer

from pilotage.accounts.services import token_user
from pilotage.budgets.api import router as budget_router
from pilotage.indicators.api import observations as observation_router
from pilotage.indicators.api import router as indicator_router
from pilotage.indicators.services import PeriodLocked
from pilotage.registry.magnets import InvalidQuery
from pilotage.registry.magnets_api import router as magnet_router
from pilotage.strategies.api import router as action_router
from pilotage.strategies.facets import InvalidFilter


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`: a key staff issued, acting as one account."""

    def authenticate(self, request, token):
        return token_user(token)


api = NinjaAPI(
    title="Pilotage API",
    version="1",
    urls_namespace="api",
    description="Strategies, actions and indicators, with the same numbers as the pages.",
)
api.add_router("/actions/", action_router)
api.add_router("/indicators/", indicator_router)
api.add_router("/registry/", magnet_router)
api.add_router("/budgets/", budget_router)
api.add_router("/observations/", observation_router, auth=TokenAuth())


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


@api.exception_handler(InvalidFilter)
def invalid_filter(request, error):
    return _error(request, 400, error.code, str(error.message), error.field)


@api.exception_handler(PermissionDenied)
def permission_denied(request, error):
    return _error(request, 403, "forbidden", str(error) or "Not allowed.")


@api.exception_handler(AuthenticationError)
def unauthenticated(request, error):
    return _error(request, 401, "unauthenticated", "A valid API token is required.")


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
