"""The analysis report of a meeting (测评结果分析报告) as an A4 PDF in Chinese.

A cover (title, date, 应到 / 实到), the method in words, the results table (counts, shares,
满意率, verdict, rank), a ranked bar chart of 满意率, the option shares of every item, the
verdicts and the items that fall short with their follow-up, the comments by item and, where
the same departments were rated at earlier meetings in this database, a chart and a table of
their 满意率 across meetings. Only closed and revealed items are reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from io import BytesIO
from typing import Any

from PIL import Image

from display import charts
from display.pdf import (
    ACCENT,
    FONT,
    MUTED,
    Document,
    chinese_date,
    head_style,
    paper_count,
    percent,
)
from display.reportdata import Report, collect, first, meeting_date, ranked, rate
from display.words import STATUS
from voting.storage import Store

__all__ = ["collect", "render", "build"]  # `collect` is display.reportdata's, named here too

NUMERALS = "一二三四五六七八九十"
TREND_HEADING = "历次测评对比"
SHORT_HEADING = "测评等次与整改"
PREVIOUS_HEADING = "上一轮整改情况"
BASES = {"expected": "全体组成人员", "present": "实到人员", "valid": "有效票"}
GROUPS = {"member": "常委会组成人员", "deputy": "列席代表"}


def method_text(report: Report) -> list[str]:
    """The method in words: how votes were cast, counted and graded."""
    r, m = report.results, report.meeting
    scale, rule = r["scale"], r["rule"]
    labels = {o["key"]: o["label"] for o in scale["options"]}
    labels.update({b["key"]: b["label"] for b in scale.get("bands") or []})
    levels = [labels.get(k, k) for k in scale["levels"]]
    positive = [labels.get(k, k) for k in scale["positive"]]
    lines = []
    if scale["score"]:
        lines.append("测评采用 0–100 分打分，按分数段计为" + "、".join(levels) + "。")
    else:
        options = "、".join(o["label"] for o in scale["options"])
        lines.append(f"测评等次分为{options}，每位测评人对每个测评对象选择其一。")
    lines.append(
        ("采用无记名投票，" if m["secret"] else "采用记名投票，")
        + "一人一卡，扫码测评；未选或多选的为无效票，不计入有效票。"
    )
    if rule["kind"] == "majority":
        base = BASES.get(rule["base"], rule["base"])
        if rule["base"] == "expected":
            base += f"（应到 {r['expected']} 人）"
        elif rule["base"] == "present":
            base += f"（实到 {r['present']} 人）"
        parts = [f"{levels[0]}票达到{base}半数的，评为{levels[0]}"]
        for n in range(1, len(levels) - 1):
            parts.append(f"{'与'.join(levels[: n + 1])}票合计超过半数的，评为{levels[n]}")
        parts.append(f"其余评为{levels[-1]}（恰好半数的不算超过半数）")
        lines.append("等次按过半数规则评定：" + "；".join(parts) + "。")
    else:
        limits = rule["thresholds"]
        parts = [
            f"满意率达到 {limit:g}% 的评为{level}"
            for limit, level in zip(limits, levels, strict=False)
        ]
        lines.append("等次按满意率评定：" + "；".join(parts) + f"；其余评为{levels[-1]}。")
    if r.get("rule_text"):
        lines.append(f"本次计票规则：{r['rule_text']}。")
    lines.append(
        f"满意率 =（{' + '.join(positive)}）÷ 有效票；各项占比以有效票为分母，"
        "百分比保留两位小数（四舍五入）。按满意率排名（相同时按满意票占比），相同者并列。"
    )
    combine = r["combine"]
    others = {g for i in r["items"] for a in i["aspects"] for g in a["groups"]} - {"member"}
    if combine["kind"] == "weighted":
        weights = "、".join(
            f"{GROUPS.get(g, g)} {w:g}%"
            for g, w in sorted((combine.get("weights") or {}).items(), key=_group_order)
        )
        lines.append(f"各类测评人分别计票，按{weights}加权合成结果。")
    elif others:
        lines.append("结果按常委会组成人员的票计算；列席代表的票单独统计，仅供参考。")
    papers = sum(paper_count(a) for i in r["items"] for a in i["aspects"])
    if papers:
        lines.append(f"计票含会后补录的纸质票共 {papers} 张。")
    if report.speeches:
        lines.append(speaking_times(report))
    return lines


def _minutes(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def speaking_times(report: Report) -> str:
    """Each oral report's speaking time (and its overrun), as the 述法 timer recorded it."""
    parts = []
    for s in report.speeches:
        who = s["subject"] + (f"（{s['person']}）" if s["person"] else "")
        told = f"{who}用时 {_minutes(s['elapsed'])}"
        if s["overrun"]:
            told += f"，超时 {_minutes(s['overrun'])}"
        if s["status"] != "ended":
            told += "（计时未结束）"
        parts.append(told)
    minutes = report.meeting.get("speech_minutes", 8)
    own = any(s["allotted"] != minutes * 60 for s in report.speeches)
    given = f"每人 {minutes} 分钟" + ("（个别事项另定）" if own else "")
    return f"现场述法计时，{given}：" + "；".join(parts) + "。"


