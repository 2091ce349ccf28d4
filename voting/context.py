"""The app's live objects: the store and who is connected, reached through `current_app`."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request

from voting.limits import Throttle
from voting.storage import Store


class Voters:
    """Which phone connections (Socket.IO sids) hold which card, per meeting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_sid: dict[str, tuple[int, int]] = {}
        self._by_card: dict[int, set[str]] = defaultdict(set)
        self._by_meeting: dict[int, set[int]] = defaultdict(set)

    def add(self, sid: str, card_id: int, meeting_id: int) -> None:
        with self._lock:
            self._by_sid[sid] = (card_id, meeting_id)
            self._by_card[card_id].add(sid)
            self._by_meeting[meeting_id].add(card_id)

    def drop(self, sid: str) -> None:
        with self._lock:
            found = self._by_sid.pop(sid, None)
            if found is None:
                return
            card_id, meeting_id = found
            sids = self._by_card[card_id]
            sids.discard(sid)
            if not sids:
                del self._by_card[card_id]
                self._by_meeting[meeting_id].discard(card_id)

    def card_of(self, sid: str) -> tuple[int, int] | None:
        """(card id, meeting id) of a connection, or None."""
        return self._by_sid.get(sid)

    def sids(self, card_id: int) -> list[str]:
        with self._lock:
            return list(self._by_card.get(card_id, ()))

    def cards(self, meeting_id: int) -> list[int]:
        with self._lock:
            return list(self._by_meeting.get(meeting_id, ()))


@dataclass
class Ceping:
    """Everything one app instance keeps besides its configuration."""

    store: Store
    admin_token: str
    socketio: Any  # the Flask-SocketIO instance (one per process, bound to the latest app)
    voters: Voters = field(default_factory=Voters)
    stopping: threading.Event = field(default_factory=threading.Event)
    throttle: Throttle = field(default_factory=Throttle)  # failed guesses per target
    # This app's Socket.IO server: pushes go through it, not through `socketio`, whose server is
    # the latest app's (tests make one app after another in a process, and a push of an app
    # that is stopping must never reach the next one's clients).
    server: Any = None

    def __post_init__(self) -> None:
        if self.server is None:
            self.server = self.socketio.server


def ceping() -> Ceping:
    return current_app.extensions["ceping"]


def sid() -> str:
    """The Socket.IO connection whose event is being handled (Flask-SocketIO sets it on the
    request of each event)."""
    connection: str = request.sid  # type: ignore[attr-defined]
    return connection
