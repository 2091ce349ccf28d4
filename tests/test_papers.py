"""The papers of the sitting in Word: the chair's announcement (宣读稿, also as JSON), the bulletin
(测评结果通报) and the letters (测评结果通知书) as DOCX. Each file is read back with python-docx and
every number, name, date and rank in it compared with the results API (and the follow-ups API for
due dates). Fast tier: the documents are made in this process."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date
from typing import Any

import docx
import pytest
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from docx.table import Table
from docx.text.paragraph import Paragraph

from conftest import Api, phone, vote
from display.words import chinese_date
from voting import clock

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ITEMS = [  # agenda position: a written report first, the others in between
    {"subject": "市教育局", "person": "局长", "kind": "written", "batch": "第一批书面述法"},
    {"subject": "市发改委", "person": "主任", "kind": "oral"},
    {"subject": "市政府落实审议意见情况", "person": "市人民政府", "kind": "other"},
    {"subject": "市水利局", "person": "局长", "kind": "oral"},
    {"subject": "市公安局", "person": "局长", "kind": "written", "batch": "第一批书面述法"},
    {"subject": "市财政局", "person": "局长", "kind": "written", "batch": "第二批书面述法"},
]
PHONES = {  # four phones' choices (s, b, u) per item, then the paper ballots
    "市教育局": ("ssSb", {"satisfied": 1, "basic": 1}),
    "市发改委": ("ssSb", {"satisfied": 1, "basic": 1}),  # the same as 市教育局: a tie
    "市政府落实审议意见情况": ("sbbu", {"basic": 2}),
    "市水利局": ("ssss", None),
    "市公安局": ("ssuu", {"unsatisfied": 2}),
    "市财政局": ("sssb", {"satisfied": 2}),
}
CHOICE = {"s": "satisfied", "S": "satisfied", "b": "basic", "u": "unsatisfied"}


def read(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def texts(doc: Document) -> list[str]:
    return [p.text for p in doc.paragraphs if p.text]


def cells(table: Table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def sections_of(doc: Document) -> list[list[Paragraph | Table]]:
    """The body's paragraphs and tables, cut where each section ends (a `w:sectPr`)."""
    out: list[list[Paragraph | Table]] = [[]]
    for child in doc.element.body.iterchildren():
        if child.tag == qn("w:tbl"):
            out[-1].append(Table(child, doc))
        elif child.tag == qn("w:p"):
            out[-1].append(Paragraph(child, doc))
            if child.find(f"{qn('w:pPr')}/{qn('w:sectPr')}") is not None:
                out.append([])
    return [s for s in out if s]


def mixed(app, api: Api) -> tuple[int, dict[str, int]]:
    """A meeting of 6 expected, 4 phones: oral, written (two batches) and other items, every
    item voted on by phone, and paper ballots on most; all closed."""
    m = api.post("/meetings", {"title": "市人大常委会 述法测评", "expected": 6}, 201).get_json()
    mid = m["id"]
    ids = api.post(f"/meetings/{mid}/items", {"items": ITEMS}, 201).get_json()["ids"]
    by_name = {i["subject"]: n for i, n in zip(ITEMS, ids, strict=True)}
    cards = api.post(f"/meetings/{mid}/cards", {"count": 4}, 201).get_json()["cards"]
    phones = [phone(app, c["token"]) for c in cards]
    api.move(mid, "open", ids)
    for name, (choices, _) in PHONES.items():
        for p, c in zip(phones, choices, strict=True):
            assert vote(p, by_name[name], CHOICE[c])["ok"]
    api.move(mid, "close", ids)
    for name, (_, paper) in PHONES.items():
        if paper:
            api.post(f"/meetings/{mid}/items/{by_name[name]}/paper", {"counts": paper}, 200)
    return mid, by_name


@pytest.fixture
def sitting(app, api) -> tuple[int, dict[str, int]]:
    return mixed(app, api)


