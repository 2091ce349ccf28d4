"""`Store`: the database of one server. Reads on a shared connection, writes through the writer.

Each method hands a function of the connection to `read` (a snapshot that never blocks writes)
or to the writer (a job in its transaction), from the modules that know the job: `prepare`
(meetings, items, cards), `ballots` (votes, comments, paper ballots), `moves`, `followups`,
`reads`, `audit` and `disk`. What stays here is what the store keeps in memory between jobs:
已投 per item (`_voted_by_meeting`) and what votes are checked against (`Known`), and what a
write tells the rest of the app: each job registers, with `Writer.after_commit`, the counts it
changed and the signals (`voting.signals`) to send, which run once its group is committed and
never for a group that rolled back. The speech timer, the follow-ups, the ledger and the next
round are its mixins in `yearly.py`.
"""

from __future__ import annotations

import copy
import logging
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from blinker import NamedSignal

from voting import cards
from voting.cards import Admission
from voting.errors import NotFound
from voting.records import (
    AuditEntry,
    AuditHead,
    Card,
    CardListing,
    IssuedCard,
    Item,
    LastMove,
    Meeting,
    MeetingView,
    Moved,
    PaperEntered,
    PhoneState,
    Results,
    Turnout,
)
from voting.settings import MeetingSettings, Move, NewItem, PaperEntry, Vote
from voting.signals import cards_changed, items_moved, records_changed, votes_recorded
from voting.storage import (
    audit,
    ballots,
    disk,
    lifecycle,
    moves,
    prepare,
    reads,
)
from voting.storage.ballots import Known
from voting.storage.materials import Materials
from voting.storage.rows import meeting_record, meeting_row
from voting.storage.schema import migrate
from voting.storage.yearly import FollowupMethods, SpeechMethods
from voting.writer import Runtime, Writer

logger = logging.getLogger(__name__)
T = TypeVar("T")
Job = Callable[[sqlite3.Connection], T]


