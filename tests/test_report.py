"""The PDFs to publish: the analysis report, the letters to the departments, the voter cards.

Their text is read back with pypdf: what a reader copying from the PDF gets.
"""

from __future__ import annotations

import io
import re
import sqlite3
import sys
import uuid
import warnings
from urllib.parse import unquote

import pypdf
import pytest

from conftest import phone, vote
from display import charts, fonts, report
from voting.settings import Move, Vote


def pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Text with line breaks and spaces removed: a table cell or a line may wrap anywhere."""
    return re.sub(r"\s+", "", text)


@pytest.fixture
def voted(app, api):
    """A revealed meeting of 3 items and 6 cards, voted by phones, some votes with comments.

    Item 0: 5 满意 1 基本满意 (满意); item 1: 2 / 2 / 2 (基本满意: 4 > 6/2); item 2: 1 / 1 / 4.
    """
    made = api.meeting(cards=6, items=3)
    m, items = made["meeting"], made["items"]
    plan = {
        items[0]: ["satisfied"] * 5 + ["basic"],
        items[1]: ["satisfied"] * 2 + ["basic"] * 2 + ["unsatisfied"] * 2,
        items[2]: ["satisfied", "basic"] + ["unsatisfied"] * 4,
    }
    comments = {(items[1], 0): "执法公示不够及时", (items[2], 4): "建议加强行政复议工作"}
    phones = [phone(app, c["token"]) for c in made["cards"]]
    api.move(m["id"], "open", items)
    for n, client in enumerate(phones):
        for item in items:
            extra = {"comment": comments[(item, n)]} if (item, n) in comments else {}
            assert vote(client, item, plan[item][n], **extra)["ok"]
    api.move(m["id"], "close", items)
    api.move(m["id"], "reveal", items)
    for client in phones:
        client.disconnect(namespace="/voter")
    results = api.get(f"/meetings/{m['id']}/results").get_json()
    return {"meeting": m, "items": items, "cards": made["cards"], "results": results}


def test_report_has_the_sections_and_every_items_subject_and_rate(api, voted):
    m = voted["meeting"]
    r = api.get(f"/meetings/{m['id']}/report.pdf")
    assert r.mimetype == "application/pdf"
    text = pages(r.data)
    assert len(text) >= 3  # the cover, then the body (charts take their own room)
    cover = flat(text[0])
    assert flat(m["title"]) in cover and "测评结果分析报告" in cover
    assert "应到6人，实到6人" in cover
    assert "测评对象3个，已计票3个" in cover and "一、" not in cover  # the cover only
    body = flat("".join(text[1:]))
    headings = ("测评方式", "测评结果", "满意率排名", "票数占比", report.SHORT_HEADING, "意见建议")
    places = [body.index(f"{n}、{h}") for n, h in zip("一二三四五六", headings, strict=True)]
    assert places == sorted(places)  # each section, in this order
    assert report.TREND_HEADING not in body  # no earlier meeting rated these departments
    assert "满意票达到全体组成人员（应到6人）半数的，评为满意" in body
    for item in voted["results"]["items"]:
        result = item["aspects"][0]["result"]
        assert flat(item["subject"]) in body
        assert f"{result['rate']:.2f}%" in body
        assert result["verdict_label"] in body
    assert "83.33%" in body and "33.33%" in body  # (2+2)/6 and (1+1)/6
    assert "执法公示不够及时" in body and "建议加强行政复议工作" in body
    # the two that fall short are listed with a follow-up due date
    assert body.count("待整改") == 2


def test_letters_one_page_per_item_with_rank_and_follow_up(api, voted):
    m = voted["meeting"]
    text = [flat(t) for t in pages(api.get(f"/meetings/{m['id']}/letters.pdf").data)]
    results = {i["subject"]: i for i in voted["results"]["items"]}
    assert len(text) == len(results) == 3
    by_subject = {}
    for page in text:
        (subject,) = [s for s in results if f"{s}局长" in page]  # addressed to the head
        by_subject[subject] = page
    assert set(by_subject) == set(results)
    for subject, item in results.items():
        page = by_subject[subject]
        result = item["aspects"][0]["result"]
        assert "测评结果通知书" in page
        assert f"第{item['rank']}名（共3项）" in page
        assert f"{result['rate']:.2f}%" in page and result["verdict_label"] in page
        if result["verdict"] == "satisfied":
            assert "无需整改" in page and "报告整改情况" not in page
        else:
            assert "在3个月内" in page and "报告整改情况" in page
            assert re.search(r"于\d{4}年\d{1,2}月\d{1,2}日前", page)
    assert "执法公示不够及时" in by_subject["市第1局"]
    assert "执法公示不够及时" not in by_subject["市第0局"]


def test_cards_pdf_has_every_card_number(api):
    made = api.meeting(cards=14, items=1)
    m = made["meeting"]
    text = [flat(t) for t in pages(api.get(f"/meetings/{m['id']}/cards.pdf").data)]
    assert len(text) == 2  # 12 a page
    joined = "".join(text)
    for card in made["cards"]:
        assert f"测评卡No.{card['number']}" in joined
    assert joined.count("请用手机扫描二维码参加测评") == 14
    api.post(f"/meetings/{m['id']}/cards/3/revoke", status=200)
    joined = "".join(flat(t) for t in pages(api.get(f"/meetings/{m['id']}/cards.pdf").data))
    assert "测评卡No.3请" not in joined and "测评卡No.13" in joined  # a withdrawn card is left out


def test_pdf_downloads_are_named_after_the_meeting(api, voted):
    m = voted["meeting"]
    for path, what in (
        ("report", "测评结果分析报告"),
        ("letters", "测评结果通知书"),
        ("cards", "测评卡"),
    ):
        r = api.get(f"/meetings/{m['id']}/{path}.pdf")
        disposition = r.headers["Content-Disposition"]
        assert disposition.startswith("attachment")
        encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
        assert unquote(encoded) == f"{m['title']}-{what}.pdf"


def test_pdfs_need_the_admin_token(client, api, voted):
    m = voted["meeting"]
    for path in ("report", "letters", "cards"):
        assert client.get(f"/api/meetings/{m['id']}/{path}.pdf").status_code == 401
    r = api.get("/meetings/999/report.pdf", status=404)
    assert r.get_json()["error"]


def test_chart_with_chinese_labels_misses_no_glyph():
    bars = [charts.Bar("市人力资源和社会保障局", 98.18, "满意", "#2e7d32"),
            charts.Bar("市政府落实审议意见情况", 58.18, "基本满意", "#f0a202")]  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        png = charts.rate_ranking(
            bars, "满意率排名", [("满意", "#2e7d32"), ("基本满意", "#f0a202")]
        )
        options = [("满意", "red"), ("基本满意", "blue"), ("不满意", "grey")]
        charts.option_shares(["市水利局"], [[90.0, 5.0, 5.0]], options, "票数占比")
        charts.trend(["市水利局"], ["2025-12-01", "2026-12-01"], [[80.0, 90.0]], "历次对比")
    assert png.startswith(b"\x89PNG")
    assert "matplotlib.pyplot" not in sys.modules  # no global figures, no GUI backend
    assert fonts.missing("市人力资源和社会保障局 满意率 基本满意 不满意 整改 述法测评") == ""


def test_the_glyph_check_can_fail():
    """A font without Chinese does warn: the test above would see a missing glyph."""
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().set_title("满意率", family="DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        figure.savefig(io.BytesIO(), format="png")


def _rate(store, meeting_id: int, plan: list[list[str]], tokens: list[str]) -> None:
    """Every card votes plan[item][card] on the meeting's items, which are then revealed."""
    ids = tuple(i["id"] for i in store.meeting(meeting_id)["items"])
    cards = [store.use_card(t, f"device-{t}")[0] for t in tokens]
    store.move(meeting_id, Move(ids), "open")
    for n, card in enumerate(cards):
        store.cast(
            card["id"], [Vote(i, 0, plan[k][n], str(uuid.uuid4())) for k, i in enumerate(ids)]
        )
    store.move(meeting_id, Move(ids), "close")
    store.move(meeting_id, Move(ids), "reveal")