def results(api: Api, mid: int) -> dict[str, Any]:
    return api.get(f"/meetings/{mid}/results").get_json()


def by_subject(api: Api, mid: int) -> dict[str, dict[str, Any]]:
    return {i["subject"]: i for i in results(api, mid)["items"]}


# -- the announcement (宣读稿) ---------------------------------------------------------------

LINE = re.compile(
    r"^(\d+)\. (.+?)：满意 (\d+) 票，基本满意 (\d+) 票，不满意 (\d+) 票(?:（含纸质票 (\d+) 张）)?，"
    r"满意率 ([\d.]+)%(?:，(并列)?第 (\d+) 名)?，测评等次为(.+)。$"
)


def check_lines(lines: list[str], api: Api, mid: int, final: bool) -> list[str]:
    """Every item line's numbers, rank and verdict against the results API; the names in order."""
    shown = by_subject(api, mid)
    ranks = [i["rank"] for i in shown.values()]
    names = []
    for line in lines:
        found = LINE.match(line)
        assert found, line
        _, name, s, b, u, paper, rate, tied, rank, verdict = found.groups()
        item = shown[name]
        aspect = item["aspects"][0]
        counts = {o["key"]: o["count"] for o in aspect["result"]["options"]}
        assert [int(s), int(b), int(u)] == [
            counts["satisfied"],
            counts["basic"],
            counts["unsatisfied"],
        ]
        assert int(paper or 0) == sum(aspect["paper"].values())
        assert float(rate) == aspect["result"]["rate"]
        assert verdict == aspect["result"]["verdict_label"]
        if final:
            assert int(rank) == item["rank"] and bool(tied) == (ranks.count(item["rank"]) > 1)
        else:
            assert rank is None
        names.append(name)
    return names


def test_the_announcement_reads_the_revealed_items_in_agenda_order(api, sitting):
    mid, ids = sitting
    first = api.get(f"/meetings/{mid}/announcement").get_json()
    assert first["revealed"] == 0 and first["remaining"] == 6
    assert first["paragraphs"][-1] == "目前尚无已公布的测评结果。"

    api.move(mid, "reveal", [ids["市公安局"], ids["市发改委"]])
    part = api.get(f"/meetings/{mid}/announcement").get_json()
    assert part["revealed"] == 2 and part["remaining"] == 4
    said = part["paragraphs"]
    assert said[:3] == [
        "现在我宣布市人大常委会 述法测评的结果。本次测评应到 6 人，实到 4 人。"
        "测评等次按以下规则评定："
        "按应到 6 人计，满意票达 3 票为满意，满意与基本满意合计超过 3 票为基本满意。",
        "测评结果如下：",
        "一、现场述法（1 项）",
    ]
    assert check_lines([p for p in said if LINE.match(p)], api, mid, final=False) == [
        "市发改委",
        "市公安局",
    ]  # no rank while items remain: it may still change
    assert said[-1] == "另有 4 项测评结果尚未公布，排名待全部结果公布后确定。"

    rest = [i for name, i in ids.items() if name not in ("市公安局", "市发改委")]
    api.move(mid, "reveal", rest)
    whole = api.get(f"/meetings/{mid}/announcement").get_json()
    said = whole["paragraphs"]
    assert whole["revealed"] == 6 and whole["remaining"] == 0
    parts = [p for p in said if re.match(r"^[一二三四]、", p)]
    assert parts == ["一、现场述法（2 项）", "二、第一批书面述法（2 项）",
                     "三、第二批书面述法（1 项）",
                     "四、其他测评事项（1 项）"]  # fmt: skip
    order = check_lines([p for p in said if LINE.match(p)], api, mid, final=True)
    assert order == [
        "市发改委",
        "市水利局",
        "市教育局",
        "市公安局",
        "市财政局",
        "市政府落实审议意见情况",
    ]
    assert (
        "1. 市发改委：满意 4 票，基本满意 2 票，不满意 0 票（含纸质票 2 张），满意率 100.00%，"
        "并列第 3 名，测评等次为满意。" in said
    )  # tied with 市教育局: the same counts
    assert (
        "2. 市水利局：满意 4 票，基本满意 0 票，不满意 0 票，满意率 100.00%，第 1 名，"
        "测评等次为满意。" in said
    )
    assert said[-3:] == [
        "以上 6 项中，满意 4 项，基本满意 1 项，不满意 1 项。",
        "测评等次为基本满意、不满意的单位，请在 3 个月内认真整改，并向常委会书面报告整改情况。",
        "测评结果宣布完毕。",
    ]

    r = api.get(f"/meetings/{mid}/announcement.docx")
    assert r.mimetype == DOCX and r.headers["Cache-Control"] == "no-store"
    assert "%E5%AE%A3%E8%AF%BB%E7%A8%BF.docx" in r.headers["Content-Disposition"]  # 宣读稿.docx
    doc = read(r.data)
    assert texts(doc) == ["测评结果宣读稿", "市人大常委会 述法测评", *said]


