"""SQLite storage: the schema, its migrations, every write (through one writer) and the reads.

Secret ballots: which cards have voted on which item is one table (`voted`); the ballots
(choice, group, random id) are another (`ballots`), with no card, no time and no insertion
order (a WITHOUT ROWID table keyed by the ballot's random id). One transaction writes both, and
the primary key of `voted` makes a second ballot from the same card impossible. A trigger
refuses a ballot that names its card in a secret meeting.

Comments (意见建议) are a third table (`comments`): a random key of its own, the item and the
text, nothing that could be matched with a ballot or a card; a comment is kept once, when its
ballot is first recorded. Paper ballots (补录) are counts per item, aspect, group and choice
(`paper`), entered after close and before reveal, and counted with the ballots. An item whose
verdict falls short gets a follow-up (整改) record (`followups`) when it is revealed.

Every secretary action is appended to `audit`, each entry chained to the previous one by hash;
triggers make the log append-only. A close records the item's counts in the log, so `verify`
can recount every closed item from its ballots and say where anything differs.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import sqlite3
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import sqlite_utils
from blinker import NamedSignal

from voting import cards, meeting, rules
from voting.errors import NotFound, Refused
from voting.settings import FollowupChange, MeetingSettings, Move, NewItem, PaperEntry, Vote
from voting.signals import cards_changed, items_moved, votes_recorded
from voting.writer import Runtime, Writer

GENESIS = "0" * 64
WRITER_CACHE_KB = 16_000  # the writer connection's page cache
logger = logging.getLogger(__name__)
BACKUPS_KEPT = 20  # the newest backups kept in instance/backups/

migrations = sqlite_utils.Migrations("ceping")

_SCHEMA_1 = [
    """CREATE TABLE meetings (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL,
        expected INTEGER NOT NULL CHECK (expected > 0),
        scale TEXT NOT NULL,
        rule TEXT NOT NULL,
        combine TEXT NOT NULL,
        aspects TEXT NOT NULL,
        secret INTEGER NOT NULL CHECK (secret IN (0, 1)),
        allow_change INTEGER NOT NULL CHECK (allow_change IN (0, 1)),
        join_mode TEXT NOT NULL CHECK (join_mode IN ('cards', 'open')),
        join_key TEXT NOT NULL UNIQUE,
        screen_key TEXT NOT NULL,
        quorum REAL NOT NULL,
        live_tallies INTEGER NOT NULL CHECK (live_tallies IN (0, 1)),
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE items (
        id INTEGER PRIMARY KEY,
        meeting_id INTEGER NOT NULL REFERENCES meetings(id),
        position INTEGER NOT NULL,
        subject TEXT NOT NULL,
        person TEXT NOT NULL DEFAULT '',
        kind TEXT NOT NULL CHECK (kind IN ('oral', 'written', 'other')),
        batch TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'draft'
            CHECK (state IN ('draft', 'open', 'closed', 'revealed')),
        closes_at REAL
    )""",
    "CREATE INDEX items_meeting ON items (meeting_id, position)",
    """CREATE TABLE cards (
        id INTEGER PRIMARY KEY,
        meeting_id INTEGER NOT NULL REFERENCES meetings(id),
        number INTEGER NOT NULL,
        token TEXT NOT NULL UNIQUE,
        grp TEXT NOT NULL DEFAULT 'member',
        origin TEXT NOT NULL DEFAULT 'issued' CHECK (origin IN ('issued', 'join')),
        device TEXT,
        present INTEGER NOT NULL DEFAULT 0 CHECK (present IN (0, 1)),
        revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
        UNIQUE (meeting_id, number)
    )""",
    "CREATE INDEX cards_device ON cards (meeting_id, device)",
    # Which cards have voted on which item: no choice, no time, ordered by key not by insertion.
    """CREATE TABLE voted (
        item_id INTEGER NOT NULL REFERENCES items(id),
        aspect INTEGER NOT NULL,
        card_id INTEGER NOT NULL REFERENCES cards(id),
        PRIMARY KEY (item_id, aspect, card_id)
    ) WITHOUT ROWID""",
    "CREATE INDEX voted_card ON voted (card_id)",
    # The ballots: a random id (the phone's receipt), no card unless the meeting is named.
    """CREATE TABLE ballots (
        id TEXT PRIMARY KEY,
        item_id INTEGER NOT NULL REFERENCES items(id),
        aspect INTEGER NOT NULL,
        grp TEXT NOT NULL,
        choice TEXT NOT NULL,
        card_id INTEGER REFERENCES cards(id)
    ) WITHOUT ROWID""",
    "CREATE INDEX ballots_item ON ballots (item_id, aspect, grp, choice)",
    """CREATE TRIGGER ballots_secret_insert BEFORE INSERT ON ballots
        WHEN NEW.card_id IS NOT NULL AND (SELECT m.secret FROM items i
            JOIN meetings m ON m.id = i.meeting_id WHERE i.id = NEW.item_id) <> 0
        BEGIN SELECT RAISE(ABORT, 'secret ballot: a ballot cannot name its card'); END""",
    """CREATE TRIGGER ballots_secret_update BEFORE UPDATE OF card_id ON ballots
        WHEN NEW.card_id IS NOT NULL AND (SELECT m.secret FROM items i
            JOIN meetings m ON m.id = i.meeting_id WHERE i.id = NEW.item_id) <> 0
        BEGIN SELECT RAISE(ABORT, 'secret ballot: a ballot cannot name its card'); END""",
    """CREATE TRIGGER meetings_secret_fixed BEFORE UPDATE OF secret ON meetings
        WHEN NEW.secret <> OLD.secret AND EXISTS (SELECT 1 FROM items i
            JOIN ballots b ON b.item_id = i.id WHERE i.meeting_id = OLD.id)
        BEGIN SELECT RAISE(ABORT, 'a meeting with ballots cannot change its secrecy'); END""",
    """CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        meeting_id INTEGER,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    )""",
    """CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    """CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
]


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    for statement in _SCHEMA_1:
        db.execute(statement)


@migrations()
def m002_auto_close(db: sqlite_utils.Database) -> None:
    """Close an item by itself once every present card has voted on it (a meeting setting)."""
    db.execute(
        "ALTER TABLE meetings ADD COLUMN auto_close INTEGER NOT NULL DEFAULT 0"
        " CHECK (auto_close IN (0, 1))"
    )


@migrations()
def m003_no_ballot_index(db: sqlite_utils.Database) -> None:
    """Ballots are tallied by scanning the table (8 ms for 150,000 ballots), not through an
    index: keeping an index in step cost 40 % of every vote's insert, at the busiest moment."""
    db.execute("DROP INDEX IF EXISTS ballots_item")


@migrations()
def m004_publish(db: sqlite_utils.Database) -> None:
    """Comments (意见建议), paper ballots (补录) and follow-up (整改) of the items that fell short.

    A comment is stored apart from its ballot: a random key of its own, its item and its text,
    nothing else (no card, no ballot id, no group, no time), in key order like the ballots.
    """
    db.execute(
        "ALTER TABLE meetings ADD COLUMN followup_months INTEGER NOT NULL DEFAULT 3"
        " CHECK (followup_months BETWEEN 1 AND 24)"
    )
    db.execute(
        """CREATE TABLE comments (
            id TEXT PRIMARY KEY,
            item_id INTEGER NOT NULL REFERENCES items(id),
            text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 500)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE paper (
            item_id INTEGER NOT NULL REFERENCES items(id),
            aspect INTEGER NOT NULL,
            grp TEXT NOT NULL,
            choice TEXT NOT NULL,
            count INTEGER NOT NULL CHECK (count > 0),
            PRIMARY KEY (item_id, aspect, grp, choice)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE followups (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'in_progress', 'done', 're_evaluate')),
            due TEXT,
            notes TEXT NOT NULL DEFAULT '',
            carried_from INTEGER REFERENCES items(id),
            updated_at TEXT NOT NULL
        )"""
    )


