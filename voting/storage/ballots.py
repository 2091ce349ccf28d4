"""Ballots: casting a phone's votes, the comments that come with them, and paper ballots.

A vote is checked against what `Known` keeps of its card and meeting, then written as a `voted`
row (which card voted on what) and a `ballots` row (the choice, under the ballot's random id,
with no card in a secret meeting), in the same transaction. A comment is kept once, when its
ballot is first recorded, in a table of its own. Paper ballots (补录) are counts entered after
the close and before the reveal, counted with the ballots.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from voting import rules
from voting.errors import N_, Refused
from voting.records import PaperEntered
from voting.settings import PaperEntry, Vote
from voting.storage.audit import append_audit
from voting.storage.rows import choice_counts, counted_group, item_of, items_of, meeting_row
from voting.writer import Writer

# Why paper ballots cannot be entered, by the item's state.
_NOT_CLOSED = {
    "draft": N_("只有已结束、尚未揭晓的事项才能录入纸质票；第 %(item)s 项尚未开始测评。"),
    "open": N_("只有已结束、尚未揭晓的事项才能录入纸质票；第 %(item)s 项正在测评。"),
    "revealed": N_("只有已结束、尚未揭晓的事项才能录入纸质票；第 %(item)s 项已揭晓。"),
}


@dataclass(frozen=True)
class BallotCard:
    """What a vote needs of its card."""

    meeting_id: int
    grp: str
    revoked: bool


@dataclass(frozen=True)
class BallotRules:
    """What a vote is checked against in its meeting: the scale, the settings, the items."""

    scale: rules.Scale
    aspects: int
    secret: bool
    allow_change: bool
    items: Mapping[int, str]  # each item of the meeting: its state


class Known:
    """The cards and meetings that votes were checked against, kept between votes.

    Only the writer's thread uses it. Nothing but a write changes a card, a meeting or an item,
    and every write but a vote forgets all of it first (`Store._write`); so does a group that
    SQLite rolled back as a whole, and a commit by another connection to the same file. A vote
    then costs no lookup of its card's meeting or items (docs/PERFORMANCE.md: 0.02 ms per
    24-vote message).
    """

    def __init__(self) -> None:
        self.cards: dict[int, BallotCard] = {}
        self.meetings: dict[int, BallotRules] = {}
        self._seen: tuple[int, int] = (0, 0)  # (groups rolled back, SQLite's data_version)

    def forget(self) -> None:
        self.cards.clear()
        self.meetings.clear()

    def now(self, writer: Writer) -> Known:
        """Itself, emptied if a group was rolled back or another connection wrote since."""
        seen = (writer.stats.rollbacks, writer.conn.execute("PRAGMA data_version").fetchone()[0])
        if seen != self._seen:
            self._seen = seen
            self.forget()
        return self

    def card(self, conn: sqlite3.Connection, card_id: int) -> BallotCard | None:
        card = self.cards.get(card_id)
        if card is None:
            row = conn.execute(
                "SELECT meeting_id, grp, revoked FROM cards WHERE id = ?", (card_id,)
            ).fetchone()
            if row is None:
                return None
            card = self.cards[card_id] = BallotCard(row[0], row[1], bool(row[2]))
        return card

    def meeting(self, conn: sqlite3.Connection, meeting_id: int) -> BallotRules:
        found = self.meetings.get(meeting_id)
        if found is None:
            m = meeting_row(conn, meeting_id)
            items = conn.execute("SELECT id, state FROM items WHERE meeting_id = ?", (meeting_id,))
            found = self.meetings[meeting_id] = BallotRules(
                scale=rules.get_scale(m["scale"]),
                aspects=len(json.loads(m["aspects"])),
                secret=bool(m["secret"]),
                allow_change=bool(m["allow_change"]),
                items={r[0]: r[1] for r in items},
            )
        return found


def cast_votes(
    conn: sqlite3.Connection, card_id: int, votes: Sequence[Vote], known: Known | None = None
) -> tuple[int, list[str]]:
    """Record a card's votes; returns (the card's meeting, each vote's status)."""
    known = Known() if known is None else known
    card = known.card(conn, card_id)
    if card is None or card.revoked:
        raise Refused("revoked", "此测评卡已失效，请联系工作人员。")
    m = known.meeting(conn, card.meeting_id)
    named = None if m.secret else card_id
    choices: list[str] = []
    keys: dict[str, str | None] = {}  # each choice checked once per message, not once per vote
    for v in votes:
        state = m.items.get(v.item)
        if state is None:
            raise Refused("unknown_item", "第 %(item)s 项不属于本次会议。", v.item)
        if state != "open":
            raise Refused("not_open", "第 %(item)s 项未在测评中。", v.item)
        if v.aspect >= m.aspects:
            raise Refused(
                "bad_aspect", "第 %(item)s 项没有第 %(aspect)s 个维度。", v.item, aspect=v.aspect
            )
        if v.choice not in keys:
            keys[v.choice] = m.scale.choice_key(v.choice)
        key = keys[v.choice]
        if key is None:
            raise Refused("bad_choice", "“%(choice)s”不是此处的选项。", v.item, choice=v.choice)
        choices.append(key)
    if _cast_new(conn, votes, choices, card.grp, card_id, named):
        statuses = ["recorded"] * len(votes)
    else:
        statuses = [
            _cast_one(conn, v, choice, card.grp, card_id, named, m.allow_change)
            for v, choice in zip(votes, choices, strict=True)
        ]
    _comment(conn, votes, statuses)
    return card.meeting_id, statuses


