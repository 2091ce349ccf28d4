"""Comments (意见建议), paper ballots (补录) and follow-up (整改), through the API and phones."""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import phone, vote
from sqlitefile import rows_in_placement_order
from voting.results import add_months


def db(app) -> sqlite3.Connection:
    """The database file opened as anybody holding it would."""
    conn = sqlite3.connect(app.config["DATABASE"], isolation_level=None)
    conn.row_factory = sqlite3.Row
    return conn


def aspect0(api, meeting_id: int, item: int) -> dict:
    data = api.get(f"/meetings/{meeting_id}/results").get_json()
    (found,) = [i for i in data["items"] if i["id"] == item]
    return found["aspects"][0]


# -- comments -------------------------------------------------------------------------------


def test_comments_are_kept_once_shown_after_close_and_sorted(app, api):
    m = api.meeting(cards=3, items=2)
    mid, (a, b) = m["meeting"]["id"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"]]
    api.move(mid, "open", [a, b])
    ballot = str(uuid.uuid4())
    first = vote(phones[0], a, "basic", ballot, comment="  乙：窗口服务要改进  ")
    assert first == {"ok": True, "votes": ["recorded"]}
    resend = vote(phones[0], a, "basic", ballot, comment="  乙：窗口服务要改进  ")
    assert resend == {"ok": True, "votes": ["unchanged"]}  # a resend adds no second comment
    assert vote(phones[1], a, "satisfied", comment="甲：很好")["ok"]
    assert vote(phones[2], a, "satisfied")["ok"]  # no comment
    assert vote(phones[2], b, "satisfied", comment="")["ok"]  # an empty one is none

    assert api.get(f"/meetings/{mid}/comments").get_json() == {
        "comments": {str(a): [], str(b): []}
    }  # nothing shown while voting is open
    api.move(mid, "close", [a, b])
    shown = api.get(f"/meetings/{mid}/comments").get_json()["comments"]
    assert shown == {str(a): sorted(["乙：窗口服务要改进", "甲：很好"]), str(b): []}
    assert ceping_store(app).comments(mid) == {a: sorted(["乙：窗口服务要改进", "甲：很好"]), b: []}


def ceping_store(app):
    return app.extensions["ceping"].store


def test_a_bad_comment_refuses_the_whole_message(app, api):
    m = api.meeting(cards=1, items=2)
    mid, (a, b) = m["meeting"]["id"], m["items"]
    p = phone(app, m["cards"][0]["token"])
    api.move(mid, "open", [a, b])
    votes = [
        {"item": a, "choice": "satisfied", "ballot": str(uuid.uuid4()), "comment": "好"},
        {"item": b, "choice": "satisfied", "ballot": str(uuid.uuid4()), "comment": "长" * 501},
    ]
    ack = p.emit("vote", {"votes": votes}, namespace="/voter", callback=True)
    assert ack["ok"] is False and ack["error"] == "bad_comment" and "500" in ack["message"]
    ack = vote(p, a, "satisfied", comment=123)
    assert ack["ok"] is False and ack["error"] == "bad_comment"
    api.move(mid, "close", [a, b])
    assert ceping_store(app).comments(mid) == {a: [], b: []}
    assert api.get(f"/meetings/{mid}/turnout").get_json()["voted"] == {}


def test_comments_in_a_secret_meeting_are_linked_to_no_card_and_no_ballot(app, api):
    m = api.meeting(cards=8, items=1)
    mid, (item,) = m["meeting"]["id"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"]]
    api.move(mid, "open", [item])
    ballots = []
    for n, p in enumerate(phones):
        ballots.append(str(uuid.uuid4()))
        choice = ("satisfied", "basic", "unsatisfied")[n % 3]
        assert vote(p, item, choice, ballots[-1], comment=f"意见{n:02d}")["ok"]
    api.move(mid, "close", [item])

    conn = db(app)
    sql = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'comments'").fetchone()[0]
    assert "WITHOUT ROWID" in sql.upper()
    with pytest.raises(sqlite3.OperationalError, match="rowid"):
        conn.execute("SELECT rowid FROM comments")
    cols = [r["name"] for r in conn.execute("PRAGMA table_xinfo(comments)")]
    assert cols == ["id", "item_id", "text"]  # no card, ballot, group, choice or time
    rows = conn.execute("SELECT * FROM comments").fetchall()
    assert len(rows) == 8
    tokens = {c["token"] for c in m["cards"]}
    card_ids = {r[0] for r in conn.execute("SELECT id FROM cards")}
    for row in rows:
        assert row["id"] not in ballots  # its own random key, not the ballot's
        assert re.fullmatch(r"[0-9a-f-]{36}", row["id"]) and uuid.UUID(row["id"]).version == 4
        assert not any(t in " ".join(map(str, tuple(row))) for t in tokens)
    # No other table names a comment, and no index or trigger ties comments to anything.
    for table in [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]:
        if table == "comments":
            continue
        for other in conn.execute(f'SELECT * FROM "{table}"'):
            text = " ".join(map(str, tuple(other)))
            assert not any(r["id"] in text for r in rows), table
            assert "意见0" not in text, table  # the audit log keeps no comment either
    assert (
        conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'comments'"
            " AND type IN ('index', 'trigger') AND sql IS NOT NULL"
        ).fetchone()[0]
        == 0
    )
    assert card_ids  # (the cards exist; none is referenced above)
    # The close sealed the file: the comments lie in key order, not in the order they came.
    placed = rows_in_placement_order(Path(app.config["DATABASE"]), "comments")
    ids = [r["id"] for r in placed]  # (the last placed first: VACUUM placed them by key)
    assert len(ids) == 8 and ids == sorted(ids, reverse=True)


def test_an_unchanged_or_changed_ballot_adds_no_second_comment(app, api):
    m = api.meeting(cards=1, items=1, allow_change=True)
    mid, (item,) = m["meeting"]["id"], m["items"]
    p = phone(app, m["cards"][0]["token"])
    api.move(mid, "open", [item])
    ballot = str(uuid.uuid4())
    assert vote(p, item, "basic", ballot, comment="第一次")["votes"] == ["recorded"]
    assert vote(p, item, "satisfied", ballot, comment="第二次")["votes"] == ["changed"]
    api.move(mid, "close", [item])
    assert ceping_store(app).comments(mid) == {item: ["第一次"]}  # one per ballot, kept first


def test_a_reset_discards_the_items_comments(app, api):
    m = api.meeting(cards=1, items=1)
    mid, (item,) = m["meeting"]["id"], m["items"]
    p = phone(app, m["cards"][0]["token"])
    api.move(mid, "open", [item])
    assert vote(p, item, "basic", comment="作废")["ok"]
    api.move(mid, "reset", [item])
    assert db(app).execute("SELECT count(*) FROM comments").fetchone()[0] == 0


# -- paper ballots --------------------------------------------------------------------------


def closed_item(app, api, cards: int = 4, **settings):
    m = api.meeting(cards=cards, items=1, **settings)
    mid, (item,) = m["meeting"]["id"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"]]
    api.move(mid, "open", [item])
    for p, choice in zip(phones, ["satisfied", "satisfied", "basic", "unsatisfied"], strict=False):
        assert vote(p, item, choice)["ok"]
    api.move(mid, "close", [item])
    return mid, item


def test_paper_ballots_are_added_marked_audited_and_verified(app, api):
    mid, item = closed_item(app, api, cards=6)
    path = f"/meetings/{mid}/items/{item}/paper"
    done = api.post(path, {"counts": {"satisfied": 1, "unsatisfied": 1}}, 200).get_json()
    assert done == {"item": item, "aspect": 0, "group": "member",
                    "paper": {"satisfied": 1, "unsatisfied": 1}}  # fmt: skip
    shown = aspect0(api, mid, item)
    assert shown["paper"] == {"satisfied": 1, "unsatisfied": 1}
    assert shown["result"]["counts"] == {"satisfied": 3, "basic": 1, "unsatisfied": 2}
    assert shown["result"]["valid"] == 6
    assert shown["groups"]["member"]["counts"] == shown["result"]["counts"]
    # Entered again, the paper counts replace the earlier ones (a correction).
    api.post(path, {"counts": {"satisfied": 2, "unsatisfied": 0}}, 200)
    shown = aspect0(api, mid, item)
    assert shown["paper"] == {"satisfied": 2}
    assert shown["result"]["counts"] == {"satisfied": 4, "basic": 1, "unsatisfied": 1}

    log = [e for e in api.get(f"/meetings/{mid}/audit").get_json()["entries"]
           if e["action"] == "paper"]  # fmt: skip
    assert [e["detail"]["after"] for e in log] == [{"satisfied": 1, "unsatisfied": 1},
                                                   {"satisfied": 2}]  # fmt: skip
    assert log[1]["detail"]["before"] == {"satisfied": 1, "unsatisfied": 1}
    assert api.get("/verify").get_json()["ok"] is True

    api.move(mid, "reveal", [item])
    assert api.get("/verify").get_json()["ok"] is True
    assert aspect0(api, mid, item)["paper"] == {"satisfied": 2}

    # Tampering with the paper counts in the file is found by verify.
    db(app).execute("UPDATE paper SET count = 9 WHERE item_id = ?", (item,))
    problems = api.get("/verify").get_json()["problems"]
    assert any(p.startswith(f"item {item}: the ballots now count") for p in problems), problems


def test_paper_ballots_are_refused_for_a_bad_state_or_bad_counts(app, api):
    m = api.meeting(cards=2, items=1)
    mid, (item,) = m["meeting"]["id"], m["items"]
    path = f"/meetings/{mid}/items/{item}/paper"
    r = api.post(path, {"counts": {"satisfied": 1}}, 409).get_json()
    assert r["error"] == "not_closed" and "尚未开始" in r["message"]  # not yet voted on
    mid2, item2 = closed_item(app, api)
    path2 = f"/meetings/{mid2}/items/{item2}/paper"
    before = api.get(f"/meetings/{mid2}/results").get_json()
    audit = len(api.get(f"/meetings/{mid2}/audit").get_json()["entries"])
    for body, status, code in [
        ({"counts": {"excellent": 1}}, 409, "bad_choice"),
        ({"counts": {"satisfied": -1}}, 400, "bad_input"),
        ({"counts": {"satisfied": 1.5}}, 400, "bad_input"),
        ({"counts": {"satisfied": True}}, 400, "bad_input"),
        ({"counts": {}}, 400, "bad_input"),
        ({"counts": "3"}, 400, "bad_input"),
        ({"counts": {"satisfied": 1}, "aspect": 3}, 409, "bad_aspect"),
        ({"counts": {"satisfied": 1}, "group": "nobody"}, 409, "bad_group"),
        ({"counts": {"satisfied": 1}, "extra": 1}, 400, "bad_input"),
        ({"counts": {"satisfied": 1, "basic": 1, "excellent": 1}}, 409, "bad_choice"),
        ({"counts": {"satisfied": 1}}, 409, "too_many"),  # 4 by phone + 1 > 应到 4
        ({"counts": {"satisfied": 1}, "group": "member", "aspect": 0}, 409, "too_many"),
    ]:
        r = api.post(path2, body, status).get_json()
        assert r["error"] == code, (body, r)
        assert r["message"]
    assert api.post(f"/meetings/{mid2}/items/999999/paper", {"counts": {"basic": 1}}, 404)
    api.move(mid2, "reveal", [item2])
    r = api.post(path2, {"counts": {"satisfied": 1}}, 409).get_json()
    assert r["error"] == "not_closed" and "已揭晓" in r["message"]
    after = api.get(f"/meetings/{mid2}/results").get_json()
    assert after["items"][0]["aspects"] == before["items"][0]["aspects"]  # nothing changed
    entries = api.get(f"/meetings/{mid2}/audit").get_json()["entries"]
    assert [e["action"] for e in entries[audit:]] == ["reveal"]


# -- follow-up ------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_the_months_last():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 15), 3) == date(2027, 2, 15)
    assert add_months(date(2026, 12, 1), 24) == date(2028, 12, 1)


def rated(app, api, choices_by_item: list[list[str]], **settings):
    """A meeting whose items get these votes, then are closed and revealed."""
    cards = max(len(c) for c in choices_by_item)
    m = api.meeting(cards=cards, items=len(choices_by_item), **settings)
    mid, items = m["meeting"]["id"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"]]
    api.move(mid, "open", items)
    for item, choices in zip(items, choices_by_item, strict=True):
        for p, choice in zip(phones, choices, strict=False):
            assert vote(p, item, choice)["ok"]
    api.move(mid, "close", items)
    api.move(mid, "reveal", items)
    return mid, items


def test_items_that_fall_short_get_a_follow_up_due_after_the_months(app, api):
    mid, (good, basic, bad) = rated(
        app, api,
        [["satisfied"] * 4, ["basic", "basic", "satisfied", "basic"], ["unsatisfied"] * 4],
        followup_months=2,
    )  # fmt: skip
    assert api.get(f"/meetings/{mid}").get_json()["followup_months"] == 2
    found = api.get(f"/meetings/{mid}/followups").get_json()["followups"]
    due = add_months(date.today(), 2).isoformat()
    assert found == {
        str(basic): {"status": "pending", "due": due, "notes": "", "overdue": False,
                     "carried_from": None},
        str(bad): {"status": "pending", "due": due, "notes": "", "overdue": False,
                   "carried_from": None},
    }  # fmt: skip
    reveal = [e for e in api.get(f"/meetings/{mid}/audit").get_json()["entries"]
              if e["action"] == "reveal"][0]  # fmt: skip
    assert set(reveal["detail"]["followups"]) == {str(basic), str(bad)}
    assert reveal["detail"]["followups"][str(bad)]["verdict"] == "unsatisfied"
    assert api.get(f"/meetings/{mid}/followups/{good}", status=404)

    # Edited by the secretary: each change is in the audit log.
    r = api.send("PUT", f"/meetings/{mid}/followups/{bad}",
                 {"status": "in_progress", "notes": "已制定整改方案"}, 200).get_json()  # fmt: skip
    assert r == {"item": bad, "status": "in_progress", "due": due, "notes": "已制定整改方案",
                 "overdue": False, "carried_from": None}  # fmt: skip
    past = (date.today() - timedelta(days=1)).isoformat()
    r = api.send("PUT", f"/meetings/{mid}/followups/{bad}", {"due": past}, 200).get_json()
    assert r["overdue"] is True and r["status"] == "in_progress"
    assert api.get(f"/meetings/{mid}/followups/{bad}").get_json()["overdue"] is True
    r = api.send("PUT", f"/meetings/{mid}/followups/{bad}", {"status": "done"}, 200).get_json()
    assert r["overdue"] is False  # done is never overdue
    changes = [e["detail"] for e in api.get(f"/meetings/{mid}/audit").get_json()["entries"]
               if e["action"] == "followup"]  # fmt: skip
    assert [c["after"]["status"] for c in changes] == ["in_progress", "in_progress", "done"]
    assert changes[1]["before"]["due"] == due and changes[1]["after"]["due"] == past
    assert api.get("/verify").get_json()["ok"] is True

    # Bad input changes nothing.
    for body in ({"status": "finished"}, {"due": "2026-13-01"}, {"due": "tomorrow"}, {},
                 {"notes": 5}, {"owner": "x"}):  # fmt: skip
        r = api.send("PUT", f"/meetings/{mid}/followups/{bad}", body, 400).get_json()
        assert r["error"] == "bad_input" and r["message"]
    api.send("PUT", f"/meetings/{mid}/followups/99999", {"status": "done"}, 404)
    assert api.get(f"/meetings/{mid}/followups/{bad}").get_json()["status"] == "done"


def test_overdue_when_the_due_date_has_passed(app, api):
    mid, (bad,) = rated(app, api, [["unsatisfied"] * 2])
    store = ceping_store(app)
    due = date.fromisoformat(store.followups(mid)[bad]["due"])
    assert store.followups(mid, today=due)[bad]["overdue"] is False
    assert store.followups(mid, today=due + timedelta(days=1))[bad]["overdue"] is True


def test_a_follow_up_is_carried_into_the_next_meeting_rating_the_same_department(app, api):
    mid, (good, bad) = rated(app, api, [["satisfied"] * 2, ["unsatisfied"] * 2])
    api.send("PUT", f"/meetings/{mid}/followups/{bad}", {"status": "in_progress"}, 200)
    copy = api.post(f"/meetings/{mid}/copy", {"title": "下一次测评"}, 201).get_json()
    new = api.get(f"/meetings/{copy['id']}").get_json()["items"]
    new_good, new_bad = (i["id"] for i in new)
    carried = api.get(f"/meetings/{copy['id']}/followups").get_json()["followups"]
    assert list(carried) == [str(new_bad)]  # the same department (subject) only
    assert carried[str(new_bad)]["carried_from"] == bad
    assert carried[str(new_bad)]["status"] == "in_progress"
    # A change on the new meeting's item makes its own record, still naming the earlier one.
    r = api.send("PUT", f"/meetings/{copy['id']}/followups/{new_bad}",
                 {"status": "re_evaluate"}, 200).get_json()  # fmt: skip
    assert r["status"] == "re_evaluate" and r["carried_from"] == bad
    assert api.get(f"/meetings/{mid}/followups/{bad}").get_json()["status"] == "in_progress"
    assert new_good != good


def test_followup_months_is_checked_and_may_change_after_voting_started(app, api):
    for bad in (0, 25, "3", True, 2.5):
        r = api.post("/meetings", {"title": "t", "expected": 3, "followup_months": bad}, 400)
        assert "followup_months" in r.get_json()["message"]
    m = api.post("/meetings", {"title": "t", "expected": 3}, 201).get_json()
    assert m["followup_months"] == 3
    mid, _ = rated(app, api, [["satisfied"]])
    r = api.send("PATCH", f"/meetings/{mid}", {"followup_months": 6}, 200).get_json()
    assert r["followup_months"] == 6
    assert api.send("PATCH", f"/meetings/{mid}", {"expected": 9}, 409).get_json()["error"] == (
        "started"
    )


def test_a_message_mixing_a_resend_and_a_new_vote_keeps_the_new_comment_once(app, api):
    m = api.meeting(cards=1, items=2)
    mid, (a, b) = m["meeting"]["id"], m["items"]
    p = phone(app, m["cards"][0]["token"])
    api.move(mid, "open", [a, b])
    first = {"item": a, "choice": "basic", "ballot": str(uuid.uuid4()), "comment": "先投的"}
    assert p.emit("vote", {"votes": [first]}, namespace="/voter", callback=True)["ok"]
    second = {"item": b, "choice": "satisfied", "ballot": str(uuid.uuid4()), "comment": "后投的"}
    ack = p.emit("vote", {"votes": [first, second]}, namespace="/voter", callback=True)
    assert ack == {"ok": True, "votes": ["unchanged", "recorded"]}
    api.move(mid, "close", [a, b])
    assert ceping_store(app).comments(mid) == {a: ["先投的"], b: ["后投的"]}


def test_a_draft_item_with_a_follow_up_can_still_be_deleted(app, api):
    mid, (bad,) = rated(app, api, [["unsatisfied"] * 2])
    copy = api.post(f"/meetings/{mid}/copy", {}, 201).get_json()
    (new,) = [i["id"] for i in api.get(f"/meetings/{copy['id']}").get_json()["items"]]
    api.send("PUT", f"/meetings/{copy['id']}/followups/{new}", {"status": "re_evaluate"}, 200)
    api.send("DELETE", f"/meetings/{copy['id']}/items/{new}", None, 200)
    assert api.get(f"/meetings/{copy['id']}/followups").get_json() == {"followups": {}}
    assert api.get(f"/meetings/{mid}/followups/{bad}").get_json()["status"] == "pending"
