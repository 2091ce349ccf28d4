"""View models: what the phones, the projector and the console are shown, from the store's data.

A phone gets `phone_state` (its open items and what its card has voted on, never a tally); the
projector and the console get `screen_meeting`, `turnout` and `revealed_results`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from voting import rules, wording
from voting.meeting import seconds_left
from voting.records import Item, Meeting, PhoneState, Results

if TYPE_CHECKING:  # the store builds phone states with this module
    from voting.storage import Store


def phone_state(
    m: Meeting,
    items: Sequence[Item],
    voted: Iterable[tuple[int, int]] | None,
    revoked: bool,
    speech: dict[str, Any] | None = None,
) -> PhoneState:
    """The `state` event a phone receives, from a meeting and its open items.

    `voted` None means "what this phone knew is still true": sent to all phones at once after
    a move that cannot change which open items a card has voted on. `speech`: the 述法 running
    or paused, which a phone waiting for the vote shows.
    """
    scale = rules.get_scale(m["scale"])
    now = time.time()
    return {
        "meeting": {
            "id": m["id"],
            "title": m["title"],
            "allow_change": bool(m["allow_change"]),
            "rehearsal": bool(m.get("rehearsal", False)),
        },
        "scale": scale.to_dict(),
        "aspects": list(m["aspects"]),
        "items": [
            {
                "id": r["id"],
                "subject": r["subject"],
                "person": r["person"],
                "kind": r["kind"],
                "batch": r["batch"],
                "seconds_left": seconds_left(r["closes_at"], now),
            }
            for r in items
        ],
        "voted": None if voted is None else sorted([item, aspect] for item, aspect in voted),
        "revoked": bool(revoked),
        "speech": speech,
    }


def screen_meeting(store: Store, meeting_id: int) -> dict[str, Any]:
    """The projector's picture of a meeting: title, items and states; never keys or tallies.

    `focus` is the meeting's latest move (see `last_move`): what the projector shows now.
    """
    m = store.meeting(meeting_id)
    now = time.time()
    return {
        "id": m["id"],
        "title": m["title"],
        "rehearsal": m["rehearsal"],
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
        "speech": store.current_speech(meeting_id),
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


def revealed_results(store: Store, meeting_id: int) -> Results:
    """Results of the revealed items only: what the projector may show.

    Pushed to a room, one payload for every page in it: the rule line goes out in English too
    (`rule_text_en`) for the pages in English, which swap the labels themselves (`voting.labels`).
    """
    shown = store.results(meeting_id, states=("revealed",))
    shown["rule_text_en"] = wording.results_rule_text(shown, "en")
    return shown


def turnout(store: Store, meeting_id: int, *, live: bool) -> dict[str, Any]:
    """Turnout (已投 / 实到 / 应到); with live tallies, the open items' tallies too."""
    data: dict[str, Any] = dict(store.turnout(meeting_id))
    if live:
        data["tallies"] = store.results(meeting_id, states=("open",))["items"]
    return data