def _group_order(entry: tuple[str, Any]) -> tuple[int, str]:
    """常委会组成人员 first, then 列席代表, then any other group by name."""
    order = list(GROUPS)
    return (order.index(entry[0]) if entry[0] in order else len(order), entry[0])


def verdict_colours(results: Mapping[str, Any]) -> dict[str, str]:
    levels = results["scale"]["levels"]
    return {key: charts.level_colour(n, len(levels)) for n, key in enumerate(levels)}


def level_labels(results: Mapping[str, Any]) -> list[tuple[str, str]]:
    scale = results["scale"]
    labels = {o["key"]: o["label"] for o in scale["options"]}
    labels.update({b["key"]: b["label"] for b in scale.get("bands") or []})
    return [(key, labels.get(key, key)) for key in scale["levels"]]


def make_charts(report: Report) -> dict[str, list[bytes]]:
    """Each chart once, as PNG: the ranking, the option shares and (if any) the trend."""
    results = report.results
    items = ranked(results["items"])
    colours = verdict_colours(results)
    bars = [
        charts.Bar(
            label=i["subject"],
            rate=rate(i),
            verdict=first(i)["verdict_label"],
            colour=colours.get(first(i)["verdict"], charts.OTHER),
        )
        for i in items
    ]
    legend = [(label, colours[key]) for key, label in level_labels(results)]
    out: dict[str, list[bytes]] = {"ranking": [], "shares": [], "trend": []}
    if not items:
        return out
    parts = charts.chunks(bars)
    for n, part in enumerate(parts):
        title = f"（{n + 1}/{len(parts)}）" if len(parts) > 1 else ""  # the section names it
        out["ranking"].append(charts.rate_ranking(part, title, legend))
    options = first(items[0])["options"] if items else []
    option_colours = [(o["label"], colours.get(o["key"], charts.OTHER)) for o in options]
    for n, part in enumerate(charts.chunks(items)):
        title = f"（{n + 1}/{len(parts)}）" if len(parts) > 1 else ""
        out["shares"].append(
            charts.option_shares(
                [i["subject"] for i in part],
                [[o["share"] for o in first(i)["options"]] for i in part],
                option_colours,
                title,
            )
        )
    if report.history:
        subjects, labels, rates, _ = report.history
        for n, rows in enumerate(charts.chunks(list(range(len(subjects))))):
            title = f"（{n + 1}）" if len(subjects) > charts.PER_CHART else ""
            out["trend"].append(
                charts.trend([subjects[s] for s in rows], labels, [rates[s] for s in rows], title)
            )
    return out


def build(store: Store, meeting_id: int, today: date | None = None) -> bytes:
    """The report of a meeting as PDF bytes."""
    return render(collect(store, meeting_id, today))


