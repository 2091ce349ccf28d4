"""The HTTP JSON API under /api: the secretary's calls (the console uses the same API).

Every call needs the admin token or a console login. Bad input gets a 4xx with
`{"error": code, "message": text}` and changes nothing.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from voting import events, settings
from voting.auth import admin_required
from voting.context import ceping
from voting.meeting import MoveRefused
from voting.settings import BadInput
from voting.signals import cards_changed, items_moved
from voting.store import NotFound, Refused

bp = Blueprint("api", __name__, url_prefix="/api")

ACTIONS = ("open", "close", "reveal", "reopen", "reset")
ID = "int(max=9223372036854775807)"  # SQLite's largest integer: a larger id is simply not found


def _error(status: int, code: str, message: str, **extra: Any):
    response = jsonify(error=code, message=message, **extra)
    response.status_code = status
    return response


@bp.errorhandler(BadInput)
def _bad_input(exc: BadInput):
    return _error(400, exc.code, exc.message)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return _error(404, exc.code, exc.message)


@bp.errorhandler(MoveRefused)
@bp.errorhandler(Refused)
def _refused(exc: MoveRefused | Refused):
    return _error(409, exc.code, exc.message, item=exc.item)


@bp.app_errorhandler(HTTPException)
def _http(exc: HTTPException):
    """Errors under /api answer in JSON, even where no route matched (404, 405, 413)."""
    if not request.path.startswith("/api/"):
        return exc
    code = (exc.name or "error").lower().replace(" ", "_")
    response = _error(exc.code or 500, code, exc.description or exc.name)
    if exc.code == 405:
        response.headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or ())
    return response


def _body() -> Any:
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise BadInput("The request body is nested too deeply.") from None
    if data is None:
        raise BadInput("The request body must be JSON (Content-Type: application/json).")
    return data


def _card_url(token: str) -> str:
    base = current_app.config.get("PUBLIC_URL")
    if base:
        return f"{base.rstrip('/')}/v/{token}"
    return url_for("voter.ballot", token=token, _external=True)


@bp.post("/meetings")
@admin_required
def create_meeting():
    meeting = ceping().store.create_meeting(settings.meeting_settings(_body()))
    return jsonify(meeting), 201


@bp.get("/meetings")
@admin_required
def list_meetings():
    return jsonify(meetings=ceping().store.meetings())


@bp.get(f"/meetings/<{ID}:meeting_id>")
@admin_required
def get_meeting(meeting_id: int):
    return jsonify(ceping().store.meeting(meeting_id))


@bp.post(f"/meetings/<{ID}:meeting_id>/items")
@admin_required
def add_items(meeting_id: int):
    ids = ceping().store.add_items(meeting_id, settings.new_items(_body()))
    items_moved.send(current_app._get_current_object(), meeting_id=meeting_id, action="add",
                     items=ids)  # fmt: skip
    return jsonify(ids=ids), 201


@bp.post(f"/meetings/<{ID}:meeting_id>/cards")
@admin_required
def issue_cards(meeting_id: int):
    count, group = settings.card_request(_body())
    issued = ceping().store.issue_cards(meeting_id, count, group)
    return jsonify(cards=[{**c, "url": _card_url(c["token"])} for c in issued]), 201


@bp.get(f"/meetings/<{ID}:meeting_id>/cards")
@admin_required
def list_cards(meeting_id: int):
    found = ceping().store.cards(meeting_id)
    return jsonify(cards=[{**c, "url": _card_url(c["token"])} for c in found])


@bp.post(f"/meetings/<{ID}:meeting_id>/cards/<{ID}:number>/<any(release, revoke):action>")
@admin_required
def change_card(meeting_id: int, number: int, action: str):
    card_id = ceping().store.set_card(meeting_id, number, action)
    events.disconnect_card(ceping(), card_id)
    cards_changed.send(current_app._get_current_object(), meeting_id=meeting_id)
    return jsonify(number=number, action=action)


@bp.post(f"/meetings/<{ID}:meeting_id>/<any({', '.join(ACTIONS)}):action>")
@admin_required
def move(meeting_id: int, action: str):
    request_ = settings.move(_body(), action)
    done = ceping().store.move(meeting_id, request_, action)
    app = current_app._get_current_object()
    items_moved.send(app, meeting_id=meeting_id, action=action, items=list(request_.items))
    events.push_states(ceping(), meeting_id)
    return jsonify(done)


@bp.get(f"/meetings/<{ID}:meeting_id>/results")
@admin_required
def results(meeting_id: int):
    return jsonify(
        {**ceping().store.results(meeting_id), "audit_head": ceping().store.audit_head()}
    )


@bp.get(f"/meetings/<{ID}:meeting_id>/turnout")
@admin_required
def turnout(meeting_id: int):
    return jsonify(ceping().store.turnout(meeting_id))


@bp.get(f"/meetings/<{ID}:meeting_id>/audit")
@admin_required
def audit(meeting_id: int):
    ceping().store.meeting(meeting_id)  # 404 for an unknown meeting
    return jsonify(entries=ceping().store.audit_log(meeting_id))


@bp.get("/verify")
@admin_required
def verify():
    problems = ceping().store.verify()
    return jsonify(ok=not problems, problems=problems, audit_head=ceping().store.audit_head())