def test_trend_across_meetings_a_year_apart(app, api, monkeypatch, caplog):
    monkeypatch.setattr(fonts, "system_face", lambda: None)  # the bundled font draws it all
    store = app.extensions["ceping"].store
    earlier = api.meeting(cards=4, items=2)
    e_id = earlier["meeting"]["id"]
    with sqlite3.connect(app.config["DATABASE"]) as conn:
        conn.execute("UPDATE meetings SET created_at = ? WHERE id = ?",
                     ("2025-11-20T09:00:00+08:00", e_id))  # fmt: skip
    _rate(store, e_id, [["satisfied", "basic", "unsatisfied", "unsatisfied"],
                        ["satisfied"] * 4], [c["token"] for c in earlier["cards"]])  # fmt: skip
    later = api.meeting(cards=4, items=3)  # the same 市第0局 and 市第1局, and a new 市第2局
    l_id = later["meeting"]["id"]
    _rate(store, l_id, [["satisfied"] * 3 + ["unsatisfied"], ["satisfied"] * 4,
                        ["basic"] * 4], [c["token"] for c in later["cards"]])  # fmt: skip

    drawn = []
    real = charts.trend

    def spy(subjects, meetings, rates, title):
        drawn.append((list(subjects), list(meetings), [list(r) for r in rates]))
        return real(subjects, meetings, rates, title)

    monkeypatch.setattr(charts, "trend", spy)
    body = flat("".join(pages(api.get(f"/meetings/{l_id}/report.pdf").data)))
    assert report.TREND_HEADING in body
    ((subjects, dates, rates),) = drawn
    assert subjects == ["市第0局", "市第1局"]  # 市第2局 was not rated before
    assert dates[0] == "2025-11-20" and dates[1] > "2026-"  # by date, this meeting last
    assert rates == [[50.0, 75.0], [100.0, 100.0]]
    assert "+25.00" in body  # 市第0局: 50% → 75%
    assert "missing the following glyphs" not in caplog.text
    # the earlier meeting's report has nothing to compare with
    drawn.clear()
    body = flat("".join(pages(api.get(f"/meetings/{e_id}/report.pdf").data)))
    assert report.TREND_HEADING not in body and drawn == []


