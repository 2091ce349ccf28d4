"""What the analysis report and the letters show, read from the store: no PDF, no chart.

The server reads this (`collect`) when a document is to be made and hands it to the worker
process that draws it (`display.builder`); the drawing libraries (fpdf2, matplotlib) are
imported by the worker alone, never by a server holding thousands of phones.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from voting import clock
from voting.announce import Announcement
from voting.announce import announcement as say_announcement
from voting.storage import Store

MAX_TREND_MEETINGS = 6  # the latest earlier meetings shown beside this one
REHEARSAL_MARK = "（演练）"  # before the title of a rehearsal's every document

#: (subjects, date labels, rates[subject][meeting], each earlier meeting as "date《title》")
History = tuple[list[str], list[str], list[list[float | None]], list[str]]


@dataclass
class Report:
    meeting: Mapping[str, Any]
    results: Mapping[str, Any]
    comments: dict[int, list[str]]
    followups: Mapping[int, Mapping[str, Any]]
    history: History | None
    speeches: list[dict[str, Any]] = field(default_factory=list)  # 述法 timed, as started
    previous: Mapping[str, Any] | None = None  # 上一轮整改情况 (`voting.rounds`), if any rows

    def text(self) -> str:
        """Every text from the data (titles, names, labels, comments): what fonts must draw."""
        return json.dumps(
            [
                self.meeting,
                self.results,
                self.comments,
                self.followups,
                self.history,
                self.previous,
            ],
            ensure_ascii=False,
        )


def collect(
    store: Store, meeting_id: int, today: date | None = None, history: bool = True
) -> Report:
    """Everything the report shows, read from the store (the comparison with earlier meetings
    only with `history`). Rendering it (`render`) needs no database."""
    meeting: Mapping[str, Any] = store.meeting(meeting_id)
    results: Mapping[str, Any] = store.results(meeting_id)
    comments = store.comments(meeting_id)
    followups = store.followups(meeting_id, today)
    earlier = past(store, meeting, results) if history else None
    previous: Mapping[str, Any] | None = store.previous_round(meeting_id, today)
    if previous is not None and not previous["rows"]:
        previous = None
    if meeting.get("rehearsal"):  # every page, the cover and every letter say so
        meeting = {**meeting, "title": REHEARSAL_MARK + meeting["title"]}
        results = {**results, "title": meeting["title"]}
    speeches = store.speeches(meeting_id)
    return Report(meeting, results, comments, followups, earlier, speeches, previous)


def announcement(store: Store, meeting_id: int) -> Announcement:
    """The chair's announcement (宣读稿) of the meeting's revealed items (`voting.announce`)."""
    meeting = store.meeting(meeting_id)
    results: Mapping[str, Any] = store.results(meeting_id, ("revealed",))
    if meeting.get("rehearsal"):
        results = {**results, "title": REHEARSAL_MARK + results["title"]}
    return say_announcement(results, meeting["items"], meeting.get("followup_months", 3))


def past(store: Store, meeting: Mapping[str, Any], results: Mapping[str, Any]) -> History | None:
    """满意率 of this meeting's departments (same `subject`) at earlier real meetings (archived
    ones too, rehearsals never), by date.

    Returns (subjects, meeting labels oldest first and this one last, rates[subject][meeting]),
    or None when no department was rated before; and each earlier meeting named by its date
    and title.
    """
    mine = {i["subject"]: rate(i) for i in results["items"] if rate(i) is not None}
    if not mine:
        return None
    when = _moment(meeting)
    earlier = []
    for other in store.meetings(archived=True):
        if other["id"] == meeting["id"] or other["rehearsal"] or _moment(other) >= when:
            continue
        rates = {}
        for item in store.results(other["id"])["items"]:
            if item["subject"] in mine and rate(item) is not None:
                rates[item["subject"]] = rate(item)
        if rates:
            earlier.append((_moment(other), other, rates))
    if not earlier:
        return None
    earlier.sort(key=lambda e: e[0])
    earlier = earlier[-MAX_TREND_MEETINGS:]
    columns = [*(rates for _, _, rates in earlier), mine]
    dated = [*(m for _, m, _ in earlier), meeting]
    labels = [meeting_date(m).isoformat() for m in dated]
    if len(set(labels)) < len(labels):  # two on one day: tell them apart
        labels = [f"{label} #{m['id']}" for label, m in zip(labels, dated, strict=True)]
    subjects = [s for s in mine if any(s in c for c in columns[:-1])]
    names = [f"{label}《{m['title']}》" for label, m in zip(labels, dated[:-1], strict=False)]
    return subjects, labels, [[c.get(s) for c in columns] for s in subjects], names


def _moment(meeting: Mapping[str, Any]) -> datetime:
    try:
        return datetime.fromisoformat(meeting["created_at"])
    except (TypeError, ValueError, KeyError):
        return datetime.min


def first(item: Mapping[str, Any]) -> dict[str, Any]:
    """The combined result of the item's first aspect (the one ranked)."""
    return item["aspects"][0]["result"]


def rate(item: Mapping[str, Any]) -> float | None:
    return first(item)["rate"]


def ranked(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """By rank, then in meeting order; items without ballots last."""
    return sorted(items, key=lambda i: (i["rank"] is None, i["rank"] or 0, i["position"]))


def meeting_date(meeting: Mapping[str, Any]) -> date:
    """The day of the meeting (when it was created), in the server's time zone."""
    try:
        return datetime.fromisoformat(meeting["created_at"]).astimezone().date()
    except (TypeError, ValueError, KeyError):
        return clock.today()
