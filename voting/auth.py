"""Admin access: `Authorization: Bearer <admin token>` or a logged-in console session."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import current_app, jsonify, request, session

from voting.context import ceping


def token_ok(candidate: Any, token: str) -> bool:
    """Constant-time comparison of a presented token with the real one."""
    if not isinstance(candidate, str) or not candidate:
        return False
    return hmac.compare_digest(candidate.encode(), token.encode())


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def is_admin() -> bool:
    """True for a request with the admin token or from a logged-in console."""
    if session.get("admin") is True:
        return True
    return token_ok(bearer(), ceping().admin_token)


def _session_only() -> bool:
    """A console login without the token: its changes need the page's CSRF token too."""
    return session.get("admin") is True and not token_ok(bearer(), ceping().admin_token)


def admin_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not is_admin():
            response = jsonify(
                error="unauthorized",
                message="This needs the admin token (Authorization: Bearer …) or a console login.",
            )
            response.status_code = 401
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        if request.method not in ("GET", "HEAD", "OPTIONS") and _session_only():
            current_app.extensions["csrf"].protect()  # a 400 without the X-CSRFToken header
        return view(*args, **kwargs)

    return wrapped
