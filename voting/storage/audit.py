"""The audit log: every secretary action, each entry chained to the one before it by hash.

Triggers make the log append-only. A close (and a reveal, and each paper entry) records the
item's counts in the log, so `find_problems` can recount every closed item from its ballots and
say where anything differs. A `make_real` entry (a rehearsal turned real) and a
`delete_meeting` entry name the items whose earlier counts they void.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any, cast

from voting import rules
from voting.records import AuditEntry, AuditHead
from voting.storage.rows import choice_counts, dumps, now

GENESIS = "0" * 64
#: Entries after which the items they name promise no counts any more: a reopen or a reset
#: (voting goes on, or starts again), a rehearsal turned real (its ballots discarded) and a
#: deleted meeting (its items gone; their numbers may be given again).
VOIDING = frozenset({"reopen", "reset", "make_real", "delete_meeting"})


def entry_hash(
    entry_id: int, at: str, meeting_id: int | None, action: str, detail: str, prev: str
) -> str:
    """The hash that chains an audit entry to the one before it."""
    body = dumps([entry_id, at, meeting_id, action, detail, prev])
    return hashlib.sha256(body.encode()).hexdigest()


def append_audit(
    conn: sqlite3.Connection, meeting_id: int | None, action: str, detail: dict[str, Any]
) -> None:
    """Append one entry to the audit log, chained to the last one (inside the caller's txn)."""
    last = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    entry_id, prev = (last["id"] + 1, last["hash"]) if last else (1, GENESIS)
    at, text = now(), dumps(detail)
    conn.execute(
        "INSERT INTO audit (id, at, meeting_id, action, detail, prev, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (entry_id, at, meeting_id, action, text, prev,
         entry_hash(entry_id, at, meeting_id, action, text, prev)),
    )  # fmt: skip


def audit_log(conn: sqlite3.Connection, meeting_id: int | None = None) -> list[AuditEntry]:
    """The log's entries in order (of one meeting, if given), each detail parsed."""
    if meeting_id is None:
        rows = conn.execute("SELECT * FROM audit ORDER BY id")
    else:
        rows = conn.execute("SELECT * FROM audit WHERE meeting_id = ? ORDER BY id", (meeting_id,))
    return [cast(AuditEntry, {**dict(r), "detail": json.loads(r["detail"])}) for r in rows]


def audit_head(conn: sqlite3.Connection) -> AuditHead:
    """The last entry's number and hash (0 and GENESIS for an empty log)."""
    row = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return {"entries": row["id"], "hash": row["hash"]} if row else {"entries": 0, "hash": GENESIS}


def find_problems(conn: sqlite3.Connection) -> list[str]:
    """Every problem found in the audit chain and the ballots; [] when all is well."""
    problems, last_counts = _chain_problems(conn)
    problems += _ballot_problems(conn)
    problems += _recount_problems(conn, last_counts)
    problems += _choice_problems(conn)
    return problems


def _chain_problems(conn: sqlite3.Connection) -> tuple[list[str], dict[int, Any]]:
    """Breaks in the chain, and each item's counts as its latest close (or paper entry) kept."""
    problems = []
    prev = GENESIS
    last_counts: dict[int, Any] = {}
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
        elif row["action"] in VOIDING:
            for item_id in detail.get("items", []):
                last_counts.pop(int(item_id), None)
    return problems, last_counts


def _ballot_problems(conn: sqlite3.Connection) -> list[str]:
    """Items and aspects whose ballots are not as many as the cards that voted on them."""
    return [
        f"item {item_id} aspect {aspect}: {ballots} ballots but {voters} cards voted"
        for item_id, aspect, ballots, voters in conn.execute(
            "SELECT item_id, aspect, sum(b), sum(v) FROM ("
            " SELECT item_id, aspect, 1 AS b, 0 AS v FROM ballots"
            " UNION ALL SELECT item_id, aspect, 0, 1 FROM voted) GROUP BY item_id, aspect"
        )
        if ballots != voters
    ]


def _recount_problems(conn: sqlite3.Connection, last_counts: dict[int, Any]) -> list[str]:
    """Closed items without a close in the log, or whose ballots now count otherwise."""
    problems = []
    for item in conn.execute("SELECT id, state FROM items WHERE state IN ('closed', 'revealed')"):
        recorded = last_counts.get(item["id"])
        if recorded is None:
            problems.append(f"item {item['id']}: {item['state']} but no close in the audit log")
            continue
        recount = choice_counts(conn, [item["id"]])[item["id"]]
        if recount != recorded:
            problems.append(
                f"item {item['id']}: the ballots now count {dumps(recount)}"
                f" but {dumps(recorded)} when voting closed"
            )
    return problems


def _choice_problems(conn: sqlite3.Connection) -> list[str]:
    """Ballots (by phone or on paper) holding a choice their meeting's scale does not have."""
    return [
        f"item {row['item_id']}: a ballot holds '{row['choice']}'"
        for row in conn.execute(
            "SELECT b.item_id, b.choice, m.scale FROM ballots b JOIN items i ON i.id = b.item_id"
            " JOIN meetings m ON m.id = i.meeting_id"
            " UNION ALL SELECT p.item_id, p.choice, m.scale FROM paper p"
            " JOIN items i ON i.id = p.item_id JOIN meetings m ON m.id = i.meeting_id"
        )
        if not rules.get_scale(row["scale"]).is_valid_choice(row["choice"])
    ]
