"""Exports of a meeting's results: CSV, XLSX and JSON hold the numbers of the results API."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from conftest import phone, vote

HOSTILE = [
    "=1+1",
    "@SUM(A1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "=HYPERLINK(A1)",
    "<script>x</script>",
]


@pytest.fixture
def meeting(app, api):
    """A meeting of two groups with known votes, paper ballots and comments, one item hostile.

    Members: 6 cards; deputies (列席代表): 2 cards. Item A: members 3 满意 / 1 基本满意 /
    1 不满意 electronically + 1 满意 on paper; deputies 2 基本满意. Item B (a hostile name):
    members 1 满意 / 4 不满意. Both closed, A revealed.
    """
    m = api.meeting(cards=6, items=1, title="市人大常委会 2026年述法测评")
    mid = m["meeting"]["id"]
    hostile_item = api.post(
        f"/meetings/{mid}/items",
        {"items": [{"subject": "=1+1", "person": "@SUM(A1)", "kind": "written"}]},
        201,
    ).get_json()["ids"][0]
    (a,) = m["items"]
    deputies = api.post(
        f"/meetings/{mid}/cards", {"count": 2, "group": "deputy", "confirm": True}, 201
    )
    members = [phone(app, c["token"]) for c in m["cards"]]
    guests = [phone(app, c["token"]) for c in deputies.get_json()["cards"]]
    api.move(mid, "open", [a, hostile_item])
    for p, choice, comment in zip(
        members,
        ["satisfied", "satisfied", "satisfied", "basic", "unsatisfied"],
        ["执法规范", *HOSTILE[:3], ""],
        strict=False,
    ):
        assert vote(p, a, choice, comment=comment)["ok"]
    for p in guests:
        assert vote(p, a, "basic", comment="列席代表的意见")["ok"]
    for p, choice, comment in zip(
        members, ["satisfied"] + ["unsatisfied"] * 4, HOSTILE[3:] + [""] * 2, strict=False
    ):
        assert vote(p, hostile_item, choice, comment=comment)["ok"]
    api.move(mid, "close", [a, hostile_item])
    api.post(f"/meetings/{mid}/items/{a}/paper", {"counts": {"satisfied": 1}}, 200)
    api.move(mid, "reveal", [a])
    return {"id": mid, "items": [a, hostile_item]}


def results(api, mid):
    return api.get(f"/meetings/{mid}/results").get_json()


def test_csv_has_a_bom_chinese_headers_and_the_results_numbers(api, meeting):
    r = api.get(f"/meetings/{meeting['id']}/export.csv")
    assert r.mimetype == "text/csv"
    assert r.data.startswith(b"\xef\xbb\xbf")  # Excel and WPS read it as UTF-8
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    name = quote("市人大常委会 2026年述法测评-测评结果.csv", safe="")
    assert (
        disposition
        == f"attachment; filename=\"ceping-{meeting['id']}.csv\"; filename*=UTF-8''{name}"
    )
    assert r.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:6] == ["名次", "测评对象", "姓名职务", "类别", "批次", "测评维度"]
    assert header[6:12] == ["满意（票）", "满意占比（%）", "基本满意（票）", "基本满意占比（%）",
                            "不满意（票）", "不满意占比（%）"]  # fmt: skip
    assert header[12:] == ["有效票", "无效票", "满意率（%）", "测评等次", "其中纸质票", "状态",
                           "计票规则"]  # fmt: skip
    data = results(api, meeting["id"])
    body = rows[1:3]
    for row, item in zip(body, data["items"], strict=True):
        tally = item["aspects"][0]["result"]
        cells = dict(zip(header, row, strict=True))
        assert cells["满意（票）"] == str(tally["counts"]["satisfied"])
        assert cells["基本满意（票）"] == str(tally["counts"]["basic"])
        assert cells["不满意（票）"] == str(tally["counts"]["unsatisfied"])
        assert float(cells["满意占比（%）"]) == tally["shares"]["satisfied"]
        assert float(cells["满意率（%）"]) == tally["rate"]
        assert cells["有效票"] == str(tally["valid"])
        assert cells["测评等次"] == tally["verdict_label"]
        assert cells["其中纸质票"] == str(sum(item["aspects"][0]["paper"].values()))
        assert cells["计票规则"] == data["rule_text"]
        assert cells["名次"] == str(item["rank"])
    first = dict(zip(header, body[0], strict=True))
    assert first["测评对象"] == "市第0局" and first["类别"] == "现场述法"
    assert first["满意（票）"] == "4" and first["其中纸质票"] == "1" and first["状态"] == "已公布"
    assert rows[3] == []
    assert rows[4] == ["测评对象", "姓名职务", "意见建议"]
    assert ["市第0局", "局长0", "执法规范"] in rows[5:]


def test_csv_and_xlsx_neutralise_formulas_in_names_and_comments(api, meeting):
    r = api.get(f"/meetings/{meeting['id']}/export.csv")
    text = r.data.decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    for bad in HOSTILE[:5]:
        assert "'" + bad in cells, bad
        assert bad not in cells, bad
    assert "<script>x</script>" in cells  # not a formula: kept as it is (a CSV holds no HTML)
    assert "'=1+1" in cells and "'@SUM(A1)" in cells  # the item's name and person
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-")]

    book = load_workbook(io.BytesIO(api.get(f"/meetings/{meeting['id']}/export.xlsx").data))
    strings = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    strings.append(cell.value)
                    if cell.value[:1] in ("=", "+", "-", "@", "\t", "\r"):
                        assert cell.data_type == "s" and cell.quotePrefix, cell.value
    for bad in HOSTILE:
        assert bad in strings, bad  # kept as the text typed, never evaluated


def test_hostile_comments_of_the_second_item_are_there_too(api, meeting):
    cells = api.get(f"/meetings/{meeting['id']}/export.csv").data.decode("utf-8-sig")
    assert "'-2+3" in cells and "<script>x</script>" in cells and "'=HYPERLINK(A1)" in cells


def test_a_leading_tab_or_carriage_return_is_neutralised_too():
    from display.exports import csv_cell

    assert csv_cell("\t=1+1") == "'\t=1+1" and csv_cell("\r=1") == "'\r=1"
    assert csv_cell("市第一局") == "市第一局" and csv_cell(-3) == -3 and csv_cell(None) == ""


def test_xlsx_has_its_sheets_and_the_results_numbers(api, meeting):
    r = api.get(f"/meetings/{meeting['id']}/export.xlsx")
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert quote("市人大常委会 2026年述法测评-测评结果.xlsx") in r.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(r.data))
    assert book.sheetnames == ["测评结果", "排名", "常委会组成人员", "列席代表", "意见建议",
                               "整改跟踪"]  # fmt: skip
    data = results(api, meeting["id"])

    def table(name):
        rows = [list(r) for r in book[name].iter_rows(values_only=True)]
        return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]

    header, rows = table("测评结果")
    assert header[:6] == ["名次", "测评对象", "姓名职务", "类别", "批次", "测评维度"]
    assert "满意率（%）" in header and "其中纸质票" in header
    for row, item in zip(rows, data["items"], strict=True):
        tally = item["aspects"][0]["result"]
        assert row["满意（票）"] == tally["counts"]["satisfied"]
        assert row["基本满意（票）"] == tally["counts"]["basic"]
        assert row["不满意（票）"] == tally["counts"]["unsatisfied"]
        assert row["满意占比（%）"] == tally["shares"]["satisfied"]
        assert row["不满意占比（%）"] == tally["shares"]["unsatisfied"]
        assert row["满意率（%）"] == tally["rate"]
        assert row["有效票"] == tally["valid"]
        assert row["测评等次"] == tally["verdict_label"]
        assert row["名次"] == item["rank"]
    for group, name in (("member", "常委会组成人员"), ("deputy", "列席代表")):
        _, rows = table(name)
        want = [i for i in data["items"] if group in i["aspects"][0]["groups"]]
        assert [r["测评对象"] for r in rows] == [i["subject"] for i in want]
        for row, item in zip(rows, want, strict=True):
            tally = item["aspects"][0]["groups"][group]
            assert row["满意（票）"] == tally["counts"]["satisfied"]
            assert row["基本满意（票）"] == tally["counts"]["basic"]
            assert row["满意率（%）"] == tally["rate"]
    _, deputies = table("列席代表")
    assert deputies[0]["基本满意（票）"] == 2

    _, ranking = table("排名")
    ranked = sorted(data["items"], key=lambda i: i["rank"])
    assert [r["测评对象"] for r in ranking] == [i["subject"] for i in ranked]
    assert [r["名次"] for r in ranking] == [i["rank"] for i in ranked]
    assert [r["满意率（%）"] for r in ranking] == [
        i["aspects"][0]["result"]["rate"] for i in ranked
    ]

    _, comments = table("意见建议")
    a, b = meeting["items"]
    by_item = api.get(f"/meetings/{meeting['id']}/comments").get_json()["comments"]
    assert [r["意见建议"] for r in comments] == by_item[str(a)] + by_item[str(b)]
    assert len(comments) == 4 + 2 + 3  # A: 4 members (the fifth sent none) and 2 deputies; B: 3

    _, followups = table("整改跟踪")
    assert [r["测评对象"] for r in followups] == []  # B is not revealed; A was 满意


def test_json_is_the_results_plus_comments(api, meeting):
    r = api.get(f"/meetings/{meeting['id']}/export.json")
    assert r.mimetype == "application/json"
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]
    got = r.get_json()
    comments = got.pop("comments")
    assert got == results(api, meeting["id"])
    assert comments == api.get(f"/meetings/{meeting['id']}/comments").get_json()["comments"]
    assert sorted(comments[str(meeting["items"][0])]) == comments[str(meeting["items"][0])]


def test_exports_need_the_admin_token_and_a_meeting(client, api):
    for suffix in ("csv", "xlsx", "json"):
        assert client.get(f"/api/meetings/1/export.{suffix}").status_code == 401
        r = api.get(f"/meetings/999/export.{suffix}", status=404)
        assert r.get_json()["error"] == "not_found"
    assert client.get("/api/meetings/1/comments").status_code == 401


def test_an_empty_meeting_exports_headers_only(api):
    m = api.post("/meetings", {"title": 'a/b:c*"d"', "expected": 3}, 201).get_json()
    r = api.get(f"/meetings/{m['id']}/export.csv")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0][0] == "名次"
    assert (
        "a b c d-" in r.headers["Content-Disposition"]
        or "a%20b%20c%20d" in (r.headers["Content-Disposition"])
    )
    book = load_workbook(io.BytesIO(api.get(f"/meetings/{m['id']}/export.xlsx").data))
    assert book.sheetnames == ["测评结果", "排名", "意见建议", "整改跟踪"]


def test_a_score_meeting_exports_band_counts_and_the_mean(app, api):
    m = api.meeting(cards=4, items=1, scale="score")  # one member votes on paper
    mid, (item,) = m["meeting"]["id"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"][:3]]
    api.move(mid, "open", [item])
    for p, score in zip(phones, ["95", "80", "50"], strict=True):
        assert vote(p, item, score)["ok"]
    api.move(mid, "close", [item])
    api.post(f"/meetings/{mid}/items/{item}/paper", {"counts": {"70": 1}}, 200)
    tally = results(api, mid)["items"][0]["aspects"][0]["result"]
    book = load_workbook(io.BytesIO(api.get(f"/meetings/{mid}/export.xlsx").data))
    rows = list(book["测评结果"].iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["平均分"] == tally["score"] == 73.75
    assert [row[f"{o['label']}（票）"] for o in tally["options"]] == [1, 1, 1, 1]
    assert row["其中纸质票"] == 1


# -- in English (the console's language cookie) ----------------------------------------------

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def _meetings_own(meeting_title: str) -> set[str]:
    """The texts the secretary typed or the voters wrote: they stay as typed in every language."""
    return {meeting_title, "=1+1", "@SUM(A1)", "执法规范", "列席代表的意见", "市第0局", "局长0"}


def test_csv_in_english_has_english_headers_labels_and_rule(client, api, meeting):
    client.set_cookie("ceping_lang", "en")
    r = api.get(f"/meetings/{meeting['id']}/export.csv")
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    header = rows[0]
    assert header[:3] == ["Rank", "Item", "Name and title"], header
    assert "Satisfied (votes)" in header and "Unsatisfied (votes)" in header
    own = _meetings_own("市人大常委会 2026年述法测评")
    left = [cell for row in rows for cell in row if CJK.search(cell) and cell not in own]
    assert left == []
    a = next(row for row in rows[1:] if row and row[1] == "市第0局")
    assert "Satisfied" in a and "Revealed" in a  # 3 votes and 1 on paper of 6: the verdict
    assert "filename*=UTF-8''" in r.headers["Content-Disposition"]


def test_xlsx_in_english_has_english_sheets_and_the_rule_line_in_english(client, api, meeting):
    client.set_cookie("ceping_lang", "en")
    book = load_workbook(io.BytesIO(api.get(f"/meetings/{meeting['id']}/export.xlsx").data))
    own = _meetings_own("市人大常委会 2026年述法测评")
    for sheet in book.worksheets:
        assert not CJK.search(sheet.title), sheet.title
        for row in sheet.iter_rows(values_only=True):
            left = [v for v in row if isinstance(v, str) and CJK.search(v) and v not in own]
            assert left == [], (sheet.title, left)
    first = book.worksheets[0]
    header = [c.value for c in first[1]]
    rule = first.cell(row=2, column=len(header)).value
    assert rule.startswith("Counted against the 6 expected members: Satisfied with at least 3")


def test_json_in_english_has_english_labels_and_chinese_without_the_cookie(client, api, meeting):
    chinese = api.get(f"/meetings/{meeting['id']}/export.json").get_json()
    a = chinese["items"][0]["aspects"][0]
    assert [o["label"] for o in a["result"]["options"]] == ["满意", "基本满意", "不满意"]
    assert a["name"] == "总体评价" and chinese["rule_text"].startswith("按应到 6 人计")
    client.set_cookie("ceping_lang", "en")
    english = api.get(f"/meetings/{meeting['id']}/export.json").get_json()
    a = english["items"][0]["aspects"][0]
    assert [o["label"] for o in a["result"]["options"]] == [
        "Satisfied", "Basically satisfied", "Unsatisfied"
    ]  # fmt: skip
    assert a["result"]["verdict_label"] in {"Satisfied", "Basically satisfied", "Unsatisfied"}
    assert a["name"] == "Overall assessment"
    assert english["rule_text"].startswith("Counted against the 6 expected members")
    assert english["items"][0]["aspects"][0]["result"]["counts"] == a["result"]["counts"]
    assert english["scale"]["name"] == "Satisfied / Basically satisfied / Unsatisfied"
