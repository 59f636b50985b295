"""The login's defences: django-axes' hooks (who is guessing, the lockout page, the audit
entry) and the shorter session of back-office staff.

The settings name `attempt_username` and `locked_out_response`; `AccountsConfig.ready`
connects the receivers to django-axes' and Django's signals.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pilotage.accounts import services
from pilotage.accounts.permissions import can_view_backoffice
from pilotage.core.ratelimit import client_address

# AccessAttempt.username is 255 characters: a longer one must not fail the request.
USERNAME_MAX_LENGTH = 254


def attempt_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """The account a login attempt is for, as the e-mail addresses are stored (lower case)."""
    credentials = credentials or {}
    username = credentials.get("username") or credentials.get("email")
    if username is None:
        data = getattr(request, "POST", None) or {}
        username = data.get("username")
    if not isinstance(username, str):
        return None
    return username.strip().lower()[:USERNAME_MAX_LENGTH]


def attempt_address(request: HttpRequest) -> str | None:
    """The client's address, the one the rate limits count; None if it is not one."""
    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def locked_out_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The same page for every account, existing or not: only the wait is told."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "accounts/login_locked_out.html",
        {"minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def on_user_locked_out(
    sender, request: HttpRequest | None = None, username=None, ip_address=None, **kwargs
) -> None:
    services.login_lockout_record(username=username, ip_address=ip_address)


def on_user_logged_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    # Back-office sessions can write: they end sooner than the others (OWASP ASVS 3.3).
    if request is not None and hasattr(request, "session") and can_view_backoffice(user):
        request.session.set_expiry(settings.PILOTAGE_STAFF_SESSION_AGE)
