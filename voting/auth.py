"""Admin access: `Authorization: Bearer <admin token>` or a logged-in console session.

Every check of a presented secret goes through `check_secret`: a constant-time comparison, and
failures limited per target (`voting.limits`: the admin account, a meeting's screen key), never
per address. A browser that got a target right carries a signed cookie (`TRUSTED_COOKIE`) whose
attempts are counted apart, so guesses from elsewhere cannot lock it out.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import current_app, request, session
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from voting import rooms
from voting.context import ceping
from voting.errors import TooManyAttempts, Unauthorized
from voting.limits import ADMIN_POLICY, SCREEN_POLICY, Policy

ADMIN = "admin"  # the one admin account: the admin token and the console password
TRUSTED_COOKIE = "ceping_trusted"
TRUSTED_AGE = 365 * 24 * 3600

P = ParamSpec("P")
R = TypeVar("R")
ResponseT = TypeVar("ResponseT", bound=Response)


def token_ok(candidate: Any, token: str) -> bool:
    """Constant-time comparison of a presented token with the real one."""
    if not isinstance(candidate, str) or not candidate:
        return False
    return hmac.compare_digest(candidate.encode(), token.encode())


def screen_target(meeting_id: int) -> str:
    """A meeting's screen key as a target of guesses: named as its projectors' room."""
    return rooms.screen(meeting_id)


def policy_for(target: str) -> Policy:
    return ADMIN_POLICY if target == ADMIN else SCREEN_POLICY


def _serializer() -> URLSafeSerializer:
    key = current_app.secret_key
    assert key is not None  # the factory always sets one (instance/secret_key)
    return URLSafeSerializer(key, salt="ceping-trusted")


def trusted_targets() -> list[str]:
    """The targets this browser has got right before (from its signed cookie)."""
    value = request.cookies.get(TRUSTED_COOKIE)
    if not value:
        return []
    try:
        targets = _serializer().loads(value)
    except BadSignature:
        return []
    return [t for t in targets if isinstance(t, str)] if isinstance(targets, list) else []


def trust(response: ResponseT, target: str) -> ResponseT:
    """Mark this browser as one that got `target` right (after a login or a projector load)."""
    known = trusted_targets()
    if target not in known:
        known = [*known, target][-20:]
        response.set_cookie(
            TRUSTED_COOKIE, _serializer().dumps(known), max_age=TRUSTED_AGE,
            httponly=True, samesite="Lax",
        )  # fmt: skip
    return response


def check_secret(target: str, candidate: Any, *secrets: str | None) -> bool:
    """Whether `candidate` is one of `secrets`, a failure counted against `target`.

    Raises `TooManyAttempts` (and checks nothing) while the target waits after its failures.
    Nothing presented (no header, an empty field) is not an attempt.
    """
    if not isinstance(candidate, str) or not candidate:
        return False
    counter = f"{target}:trusted" if target in trusted_targets() else target
    throttle, policy = ceping().throttle, policy_for(target)
    wait = throttle.wait(counter, policy)
    if wait > 0:
        raise TooManyAttempts(wait)
    ok = False
    for secret in secrets:
        if secret:
            ok |= token_ok(candidate, secret)  # no short cut: every secret is compared
    if ok:
        throttle.succeeded(counter)
    else:
        throttle.failed(counter)
    return ok


def bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def is_admin() -> bool:
    """True for a request with the admin token or from a logged-in console."""
    if session.get("admin") is True:
        return True
    return check_secret(ADMIN, bearer(), ceping().admin_token)


def _session_only() -> bool:
    """A console login without the token: its changes need the page's CSRF token too."""
    return session.get("admin") is True and not token_ok(bearer(), ceping().admin_token)


def admin_required(view: Callable[P, R]) -> Callable[P, R]:
    """Let only the admin call `view`: 401 otherwise, 429 while the admin account waits."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not is_admin():
            raise Unauthorized("此操作须登录控制台或使用管理令牌（Authorization: Bearer …）。")
        if request.method not in ("GET", "HEAD", "OPTIONS") and _session_only():
            current_app.extensions["csrf"].protect()  # a 400 without the X-CSRFToken header
        return view(*args, **kwargs)

    return wrapped