def test_the_announcement_docx_follows_each_reveal(api, sitting):
    mid, ids = sitting
    api.move(mid, "reveal", [ids["市水利局"]])
    before = texts(read(api.get(f"/meetings/{mid}/announcement.docx").data))
    assert sum(1 for t in before if LINE.match(t)) == 1
    api.move(mid, "reveal", [ids["市教育局"]])
    after = texts(read(api.get(f"/meetings/{mid}/announcement.docx").data))
    assert [t for t in after if LINE.match(t)][1].startswith("2. 市教育局：")


# -- the bulletin (测评结果通报) -------------------------------------------------------------


def test_the_bulletin_agrees_with_the_results_and_follow_ups(api, sitting):
    mid, ids = sitting
    api.move(mid, "reveal", list(ids.values()))
    data = results(api, mid)
    shown = {i["subject"]: i for i in data["items"]}
    followups = api.get(f"/meetings/{mid}/followups").get_json()["followups"]
    meeting = api.get(f"/meetings/{mid}").get_json()
    r = api.get(f"/meetings/{mid}/bulletin.docx")
    assert r.mimetype == DOCX
    doc = read(r.data)
    said = texts(doc)
    assert said[0] == "关于市人大常委会 述法测评结果的通报"
    held = date.fromisoformat(meeting["created_at"][:10])
    assert said[3].startswith(
        f"{chinese_date(held)}，市人大常委会 述法测评对 6 个测评对象进行了测评，"
        "其中现场述法 2 个、书面述法 3 个、其他 1 个。本次测评应到 6 人，实到 4 人"
    )
    assert "测评结果为满意的 4 个，基本满意的 1 个，不满意的 1 个。" in said
    by_rank = sorted(data["items"], key=lambda i: (i["rank"], i["position"]))
    satisfied = [
        i["subject"] for i in by_rank if i["aspects"][0]["result"]["verdict"] == "satisfied"
    ]
    assert said[said.index("（一）满意（4 个）") + 1] == "、".join(satisfied) + "。"
    assert said[said.index("（三）不满意（1 个）") + 1] == "市公安局。"
    assert chinese_date(clock.today()) == said[-3]  # the signature's date, before the 附件 page

    short, annex = doc.tables
    rows = cells(short)
    assert rows[0] == ["序号", "测评对象", "测评等次", "整改期限", "整改状态"]
    assert [r[1] for r in rows[1:]] == ["市政府落实审议意见情况", "市公安局"]  # by rank
    for row in rows[1:]:
        item = shown[row[1]]
        record = followups[str(item["id"])]
        assert row[2] == item["aspects"][0]["result"]["verdict_label"]
        assert row[3] == chinese_date(date.fromisoformat(record["due"])) and row[4] == "待整改"

    table = cells(annex)
    assert table[0] == [
        "排名",
        "测评对象",
        "类型",
        "满意",
        "基本满意",
        "不满意",
        "有效票",
        "满意率",
        "测评等次",
    ]
    assert [row[1] for row in table[1:]] == [i["subject"] for i in by_rank]
    kinds = {"oral": "现场述法", "written": "书面述法", "other": "其他"}
    for row in table[1:]:
        item = shown[row[1]]
        result = item["aspects"][0]["result"]
        assert row == [
            str(item["rank"]), item["subject"], kinds[item["kind"]],
            *(str(o["count"]) for o in result["options"]),
            str(result["valid"]), f"{result['rate']:.2f}%", result["verdict_label"],
        ]  # fmt: skip
    assert [row[0] for row in table[1:]] == ["1", "2", "3", "3", "5", "6"]  # the tie kept


