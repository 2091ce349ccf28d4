"""The 述法 speech timer as stored: one row per item's speech, its times on the app's clock.

`voting.speech` decides whether a step is legal and what the times say at a moment; this module
reads and writes the rows and appends one audit entry per step (`speech_start`, `speech_pause`,
`speech_resume`, `speech_end`).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from voting import speech
from voting.speech import Speech, Timer
from voting.storage.audit import append_audit
from voting.storage.rows import item_of, meeting_row


def _speech(row: sqlite3.Row) -> Speech:
    return Speech(
        started_at=row["started_at"],
        allotted=row["allotted"],
        paused_at=row["paused_at"],
        paused_total=row["paused_total"],
        ended_at=row["ended_at"],
    )


def _shown(row: sqlite3.Row, now: float) -> dict[str, Any]:
    """A speech at `now` with whose it is (the department and the person)."""
    s = _speech(row)
    shown: dict[str, Any] = dict(speech.timer(s, row["item_id"], now))
    # the elapsed time to the millisecond: a page ticking on from it is off by no whole second
    exact = round(speech.elapsed(s, now), 3)
    shown.update(subject=row["subject"], person=row["person"], exact=exact)
    return shown


_SELECT = (
    "SELECT s.*, i.subject, i.person FROM speeches s JOIN items i ON i.id = s.item_id"
    " WHERE s.meeting_id = ?"
)


def allotted(m: sqlite3.Row, item: sqlite3.Row) -> int:
    """The seconds an item's speech is given: its own, else the meeting's minutes."""
    own: int | None = item["speech_seconds"]
    return own if own is not None else int(m["speech_minutes"]) * 60


def step(
    conn: sqlite3.Connection, meeting_id: int, item_id: int, action: str, now: float
) -> dict[str, Any]:
    """Start, pause, resume or end an item's speech at `now`; the speech as it is then."""
    m = meeting_row(conn, meeting_id)
    item = item_of(conn, meeting_id, item_id)
    speech.check_item(item["kind"], item["state"], action, item_id)
    unfinished = conn.execute(
        "SELECT item_id FROM speeches WHERE meeting_id = ? AND ended_at IS NULL LIMIT 1",
        (meeting_id,),
    ).fetchone()
    speech.check_one_at_a_time(action, unfinished and unfinished[0], item_id)
    row = conn.execute("SELECT * FROM speeches WHERE item_id = ?", (item_id,)).fetchone()
    done = speech.apply(row and _speech(row), action, now, allotted(m, item), item_id)
    conn.execute(
        "INSERT INTO speeches (item_id, meeting_id, started_at, allotted, paused_at,"
        " paused_total, ended_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (item_id) DO UPDATE"
        " SET paused_at = excluded.paused_at, paused_total = excluded.paused_total,"
        " ended_at = excluded.ended_at",
        (item_id, meeting_id, done.started_at, done.allotted, done.paused_at,
         done.paused_total, done.ended_at),
    )  # fmt: skip
    shown = speech.timer(done, item_id, now)
    append_audit(
        conn, meeting_id, f"speech_{action}",
        {"item": item_id, "elapsed": shown["elapsed"], "allotted": done.allotted},
    )  # fmt: skip
    exact = round(speech.elapsed(done, now), 3)
    return {**shown, "subject": item["subject"], "person": item["person"], "exact": exact}


def current(conn: sqlite3.Connection, meeting_id: int, now: float) -> dict[str, Any] | None:
    """The meeting's speech shown now: the one running or paused, else the latest ended (the
    console offers its vote), or None before any."""
    row = conn.execute(
        _SELECT + " ORDER BY s.ended_at IS NOT NULL, s.started_at DESC LIMIT 1", (meeting_id,)
    ).fetchone()
    return None if row is None else _shown(row, now)


def speeches(conn: sqlite3.Connection, meeting_id: int, now: float) -> list[dict[str, Any]]:
    """Every speech of the meeting at `now`, in the order they were started (the report's)."""
    rows = conn.execute(_SELECT + " ORDER BY s.started_at", (meeting_id,)).fetchall()
    return [_shown(r, now) for r in rows]


def phone_speech(conn: sqlite3.Connection, meeting_id: int, now: float) -> dict[str, Any] | None:
    """What a waiting phone shows: the speech running or paused, or None."""
    shown = current(conn, meeting_id, now)
    if shown is None or shown["status"] == "ended":
        return None
    keep = ("subject", "person", "remaining", "status", "phase")
    return {k: shown[k] for k in keep}


__all__ = ["Timer", "allotted", "current", "phone_speech", "speeches", "step"]
