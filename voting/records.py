"""The shapes of what the store returns: plain dicts, typed (the API sends them as JSON as-is).

Pure declarations: no Flask, no database. The store (`voting.storage`) builds them from its
rows; `voting.results` and `voting.views` build the results and the view models from them.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class Meeting(TypedDict):
    """A meeting's settings as the API shows them (`rule`, `combine`, `aspects` parsed)."""

    id: int
    title: str
    expected: int
    scale: str
    rule: dict[str, Any]
    combine: dict[str, Any]
    aspects: list[str]
    secret: bool
    allow_change: bool
    join_mode: str
    join_key: str
    screen_key: str
    quorum: float
    live_tallies: bool
    auto_close: bool
    followup_months: int
    created_at: str
    rehearsal: bool
    archived: bool
    speech_minutes: int  # 述法: minutes per oral report
    speech_opens_vote: bool  # an item's vote opens by itself when its speech ends


class Item(TypedDict):
    """One item (述法 report) of a meeting and its state."""

    id: int
    position: int
    subject: str
    person: str
    kind: str
    batch: str
    state: str
    closes_at: float | None
    speech_seconds: int | None  # its own time to speak; None: the meeting's speech_minutes
    followup_item: NotRequired[int]  # 整改情况: the item whose follow-up it reviews


class Turnout(TypedDict):
    """已投 per item (by item id as text), 实到 of the counted group and of all, 应到."""

    meeting: int
    expected: int
    present: int
    present_all: int
    voted: dict[str, int]


class MeetingView(Meeting):
    """A meeting with its items and its turnout (`Store.meeting`)."""

    items: list[Item]
    turnout: Turnout


class Card(TypedDict):
    """A card's row (`Store.card`, `Store.use_card`, `Store.join`)."""

    id: int
    meeting_id: int
    number: int
    token: str
    grp: str
    origin: str
    device: str | None
    present: int
    revoked: int


class CardListing(TypedDict):
    """A card as the console lists it (`Store.cards`): whether it is bound, not to what."""

    number: int
    token: str
    grp: str
    origin: str
    present: int
    revoked: int
    bound: int


class IssuedCard(TypedDict):
    number: int
    token: str
    group: str


class AspectResult(TypedDict):
    """One aspect of an item's result: combined, per group, and its paper ballots alone."""

    aspect: int
    name: str
    result: dict[str, Any]
    groups: dict[str, dict[str, Any]]
    paper: dict[str, int]
    paper_groups: dict[str, dict[str, int]]


class ItemResult(Item):
    aspects: list[AspectResult]
    rank: int | None


class Results(TypedDict):
    """The tallies of a meeting's items (`Store.results`)."""

    meeting: int
    title: str
    rehearsal: bool
    expected: int
    present: int
    scale: dict[str, Any]
    rule: dict[str, Any]
    combine: dict[str, Any]
    rule_text: str  # how a verdict is reached, in one line (`wording.rule_text`)
    rule_text_en: NotRequired[str]  # the same in English, in pushes (`views.revealed_results`)
    items: list[ItemResult]


class FollowupEntry(TypedDict):
    """A follow-up (整改) record as it is stored and as the audit log keeps it."""

    status: str
    due: str | None
    notes: str
    carried_from: int | None


class Followup(TypedDict):
    """A follow-up record as the API shows it: `overdue` is computed for the day asked about."""

    status: str
    due: str | None
    notes: str
    overdue: bool
    carried_from: int | None


class LedgerEvent(TypedDict):
    """One step in a follow-up's history, read from the audit log: `created` (the reveal),
    `followup` (status, due date or notes changed) or `answer` (the department's answer)."""

    at: str
    action: str
    status: str | None  # the status after the step
    before: str | None  # the status before it (None for `created`)
    changed: list[str]  # the fields the step changed


class LedgerEntry(TypedDict):
    """A follow-up (整改) as the ledger (整改台账) keeps it, across meetings (`storage.ledger`)."""

    item: int
    meeting: int
    meeting_title: str
    meeting_date: str  # the day its items were revealed (else the day it was created)
    archived: bool
    position: int
    subject: str  # the department
    person: str
    verdict: str | None  # the verdict that started it (from the reveal's audit entry)
    verdict_label: str | None
    status: str
    due: str | None
    notes: str
    carried_from: int | None
    received: str | None  # the day the department's 整改报告 was received
    report: str  # its text (its files: `files`)
    assessment: str  # the secretary's assessment of it
    grade: str  # '' (none yet), 'pass' (合格) or 'fail' (不合格)
    history: list[LedgerEvent]
    files: list[ShownMaterial]  # the files sent with its answer (`storage.answer_files`)


class LedgerRow(LedgerEntry):
    """A ledger entry with what is computed for the day asked about (`voting.ledger.row`)."""

    overdue: bool
    days_left: int | None  # days until the due date (negative once overdue); None when closed
    days_overdue: int | None
    due_soon: bool  # still open and due within `ledger.SOON` days


class PaperEntered(TypedDict):
    item: int
    aspect: int
    group: str
    paper: dict[str, int]


class Moved(TypedDict, total=False):
    """What a move did: each item's new state (and, for an undo, which step it took back)."""

    items: dict[str, str]
    undone: str
    action: str


class LastMove(TypedDict):
    action: str
    items: list[int]
    by: str | None
    at: str


class AuditEntry(TypedDict):
    id: int
    at: str
    meeting_id: int | None
    action: str
    detail: Any
    prev: str
    hash: str


class AuditHead(TypedDict):
    entries: int
    hash: str


class PhoneItem(TypedDict):
    id: int
    subject: str
    person: str
    kind: str
    batch: str
    seconds_left: int | None


class PhoneState(TypedDict):
    """The `state` event a phone receives (never a tally)."""

    meeting: dict[str, Any]
    scale: dict[str, Any]
    aspects: list[str]
    items: list[PhoneItem]
    voted: list[list[int]] | None
    revoked: bool
    withdrawn: NotRequired[list[int]]  # items a reset (or an undo) took back: `dispatch.WHY`
    reopened: NotRequired[list[int]]  # items a reopen (or an undo) brought back
    speech: NotRequired[dict[str, Any] | None]  # the 述法 running or paused (waiting phones)


class Material(TypedDict):
    """A material (看一看): its files are the page images or the text a phone shows."""

    id: int
    meeting_id: int
    item_id: int | None  # None: the meeting's general materials
    name: str
    kind: str  # pdf, image, docx, text
    pages: int  # page images (0: a text)
    bytes: int  # the uploaded file's size
    created_at: str


class MaterialListing(TypedDict):
    materials: list[Material]
    missing: list[int]  # items that have no material yet (缺少材料)
    reading_key: str | None  # the reading link's key; None: none, or withdrawn


class ShownMaterial(TypedDict):
    id: int
    name: str
    kind: str
    pages: int


class ShownItem(TypedDict):
    id: int
    subject: str
    person: str
    materials: list[ShownMaterial]


class ReadersView(TypedDict):
    """What a reader of the materials is shown (the reading link, a card, the console)."""

    meeting: int
    title: str
    general: list[ShownMaterial]
    items: list[ShownItem]