def grade_meeting(api: Api) -> int:
    """36 departments rated on 优秀/良好/合格/不合格 by paper ballots (10 expected): 18 优秀,
    14 良好, 4 合格, 0 不合格."""
    m = api.post("/meetings", {"title": "县人大常委会 述职评议", "expected": 10, "scale": "grade4"},
                 201).get_json()  # fmt: skip
    mid = m["id"]
    new = [{"subject": f"县第{n + 1}局", "kind": "oral"} for n in range(36)]
    ids = api.post(f"/meetings/{mid}/items", {"items": new}, 201).get_json()["ids"]
    api.move(mid, "open", ids, override_quorum=True)
    api.move(mid, "close", ids)
    for n, item in enumerate(ids):
        if n < 18:
            counts = {"excellent": 6 + n % 4, "good": 1, "pass": 0, "fail": 0}
        elif n < 32:
            counts = {"excellent": 3, "good": 4 + n % 2, "pass": 1, "fail": 0}
        else:
            counts = {"excellent": 1, "good": 1, "pass": 5, "fail": 1}
        api.post(f"/meetings/{mid}/items/{item}/paper", {"counts": counts}, 200)
    api.move(mid, "reveal", ids)
    return mid


def test_the_bulletin_groups_the_departments_by_grade(api):
    mid = grade_meeting(api)
    data = results(api, mid)
    verdicts = [i["aspects"][0]["result"]["verdict_label"] for i in data["items"]]
    assert [verdicts.count(g) for g in ("优秀", "良好", "合格", "不合格")] == [18, 14, 4, 0]
    doc = read(api.get(f"/meetings/{mid}/bulletin.docx").data)
    said = texts(doc)
    assert "测评结果为优秀的 18 个，良好的 14 个，合格的 4 个，不合格的 0 个。" in said
    for heading, grade in (("（一）优秀（18 个）", "优秀"), ("（二）良好（14 个）", "良好"),
                           ("（三）合格（4 个）", "合格")):  # fmt: skip
        names = said[said.index(heading) + 1].rstrip("。").split("、")
        assert sorted(names) == sorted(
            i["subject"]
            for i in data["items"]
            if i["aspects"][0]["result"]["verdict_label"] == grade
        )
    assert said[said.index("（四）不合格（0 个）") + 1] == "无。"
    assert any(t.startswith("测评等次未达到优秀的 18 个测评对象") for t in said)
    short, annex = doc.tables
    assert len(short.rows) == 1 + 18 and len(annex.rows) == 1 + 36
    assert cells(annex)[0][-2:] == ["合格率", "测评等次"]  # the rate's name on this scale


# -- the letters (测评结果通知书) ------------------------------------------------------------


