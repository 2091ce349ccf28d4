"""The schema and its migrations: every table, index and trigger, and how a database catches up.

Secret ballots: which cards have voted on which item is one table (`voted`); the ballots
(choice, group, random id) are another (`ballots`), with no card, no time and no insertion
order (a WITHOUT ROWID table keyed by the ballot's random id). One transaction writes both, and
the primary key of `voted` makes a second ballot from the same card impossible. A trigger
refuses a ballot that names its card in a secret meeting.

Comments (意见建议) are a third table (`comments`): a random key of its own, the item and the
text, nothing that could be matched with a ballot or a card. Paper ballots (补录) are counts per
item, aspect, group and choice (`paper`). Follow-up (整改) records are `followups`. Every
secretary action is appended to `audit`, whose triggers make it append-only.

A new migration is a new function decorated with `@migrations()` at the end of this module,
named `mNNN_what`; `migrate` applies those a database has not had yet, in order.
"""

from __future__ import annotations

import re
import sqlite3

import sqlite_utils

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


@migrations()
def m006_rehearsal(db: sqlite_utils.Database) -> None:
    """A meeting is a rehearsal (演练) or the real sitting, and a real one can be archived.

    A rehearsal says 演练 everywhere and feeds no trend, carry-over or follow-up board, so a
    trial run the day before never reaches the official record; an archived meeting is hidden
    from the list but still counted in trends and `verify`. Meetings there before are real.
    """
    db.execute(
        "ALTER TABLE meetings ADD COLUMN rehearsal INTEGER NOT NULL DEFAULT 0"
        " CHECK (rehearsal IN (0, 1))"
    )
    db.execute(
        "ALTER TABLE meetings ADD COLUMN archived INTEGER NOT NULL DEFAULT 0"
        " CHECK (archived IN (0, 1))"
    )


@migrations()
def m007_speech(db: sqlite_utils.Database) -> None:
    """The 述法 speech timer: the time per oral report (a meeting's, an item's own), whether the
    vote opens by itself when a speech ends, and each item's speech as stored times (on the
    app's clock), so a projector that reloads or a server that restarts shows the same time."""
    db.execute(
        "ALTER TABLE meetings ADD COLUMN speech_minutes INTEGER NOT NULL DEFAULT 8"
        " CHECK (speech_minutes BETWEEN 1 AND 60)"
    )
    db.execute(
        "ALTER TABLE meetings ADD COLUMN speech_opens_vote INTEGER NOT NULL DEFAULT 0"
        " CHECK (speech_opens_vote IN (0, 1))"
    )
    db.execute(
        "ALTER TABLE items ADD COLUMN speech_seconds INTEGER"
        " CHECK (speech_seconds IS NULL OR speech_seconds BETWEEN 30 AND 3600)"
    )
    db.execute(
        """CREATE TABLE speeches (
            item_id INTEGER PRIMARY KEY REFERENCES items(id),
            meeting_id INTEGER NOT NULL REFERENCES meetings(id),
            started_at REAL NOT NULL,
            allotted INTEGER NOT NULL CHECK (allotted > 0),
            paused_at REAL,
            paused_total REAL NOT NULL DEFAULT 0 CHECK (paused_total >= 0),
            ended_at REAL
        )"""
    )
    db.execute("CREATE INDEX speeches_meeting ON speeches (meeting_id, started_at)")