def test_report_of_a_meeting_without_results(api):
    m = api.meeting(cards=3, items=2)["meeting"]
    body = flat("".join(pages(api.get(f"/meetings/{m['id']}/report.pdf").data)))
    assert "尚无已结束计票的测评对象" in body
    letters = pages(api.get(f"/meetings/{m['id']}/letters.pdf").data)
    assert len(letters) == 1


def test_console_links_to_the_pdfs(client, api):
    from test_console_page import login

    from conftest import ADMIN_TOKEN

    m = api.meeting(cards=2, items=1)["meeting"]
    login(client, ADMIN_TOKEN)
    page = client.get(f"/console/meetings/{m['id']}").get_data(as_text=True)
    for path in ("report", "letters", "cards"):
        assert f'href="/api/meetings/{m["id"]}/{path}.pdf"' in page
        r = client.get(f"/api/meetings/{m['id']}/{path}.pdf")  # the console's login suffices
        assert r.status_code == 200 and r.data.startswith(b"%PDF")


def test_other_settings_paper_ballots_and_long_comments(app, api):
    """Two aspects, the threshold rule, weighted groups, paper ballots, and more comments than
    a letter's page holds: the report says so all, and each letter still takes one page."""
    store = app.extensions["ceping"].store
    made = api.meeting(
        cards=4,
        items=2,
        expected=7,  # room for the paper ballots beside the 4 members' phones
        aspects=["依法履职", "普法责任制落实"],
        rule={"kind": "threshold", "thresholds": [90, 70]},
        combine={"kind": "weighted", "weights": {"member": 70, "deputy": 30}},
    )
    m_id, ids = made["meeting"]["id"], made["items"]
    deputies = api.post(
        f"/meetings/{m_id}/cards", {"count": 2, "group": "deputy", "confirm": True}, 201
    )
    tokens = [c["token"] for c in made["cards"] + deputies.get_json()["cards"]]
    cards = [store.use_card(t, f"device-{t}")[0] for t in tokens]
    api.move(m_id, "open", ids)
    long = "执法检查中发现的问题整改不到位，" * 12
    for n, card in enumerate(cards):
        votes = []
        for item in ids:
            for aspect in (0, 1):
                choice = "satisfied" if (n + aspect) % 3 else "basic"
                comment = f"{n}号意见：{long}" if item == ids[0] and aspect == 0 else ""
                votes.append(Vote(item, aspect, choice, str(uuid.uuid4()), comment))
        store.cast(card["id"], votes)
    api.move(m_id, "close", ids)
    api.post(
        f"/meetings/{m_id}/items/{ids[1]}/paper", {"counts": {"satisfied": 2, "basic": 1}}, 200
    )
    api.move(m_id, "reveal", ids)

    body = flat("".join(pages(api.get(f"/meetings/{m_id}/report.pdf").data)))
    assert "测评维度：依法履职" in body and "测评维度：普法责任制落实" in body
    assert "满意率达到90%的评为满意；满意率达到70%的评为基本满意；其余评为不满意" in body
    assert "按常委会组成人员70%、列席代表30%加权合成结果" in body
    assert "市第1局含纸质票3张" in body
    assert (
        "常委会组成人员（有效票/满意率/等次）" in body and "列席代表（有效票/满意率/等次）" in body
    )
    assert body.count("0号意见") == 1 and "5号意见" in body

    letters = [flat(t) for t in pages(api.get(f"/meetings/{m_id}/letters.pdf").data)]
    assert len(letters) == 2
    (first_item,) = [p for p in letters if "市第0局局长" in p]
    assert "0号意见" in first_item and "见测评结果分析报告" in first_item  # the rest left out
    (paper,) = [p for p in letters if "市第1局局长" in p]
    assert "含纸质票3张" in paper


