"""Preparing and steering a meeting from the console: settings, copying, items pasted or uploaded,
edited and reordered, undo of the last step, and the auto-close when every present card voted."""

from __future__ import annotations

import csv
import io
import time

import pytest
from openpyxl import Workbook

from conftest import phone, vote
from voting import demo, importing
from voting.settings import BadInput, NewItem


def test_pasted_lines_read_subject_and_person():
    text = "市发改委 张三 主任\n\n  市水利局\t李四\t局长 \n市应急管理局，王五，局长\n市统计局"
    items = importing.parse_lines(text, kind="written", batch="书面述法")
    assert [(i.subject, i.person) for i in items] == [
        ("市发改委", "张三 主任"),
        ("市水利局", "李四 局长"),
        ("市应急管理局", "王五 局长"),
        ("市统计局", ""),
    ]
    assert {(i.kind, i.batch) for i in items} == {("written", "书面述法")}


def test_full_width_spaces_separate_words():
    (item,) = importing.parse_lines("市港航和口岸局\u3000赵六\u3000局长")
    assert (item.subject, item.person) == ("市港航和口岸局", "赵六 局长")


def _csv(rows, encoding="utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def test_csv_with_a_header_in_excel_utf8_and_gb18030():
    rows = [["序号", "部门", "姓名", "职务", "类型"], [1, "市教育局", "陈七", "局长", "书面述法"],
            [2, "市发改委", "张三", "主任", "现场"]]  # fmt: skip
    for encoding in ("utf-8-sig", "gb18030"):
        items = importing.parse_file("items.csv", _csv(rows, encoding))
        assert items == [
            NewItem("市教育局", "陈七 局长", "written", ""),
            NewItem("市发改委", "张三 主任", "oral", ""),
        ]


def test_csv_without_header_is_subject_name_title():
    items = importing.parse_file("x.csv", _csv([["市水利局", "李四", "局长"]]), batch="A")
    assert items == [NewItem("市水利局", "李四 局长", "oral", "A")]


def test_xlsx_first_sheet():
    book = Workbook()
    sheet = book.active
    sheet.append(["测评对象", "述法人", "职务", "批次"])
    sheet.append(["市审计局", "周八", "局长", "书面述法"])
    sheet.append([None, None, None, None])
    data = io.BytesIO()
    book.save(data)
    items = importing.parse_file("名单.xlsx", data.getvalue(), kind="written")
    assert items == [NewItem("市审计局", "周八 局长", "written", "书面述法")]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.xlsx", b"PK\x03\x04 not a zip", "not an XLSX"),
        ("a.csv", _csv([["部门", "类型"], ["市审计局", "电话"]]), "Row 1"),
        ("a.csv", _csv([["姓名"], ["周八"]]), "部门"),
        ("a.csv", b"x" * (importing.MAX_FILE + 1), "2 MB"),
    ],
)
def test_bad_files_say_why(name, data, message):
    with pytest.raises(BadInput, match=message):
        importing.parse_file(name, data)


def test_parse_endpoint_previews_without_storing(api):
    made = api.meeting(cards=3, items=1)
    r = api.post("/items/parse", {"text": "市林业局 孙九 局长", "kind": "written"}, 200)
    assert r.get_json()["items"] == [
        {"subject": "市林业局", "person": "孙九 局长", "kind": "written", "batch": ""}
    ]
    upload = api.client.post(
        "/api/items/parse",
        data={
            "file": (io.BytesIO(_csv([["市信访局", "吴十", "局长"]])), "名单.csv"),
            "kind": "oral",
        },
        headers=api.headers,
        content_type="multipart/form-data",
    )
    assert upload.status_code == 200
    assert upload.get_json()["items"][0]["subject"] == "市信访局"
    assert len(api.get(f"/meetings/{made['meeting']['id']}").get_json()["items"]) == 1
    assert api.post("/items/parse", {"text": 5}, 400).get_json()["error"] == "bad_input"
    assert api.post("/items/parse", {"text": "x", "kind": "sung"}, 400)


