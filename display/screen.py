"""The projector page, `/screen/<id>?key=<screen key>`: read from 10 m, live by Socket.IO."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, make_response, render_template, request, url_for

from display import qr
from voting.auth import check_secret, is_admin, screen_target, trust
from voting.context import ceping

bp = Blueprint("screen", __name__, url_prefix="/screen")


def join_url(join_key: str) -> str:
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return f"{base.rstrip('/')}/j/{join_key}"
    return url_for("voter.join", key=join_key, _external=True)


@bp.get("/<int:meeting_id>")
def projector(meeting_id: int) -> tuple[str, int] | Response:
    """The projector of one meeting; needs the meeting's screen key (or a console login)."""
    m = ceping().store.meeting(meeting_id)  # or the not-found page (voting.web_errors)
    key = request.args.get("key", "")
    target = screen_target(meeting_id)
    admitted = is_admin() or check_secret(target, key, m["screen_key"])  # or the wait page
    if not admitted:
        return render_template("not_found.html"), 404  # says nothing of which meetings exist
    join = join_url(m["join_key"]) if m["join_mode"] == "open" else None
    page = render_template(
        "screen.html",
        meeting=m,
        key=key,
        join_url=join,
        join_qr=qr.svg(join, border=2) if join else None,
    )
    return trust(make_response(page), target)  # its socket's reconnects count apart
