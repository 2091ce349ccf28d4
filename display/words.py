"""The words of a result that every document shares, PDF or Word: a percentage, a date in
Chinese, a rank, the paper ballots, a follow-up's status and what a verdict requires.

No drawing library: the PDFs (`display.pdf`, `display.letters`) and the Word files
(`display.papers`, `display.letters_docx`) say the same things in the same words.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from display.reportdata import first
from voting.results import add_months

STATUS = {"pending": "待整改", "in_progress": "整改中", "done": "已完成", "re_evaluate": "再次测评"}
KINDS = {"oral": "现场述法", "written": "书面述法", "other": "其他"}


def percent(value: float | None) -> str:
    """A share or a rate as the results API gives it, in percent with 2 decimals."""
    return "—" if value is None else f"{value:.2f}%"


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def rank_text(rank: int | None, ranks: list[int | None], count: int) -> str:
    """第 3 名（共 30 项）, 并列第 3 名 when shared, 未排名 without ballots."""
    if rank is None:
        return "未排名"
    shared = "并列" if ranks.count(rank) > 1 else ""
    return f"{shared}第 {rank} 名（共 {count} 项）"


def paper_count(aspect: Mapping[str, Any]) -> int:
    return sum(int(n) for n in (aspect.get("paper") or {}).values())


def due_date(record: Mapping[str, Any] | None, months: int, today: date) -> str:
    """A follow-up's due date: its record's, or (before one exists) `months` from today."""
    return str((record or {}).get("due") or add_months(today, months).isoformat())


def follow_up(
    item: Mapping[str, Any],
    record: Mapping[str, Any] | None,
    best: str | None,
    months: int,
    today: date,
) -> tuple[str, str | None]:
    """What the verdict requires, in words, and the due date (None when nothing is due)."""
    result = first(item)
    if result["verdict"] is None:
        return "未收到有效票，未评定等次，暂无整改要求。", None
    if result["verdict"] == best:
        return f"测评等次为{result['verdict_label']}，无需整改。", None
    due = due_date(record, months, today)
    text = (
        f"测评等次为{result['verdict_label']}。请针对测评中反映的问题认真整改，"
        f"在 {months} 个月内、于 {chinese_date(date.fromisoformat(due))}前"
        "向常委会书面报告整改情况。"
    )
    return text, due