def test_settings_change_until_voting_starts_then_only_the_title(api, app):
    made = api.meeting(cards=4, items=2)
    mid = made["meeting"]["id"]
    r = api.send("PATCH", f"/meetings/{mid}", {"expected": 6, "allow_change": True}, 200)
    assert (r.get_json()["expected"], r.get_json()["allow_change"]) == (6, True)
    api.send("PATCH", f"/meetings/{mid}", {"scale": "nonsense"}, 400)
    api.send("PATCH", f"/meetings/{mid}", {"join_key": "x"}, 400)
    for card in made["cards"]:
        phone(app, card["token"])
    api.move(mid, "open", made["items"][:1], 200)
    refused = api.send("PATCH", f"/meetings/{mid}", {"expected": 99}, 409).get_json()
    assert refused["error"] == "started"
    assert api.send("PATCH", f"/meetings/{mid}", {"title": "新标题"}, 200).get_json()["title"]
    entries = api.get(f"/meetings/{mid}/audit").get_json()["entries"]
    assert [e["action"] for e in entries].count("settings") == 2


def test_copy_takes_settings_and_items_but_no_cards_or_votes(api, app):
    made = api.meeting(cards=3, items=3, allow_change=True, scale="grade4")
    mid = made["meeting"]["id"]
    for card in made["cards"]:
        phone(app, card["token"])
    api.move(mid, "open", made["items"], 200)
    new = api.post(f"/meetings/{mid}/copy", {"title": "2027年 述法测评"}, 201).get_json()
    assert new["id"] != mid and new["title"] == "2027年 述法测评"
    assert (new["scale"], new["allow_change"]) == ("grade4", True)
    assert new["join_key"] != made["meeting"]["join_key"]
    copy = api.get(f"/meetings/{new['id']}").get_json()
    assert [i["subject"] for i in copy["items"]] == ["市第0局", "市第1局", "市第2局"]
    assert {i["state"] for i in copy["items"]} == {"draft"}
    assert api.get(f"/meetings/{new['id']}/cards").get_json()["cards"] == []


def test_items_edit_delete_and_reorder_while_draft(api, app):
    made = api.meeting(cards=2, items=3)
    mid, (a, b, c) = made["meeting"]["id"], made["items"]
    edited = api.send("PATCH", f"/meetings/{mid}/items/{a}", {"person": "局长 王五"}, 200)
    assert edited.get_json()["person"] == "局长 王五"
    api.send("PATCH", f"/meetings/{mid}/items/{a}", {"kind": "sung"}, 400)
    api.post(f"/meetings/{mid}/items/order", {"items": [c, a, b]}, 200)
    assert [i["id"] for i in api.get(f"/meetings/{mid}").get_json()["items"]] == [c, a, b]
    api.post(f"/meetings/{mid}/items/order", {"items": [c, a]}, 409)
    api.post(f"/meetings/{mid}/items/order", {"items": [c, a, a]}, 409)
    api.send("DELETE", f"/meetings/{mid}/items/{b}", None, 200)
    for card in made["cards"]:
        phone(app, card["token"])
    api.move(mid, "open", [a], 200)
    assert api.send("DELETE", f"/meetings/{mid}/items/{a}", None, 409).get_json()["error"] == (
        "not_draft"
    )
    api.send("PATCH", f"/meetings/{mid}/items/{a}", {"subject": "x"}, 409)
    api.send("DELETE", f"/meetings/{mid}/items/{b}", None, 404)
    other = api.meeting(cards=1, items=1)
    api.send("DELETE", f"/meetings/{mid}/items/{other['items'][0]}", None, 404)


def test_undo_reopens_a_close_and_discards_an_open_but_never_a_reveal(api, app):
    made = api.meeting(cards=3, items=2)
    mid, (a, b) = made["meeting"]["id"], made["items"]
    phones = [phone(app, card["token"]) for card in made["cards"]]
    api.post(f"/meetings/{mid}/undo", None, 409)
    api.move(mid, "open", [a, b], 200)
    assert vote(phones[0], a, "satisfied")["ok"]
    api.move(mid, "close", [a], 200)
    assert api.get(f"/meetings/{mid}").get_json()["last_move"]["action"] == "close"
    undone = api.post(f"/meetings/{mid}/undo", None, 200).get_json()
    assert (undone["undone"], undone["action"]) == ("close", "reopen")
    assert api.get(f"/meetings/{mid}/turnout").get_json()["voted"] == {str(a): 1}
    # the undo of a reopen closes again; the undo of that close reopens
    assert api.post(f"/meetings/{mid}/undo", None, 200).get_json()["action"] == "close"
    api.post(f"/meetings/{mid}/undo", None, 200)
    api.move(mid, "close", [a, b], 200)
    api.move(mid, "reveal", [a], 200)
    assert api.post(f"/meetings/{mid}/undo", None, 409).get_json()["error"] == "cannot_undo"
    api.move(mid, "reset", [b], 200)
    assert api.post(f"/meetings/{mid}/undo", None, 409).get_json()["error"] == "cannot_undo"
    actions = [
        e["detail"].get("by") for e in api.get(f"/meetings/{mid}/audit").get_json()["entries"]
    ]
    assert actions.count("undo") == 3