@migrations()
def m005_voted_by_card(db: sqlite_utils.Database) -> None:
    """`voted` keyed by card first: a phone's votes on a batch of 24 items then go into one
    place of the table, not into 24 places among every other card's, and the table needs no
    second index for a phone's own state (docs/PERFORMANCE.md: 0.045 ms per 24-vote message).
    """
    db.execute(
        """CREATE TABLE voted_new (
            card_id INTEGER NOT NULL REFERENCES cards(id),
            item_id INTEGER NOT NULL REFERENCES items(id),
            aspect INTEGER NOT NULL,
            PRIMARY KEY (card_id, item_id, aspect)
        ) WITHOUT ROWID"""
    )
    db.execute(
        "INSERT INTO voted_new (card_id, item_id, aspect) SELECT card_id, item_id, aspect"
        " FROM voted ORDER BY card_id, item_id, aspect"
    )
    db.execute("DROP TABLE voted")  # its index voted_card goes with it
    db.execute("ALTER TABLE voted_new RENAME TO voted")


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the project's pragmas: WAL, synchronous=FULL, foreign keys."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date (idempotent)."""
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(
    entry_id: int, at: str, meeting_id: int | None, action: str, detail: str, prev: str
) -> str:
    """The hash that chains an audit entry to the one before it."""
    body = _dumps([entry_id, at, meeting_id, action, detail, prev])
    return hashlib.sha256(body.encode()).hexdigest()


def append_audit(
    conn: sqlite3.Connection, meeting_id: int | None, action: str, detail: dict[str, Any]
) -> None:
    """Append one entry to the audit log, chained to the last one (inside the caller's txn)."""
    last = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    entry_id, prev = (last["id"] + 1, last["hash"]) if last else (1, GENESIS)
    at, text = _now(), _dumps(detail)
    conn.execute(
        "INSERT INTO audit (id, at, meeting_id, action, detail, prev, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entry_id, at, meeting_id, action, text, prev,
         entry_hash(entry_id, at, meeting_id, action, text, prev)),
    )  # fmt: skip


SQLITE_INTS = range(-(2**63), 2**63)  # what an INTEGER column holds; other ids are no row's


def _meeting_row(conn: sqlite3.Connection, meeting_id: int) -> sqlite3.Row:
    if meeting_id not in SQLITE_INTS:
        raise NotFound(f"There is no meeting {meeting_id}.")
    row = conn.execute("SELECT * FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    if row is None:
        raise NotFound(f"There is no meeting {meeting_id}.")
    return row


def meeting_dict(row: sqlite3.Row) -> dict[str, Any]:
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
    }


def item_dict(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "position": row["position"],
        "subject": row["subject"],
        "person": row["person"],
        "kind": row["kind"],
        "batch": row["batch"],
        "state": row["state"],
        "closes_at": row["closes_at"],
    }


def _counted_group(m: sqlite3.Row) -> str:
    """The group whose cards count for 实到 and the quorum (常委会组成人员 by default)."""
    return rules.parse_combine(json.loads(m["combine"])).group


def _open_items(conn: sqlite3.Connection, meeting_id: int) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT * FROM items WHERE meeting_id = ? AND state = 'open' ORDER BY position, id",
        (meeting_id,),
    ).fetchall()


def _present(conn: sqlite3.Connection, meeting_id: int, grp: str | None = None) -> int:
    sql = "SELECT count(*) FROM cards WHERE meeting_id = ? AND present = 1 AND revoked = 0"
    args: tuple = (meeting_id,)
    if grp is not None:
        sql += " AND grp = ?"
        args += (grp,)
    return conn.execute(sql, args).fetchone()[0]


def _counts(conn: sqlite3.Connection, item_ids: Sequence[int]) -> dict[int, dict]:
    """{item: {aspect: {group: {choice: n}}}} straight from the ballots, plus the paper ballots
    entered for the item."""
    out: dict[int, dict] = {i: {} for i in item_ids}
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


def _paper_rows(conn: sqlite3.Connection, item_ids: Sequence[int]) -> list[tuple]:
    marks = ",".join("?" * len(item_ids))
    return conn.execute(
        f"SELECT item_id, aspect, grp, choice, count FROM paper WHERE item_id IN ({marks})",
        tuple(item_ids),
    ).fetchall()


def _paper(conn: sqlite3.Connection, item_ids: Sequence[int]) -> dict[int, dict]:
    """{item: {aspect: {group: {choice: n}}}} of the paper ballots alone."""
    out: dict[int, dict] = {i: {} for i in item_ids}
    if item_ids:
        for item_id, aspect, grp, choice, n in _paper_rows(conn, item_ids):
            out[item_id].setdefault(str(aspect), {}).setdefault(grp, {})[choice] = n
    return out


