"""Permission helpers shared by every app's `permissions.py`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


def require(allowed: bool, message: str = "") -> None:
    """Raise PermissionDenied unless `allowed`: the one way services refuse a write."""
    if not allowed:
        raise PermissionDenied(message or "You are not allowed to do this.")