def test_undo_of_an_open_discards_its_votes(api, app):
    made = api.meeting(cards=2, items=1)
    mid, (a,) = made["meeting"]["id"], made["items"]
    p = phone(app, made["cards"][0]["token"])
    phone(app, made["cards"][1]["token"])
    api.move(mid, "open", [a], 200)
    assert vote(p, a, "basic")["ok"]
    assert api.post(f"/meetings/{mid}/undo", None, 200).get_json()["action"] == "reset"
    m = api.get(f"/meetings/{mid}").get_json()
    assert m["items"][0]["state"] == "draft" and m["turnout"]["voted"] == {}


def test_auto_close_when_every_present_card_has_voted(api, app):
    made = api.meeting(cards=3, items=2, auto_close=True)
    mid, (a, b) = made["meeting"]["id"], made["items"]
    phones = [phone(app, card["token"]) for card in made["cards"][:2]]  # 2 of 3 present
    api.move(mid, "open", [a, b], 200)
    for p in phones:
        assert vote(p, a, "satisfied")["ok"]
    assert vote(phones[0], b, "satisfied")["ok"]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        states = {i["id"]: i["state"] for i in api.get(f"/meetings/{mid}").get_json()["items"]}
        if states[a] == "closed":
            break
        time.sleep(0.05)
    assert states == {a: "closed", b: "open"}
    last = api.get(f"/meetings/{mid}/audit").get_json()["entries"][-1]
    assert last["action"] == "close" and last["detail"]["items"] == [a]


def test_no_auto_close_unless_the_meeting_asks(api, app):
    made = api.meeting(cards=1, items=1)
    mid, (a,) = made["meeting"]["id"], made["items"]
    p = phone(app, made["cards"][0]["token"])
    api.move(mid, "open", [a], 200)
    assert vote(p, a, "satisfied")["ok"]
    time.sleep(0.5)
    assert api.get(f"/meetings/{mid}").get_json()["items"][0]["state"] == "open"


def test_demo_meeting_is_the_reference_case(app):
    store = app.extensions["ceping"].store
    m = demo.create(store)
    kinds = [i["kind"] for i in m["items"]]
    assert (m["title"], m["expected"], m["scale"]) == (demo.TITLE, 60, "satisfaction")
    assert kinds.count("oral") == 5 and kinds.count("written") == 24 and kinds.count("other") == 1
    oral = ["市发改委", "市水利局", "市退役军人事务局", "市应急管理局", "市港航和口岸局"]
    assert [i["subject"] for i in m["items"][:5]] == oral
    assert {i["batch"] for i in m["items"] if i["kind"] == "written"} == {"书面述法"}
    assert m["items"][-1]["subject"] == "市政府落实审议意见情况"
    assert len(store.cards(m["id"])) == 60


def test_turnout_of_settled_items_follows_every_move(api, app):
    """已投 of closed items is counted once and kept; a reopen, a reset or an undo recounts it."""
    made = api.meeting(cards=3, items=2, allow_change=True)
    mid, (a, b) = made["meeting"]["id"], made["items"]
    phones = [phone(app, card["token"]) for card in made["cards"]]
    api.move(mid, "open", [a, b])
    assert vote(phones[0], a, "satisfied")["ok"]
    api.move(mid, "close", [a])
    turnout = lambda: api.get(f"/meetings/{mid}/turnout").get_json()["voted"]  # noqa: E731
    assert turnout() == {str(a): 1}
    api.move(mid, "reopen", [a])
    assert vote(phones[1], a, "basic")["ok"] and vote(phones[2], b, "basic")["ok"]
    assert turnout() == {str(a): 2, str(b): 1}
    api.move(mid, "close", [a, b])
    assert turnout() == {str(a): 2, str(b): 1}
    api.move(mid, "reset", [b])
    assert turnout() == {str(a): 2}
    assert api.get(f"/meetings/{mid}").get_json()["turnout"]["voted"] == {str(a): 2}