class Store:
    """The database of one server: reads on a shared connection, writes through the writer."""

    def __init__(self, path: str | Path, runtime: Runtime | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_conn = connect(self.path)
        # The writer keeps up to 16 MB of pages (SQLite's default is 2 MB): ballots go in at
        # random places of their table, so once it outgrows the cache most inserts find their
        # page evicted and read it again (docs/PERFORMANCE.md: 0.05 ms per 24-vote message).
        write_conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KB}")
        migrate(write_conn)
        self.writer = Writer(write_conn, runtime)
        self._read = connect(self.path)
        self._read_lock = threading.Lock()
        # 已投 per item (cards that voted on its first aspect), per meeting. Only the writer's
        # after-commit path changes it, once what it counts is committed: counted again by
        # every move, one more for each vote recorded. Turnout is pushed 10 times a second;
        # counting 100,000 rows each time would take the event loop 17 ms.
        self._voted: dict[int, dict[str, int]] = {}
        # What votes are checked against (cards, meetings, items), kept between votes by the
        # writer's thread and forgotten by every other write.
        self._known = Known()

    # -- reading ---------------------------------------------------------------------------

    def read(self, fn):
        """Run `fn(conn)` on the read connection (a consistent snapshot, never blocking writes)."""
        with self._read_lock:
            self._read.execute("BEGIN")
            try:
                return fn(self._read)
            finally:
                self._read.execute("COMMIT")

    def meeting(self, meeting_id: int) -> dict[str, Any]:
        """The meeting with its items, their states and turnout."""
        voted = self._voted_now(meeting_id)

        def q(conn):
            data = meeting_dict(_meeting_row(conn, meeting_id))
            rows = conn.execute(
                "SELECT * FROM items WHERE meeting_id = ? ORDER BY position, id", (meeting_id,)
            ).fetchall()
            data["items"] = [item_dict(r) for r in rows]
            data["turnout"] = _turnout(conn, meeting_id, voted)
            return data

        return self.read(q)

    def meetings(self) -> list[dict[str, Any]]:
        def q(conn):
            rows = conn.execute("SELECT * FROM meetings ORDER BY id DESC").fetchall()
            return [meeting_dict(r) for r in rows]

        return self.read(q)

    def card(self, token: str) -> dict[str, Any] | None:
        """The card behind a token, or None."""
        if not cards.looks_like_token(token):
            return None
        row = self.read(
            lambda c: c.execute("SELECT * FROM cards WHERE token = ?", (token,)).fetchone()
        )
        return dict(row) if row else None

    def cards(self, meeting_id: int) -> list[dict[str, Any]]:
        def q(conn):
            _meeting_row(conn, meeting_id)
            rows = conn.execute(
                "SELECT number, token, grp, origin, present, revoked, device IS NOT NULL AS bound"
                " FROM cards WHERE meeting_id = ? ORDER BY number",
                (meeting_id,),
            )
            return [dict(r) for r in rows]

        return self.read(q)

    def turnout(self, meeting_id: int) -> dict[str, Any]:
        """已投 per item / 实到 / 应到: what the projector and the console show live."""
        voted = self._voted_now(meeting_id)
        return self.read(lambda conn: _turnout(conn, meeting_id, voted))

    def _voted_now(self, meeting_id: int) -> dict[str, int]:
        """A copy of the meeting's 已投 counts (counted by the writer on first use)."""
        counts = self._voted.get(meeting_id)
        if counts is None:
            self.writer.submit(lambda conn: self._count_voted(conn, meeting_id))
            counts = self._voted.get(meeting_id, {})
        return counts.copy()

    def _count_voted(self, conn: sqlite3.Connection, meeting_id: int) -> None:
        """Count a meeting's 已投 afresh (in a writer's job, after a move); the counts are kept
        once the job is committed.

        Only for a meeting that exists: asking after any number (a projector URL with a made-up
        id) must not grow what is kept, nor reach SQLite with an id too large for it.
        """
        exists = (
            meeting_id in SQLITE_INTS
            and conn.execute("SELECT 1 FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
        )
        counts = _voted_counts(conn, meeting_id) if exists else None
        self.writer.after_commit(partial(self._keep_voted, meeting_id, counts))

    def _keep_voted(self, meeting_id: int, counts: dict[str, int] | None) -> None:
        """Keep a meeting's 已投 counted by `_count_voted` (after the commit); None forgets it."""
        if counts is None:
            self._voted.pop(meeting_id, None)
        else:
            self._voted[meeting_id] = counts

    def _counted(self, meeting_id: int, votes: Sequence[Vote], statuses: list[str]) -> None:
        """One more card on each item whose first aspect this card voted on (after the commit)."""
        counts = self._voted.get(meeting_id)
        if counts is None:
            return  # counted from the table when next asked
        for v, status in zip(votes, statuses, strict=True):
            if status == "recorded" and v.aspect == 0:
                key = str(v.item)
                counts[key] = counts.get(key, 0) + 1

    def voter_state(self, card_id: int) -> dict[str, Any]:
        """What one phone sees: the open items, the options, and what this card has voted on."""

        def q(conn):
            card = conn.execute("SELECT * FROM cards WHERE id = ?", (card_id,)).fetchone()
            if card is None:
                raise NotFound("There is no such card.")
            m = _meeting_row(conn, card["meeting_id"])
            items = _open_items(conn, m["id"])
            voted = conn.execute(
                "SELECT v.item_id, v.aspect FROM voted v JOIN items i ON i.id = v.item_id"
                " WHERE v.card_id = ? AND i.state = 'open'",
                (card_id,),
            ).fetchall()
            return voter_state(m, items, [(r[0], r[1]) for r in voted], card["revoked"])

        return self.read(q)

    def open_state(self, meeting_id: int) -> dict[str, Any]:
        """The part of `voter_state` every phone of a meeting shares (`voted` is None)."""

        def q(conn):
            m = _meeting_row(conn, meeting_id)
            return voter_state(m, _open_items(conn, meeting_id), None, False)

        return self.read(q)

    def voter_states(self, meeting_id: int, card_ids: Iterable[int]) -> dict[int, dict]:
        """`voter_state` for many cards of one meeting with three queries in all."""
        wanted = set(card_ids)

        def q(conn):
            m = _meeting_row(conn, meeting_id)
            items = _open_items(conn, meeting_id)
            voted: dict[int, list] = defaultdict(list)
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
            return {c: voter_state(m, items, voted[c], c in revoked) for c in wanted}

        return self.read(q)

    def results(self, meeting_id: int, states: Sequence[str] = ("closed", "revealed")) -> dict:
        """Tallies of the meeting's items in `states` (by default closed and revealed).

        Paper ballots (补录) are counted in; each aspect also shows them alone as `paper`.
        """
        return self.read(lambda conn: _results(conn, meeting_id, states))

    def comments(self, meeting_id: int) -> dict[int, list[str]]:
        """Item id → its comments (意见建议), sorted by text; every item of the meeting is there.

        Only closed and revealed items show theirs: while an item is open (or in draft) its list
        is empty, whatever has been sent.
        """

        def q(conn):
            _meeting_row(conn, meeting_id)
            out: dict[int, list[str]] = {
                r[0]: []
                for r in conn.execute(
                    "SELECT id FROM items WHERE meeting_id = ? ORDER BY position, id",
                    (meeting_id,),
                )
            }
            for item_id, body in conn.execute(
                "SELECT c.item_id, c.text FROM comments c JOIN items i ON i.id = c.item_id"
                " WHERE i.meeting_id = ? AND i.state IN ('closed', 'revealed')"
                " ORDER BY c.item_id, c.text",
                (meeting_id,),
            ):
                out[item_id].append(body)
            return out

        return self.read(q)

    def followups(self, meeting_id: int, today: date | None = None) -> dict[int, dict]:
        """Item id → its follow-up (整改) record, for the items that have one.

        An item whose own record is missing but whose department (same `subject`) has a record
        in an earlier meeting shows that record, with `carried_from` naming the earlier item.
        """
        today = today or date.today()
        return self.read(lambda conn: _followups(conn, meeting_id, today))

    def followup(self, meeting_id: int, item_id: int, today: date | None = None) -> dict | None:
        """One item's follow-up record (its own or carried), or None."""
        today = today or date.today()

        def q(conn):
            _item_of(conn, meeting_id, item_id)
            return _followups(conn, meeting_id, today).get(item_id)

        return self.read(q)

    def audit_log(self, meeting_id: int | None = None) -> list[dict[str, Any]]:
        def q(conn):
            if meeting_id is None:
                rows = conn.execute("SELECT * FROM audit ORDER BY id")
            else:
                rows = conn.execute(
                    "SELECT * FROM audit WHERE meeting_id = ? ORDER BY id", (meeting_id,)
                )
            return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]

        return self.read(q)

    # -- writing ---------------------------------------------------------------------------

    def set_followup(
        self, meeting_id: int, item_id: int, change: FollowupChange, today: date | None = None
    ) -> dict[str, Any]:
        """Change an item's follow-up record (creating the item's own one if it has none: from
        the record it carries, if any, else a new `pending` one). Audit-logged."""
        today = today or date.today()

        def job(conn):
            _item_of(conn, meeting_id, item_id)
            before = _followups(conn, meeting_id, today).get(item_id)
            own = conn.execute("SELECT 1 FROM followups WHERE item_id = ?", (item_id,)).fetchone()
            base = before or {"status": "pending", "due": None, "notes": "", "carried_from": None}
            new = {
                "status": change.status or base["status"],
                "due": None if change.clear_due else (change.due or base["due"]),
                "notes": base["notes"] if change.notes is None else change.notes,
                "carried_from": base["carried_from"],
            }
            if own:
                conn.execute(
                    "UPDATE followups SET status = ?, due = ?, notes = ?, updated_at = ?"
                    " WHERE item_id = ?",
                    (new["status"], new["due"], new["notes"], _now(), item_id),
                )
            else:
                conn.execute(
                    "INSERT INTO followups (item_id, status, due, notes, carried_from,"
                    " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (item_id, new["status"], new["due"], new["notes"], new["carried_from"],
                     _now()),
                )  # fmt: skip
            append_audit(
                conn, meeting_id, "followup",
                {"item": item_id, "before": _plain(before), "after": new},
            )  # fmt: skip
            return _followups(conn, meeting_id, today)[item_id]

        return self._write(job)

    def enter_paper(self, meeting_id: int, item_id: int, entry: PaperEntry) -> dict[str, Any]:
        """Enter an item's paper ballots (补录) for one aspect and group: they replace the ones
        entered before for that aspect and group. Only while the item is closed (not yet
        revealed). Audit-logged with the item's counts after it, which `verify` recounts."""

        def job(conn):
            m = _meeting_row(conn, meeting_id)
            row = _item_of(conn, meeting_id, item_id)
            if row["state"] != "closed":
                raise Refused(
                    "not_closed",
                    f"Paper ballots can be entered only for a closed item that is not yet"
                    f" revealed; item {item_id} is {row['state']}.",
                    item_id,
                )
            scale = rules.get_scale(m["scale"])
            if entry.aspect >= len(json.loads(m["aspects"])):
                raise Refused("bad_aspect", f"Item {item_id} has no aspect {entry.aspect}.")
            groups = {r[0] for r in conn.execute(
                "SELECT DISTINCT grp FROM cards WHERE meeting_id = ?", (meeting_id,)
            )} | {_counted_group(m)}  # fmt: skip
            if entry.group not in groups:
                raise Refused("bad_group", f"This meeting has no group '{entry.group}'.")
            counts: dict[str, int] = {}
            for key, n in entry.counts.items():
                if not scale.is_valid_choice(key):
                    raise Refused("bad_choice", f"'{key}' is not an option here.", item_id)
                clean = str(int(key)) if scale.score else key
                counts[clean] = counts.get(clean, 0) + n
            electronic = conn.execute(
                "SELECT count(*) FROM ballots WHERE item_id = ? AND aspect = ? AND grp = ?",
                (item_id, entry.aspect, entry.group),
            ).fetchone()[0]
            if entry.group == _counted_group(m):
                most, whom = m["expected"], "应到 (expected)"
            else:
                most = conn.execute(
                    "SELECT count(*) FROM cards WHERE meeting_id = ? AND grp = ?",
                    (meeting_id, entry.group),
                ).fetchone()[0]
                whom = f"cards of group '{entry.group}'"
            if electronic + sum(counts.values()) > most:
                raise Refused(
                    "too_many",
                    f"{electronic} ballots by phone and {sum(counts.values())} on paper would be"
                    f" more than the {most} {whom}.",
                    item_id,
                )
            before = {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT choice, count FROM paper WHERE item_id = ? AND aspect = ? AND grp = ?",
                    (item_id, entry.aspect, entry.group),
                )
            }
            conn.execute(
                "DELETE FROM paper WHERE item_id = ? AND aspect = ? AND grp = ?",
                (item_id, entry.aspect, entry.group),
            )
            conn.executemany(
                "INSERT INTO paper (item_id, aspect, grp, choice, count) VALUES (?, ?, ?, ?, ?)",
                [(item_id, entry.aspect, entry.group, k, n) for k, n in counts.items() if n],
            )
            after = {k: n for k, n in counts.items() if n}
            append_audit(
                conn, meeting_id, "paper",
                {"item": item_id, "aspect": entry.aspect, "group": entry.group,
                 "before": before, "after": after,
                 "counts": {str(item_id): _counts(conn, [item_id])[item_id]}},
            )  # fmt: skip
            self._moved(meeting_id, "paper", [item_id])
            return {"item": item_id, "aspect": entry.aspect, "group": entry.group, "paper": after}

        return self._write(job)

    def create_meeting(self, s: MeetingSettings) -> dict[str, Any]:
        rule = rules.parse_rule(s.rule).to_dict()
        combine = rules.parse_combine(s.combine).to_dict()

        def job(conn):
            cur = conn.execute(
                "INSERT INTO meetings (title, expected, scale, rule, combine, aspects, secret,"
                " allow_change, join_mode, join_key, screen_key, quorum, live_tallies,"
                " auto_close, followup_months, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (s.title, s.expected, s.scale, _dumps(rule), _dumps(combine),
                 _dumps(list(s.aspects)), int(s.secret), int(s.allow_change), s.join_mode,
                 cards.new_token(), cards.new_token(), s.quorum, int(s.live_tallies),
                 int(s.auto_close), s.followup_months, _now()),
            )  # fmt: skip
            meeting_id = cur.lastrowid
            data = meeting_dict(_meeting_row(conn, meeting_id))
            append_audit(conn, meeting_id, "create", _shown(data))
            return data

        return self._write(job)

    def update_meeting(self, meeting_id: int, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Change a meeting's settings (validated by `settings.meeting_changes`).

        The title and `followup_months` can change at any time. Every other setting decides how
        ballots are cast or counted, so it is fixed once any item has been opened.
        """

        def job(conn):
            _meeting_row(conn, meeting_id)
            if set(changes) - {"title", "followup_months"}:
                started = conn.execute(
                    "SELECT count(*) FROM items WHERE meeting_id = ? AND state <> 'draft'",
                    (meeting_id,),
                ).fetchone()[0]
                if started:
                    raise Refused(
                        "started",
                        "Voting has started: only the title (and the follow-up months) can"
                        " change now.",
                    )
            columns = {k: _column(k, v) for k, v in changes.items()}
            if columns:
                assignments = ", ".join(f"{k} = ?" for k in columns)
                conn.execute(
                    f"UPDATE meetings SET {assignments} WHERE id = ?",  # keys from a fixed set
                    (*columns.values(), meeting_id),
                )
                append_audit(conn, meeting_id, "settings", dict(changes))
            self._moved(meeting_id, "settings", [])
            return meeting_dict(_meeting_row(conn, meeting_id))

        return self._write(job)

    def copy_meeting(self, meeting_id: int, title: str | None = None) -> dict[str, Any]:
        """A new meeting with the same settings and items (all in draft), and no cards."""

        def job(conn):
            old = _meeting_row(conn, meeting_id)
            cur = conn.execute(
                "INSERT INTO meetings (title, expected, scale, rule, combine, aspects, secret,"
                " allow_change, join_mode, join_key, screen_key, quorum, live_tallies,"
                " auto_close, followup_months, created_at) SELECT ?, expected, scale, rule,"
                " combine, aspects, secret, allow_change, join_mode, ?, ?, quorum, live_tallies,"
                " auto_close, followup_months, ?"
                " FROM meetings WHERE id = ?",
                (title or old["title"], cards.new_token(), cards.new_token(), _now(), meeting_id),
            )
            new_id = cur.lastrowid
            conn.execute(
                "INSERT INTO items (meeting_id, position, subject, person, kind, batch)"
                " SELECT ?, position, subject, person, kind, batch FROM items"
                " WHERE meeting_id = ? ORDER BY position, id",
                (new_id, meeting_id),
            )
            data = meeting_dict(_meeting_row(conn, new_id))
            append_audit(conn, new_id, "create", {**_shown(data), "copy_of": meeting_id})
            return data

        return self._write(job)

    def edit_item(self, meeting_id: int, item_id: int, changes: Mapping[str, str]) -> dict:
        """Change an item's subject, person, kind or batch; only while it is in draft."""

        def job(conn):
            row = _draft_item(conn, meeting_id, item_id, "changed")
            if changes:
                assignments = ", ".join(f"{k} = ?" for k in changes)  # keys from a fixed set
                conn.execute(
                    f"UPDATE items SET {assignments} WHERE id = ?", (*changes.values(), row["id"])
                )
                append_audit(conn, meeting_id, "edit_item", {"item": item_id, **changes})
            self._moved(meeting_id, "edit", [item_id])
            return item_dict(
                conn.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
            )

        return self._write(job)

    def delete_item(self, meeting_id: int, item_id: int) -> None:
        """Remove an item that was never opened."""

        def job(conn):
            row = _draft_item(conn, meeting_id, item_id, "deleted")
            conn.execute("UPDATE followups SET carried_from = NULL WHERE carried_from = ?",
                         (row["id"],))  # fmt: skip
            conn.execute("DELETE FROM followups WHERE item_id = ?", (row["id"],))
            conn.execute("DELETE FROM items WHERE id = ?", (row["id"],))
            append_audit(
                conn, meeting_id, "delete_item", {"item": item_id, "subject": row["subject"]}
            )
            self._moved(meeting_id, "delete", [item_id])

        self._write(job)

    def order_items(self, meeting_id: int, ids: Sequence[int]) -> list[int]:
        """Put the meeting's items in this order; `ids` names every item once."""

        def job(conn):
            _meeting_row(conn, meeting_id)
            have = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM items WHERE meeting_id = ? ORDER BY position, id",
                    (meeting_id,),
                )
            ]
            if sorted(have) != sorted(ids) or len(set(ids)) != len(ids):
                raise Refused("bad_order", "Name every item of the meeting exactly once.")
            for position, item_id in enumerate(ids, 1):
                conn.execute("UPDATE items SET position = ? WHERE id = ?", (position, item_id))
            append_audit(conn, meeting_id, "order_items", {"items": list(ids)})
            self._moved(meeting_id, "order", ids)
            return list(ids)

        return self._write(job)

    def last_move(self, meeting_id: int) -> dict[str, Any] | None:
        """The meeting's latest open / close / reveal / reopen / reset, as the audit log has it."""

        def q(conn):
            _meeting_row(conn, meeting_id)
            row = conn.execute(
                "SELECT action, detail, at FROM audit WHERE meeting_id = ? AND action IN"
                " ('open', 'close', 'reveal', 'reopen', 'reset') ORDER BY id DESC LIMIT 1",
                (meeting_id,),
            ).fetchone()
            if row is None:
                return None
            detail = json.loads(row["detail"])
            return {"action": row["action"], "items": detail["items"], "by": detail.get("by"),
                    "at": row["at"]}  # fmt: skip

        return self.read(q)

    def undo(self, meeting_id: int) -> dict[str, Any]:
        """Take back the meeting's last step, unless it was a reveal (revealed results stand).

        A close is undone by reopening, an open or reopen by discarding the votes cast since
        (reset to draft, or close again after a reopen). Recorded in the audit log as such.
        """

        def job(conn):
            _meeting_row(conn, meeting_id)
            row = conn.execute(
                "SELECT action, detail FROM audit WHERE meeting_id = ? AND action IN"
                " ('open', 'close', 'reveal', 'reopen', 'reset') ORDER BY id DESC LIMIT 1",
                (meeting_id,),
            ).fetchone()
            if row is None:
                raise Refused("nothing_to_undo", "No step has been taken yet.")
            last = row["action"]
            inverse = {"close": "reopen", "open": "reset", "reopen": "close"}.get(last)
            if inverse is None:
                raise Refused(
                    "cannot_undo",
                    "A revealed result is final."
                    if last == "reveal"
                    else "A reset cannot be undone: its ballots are gone.",
                )
            items = tuple(json.loads(row["detail"])["items"])
            done = _move(conn, meeting_id, Move(items), inverse, actor="undo")
            self._count_voted(conn, meeting_id)
            self._moved(meeting_id, inverse, [int(i) for i in items], actor="undo")
            return {"undone": last, "action": inverse, **done}

        done = self._write(job)
        if done["action"] in ("close", "reset"):
            self.seal()
        return done

    def add_items(self, meeting_id: int, items: Sequence[NewItem]) -> list[int]:
        def job(conn):
            _meeting_row(conn, meeting_id)
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
            self._moved(meeting_id, "add", ids)
            return ids

        return self._write(job)

    def issue_cards(
        self, meeting_id: int, count: int, grp: str = "member", origin: str = "issued"
    ) -> list[dict[str, Any]]:
        """New cards numbered after the meeting's last card."""

        def job(conn):
            _meeting_row(conn, meeting_id)
            return _issue(conn, meeting_id, count, grp, origin)

        return self._write(job)

    def use_card(self, token: str, device: str) -> tuple[dict[str, Any], cards.Admission]:
        """A phone uses a card: refuse, or admit it (binding the device and checking in)."""
        card = self.card(token)
        if card is None:
            raise NotFound("This card is not valid.")
        decision = cards.admit(
            revoked=bool(card["revoked"]),
            bound_device=card["device"],
            checked_in=bool(card["present"]),
            device=device,
        )
        if not decision.ok or not (decision.bind or decision.check_in):
            return card, decision

        def job(conn):  # decide again inside the transaction: another phone may have won
            row = dict(conn.execute("SELECT * FROM cards WHERE id = ?", (card["id"],)).fetchone())
            again = cards.admit(
                revoked=bool(row["revoked"]),
                bound_device=row["device"],
                checked_in=bool(row["present"]),
                device=device,
            )
            if again.ok:
                conn.execute(
                    "UPDATE cards SET device = ?, present = 1 WHERE id = ?", (device, row["id"])
                )
                row.update(device=device, present=1)
            if again.ok and again.check_in:
                checked_in = {"meeting_id": row["meeting_id"], "card_id": row["id"]}
                self._tell(cards_changed, action="check_in", **checked_in)
            return row, again

        return self._write(job)

    def join(self, join_key: str, device: str) -> dict[str, Any]:
        """Open join mode: the card this device already holds, or a fresh one up to 应到."""

        def job(conn):
            m = conn.execute("SELECT * FROM meetings WHERE join_key = ?", (join_key,)).fetchone()
            if m is None or m["join_mode"] != "open":
                raise NotFound("This join link is not valid.")
            held = conn.execute(
                "SELECT * FROM cards WHERE meeting_id = ? AND device = ? AND revoked = 0",
                (m["id"], device),
            ).fetchone()
            if held is not None:
                return dict(held)
            joined = conn.execute(
                "SELECT count(*) FROM cards WHERE meeting_id = ? AND origin = 'join'", (m["id"],)
            ).fetchone()[0]
            if joined >= m["expected"]:
                raise Refused("full", "Every place in this meeting is taken; ask the secretary.")
            (new,) = _issue(conn, m["id"], 1, "member", "join")
            conn.execute(
                "UPDATE cards SET device = ?, present = 1 WHERE token = ?", (device, new["token"])
            )
            return dict(
                conn.execute("SELECT * FROM cards WHERE token = ?", (new["token"],)).fetchone()
            )

        return self._write(job)

    def set_card(self, meeting_id: int, number: int, action: str) -> int:
        """The secretary releases a card's device binding ('release') or withdraws it ('revoke').

        Returns the card's id.
        """

        def job(conn):
            row = conn.execute(
                "SELECT * FROM cards WHERE meeting_id = ? AND number = ?", (meeting_id, number)
            ).fetchone()
            if row is None:
                raise NotFound(f"Meeting {meeting_id} has no card number {number}.")
            if action == "release":
                conn.execute("UPDATE cards SET device = NULL WHERE id = ?", (row["id"],))
            else:
                conn.execute(
                    "UPDATE cards SET revoked = 1, device = NULL WHERE id = ?", (row["id"],)
                )
            append_audit(conn, meeting_id, action, {"card": number})
            self._tell(cards_changed, meeting_id=meeting_id, card_id=row["id"], action=action)
            return row["id"]

        return self._write(job)

    def move(self, meeting_id: int, request: Move, action: str) -> dict[str, Any]:
        """Move items through draft → open → closed → revealed (all of them, or none)."""

        def job(conn):
            done = _move(conn, meeting_id, request, action, actor="secretary")
            self._count_voted(conn, meeting_id)
            self._moved(meeting_id, action, request.items)
            if action == "reveal":
                self.writer.after_commit(partial(self._backup_soon, meeting_id))
            return done

        done = self._write(job)
        if action in ("close", "reset"):
            self.seal()
        return done

    def _backup_soon(self, meeting_id: int) -> None:
        """Back up after a reveal without holding it up: the projector shows the result first.

        Runs on the reveal's after-commit path, once the projector and the console were told.
        """

        def run() -> None:
            try:
                self.backup(meeting_id)
            except Exception:  # a failed copy must not fail the reveal; the next one tries again
                logger.exception("backup after the reveal failed")

        if self.writer.runtime is None:
            run()
        else:
            self.writer.runtime.spawn(run)

    def close_due(self, now: float | None = None) -> list[tuple[int, list[int]]]:
        """Close every open item whose countdown has run out; [(meeting, [items])]."""
        now = time.time() if now is None else now
        due = self.read(lambda c: _due(c, now, self._voted.get))
        if not due:
            return []
        by_meeting: dict[int, list[int]] = defaultdict(list)
        for meeting_id, item_id in due:
            by_meeting[meeting_id].append(item_id)

        def job(conn):
            closed = []
            for meeting_id in by_meeting:
                states = dict(
                    conn.execute(
                        "SELECT id, closes_at FROM items WHERE meeting_id = ? AND state = 'open'",
                        (meeting_id,),
                    ).fetchall()
                )
                ids = meeting.due_to_close(
                    {i: (meeting.State.OPEN, at) for i, at in states.items()}, now
                )
                ids = sorted(
                    set(ids) | {i for m, i in _due(conn, now, self._voted.get) if m == meeting_id}
                )
                if ids:
                    _move(conn, meeting_id, Move(tuple(ids)), "close", actor="countdown")
                    self._count_voted(conn, meeting_id)
                    self._moved(meeting_id, "close", ids, actor="countdown")
                    closed.append((meeting_id, ids))
            return closed

        closed = self._write(job)
        if closed:
            self.seal()
        return closed

    def cast(self, card_id: int, votes: Sequence[Vote], origin: str | None = None) -> list[str]:
        """Record a phone's votes, all of them or none; each one's status is returned.

        'recorded' (new), 'unchanged' (a resend of the same ballot), 'changed' (the voter changed
        the choice, where the meeting allows it). Raises `Refused` and keeps nothing otherwise.
        Once committed, they are counted in 已投 and `votes_recorded` is sent, with `origin`
        (the connection that sent them).
        """

        def job(conn):
            meeting_id, statuses = _cast(conn, card_id, votes, self._known.now(self.writer))
            if "recorded" in statuses or "changed" in statuses:
                self.writer.after_commit(partial(self._counted, meeting_id, votes, statuses))
                self._tell(votes_recorded, meeting_id=meeting_id, card_id=card_id, origin=origin)
            return statuses

        return self.writer.submit(job)

    def _write(self, job):
        """Submit a job that may change what votes are checked against (every write but a cast)."""

        def changing(conn):
            self._known.forget()
            return job(conn)

        return self.writer.submit(changing)

    def _tell(self, signal: NamedSignal, **data: Any) -> None:
        """From inside a job: send `signal` (`voting.signals`) once the job is committed."""
        self.writer.after_commit(partial(signal.send, self, **data))

    def _moved(
        self, meeting_id: int, action: str, items: Iterable[int], actor: str = "secretary"
    ) -> None:
        """From inside a job: tell `items_moved` once the job is committed."""
        data = {"meeting_id": meeting_id, "action": action, "items": list(items), "actor": actor}
        self._tell(items_moved, **data)

    def seal(self) -> None:
        """Rewrite the database file in key order and empty the WAL (after every close).

        Until then the file keeps traces of the order votes came in: the WAL holds one commit
        after another, and SQLite places each new row's cell just below the previous one in its
        page. VACUUM rebuilds every table in primary-key order (for ballots: their random ids);
        the checkpoint then truncates the WAL. It runs on the writer's thread.
        """

        def job(conn: sqlite3.Connection) -> None:
            conn.execute("VACUUM")
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

        self.writer.submit(job, transactional=False)

    def backup(self, meeting_id: int, keep: int = BACKUPS_KEPT) -> Path:
        """Copy the database into `backups/` beside it (after every reveal); keep the newest.

        SQLite's backup API copies a consistent snapshot, WAL included. It runs on the writer's
        thread after its group's commit, so no write races it and the event loop never waits on
        it. The copy is then vacuumed, as a close seals the database: it keeps no trace of the
        order in which the votes of items still open came. Names sort by time and say the
        meeting: `20261201T080000123Z-meeting-3.sqlite` (UTC).
        """
        folder = self.path.parent / "backups"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")[:-3] + "Z"
        target = folder / f"{stamp}-meeting-{meeting_id}.sqlite"

        def job(conn: sqlite3.Connection) -> Path:
            folder.mkdir(mode=0o700, exist_ok=True)
            for stale in folder.glob("*.partial"):  # left by a copy the process died during
                stale.unlink(missing_ok=True)
            partial = target.with_suffix(".partial")
            copy = sqlite3.connect(partial, isolation_level=None)
            try:
                partial.chmod(0o600)  # it holds the ballots, as the database does
                conn.backup(copy)
                copy.execute("PRAGMA journal_mode=DELETE")  # one file, whole in itself
                copy.execute("VACUUM")
            finally:
                copy.close()
            partial.replace(target)  # a backup is there whole or not at all
            for old in sorted(folder.glob("*-meeting-*.sqlite"))[:-keep]:
                old.unlink(missing_ok=True)
            return target

        return self.writer.submit(job, transactional=False)

    def verify(self) -> list[str]:
        """Check the audit chain and recount every closed item; [] when all is well."""
        return self.read(verify)

    def audit_head(self) -> dict[str, Any]:
        """The last audit entry's number and hash: write it down (or print it) to anchor the log.

        The chain shows any change inside the log; only a copy of its head kept elsewhere shows
        that entries were cut from its end or the whole chain was rewritten.
        """
        row = self.read(
            lambda c: c.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
        )
        return (
            {"entries": row["id"], "hash": row["hash"]} if row else {"entries": 0, "hash": GENESIS}
        )

    def close(self) -> None:
        self._read.close()


