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
