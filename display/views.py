"""View models: what the projector and the console are shown, built from the store's data."""

from __future__ import annotations

import time
from typing import Any

from voting.meeting import seconds_left
from voting.store import Store


def screen_meeting(store: Store, meeting_id: int) -> dict[str, Any]:
    """The projector's picture of a meeting: title, items and states; never keys or tallies."""
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
