"""API clients: token authentication for the JSON API, and its rate limits."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from ninja.security import HttpBearer

from pilotage.accounts.services import token_hash, token_user
from pilotage.core.ratelimit import client_address, hit

API_PREFIX = "/api/v1/"


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <key>`: a key staff issued, acting as one account."""

    def authenticate(self, request, token):
        return token_user(token)


class Public:
    """Who reads without a token (`request.auth` of an optional-token endpoint)."""

    is_authenticated = False

    def __bool__(self) -> bool:
        return True  # ninja treats a falsy result as a failed authentication


PUBLIC = Public()


class OptionalTokenAuth(TokenAuth):
    """Public without a token; with one, it must be valid and the request acts as it."""

    def __call__(self, request):
        if not request.headers.get("Authorization"):
            return PUBLIC
        return super().__call__(request)


def _too_many(limit: int, retry: int) -> JsonResponse:
    response = JsonResponse(
        {
            "code": "rate_limited",
            "detail": f"More than {limit} requests a minute; retry in {retry} seconds.",
            "field": None,
        },
        status=429,
    )
    response["Retry-After"] = str(retry)
    return response


class ApiRateLimitMiddleware:
    """At most `PILOTAGE_API_RATE_LIMIT` API requests a minute per IP address for anonymous
    clients, `PILOTAGE_API_RATE_LIMIT_TOKEN` per key for token clients (0: no limit);
    beyond, 429 with the error body and `Retry-After`. Counted in the cache every worker
    shares, in fixed one-minute windows (`core.ratelimit.hit`). An unknown or revoked key
    counts against the address, so varying keys does not escape the anonymous limit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            key = header[7:].strip()
            if key and token_user(key) is not None:
                return self._limited(
                    request, f"token:{token_hash(key)}", settings.PILOTAGE_API_RATE_LIMIT_TOKEN
                )
        return self._limited(
            request, f"ip:{client_address(request)}", settings.PILOTAGE_API_RATE_LIMIT
        )

    def _limited(self, request: HttpRequest, client: str, limit: int):
        retry = hit("api", client, limit)
        if retry is not None:
            return _too_many(limit, retry)
        return self.get_response(request)