class Store(FollowupMethods, SpeechMethods):
    """The database of one server: reads on a shared connection, writes through the writer."""

    def __init__(self, path: str | Path, runtime: Runtime | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_conn = disk.connect_writer(self.path)
        migrate(write_conn)
        self.writer = Writer(write_conn, runtime)
        self._read = disk.connect(self.path)
        self._read_lock = threading.Lock()
        # 已投 per item (cards that voted on its first aspect), per meeting. Only the writer's
        # after-commit path changes it, once what it counts is committed: counted again by
        # every move, one more for each vote recorded. Turnout is pushed 10 times a second;
        # counting 100,000 rows each time would take the event loop 17 ms.
        self._voted_by_meeting: dict[int, dict[str, int]] = {}
        # What votes are checked against (cards, meetings, items), kept between votes by the
        # writer's thread and forgotten by every other write.
        self._known = Known()
        self.materials = Materials(self)  # 看一看: the items' materials, the reading link

    # -- reading ---------------------------------------------------------------------------

    def read(self, fn: Job[T]) -> T:
        """Run `fn(conn)` on the read connection (a consistent snapshot, never blocking writes)."""
        with self._read_lock:
            self._read.execute("BEGIN")
            try:
                return fn(self._read)
            finally:
                self._read.execute("COMMIT")

    def apart(self) -> Store:
        """This store with a read connection (and lock) of its own, for reads on one OS thread
        off the event loop (a document's: counting a large meeting's ballots takes tens of ms,
        most of it in SQLite, which lets the event loop run meanwhile). Writes still go through
        the one writer. `close_apart()` it after."""
        other = copy.copy(self)
        other._read = disk.connect(self.path)
        other._read_lock = threading.Lock()
        return other

    def close_apart(self) -> None:
        """Close the read connection of a store made by `apart()`."""
        self._read.close()

    def meeting(self, meeting_id: int) -> MeetingView:
        """The meeting with its items, their states and turnout."""
        voted = self._voted_copy(meeting_id)
        return self.read(lambda conn: reads.meeting_view(conn, meeting_id, voted))

    def meetings(self, archived: bool = False) -> list[Meeting]:
        """The meetings, newest first; archived ones only with `archived`."""
        return self.read(lambda conn: reads.meetings(conn, archived))

    def agenda_numbers(self, ids: Iterable[int]) -> dict[int, int]:
        """Items' numbers on their meetings' agendas (the console's 序号), by id."""
        return self.read(lambda conn: reads.agenda_numbers(conn, list(ids)))

    def card(self, token: str) -> Card | None:
        """The card behind a token, or None."""
        return self.read(lambda conn: reads.card_of(conn, token))

    def cards(self, meeting_id: int) -> list[CardListing]:
        return self.read(lambda conn: reads.card_listing(conn, meeting_id))

    def turnout(self, meeting_id: int) -> Turnout:
        """已投 per item / 实到 / 应到: what the projector and the console show live."""
        voted = self._voted_copy(meeting_id)
        return self.read(lambda conn: reads.turnout(conn, meeting_id, voted))

    def voter_state(self, card_id: int) -> PhoneState:
        """What one phone sees: the open items, the options, and what this card has voted on."""
        return self.read(lambda conn: reads.phone_state(conn, card_id))

    def open_state(self, meeting_id: int) -> PhoneState:
        """The part of `voter_state` every phone of a meeting shares (`voted` is None)."""
        return self.read(lambda conn: reads.shared_phone_state(conn, meeting_id))

    def voter_states(self, meeting_id: int, card_ids: Iterable[int]) -> dict[int, PhoneState]:
        """`voter_state` for many cards of one meeting with three queries in all."""
        return self.read(lambda conn: reads.phone_states(conn, meeting_id, card_ids))

    def results(self, meeting_id: int, states: Sequence[str] = ("closed", "revealed")) -> Results:
        """Tallies of the meeting's items in `states` (by default closed and revealed).

        Paper ballots (补录) are counted in; each aspect also shows them alone as `paper`.
        """
        return self.read(lambda conn: reads.results_of(conn, meeting_id, states))

    def comments(self, meeting_id: int) -> dict[int, list[str]]:
        """Item id → its comments (意见建议), sorted by text; only closed and revealed items'."""
        return self.read(lambda conn: ballots.comments_of(conn, meeting_id))

    def audit_log(self, meeting_id: int | None = None) -> list[AuditEntry]:
        return self.read(lambda conn: audit.audit_log(conn, meeting_id))

    def last_move(self, meeting_id: int) -> LastMove | None:
        """The meeting's latest open / close / reveal / reopen / reset, as the audit log has it."""
        return self.read(lambda conn: moves.last_move(conn, meeting_id))

    def verify(self) -> list[str]:
        """Check the audit chain and recount every closed item; [] when all is well."""
        return self.read(audit.find_problems)

    def audit_head(self) -> AuditHead:
        """The last audit entry's number and hash: write it down (or print it) to anchor the log.

        The chain shows any change inside the log; only a copy of its head kept elsewhere shows
        that entries were cut from its end or the whole chain was rewritten.
        """
        return self.read(audit.audit_head)

    # -- preparing -------------------------------------------------------------------------

    def create_meeting(self, s: MeetingSettings) -> Meeting:
        return self._write(lambda conn: prepare.create_meeting(conn, s))

    def update_meeting(self, meeting_id: int, changes: Mapping[str, Any]) -> Meeting:
        """Change a meeting's settings (validated by `settings.meeting_changes`); only the title
        and the follow-up months once an item has been opened."""

        def job(conn: sqlite3.Connection) -> Meeting:
            done = prepare.update_meeting(conn, meeting_id, changes)
            self._moved(meeting_id, "settings", [])
            return done

        return self._write(job)

    def copy_meeting(self, meeting_id: int, title: str | None = None) -> Meeting:
        """A new meeting with the same settings and items (all in draft), and no cards."""
        return self._write(lambda conn: prepare.copy_meeting(conn, meeting_id, title))

    def add_items(self, meeting_id: int, items: Sequence[NewItem]) -> list[int]:

        def job(conn: sqlite3.Connection) -> list[int]:
            ids = prepare.add_items(conn, meeting_id, items)
            self._moved(meeting_id, "add", ids)
            return ids

        return self._write(job)

    def edit_item(self, meeting_id: int, item_id: int, changes: Mapping[str, Any]) -> Item:
        """Change an item's subject, person, kind, batch or time to speak; only in draft."""

        def job(conn: sqlite3.Connection) -> Item:
            done = prepare.edit_item(conn, meeting_id, item_id, changes)
            self._moved(meeting_id, "edit", [item_id])
            return done

        return self._write(job)

    def delete_item(self, meeting_id: int, item_id: int) -> None:
        """Remove an item that was never opened."""

        def job(conn: sqlite3.Connection) -> None:
            prepare.delete_item(conn, meeting_id, item_id)
            self._moved(meeting_id, "delete", [item_id])
            self.writer.after_commit(self.materials.sweep)  # its materials' files

        self._write(job)

    def order_items(self, meeting_id: int, ids: Sequence[int]) -> list[int]:
        """Put the meeting's items in this order; `ids` names every item once."""

        def job(conn: sqlite3.Connection) -> list[int]:
            done = prepare.order_items(conn, meeting_id, ids)
            self._moved(meeting_id, "order", done)
            return done

        return self._write(job)

    def issue_cards(
        self, meeting_id: int, count: int, grp: str = "member", origin: str = "issued"
    ) -> list[IssuedCard]:
        """New cards numbered after the meeting's last card."""

        def job(conn: sqlite3.Connection) -> list[IssuedCard]:
            meeting_row(conn, meeting_id)
            issued = prepare.issue_cards(conn, meeting_id, count, grp, origin)
            if origin == "issued":  # cards to print (those of open join are not)
                self._tell(records_changed, meeting_id=meeting_id, what="cards")
            return issued

        return self._write(job)

    def use_card(self, token: str, device: str) -> tuple[Card, Admission]:
        """A phone uses a card: refuse, or admit it (binding the device and checking in)."""
        card = self.card(token)
        if card is None:
            raise NotFound("此测评卡无效。")
        decision = cards.admit(
            revoked=bool(card["revoked"]),
            bound_device=card["device"],
            checked_in=bool(card["present"]),
            device=device,
        )
        if not decision.ok or not (decision.bind or decision.check_in):
            return card, decision

        def job(conn: sqlite3.Connection) -> tuple[Card, Admission]:
            row, again = prepare.admit_card(conn, card["id"], device)
            if again.ok and again.check_in:
                self._tell(
                    cards_changed,
                    meeting_id=row["meeting_id"],
                    card_id=row["id"],
                    action="check_in",
                )
            return row, again

        return self._write(job)

    def join(self, join_key: str, device: str) -> Card:
        """Open join mode: the card this device already holds, or a fresh one up to 应到."""
        return self._write(lambda conn: prepare.join(conn, join_key, device))

    def set_card(self, meeting_id: int, number: int, action: str) -> int:
        """The secretary releases a card's device binding ('release') or withdraws it ('revoke').

        Returns the card's id.
        """

        def job(conn: sqlite3.Connection) -> int:
            card_id = prepare.set_card(conn, meeting_id, number, action)
            self._tell(cards_changed, meeting_id=meeting_id, card_id=card_id, action=action)
            return card_id

        return self._write(job)

    # -- a meeting's life: rehearsal, real, archived, deleted --------------------------------

    def make_real(self, meeting_id: int, confirm: bool) -> lifecycle.Discarded:
        """Turn a rehearsal into the real sitting (`lifecycle.make_real`): without `confirm`,
        `Unconfirmed` says what would be discarded. Phones holding its cards are let go (they
        scan their printed card again), the projector and the console are told."""

        def job(conn: sqlite3.Connection) -> lifecycle.Discarded:
            bound = reads.bound_cards(conn, meeting_id)
            done = lifecycle.make_real(conn, meeting_id, confirm)
            self._recount_voted(conn, meeting_id)
            for card_id in bound:
                self._tell(cards_changed, meeting_id=meeting_id, card_id=card_id, action="release")
            self._moved(meeting_id, "make_real", reads.item_ids(conn, meeting_id))
            self.writer.after_commit(self.materials.sweep)  # its follow-ups' files
            return done

        done = self._write(job)
        self.seal()  # the discarded ballots leave no trace in the file
        return done

    def delete_meeting(self, meeting_id: int) -> Path:
        """Delete a rehearsal, or a real meeting whose items were never opened, after a backup
        copy; the copy's path is returned. Refused (409) for a real meeting with results."""
        self.read(lambda conn: lifecycle.check_deletable(conn, meeting_id))
        copy = self.backup(meeting_id)

        def job(conn: sqlite3.Connection) -> None:
            lifecycle.delete_meeting(conn, meeting_id, copy.name)
            self._recount_voted(conn, meeting_id)  # forgets it
            self._tell(records_changed, meeting_id=meeting_id, what="deleted")
            self.writer.after_commit(self.materials.sweep)  # its materials' files (backed up)

        self._write(job)
        self.seal()
        return copy

    def set_archived(self, meeting_id: int, archived: bool) -> Meeting:
        """Archive a real meeting with results (hidden from the list), or bring it back."""

        def job(conn: sqlite3.Connection) -> Meeting:
            lifecycle.set_archived(conn, meeting_id, archived)
            return meeting_record(meeting_row(conn, meeting_id))

        return self._write(job)

    # -- paper ballots -------------------------------------------------------

    def enter_paper(self, meeting_id: int, item_id: int, entry: PaperEntry) -> PaperEntered:
        """Enter an item's paper ballots (补录) for one aspect and group (replacing the ones
        entered before), while it is closed and not yet revealed. Audit-logged."""

        def job(conn: sqlite3.Connection) -> PaperEntered:
            done = ballots.enter_paper(conn, meeting_id, item_id, entry)
            self._moved(meeting_id, "paper", [item_id])
            return done

        return self._write(job)

    # -- moving ----------------------------------------------------------------------------

    def move(self, meeting_id: int, request: Move, action: str) -> Moved:
        """Move items through draft → open → closed → revealed (all of them, or none)."""

        def job(conn: sqlite3.Connection) -> Moved:
            done = moves.move_items(conn, meeting_id, request, action, actor="secretary")
            self._recount_voted(conn, meeting_id)
            self._moved(meeting_id, action, request.items)
            if action == "reveal":
                self.writer.after_commit(partial(self._backup_soon, meeting_id))
            return done

        done = self._write(job)
        if action in ("close", "reset"):
            self.seal()
        return done

    def undo(self, meeting_id: int) -> Moved:
        """Take back the meeting's last step, unless it was a reveal (revealed results stand).

        A close is undone by reopening, an open or reopen by discarding the votes cast since
        (reset to draft, or close again after a reopen): `meeting.UNDO`. Recorded in the audit
        log as such.
        """

        def job(conn: sqlite3.Connection) -> Moved:
            done = moves.undo_last(conn, meeting_id)
            self._recount_voted(conn, meeting_id)
            self._moved(meeting_id, done["action"], map(int, done["items"]), actor="undo")
            return done

        done = self._write(job)
        if done["action"] in ("close", "reset"):
            self.seal()
        return done

    def close_due(self, now: float | None = None) -> list[tuple[int, list[int]]]:
        """Close every open item whose countdown has run out; [(meeting, [items])]."""
        now = time.time() if now is None else now
        due = self.read(lambda c: moves.due_items(c, now, self._voted_by_meeting.get))
        if not due:
            return []
        by_meeting: dict[int, list[int]] = defaultdict(list)
        for meeting_id, item_id in due:
            by_meeting[meeting_id].append(item_id)

        def job(conn: sqlite3.Connection) -> list[tuple[int, list[int]]]:
            closed = moves.close_due(
                conn, list(by_meeting), now, self._voted_by_meeting.get, self._recount_voted
            )
            for meeting_id, ids in closed:
                self._moved(meeting_id, "close", ids, actor="countdown")
            return closed

        closed = self._write(job)
        if closed:
            self.seal()
        return closed

    # -- voting, and 已投 kept in memory -----------------------------------------------------

    def cast(self, card_id: int, votes: Sequence[Vote], origin: str | None = None) -> list[str]:
        """Record a phone's votes, all of them or none; each one's status is returned.

        'recorded' (new), 'unchanged' (a resend of the same ballot), 'changed' (the voter changed
        the choice, where the meeting allows it). Raises `Refused` and keeps nothing otherwise.
        Once committed, they are counted in 已投 and `votes_recorded` is sent, with `origin`
        (the connection that sent them).
        """

        def job(conn: sqlite3.Connection) -> list[str]:
            meeting_id, statuses = ballots.cast_votes(
                conn, card_id, votes, self._known.now(self.writer)
            )
            if "recorded" in statuses or "changed" in statuses:
                counted = partial(self._add_voted_after_cast, meeting_id, votes, statuses)
                self.writer.after_commit(counted)
                self._tell(votes_recorded, meeting_id=meeting_id, card_id=card_id, origin=origin)
            return statuses

        return self.writer.submit(job)

    def _voted_copy(self, meeting_id: int) -> dict[str, int]:
        """A copy of the meeting's 已投 counts (counted by the writer on first use)."""
        counts = self._voted_by_meeting.get(meeting_id)
        if counts is None:
            self.writer.submit(lambda conn: self._recount_voted(conn, meeting_id))
            counts = self._voted_by_meeting.get(meeting_id, {})
        return counts.copy()

    def _recount_voted(self, conn: sqlite3.Connection, meeting_id: int) -> None:
        """Count a meeting's 已投 afresh (in a writer's job, after a move); the counts are kept
        once the job is committed.

        Only for a meeting that exists: asking after any number (a projector URL with a made-up
        id) must not grow what is kept, nor reach SQLite with an id too large for it.
        """
        exists = reads.meeting_exists(conn, meeting_id)
        counts = reads.voted_per_item(conn, meeting_id) if exists else None
        self.writer.after_commit(partial(self._keep_voted, meeting_id, counts))

    def _keep_voted(self, meeting_id: int, counts: dict[str, int] | None) -> None:
        """Keep a meeting's 已投 counted by `_recount_voted` (after the commit); None forgets."""
        if counts is None:
            self._voted_by_meeting.pop(meeting_id, None)
        else:
            self._voted_by_meeting[meeting_id] = counts

    def _add_voted_after_cast(
        self, meeting_id: int, votes: Sequence[Vote], statuses: list[str]
    ) -> None:
        """One more card on each item whose first aspect this card voted on (after the commit)."""
        counts = self._voted_by_meeting.get(meeting_id)
        if counts is None:
            return  # counted from the table when next asked
        for v, status in zip(votes, statuses, strict=True):
            if status == "recorded" and v.aspect == 0:
                key = str(v.item)
                counts[key] = counts.get(key, 0) + 1

    def _write(self, job: Job[T]) -> T:
        """Submit a job that may change what votes are checked against (every write but a cast)."""

        def changing(conn: sqlite3.Connection) -> T:
            self._known.forget()
            return job(conn)

        return self.writer.submit(changing)

    def _tell(self, signal: NamedSignal, **data: Any) -> None:
        """From inside a job: send `signal` (`voting.signals`) once the job is committed."""
        self.writer.after_commit(partial(signal.send, self, **data))

    def _moved(
        self, meeting_id: int, action: str, items: Iterable[int], actor: str = "secretary"
    ) -> None:
        """From inside a job: tell `items_moved` once the job is committed."""
        data = {"meeting_id": meeting_id, "action": action, "items": list(items), "actor": actor}
        self._tell(items_moved, **data)

    # -- the file ----------------------------------------------------------------------------

    def _backup_soon(self, meeting_id: int) -> None:
        """Back up after a reveal without holding it up: the projector shows the result first.

        Runs on the reveal's after-commit path, once the projector and the console were told.
        """

        def run() -> None:
            try:
                self.backup(meeting_id)
            except Exception:  # a failed copy must not fail the reveal; the next one tries again
                logger.exception("backup after the reveal failed")

        if self.writer.runtime is None:
            run()
        else:
            self.writer.runtime.spawn(run)

    def seal(self) -> None:
        """Rewrite the database file in key order and empty the WAL (after every close): see
        `disk.seal`. It runs on the writer's thread."""
        self.writer.submit(disk.seal, transactional=False)

    def backup(self, meeting_id: int, keep: int = disk.BACKUPS_KEPT) -> Path:
        """Copy the database into `backups/` beside it (after every reveal); keep the newest.

        It runs on the writer's thread after its group's commit, so no write races it and the
        event loop never waits on it: see `disk.backup_job`.
        """
        return self.writer.submit(disk.backup_job(self.path, meeting_id, keep), transactional=False)

    def close(self) -> None:
        self._read.close()
