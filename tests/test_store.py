"""Tests for voting/storage/ and voting/writer.py: secrecy, one ballot per card, the writer, audit.

Everything goes through `voting.storage.Store` on a temporary database, and the file is read back
with plain `sqlite3`, as anybody holding the file could.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from sqlitefile import rows_in_placement_order, wal_links
from voting import cards as cardlib
from voting.errors import Refused
from voting.settings import BadInput, Move, NewItem, Vote, meeting_settings, votes
from voting.storage import GENESIS, Store
from voting.writer import threaded_runtime

CHOICES = ("satisfied", "basic", "unsatisfied")
CARD_COLUMNS = {"card", "card_id", "card_number", "number", "token", "device"}
CARD_KEYS = {"card", "cards", "card_id", "card_number", "number", "token", "tokens", "device"}
TIME_COLUMN = re.compile(r"(^|_)(at|ts|time|date|stamp|created|when|seq|order|position)($|_)")


# -- helpers --------------------------------------------------------------------------------


def ballot_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Meeting:
    store: Store
    id: int
    items: list[int]
    cards: list[int]  # card ids, in card-number order
    tokens: list[str]


def make_meeting(
    store: Store,
    *,
    cards: int = 4,
    items: int = 2,
    open_items: bool = True,
    checkin: bool = False,
    **fields: Any,
) -> Meeting:
    """A meeting with `items` items and `cards` cards; the items opened unless told otherwise."""
    data = {"title": "市人大常委会 述法测评", "expected": cards, **fields}
    m = store.create_meeting(meeting_settings(data))
    ids = store.add_items(m["id"], [NewItem(f"市第{n}局", f"局长{n}") for n in range(1, items + 1)])
    issued = store.issue_cards(m["id"], cards)
    tokens = [c["token"] for c in issued]
    if checkin:
        for token in tokens:
            store.use_card(token, cardlib.device_key(f"phone-{token}"))
    card_ids = [
        r[0]
        for r in store.read(
            lambda c: c.execute(
                "SELECT id FROM cards WHERE meeting_id = ? ORDER BY number", (m["id"],)
            ).fetchall()
        )
    ]
    if open_items:
        store.move(m["id"], Move(tuple(ids), override_quorum=not checkin), "open")
    return Meeting(store, m["id"], ids, card_ids, tokens)


def cast1(store: Store, card: int, item: int, choice: str, ballot: str | None = None) -> str:
    """Cast one vote; return its status."""
    (status,) = store.cast(card, [Vote(item, 0, choice, ballot or ballot_id())])
    return status


def refusal(fn, *args) -> Refused:
    with pytest.raises(Refused) as info:
        fn(*args)
    return info.value


def raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection to the file, as anybody holding it would open it."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def count(conn: sqlite3.Connection, sql: str, *args: Any) -> int:
    return conn.execute(sql, args).fetchone()[0]


def tables(conn: sqlite3.Connection) -> list[str]:
    return [
        r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1")
    ]


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]


def keys_in(value: Any) -> set[str]:
    """Every key of every dict nested anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value).union(*(keys_in(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(keys_in(v) for v in value))
    return set()


def item_counts(store: Store, meeting_id: int) -> dict[int, dict[str, int]]:
    """{item: {choice: n}} of aspect 0 from `Store.results` (closed and revealed items)."""
    data = store.results(meeting_id)
    return {i["id"]: dict(i["aspects"][0]["result"]["counts"]) for i in data["items"]}


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "ceping.sqlite"


@pytest.fixture
def store(db_path) -> Store:
    s = Store(db_path)
    yield s
    s.close()


@pytest.fixture
def threaded(db_path) -> Store:
    s = Store(db_path, threaded_runtime())
    yield s
    s.close()


# -- 1. secrecy -----------------------------------------------------------------------------


def test_secret_meeting_file_links_no_card_to_a_choice(store, db_path):
    m = make_meeting(store, cards=12, items=3, checkin=True)
    receipts = []
    for n, card in enumerate(m.cards):
        batch = [Vote(item, 0, CHOICES[(n + k) % 3], ballot_id()) for k, item in enumerate(m.items)]
        assert store.cast(card, batch) == ["recorded"] * 3
        receipts += [v.ballot for v in batch]
    store.set_card(m.id, 5, "revoke")  # an audit entry that names a card that has voted
    store.move(m.id, Move((m.items[0],)), "close")
    store.move(m.id, Move((m.items[0],)), "reveal")
    assert store.results(m.id)["items"][0]["aspects"][0]["result"]["counts"] == {
        "satisfied": 4,
        "basic": 4,
        "unsatisfied": 4,
    }

    conn = raw(db_path)
    names = tables(conn)
    assert {"meetings", "items", "cards", "voted", "ballots", "audit"} <= set(names)
    seen_choice_column = False
    for table in names:
        cols = columns(conn, table)
        card_cols = [c for c in cols if c in CARD_COLUMNS or (table == "cards" and c == "id")]
        choice_cols = [c for c in cols if "choice" in c]
        seen_choice_column |= bool(choice_cols)
        if card_cols and choice_cols:
            linked = " OR ".join(f'"{c}" IS NOT NULL' for c in card_cols)
            chosen = " OR ".join(f'"{c}" IS NOT NULL' for c in choice_cols)
            n = count(conn, f'SELECT count(*) FROM "{table}" WHERE ({linked}) AND ({chosen})')
            assert n == 0, f"{table}: {n} rows hold a card reference and a choice"
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            text = " ".join(str(v) for v in tuple(row))
            if table != "ballots":  # a receipt next to anything else could be traced
                assert not any(r in text for r in receipts), f"{table} holds a ballot id"
            if table != "cards":
                assert not any(t in text for t in m.tokens), f"{table} holds a card token"
    assert seen_choice_column  # the check above looked at the ballots' choice

    assert count(conn, "SELECT count(*) FROM ballots") == 36
    assert count(conn, "SELECT count(*) FROM ballots WHERE card_id IS NOT NULL") == 0
    assert count(conn, "SELECT count(*) FROM voted") == 36
    assert "choice" not in columns(conn, "voted")

    for table in ("ballots", "voted"):
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
        assert "WITHOUT ROWID" in sql.upper()
        with pytest.raises(sqlite3.OperationalError, match="rowid"):
            conn.execute(f"SELECT rowid FROM {table}")
        assert "pk" in {r["origin"] for r in conn.execute(f"PRAGMA index_list({table})")}
        cols = conn.execute(f"PRAGMA table_xinfo({table})").fetchall()
        for col in cols:
            assert not TIME_COLUMN.search(col["name"].lower()), f"{table}.{col['name']}"
            assert not re.search("TIME|DATE", (col["type"] or "").upper())
            assert "CURRENT_" not in str(col["dflt_value"] or "").upper()
            assert not col["hidden"]  # no hidden or generated column either

    for entry in conn.execute("SELECT action, detail FROM audit"):
        detail = json.loads(entry["detail"])
        keys = keys_in(detail)
        if keys & CARD_KEYS:
            assert not keys & {"choice", "choices", "ballot", "counts", *CHOICES}, entry["detail"]
            assert not any(c in entry["detail"] for c in CHOICES), entry["detail"]
        assert "choice" not in keys and "ballot" not in keys
    revoke = conn.execute("SELECT detail FROM audit WHERE action = 'revoke'").fetchone()
    assert json.loads(revoke["detail"]) == {"card": 5}


def test_secret_ballots_read_back_in_key_order_not_in_voting_order(store, db_path):
    # The score scale gives every card a distinct choice: 30 cards vote in number order.
    m = make_meeting(store, cards=30, items=1, scale="score")
    cast = []  # (ballot id, choice) in voting order
    for n, card in enumerate(m.cards):
        choice = str(100 - n)
        ballot = ballot_id()
        assert cast1(store, card, m.items[0], choice, ballot) == "recorded"
        cast.append((ballot, choice))
    conn = raw(db_path)
    # The table itself, scanned in its natural order (its primary key: no index, no ORDER BY).
    natural = [(r["id"], r["choice"]) for r in conn.execute("SELECT * FROM ballots NOT INDEXED")]
    assert sorted(natural) == sorted(cast)
    # The file gives them back in the order of the random ids (chance agreement 1 / 30!) ...
    assert natural == sorted(cast)
    assert [c for _, c in natural] != [c for _, c in cast]
    # ... and there is no other index on the ballots whose order could say anything.
    indexes = conn.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'ballots'"
                           " AND type = 'index' AND sql IS NOT NULL").fetchall()  # fmt: skip
    assert indexes == []


def test_time_ordered_ballot_ids_do_not_reveal_the_voting_order(store, db_path):
    m = make_meeting(store, cards=30, items=1, scale="score")
    cast = []
    for n, card in enumerate(m.cards):
        # A version-1 (time-based) UUID whose clock ticks between votes, as a phone would make.
        stamp = uuid.UUID(
            fields=(0x1E000000 + n * 1000, 0x5B3C, 0x11EF, 0x80, 0x12, 0xA0B1C2D3E4F5)
        )
        choice = str(100 - n)
        try:
            cast_votes = votes(
                {"votes": [{"item": m.items[0], "choice": choice, "ballot": str(stamp)}]}
            )
            store.cast(card, cast_votes)
        except (BadInput, Refused):
            continue  # refusing a non-random ballot id also protects the order
        cast.append(choice)
    natural = [r["choice"] for r in raw(db_path).execute("SELECT * FROM ballots NOT INDEXED")]
    assert len(natural) < 2 or natural != cast


# What the files themselves keep: the WAL, and where SQLite placed each row in its page.


def vote_one_by_one(store: Store, cards: int, seed: int) -> tuple[Meeting, dict[int, str]]:
    """`cards` cards vote on one item of a secret score meeting, one at a time, in a shuffled
    order, each with its own score: {card: choice}."""
    import random

    m = make_meeting(store, cards=cards, items=1, scale="score")
    order = list(m.cards)
    random.Random(seed).shuffle(order)
    truth = {}
    for n, card in enumerate(order):
        truth[card] = str(40 + n)
        assert cast1(store, card, m.items[0], truth[card]) == "recorded"
    return m, truth


def test_the_wal_is_empty_after_the_checkpoint_that_follows_a_close(store, db_path, tmp_path):
    m, truth = vote_one_by_one(store, 12, seed=1)
    # Until the checkpoint the WAL holds the commits in order (the reason for the checkpoint):
    # this also shows that `wal_links` finds what is there.
    assert wal_links(db_path, tmp_path) == {(c, m.items[0], ch) for c, ch in truth.items()}
    store.move(m.id, Move(tuple(m.items)), "close")
    store.seal()  # what `POST /api/meetings/<id>/close` does after the close
    assert Path(f"{db_path}-wal").stat().st_size == 0
    assert wal_links(db_path, tmp_path) == set()
    assert store.verify() == []


def test_a_countdown_close_also_empties_the_wal(store, db_path, tmp_path):
    m = make_meeting(store, cards=12, items=1, open_items=False, scale="score")
    store.move(m.id, Move(tuple(m.items), override_quorum=True, seconds=5), "open")
    for n, card in enumerate(m.cards):
        assert cast1(store, card, m.items[0], str(50 + n)) == "recorded"
    assert store.close_due(now=time.time() + 10) == [(m.id, m.items)]
    assert wal_links(db_path, tmp_path) == set()


def test_a_closed_secret_item_keeps_no_voting_order_in_the_file(store, db_path):
    m, truth = vote_one_by_one(store, 24, seed=2)
    store.move(m.id, Move(tuple(m.items)), "close")
    store.seal()
    assert Path(f"{db_path}-wal").stat().st_size == 0
    voted = [r for r in rows_in_placement_order(db_path, "voted") if r["item_id"] == m.items[0]]
    ballots = rows_in_placement_order(db_path, "ballots")
    assert len(voted) == len(ballots) == 24
    guessed = {v["card_id"]: b["choice"] for v, b in zip(voted, ballots, strict=True)}
    right = sum(guessed[card] == choice for card, choice in truth.items())
    assert right < 12  # a random pairing gets about one right


def test_database_refuses_a_card_on_a_secret_ballot_but_a_named_meeting_keeps_it(store, db_path):
    secret = make_meeting(store, cards=3, items=1)
    named = make_meeting(store, cards=3, items=1, secret=False)
    assert cast1(store, secret.cards[0], secret.items[0], "satisfied") == "recorded"
    named_ballot = ballot_id()
    assert cast1(store, named.cards[1], named.items[0], "basic", named_ballot) == "recorded"

    conn = raw(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="secret ballot"):
        conn.execute(
            "INSERT INTO ballots (id, item_id, aspect, grp, choice, card_id)"
            " VALUES (?, ?, 0, 'member', 'satisfied', ?)",
            (ballot_id(), secret.items[0], secret.cards[1]),
        )
    with pytest.raises(sqlite3.IntegrityError, match="secret ballot"):
        conn.execute(
            "UPDATE ballots SET card_id = ? WHERE item_id = ?", secret.cards[:1] + [secret.items[0]]
        )
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute("UPDATE meetings SET secret = 0 WHERE id = ?", (secret.id,))
    assert count(conn, "SELECT count(*) FROM ballots WHERE card_id IS NOT NULL") == 1
    row = conn.execute("SELECT * FROM ballots WHERE item_id = ?", (named.items[0],)).fetchone()
    assert (row["id"], row["choice"], row["card_id"]) == (named_ballot, "basic", named.cards[1])
    assert count(conn, "SELECT count(*) FROM ballots WHERE item_id = ?", secret.items[0]) == 1


# -- 2. one ballot per card per item and aspect -----------------------------------------------


def ballots_of(store: Store, item: int) -> list[tuple[str, str]]:
    return [
        tuple(r)
        for r in store.read(
            lambda c: c.execute(
                "SELECT id, choice FROM ballots WHERE item_id = ? ORDER BY id", (item,)
            ).fetchall()
        )
    ]


def voted_of(store: Store, item: int) -> int:
    return store.read(
        lambda c: c.execute("SELECT count(*) FROM voted WHERE item_id = ?", (item,)).fetchone()[0]
    )


def test_a_card_has_one_ballot_per_item(store):
    m = make_meeting(store, cards=3, items=1)
    item, card = m.items[0], m.cards[0]
    receipt = ballot_id()
    assert cast1(store, card, item, "satisfied", receipt) == "recorded"

    again = refusal(cast1, store, card, item, "satisfied", ballot_id())
    assert (again.code, again.item) == ("already_voted", item)
    assert cast1(store, card, item, "satisfied", receipt) == "unchanged"  # a phone's resend
    changed = refusal(cast1, store, card, item, "unsatisfied", receipt)
    assert changed.code == "change_not_allowed"
    assert ballots_of(store, item) == [(receipt, "satisfied")]
    assert voted_of(store, item) == 1

    taken = refusal(cast1, store, m.cards[1], item, "basic", receipt)  # another card's ballot id
    assert taken.code == "ballot_taken"
    assert ballots_of(store, item) == [(receipt, "satisfied")]
    assert voted_of(store, item) == 1
    assert cast1(store, m.cards[1], item, "basic") == "recorded"  # that card can still vote


def test_a_meeting_that_allows_change_moves_the_count(store):
    m = make_meeting(store, cards=3, items=1, allow_change=True)
    item = m.items[0]
    receipt = ballot_id()
    assert cast1(store, m.cards[0], item, "satisfied", receipt) == "recorded"
    assert cast1(store, m.cards[1], item, "satisfied") == "recorded"
    assert cast1(store, m.cards[0], item, "unsatisfied", receipt) == "changed"
    assert cast1(store, m.cards[0], item, "unsatisfied", receipt) == "unchanged"
    assert refusal(cast1, store, m.cards[0], item, "basic", ballot_id()).code == "already_voted"
    assert sorted(c for _, c in ballots_of(store, item)) == ["satisfied", "unsatisfied"]
    assert voted_of(store, item) == 2
    store.move(m.id, Move((item,)), "close")
    assert item_counts(store, m.id)[item] == {"satisfied": 1, "basic": 0, "unsatisfied": 1}
    assert refusal(cast1, store, m.cards[0], item, "basic", receipt).code == "not_open"
    assert store.verify() == []


def test_votes_that_cannot_count_are_refused(store):
    m = make_meeting(store, cards=3, items=4, open_items=False)
    other = make_meeting(store, cards=1, items=1)
    open_item, draft, closed, revealed = m.items
    store.move(m.id, Move((open_item, closed, revealed), override_quorum=True), "open")
    store.move(m.id, Move((closed, revealed)), "close")
    store.move(m.id, Move((revealed,)), "reveal")
    card = m.cards[0]

    assert refusal(cast1, store, card, other.items[0], "satisfied").code == "unknown_item"
    assert refusal(cast1, store, card, 10**9, "satisfied").code == "unknown_item"
    assert refusal(cast1, store, other.cards[0], open_item, "satisfied").code == "unknown_item"
    for item in (draft, closed, revealed):
        assert refusal(cast1, store, card, item, "satisfied").code == "not_open"
    for bad in ("满意", "SATISFIED", "abstain", "85", ""):
        assert refusal(cast1, store, card, open_item, bad).code == "bad_choice"
    bad_aspect = refusal(store.cast, card, [Vote(open_item, 1, "satisfied", ballot_id())])
    assert bad_aspect.code == "bad_aspect"
    assert store.read(lambda c: c.execute("SELECT count(*) FROM ballots").fetchone()[0]) == 0
    assert store.read(lambda c: c.execute("SELECT count(*) FROM voted").fetchone()[0]) == 0


def test_a_vote_list_is_kept_whole_or_not_at_all(store):
    m = make_meeting(store, cards=2, items=4)
    good = [Vote(item, 0, "satisfied", ballot_id()) for item in m.items[:3]]
    bad = Vote(m.items[3], 0, "excellent", ballot_id())
    assert refusal(store.cast, m.cards[0], [*good, bad]).code == "bad_choice"
    for item in m.items:
        assert ballots_of(store, item) == [] and voted_of(store, item) == 0
    # The same card then votes on all four: nothing of the refused list stood in its way.
    fixed = [*good, Vote(m.items[3], 0, "basic", bad.ballot)]
    assert store.cast(m.cards[0], fixed) == ["recorded"] * 4
    # A list whose last entry reuses another card's ballot id is refused whole too.
    second = [Vote(item, 0, "basic", ballot_id()) for item in m.items[:2]]
    second.append(Vote(m.items[2], 0, "basic", fixed[2].ballot))
    assert refusal(store.cast, m.cards[1], second).code == "ballot_taken"
    assert [voted_of(store, item) for item in m.items] == [1, 1, 1, 1]


def test_a_revoked_card_cannot_vote(store):
    m = make_meeting(store, cards=3, items=2)
    assert cast1(store, m.cards[2], m.items[0], "basic") == "recorded"
    store.set_card(m.id, 3, "revoke")
    assert refusal(cast1, store, m.cards[2], m.items[1], "basic").code == "revoked"
    assert refusal(cast1, store, 10**9, m.items[1], "basic").code == "revoked"
    assert voted_of(store, m.items[1]) == 0
    assert ballots_of(store, m.items[1]) == []


def test_a_vote_is_checked_against_the_latest_state_of_its_card_meeting_and_items(store):
    """The writer keeps each card's meeting and each meeting's items between votes; every
    other write makes it look them up again."""
    m = make_meeting(store, cards=3, items=3)
    first, second, third = m.items
    assert cast1(store, m.cards[0], first, "satisfied") == "recorded"  # now kept
    store.move(m.id, Move((second,)), "close")
    assert refusal(cast1, store, m.cards[0], second, "basic").code == "not_open"
    store.move(m.id, Move((second,)), "reopen")
    assert cast1(store, m.cards[0], second, "basic") == "recorded"
    store.set_card(m.id, 2, "revoke")
    assert refusal(cast1, store, m.cards[1], third, "basic").code == "revoked"
    later = store.add_items(m.id, [NewItem("市审计局")])[0]
    store.move(m.id, Move((later,), override_quorum=True), "open")
    assert cast1(store, m.cards[0], later, "unsatisfied") == "recorded"
    store.update_meeting(m.id, {"title": "改名后的会议"})
    assert cast1(store, m.cards[2], third, "basic") == "recorded"


def test_a_database_from_before_voted_was_keyed_by_card_keeps_its_votes(store, db_path):
    m = make_meeting(store, cards=3, items=2)
    for card in m.cards[:2]:
        assert cast1(store, card, m.items[0], "basic") == "recorded"
    store.close()
    conn = raw(db_path)  # `voted` as the earlier schema had it: by item, with an index by card
    conn.executescript(
        """BEGIN;
        CREATE TABLE voted_old (item_id INTEGER NOT NULL REFERENCES items(id),
            aspect INTEGER NOT NULL, card_id INTEGER NOT NULL REFERENCES cards(id),
            PRIMARY KEY (item_id, aspect, card_id)) WITHOUT ROWID;
        INSERT INTO voted_old SELECT item_id, aspect, card_id FROM voted;
        DROP TABLE voted;
        ALTER TABLE voted_old RENAME TO voted;
        CREATE INDEX voted_card ON voted (card_id);
        DELETE FROM _sqlite_migrations WHERE name = 'm005_voted_by_card';
        COMMIT;"""
    )
    conn.close()
    again = Store(db_path)
    assert voted_of(again, m.items[0]) == 2
    assert refusal(cast1, again, m.cards[0], m.items[0], "basic").code == "already_voted"
    assert cast1(again, m.cards[2], m.items[0], "basic") == "recorded"
    assert again.turnout(m.id)["voted"] == {str(m.items[0]): 3}
    conn = raw(db_path)
    schema = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'voted'").fetchone()[0]
    assert "PRIMARY KEY (card_id, item_id, aspect)" in schema
    assert (
        conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'voted_card'").fetchone()[0]
        == 0
    )
    assert again.verify() == []
    again.close()


def test_a_write_by_another_connection_is_seen_by_the_next_vote(store, db_path):
    m = make_meeting(store, cards=2, items=2)
    assert cast1(store, m.cards[0], m.items[0], "satisfied") == "recorded"
    raw(db_path).execute("UPDATE items SET state = 'closed' WHERE id = ?", (m.items[1],))
    assert refusal(cast1, store, m.cards[0], m.items[1], "basic").code == "not_open"
    raw(db_path).execute("UPDATE cards SET revoked = 1 WHERE id = ?", (m.cards[1],))
    assert refusal(cast1, store, m.cards[1], m.items[0], "basic").code == "revoked"


def test_a_group_rolled_back_by_sqlite_is_forgotten_by_the_next_vote(store, db_path):
    m = make_meeting(store, cards=2, items=2)
    assert cast1(store, m.cards[0], m.items[0], "satisfied") == "recorded"
    known = store._known.now(store.writer)
    assert m.cards[0] in known.cards and m.id in known.meetings
    store.writer.stats.rollbacks += 1  # as `_run_group` counts a group SQLite took back
    assert not known.now(store.writer).cards and not known.meetings


# -- 3. concurrency -------------------------------------------------------------------------


def race(n: int, fn) -> list[Any]:
    """Run fn(k) in n threads released at once; each result or the exception it raised."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(k):
        barrier.wait()
        try:
            out[k] = fn(k)
        except Exception as exc:
            out[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    return out


def test_twenty_simultaneous_votes_of_one_card_keep_one_ballot(threaded, db_path):
    m = make_meeting(threaded, cards=3, items=1)
    item, card = m.items[0], m.cards[0]
    outcomes = race(20, lambda k: cast1(threaded, card, item, CHOICES[k % 3]))
    assert outcomes.count("recorded") == 1
    refused = [o for o in outcomes if o != "recorded"]
    assert len(refused) == 19
    assert all(isinstance(o, Refused) and o.code == "already_voted" for o in refused), refused
    conn = raw(db_path)
    assert count(conn, "SELECT count(*) FROM ballots WHERE item_id = ?", item) == 1
    assert count(conn, "SELECT count(*) FROM voted WHERE item_id = ?", item) == 1


def test_two_servers_on_one_file_keep_one_ballot_per_card(db_path):
    first = Store(db_path)
    second = Store(db_path, threaded_runtime())
    m = make_meeting(first, cards=3, items=1)
    item, card = m.items[0], m.cards[1]
    stores = [first, second] * 5
    outcomes = race(10, lambda k: cast1(stores[k], card, item, CHOICES[k % 3]))
    assert outcomes.count("recorded") == 1, outcomes
    assert all(
        isinstance(o, Refused) and o.code == "already_voted" for o in outcomes if o != "recorded"
    ), outcomes
    conn = raw(db_path)
    assert count(conn, "SELECT count(*) FROM ballots WHERE item_id = ?", item) == 1
    assert count(conn, "SELECT count(*) FROM voted WHERE item_id = ?", item) == 1
    for s in (first, second):
        s.close()


# -- 4. any sequence of votes ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory) -> Store:
    s = Store(tmp_path_factory.mktemp("hypothesis") / "ceping.sqlite")
    yield s
    s.close()


N_CARDS, N_ITEMS = 4, 3  # the last item stays a draft
attempts = st.lists(
    st.tuples(
        st.integers(0, N_CARDS - 1),  # card
        st.integers(0, N_ITEMS - 1),  # item
        st.sampled_from(CHOICES),  # choice
        st.booleans(),  # reuse a ballot id already sent (the card's own, or else another's)
        st.booleans(),  # when reusing its own: change the choice
    ),
    max_size=30,
)


@settings(max_examples=50, deadline=None)
@given(steps=attempts, allow_change=st.booleans())
def test_any_sequence_of_votes_counts_each_card_once(shared_store, steps, allow_change):
    store = shared_store
    m = make_meeting(
        store, cards=N_CARDS, items=N_ITEMS, open_items=False, allow_change=allow_change
    )
    store.move(m.id, Move(tuple(m.items[:-1]), override_quorum=True), "open")
    assert store.turnout(m.id)["voted"] == {}  # from here on, counted vote by vote
    receipts: dict[tuple[int, int], str] = {}  # (card, item) -> its ballot id
    choice_of: dict[str, str] = {}  # ballot id -> choice now
    recorded: dict[int, set[int]] = {i: set() for i in range(N_ITEMS)}

    for card, item, choice, reuse, change in steps:
        own = receipts.get((card, item))
        others = [b for (c, i), b in receipts.items() if i == item and c != card]
        if reuse and own:
            ballot = own
            current = choice_of[own]
            if change:
                choice = choice if choice != current else CHOICES[(CHOICES.index(current) + 1) % 3]
            else:
                choice = current
        elif reuse and others:
            ballot = others[0]
        else:
            ballot = ballot_id()

        if item == N_ITEMS - 1:
            expected = "not_open"
        elif own is None:
            expected = "ballot_taken" if ballot in choice_of else "recorded"
        elif ballot != own:
            expected = "already_voted"
        elif choice == choice_of[own]:
            expected = "unchanged"
        else:
            expected = "changed" if allow_change else "change_not_allowed"

        try:
            status = cast1(store, m.cards[card], m.items[item], choice, ballot)
        except Refused as exc:
            status = exc.code
        assert status == expected, (card, item, choice, reuse, change)
        event(status)
        if status == "recorded":
            receipts[(card, item)] = ballot
            recorded[item].add(card)
        if status in ("recorded", "changed"):
            choice_of[ballot] = choice

    shown = store.turnout(m.id)["voted"]  # 已投 kept up to date vote by vote ...
    assert shown == {str(m.items[n]): len(c) for n, c in recorded.items() if c}
    store.move(m.id, Move(tuple(m.items[:-1])), "close")
    assert store.turnout(m.id)["voted"] == shown  # ... and counted afresh after the close

    def q(conn):
        out = {}
        for n, item in enumerate(m.items):
            b = conn.execute("SELECT count(*) FROM ballots WHERE item_id = ?", (item,)).fetchone()
            v = conn.execute(
                "SELECT count(*), count(DISTINCT card_id) FROM voted WHERE item_id = ?", (item,)
            ).fetchone()
            out[n] = (b[0], v[0], v[1])
        return out

    rows = store.read(q)
    counts = item_counts(store, m.id)
    for n, item in enumerate(m.items):
        cards_n = len(recorded[n])
        assert rows[n] == (cards_n, cards_n, cards_n)
        model = Counter(choice_of[receipts[(c, n)]] for c in recorded[n])
        if n < N_ITEMS - 1:
            assert {k: v for k, v in counts[item].items() if v} == dict(model)
            assert sum(counts[item].values()) == cards_n
        else:
            assert item not in counts  # a draft item has no result
    assert store.verify() == []


# -- 5. the audit chain ---------------------------------------------------------------------


def closed_meeting(store: Store) -> Meeting:
    """Six cards vote on two items, one closed (2 / 2 / 2), the other still open."""
    m = make_meeting(store, cards=6, items=2, checkin=True)
    for n, card in enumerate(m.cards):
        store.cast(card, [Vote(item, 0, CHOICES[n % 3], ballot_id()) for item in m.items])
    store.move(m.id, Move((m.items[0],)), "close")
    return m


def test_audit_entries_are_chained_and_append_only(store, db_path):
    m = closed_meeting(store)
    store.move(m.id, Move((m.items[0],)), "reveal")
    log = store.audit_log()
    assert [e["action"] for e in log][:3] == ["create", "add_items", "issue_cards"]
    assert [e["action"] for e in log][-3:] == ["open", "close", "reveal"]
    assert [e["id"] for e in log] == list(range(1, len(log) + 1))
    assert log[0]["prev"] == GENESIS
    for before, entry in zip(log, log[1:], strict=False):
        assert entry["prev"] == before["hash"]
    assert len({e["hash"] for e in log}) == len(log)
    assert log[-2]["detail"]["counts"] == {
        str(m.items[0]): {"0": {"member": {"satisfied": 2, "basic": 2, "unsatisfied": 2}}}
    }
    assert store.audit_log(m.id) == [e for e in log if e["meeting_id"] == m.id]

    conn = raw(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET detail = '{}' WHERE id = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit WHERE id = ?", (len(log),))
    assert count(conn, "SELECT count(*) FROM audit") == len(log)
    assert store.verify() == []


def test_verify_finds_a_ballot_changed_after_close(store, db_path):
    m = closed_meeting(store)
    assert store.verify() == []
    conn = raw(db_path)
    conn.execute(
        "UPDATE ballots SET choice = 'satisfied' WHERE id = (SELECT id FROM ballots"
        " WHERE item_id = ? AND choice = 'unsatisfied' LIMIT 1)",
        (m.items[0],),
    )
    problems = store.verify()
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"item {m.items[0]}: the ballots now count")
    # The same change to the item that is still open is not a discrepancy (voting goes on).
    conn.execute(
        "UPDATE ballots SET choice = 'satisfied' WHERE id = (SELECT id FROM ballots"
        " WHERE item_id = ? AND choice = 'unsatisfied' LIMIT 1)",
        (m.items[1],),
    )
    assert store.verify() == problems


def test_verify_finds_an_edited_audit_entry(store, db_path):
    m = closed_meeting(store)
    conn = raw(db_path)
    conn.execute("DROP TRIGGER audit_append_only_update")  # as an attacker holding the file
    close = conn.execute("SELECT id FROM audit WHERE action = 'close'").fetchone()[0]
    conn.execute(
        "UPDATE audit SET detail = replace(detail, '\"satisfied\":2', '\"satisfied\":3')"
        " WHERE id = ?",
        (close,),
    )
    problems = store.verify()
    assert f"audit entry {close} (close): its content does not match its hash (changed)" in problems
    assert any(p.startswith(f"item {m.items[0]}:") for p in problems)  # and the recount differs

    # An entry with nothing to recount (the cards issued) is found by its hash alone.
    issued = conn.execute("SELECT id FROM audit WHERE action = 'issue_cards'").fetchone()[0]
    conn.execute("UPDATE audit SET detail = replace(detail, '6', '7') WHERE id = ?", (issued,))
    assert any(p.startswith(f"audit entry {issued} (issue_cards):") for p in store.verify())


def test_verify_finds_a_rehashed_entry_by_the_one_after_it(store, db_path):
    from voting.storage import entry_hash

    closed_meeting(store)
    conn = raw(db_path)
    conn.execute("DROP TRIGGER audit_append_only_update")
    row = conn.execute("SELECT * FROM audit WHERE action = 'issue_cards'").fetchone()
    detail = row["detail"].replace('"count":6', '"count":60')
    new_hash = entry_hash(
        row["id"], row["at"], row["meeting_id"], row["action"], detail, row["prev"]
    )
    conn.execute(
        "UPDATE audit SET detail = ?, hash = ? WHERE id = ?", (detail, new_hash, row["id"])
    )
    problems = store.verify()
    assert any(
        p.startswith(f"audit entry {row['id'] + 1} ") and "does not follow" in p for p in problems
    )


def test_verify_finds_a_deleted_voted_row(store, db_path):
    m = closed_meeting(store)
    conn = raw(db_path)
    conn.execute("DELETE FROM voted WHERE item_id = ? AND card_id = ?", (m.items[1], m.cards[0]))
    assert store.verify() == [f"item {m.items[1]} aspect 0: 6 ballots but 5 cards voted"]


# -- 6. the writer --------------------------------------------------------------------------


class Gate:
    """Hold the writer inside a job so that the jobs submitted meanwhile queue up as one group."""

    def __init__(self, store: Store):
        self.store = store
        self.entered = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=store.writer.submit, args=(self._hold,))

    def _hold(self, conn):
        self.entered.set()
        assert self.release.wait(30)

    def __enter__(self):
        self.thread.start()
        assert self.entered.wait(10)
        return self

    def wait_queued(self, n: int) -> None:
        queue = self.store.writer._queue
        deadline = time.monotonic() + 20
        while queue.qsize() < n and time.monotonic() < deadline:
            time.sleep(0.005)
        assert queue.qsize() >= n

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(10)


def submit_all(jobs: list) -> tuple[list[threading.Thread], list[Any]]:
    """Start one thread per job (a callable); their outcomes land in the returned list."""
    out: list[Any] = [None] * len(jobs)

    def run(k):
        try:
            out[k] = jobs[k]()
        except BaseException as exc:
            out[k] = exc

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    return threads, out


def test_writer_commits_two_hundred_votes_in_groups_and_keeps_them(threaded, db_path):
    m = make_meeting(threaded, cards=200, items=1)
    item = m.items[0]
    commits = threaded.writer.stats.commits
    receipts = [ballot_id() for _ in m.cards]
    jobs = [
        (lambda card=card, b=b, n=n: cast1(threaded, card, item, CHOICES[n % 3], b))
        for n, (card, b) in enumerate(zip(m.cards, receipts, strict=True))
    ]
    with Gate(threaded) as gate:
        threads, out = submit_all(jobs)
        gate.wait_queued(200)
    for t in threads:
        t.join(30)
    assert out == ["recorded"] * 200
    assert threaded.writer.stats.commits - commits < 200
    assert threaded.writer.stats.largest_group >= 100

    again = Store(db_path)
    assert sorted(r for r, _ in ballots_of(again, item)) == sorted(receipts)
    assert voted_of(again, item) == 200
    again.move(m.id, Move((item,)), "close")
    assert item_counts(again, m.id)[item] == {"satisfied": 67, "basic": 67, "unsatisfied": 66}
    assert again.verify() == []
    again.close()


def test_a_failing_job_does_not_lose_the_rest_of_its_group(threaded, db_path):
    m = make_meeting(threaded, cards=6, items=2)
    item = m.items[0]

    def broken(conn):  # writes, then fails: its write must go, the others' must stay
        conn.execute(
            "INSERT INTO voted (item_id, aspect, card_id) VALUES (?, 0, ?)", (item, m.cards[5])
        )
        raise RuntimeError("boom")

    def violates(conn):  # a constraint error in the middle of the group
        conn.execute("INSERT INTO voted (item_id, aspect, card_id) VALUES (?, 0, ?)", (item, 10**9))

    jobs = [lambda card=card: cast1(threaded, card, item, "basic") for card in m.cards[:2]]
    jobs += [
        lambda: threaded.writer.submit(broken),
        lambda: cast1(threaded, m.cards[2], item, "nonsense"),
        lambda: threaded.cast(
            m.cards[3], [Vote(m.items[1], 0, "basic", ballot_id()), Vote(item, 0, "x", ballot_id())]
        ),
        lambda: threaded.writer.submit(violates),
    ]
    jobs += [lambda card=card: cast1(threaded, card, item, "satisfied") for card in m.cards[3:5]]
    with Gate(threaded) as gate:
        threads, out = submit_all(jobs)
        gate.wait_queued(len(jobs))
    for t in threads:
        t.join(30)
    assert threaded.writer.stats.largest_group >= len(jobs)
    assert out[:2] == ["recorded", "recorded"] and out[-2:] == ["recorded", "recorded"]
    assert isinstance(out[2], RuntimeError)
    assert isinstance(out[3], Refused) and out[3].code == "bad_choice"
    assert isinstance(out[4], Refused) and out[4].code == "bad_choice"
    assert isinstance(out[5], sqlite3.IntegrityError)

    conn = raw(db_path)
    assert sorted(r["choice"] for r in conn.execute("SELECT choice FROM ballots")) == [
        "basic",
        "basic",
        "satisfied",
        "satisfied",
    ]
    voters = {r[0] for r in conn.execute("SELECT card_id FROM voted WHERE item_id = ?", (item,))}
    assert voters == {m.cards[0], m.cards[1], m.cards[3], m.cards[4]}
    assert count(conn, "SELECT count(*) FROM voted WHERE item_id = ?", m.items[1]) == 0
    assert threaded.verify() == []


def test_the_database_runs_in_wal_with_full_sync(store, db_path):
    for conn in (store.writer.conn, store._read):
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert raw(db_path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept in the file


def test_a_vote_is_in_the_file_once_acknowledged(threaded, db_path):
    m = make_meeting(threaded, cards=2, items=1)
    receipt = ballot_id()
    assert cast1(threaded, m.cards[0], m.items[0], "basic", receipt) == "recorded"
    row = raw(db_path).execute("SELECT choice FROM ballots WHERE id = ?", (receipt,)).fetchone()
    assert row["choice"] == "basic"


# -- 7. countdown ---------------------------------------------------------------------------


def test_a_countdown_closes_its_items(store):
    m = make_meeting(store, cards=3, items=2, open_items=False, checkin=True)
    first, second = m.items
    store.move(m.id, Move((first,), seconds=5), "open")
    store.move(m.id, Move((second,)), "open")
    assert cast1(store, m.cards[0], first, "satisfied") == "recorded"
    closes_at = store.meeting(m.id)["items"][0]["closes_at"]
    assert time.time() + 4 < closes_at <= time.time() + 5

    assert store.close_due(now=time.time()) == []  # not yet
    assert store.close_due(now=time.time() + 10) == [(m.id, [first])]
    states = {i["id"]: i["state"] for i in store.meeting(m.id)["items"]}
    assert states == {first: "closed", second: "open"}  # an item without a countdown stays open
    entry = store.audit_log(m.id)[-1]
    assert entry["action"] == "close"
    assert entry["detail"]["by"] == "countdown"
    assert entry["detail"]["items"] == [first]
    assert entry["detail"]["counts"] == {str(first): {"0": {"member": {"satisfied": 1}}}}
    assert refusal(cast1, store, m.cards[1], first, "basic").code == "not_open"
    assert store.close_due(now=time.time() + 10) == []
    assert store.verify() == []
