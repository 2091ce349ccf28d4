"""The next round: the kind 整改情况 and its migration, a follow-up marked 再次测评 brought to a
later meeting in one action, and 上一轮整改情况 (API, projector push, report).

Dates matter here (a later meeting, the latest earlier round, a due date passed): the app's
clock is moved (`voting.clock.set_offset`) so that meetings are a quarter apart.
"""

from __future__ import annotations

import io
import re
import sqlite3
from datetime import date, timedelta

import pypdf
import pytest
import sqlite_utils

from app import socketio
from conftest import phone, received, vote
from display import report, reportdata
from voting import clock, rounds
from voting.settings import NewItem
from voting.storage import Store, schema

QUARTER = 92 * 86400
SHORT = ["unsatisfied"] * 4  # 不满意 on every card: a follow-up
GOOD = ["satisfied"] * 4


@pytest.fixture
def later():
    """Move the app's clock with `later(days)`; it is put back after the test."""

    def move(days: float) -> None:
        clock.set_offset(days * 86400)

    yield move
    clock.set_offset(0)


def rated(app, api, plan: list[list[str]], subjects: list[str], **settings) -> tuple[int, list]:
    """A meeting rating `subjects`, each voted by 4 phones as `plan` says, then revealed."""
    m = api.post("/meetings", {"title": "述法测评", "expected": 4, **settings}, 201).get_json()
    mid = m["id"]
    new = [{"subject": s, "person": f"{s}局长", "kind": "oral"} for s in subjects]
    ids = api.post(f"/meetings/{mid}/items", {"items": new}, 201).get_json()["ids"]
    cards = api.post(f"/meetings/{mid}/cards", {"count": 4}, 201).get_json()["cards"]
    phones = [phone(app, c["token"]) for c in cards]
    api.move(mid, "open", ids)
    for item, choices in zip(ids, plan, strict=True):
        for p, choice in zip(phones, choices, strict=True):
            assert vote(p, item, choice)["ok"]
    api.move(mid, "close", ids)
    api.move(mid, "reveal", ids)
    return mid, ids


def re_evaluate(api, mid: int, item: int) -> None:
    api.send("PUT", f"/meetings/{mid}/followups/{item}", {"status": "re_evaluate"}, 200)


# -- the migration ------------------------------------------------------------------------------