def test_the_letters_docx_has_a_section_per_department_saying_its_result(api, sitting):
    mid, ids = sitting
    api.move(mid, "reveal", [ids["市公安局"]])  # the others closed: letters go to all six
    data = results(api, mid)
    shown = {i["subject"]: i for i in data["items"]}
    followups = api.get(f"/meetings/{mid}/followups").get_json()["followups"]
    r = api.get(f"/meetings/{mid}/letters.docx")
    assert r.mimetype == DOCX
    assert "%E9%80%9A%E7%9F%A5%E4%B9%A6.docx" in r.headers["Content-Disposition"]  # 通知书.docx
    doc = read(r.data)
    assert len(doc.sections) == 6
    parts = sections_of(doc)
    assert len(parts) == 6
    ranks = [i["rank"] for i in data["items"]]
    for part in parts:
        lines = [b.text for b in part if isinstance(b, Paragraph) and b.text]
        (table,) = [b for b in part if isinstance(b, Table)]
        assert lines[1] == "测评结果通知书"
        name = lines[2].split(" ")[0]
        item = shown[name]
        assert lines[2] == f"{item['subject']} {item['person']}："
        result = item["aspects"][0]["result"]
        paper = sum(item["aspects"][0]["paper"].values())
        assert (
            f"收到有效票 {result['valid']} 张" + (f"（含纸质票 {paper} 张）" if paper else "。")
            in lines[3]
        )
        assert cells(table)[1] == [
            *(f"{o['count']} 票（{o['share']:.2f}%）" for o in result["options"]),
            f"{result['rate']:.2f}%", result["verdict_label"],
        ]  # fmt: skip
        tied = "并列" if ranks.count(item["rank"]) > 1 else ""
        assert (
            f"在本次测评的 6 个测评对象中，满意率排名：{tied}第 {item['rank']} 名（共 6 项）。"
            in lines
        )
        record = followups.get(str(item["id"]))
        if result["verdict"] == "satisfied":
            assert "测评等次为满意，无需整改。" in lines and record is None
        else:
            due = chinese_date(date.fromisoformat(record["due"])) if record else None
            assert due is None or any(f"于 {due}前" in t for t in lines)
        assert lines[-1] == chinese_date(clock.today())
    assert [b.text for b in parts[0] if isinstance(b, Paragraph)][2].startswith(
        "市水利局"
    )  # by rank


# -- what Word and WPS need --------------------------------------------------------------------


@pytest.mark.parametrize("name", ["announcement", "bulletin", "letters"])
def test_every_run_names_its_latin_and_chinese_font_on_an_a4_page(api, sitting, name):
    mid, ids = sitting
    api.move(mid, "reveal", list(ids.values()))
    doc = read(api.get(f"/meetings/{mid}/{name}.docx").data)
    runs = [r for p in doc.paragraphs for r in p.runs]
    runs += [r for t in doc.tables for row in t.rows for c in row.cells for p in c.paragraphs
             for r in p.runs]  # fmt: skip
    runs += [r for p in doc.sections[0].footer.paragraphs for r in p.runs]
    assert runs
    for run in runs:
        fonts = run._r.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) in ("仿宋", "黑体", "楷体", "宋体"), run.text
        assert fonts.get(qn("w:ascii")) and fonts.get(qn("w:hAnsi")), run.text
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert (normal.get(qn("w:eastAsia")), normal.get(qn("w:ascii"))) == ("仿宋", "FangSong")
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(
        f"{qn('w:rPrDefault')}/{qn('w:rPr')}"
    )
    fonts = defaults.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "仿宋" and fonts.get(qn("w:eastAsiaTheme")) is None
    for section in doc.sections:
        assert abs(section.page_width - Mm(210)) < Mm(0.1)
        assert abs(section.page_height - Mm(297)) < Mm(0.1)
        assert abs(section.top_margin - Mm(37)) < Mm(0.1) and abs(
            section.left_margin - Mm(28)
        ) < Mm(0.1)


def test_the_papers_are_the_secretarys_alone(client, api):
    m = api.meeting(cards=1)
    mid = m["meeting"]["id"]
    for path in ("announcement", "announcement.docx", "bulletin.docx", "letters.docx"):
        assert client.get(f"/api/meetings/{mid}/{path}").status_code == 401
        api.get(f"/meetings/{mid}/{path}", 200)
        api.get(f"/meetings/{mid + 1}/{path}", 404)


