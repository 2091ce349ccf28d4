"""Rehearsal (演练) and the real sitting, archiving and deleting meetings: the store and the API.

A rehearsal works like a real sitting but feeds no trend and no carry-over; turning it real
discards exactly its own records; deleting and archiving keep `verify` OK.
"""

from __future__ import annotations

import sqlite3
import uuid
from typing import Any

from conftest import phone, vote
from display import report

CHOICES = ("satisfied", "basic", "unsatisfied")


def run_meeting(api, app, choices: tuple[str, ...], rehearsal: bool, **extra: Any) -> dict:
    """A meeting whose one item is opened, voted on by a card per choice, closed and revealed,
    with a comment and a paper entry; returns what `api.meeting` returns."""
    made = api.meeting(cards=len(choices) + 1, items=1, rehearsal=rehearsal, **extra)
    mid, (item,) = made["meeting"]["id"], made["items"]
    phones = [phone(app, c["token"]) for c in made["cards"][: len(choices)]]
    api.move(mid, "open", [item], override_quorum=True)
    for p, choice in zip(phones, choices, strict=True):
        ack = vote(p, item, choice, comment="意见" + uuid.uuid4().hex[:4])
        assert ack["ok"], ack
    for p in phones:
        p.disconnect(namespace="/voter")
    api.move(mid, "close", [item])
    api.post(f"/meetings/{mid}/items/{item}/paper", {"counts": {"satisfied": 1}}, 200)
    api.move(mid, "reveal", [item])
    return made


def rows(app, sql: str, *args: Any) -> list[tuple]:
    conn = sqlite3.connect(app.extensions["ceping"].store.path)
    try:
        return [tuple(r) for r in conn.execute(sql, args)]
    finally:
        conn.close()


def verify_ok(api) -> None:
    answer = api.get("/verify").get_json()
    assert answer["ok"], answer["problems"]


def test_a_meeting_is_real_unless_created_as_a_rehearsal(api):
    real = api.post("/meetings", {"title": "正式", "expected": 3}, 201).get_json()
    trial = api.post("/meetings", {"title": "演练", "expected": 3, "rehearsal": True}, 201)
    assert real["rehearsal"] is False and real["archived"] is False
    assert trial.get_json()["rehearsal"] is True
    api.post("/meetings", {"title": "x", "expected": 3, "rehearsal": "yes"}, 400)
    # only make-real turns a rehearsal real: PATCH refuses the field
    api.send("PATCH", f"/meetings/{real['id']}", {"rehearsal": True}, 400)
    # a copy of a rehearsal is a rehearsal, a copy of a real meeting is real
    copy = api.post(f"/meetings/{trial.get_json()['id']}/copy", None, 201).get_json()
    assert copy["rehearsal"] is True
    assert api.post(f"/meetings/{real['id']}/copy", None, 201).get_json()["rehearsal"] is False


def test_the_demo_meeting_is_a_rehearsal(app):
    from voting import demo

    assert demo.create(app.extensions["ceping"].store)["rehearsal"] is True


def test_make_real_asks_first_and_says_what_it_would_discard(api, app):
    made = run_meeting(api, app, ("basic", "unsatisfied"), rehearsal=True)  # 基本满意
    mid = made["meeting"]["id"]
    told = api.post(f"/meetings/{mid}/make-real", None, 409).get_json()
    assert told["error"] == "confirm_make_real"
    assert told["discard"] == {"ballots": 2, "voted": 2, "comments": 2, "paper": 1, "followups": 1}
    told = api.post(f"/meetings/{mid}/make-real", {"confirm": False}, 409).get_json()
    assert api.get(f"/meetings/{mid}").get_json()["rehearsal"] is True  # nothing changed
    api.post(f"/meetings/{mid}/make-real", {"confirm": "yes"}, 400)


