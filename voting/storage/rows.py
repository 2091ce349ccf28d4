"""What every part of the store reads the same way: a meeting, an item, the present cards, the
counted ballots; and how a row becomes the record the API shows.

Every function takes the connection it runs on (the read snapshot or the writer's transaction).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from voting import clock, rules
from voting.errors import NotFound
from voting.records import Item, Meeting

SQLITE_INTS = range(-(2**63), 2**63)  # what an INTEGER column holds; other ids are no row's

#: {item: {aspect: {group: {choice: n}}}}
Counts = dict[int, dict[str, dict[str, dict[str, int]]]]


def now() -> str:
    """The time an entry or a record is stamped with (UTC, milliseconds), on the app's clock
    (`voting.clock`): a meeting's date is its `created_at`, so a test can hold two a quarter
    apart."""
    return datetime.fromtimestamp(clock.now(), UTC).isoformat(timespec="milliseconds")


def dumps(value: Any) -> str:
    """JSON as the database and the audit chain keep it: sorted keys, no spaces."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def meeting_row(conn: sqlite3.Connection, meeting_id: int) -> sqlite3.Row:
    if meeting_id not in SQLITE_INTS:
        raise NotFound("没有编号为 %(meeting)s 的会议。", meeting=meeting_id)
    row = conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    if row is None:
        raise NotFound("没有编号为 %(meeting)s 的会议。", meeting=meeting_id)
    return row


def item_of(conn: sqlite3.Connection, meeting_id: int, item_id: int) -> sqlite3.Row:
    """The meeting's item (NotFound for an unknown meeting, or an item of another one)."""
    meeting_row(conn, meeting_id)
    row = conn.execute(
        "SELECT * FROM items WHERE id = ? AND meeting_id = ?", (item_id, meeting_id)
    ).fetchone()
    if row is None:
        raise NotFound("会议 %(meeting)s 没有第 %(item)s 项。", meeting=meeting_id, item=item_id)
    return row


def meeting_record(row: sqlite3.Row) -> Meeting:
    """A meeting row as the API shows it (without its items)."""
    return {
        "id": row["id"],
        "title": row["title"],
        "expected": row["expected"],
        "scale": row["scale"],
        "rule": json.loads(row["rule"]),
        "combine": json.loads(row["combine"]),
        "aspects": json.loads(row["aspects"]),
        "secret": bool(row["secret"]),
        "allow_change": bool(row["allow_change"]),
        "join_mode": row["join_mode"],
        "join_key": row["join_key"],
        "screen_key": row["screen_key"],
        "quorum": row["quorum"],
        "live_tallies": bool(row["live_tallies"]),
        "auto_close": bool(row["auto_close"]),
        "followup_months": row["followup_months"],
        "created_at": row["created_at"],
        "rehearsal": bool(row["rehearsal"]),
        "archived": bool(row["archived"]),
        "speech_minutes": row["speech_minutes"],
        "speech_opens_vote": bool(row["speech_opens_vote"]),
    }


def item_record(row: sqlite3.Row) -> Item:
    """An item row as the API shows it; an item of kind 整改情况 brought from a follow-up also
    names that follow-up's item (`followup_item`)."""
    record: Item = {
        "id": row["id"],
        "position": row["position"],
        "subject": row["subject"],
        "person": row["person"],
        "kind": row["kind"],
        "batch": row["batch"],
        "state": row["state"],
        "closes_at": row["closes_at"],
        "speech_seconds": row["speech_seconds"],
    }
    if row["followup_item_id"] is not None:
        record["followup_item"] = row["followup_item_id"]
    return record


def items_of(conn: sqlite3.Connection, meeting_id: int) -> list[sqlite3.Row]:
    """The meeting's items in their order."""
    return conn.execute(
        "SELECT * FROM items WHERE meeting_id = ? ORDER BY position, id", (meeting_id,)
    ).fetchall()


def counted_group(m: sqlite3.Row) -> str:
    """The group whose cards count for 实到 and the quorum (常委会组成人员 by default)."""
    return rules.parse_combine(json.loads(m["combine"])).group


def open_items(conn: sqlite3.Connection, meeting_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM items WHERE meeting_id = ? AND state = 'open' ORDER BY position, id",
        (meeting_id,),
    ).fetchall()


def present(conn: sqlite3.Connection, meeting_id: int, grp: str | None = None) -> int:
    """实到: the meeting's checked-in cards that are not withdrawn (of one group, if given)."""
    sql = "SELECT count(*) FROM cards WHERE meeting_id = ? AND present = 1 AND revoked = 0"
    args: tuple[Any, ...] = (meeting_id,)
    if grp is not None:
        sql += " AND grp = ?"
        args += (grp,)
    count: int = conn.execute(sql, args).fetchone()[0]
    return count


def choice_counts(conn: sqlite3.Connection, item_ids: Sequence[int]) -> Counts:
    """{item: {aspect: {group: {choice: n}}}} straight from the ballots, plus the paper ballots
    entered for the item."""
    out: Counts = {i: {} for i in item_ids}
    if not item_ids:
        return out
    marks = ",".join("?" * len(item_ids))
    rows = conn.execute(
        f"SELECT item_id, aspect, grp, choice, count(*) FROM ballots WHERE item_id IN ({marks})"
        " GROUP BY item_id, aspect, grp, choice",
        tuple(item_ids),
    )
    for item_id, aspect, grp, choice, n in rows:
        out[item_id].setdefault(str(aspect), {}).setdefault(grp, {})[choice] = n
    for item_id, aspect, grp, choice, n in _paper_rows(conn, item_ids):
        cell = out[item_id].setdefault(str(aspect), {}).setdefault(grp, {})
        cell[choice] = cell.get(choice, 0) + n
    return out


def paper_counts(conn: sqlite3.Connection, item_ids: Sequence[int]) -> Counts:
    """{item: {aspect: {group: {choice: n}}}} of the paper ballots alone."""
    out: Counts = {i: {} for i in item_ids}
    if item_ids:
        for item_id, aspect, grp, choice, n in _paper_rows(conn, item_ids):
            out[item_id].setdefault(str(aspect), {}).setdefault(grp, {})[choice] = n
    return out


def _paper_rows(conn: sqlite3.Connection, item_ids: Sequence[int]) -> list[sqlite3.Row]:
    marks = ",".join("?" * len(item_ids))
    return conn.execute(
        f"SELECT item_id, aspect, grp, choice, count FROM paper WHERE item_id IN ({marks})",
        tuple(item_ids),
    ).fetchall()
