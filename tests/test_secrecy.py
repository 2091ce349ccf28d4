"""Secrecy end to end: after a secret meeting on the real server, nothing lets anyone match a
card to its choice: not the database file and its WAL, not the server's output, not any answer
of any GET route (walked from the route map, so routes added later, exports among them, are
looked at too).

Twenty cards vote on three items of a secret meeting on the 0–100 score scale, each card with a
choice no other card has on that item (so a link, if there were one, could not be a coincidence),
in an order the test knows; five change their ballot. Then the test attacks: it sorts the ballots
by every column and by where their bytes lie in the file, pairs them with the `voted` rows sorted
every way, replays the WAL, and greps every log line and every answer for ballot ids and card
tokens. Each attack must do no better than chance. tests/test_store.py proves the same of the
store alone (placement in the page, the WAL before and after the seal, the trigger).
"""

from __future__ import annotations

import io
import json
import logging
import random
import sqlite3
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio

from app import create_app
from conftest import ADMIN_TOKEN, Api, phone, vote
from realserver import TOKEN, Server
from sqlitefile import wal_links
from walk import calls

CARDS = 20
ITEMS = 3
CHANGERS = range(0, CARDS, 4)  # cards 1, 5, 9, 13, 17 change their first ballot
CARD_KEYS = {"card", "cards", "card_id", "card_number", "number", "token", "device"}
BALLOT_KEYS = {"choice", "choices", "ballot", "ballots", "vote", "votes"}


def choice_of(card: int, item: int) -> str:
    """Card `card` (0-based) on the `item`-th item: distinct across cards for each item."""
    return str(card * 4 + item)