def test_make_real_discards_exactly_the_rehearsals_records(api, app):
    other = run_meeting(api, app, ("basic", "unsatisfied"), rehearsal=True)
    made = run_meeting(api, app, ("satisfied", "unsatisfied", "basic"), rehearsal=True)
    mid, oid = made["meeting"]["id"], other["meeting"]["id"]
    before_other = rows(app, "SELECT count(*) FROM ballots WHERE item_id = ?", other["items"][0])
    done = api.post(f"/meetings/{mid}/make-real", {"confirm": True}, 200).get_json()
    assert done["discarded"]["ballots"] == 3
    m = api.get(f"/meetings/{mid}").get_json()
    assert m["rehearsal"] is False
    assert [(i["state"], i["closes_at"]) for i in m["items"]] == [("draft", None)]
    for table in ("ballots", "voted", "comments", "paper", "followups"):
        assert rows(app, f"SELECT count(*) FROM {table} WHERE item_id = ?", made["items"][0]) == [
            (0,)
        ], table
    assert (
        rows(app, "SELECT device, present FROM cards WHERE meeting_id = ?", mid) == [(None, 0)] * 4
    )
    # the other meeting keeps everything
    assert rows(app, "SELECT count(*) FROM ballots WHERE item_id = ?", other["items"][0]) == (
        before_other
    )
    assert api.get(f"/meetings/{oid}/results").get_json()["items"][0]["state"] == "revealed"
    entries = [e for e in api.get(f"/meetings/{mid}/audit").get_json()["entries"]]
    assert entries[-1]["action"] == "make_real"
    assert entries[-1]["detail"]["ballots"] == 3
    assert api.post(f"/meetings/{mid}/make-real", {"confirm": True}, 409).get_json()["error"] == (
        "not_rehearsal"
    )
    # the rehearsal's moves are neither undone nor shown any more
    assert api.get(f"/meetings/{mid}").get_json()["last_move"] is None
    api.post(f"/meetings/{mid}/undo", None, 409)
    verify_ok(api)


def test_the_printed_cards_vote_again_after_make_real(api, app):
    made = run_meeting(api, app, ("satisfied",), rehearsal=True)
    mid, item = made["meeting"]["id"], made["items"][0]
    api.post(f"/meetings/{mid}/make-real", {"confirm": True}, 200)
    p = phone(app, made["cards"][0]["token"])  # the same card, on the same phone
    api.move(mid, "open", [item], override_quorum=True)
    assert vote(p, item, "unsatisfied")["ok"]
    api.move(mid, "close", [item])
    counts = api.get(f"/meetings/{mid}/results").get_json()["items"][0]["aspects"][0]["result"]
    assert counts["counts"] == {"satisfied": 0, "basic": 0, "unsatisfied": 1}
    verify_ok(api)


def test_a_connected_phone_is_let_go_when_its_rehearsal_turns_real(api, app):
    made = api.meeting(cards=2, items=1, rehearsal=True)
    p = phone(app, made["cards"][0]["token"])
    assert p.is_connected(namespace="/voter")
    api.post(f"/meetings/{made['meeting']['id']}/make-real", {"confirm": True}, 200)
    assert not p.is_connected(namespace="/voter")


def test_carry_over_and_trends_ignore_rehearsals(api, app):
    store = app.extensions["ceping"].store
    bad = ("unsatisfied", "unsatisfied")  # 不满意: a pending follow-up
    run_meeting(api, app, bad, rehearsal=True)
    new = run_meeting(api, app, bad, rehearsal=False)
    first = new["meeting"]["id"]
    item = new["items"][0]
    assert (
        api.get(f"/meetings/{first}/followups").get_json()["followups"][str(item)]["carried_from"]
        is None
    )
    assert report.collect(store, first).history is None  # the rehearsal is not compared
    # a second real meeting carries the first one's follow-up and compares with it, by name
    api.send("PATCH", f"/meetings/{first}", {"title": "第一次正式测评"}, 200)
    second = run_meeting(api, app, ("satisfied",), rehearsal=False)
    sid = second["meeting"]["id"]
    carried = api.get(f"/meetings/{sid}/followups").get_json()["followups"]
    assert carried[str(second["items"][0])]["carried_from"] == item
    history = report.collect(store, sid).history
    assert history is not None
    assert len(history[1]) == 2 and "第一次正式测评" in history[3][0]
    # archived: still compared
    api.post(f"/meetings/{first}/archive", None, 200)
    assert report.collect(store, sid).history == history


