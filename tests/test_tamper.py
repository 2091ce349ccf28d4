"""Tamper evidence: one change to the database file, made with plain sqlite3 as an attacker
holding the file would (dropping the triggers that stand in the way), makes `app.py verify`
fail and say where: which item, or which audit entry.

tests/test_store.py proves the store's `verify` on a changed choice, an edited or rehashed audit
entry and a deleted `voted` row, and the command line once; here every kind of change goes
through the command line's own `main()` (its output and exit code), on a meeting run the way the
secretary runs it: two items closed, one revealed, one still open.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import app as app_module
from conftest import Api, phone, vote
from voting.storage import entry_hash

CHOICES = ("satisfied", "basic", "unsatisfied")


def run_verify(instance: Path, monkeypatch, capsys) -> tuple[int, str]:
    """`python app.py verify` on this instance folder: (exit code, what it printed)."""
    monkeypatch.setenv("CEPING_INSTANCE", str(instance))
    capsys.readouterr()
    code = app_module.main(["verify"])
    return code, capsys.readouterr().out


@pytest.fixture
def board(app, tmp_path) -> dict[str, Any]:
    """Six cards vote on four items: c1 and c2 closed, r revealed, o still open."""
    api = Api(app.test_client())
    made = api.meeting(cards=6, items=4)
    mid = made["meeting"]["id"]
    c1, c2, r, o = made["items"]
    phones = [phone(app, card["token"]) for card in made["cards"]]
    api.move(mid, "open", made["items"])
    for n, p in enumerate(phones[:5]):  # the sixth card votes on nothing
        for item in made["items"]:
            assert vote(p, item, CHOICES[n % 3])["ok"]
    api.move(mid, "close", [c1, c2, r])
    api.move(mid, "reveal", [r])
    card_ids = [
        row[0]
        for row in db(tmp_path).execute(
            "SELECT id FROM cards WHERE meeting_id = ? ORDER BY number", (mid,)
        )
    ]
    return {"meeting": mid, "c1": c1, "c2": c2, "r": r, "o": o, "cards": card_ids}


def db(instance: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(instance / "ceping.sqlite"), isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def one_ballot(conn, item: int, choice: str | None = None) -> str:
    sql, args = "SELECT id FROM ballots WHERE item_id = ?", [item]
    if choice:
        sql += " AND choice = ?"
        args.append(choice)
    return conn.execute(sql + " ORDER BY id LIMIT 1", args).fetchone()[0]


# Each change: (what it does to the file, what verify must name)


def change_choice(conn, b) -> list[str]:
    conn.execute(
        "UPDATE ballots SET choice = 'satisfied' WHERE id = ?",
        (one_ballot(conn, b["c1"], "unsatisfied"),),
    )
    return [f"item {b['c1']}:"]


def change_revealed_choice(conn, b) -> list[str]:
    conn.execute(
        "UPDATE ballots SET choice = 'unsatisfied' WHERE id = ?",
        (one_ballot(conn, b["r"], "satisfied"),),
    )
    return [f"item {b['r']}:"]


def delete_ballot(conn, b) -> list[str]:
    conn.execute("DELETE FROM ballots WHERE id = ?", (one_ballot(conn, b["c2"]),))
    return [f"item {b['c2']}"]


def delete_ballot_and_voted(conn, b) -> list[str]:
    """A careful attacker also removes one card's `voted` row, so the two tables agree."""
    conn.execute("DELETE FROM ballots WHERE id = ?", (one_ballot(conn, b["c2"], "basic"),))
    conn.execute("DELETE FROM voted WHERE item_id = ? AND card_id = ?", (b["c2"], b["cards"][0]))
    return [f"item {b['c2']}:"]


def add_ballot(conn, b) -> list[str]:
    conn.execute(
        "INSERT INTO ballots (id, item_id, aspect, grp, choice) VALUES (?, ?, 0, 'member', ?)",
        (str(uuid.uuid4()), b["c1"], "satisfied"),
    )
    return [f"item {b['c1']}"]


def add_ballot_and_voted(conn, b) -> list[str]:
    """A ballot for the card that did not vote, with its `voted` row: the tables agree."""
    conn.execute(
        "INSERT INTO ballots (id, item_id, aspect, grp, choice) VALUES (?, ?, 0, 'member', ?)",
        (str(uuid.uuid4()), b["r"], "satisfied"),
    )
    conn.execute(
        "INSERT INTO voted (item_id, aspect, card_id) VALUES (?, 0, ?)", (b["r"], b["cards"][5])
    )
    return [f"item {b['r']}:"]


def move_ballot(conn, b) -> list[str]:
    """One ballot moved from one closed item to another, with a `voted` row to match."""
    conn.execute(
        "UPDATE ballots SET item_id = ? WHERE id = ?", (b["c2"], one_ballot(conn, b["c1"]))
    )
    return [f"item {b['c1']}", f"item {b['c2']}"]


