"""The papers of the sitting in Word format: the chair's announcement (宣读稿) and the bulletin
(测评结果通报), A4 in the layout of an official document (`display.docxkit`).

The announcement lays out the paragraphs `voting.announce` wrote (the console shows the same
text). The bulletin is said first (`bulletin`: plain data, from what `display.reportdata.collect`
read) and then laid out (`render_bulletin`): a summary, the departments by verdict (grade), those
that must rectify and by when, and an attachment (附件) table of every result with its rank.
Drawn by the worker process (`display.builder`), never by the server.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH

from display import docxkit as kit
from display.reportdata import Report, first, meeting_date, ranked
from display.words import KINDS, STATUS, chinese_date, due_date, percent
from voting.wording import RATE_NAMES

PART_HEADING = re.compile(r"^[一二三四五六七八九十]+、")
NUMERALS = "一二三四五六七八九十"


def render_announcement(data: Mapping[str, Any]) -> bytes:
    """The announcement (`voting.announce.announcement`) as a Word file."""
    doc = kit.new(data["heading"], data["today"])
    kit.title(doc, data["heading"])
    sub = kit.para(doc, data["title"], face=kit.SUBHEADING, indent=False)
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.paragraph_format.space_after = kit.Pt(kit.LINE)
    for text in data["paragraphs"]:
        if PART_HEADING.match(text):
            kit.heading(doc, text)
        else:
            kit.para(doc, text)
    return kit.to_bytes(doc)


# -- the bulletin, said ---------------------------------------------------------------------------


@dataclass
class Bulletin:
    title: str
    summary: list[str]
    tally: str  # 测评结果为优秀的 18 个，…
    groups: list[tuple[str, list[str]]]  # (verdict label, subjects by rank), every level
    unrated: list[str]
    best: str
    rectify: str  # what those below the best must do, or that none must
    short: list[list[str]] = field(default_factory=list)  # 序号, 测评对象, 等次, 期限, 状态
    annex_header: list[str] = field(default_factory=list)
    annex: list[list[str]] = field(default_factory=list)
    sender: str = ""
    day: str = ""


def bulletin(report: Report, today: date) -> Bulletin:
    """What the bulletin says, from what `display.reportdata.collect` read."""
    m, r = report.meeting, report.results
    items = ranked(list(r["items"]))
    levels = _levels(r)
    by_level: dict[str, list[str]] = {key: [] for key, _ in levels}
    unrated: list[str] = []
    for item in items:
        by_level.get(first(item)["verdict"], unrated).append(_name(item))
    tally = "，".join(f"{label}的 {len(by_level[key])} 个" for key, label in levels)
    header, annex = _annex(r, items)
    said = Bulletin(
        title=f"关于{m['title']}结果的通报",
        summary=_summary(report, items),
        tally=f"测评结果为{tally}。" if items else "尚无已结束计票的测评对象。",
        groups=[(label, by_level[key]) for key, label in levels],
        unrated=unrated,
        best=levels[0][1] if levels else "",
        rectify="",
        annex_header=header,
        annex=annex,
        sender=f"{m['title']} 会务组",
        day=chinese_date(today),
    )
    _rectify(said, report, items, levels[0][0] if levels else None, today)
    return said


def _rectify(
    said: Bulletin, report: Report, items: list[dict[str, Any]], best: str | None, today: date
) -> None:
    """Those below the best level, with their due dates and follow-up status, in words."""
    months = report.meeting.get("followup_months", 3)
    short = [i for i in items if first(i)["verdict"] not in (None, best)]
    for n, item in enumerate(short):
        record = report.followups.get(item["id"]) or {}
        due = chinese_date(date.fromisoformat(due_date(record, months, today)))
        status = STATUS.get(record.get("status", ""), "待整改")
        status += "（已逾期）" if record.get("overdue") else ""
        verdict = first(item)["verdict_label"]
        said.short.append([str(n + 1), _name(item), verdict, due, status])
    if short:
        said.rectify = (
            f"测评等次未达到{said.best}的 {len(short)} 个测评对象，应针对测评中反映的问题认真整改，"
            f"在 {months} 个月内向常委会书面报告整改情况。整改期限如下："
        )
    elif any(first(i)["verdict"] is not None for i in items):
        said.rectify = f"全部测评对象均评为{said.best}，无需整改。"


def _name(item: Mapping[str, Any]) -> str:
    return str(item["subject"])


def _levels(results: Mapping[str, Any]) -> list[tuple[str, str]]:
    scale = results["scale"]
    labels = {o["key"]: o["label"] for o in scale.get("options") or []}
    labels.update({b["key"]: b["label"] for b in scale.get("bands") or []})
    return [(key, labels.get(key, key)) for key in scale["levels"]]


def _summary(report: Report, items: list[dict[str, Any]]) -> list[str]:
    m, r = report.meeting, report.results
    kinds = [KINDS.get(i["kind"], KINDS["other"]) for i in items]
    parts = [f"{word} {kinds.count(word)} 个" for word in dict.fromkeys(KINDS.values())]
    split = [p for p in parts if not p.endswith(" 0 个")]
    among = f"，其中{'、'.join(split)}" if len(split) > 1 else ""
    text = (
        f"{chinese_date(meeting_date(m))}，{m['title']}对 {len(items)} 个测评对象进行了测评"
        f"{among}。本次测评应到 {r['expected']} 人，实到 {r['present']} 人"
    )
    rule = str(r.get("rule_text") or "").replace("：", "，", 1)
    text += f"，测评等次按以下规则评定：{rule}。" if rule else "。"
    return [text, "现将测评结果通报如下："]


def _annex(
    results: Mapping[str, Any], items: list[dict[str, Any]]
) -> tuple[list[str], list[list[str]]]:
    """The attachment's table: rank, department, kind, counts, valid ballots, rate, verdict."""
    scale = results["scale"]
    options = [o["label"] for o in first(items[0])["options"]] if items else []
    score = bool(scale.get("score"))
    rate_name = RATE_NAMES.get(scale["key"], "满意率")
    header = ["排名", "测评对象", "类型", *options, "有效票", rate_name]
    header += ["平均分"] if score else []
    header.append("测评等次")
    rows = []
    for item in items:
        result = first(item)
        row = ["—" if item["rank"] is None else str(item["rank"]), _name(item)]
        row.append(KINDS.get(item["kind"], KINDS["other"]))
        row += [str(o["count"]) for o in result["options"]]
        row += [str(result["valid"]), percent(result["rate"])]
        if score:
            row.append("—" if result["score"] is None else f"{result['score']:.2f}")
        row.append(result["verdict_label"] or "—")
        rows.append(row)
    return header, rows


