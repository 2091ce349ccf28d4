"""Follow-up (整改) records: started by the reveal of an item that fell short, then kept up.

An item whose verdict falls short of the best level (`results.needs_followup`) gets a `pending`
record when it is revealed, due `followup_months` after the reveal's date. An item with no
record of its own shows the record of the latest earlier meeting that rated the same department
(`subject`), with `carried_from` naming that earlier item. Only real meetings' records are
carried over: a rehearsal's never reach another meeting.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from voting import clock, rules
from voting.errors import NotFound
from voting.records import Followup, FollowupEntry
from voting.results import add_months, needs_followup
from voting.settings import FollowupChange
from voting.storage.audit import append_audit
from voting.storage.reads import results_of
from voting.storage.rows import item_of, now


def start_followups(
    conn: sqlite3.Connection, m: sqlite3.Row, item_ids: list[int]
) -> dict[str, dict[str, Any]]:
    """On reveal: a `pending` record for each item just revealed whose verdict falls short.

    Returns {item: record} of those created, which the reveal's audit entry keeps."""
    created: dict[str, dict[str, Any]] = {}
    scale = rules.get_scale(m["scale"])
    # only the items just revealed are tallied (on the writer's thread, inside the reveal)
    shown = results_of(conn, m["id"], ("revealed",), only=item_ids)
    due = add_months(clock.today(), m["followup_months"]).isoformat()
    for item in shown["items"]:
        verdict = item["aspects"][0]["result"]["verdict"]
        if not needs_followup(scale, verdict):
            continue
        if conn.execute("SELECT 1 FROM followups WHERE item_id = ?", (item["id"],)).fetchone():
            continue
        carried = _earlier_followup(conn, m["id"], item["subject"])
        conn.execute(
            "INSERT INTO followups (item_id, status, due, notes, carried_from, updated_at)"
            " VALUES (?, 'pending', ?, '', ?, ?)",
            (item["id"], due, carried, now()),
        )
        created[str(item["id"])] = {
            "status": "pending", "due": due, "notes": "", "carried_from": carried,
            "verdict": verdict,
        }  # fmt: skip
    return created


def own_followup(conn: sqlite3.Connection, meeting_id: int, item_id: int) -> sqlite3.Row:
    """The item's own follow-up record (not one it carries); NotFound when the item, of this
    meeting, has none."""
    found = conn.execute(
        "SELECT f.* FROM followups f JOIN items i ON i.id = f.item_id"
        " WHERE f.item_id = ? AND i.meeting_id = ?",
        (item_id, meeting_id),
    ).fetchone()
    if found is None:
        raise NotFound("第 %(item)s 项没有整改记录。", item=item_id)
    return found


def _earlier_followup(conn: sqlite3.Connection, meeting_id: int, subject: str) -> int | None:
    """The item of the latest earlier real meeting rating `subject` that has a follow-up
    record (a rehearsal's are never carried over)."""
    row = conn.execute(
        "SELECT f.item_id FROM followups f JOIN items i ON i.id = f.item_id"
        " JOIN meetings m ON m.id = i.meeting_id"
        " WHERE i.subject = ? AND i.meeting_id < ? AND m.rehearsal = 0"
        " ORDER BY i.meeting_id DESC, i.id DESC LIMIT 1",
        (subject, meeting_id),
    ).fetchone()
    return row[0] if row else None


def _followup_record(row: sqlite3.Row, carried_from: int | None, today: date) -> Followup:
    due = row["due"]
    return {
        "status": row["status"],
        "due": due,
        "notes": row["notes"],
        "overdue": bool(
            due and row["status"] in ("pending", "in_progress") and due < today.isoformat()
        ),
        "carried_from": carried_from,
    }


def followups_of(conn: sqlite3.Connection, meeting_id: int, today: date) -> dict[int, Followup]:
    """Item id → its follow-up record (its own, or carried from an earlier meeting)."""
    out: dict[int, Followup] = {}
    items = conn.execute(
        "SELECT id, subject FROM items WHERE meeting_id = ? ORDER BY position, id", (meeting_id,)
    ).fetchall()
    for item in items:
        own = conn.execute("SELECT * FROM followups WHERE item_id = ?", (item["id"],)).fetchone()
        if own is not None:
            out[item["id"]] = _followup_record(own, own["carried_from"], today)
            continue
        earlier = _earlier_followup(conn, meeting_id, item["subject"])
        if earlier is not None:
            row = conn.execute("SELECT * FROM followups WHERE item_id = ?", (earlier,)).fetchone()
            out[item["id"]] = _followup_record(row, earlier, today)
    return out


def _entry(record: Followup | None) -> FollowupEntry | None:
    """A follow-up record as the audit log keeps it (without what is computed)."""
    if record is None:
        return None
    return {
        "status": record["status"],
        "due": record["due"],
        "notes": record["notes"],
        "carried_from": record["carried_from"],
    }


def set_followup(
    conn: sqlite3.Connection, meeting_id: int, item_id: int, change: FollowupChange, today: date
) -> Followup:
    """Change an item's follow-up record (creating the item's own one if it has none: from
    the record it carries, if any, else a new `pending` one). Audit-logged."""
    item_of(conn, meeting_id, item_id)
    before = followups_of(conn, meeting_id, today).get(item_id)
    own = conn.execute("SELECT 1 FROM followups WHERE item_id = ?", (item_id,)).fetchone()
    base: FollowupEntry = _entry(before) or {
        "status": "pending", "due": None, "notes": "", "carried_from": None
    }  # fmt: skip
    new: FollowupEntry = {
        "status": change.status or base["status"],
        "due": None if change.clear_due else (change.due or base["due"]),
        "notes": base["notes"] if change.notes is None else change.notes,
        "carried_from": base["carried_from"],
    }
    if own:
        conn.execute(
            "UPDATE followups SET status = ?, due = ?, notes = ?, updated_at = ? WHERE item_id = ?",
            (new["status"], new["due"], new["notes"], now(), item_id),
        )
    else:
        conn.execute(
            "INSERT INTO followups (item_id, status, due, notes, carried_from,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (item_id, new["status"], new["due"], new["notes"], new["carried_from"], now()),
        )
    append_audit(
        conn, meeting_id, "followup", {"item": item_id, "before": _entry(before), "after": new}
    )
    return followups_of(conn, meeting_id, today)[item_id]