def _voted_counts(conn: sqlite3.Connection, meeting_id: int) -> dict[str, int]:
    """已投 per opened item of a meeting: the cards that voted on its first aspect."""
    rows = conn.execute(
        "SELECT v.item_id, count(*) FROM cards c CROSS JOIN voted v ON v.card_id = c.id"
        " JOIN items i ON i.id = v.item_id"
        " WHERE c.meeting_id = ? AND i.state <> 'draft' AND v.aspect = 0 GROUP BY v.item_id",
        (meeting_id,),
    )
    return {str(item_id): n for item_id, n in rows}


def _turnout(conn: sqlite3.Connection, meeting_id: int, voted: dict[str, int]) -> dict[str, Any]:
    row = _meeting_row(conn, meeting_id)
    return {
        "meeting": meeting_id,
        "expected": row["expected"],
        "present": _present(conn, meeting_id, _counted_group(row)),
        "present_all": _present(conn, meeting_id),
        "voted": voted,
    }


def _due(
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
    for meeting_id, item_id, aspects, present in conn.execute(
        "SELECT i.meeting_id, i.id, json_array_length(m.aspects), (SELECT count(*) FROM cards c"
        "   WHERE c.meeting_id = m.id AND c.present = 1 AND c.revoked = 0)"
        " FROM items i JOIN meetings m ON m.id = i.meeting_id"
        " WHERE i.state = 'open' AND m.auto_close = 1"
    ).fetchall():
        known = voted(meeting_id)
        if present == 0 or (known is not None and known.get(str(item_id), 0) < present):
            continue
        (rows,) = conn.execute(
            "SELECT count(*) FROM cards c CROSS JOIN voted v ON v.card_id = c.id"
            " WHERE c.meeting_id = ? AND v.item_id = ?",
            (meeting_id, item_id),
        ).fetchone()
        if rows >= aspects * present:
            due.add((meeting_id, item_id))
    return sorted(due)


def _shown(data: Mapping[str, Any]) -> dict[str, Any]:
    """A meeting's settings as the audit log keeps them: without its secret keys."""
    return {k: v for k, v in data.items() if k not in ("join_key", "screen_key", "items")}


def _column(key: str, value: Any) -> Any:
    """A setting as its column stores it."""
    if key in ("rule", "combine"):
        return _dumps(value)
    if key == "aspects":
        return _dumps(list(value))
    if isinstance(value, bool):
        return int(value)
    return value


def _draft_item(conn: sqlite3.Connection, meeting_id: int, item_id: int, verb: str):
    row = conn.execute(
        "SELECT * FROM items WHERE id = ? AND meeting_id = ?", (item_id, meeting_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"Meeting {meeting_id} has no item {item_id}.")
    if row["state"] != "draft":
        raise Refused("not_draft", f"Item {item_id} has been opened: it cannot be {verb}.", item_id)
    return row


def _issue(conn, meeting_id: int, count: int, grp: str, origin: str) -> list[dict[str, Any]]:
    last = conn.execute(
        "SELECT coalesce(max(number), 0) FROM cards WHERE meeting_id = ?", (meeting_id,)
    ).fetchone()[0]
    issued = []
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


def _move(conn, meeting_id: int, request: Move, action: str, actor: str) -> dict[str, Any]:
    m = _meeting_row(conn, meeting_id)
    states = dict(
        conn.execute("SELECT id, state FROM items WHERE meeting_id = ?", (meeting_id,)).fetchall()
    )
    planned = meeting.plan(states, request.items, action)
    detail: dict[str, Any] = {"items": list(request.items), "by": actor}
    if action == "open":
        counted = _counted_group(m)
        present = _present(conn, meeting_id, counted)
        if not meeting.quorum_met(present, m["expected"], m["quorum"]):
            meeting.check_quorum(
                present, m["expected"], m["quorum"], override=request.override_quorum
            )
            append_audit(
                conn, meeting_id, "override", {"present": present, "expected": m["expected"]}
            )
        detail["present"] = present
    closes_at = None
    if action in ("open", "reopen") and request.seconds:
        closes_at = time.time() + request.seconds
        detail["seconds"] = request.seconds
    for item_id, state in planned.items():
        conn.execute(
            "UPDATE items SET state = ?, closes_at = ? WHERE id = ?", (state, closes_at, item_id)
        )
        if action == "reset":
            conn.execute("DELETE FROM ballots WHERE item_id = ?", (item_id,))
            conn.execute(
                "DELETE FROM voted WHERE card_id IN (SELECT id FROM cards WHERE meeting_id = ?)"
                " AND item_id = ?",
                (meeting_id, item_id),
            )
            conn.execute("DELETE FROM comments WHERE item_id = ?", (item_id,))
            conn.execute("DELETE FROM paper WHERE item_id = ?", (item_id,))
    if action in ("close", "reveal"):
        detail["counts"] = {str(k): v for k, v in _counts(conn, list(request.items)).items()}
    if action == "reveal":
        created = _follow_up(conn, m, list(request.items))
        if created:
            detail["followups"] = created
    append_audit(conn, meeting_id, action, detail)
    return {"items": {str(k): str(v) for k, v in planned.items()}}


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
            m = _meeting_row(conn, meeting_id)
            items = conn.execute("SELECT id, state FROM items WHERE meeting_id = ?", (meeting_id,))
            found = self.meetings[meeting_id] = BallotRules(
                scale=rules.get_scale(m["scale"]),
                aspects=len(json.loads(m["aspects"])),
                secret=bool(m["secret"]),
                allow_change=bool(m["allow_change"]),
                items={r[0]: r[1] for r in items},
            )
        return found


def _cast(
    conn: sqlite3.Connection, card_id: int, votes: Sequence[Vote], known: Known | None = None
) -> tuple[int, list]:
    """Record a card's votes; returns (the card's meeting, each vote's status)."""
    known = Known() if known is None else known
    card = known.card(conn, card_id)
    if card is None or card.revoked:
        raise Refused("revoked", "This card is not valid any more; ask the secretary.")
    m = known.meeting(conn, card.meeting_id)
    named = None if m.secret else card_id
    choices = []
    keys: dict[str, str | None] = {}  # each choice checked once per message, not once per vote
    for v in votes:
        state = m.items.get(v.item)
        if state is None:
            raise Refused("unknown_item", f"Item {v.item} is not part of this meeting.", v.item)
        if state != "open":
            raise Refused("not_open", f"Voting on item {v.item} is not open.", v.item)
        if v.aspect >= m.aspects:
            raise Refused("bad_aspect", f"Item {v.item} has no aspect {v.aspect}.", v.item)
        if v.choice not in keys:
            keys[v.choice] = m.scale.choice_key(v.choice)
        if keys[v.choice] is None:
            raise Refused("bad_choice", f"'{v.choice}' is not an option here.", v.item)
        choices.append(keys[v.choice])
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


def _cast_new(conn, votes: Sequence[Vote], choices: list[str], grp: str, card_id: int, named):
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


def _cast_one(conn, v: Vote, choice: str, grp: str, card_id: int, named, allow_change) -> str:
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
            raise Refused(
                "ballot_taken", "This ballot id is already used; reload the page.", v.item
            ) from None
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
        raise Refused("already_voted", f"This card has already voted on item {v.item}.", v.item)
    if ballot["choice"] == choice:
        return "unchanged"
    if not allow_change:
        raise Refused(
            "change_not_allowed", f"This meeting does not allow changing a vote (item {v.item}).",
            v.item,
        )  # fmt: skip
    conn.execute("UPDATE ballots SET choice = ? WHERE id = ?", (choice, v.ballot))
    return "changed"


def voter_state(m, items, voted: Iterable[tuple[int, int]] | None, revoked: bool) -> dict:
    """The `state` event a phone receives (never a tally).

    `voted` None means "what this phone knew is still true": sent to all phones at once after
    a move that cannot change which open items a card has voted on.
    """
    scale = rules.get_scale(m["scale"])
    now = time.time()
    return {
        "meeting": {"id": m["id"], "title": m["title"], "allow_change": bool(m["allow_change"])},
        "scale": scale.to_dict(),
        "aspects": json.loads(m["aspects"]),
        "items": [
            {
                "id": r["id"],
                "subject": r["subject"],
                "person": r["person"],
                "kind": r["kind"],
                "batch": r["batch"],
                "seconds_left": meeting.seconds_left(r["closes_at"], now),
            }
            for r in items
        ],
        "voted": None if voted is None else sorted([item, aspect] for item, aspect in voted),
        "revoked": bool(revoked),
    }


def _item_of(conn: sqlite3.Connection, meeting_id: int, item_id: int) -> sqlite3.Row:
    _meeting_row(conn, meeting_id)
    row = conn.execute(
        "SELECT * FROM items WHERE id = ? AND meeting_id = ?", (item_id, meeting_id)
    ).fetchone()
    if row is None:
        raise NotFound(f"Meeting {meeting_id} has no item {item_id}.")
    return row


def _results(
    conn: sqlite3.Connection, meeting_id: int, states: Sequence[str], only: Sequence[int] = ()
) -> dict:
    """The tallies of the meeting's items in `states` (of the items `only`, where given)."""
    m = _meeting_row(conn, meeting_id)
    rows = conn.execute(
        "SELECT * FROM items WHERE meeting_id = ? ORDER BY position, id", (meeting_id,)
    ).fetchall()
    rows = [r for r in rows if r["state"] in states and (not only or r["id"] in only)]
    ids = [r["id"] for r in rows]
    present = {
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
    return results(m, rows, _counts(conn, ids), present, issued, paper=_paper(conn, ids))


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day where it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _follow_up(conn: sqlite3.Connection, m: sqlite3.Row, item_ids: list[int]) -> dict:
    """On reveal: a `pending` follow-up record for each item whose verdict falls short of the
    best level (基本满意 or 不满意), due `followup_months` after the reveal's (local) date.

    Returns {item: record} of those created, which the reveal's audit entry keeps."""
    created = {}
    scale = rules.get_scale(m["scale"])
    # only the items just revealed are tallied (on the writer's thread, inside the reveal)
    shown = _results(conn, m["id"], ("revealed",), only=item_ids)
    due = add_months(date.today(), m["followup_months"]).isoformat()
    for item in shown["items"]:
        verdict = item["aspects"][0]["result"]["verdict"]
        if verdict is None or verdict == scale.levels[0]:
            continue
        if conn.execute("SELECT 1 FROM followups WHERE item_id = ?", (item["id"],)).fetchone():
            continue
        carried = _earlier_followup(conn, m["id"], item["subject"])
        conn.execute(
            "INSERT INTO followups (item_id, status, due, notes, carried_from, updated_at)"
            " VALUES (?, 'pending', ?, '', ?, ?)",
            (item["id"], due, carried, _now()),
        )
        created[str(item["id"])] = {
            "status": "pending", "due": due, "notes": "", "carried_from": carried,
            "verdict": verdict,
        }  # fmt: skip
    return created


def _earlier_followup(conn: sqlite3.Connection, meeting_id: int, subject: str) -> int | None:
    """The item of the latest earlier meeting rating `subject` that has a follow-up record."""
    row = conn.execute(
        "SELECT f.item_id FROM followups f JOIN items i ON i.id = f.item_id"
        " WHERE i.subject = ? AND i.meeting_id < ? ORDER BY i.meeting_id DESC, i.id DESC LIMIT 1",
        (subject, meeting_id),
    ).fetchone()
    return row[0] if row else None


def _followup_dict(row: sqlite3.Row, carried_from: int | None, today: date) -> dict[str, Any]:
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


def _followups(conn: sqlite3.Connection, meeting_id: int, today: date) -> dict[int, dict]:
    out: dict[int, dict] = {}
    items = conn.execute(
        "SELECT id, subject FROM items WHERE meeting_id = ? ORDER BY position, id", (meeting_id,)
    ).fetchall()
    for item in items:
        own = conn.execute("SELECT * FROM followups WHERE item_id = ?", (item["id"],)).fetchone()
        if own is not None:
            out[item["id"]] = _followup_dict(own, own["carried_from"], today)
            continue
        earlier = _earlier_followup(conn, meeting_id, item["subject"])
        if earlier is not None:
            row = conn.execute("SELECT * FROM followups WHERE item_id = ?", (earlier,)).fetchone()
            out[item["id"]] = _followup_dict(row, earlier, today)
    return out


def _plain(record: dict | None) -> dict | None:
    """A follow-up record as the audit log keeps it (without what is computed)."""
    if record is None:
        return None
    return {k: record[k] for k in ("status", "due", "notes", "carried_from")}


def results(
    m, rows, counts: dict, present: dict[str, int], issued: dict[str, int],
    paper: dict | None = None,
) -> dict:  # fmt: skip
    """Tally every item of `rows` per aspect, per group, and combined (`counts` include the
    paper ballots; `paper` gives them alone)."""
    scale = rules.get_scale(m["scale"])
    rule = rules.parse_rule(json.loads(m["rule"]))
    how = rules.parse_combine(json.loads(m["combine"]))
    aspects = json.loads(m["aspects"])
    counted = how.group
    tallies: list[tuple[int, rules.Tally]] = []
    items = []
    for r in rows:
        per_aspect = []
        for n, name in enumerate(aspects):
            by_group = counts[r["id"]].get(str(n), {})
            groups = {}
            for g in sorted(set(by_group) | {counted}):
                expected = m["expected"] if g == counted else issued.get(g)
                groups[g] = rules.tally(
                    scale, by_group.get(g, {}), rule=rule, expected=expected,
                    present=present.get(g, 0),
                )  # fmt: skip
            combined = rules.combine(
                scale, groups, how, rule=rule, expected=m["expected"],
                present=present.get(counted, 0),
            )  # fmt: skip
            if n == 0:
                tallies.append((r["id"], combined))
            on_paper = ((paper or {}).get(r["id"]) or {}).get(str(n), {})
            paper_sum: dict[str, int] = {}
            for by_choice in on_paper.values():
                for choice, k in by_choice.items():
                    paper_sum[choice] = paper_sum.get(choice, 0) + k
            per_aspect.append(
                {
                    "aspect": n,
                    "name": name,
                    "result": combined.to_dict(scale),
                    "groups": {g: t.to_dict(scale) for g, t in groups.items()},
                    "paper": paper_sum,
                    "paper_groups": on_paper,
                }
            )
        items.append({**item_dict(r), "aspects": per_aspect})
    rated = [(item_id, t) for item_id, t in tallies if t.rate is not None]
    ranks = {item_id: place for place, item_id in rules.rank(rated)}  # no ballots: no rank
    for item in items:
        item["rank"] = ranks.get(item["id"])
    return {
        "meeting": m["id"],
        "title": m["title"],
        "expected": m["expected"],
        "present": present.get(counted, 0),
        "scale": scale.to_dict(),
        "rule": rule.to_dict(),
        "combine": how.to_dict(),
        "items": items,
    }


def verify(conn: sqlite3.Connection) -> list[str]:
    """Every problem found in the audit chain and the ballots; [] when all is well."""
    problems = []
    prev = GENESIS
    last_counts: dict[int, dict] = {}
    for row in conn.execute("SELECT * FROM audit ORDER BY id"):
        where = f"audit entry {row['id']} ({row['action']})"
        if row["prev"] != prev:
            problems.append(f"{where}: does not follow the entry before it")
        expected_hash = entry_hash(
            row["id"], row["at"], row["meeting_id"], row["action"], row["detail"], row["prev"]
        )
        if row["hash"] != expected_hash:
            problems.append(f"{where}: its content does not match its hash (changed)")
        prev = row["hash"]
        try:
            detail = json.loads(row["detail"])
        except ValueError:
            problems.append(f"{where}: its detail is not JSON")
            continue
        if row["action"] in ("close", "reveal", "paper"):
            for item_id, counts in detail.get("counts", {}).items():
                last_counts[int(item_id)] = counts
        elif row["action"] in ("reopen", "reset"):
            for item_id in detail.get("items", []):
                last_counts.pop(int(item_id), None)
    for item_id, aspect, ballots, voters in conn.execute(
        "SELECT item_id, aspect, sum(b), sum(v) FROM ("
        " SELECT item_id, aspect, 1 AS b, 0 AS v FROM ballots"
        " UNION ALL SELECT item_id, aspect, 0, 1 FROM voted) GROUP BY item_id, aspect"
    ):
        if ballots != voters:
            problems.append(
                f"item {item_id} aspect {aspect}: {ballots} ballots but {voters} cards voted"
            )
    for item in conn.execute("SELECT id, state FROM items WHERE state IN ('closed', 'revealed')"):
        recorded = last_counts.get(item["id"])
        if recorded is None:
            problems.append(f"item {item['id']}: {item['state']} but no close in the audit log")
            continue
        recount = _counts(conn, [item["id"]])[item["id"]]
        if recount != recorded:
            problems.append(
                f"item {item['id']}: the ballots now count {_dumps(recount)}"
                f" but {_dumps(recorded)} when voting closed"
            )
    for row in conn.execute(
        "SELECT b.item_id, b.choice, m.scale FROM ballots b JOIN items i ON i.id = b.item_id"
        " JOIN meetings m ON m.id = i.meeting_id"
        " UNION ALL SELECT p.item_id, p.choice, m.scale FROM paper p"
        " JOIN items i ON i.id = p.item_id JOIN meetings m ON m.id = i.meeting_id"
    ):
        if not rules.get_scale(row["scale"]).is_valid_choice(row["choice"]):
            problems.append(f"item {row['item_id']}: a ballot holds '{row['choice']}'")
    return problems