def test_score_scale_report(app, api):
    store = app.extensions["ceping"].store
    made = api.meeting(cards=3, items=2, scale="score")
    m_id, ids = made["meeting"]["id"], made["items"]
    cards = [store.use_card(c["token"], f"d-{c['token']}")[0] for c in made["cards"]]
    api.move(m_id, "open", ids)
    for n, card in enumerate(cards):
        store.cast(card["id"], [Vote(i, 0, str(95 - 20 * n - k), str(uuid.uuid4()))
                                for k, i in enumerate(ids)])  # fmt: skip
    api.move(m_id, "close", ids)
    results = api.get(f"/meetings/{m_id}/results").get_json()
    body = flat("".join(pages(api.get(f"/meetings/{m_id}/report.pdf").data)))
    assert "0–100分打分" in body
    for item in results["items"]:
        assert f"{item['aspects'][0]['result']['rate']:.2f}%" in body
    assert len(pages(api.get(f"/meetings/{m_id}/letters.pdf").data)) == 2


@pytest.mark.skipif(fonts.system_face() is None, reason="no system CJK font (fonts-noto-cjk)")
def test_a_rare_character_is_drawn_with_the_system_font(api):
    """堃 and 喆 are outside GB 2312 and so outside the bundled font: the system's draws them."""
    assert fonts.missing("市堃喆局") == ""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        charts.rate_ranking([charts.Bar("市堃喆局", 90.0, "满意", "#2e7d32")], "满意率", [])
    m = api.post("/meetings", {"title": "堃喆测评", "expected": 2}, 201).get_json()
    api.post(f"/meetings/{m['id']}/items", {"items": [{"subject": "市堃喆局"}]}, 201)
    api.post(f"/meetings/{m['id']}/cards", {"count": 2}, 201)
    reader = pypdf.PdfReader(io.BytesIO(api.get(f"/meetings/{m['id']}/cards.pdf").data))
    fonts_used = {f["/BaseFont"] for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert len(fonts_used) == 2  # the bundled font, and the system's for the two rare ones
    # pypdf reads the system font's (CID-keyed CFF) codes as single bytes: drop the NULs
    assert "堃喆测评" in reader.pages[0].extract_text().replace("\x00", "")


def test_without_any_cjk_font_the_pdfs_name_the_package_to_install(api, monkeypatch):
    monkeypatch.setattr(fonts, "bundled_face", lambda: None)
    monkeypatch.setattr(fonts, "system_face", lambda: None)
    m = api.meeting(cards=2, items=1)["meeting"]
    r = api.get(f"/meetings/{m['id']}/report.pdf", status=503)
    assert r.get_json()["error"] == "no_font"
    assert "apt-get install fonts-noto-cjk" in r.get_json()["message"]


def test_card_sheet_links_to_its_pdf(client, api):
    m = api.meeting(cards=2, items=1)["meeting"]
    headers = api.headers
    page = client.get(f"/console/meetings/{m['id']}/cards?group=deputy", headers=headers)
    html = page.get_data(as_text=True)
    assert f'href="/api/meetings/{m["id"]}/cards.pdf?group=deputy"' in html
    page = client.get(f"/console/meetings/{m['id']}/cards", headers=headers)
    assert f'href="/api/meetings/{m["id"]}/cards.pdf"' in page.get_data(as_text=True)
    only = api.get(f"/meetings/{m['id']}/cards.pdf?group=deputy")
    assert "测评卡No.1" not in flat("".join(pages(only.data)))  # no deputy cards issued


def test_the_bundled_font_alone_draws_every_pdf(api, voted, monkeypatch, caplog):
    """Without a system CJK font (a fresh server), nothing the PDFs write is missing a glyph:
    fpdf2 logs "Font ... is missing the following glyphs" for any such character."""
    monkeypatch.setattr(fonts, "system_face", lambda: None)
    m = voted["meeting"]
    for path in ("report", "letters", "cards"):
        assert api.get(f"/meetings/{m['id']}/{path}.pdf").data.startswith(b"%PDF")
    assert "missing the following glyphs" not in caplog.text
    api.post(f"/meetings/{m['id']}/copy", {"title": "市堃局测评"}, 201)  # 堃: outside GB 2312
    (copy,) = [x for x in api.get("/meetings").get_json()["meetings"] if x["title"] == "市堃局测评"]
    api.get(f"/meetings/{copy['id']}/report.pdf")
    assert "missing the following glyphs: '堃'" in caplog.text  # so the check above can fail
