"""The follow-up ledger (整改台账): every follow-up of the real meetings, and the department's
answer on one.

A ledger entry is a row of `followups` with its item and meeting (rehearsals left out, archived
meetings kept), the verdict that started it and its history, both read from the audit log: the
reveal's entry names each follow-up it started with its verdict; each later change is a
`followup` entry (status, due date, notes: `storage.followups`) or a `followup_answer` entry
(the answer, here). A rehearsal turned real (`make_real`) or a meeting deleted voids what the
log said before of its items. What is computed for a day (overdue, days left) is
`voting.ledger`'s.

The answer (the day a 整改报告 was received, its text, the secretary's assessment and grade)
is kept on the follow-up's own row; files sent with a report are kept as the sitting's
materials are, keyed by the item (`storage.answer_files`), and each entry lists them.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime
from typing import Any

from voting import rules
from voting.ledger import ANSWER_FIELDS, AnswerChange
from voting.records import LedgerEntry, LedgerEvent, ShownMaterial
from voting.settings import FollowupChange
from voting.storage.answer_files import files_by_item
from voting.storage.audit import append_audit
from voting.storage.followups import own_followup, set_followup
from voting.storage.rows import now

_ACTIONS = (
    "reveal",
    "followup",
    "followup_answer",
    "followup_file",
    "followup_file_delete",
    "make_real",
    "delete_meeting",
)
_FOLLOWUP_FIELDS = ("status", "due", "notes")


class _Facts:
    """What the audit log says of each item's follow-up: its verdict, the day it was started,
    its history."""

    def __init__(self) -> None:
        self.verdict: dict[int, str | None] = {}
        self.started: dict[int, str] = {}
        self.history: dict[int, list[LedgerEvent]] = {}

    def forget(self, items: list[int]) -> None:
        for item in items:
            self.verdict.pop(item, None)
            self.started.pop(item, None)
            self.history.pop(item, None)

    def add(self, item: int, event: LedgerEvent) -> None:
        self.history.setdefault(item, []).append(event)


def _changed(before: dict[str, Any] | None, after: dict[str, Any], names: tuple[str, ...]) -> list:
    return [n for n in names if (before or {}).get(n) != after.get(n)]


def _read_entry(facts: _Facts, at: str, action: str, detail: dict[str, Any]) -> None:
    if action in ("make_real", "delete_meeting"):
        facts.forget([int(i) for i in detail.get("items", [])])
    elif action == "reveal":
        for key, started in (detail.get("followups") or {}).items():
            item = int(key)
            facts.forget([item])
            facts.verdict[item] = started.get("verdict")
            facts.started[item] = at
            facts.add(item, {"at": at, "action": "created", "status": started.get("status"),
                             "before": None, "changed": ["status", "due"]})  # fmt: skip
    elif action == "followup":
        before, after = detail.get("before"), detail.get("after") or {}
        facts.add(int(detail["item"]), {
            "at": at, "action": "followup", "status": after.get("status"),
            "before": (before or {}).get("status"),
            "changed": _changed(before, after, _FOLLOWUP_FIELDS),
        })  # fmt: skip
    elif action in ("followup_file", "followup_file_delete"):  # a file of the answer
        status = detail.get("status")
        facts.add(int(detail["item"]), {"at": at, "action": "answer", "status": status,
                                        "before": status, "changed": ["files"]})  # fmt: skip
    else:  # followup_answer: the status stays as it was
        status = detail.get("status")
        facts.add(int(detail["item"]), {
            "at": at, "action": "answer", "status": status, "before": status,
            "changed": _changed(detail.get("before"), detail.get("after") or {}, ANSWER_FIELDS),
        })  # fmt: skip


def _facts(conn: sqlite3.Connection, meetings: set[int]) -> _Facts:
    """The audit log read for the follow-ups of `meetings`, in order."""
    facts = _Facts()
    marks = ", ".join("?" * len(_ACTIONS))
    rows = conn.execute(
        f"SELECT at, meeting_id, action, detail FROM audit WHERE action IN ({marks}) ORDER BY id",
        _ACTIONS,
    )
    for at, meeting_id, action, detail in rows:
        if meeting_id not in meetings or (action == "reveal" and '"followups"' not in detail):
            continue
        _read_entry(facts, at, action, json.loads(detail))
    return facts


def _local_day(stamp: str | None) -> str:
    """The local date of a stored UTC time stamp ('' if there is none)."""
    if not stamp:
        return ""
    try:
        return datetime.fromisoformat(stamp).astimezone().date().isoformat()
    except ValueError:
        return stamp[:10]


_SELECT = """SELECT f.*, i.subject, i.person, i.position, i.meeting_id, m.title, m.created_at,
    m.archived, m.scale FROM followups f JOIN items i ON i.id = f.item_id
    JOIN meetings m ON m.id = i.meeting_id"""


def entries(
    conn: sqlite3.Connection, item: int | None = None, history: bool = True
) -> list[LedgerEntry]:
    """Every follow-up of the real meetings (archived ones too), or only `item`'s (of any
    meeting), with what the audit log says of each (without `history`, the log is not read:
    no verdict, no history, the meeting's date the day it was made; enough for the warnings,
    which every console page asks for)."""
    if item is None:
        rows = conn.execute(_SELECT + " WHERE m.rehearsal = 0").fetchall()
    else:
        rows = conn.execute(_SELECT + " WHERE f.item_id = ?", (item,)).fetchall()
    facts = _facts(conn, {r["meeting_id"] for r in rows}) if history else _Facts()
    files = files_by_item(conn)
    return [_entry(r, facts, files.get(r["item_id"], [])) for r in rows]


def _entry(r: sqlite3.Row, facts: _Facts, files: list[ShownMaterial]) -> LedgerEntry:
    item = r["item_id"]
    verdict = facts.verdict.get(item)
    label = None
    if verdict is not None:
        try:
            label = rules.get_scale(r["scale"]).label(verdict)
        except (KeyError, ValueError):
            label = verdict
    return {
        "item": item, "meeting": r["meeting_id"], "meeting_title": r["title"],
        "meeting_date": _local_day(facts.started.get(item) or r["created_at"]),
        "archived": bool(r["archived"]), "position": r["position"], "subject": r["subject"],
        "person": r["person"], "verdict": verdict, "verdict_label": label,
        "status": r["status"], "due": r["due"], "notes": r["notes"],
        "carried_from": r["carried_from"], "received": r["received"], "report": r["report"],
        "assessment": r["assessment"], "grade": r["grade"],
        "history": facts.history.get(item, []), "files": files,
    }  # fmt: skip


def _answer_of(row: sqlite3.Row) -> dict[str, Any]:
    return {name: row[name] for name in ANSWER_FIELDS}


def set_answer(
    conn: sqlite3.Connection, meeting_id: int, item_id: int, change: AnswerChange, today: date
) -> LedgerEntry:
    """Record the department's answer on the item's own follow-up (and its status, when
    given, as `set_followup` does: its own audit entry). Audit-logged as `followup_answer`
    `{item, status, before, after}` when the answer changed."""
    found = own_followup(conn, meeting_id, item_id)
    if change.status is not None and change.status != found["status"]:
        set_followup(conn, meeting_id, item_id, FollowupChange(status=change.status), today)
    before = _answer_of(found)
    after = {**before, **change.fields()}
    if after != before:
        conn.execute(
            "UPDATE followups SET received = ?, report = ?, assessment = ?, grade = ?,"
            " updated_at = ? WHERE item_id = ?",
            (after["received"], after["report"], after["assessment"], after["grade"], now(),
             item_id),
        )  # fmt: skip
        status = change.status or found["status"]
        detail = {"item": item_id, "status": status, "before": before, "after": after}
        append_audit(conn, meeting_id, "followup_answer", detail)
    return entries(conn, item_id)[0]
