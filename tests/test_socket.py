"""Socket.IO flows with Flask-SocketIO's test client: phones, the projector and the console."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

from app import socketio
from conftest import ADMIN_TOKEN, phone, received, vote


def screen(app, meeting: dict):
    auth = {"meeting": meeting["id"], "key": meeting["screen_key"]}
    return socketio.test_client(app, namespace="/screen", auth=auth)


def wait_for(client, namespace: str, name: str, check, timeout: float = 10.0):
    """Collect `name` events until one satisfies `check` (pushes are coalesced, so they lag)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for payload in received(client, namespace, name):
            seen.append(payload)
            if check(payload):
                return payload, seen
        time.sleep(0.02)
    raise AssertionError(f"no {name} event matched; got {seen}")


def test_five_cards_open_vote_close_reveal(app, api):
    """The issue's flow: 5 cards, open, 5 votes, a second vote refused, a resend accepted once,
    close, reveal; the projector sees turnout and results; phones never see a tally."""
    m = api.meeting(cards=5, items=1)
    meeting, (item,) = m["meeting"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"]]
    assert all(p.is_connected("/voter") for p in phones)
    projector = screen(app, meeting)
    assert projector.is_connected("/screen")
    first = received(projector, "/screen", "turnout")
    assert first[0]["present"] == 5 and first[0]["expected"] == 5

    api.move(meeting["id"], "open", [item])
    for p in phones:
        state = received(p, "/voter", "state")[-1]  # the connect state came first
        assert [i["id"] for i in state["items"]] == [item]
        assert state["voted"] is None  # one push for all: each phone keeps what it knew

    choices = ["satisfied", "satisfied", "satisfied", "basic", "unsatisfied"]
    ballots = [str(uuid.uuid4()) for _ in phones]
    for p, choice, ballot in zip(phones, choices, ballots, strict=True):
        assert vote(p, item, choice, ballot) == {"ok": True, "votes": ["recorded"]}

    again = vote(phones[0], item, "unsatisfied")  # a second vote, new ballot id
    assert again["ok"] is False and again["error"] == "already_voted"
    resend = vote(phones[1], item, "satisfied", ballots[1])  # reconnect resend, same ballot
    assert resend == {"ok": True, "votes": ["unchanged"]}

    turnout, _ = wait_for(projector, "/screen", "turnout", lambda t: t["voted"].get(str(item)) == 5)
    assert "tallies" not in turnout  # hidden until reveal

    api.move(meeting["id"], "close", [item])
    wal = Path(app.config["DATABASE"] + "-wal")  # emptied at close: it held the commit order
    assert not wal.exists() or wal.stat().st_size == 0
    late = vote(phones[2], item, "basic")
    assert late["ok"] is False and late["error"] == "not_open"
    assert received(projector, "/screen", "results") == []  # closed is not revealed

    api.move(meeting["id"], "reveal", [item])
    results, _ = wait_for(projector, "/screen", "results", lambda r: r["items"])
    (shown,) = results["items"]
    result = shown["aspects"][0]["result"]
    assert result["counts"] == {"satisfied": 3, "basic": 1, "unsatisfied": 1}
    assert result["valid"] == 5 and result["rate"] == 80.0 and result["verdict"] == "satisfied"

    api_results = api.get(f"/meetings/{meeting['id']}/results").get_json()
    assert api_results["items"][0]["aspects"][0]["result"]["counts"] == result["counts"]
    for p in phones:  # phones heard states only, never a tally
        names = {e["name"] for e in p.get_received("/voter")}
        assert names <= {"state"}
    verified = api.get("/verify").get_json()
    assert verified["ok"] is True and verified["problems"] == []


def test_batch_of_items_in_one_message(app, api):
    """A batch: one submit carries a vote for every open item, kept all or nothing."""
    m = api.meeting(cards=3, items=4)
    meeting, items = m["meeting"], m["items"]
    p = phone(app, m["cards"][0]["token"])
    api.move(meeting["id"], "open", items[:3], override_quorum=True)
    entry = [{"item": i, "choice": "basic", "ballot": str(uuid.uuid4())} for i in items]
    ack = p.emit("vote", {"votes": entry}, namespace="/voter", callback=True)
    assert ack["ok"] is False and ack["error"] == "not_open" and ack["item"] == items[3]
    ack = p.emit("vote", {"votes": entry[:3]}, namespace="/voter", callback=True)
    assert ack == {"ok": True, "votes": ["recorded"] * 3}
    turnout = api.get(f"/meetings/{meeting['id']}/turnout").get_json()
    assert turnout["voted"] == {str(i): 1 for i in items[:3]}


def test_voter_state_follows_the_meeting(app, api):
    m = api.meeting(cards=2, items=2, allow_change=True)
    meeting, items = m["meeting"], m["items"]
    p = phone(app, m["cards"][0]["token"])
    (state,) = received(p, "/voter", "state")
    assert state["items"] == [] and state["meeting"]["allow_change"] is True
    assert [o["label"] for o in state["scale"]["options"]] == ["满意", "基本满意", "不满意"]
    api.move(meeting["id"], "open", items, override_quorum=True, seconds=60)
    (state,) = received(p, "/voter", "state")
    assert [i["id"] for i in state["items"]] == items
    assert 55 <= state["items"][0]["seconds_left"] <= 60
    ballot = str(uuid.uuid4())
    assert vote(p, items[0], "basic", ballot)["votes"] == ["recorded"]
    assert vote(p, items[0], "satisfied", ballot)["votes"] == ["changed"]
    ack = p.emit("state", namespace="/voter", callback=True)
    assert ack["state"]["voted"] == [[items[0], 0]]
    api.move(meeting["id"], "close", [items[0]])
    (state,) = received(p, "/voter", "state")
    assert [i["id"] for i in state["items"]] == [items[1]]
    assert state["voted"] is None


def test_a_reopen_or_undo_tells_each_phone_its_own_votes(app, api):
    """After a reopen or an undo, each phone gets the list of what its card voted on; after an
    open, close or reveal one shared state (`voted` null) goes to all of them."""
    m = api.meeting(cards=2, items=1, allow_change=True)
    meeting, (item,) = m["meeting"], m["items"]
    voter, other = (phone(app, card["token"]) for card in m["cards"])
    api.move(meeting["id"], "open", [item])
    assert vote(voter, item, "basic")["ok"]
    api.move(meeting["id"], "close", [item])
    api.move(meeting["id"], "reopen", [item])
    assert received(voter, "/voter", "state")[-1]["voted"] == [[item, 0]]
    assert received(other, "/voter", "state")[-1]["voted"] == []
    api.post(f"/meetings/{meeting['id']}/undo", None, 200)  # closes it again
    api.post(f"/meetings/{meeting['id']}/undo", None, 200)  # and reopens
    assert received(voter, "/voter", "state")[-1]["voted"] == [[item, 0]]
    api.move(meeting["id"], "reset", [item])
    assert received(voter, "/voter", "state")[-1]["voted"] == []


def test_countdown_closes_by_itself(app, api):
    """The app's clock closes an item whose countdown ran out and tells the phones."""
    m = api.meeting(cards=1, items=1)
    meeting, (item,) = m["meeting"], m["items"]
    p = phone(app, m["cards"][0]["token"])
    api.move(meeting["id"], "open", [item], seconds=5)
    assert received(p, "/voter", "state")[-1]["items"][0]["seconds_left"] in (4, 5)
    store = app.extensions["ceping"].store
    store.writer.submit(  # let the countdown run out now rather than in 5 s
        lambda conn: conn.execute("UPDATE items SET closes_at = 0 WHERE id = ?", (item,))
    )
    state, _ = wait_for(p, "/voter", "state", lambda s: s["items"] == [])
    assert state["voted"] is None
    assert api.get(f"/meetings/{meeting['id']}").get_json()["items"][0]["state"] == "closed"
    (close,) = [e for e in api.get(f"/meetings/{meeting['id']}/audit").get_json()["entries"]
                if e["action"] == "close"]  # fmt: skip
    assert close["detail"]["by"] == "countdown"


def test_refused_connections(app, api):
    m = api.meeting(cards=2, items=1)
    assert not phone(app, "not-a-real-token-at-all-x").is_connected("/voter")
    assert not socketio.test_client(app, namespace="/voter").is_connected("/voter")
    first = phone(app, m["cards"][0]["token"], device="phone-one-aaaa")
    assert first.is_connected("/voter")
    other = phone(app, m["cards"][0]["token"], device="phone-two-bbbb")
    assert not other.is_connected("/voter")  # bound to the first phone
    same = phone(app, m["cards"][0]["token"], device="phone-one-aaaa")
    assert same.is_connected("/voter")  # the same phone reconnecting
    # the projector and console refuse callers without their key or the admin token
    bad = {"meeting": m["meeting"]["id"], "key": "wrong"}
    assert not socketio.test_client(app, namespace="/screen", auth=bad).is_connected("/screen")
    card = {"meeting": m["meeting"]["id"], "key": m["cards"][1]["token"]}
    assert not socketio.test_client(app, namespace="/screen", auth=card).is_connected("/screen")
    assert not socketio.test_client(app, namespace="/console").is_connected("/console")
    console = socketio.test_client(app, namespace="/console", auth={"token": ADMIN_TOKEN})
    assert console.is_connected("/console")
    ack = console.emit(
        "watch", {"meeting": m["meeting"]["id"]}, namespace="/console", callback=True
    )
    assert ack["ok"] and ack["meeting"]["id"] == m["meeting"]["id"]


def test_bad_vote_payloads_get_clear_errors(app, api):
    m = api.meeting(cards=1, items=1)
    meeting, (item,) = m["meeting"], m["items"]
    p = phone(app, m["cards"][0]["token"])
    api.move(meeting["id"], "open", [item], override_quorum=True)
    ballot = str(uuid.uuid4())
    cases = [
        (None, "bad_payload"),
        ("vote", "bad_payload"),
        ([], "bad_payload"),
        ({"votes": []}, "bad_payload"),
        ({"votes": "x"}, "bad_payload"),
        ({"votes": [{"item": item, "choice": "satisfied"}]}, "bad_payload"),
        ({"votes": [{"item": item, "choice": "satisfied", "ballot": "nope"}]}, "bad_payload"),
        ({"votes": [{"item": "1", "choice": "satisfied", "ballot": ballot}]}, "bad_payload"),
        ({"votes": [{"item": item, "choice": "great", "ballot": ballot}]}, "bad_choice"),
        ({"votes": [{"item": item, "choice": ["satisfied"], "ballot": ballot}]}, "bad_choice"),
        ({"votes": [{"item": 999, "choice": "satisfied", "ballot": ballot}]}, "unknown_item"),
        ({"votes": [{"item": item, "choice": "x" * 10_000, "ballot": ballot}]}, "bad_choice"),
        ({"votes": [{"item": item, "choice": "basic", "ballot": ballot, "x": 1}]}, "bad_payload"),
        ({"votes": [{"item": item, "choice": "basic", "ballot": ballot}] * 501}, "too_large"),
        (
            {"votes": [{"item": item, "choice": "basic", "ballot": ballot, "aspect": 3}]},
            "bad_aspect",
        ),
    ]
    for payload, code in cases:
        ack = p.emit("vote", payload, namespace="/voter", callback=True)
        assert ack["ok"] is False and ack["error"] == code, (payload, ack)
        assert ack["message"]
    turnout = api.get(f"/meetings/{meeting['id']}/turnout").get_json()
    assert turnout["voted"] == {}  # nothing was recorded
    assert vote(p, item, "satisfied", ballot) == {"ok": True, "votes": ["recorded"]}
