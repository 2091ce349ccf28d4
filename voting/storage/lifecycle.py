"""A meeting's life as a whole: a rehearsal (演练) turned into the real sitting, archived, deleted.

Each function is a job for the writer's transaction and writes ONE audit entry. The entry
names the items whose recorded counts it voids (`items`), so `audit.find_problems` forgets what
earlier entries promised for them: their ballots are gone by design, not by tampering.
"""

from __future__ import annotations

import sqlite3
from typing import TypedDict, cast

from voting.errors import Refused, Unconfirmed
from voting.storage.audit import append_audit
from voting.storage.rows import meeting_row


class Discarded(TypedDict):
    """What turning a rehearsal real discards (or would): counts of rows."""

    ballots: int
    voted: int
    comments: int
    paper: int
    followups: int


#: The tables that hold what was voted and followed up on an item, by item.
_VOTED_TABLES = ("ballots", "voted", "comments", "paper", "followups")


def _item_ids(conn: sqlite3.Connection, meeting_id: int) -> list[int]:
    return [r[0] for r in conn.execute("SELECT id FROM items WHERE meeting_id = ?", (meeting_id,))]


def discarded(conn: sqlite3.Connection, meeting_id: int) -> Discarded:
    """How many ballots, `voted` rows, comments, paper entries and follow-ups the meeting has."""
    meeting_row(conn, meeting_id)
    counts = {
        table: conn.execute(
            f"SELECT count(*) FROM {table} WHERE item_id IN"  # table names from a fixed set
            " (SELECT id FROM items WHERE meeting_id = ?)",
            (meeting_id,),
        ).fetchone()[0]
        for table in _VOTED_TABLES
    }
    return Discarded(**counts)  # type: ignore[typeddict-item]


def _discard(conn: sqlite3.Connection, meeting_id: int) -> None:
    """Remove every row that was voted, entered or followed up on the meeting's items."""
    items = "(SELECT id FROM items WHERE meeting_id = ?)"
    conn.execute(
        f"UPDATE followups SET carried_from = NULL WHERE carried_from IN {items}", (meeting_id,)
    )
    for table in _VOTED_TABLES:
        conn.execute(f"DELETE FROM {table} WHERE item_id IN {items}", (meeting_id,))
    conn.execute(  # the files of the discarded follow-ups' answers (`storage.answer_files`)
        f"DELETE FROM materials WHERE owner = 'followup' AND followup_item IN {items}",
        (meeting_id,),
    )
    conn.execute("DELETE FROM speeches WHERE meeting_id = ?", (meeting_id,))  # 述法 timed


def make_real(conn: sqlite3.Connection, meeting_id: int, confirm: bool) -> Discarded:
    """Turn a rehearsal into the real sitting: discard what it recorded, every item back to
    draft, every card released from its phone (the printed cards stay valid). Audit-logged.

    Without `confirm` nothing changes: `Refused` (409) says what would be discarded."""
    m = meeting_row(conn, meeting_id)
    if not m["rehearsal"]:
        raise Refused("not_rehearsal", "会议 %(meeting)s 已是正式测评。", meeting=meeting_id)
    counts = discarded(conn, meeting_id)
    if not confirm:
        raise Unconfirmed(
            "confirm_make_real",
            "转为正式测评将作废 %(ballots)s 张选票、%(comments)s 条意见、%(paper)s 条纸质票记录和"
            " %(followups)s 条整改记录；确认请附 confirm: true。",
            cast(dict[str, int], counts),
        )
    _discard(conn, meeting_id)
    conn.execute(
        "UPDATE items SET state = 'draft', closes_at = NULL WHERE meeting_id = ?", (meeting_id,)
    )
    # Cards a phone took through the join link go (else 应到 of them would stay taken and the
    # phones could not join again); printed cards are released and stay valid.
    conn.execute("DELETE FROM cards WHERE meeting_id = ? AND origin = 'join'", (meeting_id,))
    conn.execute("UPDATE cards SET device = NULL, present = 0 WHERE meeting_id = ?", (meeting_id,))
    conn.execute("UPDATE meetings SET rehearsal = 0 WHERE id = ?", (meeting_id,))
    append_audit(conn, meeting_id, "make_real", {**counts, "items": _item_ids(conn, meeting_id)})
    return counts


def opened_since_real(conn: sqlite3.Connection, meeting_id: int) -> bool:
    """Whether an item of the meeting was opened since it became (or was created) real."""
    row = conn.execute(
        "SELECT 1 FROM audit WHERE meeting_id = ? AND action IN ('open', 'reopen')"
        " AND id > coalesce((SELECT max(id) FROM audit WHERE meeting_id = ?"
        " AND action = 'make_real'), 0) LIMIT 1",
        (meeting_id, meeting_id),
    ).fetchone()
    return row is not None


def check_deletable(conn: sqlite3.Connection, meeting_id: int) -> sqlite3.Row:
    """The meeting, if it may be deleted: a rehearsal, or a real meeting none of whose items
    was opened since it became real. `Refused` otherwise."""
    m = meeting_row(conn, meeting_id)
    if not m["rehearsal"] and (
        opened_since_real(conn, meeting_id)
        or conn.execute(
            "SELECT 1 FROM items WHERE meeting_id = ? AND state <> 'draft'", (meeting_id,)
        ).fetchone()
    ):
        raise Refused(
            "has_results",
            "已开始过测评的正式会议不能删除，只能归档。",
        )
    return m


def delete_meeting(conn: sqlite3.Connection, meeting_id: int, backup: str) -> None:
    """Remove a rehearsal, or a real meeting none of whose items was ever opened, with all its
    rows; `backup` is the copy made just before. Audit-logged (the log keeps its entries)."""
    m = check_deletable(conn, meeting_id)
    items = _item_ids(conn, meeting_id)
    _discard(conn, meeting_id)
    conn.execute("DELETE FROM items WHERE meeting_id = ?", (meeting_id,))
    conn.execute("DELETE FROM cards WHERE meeting_id = ?", (meeting_id,))
    conn.execute("DELETE FROM meetings WHERE id = ?", (meeting_id,))
    append_audit(
        conn,
        meeting_id,
        "delete_meeting",
        {"title": m["title"], "rehearsal": bool(m["rehearsal"]), "backup": backup,
         "items": items},
    )  # fmt: skip


def set_archived(conn: sqlite3.Connection, meeting_id: int, archived: bool) -> None:
    """Hide a real meeting with results from the list (or show it again). Audit-logged."""
    m = meeting_row(conn, meeting_id)
    if m["rehearsal"]:
        raise Refused("rehearsal", "演练只能删除或转为正式测评，不能归档。")
    if (
        archived
        and not conn.execute(
            "SELECT 1 FROM items WHERE meeting_id = ? AND state IN ('closed', 'revealed')",
            (meeting_id,),
        ).fetchone()
    ):
        raise Refused("no_results", "只有已有结果的会议才能归档；此会议可以删除。")
    if bool(m["archived"]) != archived:
        conn.execute("UPDATE meetings SET archived = ? WHERE id = ?", (int(archived), meeting_id))
        append_audit(conn, meeting_id, "archive" if archived else "unarchive", {})
