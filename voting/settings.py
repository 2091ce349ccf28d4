"""Validation of the data a secretary sends: meeting settings, items, card requests, votes.

Pure functions: each takes decoded JSON and returns clean values or raises `BadInput` with a
readable message that names the field. Nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from voting import rules
from voting.errors import BadInput

MAX_TITLE = 200
MAX_TEXT = 200
MAX_EXPECTED = 10_000
MAX_ITEMS = 500
MAX_CARDS = 5_000
MAX_VOTES = 500
MAX_COMMENT = 500
MAX_NOTES = 2000
FOLLOWUP_STATUSES = ("pending", "in_progress", "done", "re_evaluate")
KINDS = ("oral", "written", "other", "rectification")
GROUP_RE = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
DEFAULT_ASPECTS = ("总体评价",)
MIN_SPEECH, MAX_SPEECH = 30, 3600  # an item's own time to speak, in seconds
SPEECH_ACTIONS = ("start", "pause", "resume", "end")  # voting.speech.STEPS


def _obj(data: Any, n: int | None = None) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        if n is not None:
            raise BadInput("第 %(n)s 项须为 JSON 对象。", n=n)
        raise BadInput("请求内容须为 JSON 对象。")
    return data


def _no_extra(data: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(str(k) for k in data if k not in allowed)
    if extra:
        raise BadInput("有未知的字段：%(names)s。", names=", ".join(extra))


def text(value: Any, field: str, *, required: bool = True, limit: int = MAX_TEXT) -> str:
    """A trimmed string of at most `limit` characters."""
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadInput("“%(field)s”须为字符串。", field=field)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise BadInput("“%(field)s”不是有效的文本（UTF-8）。", field=field) from None
    value = value.strip()
    if required and not value:
        raise BadInput("“%(field)s”不能为空。", field=field)
    if len(value) > limit:
        raise BadInput("“%(field)s”超过 %(limit)s 个字符。", field=field, limit=limit)
    return value


def integer(value: Any, field: str, low: int, high: int) -> int:
    """A whole number within [low, high] (booleans are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadInput("“%(field)s”须为整数。", field=field)
    if not low <= value <= high:
        raise BadInput(
            "“%(field)s”须在 %(low)s 到 %(high)s 之间。", field=field, low=low, high=high
        )
    return value


def flag(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise BadInput("“%(field)s”须为 true 或 false。", field=field)
    return value


def group(value: Any, field: str = "group") -> str:
    """A voter group key such as 'member' (常委会组成人员) or 'deputy' (列席代表)."""
    if value is None:
        return "member"
    if not isinstance(value, str) or not GROUP_RE.match(value):
        raise BadInput("“%(field)s”须为简短的小写英文键，如 member 或 deputy。", field=field)
    return value


@dataclass(frozen=True)
class MeetingSettings:
    title: str
    expected: int
    scale: str = "satisfaction"
    rule: dict | None = None
    combine: dict | None = None
    aspects: tuple[str, ...] = DEFAULT_ASPECTS
    secret: bool = True
    allow_change: bool = False
    join_mode: str = "cards"
    quorum: float = 0.5
    live_tallies: bool = False
    auto_close: bool = False
    followup_months: int = 3  # months a department that fell short has to rectify (整改)
    rehearsal: bool = False  # 演练: says so everywhere, feeds no trend nor carry-over
    speech_minutes: int = 8  # 述法: the time per oral report (an item may have its own)
    speech_opens_vote: bool = False  # open an item's vote by itself when its speech ends


#: What `PATCH /api/meetings/<id>` may change: everything but `rehearsal`, which only
#: `POST /api/meetings/<id>/make-real` turns off (discarding what the rehearsal recorded).
MEETING_FIELDS = set(MeetingSettings.__dataclass_fields__) - {"rehearsal"}


def meeting_settings(data: Any) -> MeetingSettings:
    """Validate `POST /api/meetings`."""
    data = _obj(data)
    _no_extra(data, MEETING_FIELDS | {"rehearsal"})
    if "title" not in data or "expected" not in data:
        raise BadInput("会议须有名称（title）和应到人数（expected）。")
    try:
        scale = rules.get_scale(data.get("scale"))
        rule = rules.parse_rule(data.get("rule"))
        combine = rules.parse_combine(data.get("combine"))
    except rules.RuleError as exc:
        raise BadInput(exc.template, **exc.params) from None
    group(combine.group, "combine.group")
    for key in combine.weights or {}:
        group(key, "combine.weights")
    if (
        rule.kind == "threshold"
        and not scale.score
        and len(rule.thresholds) != len(scale.levels) - 1
    ):
        raise BadInput(
            "量表 %(scale)s 的阈值规则须有 %(needed)s 个阈值。",
            scale=scale.key,
            needed=len(scale.levels) - 1,
        )
    aspects = data.get("aspects", list(DEFAULT_ASPECTS))
    if not isinstance(aspects, list) or not 1 <= len(aspects) <= 5:
        raise BadInput("测评维度（aspects）须为 1 到 5 个名称的列表。")
    aspects = tuple(text(a, "aspects", limit=40) for a in aspects)
    if len(set(aspects)) != len(aspects):
        raise BadInput("测评维度（aspects）的名称不能重复。")
    join_mode = data.get("join_mode", "cards")
    if join_mode not in ("cards", "open"):
        raise BadInput("加入方式（join_mode）须为 cards 或 open。")
    quorum = data.get("quorum", 0.5)
    if isinstance(quorum, bool) or not isinstance(quorum, int | float) or not 0 <= quorum < 1:
        raise BadInput("法定比例（quorum）须为 0 到 1 之间（不含 1）的小数，如 0.5。")
    return MeetingSettings(
        title=text(data["title"], "title", limit=MAX_TITLE),
        expected=integer(data["expected"], "expected", 1, MAX_EXPECTED),
        scale=scale.key,
        rule=rule.to_dict(),
        combine=combine.to_dict(),
        aspects=aspects,
        secret=flag(data.get("secret", True), "secret"),
        allow_change=flag(data.get("allow_change", False), "allow_change"),
        join_mode=join_mode,
        quorum=float(quorum),
        live_tallies=flag(data.get("live_tallies", False), "live_tallies"),
        auto_close=flag(data.get("auto_close", False), "auto_close"),
        followup_months=integer(data.get("followup_months", 3), "followup_months", 1, 24),
        rehearsal=flag(data.get("rehearsal", False), "rehearsal"),
        speech_minutes=integer(data.get("speech_minutes", 8), "speech_minutes", 1, 60),
        speech_opens_vote=flag(data.get("speech_opens_vote", False), "speech_opens_vote"),
    )


def meeting_changes(current: Mapping[str, Any], data: Any) -> dict[str, Any]:
    """Validate `PATCH /api/meetings/<id>`: some settings, checked together with the rest.

    Returns only the settings that differ from `current`, in their stored form.
    """
    data = _obj(data)
    _no_extra(data, MEETING_FIELDS)
    merged = meeting_settings({**{k: current[k] for k in MEETING_FIELDS}, **data})
    clean = {k: getattr(merged, k) for k in data}
    clean = {k: list(v) if isinstance(v, tuple) else v for k, v in clean.items()}
    return {k: v for k, v in clean.items() if v != current[k]}


def item_changes(data: Any) -> dict[str, Any]:
    """Validate `PATCH /api/meetings/<id>/items/<item>`: any of subject, person, kind, batch,
    speech_seconds (the item's own time to speak, 30–3600 seconds; null: the meeting's)."""
    data = _obj(data)
    _no_extra(data, {"subject", "person", "kind", "batch", "speech_seconds"})
    out: dict[str, Any] = {}
    if "subject" in data:
        out["subject"] = text(data["subject"], "subject")
    if "person" in data:
        out["person"] = text(data["person"], "person", required=False)
    if "kind" in data:
        if data["kind"] not in KINDS:
            raise BadInput("kind 须为 %(kinds)s 之一。", kinds=", ".join(KINDS))
        out["kind"] = data["kind"]
    if "batch" in data:
        out["batch"] = text(data["batch"], "batch", required=False, limit=40)
    if "speech_seconds" in data:
        seconds = data["speech_seconds"]
        out["speech_seconds"] = (
            None if seconds is None else integer(seconds, "speech_seconds", MIN_SPEECH, MAX_SPEECH)
        )
    return out


def item_order(data: Any) -> list[int]:
    """Validate `POST /api/meetings/<id>/items/order`: `{items: [every item id, in order]}`."""
    data = _obj(data)
    _no_extra(data, {"items"})
    ids = data.get("items")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_ITEMS:
        raise BadInput("items 须为 1 到 %(most)s 个事项编号的列表。", most=MAX_ITEMS)
    return [integer(i, "items[]", 1, 2**62) for i in ids]


def copy_request(data: Any) -> str | None:
    """Validate `POST /api/meetings/<id>/copy`: `{title?}`."""
    data = _obj(data)
    _no_extra(data, {"title"})
    return text(data.get("title"), "title", required=False, limit=MAX_TITLE) or None


def confirm_request(data: Any) -> bool:
    """Validate `POST /api/meetings/<id>/make-real`: `{confirm?}` (without it: what would go)."""
    data = _obj(data)
    _no_extra(data, {"confirm"})
    return flag(data.get("confirm", False), "confirm")


@dataclass(frozen=True)
class NewItem:
    subject: str
    person: str = ""
    kind: str = "oral"
    batch: str = ""


def new_items(data: Any) -> list[NewItem]:
    """Validate `POST /api/meetings/<id>/items`: `{items: [{subject, person, kind, batch?}]}`."""
    data = _obj(data)
    _no_extra(data, {"items"})
    items = data.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ITEMS:
        raise BadInput("items 须为 1 到 %(most)s 个事项的列表。", most=MAX_ITEMS)
    out = []
    for n, item in enumerate(items, 1):
        item = _obj(item, n)
        _no_extra(item, {"subject", "person", "kind", "batch"})
        kind = item.get("kind", "oral")
        if kind not in KINDS:
            raise BadInput("第 %(n)s 项：kind 须为 %(kinds)s 之一。", n=n, kinds=", ".join(KINDS))
        out.append(
            NewItem(
                subject=text(item.get("subject"), f"items[{n}].subject"),
                person=text(item.get("person"), f"items[{n}].person", required=False),
                kind=kind,
                batch=text(item.get("batch"), f"items[{n}].batch", required=False, limit=40),
            )
        )
    return out


def card_request(data: Any) -> tuple[int, str, bool]:
    """Validate `POST /api/meetings/<id>/cards`: `{count, group?, confirm?}`."""
    data = _obj(data)
    _no_extra(data, {"count", "group", "confirm"})
    confirm = data.get("confirm", False)
    if not isinstance(confirm, bool):
        raise BadInput("confirm 须为 true 或 false。")
    return integer(data.get("count"), "count", 1, MAX_CARDS), group(data.get("group")), confirm


def speech_action(data: Any) -> str:
    """Validate `POST /api/meetings/<id>/items/<item>/speech`: `{action}`."""
    data = _obj(data)
    _no_extra(data, {"action"})
    action = data.get("action")
    if action not in SPEECH_ACTIONS:
        known = ", ".join(f'"{a}"' for a in SPEECH_ACTIONS)
        raise BadInput("“action”须为 %(known)s 之一。", known=known)
    return str(action)


@dataclass(frozen=True)
class Move:
    items: tuple[int, ...]
    override_quorum: bool = False
    seconds: int | None = None  # a countdown that closes the items by itself
    accept_unreachable: bool = False  # open although the best level is out of reach


def move(data: Any, action: str) -> Move:
    """Validate `POST /api/meetings/<id>/<action>`:
    `{items: [ids], override_quorum?, accept_unreachable?, seconds?}`."""
    data = _obj(data)
    opening = {"items", "override_quorum", "accept_unreachable", "seconds"}
    allowed = opening if action == "open" else {"items"}
    _no_extra(data, allowed)
    ids = data.get("items")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_ITEMS:
        raise BadInput("items 须为 1 到 %(most)s 个事项编号的列表。", most=MAX_ITEMS)
    ids = tuple(integer(i, "items[]", 1, 2**62) for i in ids)
    seconds = data.get("seconds")
    return Move(
        items=ids,
        override_quorum=flag(data.get("override_quorum", False), "override_quorum"),
        seconds=None if seconds is None else integer(seconds, "seconds", 5, 24 * 3600),
        accept_unreachable=flag(data.get("accept_unreachable", False), "accept_unreachable"),
    )


class Vote(NamedTuple):
    """One vote of a `vote` message (a named tuple: a message makes up to 500 of them, and
    a frozen dataclass took 0.5 µs to make each, a tuple 0.2 µs)."""

    item: int
    aspect: int
    choice: str
    ballot: str
    comment: str = ""  # 意见建议, optional; stored apart from the ballot (storage/ballots.py)


VOTE_FIELDS = frozenset({"item", "choice", "ballot", "aspect", "comment"})


def votes(data: Any) -> list[Vote]:
    """Validate a voter's `vote` event:
    `{"votes": [{"item", "choice", "ballot", "aspect"?, "comment"?}]}`.

    Only the shape is checked here; whether the item is open and the choice is on its scale is
    decided inside the transaction that records the votes.
    """
    if not isinstance(data, Mapping):
        raise BadInput("投票须为含 votes 列表的对象。", "bad_payload")
    if set(data) - {"votes"}:
        raise BadInput("投票只有 votes 一个字段。", "bad_payload")
    entries = data.get("votes")
    if not isinstance(entries, list) or not entries:
        raise BadInput("votes 须为非空列表。", "bad_payload")
    if len(entries) > MAX_VOTES:
        raise BadInput("一次最多提交 %(most)s 票。", "too_large", most=MAX_VOTES)
    out: list[Vote] = []
    seen: set[tuple[int, int]] = set()
    ballots: set[str] = set()
    for entry in entries:
        if not isinstance(entry, Mapping) or not VOTE_FIELDS.issuperset(entry):
            raise BadInput("每一票为 {item, choice, ballot, aspect?, comment?}。", "bad_payload")
        item, aspect = entry.get("item"), entry.get("aspect", 0)
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**62:
            raise BadInput("item 须为事项编号。", "bad_payload")
        if isinstance(aspect, bool) or not isinstance(aspect, int) or not 0 <= aspect < 5:
            raise BadInput("aspect 须为 0 到 4。", "bad_payload")
        choice = entry.get("choice")
        if isinstance(choice, int) and not isinstance(choice, bool):
            choice = str(choice)
        if not isinstance(choice, str) or not 0 < len(choice) <= 32:
            raise BadInput("choice 须为量表的一个选项。", "bad_choice")
        ballot = _ballot_id(entry.get("ballot"))
        if (item, aspect) in seen or ballot in ballots:
            raise BadInput("每个事项只投一票，每票的 ballot 各不相同。", "bad_payload")
        try:
            comment = text(entry.get("comment"), "comment", required=False, limit=MAX_COMMENT)
        except BadInput as exc:
            raise BadInput(exc.template, "bad_comment", **exc.params) from None
        seen.add((item, aspect))
        ballots.add(ballot)
        out.append(Vote(item, aspect, choice, ballot, comment))
    return out


UUID4_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def _ballot_id(value: Any) -> str:
    """A ballot id is a random (version 4) UUID the phone made, in canonical lowercase form.

    Only random ids are accepted: ballots are stored in the order of their ids, so an id that
    grows with time (version 1, 6, 7) would keep the voting order.
    """
    if isinstance(value, str) and len(value) == 36:
        value = value.lower()
        if UUID4_RE.fullmatch(value):
            return value
    raise BadInput("ballot 须为随机的 UUID（第 4 版）。", "bad_payload")


@dataclass(frozen=True)
class PaperEntry:
    counts: dict[str, int]
    aspect: int = 0
    group: str = "member"


def paper_entry(data: Any) -> PaperEntry:
    """Validate `POST /api/meetings/<id>/items/<item>/paper`: `{counts: {choice: n}, aspect?,
    group?}` — the paper ballots (补录) of one item, aspect and group. Whether the choices are
    on the meeting's scale is decided by the store."""
    data = _obj(data)
    _no_extra(data, {"counts", "aspect", "group"})
    counts = data.get("counts")
    if not isinstance(counts, Mapping) or not 1 <= len(counts) <= 101:
        raise BadInput("counts 须为对象 {选项: 纸质票数}。")
    clean = {}
    for key, n in counts.items():
        if not isinstance(key, str) or not 0 < len(key) <= 32:
            raise BadInput("counts 的每个键须为量表的选项。")
        clean[key] = integer(n, f"counts.{key}", 0, MAX_EXPECTED)
    return PaperEntry(
        counts=clean,
        aspect=integer(data.get("aspect", 0), "aspect", 0, 4),
        group=group(data.get("group")),
    )


@dataclass(frozen=True)
class FollowupChange:
    status: str | None = None
    due: str | None = None
    clear_due: bool = False
    notes: str | None = None


def followup_change(data: Any) -> FollowupChange:
    """Validate `PUT /api/meetings/<id>/followups/<item>`: `{status?, due?, notes?}`; `due` is
    "YYYY-MM-DD" or null (no date)."""
    data = _obj(data)
    _no_extra(data, {"status", "due", "notes"})
    if not data:
        raise BadInput("请给出 status、due 或 notes。")
    status = data.get("status")
    if "status" in data and status not in FOLLOWUP_STATUSES:
        raise BadInput("status 须为 %(known)s 之一。", known=", ".join(FOLLOWUP_STATUSES))
    due, clear_due = None, False
    if "due" in data:
        if data["due"] is None:
            clear_due = True
        else:
            due = data["due"]
            try:
                if not isinstance(due, str) or len(due) != 10:
                    raise ValueError
                date.fromisoformat(due)
            except ValueError:
                raise BadInput("due 须为日期 YYYY-MM-DD 或 null。") from None
    notes = None
    if "notes" in data:
        notes = text(data["notes"], "notes", required=False, limit=MAX_NOTES)
    return FollowupChange(status=status, due=due, clear_due=clear_due, notes=notes)


def followup_ref(data: Any) -> int:
    """Validate `POST /api/meetings/<id>/items/from-followup`: `{followup: item}`, the item
    whose follow-up (marked 再次测评) is brought to this meeting."""
    data = _obj(data)
    _no_extra(data, {"followup"})
    return integer(data.get("followup"), "followup", 1, 2**62)


SCREEN_VIEWS = ("live", "previous_round")


def screen_view(data: Any) -> str:
    """Validate `POST /api/meetings/<id>/screen-view`: `{view}`, one of `SCREEN_VIEWS`."""
    data = _obj(data)
    _no_extra(data, {"view"})
    view = data.get("view")
    if view not in SCREEN_VIEWS:
        raise BadInput("“view”须为“live”（回到测评）或“previous_round”（上一轮整改情况）。")
    return str(view)
