"""The item state machine: draft → open → closed → revealed.

Pure functions over plain values (no Flask, no database). The web layer asks this module whether
a secretary's move is legal and what the new state is; it then writes the result and the audit
entry itself.

Legal moves (``TRANSITIONS``)::

    draft  --open-->   open      voting starts
    open   --close-->  closed    voting stops
    closed --reveal--> revealed  the result is shown on the projector (final)
    closed --reopen--> open      undo of a close
    open   --reset-->  draft     discard the item's ballots and start again
    closed --reset-->  draft

Every refusal is a ``MoveRefused`` (a ``ValueError``) with a machine-readable ``code``:

=====================  ======================================================================
code                   meaning
=====================  ======================================================================
``bad_state``          the state is not one of draft / open / closed / revealed
``bad_action``         the action is not one of open / close / reveal / reopen / reset
``already_open``       open or reopen on an open item
``already_closed``     close on a closed item
``already_draft``      reset on a draft item (nothing to discard)
``already_revealed``   any move on a revealed item: a revealed result cannot be changed
``not_draft``          open on a closed item (use reopen)
``not_open``           close on a draft item (it was never opened)
``not_closed``         reveal or reopen on an item that is not closed
``unknown_item``       a batch names an id the meeting does not have
``empty``              a batch names no item
``duplicate_item``     a batch names the same item twice
``no_quorum``          too few members present to open voting
``bad_quorum``         negative counts or a ratio outside 0..1
``best_unreachable``   too few present for the best level ever to be reached under the rule
                       (majority of 应到: 满意 needs 30 of 60, 29 are present); the secretary
                       may go on after confirming (logged)
``nothing_to_undo``    undo before any move of the meeting
``cannot_undo``        undo of a reveal (final) or of a reset (its ballots are gone)
``started``            a setting other than the title (or the follow-up months) changed after
                       an item was opened
=====================  ======================================================================

The undo of a meeting's last move (``UNDO``): a close is undone by reopening, an open by a reset
(discarding the votes cast since), a reopen by closing again; a reveal and a reset cannot be
undone. A meeting's settings (``UNLOCKED_SETTINGS`` apart) are fixed once any item has left draft
(``settings_locked``): they decide how ballots are cast and counted.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType

from voting.errors import N_, MoveRefused

__all__ = [
    "TRANSITIONS",
    "UNDO",
    "UNLOCKED_SETTINGS",
    "Action",
    "MoveRefused",
    "State",
    "check_best_reachable",
    "check_quorum",
    "check_settings_change",
    "due_to_close",
    "next_state",
    "plan",
    "quorum_met",
    "seconds_left",
    "settings_locked",
    "undo_of",
    "voting_open",
]


class State(StrEnum):
    """The state of one item."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    REVEALED = "revealed"


class Action(StrEnum):
    """A secretary's move on an item."""

    OPEN = "open"  # draft → open: voting starts
    CLOSE = "close"  # open → closed: voting stops
    REVEAL = "reveal"  # closed → revealed: result shown on the projector
    REOPEN = "reopen"  # closed → open: undo of a close (not after reveal)
    RESET = "reset"  # open | closed → draft: discard the item's ballots (not after reveal)


TRANSITIONS: Mapping[tuple[State, Action], State] = MappingProxyType(
    {
        (State.DRAFT, Action.OPEN): State.OPEN,
        (State.OPEN, Action.CLOSE): State.CLOSED,
        (State.CLOSED, Action.REVEAL): State.REVEALED,
        (State.CLOSED, Action.REOPEN): State.OPEN,
        (State.OPEN, Action.RESET): State.DRAFT,
        (State.CLOSED, Action.RESET): State.DRAFT,
    }
)

# Refusal codes and messages for the illegal (state, action) pairs outside a revealed item.
_REFUSALS: Mapping[tuple[State, Action], tuple[str, str]] = MappingProxyType(
    {
        (State.DRAFT, Action.CLOSE): (
            "not_open",
            N_("第 %(item)s 项尚未开始测评；只有正在测评的事项可以结束。"),
        ),
        (State.DRAFT, Action.REVEAL): (
            "not_closed",
            N_("第 %(item)s 项尚未开始测评；只有已结束的事项可以揭晓。"),
        ),
        (State.DRAFT, Action.REOPEN): (
            "not_closed",
            N_("第 %(item)s 项尚未开始测评；只有已结束的事项可以重新开始。"),
        ),
        (State.DRAFT, Action.RESET): (
            "already_draft",
            N_("第 %(item)s 项尚未开始测评，无须重置：没有可作废的票。"),
        ),
        (State.OPEN, Action.OPEN): (
            "already_open",
            N_("第 %(item)s 项已在测评中；只有未开始的事项可以开始。"),
        ),
        (State.OPEN, Action.REVEAL): (
            "not_closed",
            N_("第 %(item)s 项正在测评；只有已结束的事项可以揭晓。请先结束测评。"),
        ),
        (State.OPEN, Action.REOPEN): (
            "already_open",
            N_("第 %(item)s 项已在测评中；只有已结束的事项可以重新开始。"),
        ),
        (State.CLOSED, Action.OPEN): (
            "not_draft",
            N_("第 %(item)s 项已结束；只有未开始的事项可以开始。继续测评请用“重新开始”。"),
        ),
        (State.CLOSED, Action.CLOSE): (
            "already_closed",
            N_("第 %(item)s 项已结束；只有正在测评的事项可以结束。"),
        ),
    }
)