# -- the bulletin, laid out -----------------------------------------------------------------------


def render_bulletin(data: Mapping[str, Any]) -> bytes:
    """The bulletin as a Word file (`data`: the report's data and the day)."""
    said = bulletin(data["report"], data["today"])
    doc = kit.new(said.title, data["today"])
    kit.title(doc, said.title)
    kit.para(doc, "各有关单位：", indent=False)
    kit.heading(doc, "一、基本情况")
    for text in said.summary:
        kit.para(doc, text)
    kit.heading(doc, "二、测评结果")
    kit.para(doc, said.tally)
    groups = [*said.groups, *([("未评定等次", said.unrated)] if said.unrated else [])]
    for n, (label, names) in enumerate(groups):
        kit.subheading(doc, f"（{NUMERALS[n % 10]}）{label}（{len(names)} 个）")
        kit.para(doc, "、".join(names) + "。" if names else "无。")
    kit.heading(doc, "三、整改要求")
    if said.rectify:
        kit.para(doc, said.rectify)
    if said.short:
        header = ["序号", "测评对象", "测评等次", "整改期限", "整改状态"]
        kit.table(doc, header, said.short, (14, 56, 24, 34, 28), left=1)
    kit.para(doc, "附件：测评结果一览表", before=kit.LINE)
    kit.signature(doc, [said.sender, said.day])
    kit.page_break(doc)
    kit.para(doc, "附件", face=kit.HEADING, indent=False)
    kit.title(doc, "测评结果一览表", size=18)
    if said.annex:
        kit.table(doc, said.annex_header, said.annex, _widths(said.annex_header), left=1)
    else:
        kit.para(doc, "尚无已结束计票的测评对象。")
    return kit.to_bytes(doc)


def _widths(header: list[str]) -> list[float]:
    """The attachment's columns in mm, fitted to the type area: the department's the widest."""
    base = {"排名": 11.0, "测评对象": 40.0, "类型": 19.0, "有效票": 13.0, "测评等次": 16.0}
    wanted = [base.get(h, 17.0 if h.endswith("率") or h == "平均分" else 13.0) for h in header]
    scale = kit.TYPE_WIDTH / sum(wanted)
    return [w * scale for w in wanted]
