"""The phone's entry points: `/v/<token>` (a card's QR code) and `/j/<key>` (open join mode)."""

from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from voting import cards
from voting.context import ceping
from voting.errors import NotFound, Refused

bp = Blueprint("voter", __name__)

COOKIE_AGE = 7 * 24 * 3600


def _device() -> tuple[str, bool]:
    """This browser's device id from its cookie, or a new one (and whether it is new)."""
    current = request.cookies.get(cards.DEVICE_COOKIE)
    if current and cards.DEVICE_RE.match(current):
        return current, False
    return cards.new_device_id(), True


def _with_cookie(response: Response, device: str, new: bool) -> Response:
    if new:
        response.set_cookie(
            cards.DEVICE_COOKIE, device, max_age=COOKIE_AGE, httponly=True, samesite="Lax"
        )
    return response


@bp.get("/v/<token>")
def ballot(token: str) -> tuple[str, int] | Response:
    """The ballot page of one card; a refusal page for an unknown, bound or withdrawn card.

    Only looks: the card is bound to this device when the page's socket connects, not here.
    """
    card = ceping().store.card(token)
    if card is None:
        return render_template("voter_refused.html", reason="unknown_card"), 404
    device, new = _device()
    decision = cards.admit(
        revoked=bool(card["revoked"]),
        bound_device=card["device"],
        checked_in=bool(card["present"]),
        device=cards.device_key(device),
    )
    if not decision.ok:
        title = ceping().store.meeting(card["meeting_id"])["title"]
        page = render_template("voter_refused.html", reason=decision.error, title=title)
        return _with_cookie(make_response(page, 409), device, new)
    meeting = ceping().store.meeting(card["meeting_id"])
    materials = ceping().store.materials.items_with(meeting["id"])  # their 查看材料
    general = ceping().store.materials.has_general(meeting["id"])  # 会议材料 while waiting
    page = render_template("voter.html", card=card, meeting=meeting, token=token,
                           materials=materials, general=general)  # fmt: skip
    return _with_cookie(make_response(page), device, new)


@bp.get("/j/<key>")
def join(key: str) -> tuple[str, int] | Response:
    """Open join mode: hand this device its card (a fresh one on first visit)."""
    device, new = _device()
    try:
        card = ceping().store.join(key, cards.device_key(device))
    except NotFound:
        return render_template("voter_refused.html", reason="unknown_link"), 404
    except Refused:
        return render_template("voter_refused.html", reason="full"), 409
    response = redirect(url_for("voter.ballot", token=card["token"]))
    return _with_cookie(response, device, new)