# The same refusals for a move asked of no named item (``next_state``).
_UNNAMED: Mapping[str, str] = MappingProxyType(
    {
        "not_open": N_("该事项未在测评中。"),
        "not_closed": N_("该事项尚未结束测评。"),
        "already_draft": N_("该事项尚未开始测评，无须重置。"),
        "already_open": N_("该事项已在测评中。"),
        "not_draft": N_("该事项已开始过测评。"),
        "already_closed": N_("该事项已结束测评。"),
        "already_revealed": N_("该事项已揭晓，揭晓的结果不能更改。"),
    }
)


def _parse_state(state: State | str, item: int | None = None) -> State:
    """Turn a state or its string into a ``State``, or refuse with ``bad_state``."""
    try:
        return State(state)
    except (ValueError, TypeError):
        known = ", ".join(s.value for s in State)
        raise MoveRefused(
            "bad_state",
            "未知的事项状态 %(state)r，应为 %(known)s 之一。",
            item,
            state=state,
            known=known,
        ) from None


def _parse_action(action: Action | str) -> Action:
    """Turn an action or its string into an ``Action``, or refuse with ``bad_action``."""
    try:
        return Action(action)
    except (ValueError, TypeError):
        known = ", ".join(a.value for a in Action)
        raise MoveRefused(
            "bad_action", "未知的操作 %(action)r，应为 %(known)s 之一。", action=action, known=known
        ) from None


def _refusal(state: State, action: Action, item: int | None) -> MoveRefused:
    """The reason why ``action`` is not allowed on an item in ``state``."""
    if state is State.REVEALED:
        code, template = "already_revealed", N_("第 %(item)s 项已揭晓，揭晓的结果不能更改。")
    else:
        code, template = _REFUSALS[(state, action)]
    return MoveRefused(code, _UNNAMED[code] if item is None else template, item)


def _move(state: State | str, action: Action | str, item: int | None) -> State:
    """``next_state`` for a named item (the item goes into the refusal)."""
    current = _parse_state(state, item)
    act = _parse_action(action)
    target = TRANSITIONS.get((current, act))
    if target is None:
        raise _refusal(current, act, item)
    return target


def next_state(state: State | str, action: Action | str) -> State:
    """Return the state an item moves to when ``action`` is applied in ``state``.

    Raises ``MoveRefused`` with a readable reason for every illegal move, and with code
    ``bad_state`` / ``bad_action`` for a state or action that does not exist.
    """
    return _move(state, action, None)


def _is_id(item: object) -> bool:
    """True for a plain integer id (``bool`` is not an id)."""
    return isinstance(item, int) and not isinstance(item, bool)


def plan(
    states: Mapping[int, State | str], ids: Sequence[int], action: Action | str
) -> dict[int, State]:
    """Plan one batch move: ``{id: new_state}`` for every id, or a ``MoveRefused``.

    All-or-nothing: the ids must be non-empty (``empty``), each known (``unknown_item``), none
    twice (``duplicate_item``), and every move legal; the first bad id is refused by name and
    nothing is returned for the others.
    """
    act = _parse_action(action)
    if not ids:
        raise MoveRefused("empty", "没有指定事项。")
    result: dict[int, State] = {}
    for item in ids:
        if not _is_id(item) or item not in states:
            raise MoveRefused(
                "unknown_item",
                "%(named)r 不是本次会议的事项。",
                item if _is_id(item) else None,
                named=item,
            )
        if item in result:
            raise MoveRefused("duplicate_item", "第 %(item)s 项重复列出。", item)
        result[item] = _move(states[item], act, item)
    return result


def _threshold(expected: int, ratio: float | Fraction) -> Fraction:
    """``expected * ratio`` exactly, after checking the inputs."""
    if not _is_id(expected) or expected < 0:
        raise MoveRefused("bad_quorum", "应到人数须为不小于 0 的整数，而非 %(n)r。", n=expected)
    try:
        exact = Fraction(str(ratio)) if isinstance(ratio, float) else Fraction(ratio)
    except (ValueError, TypeError, ZeroDivisionError):
        exact = Fraction(-1)
    if not 0 <= exact <= 1:
        raise MoveRefused("bad_quorum", "法定比例须在 0 与 1 之间，而非 %(n)r。", n=ratio)
    # A float like 2/3 arrives as 0.6666666666666666; read it back as the fraction meant.
    return expected * exact.limit_denominator(10**6)


