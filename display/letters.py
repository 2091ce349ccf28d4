"""Letters to the departments (测评结果通知书): one A4 page per counted item.

Each page is addressed to the department (the item's subject) and its head (person) and gives
the result (counts, shares, 满意率, verdict), the rank, the comments made on it and the follow-up
its verdict requires: none for the best level; otherwise to rectify (整改) and report back in
writing within the meeting's `followup_months` months, by the due date of its follow-up record
(or, before one exists, that many months from today).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fpdf.enums import MethodReturnValue, WrapMode

from display.pdf import (
    ACCENT,
    FONT,
    MUTED,
    Document,
    chinese_date,
    head_style,
    paper_count,
    percent,
    rank_text,
)
from display.reportdata import Report, collect, first, meeting_date, ranked
from display.words import STATUS, follow_up
from voting import clock
from voting.storage import Store

BOTTOM = 262  # mm: below this a page has room only for its closing lines


def build(store: Store, meeting_id: int, today: date | None = None) -> bytes:
    """The letters of a meeting as PDF bytes (one page per closed or revealed item)."""
    today = today or clock.today()
    return render(collect(store, meeting_id, today, history=False), today)


def render(report: Report, today: date) -> bytes:
    """The letters from what `display.reportdata.collect` read (no database needed)."""
    m, r = report.meeting, report.results
    pdf = Document(numbered=False, text=report.text())
    pdf.set_auto_page_break(False)
    items = r["items"]
    ranks = [i["rank"] for i in items]
    best = r["scale"]["levels"][0] if r["scale"]["levels"] else None
    months = m.get("followup_months", 3)
    for item in ranked(items):
        _letter(pdf, report, item, ranks, best, months, today)
    if not items:
        pdf.add_page()
        pdf.para("尚无已结束计票的测评对象。")
    return pdf.bytes()


def _letter(
    pdf: Document,
    report: Report,
    item: Mapping[str, Any],
    ranks: list[int | None],
    best: str | None,
    months: int,
    today: date,
) -> None:
    m, r = report.meeting, report.results
    result = first(item)
    pdf.add_page()
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(*MUTED)
    pdf.cell(0, 5, m["title"], align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(FONT, size=20)
    pdf.set_text_color(*ACCENT)
    pdf.cell(0, 11, "测评结果通知书", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    addressee = f"{item['subject']}{(' ' + item['person']) if item['person'] else ''}："
    pdf.para(addressee, size=13, height=8)
    pdf.ln(1)
    pdf.para(
        f"　　{chinese_date(meeting_date(m))}，{m['title']}对你单位进行了测评。应到 {r['expected']}"
        f" 人，实到 {r['present']} 人，收到有效票 {result['valid']} 张"
        + (
            f"（含纸质票 {paper_count(item['aspects'][0])} 张）"
            if paper_count(item["aspects"][0])
            else ""
        )
        + "。结果如下：",
        size=11,
        height=7,
    )
    pdf.ln(2)
    _result_tables(pdf, item)
    if r.get("rule_text"):
        pdf.para(f"计票规则：{r['rule_text']}。", size=9, height=5, colour=MUTED)
        pdf.ln(1)
    place = rank_text(item["rank"], ranks, len(ranks))
    pdf.para(f"在本次测评的 {len(ranks)} 个测评对象中，满意率排名：{place}。", size=11, height=7)
    pdf.ln(3)
    text, due = follow_up(item, report.followups.get(item["id"]), best, months, today)
    pdf.para("整改要求", size=12, height=7, colour=ACCENT)
    pdf.para(text, size=11, height=7)
    record = report.followups.get(item["id"])
    if due and record:
        status = STATUS.get(record.get("status", ""), "")
        if status:
            late = "（已逾期）" if record.get("overdue") else ""
            pdf.para(f"当前整改状态：{status}{late}。", size=10, height=6, colour=MUTED)
    pdf.ln(3)
    _comments(pdf, report.comments.get(item["id"]) or [])
    pdf.set_y(BOTTOM)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 7, f"{m['title']} 会务组", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, chinese_date(today), align="R", new_x="LMARGIN", new_y="NEXT")


def _result_tables(pdf: Document, item: Mapping[str, Any]) -> None:
    """The item's counts, shares, 满意率 and verdict: a table per aspect."""
    for aspect in item["aspects"]:
        res = aspect["result"]
        if len(item["aspects"]) > 1:
            pdf.para(f"测评维度：{aspect['name']}", size=10, colour=ACCENT)
        options = res["options"]
        pdf.set_font(FONT, size=10)
        with pdf.table(
            col_widths=(*([1] * len(options)), 1, 1),
            text_align="CENTER",
            headings_style=head_style(),
            line_height=7,
        ) as table:
            head = table.row()
            for text in (*(o["label"] for o in options), "满意率", "测评等次"):
                head.cell(text)
            row = table.row()
            for o in options:
                row.cell(f"{o['count']} 票（{o['share']:.2f}%）")
            row.cell(percent(res["rate"]))
            row.cell(res["verdict_label"] or "—")
        pdf.ln(2)


def _comments(pdf: Document, comments: list[str]) -> None:
    """The comments (意见建议) on the item, as many as the page holds."""
    pdf.para(f"意见建议（{len(comments)} 条）", size=12, height=7, colour=ACCENT)
    if not comments:
        pdf.para("测评中未收到对你单位的意见建议。", size=10.5, height=6)
    pdf.set_font(FONT, size=10)
    for n, comment in enumerate(comments):
        text = f"{n + 1}. {comment}"
        lines = pdf.multi_cell(
            0, 5.8, text, dry_run=True, output=MethodReturnValue.LINES, wrapmode=WrapMode.CHAR
        )
        assert isinstance(lines, list)  # output=LINES: the lines the text would take
        if pdf.get_y() + 5.8 * len(lines) > BOTTOM - 10:
            pdf.para(
                f"另有 {len(comments) - n} 条意见建议，见测评结果分析报告。",
                size=10,
                height=6,
                colour=MUTED,
            )
            break
        pdf.para(text, size=10, height=5.8)
