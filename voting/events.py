"""Socket.IO for phones: the `/voter` namespace (the `state` pushes they receive after a write
are sent by `voting.dispatch`).

Handlers parse and validate, call the store, and answer with an ack; a refusal (a `CepingError`
raised on the way) is acked by `OnePayload` through `voting.web_errors.ack`. A phone never
receives a tally: only the open items, the options, and which of them this card has voted on.
"""

from __future__ import annotations

from typing import Any

from flask import request
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room

from voting import cards, rooms, settings
from voting.context import Ceping, ceping, sid
from voting.errors import BadInput, CepingError, NotFound
from voting.web_errors import ack, say


def _not_connected() -> CepingError:
    return CepingError("请用测评卡重新连接。", "not_connected")


class OnePayload(Namespace):
    """A namespace whose events each take one payload (or none), and answer a refusal with an ack.

    A handler raises a `CepingError`; the client's ack is then `{"ok": false, "error", "message",
    ...}` (`voting.web_errors.ack`). A client that sends more than one payload
    (`emit("vote", a, b, ack)`) gets the same refusal instead of a handler called with arguments
    it does not take.
    """

    def trigger_event(self, event: str, *args: Any) -> Any:
        # args: the connection's sid, then what the client sent
        handler = getattr(self, f"on_{event}", None)
        if handler is None or event in ("connect", "disconnect"):
            return super().trigger_event(event, *args)

        def answered(*payload: Any) -> Any:
            # inside the event's request context: the refusal is told in the page's language
            try:
                if len(payload) > 1:
                    raise BadInput("每个事件只发送一份数据。", "bad_payload")
                return handler(*payload)
            except CepingError as exc:
                return ack(exc)

        return self.socketio._handle_event(answered, event, self.namespace, *args)


class VoterNamespace(OnePayload):
    """The phones' namespace: connect with `auth={"token": <card token>, "device"?: id}`."""

    def on_connect(self, auth: Any = None) -> None:
        """Sent by: a phone (the ballot page, or a script with a card token).

        Refused (connect_error with `data.error`) for an unknown, withdrawn or bound card.
        Hears: this phone alone gets `state`; the console and projector get the new 实到
        (coalesced) when this is the card's first use.
        """
        token = auth.get("token") if isinstance(auth, dict) else None
        device = auth.get("device") if isinstance(auth, dict) else None
        device = device or request.cookies.get(cards.DEVICE_COOKIE)
        app = ceping()
        try:
            if not isinstance(token, str):
                raise NotFound("此测评卡无效。")
            card, decision = app.store.use_card(token, cards.device_key(device))
        except NotFound as exc:
            raise ConnectionRefusedError(
                say(exc.template, exc.params), {"error": "unknown_card"}
            ) from None
        if not decision.ok:
            raise ConnectionRefusedError(say(decision.message or ""), {"error": decision.error})
        app.voters.add(sid(), card["id"], card["meeting_id"])
        join_room(rooms.voters(card["meeting_id"]))
        emit("state", app.store.voter_state(card["id"]))

    def on_disconnect(self, reason: Any = None) -> None:
        """Sent by: the server when a phone goes away. Hears: nobody."""
        ceping().voters.drop(sid())

    def on_state(self, data: Any = None) -> dict[str, Any]:
        """Sent by: a phone that wants its state again (after a resume). Hears: this phone (ack)."""
        app = ceping()
        held = app.voters.card_of(sid())
        if held is None:
            raise _not_connected()
        return {"ok": True, "state": app.store.voter_state(held[0])}

    def on_vote(self, data: Any = None) -> dict[str, Any]:
        """Sent by: a phone, `{"votes": [{"item", "choice", "ballot", "aspect"?, "comment"?}]}`.

        All votes of one message are kept or none; a comment (意见建议, up to 500 characters) is
        kept once, with its ballot's first recording, apart from the ballot. Acked after the
        commit with `{"ok": true, "votes": ["recorded" | "unchanged" | "changed", ...]}`, or
        `{"ok": false, "error", "message", "item"?}`. Hears: this card's other tabs get `state`;
        the console and projector get turnout, coalesced (never one push per vote).
        """
        app, connection = ceping(), sid()
        held = app.voters.card_of(connection)
        if held is None:
            raise _not_connected()
        card_id, _ = held
        statuses = app.store.cast(card_id, settings.votes(data), origin=connection)
        return {"ok": True, "votes": statuses}


def clock(flask_app: Any, interval: float = 1.0) -> None:
    """Background task: close items whose countdown has run out (the store tells everyone)."""
    app: Ceping = flask_app.extensions["ceping"]
    while not app.stopping.is_set():
        app.socketio.sleep(interval)
        try:
            app.store.close_due()
        except Exception:  # the clock must keep going; the next tick tries again
            flask_app.logger.exception("countdown check failed")
