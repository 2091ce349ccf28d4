"""The follow-up ledger (整改台账): every follow-up of the real meetings, its filters, the
warnings, the department's answer with its history, and the XLSX, through the API."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from conftest import ADMIN_TOKEN, login
from display.ledger import header
from voting import clock, ledger
from voting.records import LedgerEntry
from voting.results import add_months
from walk import calls

QUARTER = 92 * 24 * 3600  # seconds: a quarter of a year ahead


@pytest.fixture(autouse=True)
def clock_back():
    yield
    clock.set_offset(0)


def sitting(api, verdicts: dict[str, str], title: str = "述法测评", **settings) -> dict:
    """A meeting rating one department per entry, each revealed with paper ballots all of
    `verdicts[subject]` (3 of 3): {meeting, items: {subject: id}}."""
    body = {"title": title, "expected": 3, **settings}
    m = api.post("/meetings", body, 201).get_json()
    mid = m["id"]
    new = [{"subject": s, "person": f"{s}负责人", "kind": "oral"} for s in verdicts]
    ids = api.post(f"/meetings/{mid}/items", {"items": new}, 201).get_json()["ids"]
    on_paper(api, mid, ids, list(verdicts.values()))
    return {"meeting": m, "items": dict(zip(verdicts, ids, strict=True))}


def on_paper(api, mid: int, ids: list[int], choices: list[str]) -> None:
    """Open the items with nobody present, close them, enter 3 paper ballots of each choice,
    reveal them."""
    body = {"items": ids, "override_quorum": True, "accept_unreachable": True}
    api.post(f"/meetings/{mid}/open", body, 200)
    api.move(mid, "close", ids)
    for item, choice in zip(ids, choices, strict=True):
        api.post(f"/meetings/{mid}/items/{item}/paper", {"counts": {choice: 3}}, 200)
    api.move(mid, "reveal", ids)


def rows(api, query: str = "") -> list[dict]:
    return api.get(f"/ledger{query}").get_json()["rows"]


@pytest.fixture
def two(api) -> dict:
    """A real meeting leaving three departments short (and one fine), an earlier one with one
    short, and a rehearsal leaving one short."""
    first = sitting(api, {"市水利局": "unsatisfied"}, title="上半年述法测评", followup_months=1)
    second = sitting(api, {"市交通局": "basic", "市民政局": "unsatisfied",
                           "=HYPERLINK(\"x\")": "basic", "市教育局": "satisfied"},
                     title="下半年述法测评", followup_months=6)  # fmt: skip
    trial = sitting(api, {"演练局": "unsatisfied"}, title="彩排", rehearsal=True)
    return {"first": first, "second": second, "trial": trial}


def test_the_rows_are_the_follow_ups_of_the_real_meetings(api, two):
    got = api.get("/ledger").get_json()
    today = date.today()
    second = two["second"]["items"]
    by_item = {r["item"]: r for r in got["rows"]}
    expected_items = {two["first"]["items"]["市水利局"], second["市交通局"], second["市民政局"],
                      second['=HYPERLINK("x")']}  # fmt: skip
    assert set(by_item) == expected_items  # not the satisfied one, never the rehearsal's
    for m in (two["first"], two["second"]):
        followups = api.get(f"/meetings/{m['meeting']['id']}/followups").get_json()["followups"]
        for item_id, f in followups.items():
            r = by_item[int(item_id)]
            assert {k: r[k] for k in ("status", "due", "notes", "overdue", "carried_from")} == f
            assert r["meeting"] == m["meeting"]["id"]
            assert r["meeting_title"] == m["meeting"]["title"]
            assert r["meeting_date"] == today.isoformat()
    water = by_item[two["first"]["items"]["市水利局"]]
    assert water["subject"] == "市水利局" and water["person"] == "市水利局负责人"
    assert water["verdict"] == "unsatisfied" and water["verdict_label"] == "不满意"
    assert water["due"] == add_months(today, 1).isoformat()
    assert water["days_left"] == (add_months(today, 1) - today).days
    assert water["days_overdue"] is None and water["overdue"] is False
    assert by_item[second["市交通局"]]["verdict_label"] == "基本满意"
    assert water["history"][0]["action"] == "created" and water["history"][0]["status"] == "pending"
    assert got["counts"]["total"] == 4 and got["counts"]["status"]["pending"] == 4
    assert got["warnings"] == {"overdue": 0, "due_soon": 0}
    assert api.get("/ledger/warnings").get_json() == got["warnings"]
    assert [m["id"] for m in got["meetings"]] == [two["second"]["meeting"]["id"],
                                                   two["first"]["meeting"]["id"]]  # fmt: skip
    # the soonest due first
    assert got["rows"][0]["item"] == two["first"]["items"]["市水利局"]


def test_an_archived_meeting_stays_and_a_rehearsal_turned_real_starts_afresh(api, two):
    first = two["first"]["meeting"]["id"]
    api.post(f"/meetings/{first}/archive", None, 200)
    assert {r["meeting"] for r in rows(api)} == {first, two["second"]["meeting"]["id"]}
    trial = two["trial"]["meeting"]["id"]
    assert all(r["meeting"] != trial for r in rows(api))
    api.post(f"/meetings/{trial}/make-real", {"confirm": True}, 200)
    assert all(r["meeting"] != trial for r in rows(api))  # its follow-ups were discarded
    (item,) = two["trial"]["items"].values()
    on_paper(api, trial, [item], ["basic"])
    (now_real,) = [r for r in rows(api) if r["meeting"] == trial]
    assert now_real["verdict"] == "basic"  # not the rehearsal's 不满意
    assert [h["action"] for h in now_real["history"]] == ["created"]


def test_the_filters(api, two):
    second = two["second"]
    mid = second["meeting"]["id"]
    assert {r["item"] for r in rows(api, f"?meeting={mid}")} == {
        second["items"]["市交通局"], second["items"]["市民政局"],
        second["items"]['=HYPERLINK("x")']}  # fmt: skip
    assert [r["subject"] for r in rows(api, "?department=民政")] == ["市民政局"]
    assert [r["subject"] for r in rows(api, "?department=%E6%B0%B4%E5%88%A9")] == ["市水利局"]
    api.send("PUT", f"/meetings/{mid}/followups/{second['items']['市交通局']}",
             {"status": "done"}, 200)  # fmt: skip
    assert [r["subject"] for r in rows(api, "?status=done")] == ["市交通局"]
    assert len(rows(api, "?status=pending")) == 3
    got = api.get(f"/ledger?status=pending&meeting={mid}").get_json()
    assert got["counts"]["shown"] == 2 and got["counts"]["total"] == 4
    assert got["filters"] == {"status": "pending", "meeting": str(mid)}
    assert rows(api, "?overdue=1") == [] and rows(api, "?due_soon=1") == []
    for bad in ("?status=finished", "?meeting=abc", "?meeting=-1", "?department=" + "x" * 201):
        r = api.get(f"/ledger{bad}", status=400).get_json()
        assert r["error"] == "bad_input" and r["message"]
    assert rows(api, "?meeting=999999") == []


def test_a_quarter_later_one_is_overdue_and_the_counts_change(api, two):
    water = two["first"]["items"]["市水利局"]
    clock.set_offset(QUARTER)
    today = clock.today()
    got = api.get("/ledger").get_json()
    assert got["today"] == today.isoformat()
    assert got["warnings"] == {"overdue": 1, "due_soon": 0}
    (late,) = rows(api, "?overdue=1")
    assert late["item"] == water and late["overdue"] is True
    assert late["days_overdue"] == (today - date.fromisoformat(late["due"])).days > 0
    assert late["days_left"] == -late["days_overdue"]
    # the due date of another moved to within 14 days: due soon
    mid = two["second"]["meeting"]["id"]
    soon = two["second"]["items"]["市民政局"]
    api.send("PUT", f"/meetings/{mid}/followups/{soon}",
             {"due": (today + timedelta(days=14)).isoformat()}, 200)  # fmt: skip
    assert api.get("/ledger/warnings").get_json() == {"overdue": 1, "due_soon": 1}
    assert [r["item"] for r in rows(api, "?due_soon=1")] == [soon]
    # done is never overdue
    api.send("PUT", f"/meetings/{two['first']['meeting']['id']}/followups/{water}",
             {"status": "done"}, 200)  # fmt: skip
    assert api.get("/ledger/warnings").get_json() == {"overdue": 0, "due_soon": 1}


def test_the_answer_is_saved_with_audit_entries_and_history(api, two):
    mid = two["second"]["meeting"]["id"]
    item = two["second"]["items"]["市民政局"]
    path = f"/meetings/{mid}/followups/{item}/answer"
    body = {"received": "2027-01-10", "report": "  已完成窗口改造。\n附整改清单。 ",
            "assessment": "整改到位", "grade": "pass", "status": "done"}  # fmt: skip
    r = api.send("PUT", path, body, 200).get_json()
    assert r["received"] == "2027-01-10" and r["report"] == "已完成窗口改造。\n附整改清单。"
    assert r["assessment"] == "整改到位" and r["grade"] == "pass" and r["status"] == "done"
    assert [h["action"] for h in r["history"]] == ["created", "followup", "answer"]
    assert r["history"][1]["before"] == "pending" and r["history"][1]["status"] == "done"
    assert set(r["history"][2]["changed"]) == {"received", "report", "assessment", "grade"}
    (row,) = [x for x in rows(api) if x["item"] == item]
    assert row == r
    # a change of the grade alone: one more entry, naming it
    r = api.send("PUT", path, {"grade": "fail", "received": None}, 200).get_json()
    assert r["grade"] == "fail" and r["received"] is None and r["report"].startswith("已完成")
    assert r["history"][-1]["changed"] == ["received", "grade"]
    api.send("PUT", path, {"grade": "fail"}, 200)  # no change: no entry
    entries = api.get(f"/meetings/{mid}/audit").get_json()["entries"]
    answers = [e["detail"] for e in entries if e["action"] == "followup_answer"]
    assert len(answers) == 2 and answers[1]["before"]["grade"] == "pass"
    assert answers[1]["after"] == {"received": None, "report": "已完成窗口改造。\n附整改清单。",
                                   "assessment": "整改到位", "grade": "fail"}  # fmt: skip
    assert api.get("/verify").get_json()["ok"] is True
    # the follow-up API is as it was
    f = api.get(f"/meetings/{mid}/followups/{item}").get_json()
    assert set(f) == {"item", "status", "due", "notes", "overdue", "carried_from"}
    # bad input changes nothing
    for bad in ({}, {"grade": "A"}, {"received": "2027-13-01"}, {"status": "x"},
                {"report": 5}, {"report": "x" * 10_001}, {"files": []}):  # fmt: skip
        r = api.send("PUT", path, bad, 400).get_json()
        assert r["error"] == "bad_input" and r["message"]
    good = two["second"]["items"]["市教育局"]  # rated 满意: no follow-up
    api.send("PUT", f"/meetings/{mid}/followups/{good}/answer", {"grade": "pass"}, 404)
    api.send("PUT", f"/meetings/{mid + 1}/followups/{item}/answer", {"grade": "pass"}, 404)


STATUS = {"pending": "待整改", "in_progress": "整改中", "done": "已完成", "re_evaluate": "再次测评"}
GRADE = {"": None, "pass": "合格", "fail": "不合格"}


def test_the_xlsx_equals_the_api_and_neutralises_formulas(api, client, two):
    clock.set_offset(QUARTER)
    mid = two["second"]["meeting"]["id"]
    answer = {"received": "2027-01-10", "report": "=1+1 已整改", "assessment": "好",
              "grade": "fail", "status": "in_progress"}  # fmt: skip
    api.send("PUT", f"/meetings/{mid}/followups/{two['second']['items']['市交通局']}/answer",
             answer, 200)  # fmt: skip
    for query in ("", "?status=pending&department=局", "?status=in_progress"):
        want = rows(api, query)
        r = client.get(f"/api/ledger.xlsx{query}", headers=api.headers)
        assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
        assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
        sheet = load_workbook(io.BytesIO(r.data)).active
        got = list(sheet.iter_rows(values_only=True))
        assert list(got[0]) == header()
        assert len(got) == 1 + len(want)
        for line, w in zip(got[1:], want, strict=True):
            assert list(line) == [
                w["subject"], w["person"], w["meeting_title"], w["meeting_date"],
                w["verdict_label"], w["due"], STATUS[w["status"]], w["days_overdue"],
                None if w["overdue"] else w["days_left"], w["carried_from"], w["received"],
                w["report"] or None, w["assessment"] or None, GRADE[w["grade"]],
                w["notes"] or None,
            ]  # fmt: skip
    cells = [c for row in load_workbook(io.BytesIO(
        client.get("/api/ledger.xlsx", headers=api.headers).data)).active.iter_rows()
        for c in row if c.value in ('=HYPERLINK("x")', "=1+1 已整改")]  # fmt: skip
    assert len(cells) == 2
    assert cells and all(c.data_type == "s" and c.quotePrefix for c in cells)
    api.get("/ledger.xlsx?status=nope", status=400)


def test_the_ledger_page_and_its_scripts(app, client, api, two):
    assert client.get("/console/ledger").status_code == 302  # to the login form
    login(client, ADMIN_TOKEN)
    page = client.get("/console/ledger?overdue=1").get_data(as_text=True)
    assert 'id="ledger-table"' in page and "ledger.js" in page
    for script in ("/static/ledger.js", "/static/lib/warnings.js"):
        assert client.get(script).status_code == 200
    listing = client.get("/console/").get_data(as_text=True)
    assert 'id="ledger-warnings"' in listing


LEDGER_ENDPOINTS = {"api.get_ledger", "api.ledger_warnings", "api.put_answer",
                    "ledger_export.ledger_xlsx", "console.ledger"}  # fmt: skip


def test_the_ledger_routes_need_the_admin_token_or_a_login(app, api, two):
    mid = two["second"]["meeting"]["id"]
    item = two["second"]["items"]["市民政局"]
    walked = [c for c in calls(app, {"meeting_id": [mid], "item_id": [item]})
              if c.endpoint in LEDGER_ENDPOINTS]  # fmt: skip
    assert {c.endpoint for c in walked} == LEDGER_ENDPOINTS
    anonymous = app.test_client()
    for call in walked:
        r = anonymous.open(call.url, method=call.method, json={"grade": "pass"})
        assert r.status_code == 401 or (
            r.status_code == 302 and r.headers["Location"].startswith("/console/?next=")
        ), (call, r.status_code)
        assert "市民政局" not in r.get_data(as_text=True)
    for call in walked:
        if call.method == "GET":
            assert api.client.get(call.url, headers=api.headers).status_code == 200, call
    # a console login without the page's CSRF token changes nothing
    login(anonymous, ADMIN_TOKEN)
    r = anonymous.put(f"/api/meetings/{mid}/followups/{item}/answer", json={"grade": "pass"})
    assert r.status_code == 400 and r.get_json()["error"] == "bad_request"
    assert [r["grade"] for r in rows(api) if r["item"] == item] == [""]


def test_the_pure_rules() -> None:
    entry: LedgerEntry = {
        "item": 1, "meeting": 1, "meeting_title": "t", "meeting_date": "2026-01-01",
        "archived": False, "position": 0, "subject": "市水利局", "person": "", "verdict": None,
        "verdict_label": None, "status": "pending", "due": "2026-03-15", "notes": "",
        "carried_from": None, "received": None, "report": "", "assessment": "", "grade": "",
        "history": [],
    }  # fmt: skip
    day = date(2026, 3, 1)
    assert ledger.row(entry, day)["days_left"] == 14 and ledger.row(entry, day)["due_soon"]
    assert not ledger.row(entry, day - timedelta(days=1))["due_soon"]
    late = ledger.row(entry, date(2026, 3, 16))
    assert late["overdue"] and late["days_overdue"] == 1 and not late["due_soon"]
    assert not ledger.row(entry, date(2026, 3, 15))["overdue"]  # due today: not yet
    for status in ("done", "re_evaluate"):
        closed = ledger.row({**entry, "status": status}, date(2027, 1, 1))
        assert closed["days_left"] is None and not closed["overdue"]
    assert ledger.row({**entry, "due": None}, day)["days_left"] is None
    f = ledger.filters({"department": " 水利 ", "overdue": "1"})
    assert ledger.matches(late, f) and not ledger.matches(ledger.row(entry, day), f)
    assert f.query() == {"overdue": "1", "department": "水利"}