def _comment(conn: sqlite3.Connection, votes: Sequence[Vote], statuses: list[str]) -> None:
    """Keep the comments of the ballots recorded just now (a resend or a change adds none).

    A comment gets a random key of its own and keeps only its item and its text: nothing that
    could be matched with its ballot or its card (the ballot id, the group and the time are not
    stored, and the close's seal rewrites the file in key order, as for the ballots).
    """
    rows = [
        (str(uuid.uuid4()), v.item, v.comment)
        for v, status in zip(votes, statuses, strict=True)
        if v.comment and status == "recorded"
    ]
    if rows:
        conn.executemany("INSERT INTO comments (id, item_id, text) VALUES (?, ?, ?)", rows)


def _cast_new(
    conn: sqlite3.Connection,
    votes: Sequence[Vote],
    choices: list[str],
    grp: str,
    card_id: int,
    named: int | None,
) -> bool:
    """The usual case in one go: a card's first votes on these items, with new ballot ids.

    Two multi-row inserts instead of two per vote. Returns False, having kept nothing, when any
    vote is not new (a resend, a change, a second ballot): each vote then goes its own way.
    """
    conn.execute("SAVEPOINT new_votes")
    try:
        conn.executemany(
            "INSERT INTO voted (item_id, aspect, card_id) VALUES (?, ?, ?)",
            [(v.item, v.aspect, card_id) for v in votes],
        )
        conn.executemany(
            "INSERT INTO ballots (id, item_id, aspect, grp, choice, card_id)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (v.ballot, v.item, v.aspect, grp, c, named)
                for v, c in zip(votes, choices, strict=True)
            ],
        )
    except sqlite3.IntegrityError:  # a key already taken: undo this part, go vote by vote
        conn.execute("ROLLBACK TO SAVEPOINT new_votes")
        conn.execute("RELEASE SAVEPOINT new_votes")
        return False
    conn.execute("RELEASE SAVEPOINT new_votes")
    return True


def _cast_one(
    conn: sqlite3.Connection,
    v: Vote,
    choice: str,
    grp: str,
    card_id: int,
    named: int | None,
    allow_change: bool,
) -> str:
    first = conn.execute(
        "INSERT OR IGNORE INTO voted (item_id, aspect, card_id) VALUES (?, ?, ?)",
        (v.item, v.aspect, card_id),
    ).rowcount
    if first:  # the usual case: two inserts, no lookup
        try:
            conn.execute(
                "INSERT INTO ballots (id, item_id, aspect, grp, choice, card_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (v.ballot, v.item, v.aspect, grp, choice, named),
            )
        except sqlite3.IntegrityError:  # the job's savepoint takes the `voted` row back
            raise Refused("ballot_taken", "此选票编号已被使用，请刷新页面。", v.item) from None
        return "recorded"
    ballot = conn.execute(
        "SELECT item_id, aspect, choice, card_id FROM ballots WHERE id = ?", (v.ballot,)
    ).fetchone()
    mine = (
        ballot is not None
        and (ballot["item_id"], ballot["aspect"]) == (v.item, v.aspect)
        and (named is None or ballot["card_id"] == card_id)
    )
    if not mine:
        raise Refused("already_voted", "此测评卡已对第 %(item)s 项投过票。", v.item)
    if ballot["choice"] == choice:
        return "unchanged"
    if not allow_change:
        raise Refused(
            "change_not_allowed", "本次会议不允许改票（第 %(item)s 项）。",
            v.item,
        )  # fmt: skip
    conn.execute("UPDATE ballots SET choice = ? WHERE id = ?", (choice, v.ballot))
    return "changed"


