"""The letters to the departments (测评结果通知书) as a Word file: one section (a page of its
own) per counted item, saying what its PDF page says (`display.letters`): the result (counts,
shares, 满意率, verdict) per aspect, the rule, the rank, the follow-up its verdict requires and
by when, and the comments made on it (all of them: a Word page grows). Drawn by the worker
process from what `display.reportdata.collect` read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from docx.document import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH

from display import docxkit as kit
from display.reportdata import Report, first, meeting_date, ranked
from display.words import STATUS, chinese_date, follow_up, paper_count, percent, rank_text

LETTER_SIZE = 14  # pt, 四号: a letter holds a table and its comments


def render(report: Report, today: date) -> bytes:
    """The letters of a meeting as a Word file, one section per closed or revealed item."""
    m, r = report.meeting, report.results
    doc = kit.new(f"{m['title']} 测评结果通知书", today)
    items = ranked(list(r["items"]))
    ranks = [i["rank"] for i in r["items"]]
    best = r["scale"]["levels"][0] if r["scale"]["levels"] else None
    months = m.get("followup_months", 3)
    for n, item in enumerate(items):
        if n:
            doc.add_section(WD_SECTION.NEW_PAGE)  # a copy of the first: the same page, footer
            ending = doc.paragraphs[-1].paragraph_format  # the empty one holding the break:
            ending.line_spacing = kit.Pt(1)  # a line of its own could spill onto a blank page
        _letter(doc, report, item, (ranks, best, months, today))
    if not items:
        kit.para(doc, "尚无已结束计票的测评对象。")
    return kit.to_bytes(doc)


def _say(doc: Document, text: str, **how: Any) -> None:
    kit.para(doc, text, size=how.pop("size", LETTER_SIZE), **how)


def _letter(
    doc: Document,
    report: Report,
    item: Mapping[str, Any],
    context: tuple[list[int | None], str | None, int, date],
) -> None:
    ranks, best, months, today = context
    m, r = report.meeting, report.results
    result = first(item)
    _say(doc, m["title"], size=10.5, indent=False)
    kit.title(doc, "测评结果通知书")
    person = f" {item['person']}" if item["person"] else ""
    _say(doc, f"{item['subject']}{person}：", indent=False)
    paper = paper_count(item["aspects"][0])
    _say(
        doc,
        f"{chinese_date(meeting_date(m))}，{m['title']}对你单位进行了测评。应到 {r['expected']}"
        f" 人，实到 {r['present']} 人，收到有效票 {result['valid']} 张"
        + (f"（含纸质票 {paper} 张）" if paper else "")
        + "。结果如下：",
    )
    _tables(doc, item)
    if r.get("rule_text"):
        _say(doc, f"计票规则：{r['rule_text']}。", size=10.5)
    place = rank_text(item["rank"], ranks, len(ranks))
    _say(doc, f"在本次测评的 {len(ranks)} 个测评对象中，满意率排名：{place}。")
    text, due = follow_up(item, report.followups.get(item["id"]), best, months, today)
    kit.para(doc, "整改要求", face=kit.HEADING, size=LETTER_SIZE, keep=True, indent=False)
    _say(doc, text)
    record = report.followups.get(item["id"])
    if due and record and STATUS.get(record.get("status", "")):
        late = "（已逾期）" if record.get("overdue") else ""
        _say(doc, f"当前整改状态：{STATUS[record['status']]}{late}。")
    _comments(doc, report.comments.get(item["id"]) or [])
    for n, line in enumerate((f"{m['title']} 会务组", chinese_date(today))):
        p = kit.para(
            doc, line, size=LETTER_SIZE, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT,
            before=kit.LINE if not n else 0,
        )  # fmt: skip
        p.paragraph_format.right_indent = kit.Pt(LETTER_SIZE * 2)


def _tables(doc: Document, item: Mapping[str, Any]) -> None:
    """The item's counts, shares, 满意率 and verdict: a table per aspect."""
    for aspect in item["aspects"]:
        res = aspect["result"]
        if len(item["aspects"]) > 1:
            _say(doc, f"测评维度：{aspect['name']}", indent=False, keep=True)
        options = res["options"]
        header = [*(o["label"] for o in options), "满意率", "测评等次"]
        row = [f"{o['count']} 票（{o['share']:.2f}%）" for o in options]
        row += [percent(res["rate"]), res["verdict_label"] or "—"]
        width = kit.TYPE_WIDTH / len(header)
        kit.table(doc, header, [row], [width] * len(header))


def _comments(doc: Document, comments: list[str]) -> None:
    kit.para(
        doc, f"意见建议（{len(comments)} 条）", face=kit.HEADING, size=LETTER_SIZE, keep=True,
        indent=False, before=6,
    )  # fmt: skip
    if not comments:
        _say(doc, "测评中未收到对你单位的意见建议。")
    for n, comment in enumerate(comments):
        _say(doc, f"{n + 1}. {comment}")