def test_a_rehearsals_papers_say_so(api):
    m = api.meeting(cards=1, items=1, rehearsal=True)
    mid, (item,) = m["meeting"]["id"], m["items"]
    api.move(mid, "open", [item], override_quorum=True)
    api.move(mid, "close", [item])
    api.move(mid, "reveal", [item])
    said = api.get(f"/meetings/{mid}/announcement").get_json()
    assert said["paragraphs"][0].startswith("现在我宣布（演练）市人大常委会")
    assert texts(read(api.get(f"/meetings/{mid}/bulletin.docx").data))[0].startswith("关于（演练）")


def test_the_announcement_says_each_aspect_and_an_item_without_ballots(app, api):
    body = {"title": "述法测评", "expected": 2, "aspects": ["履职情况", "述法质量"]}
    mid = api.post("/meetings", body, 201).get_json()["id"]
    new = [{"subject": "市司法局", "person": "局长"}, {"subject": "市司法局", "person": "副局长"},
           {"subject": "市审计局", "person": ""}]  # fmt: skip
    a, b, c = api.post(f"/meetings/{mid}/items", {"items": new}, 201).get_json()["ids"]
    card = api.post(f"/meetings/{mid}/cards", {"count": 1}, 201).get_json()["cards"][0]
    p = phone(app, card["token"])
    api.move(mid, "open", [a, b, c], override_quorum=True)
    for item in (a, b):
        votes = [{"item": item, "aspect": n, "choice": "satisfied", "ballot": str(uuid.uuid4())}
                 for n in (0, 1)]  # fmt: skip
        ack = p.emit("vote", {"votes": votes}, namespace="/voter", callback=True)
        assert ack["ok"], ack
    api.move(mid, "close", [a, b, c])
    api.move(mid, "reveal", [a, b, c])
    said = api.get(f"/meetings/{mid}/announcement").get_json()["paragraphs"]
    assert said[2] == (
        "1. 市司法局（局长）：履职情况，满意 1 票，基本满意 0 票，不满意 0 票，满意率 100.00%，"
        "并列第 1 名，测评等次为满意；述法质量，满意 1 票，基本满意 0 票，不满意 0 票，"
        "满意率 100.00%，测评等次为满意。"
    )  # the same department twice: its heads tell them apart
    assert said[3].startswith("2. 市司法局（副局长）：")
    assert (
        said[4]
        == "3. 市审计局：履职情况，未收到有效票，不评定等次；述法质量，未收到有效票，不评定等次。"
    )
    assert said[5] == "以上 3 项中，满意 2 项，基本满意 0 项，不满意 0 项。"


def test_on_the_score_scale_the_papers_give_the_mean_score(api):
    body = {"title": "述职评议", "expected": 4, "scale": "score"}
    mid = api.post("/meetings", body, 201).get_json()["id"]
    (item,) = api.post(
        f"/meetings/{mid}/items", {"items": [{"subject": "市审计局"}]}, 201
    ).get_json()["ids"]
    api.move(mid, "open", [item], override_quorum=True)
    api.move(mid, "close", [item])
    api.post(f"/meetings/{mid}/items/{item}/paper", {"counts": {"92": 2, "81": 1}}, 200)
    api.move(mid, "reveal", [item])
    result = results(api, mid)["items"][0]["aspects"][0]["result"]
    said = api.get(f"/meetings/{mid}/announcement").get_json()["paragraphs"]
    assert f"平均分 {result['score']:.2f} 分" in said[2] and "（含纸质票 3 张）" in said[2], said
    assert said[2].endswith(f"测评等次为{result['verdict_label']}。")
    annex = read(api.get(f"/meetings/{mid}/bulletin.docx").data).tables[-1]  # the 附件's
    assert cells(annex)[1][-2:] == [f"{result['score']:.2f}", result["verdict_label"]]
