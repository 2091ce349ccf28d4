"""The next round (下一轮): which earlier rating of each department a meeting follows, and 上一轮
整改情况 (each department's last verdict and how its follow-up stands) built from plain rows.

A department is matched by its name (`subject`). Its last round is its latest rating at an
earlier real meeting: a rehearsal never counts, nor a meeting held later. Earlier means an
earlier date (`created_at`), the lower meeting number on the same moment. Only departments
whose last round fell short (a follow-up record) are listed: the view is about rectification.
Pure: no Flask, no SQLite (the store reads the rows, `voting.storage.nextround`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TypedDict

#: The follow-up statuses in the order the view counts them.
STATUSES = ("pending", "in_progress", "re_evaluate", "done")


class Earlier(TypedDict):
    """A department's rating at another meeting, as the store reads it."""

    item: int
    subject: str
    person: str
    meeting: int
    title: str
    created_at: str
    rehearsal: bool


class Record(TypedDict):
    """A follow-up record as stored: its status, due date and when it last changed."""

    status: str
    due: str | None
    updated_at: str


class PreviousRow(TypedDict):
    subject: str
    person: str
    item: int  # the item rated last round, whose follow-up this is
    meeting: int  # that round's meeting, its title and date
    title: str
    date: str
    verdict: str | None
    verdict_label: str | None
    rate: float | None
    status: str
    due: str | None
    done_on: str | None  # the day it was marked 已完成
    overdue: bool
    days_overdue: int
    next_item: int | None  # this meeting's 整改情况 item reviewing it, if one was added


class PreviousRound(TypedDict):
    meeting: int
    rows: list[PreviousRow]
    counts: dict[str, int]  # rows per follow-up status


def day_of(stamp: str) -> date:
    """The local day of a stored time (`created_at`, `updated_at`)."""
    return datetime.fromisoformat(stamp).astimezone().date()


def latest_earlier(
    meeting_id: int, created_at: str, candidates: Iterable[Earlier]
) -> dict[str, Earlier]:
    """{subject: its latest rating at an earlier real meeting} among `candidates`."""
    here = (created_at, meeting_id)
    best: dict[str, Earlier] = {}
    for c in candidates:
        when = (c["created_at"], c["meeting"])
        if c["rehearsal"] or c["meeting"] == meeting_id or when >= here:
            continue
        kept = best.get(c["subject"])
        if kept is None or (*when, c["item"]) > (kept["created_at"], kept["meeting"], kept["item"]):
            best[c["subject"]] = c
    return best


def previous_round(
    meeting_id: int,
    subjects: Sequence[str],
    picked: Mapping[str, Earlier],
    results: Mapping[int, Mapping[str, Any]],
    records: Mapping[int, Record],
    links: Mapping[int, int],
    today: date,
) -> PreviousRound:
    """上一轮整改情况 of a meeting: a row per department of the meeting (in its order, `subjects`)
    whose last round (`picked`) left a follow-up record (`records`, by item), with that round's
    result (`results`: the first aspect's combined result, by item) and this meeting's
    整改情况 item linked to it (`links`: follow-up item → item)."""
    rows: list[PreviousRow] = []
    for subject in dict.fromkeys(subjects):
        earlier = picked.get(subject)
        record = records.get(earlier["item"]) if earlier else None
        if earlier is None or record is None:
            continue
        result = results.get(earlier["item"]) or {}
        rows.append(_row(earlier, result, record, links.get(earlier["item"]), today))
    counts = {s: sum(1 for r in rows if r["status"] == s) for s in STATUSES}
    return {"meeting": meeting_id, "rows": rows, "counts": counts}


def _row(
    earlier: Earlier,
    result: Mapping[str, Any],
    record: Record,
    next_item: int | None,
    today: date,
) -> PreviousRow:
    due, status = record["due"], record["status"]
    late = bool(due and status in ("pending", "in_progress") and due < today.isoformat())
    return {
        "subject": earlier["subject"],
        "person": earlier["person"],
        "item": earlier["item"],
        "meeting": earlier["meeting"],
        "title": earlier["title"],
        "date": day_of(earlier["created_at"]).isoformat(),
        "verdict": result.get("verdict"),
        "verdict_label": result.get("verdict_label"),
        "rate": result.get("rate"),
        "status": status,
        "due": due,
        "done_on": day_of(record["updated_at"]).isoformat() if status == "done" else None,
        "overdue": late,
        "days_overdue": (today - date.fromisoformat(due)).days if late and due else 0,
        "next_item": next_item,
    }
