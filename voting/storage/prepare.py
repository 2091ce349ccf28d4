"""Preparing a meeting (准备): its settings, its items and its cards; every change audit-logged.

Each function is a job for the writer's transaction. Settings that decide how ballots are cast
or counted are fixed once an item has been opened (`meeting.check_settings_change`); an item
can be changed or deleted only while it is in draft.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any, cast

from voting import cards, meeting, rules
from voting.errors import NotFound, Refused
from voting.records import Card, IssuedCard, Item, Meeting
from voting.settings import MeetingSettings, NewItem
from voting.storage.audit import append_audit
from voting.storage.rows import dumps, item_record, meeting_record, meeting_row, now

_MEETING_COLUMNS = (
    "title, expected, scale, rule, combine, aspects, secret, allow_change, join_mode, join_key,"
    " screen_key, quorum, live_tallies, auto_close, followup_months, created_at, rehearsal, id"
)


def _next_meeting_id(conn: sqlite3.Connection) -> int:
    """A number no meeting ever had: not even a deleted one, whose audit entries stay."""
    row = conn.execute(
        "SELECT max(coalesce((SELECT max(id) FROM meetings), 0),"
        " coalesce((SELECT max(meeting_id) FROM audit), 0)) + 1"
    ).fetchone()
    return int(row[0])


def create_meeting(conn: sqlite3.Connection, s: MeetingSettings) -> Meeting:
    rule = rules.parse_rule(s.rule).to_dict()
    combine = rules.parse_combine(s.combine).to_dict()
    cur = conn.execute(
        f"INSERT INTO meetings ({_MEETING_COLUMNS})"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (s.title, s.expected, s.scale, dumps(rule), dumps(combine),
         dumps(list(s.aspects)), int(s.secret), int(s.allow_change), s.join_mode,
         cards.new_token(), cards.new_token(), s.quorum, int(s.live_tallies),
         int(s.auto_close), s.followup_months, now(), int(s.rehearsal), _next_meeting_id(conn)),
    )  # fmt: skip
    meeting_id = cur.lastrowid
    assert meeting_id is not None
    conn.execute(
        "UPDATE meetings SET speech_minutes = ?, speech_opens_vote = ? WHERE id = ?",
        (s.speech_minutes, int(s.speech_opens_vote), meeting_id),
    )
    data = meeting_record(meeting_row(conn, meeting_id))
    append_audit(conn, meeting_id, "create", _shown(data))
    return data


def update_meeting(
    conn: sqlite3.Connection, meeting_id: int, changes: Mapping[str, Any]
) -> Meeting:
    """Change a meeting's settings (validated by `settings.meeting_changes`).

    The title and `followup_months` can change at any time. Every other setting decides how
    ballots are cast or counted, so it is fixed once any item has been opened.
    """
    meeting_row(conn, meeting_id)
    states = [
        r[0] for r in conn.execute("SELECT state FROM items WHERE meeting_id = ?", (meeting_id,))
    ]
    meeting.check_settings_change(changes, states)
    columns = {k: _column(k, v) for k, v in changes.items()}
    if columns:
        assignments = ", ".join(f"{k} = ?" for k in columns)
        conn.execute(
            f"UPDATE meetings SET {assignments} WHERE id = ?",  # keys from a fixed set
            (*columns.values(), meeting_id),
        )
        append_audit(conn, meeting_id, "settings", dict(changes))
    return meeting_record(meeting_row(conn, meeting_id))


def copy_meeting(conn: sqlite3.Connection, meeting_id: int, title: str | None = None) -> Meeting:
    """A new meeting with the same settings and items (all in draft), and no cards.

    A copy of a rehearsal is a rehearsal (turned real when it is time); a copy of a real
    meeting is real, and never archived."""
    old = meeting_row(conn, meeting_id)
    cur = conn.execute(
        f"INSERT INTO meetings ({_MEETING_COLUMNS}) SELECT ?, expected, scale, rule,"
        " combine, aspects, secret, allow_change, join_mode, ?, ?, quorum, live_tallies,"
        " auto_close, followup_months, ?, rehearsal, ?"
        " FROM meetings WHERE id = ?",
        (title or old["title"], cards.new_token(), cards.new_token(), now(),
         _next_meeting_id(conn), meeting_id),
    )  # fmt: skip
    new_id = cur.lastrowid
    assert new_id is not None
    conn.execute(
        "UPDATE meetings SET (speech_minutes, speech_opens_vote) ="
        " (SELECT speech_minutes, speech_opens_vote FROM meetings WHERE id = ?) WHERE id = ?",
        (meeting_id, new_id),
    )
    conn.execute(
        "INSERT INTO items (meeting_id, position, subject, person, kind, batch, speech_seconds)"
        " SELECT ?, position, subject, person, kind, batch, speech_seconds FROM items"
        " WHERE meeting_id = ? ORDER BY position, id",
        (new_id, meeting_id),
    )
    data = meeting_record(meeting_row(conn, new_id))
    append_audit(conn, new_id, "create", {**_shown(data), "copy_of": meeting_id})
    return data


def _shown(data: Mapping[str, Any]) -> dict[str, Any]:
    """A meeting's settings as the audit log keeps them: without its secret keys."""
    return {k: v for k, v in data.items() if k not in ("join_key", "screen_key", "items")}


