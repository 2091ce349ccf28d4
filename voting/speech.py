"""The 述法 speech timer: what a speech's stored times say at a moment, and which step is legal.

Pure functions over plain values (no Flask, no database). A speech is stored as the moment it
started, the moment it was paused (or None while it runs), the seconds spent paused before, the
moment it ended (or None) and the seconds it was given. Everything else — elapsed, remaining,
the phase the projector colours — follows from those and `now`, so a projector that reloads, or a
server that restarts, shows the same time: the speech went on in the hall.

Steps (``STEPS``)::

    (none)  --start-->   running
    running --pause-->   paused     the clock stops; a pause does not count
    paused  --resume-->  running
    running --end-->     ended      final: the time spoken is kept for the report
    paused  --end-->     ended

Phases of a speech that is not over its time: ``normal``; ``warning`` once at most
``WARNING_SECONDS`` are left (the projector turns amber); ``over`` at 0 and after (red, counting
the overrun).

Every refusal is a ``Refused`` (409) with a machine-readable ``code``:

===================  =========================================================================
code                 meaning
===================  =========================================================================
``bad_step``         the step is not one of start / pause / resume / end
``not_started``      pause, resume or end of a speech that was never started
``already_started``  start of a speech that is running or paused
``already_ended``    any step of a speech that has ended (its time is final)
``already_paused``   pause of a paused speech
``not_paused``       resume of a speech that runs
``not_oral``         a speech for an item that is not an oral report (现场述法)
``not_draft``        start of a speech for an item whose vote has begun
``another_speech``   start while another item's speech of the meeting is running or paused
===================  =========================================================================
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TypedDict

from voting.errors import N_, Refused

__all__ = [
    "STEPS",
    "WARNING_SECONDS",
    "Speech",
    "Timer",
    "apply",
    "check_item",
    "check_one_at_a_time",
    "elapsed",
    "phase",
    "status",
    "timer",
]

STEPS = ("start", "pause", "resume", "end")
WARNING_SECONDS = 60  # the projector turns amber with a minute left


@dataclass(frozen=True)
class Speech:
    """One item's speech as stored (epoch seconds on the app's clock)."""

    started_at: float
    allotted: int  # seconds given
    paused_at: float | None = None
    paused_total: float = 0.0
    ended_at: float | None = None


class Timer(TypedDict):
    """A speech at a moment, as the projector, the console and the phones are sent it."""

    item: int
    allotted: int
    elapsed: int
    remaining: int  # negative once over the time
    overrun: int  # seconds over the time, 0 until then
    status: str  # running / paused / ended
    phase: str  # normal / warning / over


def status(s: Speech) -> str:
    """``running``, ``paused`` or ``ended``."""
    if s.ended_at is not None:
        return "ended"
    return "paused" if s.paused_at is not None else "running"


def elapsed(s: Speech, now: float) -> float:
    """Seconds spoken: from the start to now (or to the pause, or the end), less the pauses.

    Never negative, and never more than the time since the start (a clock set back, or stored
    times out of order, cannot make it so).
    """
    stop = s.ended_at if s.ended_at is not None else s.paused_at
    until = now if stop is None else min(stop, now)
    return max(0.0, until - s.started_at - max(0.0, s.paused_total))


def phase(remaining: float) -> str:
    """``normal``, ``warning`` (at most a minute left) or ``over`` (no time left)."""
    if remaining <= 0:
        return "over"
    return "warning" if remaining <= WARNING_SECONDS else "normal"


def timer(s: Speech, item: int, now: float) -> Timer:
    """The speech at `now`: whole seconds (elapsed rounded down, so the remaining time shown
    is the one a countdown shows: 8:00 at the start, 0:00 at the end)."""
    spoken = math.floor(elapsed(s, now))
    remaining = s.allotted - spoken
    return {
        "item": item,
        "allotted": s.allotted,
        "elapsed": spoken,
        "remaining": remaining,
        "overrun": max(0, -remaining),
        "status": status(s),
        "phase": phase(remaining),
    }


_STEP_REFUSALS = {
    ("running", "start"): ("already_started", N_("第 %(item)s 项的述法已在计时。")),
    ("paused", "start"): ("already_started", N_("第 %(item)s 项的述法已暂停，请用“继续”。")),
    ("running", "resume"): ("not_paused", N_("第 %(item)s 项的述法正在计时，无须继续。")),
    ("paused", "pause"): ("already_paused", N_("第 %(item)s 项的述法已暂停。")),
}


def apply(
    s: Speech | None, step: str, now: float, allotted: int, item: int | None = None
) -> Speech:
    """The speech after `step` at `now` (`allotted`: the seconds a new speech is given), or a
    ``Refused`` saying why the step is not legal now (`item` goes into the refusal)."""
    if step not in STEPS:
        raise Refused(
            "bad_step", N_("未知的述法操作 %(step)r，应为 %(known)s 之一。"), item,
            step=step, known=", ".join(STEPS),
        )  # fmt: skip
    if s is None:
        if step != "start":
            raise Refused("not_started", N_("第 %(item)s 项的述法尚未开始。"), item)
        return Speech(started_at=now, allotted=allotted)
    current = status(s)
    if current == "ended":
        raise Refused("already_ended", N_("第 %(item)s 项的述法已结束，用时已记录。"), item)
    refusal = _STEP_REFUSALS.get((current, step))
    if refusal is not None:
        raise Refused(refusal[0], refusal[1], item)
    if step == "pause":
        return replace(s, paused_at=now)
    resumed = s
    if s.paused_at is not None:  # resume, or end while paused: the pause does not count
        resumed = replace(
            s, paused_at=None, paused_total=s.paused_total + max(0.0, now - s.paused_at)
        )
    return resumed if step == "resume" else replace(resumed, ended_at=now)


def check_item(kind: str, state: str, step: str, item: int | None = None) -> None:
    """Refuse a speech for an item that is not an oral report, or a start once its vote began."""
    if kind != "oral":
        raise Refused("not_oral", N_("第 %(item)s 项不是现场述法，无须计时。"), item)
    if step == "start" and state != "draft":
        raise Refused("not_draft", N_("第 %(item)s 项已开始过测评，不能再开始述法。"), item)


def check_one_at_a_time(step: str, unfinished: int | None, item: int | None = None) -> None:
    """Refuse to start a speech while another item's (`unfinished`, or None) is not over."""
    if step == "start" and unfinished is not None and unfinished != item:
        raise Refused(
            "another_speech",
            N_("第 %(other)s 项的述法尚未结束，请先结束它。"),
            item,
            other=unfinished,
        )
