"""The secretary's console pages: login, the list of meetings, one meeting, its card sheet,
the follow-up ledger (整改台账).

The pages are shells: their script reads and changes everything through the HTTP API (with
the login session and its CSRF token) and hears live changes on the `/console` namespace.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from voting.auth import ADMIN, check_secret, is_admin, trust
from voting.context import ceping
from voting.errors import TooManyAttempts

bp = Blueprint("console", __name__, url_prefix="/console")


def card_url(token: str) -> str:
    """The address a card's QR code holds: the LAN address phones use, where it is known."""
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return f"{base.rstrip('/')}/v/{token}"
    return url_for("voter.ballot", token=token, _external=True)


def _safe_next(target: str | None) -> str:
    """Only a path on this server (no open redirect)."""
    if not target:
        return url_for("console.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("console.index")
    return target


def _login_page(error: str | None = None, status: int = 200) -> tuple[str, int]:
    return render_template("login.html", error=error, next=request.values.get("next")), status


@bp.get("/")
def index() -> str | tuple[str, int]:
    """The meetings: create, copy, open, delete or archive one (`?archived=1`: archived too)."""
    if not is_admin():
        return _login_page()
    store = ceping().store
    archived = request.args.get("archived") == "1"
    meetings = [_summary(store.meeting(m["id"])) for m in store.meetings(archived=archived)]
    return render_template("meetings.html", meetings=meetings, show_archived=archived)


def _summary(m: Mapping[str, Any]) -> dict[str, Any]:
    """A meeting as the list shows it: when it was made, its items counted by state."""
    states = {"draft": 0, "open": 0, "closed": 0, "revealed": 0}
    for item in m["items"]:
        states[item["state"]] = states.get(item["state"], 0) + 1
    try:
        created = datetime.fromisoformat(m["created_at"]).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        created = m["created_at"] or ""
    results = states["closed"] + states["revealed"]
    return {**m, "created": created, "states": states, "count": len(m["items"]),
            "deletable": m["rehearsal"] or states["draft"] == len(m["items"]),
            "archivable": not m["rehearsal"] and results > 0}  # fmt: skip


@bp.post("/login")
def login() -> ResponseReturnValue:
    """Log in with the admin token or the console password (CONSOLE_PASSWORD)."""
    secret = request.form.get("secret", "")
    password = current_app.config.get("CONSOLE_PASSWORD")
    try:
        ok = check_secret(ADMIN, secret, ceping().admin_token, password)
    except TooManyAttempts as exc:
        page, status = _login_page(
            _("尝试次数过多，请 %(seconds)s 秒后再试。", seconds=exc.retry_after), 429
        )
        return page, status, {"Retry-After": str(exc.retry_after)}
    if not ok:
        return _login_page(_("口令不正确。"), 401)
    session.clear()
    session["admin"] = True
    session.permanent = True
    return trust(redirect(_safe_next(request.form.get("next"))), ADMIN)


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    return redirect(url_for("console.index"))


@bp.get("/meetings/<int:meeting_id>")
def meeting(meeting_id: int) -> str | Response:
    """One meeting: prepare it, run it, see its results."""
    if not is_admin():
        return redirect(url_for("console.index", next=request.path))
    m = ceping().store.meeting(meeting_id)  # or the not-found page (voting.web_errors)
    screen = url_for("screen.projector", meeting_id=meeting_id, key=m["screen_key"])
    return render_template("console.html", meeting=m, screen_url=screen)


@bp.get("/meetings/<int:meeting_id>/cards")
def card_sheet(meeting_id: int) -> str | Response:
    """A4 sheets of QR cards to print, cut and hand out (shuffled, so a card names nobody)."""
    if not is_admin():
        return redirect(url_for("console.index", next=request.path))
    store = ceping().store
    m = store.meeting(meeting_id)  # or the not-found page
    wanted = request.args.get("group")
    cards = [
        {**c, "url": card_url(c["token"])}
        for c in store.cards(meeting_id)
        if not c["revoked"] and c["origin"] == "issued" and (not wanted or c["grp"] == wanted)
    ]
    return render_template("cards.html", meeting=m, cards=cards, group=wanted)


@bp.get("/ledger")
def ledger() -> str | Response:
    """The follow-up ledger (整改台账) of every real meeting, filtered by the query string (as
    `GET /api/ledger`), with the department's answer on each."""
    if not is_admin():
        return redirect(url_for("console.index", next=request.full_path.rstrip("?")))
    return render_template("ledger.html")