def _column(key: str, value: Any) -> Any:
    """A setting as its column stores it."""
    if key in ("rule", "combine"):
        return dumps(value)
    if key == "aspects":
        return dumps(list(value))
    if isinstance(value, bool):
        return int(value)
    return value


def add_items(conn: sqlite3.Connection, meeting_id: int, items: Sequence[NewItem]) -> list[int]:
    """New items after the meeting's last one, in draft."""
    meeting_row(conn, meeting_id)
    last = conn.execute(
        "SELECT coalesce(max(position), 0) FROM items WHERE meeting_id = ?", (meeting_id,)
    ).fetchone()[0]
    ids = []
    for n, item in enumerate(items, last + 1):
        cur = conn.execute(
            "INSERT INTO items (meeting_id, position, subject, person, kind, batch)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (meeting_id, n, item.subject, item.person, item.kind, item.batch),
        )
        ids.append(cur.lastrowid)
    append_audit(conn, meeting_id, "add_items", {"items": ids})
    return cast(list[int], ids)


def edit_item(
    conn: sqlite3.Connection, meeting_id: int, item_id: int, changes: Mapping[str, Any]
) -> Item:
    """Change an item's subject, person, kind, batch or time to speak; only while in draft."""
    row = _draft_item(conn, meeting_id, item_id)
    if changes:
        assignments = ", ".join(f"{k} = ?" for k in changes)  # keys from a fixed set
        conn.execute(f"UPDATE items SET {assignments} WHERE id = ?", (*changes.values(), row["id"]))
        append_audit(conn, meeting_id, "edit_item", {"item": item_id, **changes})
    return item_record(conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone())


def delete_item(conn: sqlite3.Connection, meeting_id: int, item_id: int) -> None:
    """Remove an item that was never opened."""
    row = _draft_item(conn, meeting_id, item_id)
    conn.execute("UPDATE followups SET carried_from = NULL WHERE carried_from = ?",
                 (row["id"],))  # fmt: skip
    conn.execute("DELETE FROM followups WHERE item_id = ?", (row["id"],))
    conn.execute("DELETE FROM speeches WHERE item_id = ?", (row["id"],))
    conn.execute("DELETE FROM items WHERE id = ?", (row["id"],))
    append_audit(conn, meeting_id, "delete_item", {"item": item_id, "subject": row["subject"]})


def order_items(conn: sqlite3.Connection, meeting_id: int, ids: Sequence[int]) -> list[int]:
    """Put the meeting's items in this order; `ids` names every item once."""
    meeting_row(conn, meeting_id)
    have = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM items WHERE meeting_id = ? ORDER BY position, id", (meeting_id,)
        )
    ]
    if sorted(have) != sorted(ids) or len(set(ids)) != len(ids):
        raise Refused("bad_order", "须将会议的每个事项恰好列出一次。")
    for position, item_id in enumerate(ids, 1):
        conn.execute("UPDATE items SET position = ? WHERE id = ?", (position, item_id))
    append_audit(conn, meeting_id, "order_items", {"items": list(ids)})
    return list(ids)