def render(report: Report) -> bytes:
    m, r = report.meeting, report.results
    images = make_charts(report)
    pdf = Document(running=f"{m['title']} · 测评结果分析报告", text=report.text())
    _cover(pdf, report)
    sections = iter(NUMERALS)

    def section(title: str, keep: float = 0) -> None:
        pdf.heading(f"{next(sections)}、{title}", keep=keep)

    pdf.add_page()
    section("测评方式")
    for line in method_text(report):
        pdf.para(line)

    section("测评结果")
    if not r["items"]:
        pdf.para("尚无已结束计票的测评对象。")
    else:
        _results_tables(pdf, report)
        _group_table(pdf, report)

    if r["items"]:
        section("满意率排名", keep=_height(pdf, images["ranking"][0]))
        for png in images["ranking"]:
            _image(pdf, png)
        section("票数占比", keep=_height(pdf, images["shares"][0]))
        for png in images["shares"]:
            _image(pdf, png)

    section(SHORT_HEADING, keep=40)
    _verdicts(pdf, report)

    if report.previous:
        section(PREVIOUS_HEADING, keep=40)
        _previous(pdf, report.previous)

    section("意见建议")
    _comments(pdf, report)

    if report.history:
        section(TREND_HEADING, keep=_height(pdf, images["trend"][0]) + 12)  # and its intro
        _trend(pdf, report, images["trend"])
    return pdf.bytes()


