"""Moves: items through draft → open → closed → revealed, their undo, and closing when due.

`voting.meeting` decides whether a move is legal and what undoes what; this module writes the
new states, discards an item's ballots on a reset, records the counts on a close and a reveal,
starts the follow-ups of a reveal, and appends the audit entry.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Mapping
from typing import Any

from voting import meeting, rules
from voting.records import LastMove, Moved
from voting.settings import Move
from voting.storage.audit import append_audit
from voting.storage.followups import start_followups
from voting.storage.rows import choice_counts, counted_group, meeting_row, present


def move_items(
    conn: sqlite3.Connection, meeting_id: int, request: Move, action: str, actor: str
) -> Moved:
    """Move the items of `request` (all of them, or none); `actor` goes into the audit log."""
    m = meeting_row(conn, meeting_id)
    states = dict(
        conn.execute("SELECT id, state FROM items WHERE meeting_id = ?", (meeting_id,)).fetchall()
    )
    planned = meeting.plan(states, request.items, action)
    detail: dict[str, Any] = {"items": list(request.items), "by": actor}
    if action == "open":
        detail["present"] = _check_quorum(conn, m, request)
    closes_at = None
    if action in ("open", "reopen") and request.seconds:
        closes_at = time.time() + request.seconds
        detail["seconds"] = request.seconds
    for item_id, state in planned.items():
        conn.execute(
            "UPDATE items SET state = ?, closes_at = ? WHERE id = ?", (state, closes_at, item_id)
        )
        if action == "reset":
            _discard_votes(conn, meeting_id, item_id)
    if action in ("close", "reveal"):
        detail["counts"] = {str(k): v for k, v in choice_counts(conn, list(request.items)).items()}
    if action == "reveal":
        created = start_followups(conn, m, list(request.items))
        if created:
            detail["followups"] = created
    append_audit(conn, meeting_id, action, detail)
    return {"items": {str(k): str(v) for k, v in planned.items()}}


def _check_quorum(conn: sqlite3.Connection, m: sqlite3.Row, request: Move) -> int:
    """实到 of the counted group; refuse to open without a quorum unless overridden, or with too
    few present for the best level to be reached unless confirmed; one audit entry says what the
    secretary went on despite."""
    counted = present(conn, m["id"], counted_group(m))
    overridden: dict[str, Any] = {}
    if not meeting.quorum_met(counted, m["expected"], m["quorum"]):
        meeting.check_quorum(counted, m["expected"], m["quorum"], override=request.override_quorum)
        overridden = {"present": counted, "expected": m["expected"]}
    scale, rule = rules.get_scale(m["scale"]), rules.parse_rule(json.loads(m["rule"]))
    how = rules.parse_combine(json.loads(m["combine"]))
    ok, needed = rules.best_reachable(scale, rule, how, m["expected"], counted)
    if not ok:
        best = scale.label(scale.levels[0])
        # Overriding the quorum is going on with too few present: the console's one question
        # says both, and a client that overrode before this check keeps working.
        confirmed = request.accept_unreachable or request.override_quorum
        meeting.check_best_reachable(counted, needed, best, confirmed=confirmed)
        overridden = {"present": counted, "expected": m["expected"], "unreachable": best,
                      "needed": needed}  # fmt: skip
    if overridden:
        append_audit(conn, m["id"], "override", overridden)
    return counted


def _discard_votes(conn: sqlite3.Connection, meeting_id: int, item_id: int) -> None:
    """A reset: the item's ballots, who voted on it, its comments and its paper ballots go."""
    conn.execute("DELETE FROM ballots WHERE item_id = ?", (item_id,))
    conn.execute(
        "DELETE FROM voted WHERE card_id IN (SELECT id FROM cards WHERE meeting_id = ?)"
        " AND item_id = ?",
        (meeting_id, item_id),
    )
    conn.execute("DELETE FROM comments WHERE item_id = ?", (item_id,))
    conn.execute("DELETE FROM paper WHERE item_id = ?", (item_id,))