def _draft_item(conn: sqlite3.Connection, meeting_id: int, item_id: int) -> sqlite3.Row:
    row: sqlite3.Row | None = conn.execute(
        "SELECT * FROM items WHERE id = ? AND meeting_id = ?", (item_id, meeting_id)
    ).fetchone()
    if row is None:
        raise NotFound("会议 %(meeting)s 没有第 %(item)s 项。", meeting=meeting_id, item=item_id)
    if row["state"] != "draft":
        raise Refused("not_draft", "第 %(item)s 项已开始过测评，不能再修改或删除。", item_id)
    return row


def issue_cards(
    conn: sqlite3.Connection, meeting_id: int, count: int, grp: str, origin: str
) -> list[IssuedCard]:
    """New cards numbered after the meeting's last card (audit-logged when issued, not joined)."""
    last = conn.execute(
        "SELECT coalesce(max(number), 0) FROM cards WHERE meeting_id = ?", (meeting_id,)
    ).fetchone()[0]
    issued: list[IssuedCard] = []
    for number in range(last + 1, last + count + 1):
        token = cards.new_token()
        conn.execute(
            "INSERT INTO cards (meeting_id, number, token, grp, origin) VALUES (?, ?, ?, ?, ?)",
            (meeting_id, number, token, grp, origin),
        )
        issued.append({"number": number, "token": token, "group": grp})
    if origin == "issued":
        append_audit(
            conn, meeting_id, "issue_cards", {"count": count, "group": grp, "first": last + 1}
        )
    return issued


def admit_card(conn: sqlite3.Connection, card_id: int, device: str) -> tuple[Card, cards.Admission]:
    """Decide again inside the transaction whether a phone may use a card (another phone may
    have won), and bind the device and check in if so."""
    row = cast(Card, dict(conn.execute("SELECT * FROM cards WHERE id = ?", (card_id,)).fetchone()))
    again = cards.admit(
        revoked=bool(row["revoked"]),
        bound_device=row["device"],
        checked_in=bool(row["present"]),
        device=device,
    )
    if again.ok:
        conn.execute("UPDATE cards SET device = ?, present = 1 WHERE id = ?", (device, row["id"]))
        row["device"], row["present"] = device, 1
    return row, again


def join(conn: sqlite3.Connection, join_key: str, device: str) -> Card:
    """Open join mode: the card this device already holds, or a fresh one up to 应到."""
    m = conn.execute("SELECT * FROM meetings WHERE join_key = ?", (join_key,)).fetchone()
    if m is None or m["join_mode"] != "open":
        raise NotFound("此加入链接无效。")
    held = conn.execute(
        "SELECT * FROM cards WHERE meeting_id = ? AND device = ? AND revoked = 0",
        (m["id"], device),
    ).fetchone()
    if held is not None:
        return cast(Card, dict(held))
    joined = conn.execute(
        "SELECT count(*) FROM cards WHERE meeting_id = ? AND origin = 'join'", (m["id"],)
    ).fetchone()[0]
    if joined >= m["expected"]:
        raise Refused("full", "本次会议名额已满，请联系工作人员。")
    (new,) = issue_cards(conn, m["id"], 1, "member", "join")
    conn.execute("UPDATE cards SET device = ?, present = 1 WHERE token = ?", (device, new["token"]))
    card = conn.execute("SELECT * FROM cards WHERE token = ?", (new["token"],)).fetchone()
    return cast(Card, dict(card))


def set_card(conn: sqlite3.Connection, meeting_id: int, number: int, action: str) -> int:
    """Release a card's device binding ('release') or withdraw it ('revoke'); its id."""
    row = conn.execute(
        "SELECT * FROM cards WHERE meeting_id = ? AND number = ?", (meeting_id, number)
    ).fetchone()
    if row is None:
        raise NotFound(
            "会议 %(meeting)s 没有 %(number)s 号测评卡。", meeting=meeting_id, number=number
        )
    if action == "release":
        conn.execute("UPDATE cards SET device = NULL WHERE id = ?", (row["id"],))
    else:
        conn.execute("UPDATE cards SET revoked = 1, device = NULL WHERE id = ?", (row["id"],))
    append_audit(conn, meeting_id, action, {"card": number})
    card_id: int = row["id"]
    return card_id
