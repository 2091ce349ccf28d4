"""View models: what the projector and the console are shown, built from the store's data."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from voting.meeting import seconds_left
from voting.store import Store


def screen_meeting(store: Store, meeting_id: int) -> dict[str, Any]:
    """The projector's picture of a meeting: title, items and states; never keys or tallies.

    `focus` is the meeting's latest move (see `last_move`): what the projector shows now.
    """
    m = store.meeting(meeting_id)
    now = time.time()
    return {
        "id": m["id"],
        "title": m["title"],
        "expected": m["expected"],
        "join_mode": m["join_mode"],
        "join_key": m["join_key"] if m["join_mode"] == "open" else None,
        "live_tallies": m["live_tallies"],
        "items": [
            {
                "id": i["id"],
                "subject": i["subject"],
                "person": i["person"],
                "kind": i["kind"],
                "batch": i["batch"],
                "state": i["state"],
                "seconds_left": seconds_left(i["closes_at"], now),
            }
            for i in m["items"]
        ],
        "focus": last_move(store, meeting_id, now),
    }


def last_move(store: Store, meeting_id: int, now: float | None = None) -> dict[str, Any] | None:
    """The meeting's latest open / close / reveal / reopen / reset: `{action, items, age}` (age
    in seconds, by the server's clock), or None before any.

    The projector shows what the secretary did last: the items just opened, just closed, or just
    revealed (one result, or a batch's ranked table), and the summary once everything is revealed
    and the last result has had its time on screen (so it needs the age, also after a reload).
    """
    move = store.last_move(meeting_id)
    if move is None:
        return None
    now = time.time() if now is None else now
    at = datetime.fromisoformat(move["at"]).timestamp()
    return {
        "action": move["action"],
        "items": [int(i) for i in move["items"]],
        "age": round(max(0.0, now - at), 1),
    }


def revealed_results(store: Store, meeting_id: int) -> dict[str, Any]:
    """Results of the revealed items only: what the projector may show."""
    return store.results(meeting_id, states=("revealed",))


def turnout(store: Store, meeting_id: int, *, live: bool) -> dict[str, Any]:
    """Turnout (已投 / 实到 / 应到); with live tallies, the open items' tallies too."""
    data = store.turnout(meeting_id)
    if live:
        data["tallies"] = store.results(meeting_id, states=("open",))["items"]
    return data