def _cover(pdf: Document, report: Report) -> None:
    m, r = report.meeting, report.results
    pdf.add_page()
    pdf.set_y(70)
    pdf.set_font(FONT, size=24)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(0, 13, m["title"], align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 10, "测评结果分析报告", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*MUTED)
    pdf.ln(30)
    empty = sum(1 for i in r["items"] if not first(i)["valid"])
    counted = f"已计票 {len(r['items'])} 个" + (f"（其中 {empty} 个无有效票）" if empty else "")
    lines = [
        f"测评日期：{chinese_date(meeting_date(m))}",
        f"应到 {r['expected']} 人，实到 {r['present']} 人",
        f"测评对象 {len(m['items'])} 个，{counted}",
        f"报告生成：{datetime.now().astimezone().strftime('%Y-%m-%d %H:%M')}",
    ]
    pdf.set_font(FONT, size=13)
    for line in lines:
        pdf.cell(0, 9, line, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _results_tables(pdf: Document, report: Report) -> None:
    items = ranked(report.results["items"])
    aspects = max(len(i["aspects"]) for i in items)
    for a in range(aspects):
        if aspects > 1:
            pdf.para(f"测评维度：{items[0]['aspects'][a]['name']}", colour=ACCENT)
        _aspect_table(pdf, items, a)
        pdf.ln(2)
    notes = _table_notes(items)
    if report.results.get("rule_text"):
        notes.insert(0, f"计票规则：{report.results['rule_text']}。")
    if notes:
        pdf.para("注：" + "".join(notes), size=8.5, height=5, colour=MUTED)


def _aspect_table(pdf: Document, items: Sequence[Mapping[str, Any]], a: int) -> None:
    """One aspect's results, a row per item in rank order."""
    options = first(items[0])["options"]
    ranks = [i["rank"] for i in items]
    width = pdf.epw
    fixed = 11 + 13 + 18 + 17
    option_w = min(24.0, (width - fixed - 40) / max(len(options), 1))
    subject_w = width - fixed - option_w * len(options)
    widths = (11, subject_w, *([option_w] * len(options)), 13, 18, 17)
    pdf.set_font(FONT, size=8.5)
    with pdf.table(
        col_widths=widths,
        text_align=("CENTER", "LEFT", *(["RIGHT"] * len(options)), "RIGHT", "RIGHT", "CENTER"),
        headings_style=head_style(),
        line_height=5.2,
        borders_layout="HORIZONTAL_LINES",
        first_row_as_headings=True,
    ) as table:
        head = table.row()
        for text in (
            "名次",
            "测评对象",
            *(o["label"] for o in options),
            "有效票",
            "满意率",
            "等次",
        ):
            head.cell(text)
        for item in items:
            res = item["aspects"][a]["result"] if a < len(item["aspects"]) else None
            row = table.row()
            place = item["rank"]
            row.cell("" if place is None else ("=" if ranks.count(place) > 1 else "") + str(place))
            row.cell(item["subject"])
            if res is None:
                for _ in range(len(options) + 3):
                    row.cell("")
                continue
            for o in res["options"]:
                row.cell(f"{o['count']}（{o['share']:.2f}%）")
            row.cell(str(res["valid"]))
            row.cell(percent(res["rate"]))
            row.cell(res["verdict_label"] or "—")


def _table_notes(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """What the results tables' footnote says: ties, paper ballots, invalid ballots."""
    ranks = [i["rank"] for i in items]
    notes = []
    if any(ranks.count(p) > 1 for p in ranks if p is not None):
        notes.append("名次前的“=”表示并列。")
    for item in items:
        n = sum(paper_count(a) for a in item["aspects"])
        if n:
            notes.append(f"{item['subject']}含纸质票 {n} 张。")
    if any(first(i)["invalid"] for i in items):
        invalid = "、".join(
            f"{i['subject']} {first(i)['invalid']} 张" for i in items if first(i)["invalid"]
        )
        notes.append(f"无效票：{invalid}。")
    return notes


def _size(pdf: Document, png: bytes) -> tuple[float, float]:
    """The width and height (mm) an image takes: the page's width, or less to fit a page."""
    with Image.open(BytesIO(png)) as im:
        w, h = im.size
    width = pdf.epw
    height = width * h / w
    page = pdf.h - pdf.t_margin - pdf.b_margin - 10
    if height > page:
        width, height = width * page / height, page
    return width, height


def _height(pdf: Document, png: bytes) -> float:
    return _size(pdf, png)[1]


def _group_table(pdf: Document, report: Report) -> None:
    """With several groups of voters (列席代表 beside the members), each group's own result."""
    items = ranked(report.results["items"])
    groups = sorted(
        {g for i in items for g in i["aspects"][0]["groups"]}, key=lambda g: _group_order((g, 0))
    )
    if len(groups) < 2:
        return
    pdf.para("各类测评人分别计票的结果（第一个测评维度）：", size=9.5, height=6)
    pdf.set_font(FONT, size=8.5)
    each = min(42.0, (pdf.epw - 50) / len(groups))
    with pdf.table(
        col_widths=(pdf.epw - each * len(groups), *([each] * len(groups))),
        text_align=("LEFT", *(["CENTER"] * len(groups))),
        headings_style=head_style(),
        line_height=5.2,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        head = table.row()
        head.cell("测评对象")
        for g in groups:
            head.cell(f"{GROUPS.get(g, g)}（有效票 / 满意率 / 等次）")
        for item in items:
            row = table.row()
            row.cell(item["subject"])
            for g in groups:
                t = item["aspects"][0]["groups"].get(g)
                if t is None:
                    row.cell("—")
                else:
                    row.cell(f"{t['valid']} / {percent(t['rate'])} / {t['verdict_label'] or '—'}")
    pdf.ln(2)


def _image(pdf: Document, png: bytes) -> None:
    """An image at the page's width; on a new page if it does not fit, unless most of this
    page is free (below a heading): then it is made smaller to fit."""
    width, height = _size(pdf, png)
    room = pdf.h - pdf.b_margin - pdf.get_y()
    if height > room:
        if room > 0.75 * (pdf.h - pdf.t_margin - pdf.b_margin):
            width, height = width * room / height, room
        else:
            pdf.add_page()
    pdf.image(BytesIO(png), x=pdf.l_margin + (pdf.epw - width) / 2, w=width, h=height)
    pdf.ln(3)


def _verdicts(pdf: Document, report: Report) -> None:
    r = report.results
    items = ranked(r["items"])
    levels = level_labels(r)
    counts = {key: 0 for key, _ in levels}
    for item in items:
        if first(item)["verdict"] in counts:
            counts[first(item)["verdict"]] += 1
    rated = sum(counts.values())
    summary = "，".join(f"{label} {counts[key]} 个" for key, label in levels)
    pdf.para(f"已评定等次的测评对象 {rated} 个：{summary}。")
    best = levels[0][0] if levels else None
    short = [i for i in items if first(i)["verdict"] not in (None, best)]
    if not short:
        if rated:
            pdf.para(f"全部测评对象均评为{levels[0][1]}，无需整改。")
        return
    months = report.meeting.get("followup_months", 3)
    pdf.para(
        f"以下 {len(short)} 个测评对象未达到{levels[0][1]}，应在 {months} 个月内整改，"
        "并向常委会书面报告整改情况："
    )
    pdf.set_font(FONT, size=9)
    with pdf.table(
        col_widths=(pdf.epw - 98, 20, 20, 30, 28),
        text_align=("LEFT", "RIGHT", "CENTER", "CENTER", "CENTER"),
        headings_style=head_style(),
        line_height=5.4,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        head = table.row()
        for text in ("测评对象", "满意率", "等次", "整改期限", "整改状态"):
            head.cell(text)
        for item in short:
            record = report.followups.get(item["id"]) or {}
            row = table.row()
            row.cell(f"{item['subject']} {item['person']}".strip())
            row.cell(percent(rate(item)))
            row.cell(first(item)["verdict_label"])
            due = record.get("due") or "揭晓后确定"
            row.cell(due + ("（逾期）" if record.get("overdue") else ""))
            row.cell(STATUS.get(record.get("status", ""), "—"))


def _previous(pdf: Document, previous: Mapping[str, Any]) -> None:
    """上一轮整改情况: each department rated short at its latest earlier real meeting."""
    rows = previous["rows"]
    rounds = list(dict.fromkeys(f"{r['date']}《{r['title']}》" for r in rows))
    pdf.para(
        f"以下 {len(rows)} 个部门在上一轮测评（{'；'.join(rounds)}）中未达到最高等次，"
        "其整改情况如下："
    )
    pdf.set_font(FONT, size=9)
    with pdf.table(
        col_widths=(pdf.epw - 104, 20, 20, 24, 40),
        text_align=("LEFT", "CENTER", "RIGHT", "CENTER", "CENTER"),
        headings_style=head_style(),
        line_height=5.4,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        head = table.row()
        for text in ("部门", "上一轮等次", "满意率", "整改状态", "整改期限 / 完成日期"):
            head.cell(text)
        for r in rows:
            row = table.row()
            row.cell(f"{r['subject']} {r['person']}".strip())
            row.cell(r["verdict_label"] or "—")
            row.cell(percent(r["rate"]))
            row.cell(STATUS.get(r["status"], r["status"]))
            if r["done_on"]:
                row.cell(f"{r['done_on']} 完成")
            else:
                late = f"（逾期 {r['days_overdue']} 天）" if r["overdue"] else ""
                row.cell((r["due"] or "—") + late)


def _comments(pdf: Document, report: Report) -> None:
    items = report.results["items"]
    shown = [(i, report.comments.get(i["id"]) or []) for i in items]
    shown = [(i, texts) for i, texts in shown if texts]
    if not shown:
        pdf.para("本次测评未收到意见建议。")
        return
    total = sum(len(t) for _, t in shown)
    pdf.para(f"共收到意见建议 {total} 条，按测评对象列出（同一对象内按文字排序，不显示提出人）：")
    for item, texts in shown:
        pdf.ln(1)
        pdf.para(f"{item['subject']}（{len(texts)} 条）", size=10.5, colour=ACCENT)
        for text in texts:
            pdf.para(f"· {text}", size=9.5, height=5.4)


def _trend(pdf: Document, report: Report, pngs: list[bytes]) -> None:
    assert report.history is not None  # the section is drawn only for a meeting with history
    subjects, labels, rates, names = report.history
    pdf.para(f"对比的往次正式测评：{'；'.join(names)}。")
    pdf.para(
        f"以下 {len(subjects)} 个部门在本数据库的往次测评中也接受过测评，"
        "按测评日期列出其满意率（大圆点、表中最后一个日期为本次）："
    )
    for png in pngs:
        _image(pdf, png)
    pdf.set_font(FONT, size=8.5)
    width = min(24.0, (pdf.epw - 50) / (len(labels) + 1))
    with pdf.table(
        col_widths=(pdf.epw - width * (len(labels) + 1), *([width] * (len(labels) + 1))),
        text_align=("LEFT", *(["RIGHT"] * (len(labels) + 1))),
        headings_style=head_style(),
        line_height=5.2,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        head = table.row()
        for text in ("部门", *labels, "变化"):
            head.cell(text)
        for subject, row_rates in zip(subjects, rates, strict=True):
            row = table.row()
            row.cell(subject)
            for value in row_rates:
                row.cell(percent(value))
            before = [v for v in row_rates[:-1] if v is not None]
            change = row_rates[-1] - before[-1] if before and row_rates[-1] is not None else None
            row.cell("—" if change is None else f"{change:+.2f}")
