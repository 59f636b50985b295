"""Public pages rendered once per data revision.

A public page carries nothing personal for an anonymous visitor (no account, no form
token, no message), so the same bytes serve every anonymous visitor until the data change
(a logged-in person's pages, which name them, are never kept): the page is kept under the read
model's revision (core.revisions), the language, the address with its query and whether
htmx asked for the fragment. A write through a service moves the revision, so the next
request renders anew in every process; what bypasses the services (a raw SQL fix) shows
within `PAGE_TTL` at most.
"""

from __future__ import annotations

import functools
import hashlib

from django.core.cache import cache
from django.http import HttpResponse

from pilotage.indicators.readmodel import read_model

PAGE_TTL = 60  # seconds
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language")


def once_per_revision(view):
    """Serve the view's 200 answers to GET from the cache while the revision holds."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        # A logged-in person's pages name them in the header: rendered for them alone.
        if request.method not in ("GET", "HEAD") or request.user.is_authenticated:
            return view(request, *args, **kwargs)
        parts = (
            str(read_model().revision),
            request.LANGUAGE_CODE,
            request.headers.get("HX-Request", ""),
            request.get_full_path(),
        )
        key = "page:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()
        kept = cache.get(key)
        if kept is not None:
            content, headers = kept
            return HttpResponse(content, headers=headers)
        response = view(request, *args, **kwargs)
        if hasattr(response, "render"):
            response = response.render()
        if response.status_code == 200 and not response.streaming and not response.cookies:
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            cache.set(key, (response.content, headers), PAGE_TTL)
        return response

    return wrapper