def bad_choice_on_open_item(conn, b) -> list[str]:
    """On the open item counts may still change, but not into something off the scale."""
    conn.execute("UPDATE ballots SET choice = 'x' WHERE id = ?", (one_ballot(conn, b["o"]),))
    return [f"item {b['o']}: a ballot holds 'x'"]


def edit_audit_entry(conn, b) -> list[str]:
    conn.execute("DROP TRIGGER audit_append_only_update")
    entry = conn.execute(
        "SELECT id FROM audit WHERE meeting_id = ? AND action = 'open'", (b["meeting"],)
    ).fetchone()[0]
    conn.execute(
        "UPDATE audit SET detail = replace(detail, '\"secretary\"', '\"someone\"') WHERE id = ?",
        (entry,),
    )
    return [f"audit entry {entry} (open)"]


def edit_close_counts(conn, b) -> list[str]:
    """The close's counts changed to match tampered ballots: the hash gives it away."""
    conn.execute("DROP TRIGGER audit_append_only_update")
    entry = conn.execute(
        "SELECT id FROM audit WHERE meeting_id = ? AND action = 'close'", (b["meeting"],)
    ).fetchone()[0]
    conn.execute(
        "UPDATE audit SET detail = replace(detail, '\"satisfied\":2', '\"satisfied\":3')"
        " WHERE id = ?",
        (entry,),
    )
    return [f"audit entry {entry} (close)"]


def delete_audit_entry(conn, b) -> list[str]:
    conn.execute("DROP TRIGGER audit_append_only_delete")
    entry = conn.execute(
        "SELECT id FROM audit WHERE meeting_id = ? AND action = 'issue_cards'", (b["meeting"],)
    ).fetchone()[0]
    conn.execute("DELETE FROM audit WHERE id = ?", (entry,))
    return [f"audit entry {entry + 1} "]  # the next one no longer follows its predecessor


def rehash_audit_entry(conn, b) -> list[str]:
    """An attacker who rehashes the entry he changed breaks the link to the next one."""
    conn.execute("DROP TRIGGER audit_append_only_update")
    row = conn.execute(
        "SELECT * FROM audit WHERE meeting_id = ? AND action = 'open'", (b["meeting"],)
    ).fetchone()
    detail = row["detail"].replace('"secretary"', '"someone"')
    new = entry_hash(row["id"], row["at"], row["meeting_id"], row["action"], detail, row["prev"])
    conn.execute("UPDATE audit SET detail = ?, hash = ? WHERE id = ?", (detail, new, row["id"]))
    return [f"audit entry {row['id'] + 1} "]


TAMPERING: list[Callable] = [
    change_choice,
    change_revealed_choice,
    delete_ballot,
    delete_ballot_and_voted,
    add_ballot,
    add_ballot_and_voted,
    move_ballot,
    bad_choice_on_open_item,
    edit_audit_entry,
    edit_close_counts,
    delete_audit_entry,
    rehash_audit_entry,
]


@pytest.mark.parametrize("tamper", TAMPERING, ids=[t.__name__ for t in TAMPERING])
def test_one_change_to_the_file_fails_verify_and_says_where(
    app, board, tmp_path, monkeypatch, capsys, tamper
):
    code, out = run_verify(tmp_path, monkeypatch, capsys)
    assert code == 0 and "verify: OK" in out, out  # the honest file passes

    conn = db(tmp_path)
    places = tamper(conn, board)
    conn.close()

    code, out = run_verify(tmp_path, monkeypatch, capsys)
    assert code == 1, out
    assert "verify: OK" not in out
    fails = [line for line in out.splitlines() if line.startswith("FAIL ")]
    assert fails, out
    for place in places:
        assert any(line.startswith(f"FAIL {place}") for line in fails), (place, out)


def test_a_cut_or_extended_log_end_changes_the_head_that_was_written_down(
    app, board, tmp_path, monkeypatch, capsys
):
    """Only a copy of the head kept elsewhere shows that the log's end was cut or extended
    (the README says to write it down): verify prints it, and any such change moves it."""
    code, out = run_verify(tmp_path, monkeypatch, capsys)
    (written_down,) = [line for line in out.splitlines() if line.startswith("audit log:")]

    conn = db(tmp_path)
    conn.execute("DROP TRIGGER audit_append_only_delete")
    last = conn.execute("SELECT * FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    conn.execute("DELETE FROM audit WHERE id = ?", (last["id"],))
    code, out = run_verify(tmp_path, monkeypatch, capsys)
    assert written_down not in out

    # put it back: the head is the same again, and so is the verdict
    conn.execute(
        "INSERT INTO audit (id, at, meeting_id, action, detail, prev, hash)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        tuple(last),
    )
    code, out = run_verify(tmp_path, monkeypatch, capsys)
    assert code == 0 and written_down in out