def test_a_rehearsals_documents_say_so(api, app):
    made = run_meeting(api, app, ("satisfied",), rehearsal=True)
    data = report.collect(app.extensions["ceping"].store, made["meeting"]["id"])
    assert data.meeting["title"].startswith("（演练）")
    r = api.get(f"/meetings/{made['meeting']['id']}/export.json", status=None)
    if r.status_code == 200:
        assert r.get_json()["rehearsal"] is True


def test_delete_a_rehearsal_or_an_unopened_real_meeting(api, app):
    trial = run_meeting(api, app, ("satisfied",), rehearsal=True)
    tid = trial["meeting"]["id"]
    answer = api.send("DELETE", f"/meetings/{tid}", None, 200).get_json()
    store = app.extensions["ceping"].store
    assert (store.path.parent / "backups" / answer["backup"]).exists()
    api.get(f"/meetings/{tid}", 404)
    for table in ("items", "cards"):
        assert rows(app, f"SELECT count(*) FROM {table} WHERE meeting_id = ?", tid) == [(0,)]
    assert rows(app, "SELECT count(*) FROM ballots") == [(0,)]
    log = store.audit_log(tid)
    assert log[-1]["action"] == "delete_meeting"
    assert log[-1]["detail"]["backup"] == answer["backup"]
    verify_ok(api)
    # a new meeting never takes the deleted one's number (its audit entries stay its own)
    fresh = api.post("/meetings", {"title": "新", "expected": 3}, 201).get_json()
    assert fresh["id"] > tid and store.last_move(fresh["id"]) is None
    verify_ok(api)
    unopened = api.meeting(cards=2, items=2)
    api.send("DELETE", f"/meetings/{unopened['meeting']['id']}", None, 200)
    verify_ok(api)


def test_a_real_meeting_once_opened_is_never_deleted(api, app):
    made = api.meeting(cards=2, items=1)
    mid, item = made["meeting"]["id"], made["items"][0]
    api.move(mid, "open", [item], override_quorum=True)
    api.post(f"/meetings/{mid}/undo", None, 200)  # back in draft, but it was opened
    told = api.send("DELETE", f"/meetings/{mid}", None, 409).get_json()
    assert told["error"] == "has_results"
    api.get(f"/meetings/{mid}")
    api.send("DELETE", "/meetings/999999", None, 404)


def test_archive_hides_a_real_meeting_with_results(api, app):
    done = run_meeting(api, app, ("satisfied",), rehearsal=False)
    mid = done["meeting"]["id"]
    trial = api.meeting(cards=2, items=1, rehearsal=True)["meeting"]["id"]
    empty = api.meeting(cards=2, items=1)["meeting"]["id"]
    assert api.post(f"/meetings/{trial}/archive", None, 409).get_json()["error"] == "rehearsal"
    assert api.post(f"/meetings/{empty}/archive", None, 409).get_json()["error"] == "no_results"
    assert api.post(f"/meetings/{mid}/archive", None, 200).get_json()["archived"] is True
    listed = [m["id"] for m in api.get("/meetings").get_json()["meetings"]]
    assert mid not in listed and trial in listed
    every = [m["id"] for m in api.get("/meetings?archived=1").get_json()["meetings"]]
    assert mid in every
    api.get(f"/meetings/{mid}")  # still there, results and all
    verify_ok(api)
    assert api.send("DELETE", f"/meetings/{mid}", None, 409).get_json()["error"] == "has_results"
    api.post(f"/meetings/{mid}/unarchive", None, 200)
    assert mid in [m["id"] for m in api.get("/meetings").get_json()["meetings"]]
    entries = [e["action"] for e in api.get(f"/meetings/{mid}/audit").get_json()["entries"]]
    assert entries[-2:] == ["archive", "unarchive"]


def test_phones_that_joined_a_rehearsal_by_its_link_join_the_real_sitting_again(api, app):
    body = {"title": "扫码", "expected": 1, "join_mode": "open", "rehearsal": True}
    m = api.post("/meetings", body, 201).get_json()
    store = app.extensions["ceping"].store
    first = store.join(m["join_key"], "device-a")
    api.post(f"/meetings/{m['id']}/make-real", {"confirm": True}, 200)
    again = store.join(m["join_key"], "device-a")  # not refused as full
    assert first["present"] == again["present"] == 1
    verify_ok(api)