@migrations()
def m008_materials(db: sqlite_utils.Database) -> None:
    """看一看: the reports and documents members read, per item or for the whole meeting.

    A material's files (page images or text) live in `instance/materials/<meeting>/<id>/`; the
    row says what they are. `item_id` NULL: the meeting's general materials. `owner` says whose
    files they are: 'item' (an item's or the meeting's) now; a follow-up (整改) may own some later
    (`followup_item`, not used yet). A meeting's `reading_key` opens its materials read-only
    before the sitting (the reading link); NULL: none, or withdrawn.
    """
    db.execute(
        """CREATE TABLE materials (
            id INTEGER PRIMARY KEY,
            meeting_id INTEGER NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
            item_id INTEGER REFERENCES items(id) ON DELETE CASCADE,
            owner TEXT NOT NULL DEFAULT 'item' CHECK (owner IN ('item', 'followup')),
            followup_item INTEGER,
            name TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('pdf', 'image', 'docx', 'text')),
            pages INTEGER NOT NULL DEFAULT 0 CHECK (pages >= 0),
            bytes INTEGER NOT NULL CHECK (bytes >= 0),
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX materials_meeting ON materials (meeting_id, item_id)")
    db.execute("ALTER TABLE meetings ADD COLUMN reading_key TEXT")
    db.execute(
        "CREATE UNIQUE INDEX meetings_reading_key ON meetings (reading_key)"
        " WHERE reading_key IS NOT NULL"
    )


@migrations()
def m009_followup_answers(db: sqlite_utils.Database) -> None:
    """The department's answer on its follow-up (整改): the date its 整改报告 was received, the
    report's text, and the secretary's assessment (text, and a grade: 合格 `pass` / 不合格
    `fail`, or none). Each change is an audit entry (`followup_answer`), as status changes are.
    Files sent with a report are kept as the sitting's materials are, not in this table."""
    db.execute("ALTER TABLE followups ADD COLUMN received TEXT")
    db.execute("ALTER TABLE followups ADD COLUMN report TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE followups ADD COLUMN assessment TEXT NOT NULL DEFAULT ''")
    db.execute(
        "ALTER TABLE followups ADD COLUMN grade TEXT NOT NULL DEFAULT ''"
        " CHECK (grade IN ('', 'pass', 'fail'))"
    )


_KIND_CHECK = re.compile(r"CHECK \(kind IN \(([^)]*)\)\)")


@migrations(transactional=False)  # PRAGMA foreign_keys is a no-op inside a transaction
def m010_rectification(db: sqlite_utils.Database) -> None:
    """An item of kind 整改情况 (`rectification`): a department brought back to a later meeting
    to be rated on how it rectified, linked to the follow-up it reviews (`followup_item_id`,
    the item whose follow-up record it is).

    SQLite cannot change a CHECK in place, so `items` is rebuilt the documented way (foreign
    keys off, one transaction: a new table from the old one's own SQL with the wider CHECK,
    every row copied, the old one dropped, the new one renamed, its indexes and triggers made
    again, `foreign_key_check` empty, then commit). The table's SQL is read from the file, not
    written here, so columns added by earlier migrations are kept. Run again after a crash
    between the commit and the record of it, it finds the work done and does nothing.
    """
    conn = db.conn
    columns = [r[1] for r in conn.execute("PRAGMA table_info(items)")]
    if "followup_item_id" in columns:
        return
    conn.execute("PRAGMA foreign_keys=OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            _rebuild_items(conn)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys=ON")


def _rebuild_items(conn: sqlite3.Connection) -> None:
    """The steps inside the transaction of `m010_rectification`."""
    table_sql = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'items'"
    ).fetchone()[0]
    found = _KIND_CHECK.search(table_sql)
    if found is None:
        raise RuntimeError("items: the CHECK on kind was not found")
    kinds = found.group(1) + ", 'rectification'"
    new_sql = table_sql[: found.start(1)] + kinds + table_sql[found.end(1) :]
    new_sql = new_sql.replace("CREATE TABLE items", "CREATE TABLE items_new", 1)
    others = conn.execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'items' AND type IN ('index', 'trigger')"
        " AND sql IS NOT NULL"
    ).fetchall()
    conn.execute(new_sql)
    conn.execute("INSERT INTO items_new SELECT * FROM items")
    conn.execute("PRAGMA legacy_alter_table=ON")  # other tables' triggers name `items`
    try:
        conn.execute("DROP TABLE items")
        conn.execute("ALTER TABLE items_new RENAME TO items")
    finally:
        conn.execute("PRAGMA legacy_alter_table=OFF")
    for (sql,) in others:
        conn.execute(sql)
    conn.execute("ALTER TABLE items ADD COLUMN followup_item_id INTEGER REFERENCES items(id)")
    conn.execute("CREATE INDEX items_followup ON items (followup_item_id)")
    problems = conn.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        raise RuntimeError(f"items rebuilt with broken references: {problems[:5]}")


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the schema up to date (idempotent)."""
    migrations.apply(sqlite_utils.Database(conn, execute_plugins=False))
