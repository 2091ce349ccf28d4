"""Live pushes to the projector and the console, coalesced.

Votes and check-ins only mark a meeting as changed; one background task sends each changed
meeting's turnout at most once per `interval` (0.1 s by default) to the meeting's projector and
console rooms (`voting.rooms`). Phones never receive these. State changes of items (open, close,
reveal) are sent at once, and a reveal sends the result to the projector immediately.

It hears the store's signals (`voting.signals`), sent once the write they tell of is committed:
`mark` and `moved` run on the writer's after-commit path, so they only mark or emit.
"""

from __future__ import annotations

import time
from typing import Any

from voting import meeting, rooms, views
from voting.context import Ceping
from voting.signals import cards_changed, items_moved, screen_view, votes_recorded

#: Moves that bring the projector back from a view the secretary put up (上一轮整改情况)
LIVE_AGAIN = frozenset({"open", "close", "reveal", "reopen", "reset"})


class Pusher:
    def __init__(self, flask_app: Any, app: Ceping, interval: float = 0.1):
        self.flask_app = flask_app
        self.app = app
        self.interval = interval
        self.dirty: set[int] = set()
        self._last = 0.0
        self._wake: Any = None
        self._live: dict[int, bool] = {}
        self.views: dict[int, str] = {}  # a meeting's projector showing a view other than live
        votes_recorded.connect(self.mark, sender=app.store, weak=False)
        cards_changed.connect(self.mark, sender=app.store, weak=False)
        items_moved.connect(self.moved, sender=app.store, weak=False)
        screen_view.connect(self.show, sender=app.store, weak=False)

    def mark(self, sender: Any = None, *, meeting_id: int, **_: Any) -> None:
        """Note that a meeting's turnout changed; it goes out with the next push."""
        self.dirty.add(meeting_id)
        if self._wake is None:
            self._wake = self.app.server.eio.create_event()
            self.app.socketio.start_background_task(self._loop)
        self._wake.set()

    def moved(self, sender: Any = None, *, meeting_id: int, action: str, **_: Any) -> None:
        """Items changed state: send the new picture now, and the result on reveal."""
        store, emit = self.app.store, self.app.server.emit
        picture = views.screen_meeting(store, meeting_id)
        emit("meeting", picture, to=rooms.screen(meeting_id), namespace=rooms.SCREEN)
        emit("meeting", picture, to=rooms.console(meeting_id), namespace=rooms.CONSOLE)
        if action in LIVE_AGAIN and meeting_id in self.views:
            self.show(meeting_id=meeting_id, view="live")  # the vote goes on: back to it
        if action == "reveal":
            shown = views.revealed_results(store, meeting_id)
            emit("results", shown, to=rooms.screen(meeting_id), namespace=rooms.SCREEN)
            emit("results", shown, to=rooms.console(meeting_id), namespace=rooms.CONSOLE)
        self.mark(meeting_id=meeting_id)

    def view_of(self, meeting_id: int) -> dict[str, Any]:
        """What the projector is to show besides the live meeting: `{view}`, and for
        上一轮整改情况 its rows (`data`, labels in Chinese: the pages swap them)."""
        view = self.views.get(meeting_id, "live")
        if view == "previous_round":
            return {"view": view, "data": self.app.store.previous_round(meeting_id)}
        return {"view": "live"}

    def show(self, sender: Any = None, *, meeting_id: int, view: str, **_: Any) -> None:
        """The secretary put a view up on the projector (or took it down): tell the projector
        and the consoles now; a projector connecting later is told on connect."""
        if view == "live":
            self.views.pop(meeting_id, None)
        else:
            self.views[meeting_id] = view
        shown, emit = self.view_of(meeting_id), self.app.server.emit
        emit("view", shown, to=rooms.screen(meeting_id), namespace=rooms.SCREEN)
        emit("view", {"view": shown["view"]}, to=rooms.console(meeting_id), namespace=rooms.CONSOLE)

    def flush(self, meeting_id: int) -> None:
        """Send one meeting's turnout to its projector and console rooms."""
        live = self._live.get(meeting_id)
        if live is None:
            m = self.app.store.meeting(meeting_id)
            live = m["live_tallies"]
            if meeting.settings_locked(item["state"] for item in m["items"]):
                # Settings are fixed once an item has been opened: only then may it be kept.
                # Before, the secretary may still turn live tallies off.
                self._live[meeting_id] = live
        payload = views.turnout(self.app.store, meeting_id, live=live)
        payload["sent_at"] = time.time()
        emit = self.app.server.emit
        emit("turnout", payload, to=rooms.screen(meeting_id), namespace=rooms.SCREEN)
        emit("turnout", payload, to=rooms.console(meeting_id), namespace=rooms.CONSOLE)

    def _loop(self) -> None:
        sleep = self.app.socketio.sleep
        while not self.app.stopping.is_set():
            self._wake.wait(1.0)
            self._wake.clear()
            if not self.dirty:
                continue
            pause = self._last + self.interval - time.monotonic()
            if pause > 0:
                sleep(pause)
            if self.app.stopping.is_set():
                break
            meetings, self.dirty = self.dirty, set()
            for meeting_id in meetings:
                try:
                    self.flush(meeting_id)
                except Exception:  # one meeting's failure must not stop the others' pushes
                    self.flask_app.logger.exception("turnout push failed")
            self._last = time.monotonic()
