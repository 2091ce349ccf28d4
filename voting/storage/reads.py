"""Reads: meetings, cards, turnout, what the phones see, and the rows results are built from.

Each function runs on the connection it is given: the store's read snapshot, or the writer's
transaction where a write needs what it read (a reveal tallies the items it reveals).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import cast

from voting import cards, clock, views
from voting.errors import NotFound
from voting.records import Card, CardListing, Meeting, MeetingView, PhoneState, Results, Turnout
from voting.results import meeting_results
from voting.storage.rows import (
    SQLITE_INTS,
    choice_counts,
    counted_group,
    item_record,
    items_of,
    meeting_record,
    meeting_row,
    open_items,
    paper_counts,
    present,
)
from voting.storage.speech import phone_speech


def meeting_view(conn: sqlite3.Connection, meeting_id: int, voted: dict[str, int]) -> MeetingView:
    """The meeting with its items, their states and turnout (`voted`: its 已投 counts)."""
    data = meeting_record(meeting_row(conn, meeting_id))
    return {
        **data,
        "items": [item_record(r) for r in items_of(conn, meeting_id)],
        "turnout": turnout(conn, meeting_id, voted),
    }


def meetings(conn: sqlite3.Connection, archived: bool = False) -> list[Meeting]:
    """The meetings, newest first; the archived ones only if `archived`."""
    sql = "SELECT * FROM meetings" + ("" if archived else " WHERE archived = 0")
    rows = conn.execute(sql + " ORDER BY id DESC").fetchall()
    return [meeting_record(r) for r in rows]


def item_ids(conn: sqlite3.Connection, meeting_id: int) -> list[int]:
    return [r[0] for r in items_of(conn, meeting_id)]


def agenda_numbers(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, int]:
    """Each item's number on its meeting's agenda (1, 2, …: the console's 序号), by id; an id
    no item has is left out."""
    numbers = {}
    for item_id in ids:
        row = conn.execute("SELECT meeting_id, position FROM items WHERE id = ?", (item_id,))
        found = row.fetchone()
        if found is not None:
            numbers[item_id] = conn.execute(
                "SELECT COUNT(*) FROM items WHERE meeting_id = ?"
                " AND (position < ? OR (position = ? AND id <= ?))",
                (found[0], found[1], found[1], item_id),
            ).fetchone()[0]
    return numbers


def bound_cards(conn: sqlite3.Connection, meeting_id: int) -> list[int]:
    """The ids of the meeting's cards a phone holds."""
    rows = conn.execute(
        "SELECT id FROM cards WHERE meeting_id = ? AND device IS NOT NULL", (meeting_id,)
    )
    return [r[0] for r in rows]


def card_of(conn: sqlite3.Connection, token: str) -> Card | None:
    """The card behind a token, or None (a string that is not a token is not looked up)."""
    if not cards.looks_like_token(token):
        return None
    row = conn.execute("SELECT * FROM cards WHERE token = ?", (token,)).fetchone()
    return cast(Card, dict(row)) if row else None


def card_listing(conn: sqlite3.Connection, meeting_id: int) -> list[CardListing]:
    meeting_row(conn, meeting_id)
    rows = conn.execute(
        "SELECT number, token, grp, origin, present, revoked, device IS NOT NULL AS bound"
        " FROM cards WHERE meeting_id = ? ORDER BY number",
        (meeting_id,),
    )
    return [cast(CardListing, dict(r)) for r in rows]


def turnout(conn: sqlite3.Connection, meeting_id: int, voted: dict[str, int]) -> Turnout:
    """已投 per item (`voted`, kept in memory) / 实到 / 应到."""
    row = meeting_row(conn, meeting_id)
    return {
        "meeting": meeting_id,
        "expected": row["expected"],
        "present": present(conn, meeting_id, counted_group(row)),
        "present_all": present(conn, meeting_id),
        "voted": voted,
    }


def meeting_exists(conn: sqlite3.Connection, meeting_id: int) -> bool:
    """Whether there is such a meeting (an id too large for SQLite is none)."""
    return meeting_id in SQLITE_INTS and bool(
        conn.execute("SELECT 1 FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    )


def voted_per_item(conn: sqlite3.Connection, meeting_id: int) -> dict[str, int]:
    """已投 per opened item of a meeting, counted in the table: the cards that voted on its
    first aspect."""
    rows = conn.execute(
        "SELECT v.item_id, count(*) FROM cards c CROSS JOIN voted v ON v.card_id = c.id"
        " JOIN items i ON i.id = v.item_id"
        " WHERE c.meeting_id = ? AND i.state <> 'draft' AND v.aspect = 0 GROUP BY v.item_id",
        (meeting_id,),
    )
    return {str(item_id): n for item_id, n in rows}


def phone_state(conn: sqlite3.Connection, card_id: int) -> PhoneState:
    """What one phone sees: the open items, the options, and what this card has voted on."""
    card = conn.execute("SELECT * FROM cards WHERE id = ?", (card_id,)).fetchone()
    if card is None:
        raise NotFound("没有这张测评卡。")
    m = meeting_row(conn, card["meeting_id"])
    items = open_items(conn, m["id"])
    voted = conn.execute(
        "SELECT v.item_id, v.aspect FROM voted v JOIN items i ON i.id = v.item_id"
        " WHERE v.card_id = ? AND i.state = 'open'",
        (card_id,),
    ).fetchall()
    return views.phone_state(
        meeting_record(m), [item_record(r) for r in items], [(r[0], r[1]) for r in voted],
        card["revoked"], phone_speech(conn, m["id"], clock.now()),
    )  # fmt: skip


def shared_phone_state(conn: sqlite3.Connection, meeting_id: int) -> PhoneState:
    """The part of a phone's state every phone of a meeting shares (`voted` is None)."""
    m = meeting_row(conn, meeting_id)
    items = [item_record(r) for r in open_items(conn, meeting_id)]
    speech = phone_speech(conn, meeting_id, clock.now())
    return views.phone_state(meeting_record(m), items, None, False, speech)


def phone_states(
    conn: sqlite3.Connection, meeting_id: int, card_ids: Iterable[int]
) -> dict[int, PhoneState]:
    """Each card's phone state, for many cards of one meeting, with three queries in all."""
    wanted = set(card_ids)
    m = meeting_record(meeting_row(conn, meeting_id))
    items = [item_record(r) for r in open_items(conn, meeting_id)]
    voted: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for item_id, aspect, card_id in conn.execute(
        "SELECT v.item_id, v.aspect, v.card_id FROM cards c"
        " CROSS JOIN voted v ON v.card_id = c.id JOIN items i ON i.id = v.item_id"
        " WHERE c.meeting_id = ? AND i.state = 'open'",
        (meeting_id,),
    ):
        if card_id in wanted:
            voted[card_id].append((item_id, aspect))
    revoked = {
        r[0]
        for r in conn.execute(
            "SELECT id FROM cards WHERE meeting_id = ? AND revoked = 1", (meeting_id,)
        )
    }
    speech = phone_speech(conn, meeting_id, clock.now())
    return {c: views.phone_state(m, items, voted[c], c in revoked, speech) for c in wanted}


def results_of(
    conn: sqlite3.Connection, meeting_id: int, states: Sequence[str], only: Sequence[int] = ()
) -> Results:
    """The tallies of the meeting's items in `states` (of the items `only`, where given)."""
    m = meeting_row(conn, meeting_id)
    rows = [
        r
        for r in items_of(conn, meeting_id)
        if r["state"] in states and (not only or r["id"] in only)
    ]
    ids = [r["id"] for r in rows]
    by_group = {
        g: n
        for g, n in conn.execute(
            "SELECT grp, count(*) FROM cards WHERE meeting_id = ? AND present = 1"
            " AND revoked = 0 GROUP BY grp",
            (meeting_id,),
        )
    }
    issued = {
        g: n
        for g, n in conn.execute(
            "SELECT grp, count(*) FROM cards WHERE meeting_id = ? GROUP BY grp", (meeting_id,)
        )
    }
    return meeting_results(
        meeting_record(m), [item_record(r) for r in rows], choice_counts(conn, ids),
        by_group, issued, paper=paper_counts(conn, ids),
    )  # fmt: skip