def _latest_move_row(conn: sqlite3.Connection, meeting_id: int) -> sqlite3.Row | None:
    """The latest move; none after a rehearsal was turned real (its moves are not undone, nor
    shown on the projector)."""
    meeting_row(conn, meeting_id)
    row: sqlite3.Row | None = conn.execute(
        "SELECT action, detail, at FROM audit WHERE meeting_id = ? AND action IN"
        " ('open', 'close', 'reveal', 'reopen', 'reset', 'make_real') ORDER BY id DESC LIMIT 1",
        (meeting_id,),
    ).fetchone()
    return None if row is not None and row["action"] == "make_real" else row


def last_move(conn: sqlite3.Connection, meeting_id: int) -> LastMove | None:
    """The meeting's latest open / close / reveal / reopen / reset, as the audit log has it."""
    row = _latest_move_row(conn, meeting_id)
    if row is None:
        return None
    detail = json.loads(row["detail"])
    return {"action": row["action"], "items": detail["items"], "by": detail.get("by"),
            "at": row["at"]}  # fmt: skip


def undo_last(conn: sqlite3.Connection, meeting_id: int) -> Moved:
    """Take back the meeting's last move with the move `meeting.undo_of` names for it."""
    row = _latest_move_row(conn, meeting_id)
    inverse = meeting.undo_of(None if row is None else row["action"])
    assert row is not None  # undo_of refuses when there is no move to undo
    last: str = row["action"]
    items = tuple(json.loads(row["detail"])["items"])
    done = move_items(conn, meeting_id, Move(items), inverse.value, actor="undo")
    return {"undone": last, "action": inverse.value, **done}


def close_due(
    conn: sqlite3.Connection,
    meeting_ids: list[int],
    now: float,
    voted: Callable[[int], Mapping[str, int] | None],
    closed_one: Callable[[sqlite3.Connection, int], None],
) -> list[tuple[int, list[int]]]:
    """Close, per meeting, the open items that are due now (a job on the writer's thread).

    Asked again inside the transaction: a move may have come first. `closed_one(conn, meeting)`
    runs after each meeting's close (the store counts its 已投 afresh).
    """
    closed = []
    for meeting_id in meeting_ids:
        states = dict(
            conn.execute(
                "SELECT id, closes_at FROM items WHERE meeting_id = ? AND state = 'open'",
                (meeting_id,),
            ).fetchall()
        )
        ids = meeting.due_to_close({i: (meeting.State.OPEN, at) for i, at in states.items()}, now)
        ids = sorted(set(ids) | {i for m, i in due_items(conn, now, voted) if m == meeting_id})
        if ids:
            move_items(conn, meeting_id, Move(tuple(ids)), "close", actor="countdown")
            closed_one(conn, meeting_id)
            closed.append((meeting_id, ids))
    return closed


def due_items(
    conn: sqlite3.Connection, now: float, voted: Callable[[int], Mapping[str, int] | None]
) -> list[tuple[int, int]]:
    """(meeting, item) of open items to close: countdown run out, or (where the meeting says
    so) every present card has voted on every aspect.

    `voted(meeting)` is the meeting's 已投 as kept in memory (cards on each item's first
    aspect), or None: an item's votes are counted in the table, card by card, only once every
    present card could be among them (this runs every second).
    """
    due = {
        (r[0], r[1])
        for r in conn.execute(
            "SELECT meeting_id, id FROM items WHERE state = 'open' AND closes_at <= ?", (now,)
        )
    }
    for meeting_id, item_id, aspects, present_ in conn.execute(
        "SELECT i.meeting_id, i.id, json_array_length(m.aspects), (SELECT count(*) FROM cards c"
        "   WHERE c.meeting_id = m.id AND c.present = 1 AND c.revoked = 0)"
        " FROM items i JOIN meetings m ON m.id = i.meeting_id"
        " WHERE i.state = 'open' AND m.auto_close = 1"
    ).fetchall():
        known = voted(meeting_id)
        if present_ == 0 or (known is not None and known.get(str(item_id), 0) < present_):
            continue
        (rows,) = conn.execute(
            "SELECT count(*) FROM cards c CROSS JOIN voted v ON v.card_id = c.id"
            " WHERE c.meeting_id = ? AND v.item_id = ?",
            (meeting_id, item_id),
        ).fetchone()
        if rows >= aspects * present_:
            due.add((meeting_id, item_id))
    return sorted(due)
