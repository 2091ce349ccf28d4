"""The next round: a department whose follow-up is marked 再次测评 brought to a later meeting as
an item of kind 整改情况 (`rectification`), and 上一轮整改情况 read for a meeting.

The new item names the follow-up it reviews (`items.followup_item_id`: the item whose follow-up
record it is). What is refused, and why, is said in each refusal; nothing is written then.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date
from typing import Any

from voting import rounds
from voting.errors import NotFound, Refused
from voting.records import Item
from voting.storage.audit import append_audit
from voting.storage.reads import results_of
from voting.storage.rows import item_record, meeting_row

KIND = "rectification"


def _source(conn: sqlite3.Connection, followup_item: int) -> sqlite3.Row:
    """The item whose own follow-up record is `followup_item`'s, with its meeting and record."""
    row = conn.execute(
        "SELECT i.id, i.subject, i.person, i.meeting_id, i.state, m.created_at, m.rehearsal,"
        " m.title, f.status FROM items i JOIN meetings m ON m.id = i.meeting_id"
        " JOIN followups f ON f.item_id = i.id WHERE i.id = ?",
        (followup_item,),
    ).fetchone()
    if row is None:
        raise NotFound("第 %(item)s 项没有整改记录。", item=followup_item)
    return row


def _check(conn: sqlite3.Connection, source: sqlite3.Row, target: sqlite3.Row) -> None:
    """Refuse what must not be brought: see each message."""
    if source["status"] != "re_evaluate":
        raise Refused(
            "not_re_evaluate",
            "“%(subject)s”的整改事项未标为“再次测评”，不能列入下一轮测评。",
            subject=source["subject"],
        )
    if source["state"] != "revealed":  # a record started by hand on an item never rated
        raise Refused(
            "not_revealed",
            "“%(subject)s”的测评结果尚未公布，其整改事项不能列入下一轮测评。",
            subject=source["subject"],
        )
    if source["rehearsal"]:
        raise Refused("rehearsal_followup", "演练的整改事项不能列入正式测评。")
    if target["rehearsal"]:
        raise Refused("target_rehearsal", "演练不能作为下一轮测评，请选择正式测评。")
    if target["archived"]:
        raise Refused("target_archived", "该测评已归档，不能再添加测评项。")
    if (target["created_at"], target["id"]) <= (source["created_at"], source["meeting_id"]):
        raise Refused(
            "target_not_later",
            "下一轮测评须晚于“%(title)s”（该整改事项所在的测评）。",
            title=source["title"],
        )
    linked = conn.execute(
        "SELECT id, state FROM items WHERE meeting_id = ? AND (followup_item_id = ?"
        " OR (kind = ? AND subject = ?)) ORDER BY state <> 'draft' DESC, id LIMIT 1",
        (target["id"], source["id"], KIND, source["subject"]),
    ).fetchone()
    if linked is not None and linked["state"] != "draft":
        raise Refused(
            "already_rated",
            "该测评已开始对“%(subject)s”的整改情况投票，不能再添加。",
            item=linked["id"],
            subject=source["subject"],
        )
    if linked is not None:
        raise Refused(
            "already_added",
            "该测评已有“%(subject)s”的整改情况测评项。",
            item=linked["id"],
            subject=source["subject"],
        )


def add_from_followup(conn: sqlite3.Connection, target_id: int, followup_item: int) -> Item:
    """Add the department of a follow-up marked 再次测评 to a later real meeting, as an item of
    kind 整改情况 after its last one, in draft, linked to the follow-up. Audit-logged."""
    target = meeting_row(conn, target_id)
    source = _source(conn, followup_item)
    _check(conn, source, target)
    last = conn.execute(
        "SELECT coalesce(max(position), 0) FROM items WHERE meeting_id = ?", (target_id,)
    ).fetchone()[0]
    cur = conn.execute(
        "INSERT INTO items (meeting_id, position, subject, person, kind, batch, followup_item_id)"
        " VALUES (?, ?, ?, ?, ?, '', ?)",
        (target_id, last + 1, source["subject"], source["person"], KIND, source["id"]),
    )
    item_id = cur.lastrowid
    append_audit(
        conn,
        target_id,
        "next_round",
        {
            "item": item_id,
            "followup": source["id"],
            "from_meeting": source["meeting_id"],
            "subject": source["subject"],
        },  # fmt: skip
    )
    return item_record(conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone())


