"""Socket.IO for the projector (`/screen`) and the secretary's console (`/console`).

Both only listen: the console acts through the HTTP API. Neither namespace accepts a phone's
card; the projector needs its meeting's screen key (in the projector URL) or the admin token.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, session
from flask_socketio import ConnectionRefusedError, emit, join_room

from voting import rooms, views
from voting.auth import ADMIN, check_secret, screen_target
from voting.context import ceping, sid
from voting.errors import N_, BadInput, NotFound, TooManyAttempts
from voting.events import OnePayload
from voting.storage import SQLITE_INTS
from voting.web_errors import say


def _meeting_id(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value if value in SQLITE_INTS else None  # a larger id is no meeting


def _is_admin(auth: Any) -> bool:
    if session.get("admin") is True:
        return True
    return isinstance(auth, dict) and check_secret(ADMIN, auth.get("token"), ceping().admin_token)


def _refuse_waiting(exc: TooManyAttempts) -> ConnectionRefusedError:
    told = say(exc.template, exc.params)
    return ConnectionRefusedError(told, {"error": exc.code, "retry_after": exc.retry_after})


class ScreenNamespace(OnePayload):
    """The projector: connect with `auth={"meeting": id, "key": screen key}`."""

    def on_connect(self, auth: Any = None) -> None:
        """Sent by: the projector page. Hears: this projector gets `meeting`, `turnout` and the
        revealed `results` now, and from then on every change of its meeting."""
        store = ceping().store
        meeting_id = _meeting_id(auth.get("meeting")) if isinstance(auth, dict) else None
        if meeting_id is None:
            raise ConnectionRefusedError(say(N_("请指定会议。")), {"error": "bad_auth"})
        try:
            m = store.meeting(meeting_id)
        except NotFound:
            raise ConnectionRefusedError(
                say(N_("没有这个会议。")), {"error": "unknown_meeting"}
            ) from None
        try:
            admitted = session.get("admin") is True or check_secret(
                screen_target(meeting_id), auth.get("key"), m["screen_key"]
            )
            admitted = admitted or _is_admin(auth)
        except TooManyAttempts as exc:
            raise _refuse_waiting(exc) from None
        if not admitted:
            raise ConnectionRefusedError(say(N_("投屏密钥错误。")), {"error": "unauthorized"})
        join_room(rooms.screen(meeting_id))
        emit("meeting", views.screen_meeting(store, meeting_id))
        emit("turnout", views.turnout(store, meeting_id, live=m["live_tallies"]))
        emit("results", views.revealed_results(store, meeting_id))
        pusher = current_app.extensions.get("ceping.pusher")
        if pusher is not None and meeting_id in pusher.views:  # a view the secretary put up
            emit("view", pusher.view_of(meeting_id))


class ConsoleNamespace(OnePayload):
    """The secretary's console: connect with `auth={"token": admin token}` or a console login."""

    def on_connect(self, auth: Any = None) -> None:
        """Sent by: the console page. Refused without the admin token. Hears: nobody yet."""
        try:
            admitted = _is_admin(auth)
        except TooManyAttempts as exc:
            raise _refuse_waiting(exc) from None
        if not admitted:
            raise ConnectionRefusedError(
                say(N_("控制台须登录或使用管理令牌。")), {"error": "unauthorized"}
            )

    def on_watch(self, data: Any = None) -> dict[str, Any]:
        """Sent by: the console, `{"meeting": id}`. Acks the meeting with its items and turnout;
        from then on this console hears `meeting`, `turnout` and `results` for it."""
        meeting_id = _meeting_id(data.get("meeting")) if isinstance(data, dict) else None
        if meeting_id is None:
            raise BadInput("请发送 {meeting: 编号}。", "bad_payload")
        m = ceping().store.meeting(meeting_id)  # or the ack of a NotFound (OnePayload)
        join_room(rooms.console(meeting_id))
        pusher = current_app.extensions.get("ceping.pusher")
        view = pusher.views.get(meeting_id, "live") if pusher is not None else "live"
        return {"ok": True, "meeting": m, "sid": sid(), "view": view}
