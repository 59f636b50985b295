"""Rate limits counted in the cache every worker shares, so a limit holds for the whole
site however many processes serve it (settings.CACHES: the database, or Redis).

Fixed windows of a minute: a key per client and window, created by `cache.add` and counted
by `cache.incr`, both atomic in the shared cache (`core.cache.DatabaseCache`, Redis). Past
the limit, 429 with `Retry-After` (the seconds left in the window): the API answers with
its error body (`accounts.api`), the public pages with a page in the visitor's language.
"""

from __future__ import annotations

import re
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import translation

WINDOW = 60  # seconds
# Downloads of the open data (the index page itself is a page like the others).
EXPORT_PATH = re.compile(r"^/(?:[a-z]{2}/)?exports/[^/]+$")
# Not pages: the API has its own limits, the back-office is behind a login, files are files.
UNLIMITED_PATH = re.compile(r"^/(?:api/|static/|media/|favicon\.ico|(?:[a-z]{2}/)?admin/)")


def hit(scope: str, client: str, limit: int) -> int | None:
    """Count one request of `client` against `limit` a minute (0: no limit); the seconds to
    wait when it is over the limit, else None."""
    if not limit:
        return None
    now = time.time()
    window = int(now // WINDOW)
    name = f"pilotage.rate:{scope}:{client}:{window}"
    count = 1  # if the cache keeps refusing, this request alone
    for _attempt in range(3):
        cache.add(name, 0, timeout=WINDOW * 2)
        try:
            count = cache.incr(name)
            break
        except ValueError:  # evicted, or another worker's add not yet visible: again
            continue
    if count > limit:
        return max(1, int((window + 1) * WINDOW - now) + 1)
    return None


def client_address(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind a reverse proxy the last address of
    the header it sets (`PILOTAGE_CLIENT_ADDRESS_HEADER`): the one the proxy saw, where
    those before it are whatever the client wrote."""
    header = settings.PILOTAGE_CLIENT_ADDRESS_HEADER
    if header:
        last = request.META.get(header, "").rsplit(",", 1)[-1].strip()
        if last:
            return last
    return request.META.get("REMOTE_ADDR", "")


def too_many_page(request: HttpRequest, limit: int, retry: int) -> HttpResponse:
    """429 as a page in the language of its address, with `Retry-After`."""
    language = translation.get_language_from_path(request.path_info) or settings.LANGUAGE_CODE
    with translation.override(language):
        body = render_to_string(
            "429.html", {"limit": limit, "retry": retry, "path": request.path}, request=request
        )
    response = HttpResponse(body, status=429)
    response["Retry-After"] = str(retry)
    response["Content-Language"] = language
    return response


class PublicRateLimitMiddleware:
    """At most `PILOTAGE_PAGE_RATE_LIMIT` page requests a minute per address, and
    `PILOTAGE_EXPORT_RATE_LIMIT` open-data downloads (0: no limit); beyond, 429.

    Early in the chain, so a refused request costs a cache hit and nothing else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        path = request.path_info
        if UNLIMITED_PATH.match(path):
            return self.get_response(request)
        if EXPORT_PATH.match(path):
            scope, limit = "exports", settings.PILOTAGE_EXPORT_RATE_LIMIT
        else:
            scope, limit = "pages", settings.PILOTAGE_PAGE_RATE_LIMIT
        retry = hit(scope, client_address(request), limit)
        if retry is not None:
            return too_many_page(request, limit, retry)
        return self.get_response(request)