def changed_choice(card: int) -> str:
    return str(90 + card // 4)


@pytest.fixture(scope="module", params=["gevent", "eventlet"])
def meeting(request, tmp_path_factory):
    """The secret meeting, run on the real server (with its access log) and then stopped."""
    instance = tmp_path_factory.mktemp("secrecy")
    server = Server(instance, request.param, "--access-log")
    clients: list[socketio.Client] = []
    try:
        body = {"title": "秘密测评", "expected": CARDS, "scale": "score", "allow_change": True}
        m = server.api("POST", "/meetings", body, 201)
        items = [{"subject": f"市第{n}局", "person": "局长"} for n in range(ITEMS)]
        ids = server.api("POST", f"/meetings/{m['id']}/items", {"items": items}, 201)["ids"]
        cards = server.api("POST", f"/meetings/{m['id']}/cards", {"count": CARDS}, 201)["cards"]
        for n, card in enumerate(cards):
            client = socketio.Client(reconnection=False)
            auth = {"token": card["token"], "device": f"secret-phone-{n:03d}"}
            client.connect(server.url, namespaces=["/voter"], transports=["websocket"], auth=auth,
                           wait_timeout=30)  # fmt: skip
            clients.append(client)
        server.api("POST", f"/meetings/{m['id']}/open", {"items": ids})

        order: dict[int, list[int]] = {}  # item: cards (0-based) in the order their votes came
        receipts: dict[tuple[int, int], str] = {}
        truth: dict[tuple[int, int], str] = {}  # (card, item): the choice that counts
        rng = random.Random(6)
        for k, item in enumerate(ids):
            order[item] = rng.sample(range(CARDS), CARDS)
            for card in order[item]:
                ballot = str(uuid.uuid4())
                vote = {"item": item, "choice": choice_of(card, k), "ballot": ballot}
                ack = clients[card].call("vote", {"votes": [vote]}, namespace="/voter", timeout=30)
                assert ack == {"ok": True, "votes": ["recorded"]}, ack
                receipts[card, item] = ballot
                truth[card, item] = choice_of(card, k)
        for card in CHANGERS:  # they change their mind on the first item
            vote = {
                "item": ids[0],
                "choice": changed_choice(card),
                "ballot": receipts[card, ids[0]],
            }
            ack = clients[card].call("vote", {"votes": [vote]}, namespace="/voter", timeout=30)
            assert ack == {"ok": True, "votes": ["changed"]}, ack
            truth[card, ids[0]] = changed_choice(card)
        server.api("POST", f"/meetings/{m['id']}/close", {"items": ids})
        server.api("POST", f"/meetings/{m['id']}/reveal", {"items": ids})
        answers = walk_get_routes(server, m, ids, cards)
    finally:
        for client in clients:
            client.disconnect()
        server.stop()
    db = instance / "ceping.sqlite"
    card_ids = {
        row[0]: n
        for n, row in enumerate(
            sqlite3.connect(db).execute("SELECT id FROM cards ORDER BY number").fetchall()
        )
    }
    return {
        "meeting": m, "items": ids, "cards": cards, "order": order, "receipts": receipts,
        "truth": truth, "db": db, "log": server.log.read_text(), "answers": answers,
        "card_ids": card_ids, "instance": instance,
    }  # fmt: skip


def walk_get_routes(server: Server, m: dict, ids: list[int], cards: list[dict]) -> dict:
    """Every GET route of the app with the admin token: {url: (content type, headers, bytes)}."""
    app = create_app({"INSTANCE": str(server.log.parent / "map"), "CLOCK_INTERVAL": 0})
    known = {
        "meeting_id": [m["id"]], "item_id": ids, "number": [1, CARDS],
        "token": [cards[0]["token"]], "key": ["x"], "code": ["en"], "filename": ["base.css"],
    }  # fmt: skip
    answers = {}
    for call in calls(app, known, methods=lambda r: sorted(r.methods & {"GET"})):
        r = requests.get(
            server.url + call.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30,
            allow_redirects=False,
        )  # fmt: skip
        assert r.status_code < 500, call
        answers[call.url] = (r.headers.get("Content-Type", ""), dict(r.headers), r.content)
    projector = f"/screen/{m['id']}?key={m['screen_key']}"  # the projector's own URL
    r = requests.get(server.url + projector, timeout=30)
    assert r.status_code == 200
    answers[projector] = (r.headers.get("Content-Type", ""), dict(r.headers), r.content)
    app.extensions["ceping"].stopping.set()
    return answers


# -- the attacks --------------------------------------------------------------------------------


def hits(guess: dict[tuple[int, int], str], truth: dict[tuple[int, int], str]) -> int:
    return sum(guess.get(key) == choice for key, choice in truth.items())


def assert_chance(right: int, what: str) -> None:
    # A random pairing gets about one card right per item; ten or more of twenty on one item
    # happens by chance about once in ten million.
    assert right < CARDS // 2, f"{what}: {right} of {CARDS} cards matched to their choice"


@pytest.mark.server
def test_the_file_keeps_no_voting_order_in_any_column_or_sort(meeting):
    conn = sqlite3.connect(meeting["db"])
    conn.row_factory = sqlite3.Row
    cols = [r["name"] for r in conn.execute("PRAGMA table_info(ballots)")]
    vcols = [r["name"] for r in conn.execute("PRAGMA table_info(voted)")]
    attacks = 0
    for item in meeting["items"]:
        truth = {(c, i): ch for (c, i), ch in meeting["truth"].items() if i == item}
        voted_order = meeting["order"][item]
        ballot_orders = {"natural": "", **{f"by {c} {d}": f" ORDER BY {c} {d}" for c in cols
                                           for d in ("ASC", "DESC")}}  # fmt: skip
        voted_orders = {"natural": "", **{f"by {c} {d}": f" ORDER BY {c} {d}" for c in vcols
                                          for d in ("ASC", "DESC")}}  # fmt: skip
        for bname, bsql in ballot_orders.items():
            choices = [r["choice"] for r in conn.execute(
                f"SELECT * FROM ballots WHERE item_id = ?{bsql}", (item,))]  # fmt: skip
            assert len(choices) == CARDS
            # the ballots in file order against the order the cards voted in
            guess = {(card, item): ch for card, ch in zip(voted_order, choices, strict=True)}
            assert_chance(hits(guess, truth), f"ballots {bname} vs voting order")
            attacks += 1
            for vname, vsql in voted_orders.items():
                voted = [meeting["card_ids"][r["card_id"]] for r in conn.execute(
                    f"SELECT * FROM voted WHERE item_id = ?{vsql}", (item,))]  # fmt: skip
                guess = {(card, item): ch for card, ch in zip(voted, choices, strict=True)}
                assert_chance(hits(guess, truth), f"ballots {bname} vs voted {vname}")
                attacks += 1
    assert attacks > 100
    # no ballot names a card, and neither table has a rowid that could keep the insertion order
    assert conn.execute("SELECT count(*) FROM ballots WHERE card_id IS NOT NULL").fetchone()[0] == 0
    for table in ("ballots", "voted"):
        with pytest.raises(sqlite3.OperationalError):
            conn.execute(f"SELECT rowid FROM {table}")


@pytest.mark.server
def test_where_the_ballots_lie_in_the_file_says_nothing(meeting):
    """The raw bytes: each ballot's id is found in the file, and their order there is compared
    with the voting order (before the seal, SQLite placed new rows one after another)."""
    data = Path(meeting["db"]).read_bytes()
    for item in meeting["items"]:
        placed = sorted(
            (data.find(meeting["receipts"][card, item].encode()), card) for card in range(CARDS)
        )
        assert all(offset >= 0 for offset, _ in placed)
        conn = sqlite3.connect(meeting["db"])
        by_id = dict(conn.execute("SELECT id, choice FROM ballots WHERE item_id = ?", (item,)))
        truth = {(c, i): ch for (c, i), ch in meeting["truth"].items() if i == item}
        in_file = [by_id[meeting["receipts"][card, item]] for _, card in placed]
        for name, seen in (("forwards", in_file), ("backwards", in_file[::-1])):
            guess = dict(zip(((c, item) for c in meeting["order"][item]), seen, strict=True))
            assert_chance(hits(guess, truth), f"ballots in byte order ({name}) vs voting order")


@pytest.mark.server
def test_the_wal_holds_no_links_after_the_meeting(meeting, tmp_path):
    wal = Path(f"{meeting['db']}-wal")
    assert (
        not wal.exists() or wal.stat().st_size == 0 or wal_links(meeting["db"], tmp_path) == set()
    )


@pytest.mark.server
def test_nothing_next_to_a_card_in_the_file_holds_a_choice_or_a_time(meeting):
    conn = sqlite3.connect(meeting["db"])
    conn.row_factory = sqlite3.Row
    receipts = set(meeting["receipts"].values())
    tokens = {c["token"] for c in meeting["cards"]}
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            values = dict(row)
            text = json.dumps(values, ensure_ascii=False, default=str)
            if table != "ballots":
                assert not receipts & set(_words(text)), f"{table} holds a ballot id"
            if table != "cards":
                assert not tokens & set(_words(text)), f"{table} holds a card token"
            if set(values) & {"card_id"} or table == "cards":  # rows that name a card
                for key, value in values.items():
                    assert not (isinstance(value, float) and value > 1e9), (table, key)
                    assert not (isinstance(value, str) and value[:2] == "20" and "T" in value), (
                        table, key)  # fmt: skip
    for entry in conn.execute("SELECT action, detail FROM audit"):
        detail = json.loads(entry["detail"])
        keys = set(_keys(detail))
        assert not keys & {"ballot", "ballots", "choice", "receipt"}, entry["detail"]
        if keys & CARD_KEYS:
            assert "counts" not in keys, entry["detail"]
    actions = [r[0] for r in conn.execute("SELECT action FROM audit")]
    assert "vote" not in " ".join(actions)  # votes are not logged one by one


@pytest.mark.server
def test_the_server_s_output_names_no_ballot_and_no_card(meeting):
    log = meeting["log"]
    assert "ceping serving on" in log and "/api/meetings" in log  # the access log was on
    for ballot in meeting["receipts"].values():
        assert ballot not in log
    for card in meeting["cards"]:  # the walk loaded a card's page: its URL is cut short
        assert card["token"] not in log
    assert "GET /v/… HTTP" in log
    assert meeting["meeting"]["screen_key"] not in log


@pytest.mark.server
def test_no_answer_of_any_get_route_links_a_card_to_a_choice(meeting):
    answers = meeting["answers"]
    assert any("/results" in url for url in answers) and any("/cards" in url for url in answers)
    receipts = set(meeting["receipts"].values())
    tokens = {c["token"] for c in meeting["cards"]}
    for url, (content_type, headers, body) in answers.items():
        text = _text(body)
        assert not receipts & set(_words(text)), f"{url} shows a ballot id"
        if content_type.startswith("application/json"):
            for obj in _objects(json.loads(body)):
                if set(obj) & CARD_KEYS:
                    assert not set(obj) & BALLOT_KEYS, (url, obj)
                    assert not set(_keys(obj)) & {"counts", "choice", "choices"}, (url, obj)
        is_file = "attachment" in headers.get("Content-Disposition", "") or not any(
            content_type.startswith(t)
            for t in ("text/html", "application/json", "text/css", "text/javascript",
                      "application/javascript", "image/svg")
        )  # fmt: skip
        if is_file and body:
            # an export (CSV, XLSX, JSON, PDF, ...) of results names no card at all
            assert not tokens & set(_words(text)), f"{url} names a card"
    # (no route returns a file yet: exports added later are checked by the loop above)


def test_the_app_logs_no_ballot_and_no_card(app, caplog):
    """The app's own logging, at every level, in process: a whole secret vote."""
    caplog.set_level(logging.DEBUG)
    api = Api(app.test_client())
    made = api.meeting(cards=3, items=2, allow_change=True)
    p = [phone(app, c["token"]) for c in made["cards"]]
    api.move(made["meeting"]["id"], "open", made["items"], override_quorum=True)
    ballots = []
    for n, client in enumerate(p):
        ballot = str(uuid.uuid4())
        ballots.append(ballot)
        assert vote(client, made["items"][0], ("satisfied", "basic", "unsatisfied")[n], ballot)[
            "ok"
        ]
    assert vote(p[0], made["items"][0], "basic", ballots[0])["votes"] == ["changed"]
    assert vote(p[1], 10**6, "basic")["ok"] is False
    api.move(made["meeting"]["id"], "close", made["items"])
    logged = caplog.text + " ".join(str(r.args) for r in caplog.records)
    for secret in [*ballots, *(c["token"] for c in made["cards"]), ADMIN_TOKEN]:
        assert secret not in logged


# -- helpers ----------------------------------------------------------------------------------


def _text(body: bytes) -> str:
    """The text of an answer; a zip (XLSX, DOCX) is read member by member."""
    if body[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                return " ".join(z.read(n).decode("utf-8", "ignore") for n in z.namelist())
        except zipfile.BadZipFile:
            pass
    return body.decode("utf-8", "ignore")


def _words(text: str) -> list[str]:
    """Token-like and UUID-like words of a text."""
    import re

    return re.findall(r"[A-Za-z0-9_-]{16,}", text)


def _objects(value: Any):
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from _objects(v)
    elif isinstance(value, list):
        for v in value:
            yield from _objects(v)


def _keys(value: Any):
    for obj in _objects(value):
        yield from obj
