"""The follow-up ledger (整改台账, 督一督): what is computed of a follow-up for a given day, which
rows a filter keeps, the warnings, and what a department's answer may say.

Pure: no Flask, no database. The store reads the entries (`voting.storage.ledger`); the day is
the app's clock (`voting.clock.today()`), handed in by the caller, so a test can move it.

A follow-up is open while it is 待整改 (`pending`) or 整改中 (`in_progress`): only an open one
can be overdue (its due date has passed) or due soon (due within `SOON` days, today included).
已完成 (`done`) and 再次测评 (`re_evaluate`) are closed: no days are counted for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from voting.errors import BadInput
from voting.records import LedgerEntry, LedgerRow
from voting.settings import FOLLOWUP_STATUSES, MAX_NOTES, _no_extra, _obj, text

SOON = 14  # days: a follow-up due within them is warned of (due soon)
OPEN = ("pending", "in_progress")
GRADES = ("", "pass", "fail")  # none yet, 合格, 不合格
MAX_REPORT = 10_000
MAX_DEPARTMENT = 200
ANSWER_FIELDS = ("received", "report", "assessment", "grade")


def row(entry: LedgerEntry, today: date) -> LedgerRow:
    """The entry with its days counted for `today`."""
    days: int | None = None
    if entry["status"] in OPEN and entry["due"]:
        days = (date.fromisoformat(entry["due"]) - today).days
    overdue = days is not None and days < 0
    return {
        **entry,
        "overdue": overdue,
        "days_left": days,
        "days_overdue": -days if days is not None and overdue else None,
        "due_soon": days is not None and 0 <= days <= SOON,
    }


def order(rows: Iterable[LedgerRow]) -> list[LedgerRow]:
    """The most pressing first: open ones by due date (no date last), then the closed ones,
    each by meeting (newest first) and agenda position."""
    return sorted(
        rows,
        key=lambda r: (
            r["status"] not in OPEN,
            r["due"] is None,
            r["due"] or "",
            -r["meeting"],
            r["position"],
            r["item"],
        ),
    )


@dataclass(frozen=True)
class Filters:
    """What `GET /api/ledger` (and its XLSX) is asked to keep; empty keeps everything."""

    status: str | None = None
    overdue: bool = False
    due_soon: bool = False
    meeting: int | None = None
    department: str = ""

    def query(self) -> dict[str, str]:
        """The filters as query parameters (those set only)."""
        out = {"status": self.status or "", "overdue": "1" if self.overdue else "",
               "due_soon": "1" if self.due_soon else "",
               "meeting": "" if self.meeting is None else str(self.meeting),
               "department": self.department}  # fmt: skip
        return {k: v for k, v in out.items() if v}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def filters(args: Mapping[str, str]) -> Filters:
    """The filters from a query string: `status`, `overdue=1`, `due_soon=1`, `meeting` (an id),
    `department` (part of its name). Unknown values: `BadInput`."""
    status = (args.get("status") or "").strip() or None
    if status is not None and status not in FOLLOWUP_STATUSES:
        raise BadInput("status 须为 %(known)s 之一。", known=", ".join(FOLLOWUP_STATUSES))
    meeting_arg = (args.get("meeting") or "").strip()
    meeting = None
    if meeting_arg:
        if not meeting_arg.isascii() or not meeting_arg.isdigit() or len(meeting_arg) > 18:
            raise BadInput("meeting 须为会议编号。")
        meeting = int(meeting_arg)
    department = text(args.get("department"), "department", required=False, limit=MAX_DEPARTMENT)
    return Filters(status, _flag(args.get("overdue")), _flag(args.get("due_soon")), meeting,
                   department)  # fmt: skip


def matches(r: LedgerRow, f: Filters) -> bool:
    """Whether the row is kept by every filter set."""
    return (
        (f.status is None or r["status"] == f.status)
        and (not f.overdue or r["overdue"])
        and (not f.due_soon or r["due_soon"])
        and (f.meeting is None or r["meeting"] == f.meeting)
        and (not f.department or f.department.casefold() in r["subject"].casefold())
    )


def warnings(rows: Iterable[LedgerRow]) -> dict[str, int]:
    """`{overdue: n, due_soon: n}`: what the meetings list and the console header warn of."""
    shown = list(rows)
    return {"overdue": sum(r["overdue"] for r in shown),
            "due_soon": sum(r["due_soon"] for r in shown)}  # fmt: skip


def counts(every: Sequence[LedgerRow], shown: Sequence[LedgerRow]) -> dict[str, Any]:
    """How many follow-ups in all and shown, overdue and due soon, and per status (of all)."""
    status = {s: 0 for s in FOLLOWUP_STATUSES}
    for r in every:
        status[r["status"]] = status.get(r["status"], 0) + 1
    return {"total": len(every), "shown": len(shown), **warnings(every), "status": status}


# -- the department's answer ----------------------------------------------------------------


@dataclass(frozen=True)
class AnswerChange:
    """What `PUT …/followups/<item>/answer` changes; a field left None stays as it is."""

    received: str | None = None
    clear_received: bool = False
    report: str | None = None
    assessment: str | None = None
    grade: str | None = None
    status: str | None = None

    def fields(self) -> dict[str, Any]:
        """The answer's fields this change sets (`received` None when it is cleared)."""
        out: dict[str, Any] = {}
        if self.received is not None or self.clear_received:
            out["received"] = self.received
        for name in ("report", "assessment", "grade"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out


def _day(value: Any, field: str) -> str:
    try:
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise BadInput("%(field)s 须为日期 YYYY-MM-DD 或 null。", field=field) from None
    return value


def answer_change(data: Any) -> AnswerChange:
    """Validate `{received?, report?, assessment?, grade?, status?}`: `received` is
    "YYYY-MM-DD" or null, `grade` '' / 'pass' / 'fail'."""
    data = _obj(data)
    _no_extra(data, {*ANSWER_FIELDS, "status"})
    if not data:
        raise BadInput("请给出 received、report、assessment、grade 或 status。")
    status = data.get("status")
    if "status" in data and status not in FOLLOWUP_STATUSES:
        raise BadInput("status 须为 %(known)s 之一。", known=", ".join(FOLLOWUP_STATUSES))
    grade = data.get("grade")
    if "grade" in data and grade not in GRADES:
        raise BadInput("grade 须为空、pass（合格）或 fail（不合格）。")
    received, clear = None, False
    if "received" in data:
        if data["received"] is None:
            clear = True
        else:
            received = _day(data["received"], "received")
    report = assessment = None
    if "report" in data:
        report = text(data["report"], "report", required=False, limit=MAX_REPORT)
    if "assessment" in data:
        assessment = text(data["assessment"], "assessment", required=False, limit=MAX_NOTES)
    return AnswerChange(received, clear, report, assessment, grade, status)