def brought(conn: sqlite3.Connection, meeting_id: int) -> dict[str, list[dict[str, Any]]]:
    """{follow-up item: the 整改情况 items reviewing it at later meetings} for this meeting's
    follow-ups: `{meeting, title, item, state}` each."""
    meeting_row(conn, meeting_id)
    rows = conn.execute(
        "SELECT i.followup_item_id, i.id, i.meeting_id, i.state, m.title FROM items i"
        " JOIN meetings m ON m.id = i.meeting_id JOIN items s ON s.id = i.followup_item_id"
        " WHERE s.meeting_id = ? ORDER BY i.meeting_id, i.id",
        (meeting_id,),
    ).fetchall()
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        out[str(r["followup_item_id"])].append(
            {"meeting": r["meeting_id"], "title": r["title"], "item": r["id"], "state": r["state"]}
        )
    return dict(out)


def _candidates(conn: sqlite3.Connection, meeting_id: int) -> list[rounds.Earlier]:
    """Every revealed rating, at another meeting, of a department this meeting rates."""
    rows = conn.execute(
        "SELECT i.id, i.subject, i.person, i.meeting_id, m.title, m.created_at, m.rehearsal"
        " FROM items i JOIN meetings m ON m.id = i.meeting_id"
        " WHERE i.meeting_id <> ? AND i.state = 'revealed'"
        " AND i.subject IN (SELECT subject FROM items WHERE meeting_id = ?)",
        (meeting_id, meeting_id),
    ).fetchall()
    return [
        {
            "item": r["id"],
            "subject": r["subject"],
            "person": r["person"],
            "meeting": r["meeting_id"],
            "title": r["title"],
            "created_at": r["created_at"],
            "rehearsal": bool(r["rehearsal"]),
        }  # fmt: skip
        for r in rows
    ]


def previous_round(conn: sqlite3.Connection, meeting_id: int, today: date) -> rounds.PreviousRound:
    """上一轮整改情况 of a meeting (`rounds.previous_round`), read in one snapshot."""
    m = meeting_row(conn, meeting_id)
    items = conn.execute(
        "SELECT subject, followup_item_id, id FROM items WHERE meeting_id = ?"
        " ORDER BY position, id",
        (meeting_id,),
    ).fetchall()
    picked = rounds.latest_earlier(meeting_id, m["created_at"], _candidates(conn, meeting_id))
    by_meeting: dict[int, list[int]] = defaultdict(list)
    for earlier in picked.values():
        by_meeting[earlier["meeting"]].append(earlier["item"])
    results: dict[int, dict[str, Any]] = {}
    for other, ids in by_meeting.items():
        for item in results_of(conn, other, ("revealed",), only=ids)["items"]:
            results[item["id"]] = dict(item["aspects"][0]["result"])
    wanted = [e["item"] for e in picked.values()]
    marks = ",".join("?" * len(wanted))
    records: dict[int, rounds.Record] = {
        r["item_id"]: {"status": r["status"], "due": r["due"], "updated_at": r["updated_at"]}
        for r in conn.execute(
            f"SELECT item_id, status, due, updated_at FROM followups WHERE item_id IN ({marks})",
            wanted,
        )
    }
    links = {r["followup_item_id"]: r["id"] for r in items if r["followup_item_id"] is not None}
    subjects = [r["subject"] for r in items]
    return rounds.previous_round(meeting_id, subjects, picked, results, records, links, today)
