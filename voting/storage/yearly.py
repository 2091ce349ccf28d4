"""The parts of `Store` around the vote: the 述法 speech timer, and the year after it: the
follow-ups (整改), the ledger (整改台账), the department's answer and the next round.

Mixins of `Store` (facade.py), which keeps the connection, the writer and what a write tells the
rest of the app; each method here hands its job to the module that knows it (`speech`,
`followups`, `ledger`, `nextround`), as the facade's own methods do.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from voting import clock
from voting.errors import CepingError
from voting.ledger import AnswerChange
from voting.records import Followup, Item, LedgerEntry, Moved
from voting.rounds import PreviousRound
from voting.settings import FollowupChange, Move
from voting.signals import records_changed
from voting.storage import followups, ledger, nextround
from voting.storage import speech as speeches
from voting.storage.rows import item_of, meeting_row

if TYPE_CHECKING:
    from blinker import NamedSignal

    from voting.writer import Writer

logger = logging.getLogger(__name__)
T = TypeVar("T")
Job = Callable[[sqlite3.Connection], T]


class _Facade:
    """What the mixins use of `Store` (defined in facade.py)."""

    writer: Writer

    if TYPE_CHECKING:

        def read(self, fn: Job[T]) -> T: ...
        def _write(self, job: Job[T]) -> T: ...
        def _tell(self, signal: NamedSignal, **data: Any) -> None: ...
        def _moved(
            self, meeting_id: int, action: str, items: Iterable[int], actor: str = "secretary"
        ) -> None: ...
        def move(self, meeting_id: int, request: Move, action: str) -> Moved: ...


class FollowupMethods(_Facade):
    """Follow-ups, the ledger, the department's answer, the next round."""

    def followups(self, meeting_id: int, today: date | None = None) -> dict[int, Followup]:
        """Item id → its follow-up (整改) record, for the items that have one.

        An item whose own record is missing but whose department (same `subject`) has a record
        in an earlier meeting shows that record, with `carried_from` naming the earlier item.
        """
        day = today or clock.today()
        return self.read(lambda conn: followups.followups_of(conn, meeting_id, day))

    def followup(self, meeting_id: int, item_id: int, today: date | None = None) -> Followup | None:
        """One item's follow-up record (its own or carried), or None."""
        day = today or clock.today()

        def q(conn: sqlite3.Connection) -> Followup | None:
            item_of(conn, meeting_id, item_id)
            return followups.followups_of(conn, meeting_id, day).get(item_id)

        return self.read(q)

    def set_followup(
        self, meeting_id: int, item_id: int, change: FollowupChange, today: date | None = None
    ) -> Followup:
        """Change an item's follow-up record (creating the item's own one if it has none: from
        the record it carries, if any, else a new `pending` one). Audit-logged."""
        day = today or clock.today()

        def job(conn: sqlite3.Connection) -> Followup:
            done = followups.set_followup(conn, meeting_id, item_id, change, day)
            self._tell(records_changed, meeting_id=meeting_id, what="followup")
            return done

        return self._write(job)

    def ledger(self, history: bool = True) -> list[LedgerEntry]:
        """Every follow-up of the real meetings, archived ones too (`storage.ledger`); without
        `history` (for the warnings) the audit log is not read."""
        return self.read(lambda conn: ledger.entries(conn, history=history))

    def set_answer(self, meeting_id: int, item_id: int, change: AnswerChange) -> LedgerEntry:
        """Record a department's answer on its follow-up (and its status); audit-logged."""
        day = clock.today()

        def job(conn: sqlite3.Connection) -> LedgerEntry:
            done = ledger.set_answer(conn, meeting_id, item_id, change, day)
            self._tell(records_changed, meeting_id=meeting_id, what="followup")
            return done

        return self._write(job)

    def add_from_followup(self, meeting_id: int, followup_item: int) -> Item:
        """Bring the department of a follow-up marked 再次测评 to a later real meeting as an item
        of kind 整改情况 linked to the follow-up (`nextround.add_from_followup`). Audit-logged."""

        def job(conn: sqlite3.Connection) -> Item:
            done = nextround.add_from_followup(conn, meeting_id, followup_item)
            self._moved(meeting_id, "add", [done["id"]])
            return done

        return self._write(job)

    def brought(self, meeting_id: int) -> dict[str, list[dict[str, Any]]]:
        """{follow-up item: the 整改情况 items reviewing it at later meetings}."""
        return self.read(lambda conn: nextround.brought(conn, meeting_id))

    def previous_round(self, meeting_id: int, today: date | None = None) -> PreviousRound:
        """上一轮整改情况: each department of the meeting whose latest earlier real rating fell
        short, with that verdict and its follow-up (`voting.rounds`)."""
        day = today or clock.today()
        return self.read(lambda conn: nextround.previous_round(conn, meeting_id, day))


class SpeechMethods(_Facade):
    """The 述法 speech timer (times on `clock.now()`)."""

    def speech(self, meeting_id: int, item_id: int, action: str) -> dict[str, Any]:
        """Start, pause, resume or end an oral item's speech (audit-logged); the projector, the
        console and the phones are told once it is committed. An end, where the meeting says
        so, opens the item's vote then (as the secretary's open: refused without a quorum)."""

        def job(conn: sqlite3.Connection) -> dict[str, Any]:
            done = speeches.step(conn, meeting_id, item_id, action, clock.now())
            self._moved(meeting_id, "speech", [item_id])
            if action == "end" and meeting_row(conn, meeting_id)["speech_opens_vote"]:
                self.writer.after_commit(partial(self._open_after_speech, meeting_id, item_id))
            return done

        return self._write(job)

    def _open_after_speech(self, meeting_id: int, item_id: int) -> None:
        try:
            self.move(meeting_id, Move((item_id,)), "open")
        except CepingError as exc:  # no quorum, say: the console still offers 开始测评
            logger.info("the vote did not open after the speech: %s", exc.code)

    def current_speech(self, meeting_id: int) -> dict[str, Any] | None:
        """The speech running or paused, else the latest ended; None before any."""
        return self.read(lambda conn: speeches.current(conn, meeting_id, clock.now()))

    def speeches(self, meeting_id: int) -> list[dict[str, Any]]:
        """Every speech of the meeting, in the order they were started."""
        return self.read(lambda conn: speeches.speeches(conn, meeting_id, clock.now()))
