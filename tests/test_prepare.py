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
        ("a.xlsx", b"PK\x03\x04 not a zip", "不是 XLSX"),
        ("a.csv", _csv([["部门", "类型"], ["市审计局", "电话"]]), "第 1 行"),
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


# -- what the trial's secretary pasted and uploaded, and what the parser must catch ------------


@pytest.mark.parametrize(
    "line",
    [
        "1、市民政局 钱七 局长",
        "1. 市民政局 钱七 局长",
        "1．市民政局 钱七 局长",
        "(1) 市民政局 钱七 局长",
        "（1）市民政局 钱七 局长",
        "（一）市民政局 钱七 局长",
        "一、市民政局 钱七 局长",
        "①市民政局 钱七 局长",
        "1 市民政局 钱七 局长",
        "12\t市民政局\t钱七\t局长",
        "1、\t市民政局\t钱七\t局长",
    ],
)
def test_a_leading_serial_number_is_dropped(line):
    parsed = importing.read_lines(line)
    assert parsed.items == [NewItem("市民政局", "钱七 局长")]
    assert parsed.warnings == [[]]
    assert [n["code"] for n in parsed.notes] == ["serials"]


def test_a_word_or_excel_row_is_split_at_its_tabs():
    """ "2⇥市财政局⇥孙八⇥局长" was read as department "2", person "市财政局 孙八 局长"."""
    parsed = importing.read_lines("2\t市财政局\t孙八\t局长\n3\t市 审计局\t周八\t局长")
    assert parsed.items == [NewItem("市财政局", "孙八 局长"), NewItem("市 审计局", "周八 局长")]
    assert parsed.warnings == [[], []]


def test_a_header_is_read_by_its_words_whatever_their_order():
    """A CSV headed "名称,负责人" imported its header row as an item."""
    assert importing.parse_file("a.csv", _csv([["名称", "负责人"], ["市民政局", "钱七"]])) == [
        NewItem("市民政局", "钱七")
    ]
    rows = [["2026年述法测评名单"], ["批次", "职务", "述法人", "类型", "单位", "备注", "序号"],
            ["第一批", "局长", "钱七", "书面", "市民政局", "新任", 1]]  # fmt: skip
    parsed = importing.read_table(rows)
    assert parsed.items == [NewItem("市民政局", "钱七 局长", "written", "第一批")]
    header, unknown, above = parsed.notes
    assert header["columns"] == {"batch": "批次", "title": "职务", "name": "述法人",
                                 "kind": "类型", "subject": "单位", "serial": "序号"}  # fmt: skip
    assert (unknown["code"], unknown["value"]) == ("unknown_columns", "备注")
    assert (above["code"], above["value"]) == ("above_header", "1")
    pasted = importing.read_lines("序号\t部门\t姓名\t职务\n1\t市民政局\t钱七\t局长")
    assert pasted.items == [NewItem("市民政局", "钱七 局长")]
    assert pasted.notes[0]["code"] == "header"


def test_a_title_in_a_row_is_not_taken_for_a_header_nor_for_a_department():
    parsed = importing.read_lines(
        "市妇联 赵一 主席\n市国资委 李四 负责人\n"
        "市公安局 钱七 副市长 市委常委\n市直单位工委 周八 书记"
    )
    assert [i.subject for i in parsed.items] == ["市妇联", "市国资委", "市公安局", "市直单位工委"]
    codes = [[w["code"] for w in row] for row in parsed.warnings]
    assert codes == [[], [], ["extra_words"], []] and parsed.notes == []


def test_every_row_the_parser_guessed_at_is_flagged():
    rows = [["机构", "领导"], ["市民政局", "钱七"], ["市财政局", "孙八"], ["市财政局", "孙八"]]
    parsed = importing.read_table(rows)
    codes = [[w["code"] for w in row] for row in parsed.warnings]
    assert codes == [["maybe_header"], [], [], ["duplicate"]]
    assert parsed.warnings[3][0]["value"] == "3"  # the same as row 3
    assert [n["code"] for n in parsed.notes] == ["no_header"]
    shifted = importing.read_table([["名称", "负责人"], ["2", "市审计局 周八"]])
    assert [w["code"] for w in shifted.warnings[0]] == ["subject_number", "person_like_unit"]
    words = importing.read_lines("市 财政局 孙八 局长")
    assert [w["code"] for w in words.warnings[0]] == ["extra_words", "person_like_unit"]
    (extra,) = importing.read_table([["市财政局", "孙八", "局长", "备注"]]).warnings[0]
    assert (extra["code"], extra["value"]) == ("extra_columns", "备注")


def test_a_header_without_a_department_column_is_refused():
    with pytest.raises(BadInput, match="部门"):
        importing.read_table([["姓名", "职务"], ["钱七", "局长"]])


ROWS = [
    ["序号", "单位名称", "负责人", "职务", "述法方式"],
    [1, "市民政局", "钱七", "局长", "现场述法"],
    [2, "市财政局", "孙八", "局长", "书面述法"],
]
WANTED = [NewItem("市民政局", "钱七 局长", "oral"), NewItem("市财政局", "孙八 局长", "written")]


@pytest.mark.parametrize("encoding", ["gbk", "utf-8-sig"])
def test_real_csv_files_in_gbk_and_utf8_with_bom(tmp_path, api, encoding):
    path = tmp_path / "名单.csv"
    with open(path, "w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(ROWS)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    assert importing.parse_file(path.name, data) == WANTED
    answer = _upload(api, data, path.name)
    assert answer["items"] == [item.__dict__ for item in WANTED]
    assert answer["warnings"] == [[], []]
    assert answer["notes"][0]["columns"]["subject"] == "单位名称"


def test_an_xlsx_made_by_openpyxl_with_numbers_in_its_first_column(tmp_path, api):
    book = Workbook()
    sheet = book.active
    sheet.append(["2026年度述法测评名单"])
    for row in ROWS:
        sheet.append(row)
    headerless = book.create_sheet("无表头")
    headerless.append([3, "市审计局", "周八", "局长"])
    path = tmp_path / "名单.xlsx"
    book.save(path)
    assert importing.parse_file(path.name, path.read_bytes()) == WANTED
    book.move_sheet("无表头", offset=-1)
    book.save(path)
    assert importing.parse_file("名单", path.read_bytes()) == [NewItem("市审计局", "周八 局长")]
    answer = _upload(api, path.read_bytes(), path.name)
    assert [n["code"] for n in answer["notes"]] == ["no_header", "serials"]


def _upload(api, data: bytes, name: str) -> dict:
    r = api.client.post(
        "/api/items/parse",
        data={"file": (io.BytesIO(data), name), "kind": "oral"},
        headers=api.headers,
        content_type="multipart/form-data",
    )
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_preview_flags_rows_and_its_items_can_be_added_as_they_are(api):
    text = "1、市民政局 钱七 局长\n2\t市财政局\t孙八\t局长\n市 审计局 周八 局长"
    answer = api.post("/items/parse", {"text": text}, 200).get_json()
    assert [i["subject"] for i in answer["items"]] == ["市民政局", "市财政局", "市"]
    assert [[w["code"] for w in row] for row in answer["warnings"]] == [
        [],
        [],
        ["extra_words", "person_like_unit"],
    ]
    assert answer["notes"][0]["code"] == "serials"
    m = api.post("/meetings", {"title": "导入", "expected": 3}, 201).get_json()
    added = api.post(f"/meetings/{m['id']}/items", {"items": answer["items"]}, 201).get_json()
    assert len(added["ids"]) == 3


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
