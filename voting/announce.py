"""The chair's announcement (宣读稿): what is read out when results are revealed, in words.

Pure, like `voting.wording` (no Flask, no database): made from a results payload of the revealed
items (`Store.results(meeting, ("revealed",))`) and the meeting's items. The console shows it
as text to read from (`GET /api/meetings/<id>/announcement`) and the worker process lays the same
paragraphs out as a Word file (`display.papers`).

The order is the agenda's: the oral reports (现场述法) first, then the written batches (书面述法,
each batch in the order it first appears), then the rest, each in meeting order. Every item gives
its counts (paper ballots included, and said), 满意率 and verdict; its rank (并列 when shared)
only once every item is revealed, when ranks can no longer change. While items remain, it says
how many.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from voting.wording import RATE_NAMES

KIND_WORDS = {"oral": "现场述法", "written": "书面述法", "other": "其他测评事项"}
KIND_ORDER = ("oral", "written", "other")
NUMERALS = "一二三四五六七八九十"


class Announcement(TypedDict):
    """What `GET /api/meetings/<id>/announcement` answers, and what the Word file holds."""

    meeting: int
    title: str  # the meeting's title
    heading: str  # 测评结果宣读稿
    revealed: int  # items announced
    remaining: int  # items of the meeting not revealed yet
    paragraphs: list[str]


def announcement(
    results: Mapping[str, Any], items: Sequence[Mapping[str, Any]], followup_months: int = 3
) -> Announcement:
    """The announcement of the revealed items of `results` (`items`: all the meeting's)."""
    shown = [i for i in results["items"] if i["state"] == "revealed"]
    remaining = sum(1 for i in items if i["state"] != "revealed")
    paragraphs = [opening(results)]
    if shown:
        paragraphs += body(results, shown, final=remaining == 0)
        paragraphs += closing(results, shown, remaining, followup_months)
    else:
        paragraphs.append("目前尚无已公布的测评结果。")
    return {
        "meeting": results["meeting"],
        "title": results["title"],
        "heading": "测评结果宣读稿",
        "revealed": len(shown),
        "remaining": remaining,
        "paragraphs": paragraphs,
    }


def opening(results: Mapping[str, Any]) -> str:
    """现在我宣布…的结果。本次测评应到 60 人，实到 58 人。测评等次按以下规则评定：…。"""
    rule = str(results.get("rule_text") or "").replace("：", "，", 1)
    text = (
        f"现在我宣布{results['title']}的结果。"
        f"本次测评应到 {results['expected']} 人，实到 {results['present']} 人。"
    )
    if rule:
        text += f"测评等次按以下规则评定：{rule}。"
    return text


def sections(shown: Sequence[Mapping[str, Any]]) -> list[tuple[str, list[Mapping[str, Any]]]]:
    """The items by agenda part: oral, each written batch, the rest; each in meeting order."""
    parts: dict[tuple[int, str], list[Mapping[str, Any]]] = {}
    for item in sorted(shown, key=lambda i: i["position"]):
        kind = item["kind"] if item["kind"] in KIND_ORDER else "other"
        name = (item.get("batch") or KIND_WORDS[kind]) if kind == "written" else KIND_WORDS[kind]
        parts.setdefault((KIND_ORDER.index(kind), name), []).append(item)
    ordered = sorted(parts.items(), key=lambda p: p[0][0])  # stable: batches as they first came
    return [(name, members) for (_, name), members in ordered]


def body(results: Mapping[str, Any], shown: Sequence[Mapping[str, Any]], final: bool) -> list[str]:
    """测评结果如下：, then each part's heading (when there are several) and its items."""
    out = ["测评结果如下："]
    parts = sections(shown)
    ranks = [i["rank"] for i in shown]
    subjects = [i["subject"] for i in shown]
    n = 0
    for number, (name, members) in enumerate(parts):
        if len(parts) > 1:
            out.append(f"{_numeral(number)}、{name}（{len(members)} 项）")
        for item in members:
            n += 1
            named = item["subject"]
            if subjects.count(named) > 1 and item.get("person"):
                named += f"（{item['person']}）"
            out.append(f"{n}. {named}：" + item_words(results, item, ranks if final else None))
    return out


def item_words(
    results: Mapping[str, Any], item: Mapping[str, Any], ranks: list[int | None] | None
) -> str:
    """满意 40 票，基本满意 15 票，不满意 3 票（含纸质票 3 张），满意率 94.83%，并列第 2 名，
    测评等次为满意。 Each aspect in turn when there are several; the rank only when `ranks`."""
    aspects = item["aspects"]
    clauses = []
    place = ""
    if ranks is not None and item.get("rank") is not None:
        place = ("并列" if ranks.count(item["rank"]) > 1 else "") + f"第 {item['rank']} 名"
    for n, aspect in enumerate(aspects):
        text = aspect_words(results, aspect, place if n == 0 else "")
        clauses.append(f"{aspect['name']}，{text}" if len(aspects) > 1 else text)
    return "；".join(clauses) + "。"


def aspect_words(results: Mapping[str, Any], aspect: Mapping[str, Any], place: str = "") -> str:
    """One aspect's counts, rate, `place` (its rank in words, if given) and verdict (no stop)."""
    result = aspect["result"]
    if result["verdict"] is None:
        return "未收到有效票，不评定等次"
    counts = "，".join(f"{o['label']} {o['count']} 票" for o in result["options"])
    paper = sum(int(k) for k in (aspect.get("paper") or {}).values())
    if paper:
        counts += f"（含纸质票 {paper} 张）"
    rate_name = RATE_NAMES.get(results["scale"]["key"], "满意率")
    rate = "—" if result["rate"] is None else f"{result['rate']:.2f}%"
    text = f"{counts}，{rate_name} {rate}"
    if results["scale"].get("score") and result.get("score") is not None:
        text += f"，平均分 {result['score']:.2f} 分"
    if place:
        text += f"，{place}"
    return f"{text}，测评等次为{result['verdict_label']}"


def closing(
    results: Mapping[str, Any], shown: Sequence[Mapping[str, Any]], remaining: int, months: int
) -> list[str]:
    """How many at each level, what the ones below the best must do, and what remains."""
    levels = _levels(results)
    verdicts = [i["aspects"][0]["result"]["verdict"] for i in shown]
    tally = "，".join(f"{label} {verdicts.count(key)} 项" for key, label in levels)
    out = [f"以上 {len(shown)} 项中，{tally}。"]
    short = [label for key, label in levels[1:] if key in verdicts]
    if short:
        out.append(
            f"测评等次为{'、'.join(short)}的单位，请在 {months} 个月内认真整改，"
            "并向常委会书面报告整改情况。"
        )
    if remaining:
        out.append(f"另有 {remaining} 项测评结果尚未公布，排名待全部结果公布后确定。")
    else:
        out.append("测评结果宣布完毕。")
    return out


def _levels(results: Mapping[str, Any]) -> list[tuple[str, str]]:
    scale = results["scale"]
    labels = {o["key"]: o["label"] for o in scale.get("options") or []}
    labels.update({b["key"]: b["label"] for b in scale.get("bands") or []})
    return [(key, labels.get(key, key)) for key in scale["levels"]]


def _numeral(n: int) -> str:
    """一, 二, … 十, then digits (an agenda has three parts and a few batches)."""
    return NUMERALS[n] if n < len(NUMERALS) else str(n + 1)