def comments_of(conn: sqlite3.Connection, meeting_id: int) -> dict[int, list[str]]:
    """Item id → its comments (意见建议), sorted by text; every item of the meeting is there.

    Only closed and revealed items show theirs: while an item is open (or in draft) its list
    is empty, whatever has been sent.
    """
    meeting_row(conn, meeting_id)
    out: dict[int, list[str]] = {r["id"]: [] for r in items_of(conn, meeting_id)}
    for item_id, body in conn.execute(
        "SELECT c.item_id, c.text FROM comments c JOIN items i ON i.id = c.item_id"
        " WHERE i.meeting_id = ? AND i.state IN ('closed', 'revealed')"
        " ORDER BY c.item_id, c.text",
        (meeting_id,),
    ):
        out[item_id].append(body)
    return out


def enter_paper(
    conn: sqlite3.Connection, meeting_id: int, item_id: int, entry: PaperEntry
) -> PaperEntered:
    """Enter an item's paper ballots (补录) for one aspect and group, replacing the ones entered
    before for that aspect and group; only while the item is closed (not yet revealed).
    Audit-logged with the item's counts after it, which the audit check recounts."""
    m = meeting_row(conn, meeting_id)
    row = item_of(conn, meeting_id, item_id)
    if row["state"] != "closed":
        raise Refused("not_closed", _NOT_CLOSED.get(row["state"], _NOT_CLOSED["open"]), item_id)
    counts = _paper_choices(conn, m, item_id, entry)
    _check_paper_total(conn, m, item_id, entry, sum(counts.values()))
    where = (item_id, entry.aspect, entry.group)
    before = {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT choice, count FROM paper WHERE item_id = ? AND aspect = ? AND grp = ?", where
        )
    }
    conn.execute("DELETE FROM paper WHERE item_id = ? AND aspect = ? AND grp = ?", where)
    conn.executemany(
        "INSERT INTO paper (item_id, aspect, grp, choice, count) VALUES (?, ?, ?, ?, ?)",
        [(*where, k, n) for k, n in counts.items() if n],
    )
    after = {k: n for k, n in counts.items() if n}
    append_audit(
        conn, meeting_id, "paper",
        {"item": item_id, "aspect": entry.aspect, "group": entry.group,
         "before": before, "after": after,
         "counts": {str(item_id): choice_counts(conn, [item_id])[item_id]}},
    )  # fmt: skip
    return {"item": item_id, "aspect": entry.aspect, "group": entry.group, "paper": after}


def _paper_choices(
    conn: sqlite3.Connection, m: sqlite3.Row, item_id: int, entry: PaperEntry
) -> dict[str, int]:
    """The entry's counts by choice key, once its aspect, group and choices are checked."""
    scale = rules.get_scale(m["scale"])
    if entry.aspect >= len(json.loads(m["aspects"])):
        raise Refused(
            "bad_aspect", "第 %(n)s 项没有第 %(aspect)s 个维度。", n=item_id, aspect=entry.aspect
        )
    groups = {r[0] for r in conn.execute(
        "SELECT DISTINCT grp FROM cards WHERE meeting_id = ?", (m["id"],)
    )} | {counted_group(m)}  # fmt: skip
    if entry.group not in groups:
        raise Refused("bad_group", "本次会议没有“%(group)s”组。", group=entry.group)
    counts: dict[str, int] = {}
    for key, n in entry.counts.items():
        if not scale.is_valid_choice(key):
            raise Refused("bad_choice", "“%(choice)s”不是此处的选项。", item_id, choice=key)
        clean = str(int(key)) if scale.score else key
        counts[clean] = counts.get(clean, 0) + n
    return counts


def _check_paper_total(
    conn: sqlite3.Connection, m: sqlite3.Row, item_id: int, entry: PaperEntry, on_paper: int
) -> None:
    """Refuse more ballots (by phone and on paper) than the group has members (`too_many`)."""
    electronic = conn.execute(
        "SELECT count(*) FROM ballots WHERE item_id = ? AND aspect = ? AND grp = ?",
        (item_id, entry.aspect, entry.group),
    ).fetchone()[0]
    if entry.group == counted_group(m):
        most = m["expected"]
        template = N_("手机票 %(phone)s 张加纸质票 %(paper)s 张，将超过应到人数 %(most)s。")
    else:
        most = conn.execute(
            "SELECT count(*) FROM cards WHERE meeting_id = ? AND grp = ?",
            (m["id"], entry.group),
        ).fetchone()[0]
        template = N_(
            "手机票 %(phone)s 张加纸质票 %(paper)s 张，将超过“%(group)s”组的 %(most)s 张测评卡。"
        )
    if electronic + on_paper > most:
        raise Refused(
            "too_many", template, item_id,
            phone=electronic, paper=on_paper, most=most, group=entry.group,
        )  # fmt: skip