def _check_present(present: int) -> None:
    """Refuse a present count that is not a whole number ≥ 0."""
    if not _is_id(present) or present < 0:
        raise MoveRefused("bad_quorum", "实到人数须为不小于 0 的整数，而非 %(n)r。", n=present)


def quorum_met(present: int, expected: int, ratio: float = 0.5) -> bool:
    """True when ``present > expected * ratio`` (strictly more than half by default).

    Exact arithmetic: with 60 expected, 31 are needed; with 61, also 31; with ratio 2/3 and 60
    expected, 41. Raises ``MoveRefused("bad_quorum")`` for negative counts or a ratio outside 0..1.
    """
    _check_present(present)
    return present > _threshold(expected, ratio)


def check_quorum(
    present: int, expected: int, ratio: float = 0.5, *, override: bool = False
) -> None:
    """Refuse to open voting without a quorum, unless the secretary overrides.

    Raises ``MoveRefused("no_quorum", ...)`` with a message such as "应到 60 人，实到仅 30 人；
    须超过 30 人才能开始测评。" (in English: "Only 30 of 60 expected members present; …").
    """
    if quorum_met(present, expected, ratio) or override:
        return
    floor = math.floor(_threshold(expected, ratio))
    raise MoveRefused(
        "no_quorum",
        "应到 %(expected)s 人，实到仅 %(present)s 人；须超过 %(floor)s 人才能开始测评。",
        present=present,
        expected=expected,
        floor=floor,
    )


def check_best_reachable(
    present: int, needed: int, best: str = "满意", *, confirmed: bool = False
) -> None:
    """Refuse to open when fewer than ``needed`` are present: the best level cannot be reached.

    ``needed`` is the votes the rule asks of the best level (⌈应到/2⌉ under the default rule,
    ``rules.best_reachable``); 0 means the rule sets no such number. Raises
    ``MoveRefused("best_unreachable", ...)`` unless the secretary confirmed going on.
    """
    _check_present(present)
    if confirmed or present >= needed:
        return
    raise MoveRefused(
        "best_unreachable",
        "实到仅 %(present)s 人，而按评定规则，最高等次（%(best)s）须 %(needed)s 票："
        "任何事项都达不到。",
        present=present,
        best=best,
        needed=needed,
    )


def voting_open(state: State | str) -> bool:
    """True only for an open item (an unknown state is not open)."""
    return state == State.OPEN


def seconds_left(closes_at: float | None, now: float) -> int | None:
    """Whole seconds left on a countdown (rounded up, never negative); None without one."""
    if closes_at is None:
        return None
    return max(0, math.ceil(closes_at - now))


def due_to_close(items: Mapping[int, tuple[State | str, float | None]], now: float) -> list[int]:
    """Ids of open items whose countdown (``closes_at``, epoch seconds) has run out, sorted."""
    return sorted(
        item
        for item, (state, closes_at) in items.items()
        if voting_open(state) and closes_at is not None and closes_at <= now
    )


#: The move that takes back each undoable move.
UNDO: Mapping[Action, Action] = MappingProxyType(
    {Action.CLOSE: Action.REOPEN, Action.OPEN: Action.RESET, Action.REOPEN: Action.CLOSE}
)


def undo_of(last: Action | str | None) -> Action:
    """The move that undoes ``last`` (a meeting's latest move, None before any).

    Raises ``MoveRefused`` with ``nothing_to_undo`` before any move, ``cannot_undo`` for a reveal
    (a revealed result is final) or a reset (its ballots are gone), ``bad_action`` for an action
    that does not exist.
    """
    if last is None:
        raise MoveRefused("nothing_to_undo", "尚无可撤销的操作。")
    act = _parse_action(last)
    inverse = UNDO.get(act)
    if inverse is None:
        raise MoveRefused(
            "cannot_undo",
            N_("揭晓的结果不能撤销。")
            if act is Action.REVEAL
            else N_("重置不能撤销：其选票已作废。"),
        )
    return inverse


#: The settings that may change at any time; every other one is fixed once voting has started.
UNLOCKED_SETTINGS = frozenset({"title", "followup_months", "speech_minutes", "speech_opens_vote"})


def settings_locked(states: Iterable[State | str]) -> bool:
    """True once any item of the meeting (given by its states) has left draft."""
    return any(state != State.DRAFT for state in states)


def check_settings_change(changed: Iterable[str], states: Iterable[State | str]) -> None:
    """Refuse (``started``) to change a locked setting once voting has started."""
    if set(changed) - UNLOCKED_SETTINGS and settings_locked(states):
        raise MoveRefused(
            "started",
            "测评已开始：现在只能修改会议名称（和整改期限）。",
        )