def _old_database(path) -> None:
    """A database as it was before `m010_rectification`, with a meeting, rated items, ballots,
    a comment, paper ballots and follow-ups (one carried from another item)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys=ON")
    schema.migrations.apply(
        sqlite_utils.Database(conn, execute_plugins=False), stop_before="m010_rectification"
    )
    rule = '{"kind":"majority","base":"expected","thresholds":[]}'
    combine = '{"kind":"members_only","group":"member","weights":null}'
    conn.execute(
        "INSERT INTO meetings (id, title, expected, scale, rule, combine, aspects, secret,"
        " allow_change, join_mode, join_key, screen_key, quorum, live_tallies, created_at)"
        " VALUES (1, '旧测评', 4, 'satisfaction', ?, ?, '[\"总体评价\"]', 1, 0, 'cards', 'jk',"
        " 'sk', 0, 0, '2026-01-05T01:00:00.000+00:00')",
        (rule, combine),
    )
    for n, (subject, kind) in enumerate([("市甲局", "oral"), ("市乙局", "written")], 1):
        conn.execute(
            "INSERT INTO items (id, meeting_id, position, subject, person, kind, state)"
            " VALUES (?, 1, ?, ?, '局长', ?, 'revealed')",
            (10 + n, n, subject, kind),
        )
    conn.execute("INSERT INTO cards (id, meeting_id, number, token) VALUES (1, 1, 1, 'tok1')")
    conn.execute("INSERT INTO voted (card_id, item_id, aspect) VALUES (1, 11, 0)")
    conn.execute(
        "INSERT INTO ballots (id, item_id, aspect, grp, choice) VALUES ('b1', 11, 0, 'member',"
        " 'unsatisfied')"
    )
    conn.execute("INSERT INTO comments (id, item_id, text) VALUES ('c1', 11, '加快整改')")
    conn.execute(
        "INSERT INTO paper (item_id, aspect, grp, choice, count) VALUES (12, 0, 'member',"
        " 'satisfied', 2)"
    )
    conn.execute(
        "INSERT INTO followups (item_id, status, due, carried_from, updated_at)"
        " VALUES (11, 're_evaluate', '2026-04-05', NULL, 'x'),"
        " (12, 'pending', '2026-04-05', 11, 'x')"
    )
    conn.close()


def _rows(path, table: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return sorted(map(tuple, conn.execute(f"SELECT * FROM {table}")))
    finally:
        conn.close()


def test_the_migration_keeps_every_row_and_allows_the_new_kind(tmp_path):
    path = tmp_path / "old.db"
    _old_database(path)
    tables = ["meetings", "items", "cards", "voted", "ballots", "comments", "paper", "followups"]
    before = {t: _rows(path, t) for t in tables}

    store = Store(path)  # migrates
    try:
        after = {t: _rows(path, t) for t in tables}
        assert after["items"] == [(*row, None) for row in before["items"]]  # one column more
        assert {t: after[t] for t in tables if t != "items"} == {
            t: before[t] for t in tables if t != "items"
        }
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"items_meeting", "items_followup", "ballots_secret_insert"} <= names
        with pytest.raises(sqlite3.IntegrityError):  # the CHECK still refuses a made-up kind
            conn.execute("INSERT INTO items (meeting_id, position, subject, kind) VALUES"
                         " (1, 9, '市丙局', 'bogus')")  # fmt: skip
        with pytest.raises(sqlite3.IntegrityError):  # the secrecy trigger still holds
            conn.execute("INSERT INTO ballots (id, item_id, aspect, grp, choice, card_id)"
                         " VALUES ('b2', 11, 0, 'member', 'satisfied', 1)")  # fmt: skip
        conn.close()
        (new,) = store.add_items(1, [NewItem(subject="市丙局", kind="rectification")])
        assert store.meeting(1)["items"][-1]["kind"] == "rectification"
        assert store.followups(1)[11]["status"] == "re_evaluate"
        assert store.comments(1)[11] == ["加快整改"]
    finally:
        store.close()
    again = Store(path)  # a second start finds it done
    try:
        assert [i["id"] for i in again.meeting(1)["items"]] == [11, 12, new]
    finally:
        again.close()


def test_the_kind_is_accepted_imported_and_named(api):
    m = api.post("/meetings", {"title": "t", "expected": 3}, 201).get_json()
    body = {"items": [{"subject": "市甲局", "kind": "rectification"}]}
    (item,) = api.post(f"/meetings/{m['id']}/items", body, 201).get_json()["ids"]
    assert api.get(f"/meetings/{m['id']}").get_json()["items"][0]["kind"] == "rectification"
    api.send("PATCH", f"/meetings/{m['id']}/items/{item}", {"kind": "oral"}, 200)
    parsed = api.post("/items/parse", {"text": "类型,部门\n整改情况,市乙局"}, 200).get_json()
    assert parsed["items"][0]["kind"] == "rectification"


# -- one action: the next round -----------------------------------------------------------------


@pytest.fixture
def rounds_(app, api, later):
    """Meeting A rates 市甲局 (short, marked 再次测评), 市乙局 (short) and 市丙局 (good); meeting
    B, a quarter later, the same departments (a copy of A)."""
    a, (jia, yi, bing) = rated(app, api, [SHORT, SHORT, GOOD], ["市甲局", "市乙局", "市丙局"])
    re_evaluate(api, a, jia)
    later(92)
    b = api.post(f"/meetings/{a}/copy", {"title": "第二轮述法测评"}, 201).get_json()["id"]
    return a, b, jia, yi, bing


def test_one_action_adds_the_department_as_rectification_linked_and_audited(app, api, rounds_):
    a, b, jia, _yi, _bing = rounds_
    added = api.post(f"/meetings/{b}/items/from-followup", {"followup": jia}, 201).get_json()
    assert {k: added[k] for k in ("subject", "person", "kind", "state", "followup_item")} == {
        "subject": "市甲局", "person": "市甲局局长", "kind": "rectification", "state": "draft",
        "followup_item": jia,
    }  # fmt: skip
    items = api.get(f"/meetings/{b}").get_json()["items"]
    assert items[-1]["id"] == added["id"] and items[-1]["position"] == 4  # after the last
    assert [i.get("followup_item") for i in items[:3]] == [None, None, None]
    entry = api.get(f"/meetings/{b}/audit").get_json()["entries"][-1]
    assert entry["action"] == "next_round"
    assert entry["detail"] == {"item": added["id"], "followup": jia, "from_meeting": a,
                               "subject": "市甲局"}  # fmt: skip
    assert api.get("/verify").get_json()["ok"]
    brought = api.get(f"/meetings/{a}/next-round").get_json()["brought"]
    assert brought == {str(jia): [{"meeting": b, "title": "第二轮述法测评", "item": added["id"],
                                   "state": "draft"}]}  # fmt: skip
    assert api.get(f"/meetings/{b}/next-round").get_json()["brought"] == {}


def test_what_is_refused_and_that_a_refusal_changes_nothing(app, api, rounds_, later):
    a, b, jia, yi, bing = rounds_
    path = f"/meetings/{b}/items/from-followup"

    def refused(target_path: str, body, status: int, code: str) -> str:
        before = len(api.get(f"/meetings/{b}").get_json()["items"])
        answer = api.post(target_path, body, status).get_json()
        assert answer["error"] == code, answer
        assert len(api.get(f"/meetings/{b}").get_json()["items"]) == before
        return answer["message"]

    assert "再次测评" in refused(path, {"followup": yi}, 409, "not_re_evaluate")  # pending
    refused(path, {"followup": bing}, 404, "not_found")  # 满意: no follow-up at all
    refused(path, {"followup": 10**9}, 404, "not_found")
    draft = [i["id"] for i in api.get(f"/meetings/{b}").get_json()["items"]][0]
    re_evaluate(api, b, draft)  # a record started by hand on an item not rated yet
    refused(path, {"followup": draft}, 409, "not_revealed")
    for body in ({}, {"followup": "1"}, {"followup": jia, "x": 1}, []):
        refused(path, body, 400, "bad_input")
    refused(f"/meetings/{a}/items/from-followup", {"followup": jia}, 409, "target_not_later")
    earlier = api.post("/meetings", {"title": "更早", "expected": 4}, 201).get_json()["id"]
    later(-30)  # a meeting dated before A
    back = api.post("/meetings", {"title": "回溯", "expected": 4}, 201).get_json()["id"]
    later(92)
    assert earlier  # made a quarter after A: a target it may go to
    refused(f"/meetings/{back}/items/from-followup", {"followup": jia}, 409, "target_not_later")
    trial = api.post("/meetings", {"title": "演练", "expected": 4, "rehearsal": True}, 201)
    refused(f"/meetings/{trial.get_json()['id']}/items/from-followup", {"followup": jia}, 409,
            "target_rehearsal")  # fmt: skip

    added = api.post(path, {"followup": jia}, 201).get_json()
    assert "已有" in refused(path, {"followup": jia}, 409, "already_added")
    api.post(f"/meetings/{b}/cards", {"count": 4}, 201)
    api.move(b, "open", [added["id"]], override_quorum=True, accept_unreachable=True)
    refused(path, {"followup": jia}, 409, "already_rated")


def test_a_rehearsal_s_follow_up_never_goes_to_a_real_meeting(app, api, later):
    trial, (item,) = rated(app, api, [SHORT], ["市甲局"], rehearsal=True)
    re_evaluate(api, trial, item)
    later(92)
    b = api.post("/meetings", {"title": "正式", "expected": 4}, 201).get_json()["id"]
    answer = api.post(f"/meetings/{b}/items/from-followup", {"followup": item}, 409).get_json()
    assert answer["error"] == "rehearsal_followup"


# -- 上一轮整改情况 ---------------------------------------------------------------------------


def test_latest_earlier_real_round_is_picked(later):
    def e(item: int, meeting: int, at: str, rehearsal: bool = False) -> rounds.Earlier:
        return {"item": item, "subject": "市甲局", "person": "", "meeting": meeting,
                "title": "t", "created_at": at, "rehearsal": rehearsal}  # fmt: skip

    found = rounds.latest_earlier(
        9,
        "2026-07-01T00:00:00.000+00:00",
        [
            e(1, 1, "2026-01-01T00:00:00.000+00:00"),
            e(2, 2, "2026-04-01T00:00:00.000+00:00"),
            e(3, 3, "2026-05-01T00:00:00.000+00:00", rehearsal=True),
            e(4, 10, "2026-08-01T00:00:00.000+00:00"),
        ],  # fmt: skip
    )
    assert found["市甲局"]["item"] == 2  # not the rehearsal, not the later meeting


def test_previous_round_lists_last_round_s_short_departments_with_their_follow_up(app, api, later):
    subjects = ["市甲局", "市乙局", "市丙局", "市丁局"]
    first, f_ids = rated(app, api, [SHORT, SHORT, SHORT, GOOD], subjects)
    api.send("PUT", f"/meetings/{first}/followups/{f_ids[0]}", {"status": "done"}, 200)
    later(45)
    second, s_ids = rated(app, api, [SHORT, GOOD, SHORT], ["市甲局", "市乙局", "市丙局"])
    api.send("PUT", f"/meetings/{second}/followups/{s_ids[0]}", {"status": "done"}, 200)
    re_evaluate(api, second, s_ids[2])
    later(60)
    rated(app, api, [SHORT, SHORT, SHORT, SHORT], subjects, rehearsal=True)  # never counted
    later(137)  # a quarter after the second: its due dates are past
    third = api.post(f"/meetings/{first}/copy", {}, 201).get_json()["id"]
    api.post(f"/meetings/{third}/items/from-followup", {"followup": s_ids[2]}, 201)
    later(200)
    rated(app, api, [SHORT], ["市乙局"])  # a later meeting is no earlier round
    later(137)

    found = api.get(f"/meetings/{third}/previous-round").get_json()
    rows = {r["subject"]: r for r in found["rows"]}
    # 市甲局: the second round (done there), not the first; 市乙局 was 满意 at the second: no row;
    # 市丙局: the second round, 再次测评, brought here; 市丁局: 满意 at the first
    assert list(rows) == ["市甲局", "市丙局"]
    today = clock.today()
    assert rows["市甲局"]["meeting"] == second and rows["市甲局"]["status"] == "done"
    assert rows["市甲局"]["done_on"] == (today - timedelta(days=92)).isoformat()
    assert rows["市甲局"]["verdict"] == "unsatisfied" and rows["市甲局"]["rate"] == 0.0
    assert rows["市丙局"]["status"] == "re_evaluate" and rows["市丙局"]["done_on"] is None
    assert rows["市丙局"]["next_item"] is not None
    assert rows["市丙局"]["date"] == (today - timedelta(days=92)).isoformat()
    assert found["counts"] == {"pending": 0, "in_progress": 0, "re_evaluate": 1, "done": 1}
    api.client.set_cookie("ceping_lang", "en")
    english = api.get(f"/meetings/{third}/previous-round").get_json()
    api.client.delete_cookie("ceping_lang")
    assert english["rows"][0]["verdict_label"] == "Unsatisfied"

    body = re.sub(r"\s+", "", "".join(
        p.extract_text() for p in pypdf.PdfReader(io.BytesIO(report.build(
            app.extensions["ceping"].store, third))).pages))  # fmt: skip
    assert report.PREVIOUS_HEADING in body and "再次测评" in body and "完成" in body
    data = reportdata.collect(app.extensions["ceping"].store, first)
    assert data.previous is None  # nothing before the first


def test_a_pending_follow_up_past_its_due_date_is_overdue(app, api, later):
    first, (item,) = rated(app, api, [SHORT], ["市甲局"], followup_months=1)
    later(92)
    b = api.post(f"/meetings/{first}/copy", {}, 201).get_json()["id"]
    (row,) = api.get(f"/meetings/{b}/previous-round").get_json()["rows"]
    due = date.fromisoformat(row["due"])
    assert row["status"] == "pending" and row["overdue"] is True
    assert row["days_overdue"] == (clock.today() - due).days > 0


def test_the_projector_shows_the_view_and_goes_back(app, api, rounds_):
    a, b, jia, _yi, _bing = rounds_
    key = api.get(f"/meetings/{b}").get_json()["screen_key"]
    screen = socketio.test_client(app, namespace="/screen", auth={"meeting": b, "key": key})
    screen.get_received("/screen")
    shown = api.post(f"/meetings/{b}/screen-view", {"view": "previous_round"}, 200).get_json()
    assert shown == {"meeting": b, "view": "previous_round"}
    (view,) = received(screen, "/screen", "view")
    assert view["view"] == "previous_round"
    assert [r["subject"] for r in view["data"]["rows"]] == ["市甲局", "市乙局"]
    late = socketio.test_client(app, namespace="/screen", auth={"meeting": b, "key": key})
    assert received(late, "/screen", "view")[0]["view"] == "previous_round"  # on connect
    items = [i["id"] for i in api.get(f"/meetings/{b}").get_json()["items"]]
    api.post(f"/meetings/{b}/cards", {"count": 4}, 201)
    api.move(b, "open", items[:1], override_quorum=True, accept_unreachable=True)  # back to it
    assert received(screen, "/screen", "view") == [{"view": "live"}]
    api.post(f"/meetings/{b}/screen-view", {"view": "nope"}, 400)
    api.post(f"/meetings/{10**9}/screen-view", {"view": "live"}, 404)
    assert app.extensions["ceping.pusher"].views == {}


def test_the_report_has_no_section_without_a_previous_round(app, api):
    mid, _ids = rated(app, api, [SHORT], ["市甲局"])
    assert reportdata.collect(app.extensions["ceping"].store, mid).previous is None


def test_a_later_meeting_s_report_follows_a_change_of_an_earlier_follow_up(app, api, rounds_):
    a, b, jia, yi, _bing = rounds_

    def report_text() -> str:
        data = api.get(f"/meetings/{b}/report.pdf").data
        return re.sub(r"\s+", "", "".join(p.extract_text() for p in pypdf.PdfReader(
            io.BytesIO(data)).pages))  # fmt: skip

    assert "待整改" in report_text()  # 市乙局
    api.send("PUT", f"/meetings/{a}/followups/{yi}", {"status": "in_progress"}, 200)
    assert "整改中" in report_text()  # the kept copy was out of date, and made again
