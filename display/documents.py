"""The report, the letters and the card sheet, and the Word papers of the sitting (宣读稿, 通报,
the letters as DOCX), kept ready in the instance folder.

Each document of a meeting has a version, raised by every change of what it shows, heard from the
store's signals (`voting.signals`, sent after the commit): a move or a paper entry or a settings
change (`items_moved`), a check-in or a withdrawn card (`cards_changed`: 实到, the printable
cards), a follow-up or new cards (`records_changed`). A copy is kept with the version it was built
from (and the day: letters and follow-ups are dated), in `instance/documents/<meeting>/`.

A download of a current copy is answered at once from the file. Otherwise the server reads what
the document shows (`collect`: store reads) and hands it to the worker process
(`display.builder`), which draws and writes it; a request that comes while that copy is being
built waits for the same build. With `prebuild`, a change also starts a build of its own
`debounce` seconds after the meeting's last change (several changes in a row: one build), so the
copy is ready when the secretary asks; only documents that have something to show are prebuilt
(report, letters and bulletin once an item is closed, the announcement once one is revealed,
the card sheet once cards are issued).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from display import reportdata
from display.builder import KINDS, RESULTS, Builder, Job, suffix
from voting import clock
from voting.context import Ceping
from voting.signals import cards_changed, items_moved, records_changed
from voting.storage import Store

logger = logging.getLogger(__name__)

Key = tuple[int, str, str]  # (meeting, kind, variant)
MAX_WAIT = 5  # debounces: changes that keep coming postpone a build this long at most


@dataclass(frozen=True)
class Copy:
    """A built document: the file, and what it was built from."""

    version: int
    day: str
    path: Path
    title: str  # the meeting's title when it was built (the download's name)
    pid: int  # the process that drew it


@dataclass
class _Building:
    done: Any  # an event of the async mode
    error: BaseException | None = None


class Documents:
    def __init__(
        self,
        app: Ceping,
        builder: Builder,
        folder: Path,
        *,
        prebuild: bool = False,
        debounce: float = 1.0,
        card_base: Callable[[], str | None] = lambda: None,
    ) -> None:
        self.app, self.builder, self.folder = app, builder, folder
        self.prebuild, self.debounce = prebuild, debounce
        runtime = app.store.writer.runtime
        assert runtime is not None  # the app's store always has one
        self.runtime = runtime
        self.versions: defaultdict[tuple[int, str], int] = defaultdict(int)
        self.copies: dict[Key, Copy] = {}
        self.builds = 0  # documents built (for tests and benchmarks)
        self._building: dict[Key, _Building] = {}
        self._due: dict[int, float] = {}  # meeting → when its prebuild may start
        self._bases: dict[int, str] = {}  # meeting → the card address base last asked for
        self._card_base = card_base  # the configured one (CEPING_PUBLIC_URL), if any
        self._read: dict[int, tuple[Any, Any]] = {}  # meeting → (versions, its report's data)
        items_moved.connect(self.moved, sender=app.store, weak=False)
        cards_changed.connect(self.cards_changed, sender=app.store, weak=False)
        records_changed.connect(self.records_changed, sender=app.store, weak=False)

    # -- what changed (on the writer's after-commit path: only count and schedule) ---------------

    def moved(self, sender: Any = None, *, meeting_id: int, action: str, **_: Any) -> None:
        if action == "open":  # a draft item opened: the documents show closed items only
            return
        if action == "speech":  # a speaking time: this meeting's report alone gives it
            self.changed(meeting_id, ("report",))
            return
        kinds = KINDS if action == "settings" else RESULTS
        # an earlier meeting's results appear in a later one's comparison (历次测评对比)
        others = {m for (m, kind, _v) in self.copies if kind == "report" and m != meeting_id}
        for other in others:
            self.versions[(other, "report")] += 1
        self.changed(meeting_id, kinds)

    def cards_changed(self, sender: Any = None, *, meeting_id: int, action: str, **_: Any) -> None:
        if action == "release":  # a device binding: nothing any document shows
            return
        self.changed(meeting_id, KINDS if action == "revoke" else RESULTS)

    def records_changed(self, sender: Any = None, *, meeting_id: int, what: str, **_: Any) -> None:
        if what == "deleted":
            self.forget(meeting_id)
            return
        if what == "followup":  # a later meeting's report shows it (上一轮整改情况)
            reports = {m for (m, kind, _v) in self.copies if kind == "report"}
            for other in reports - {meeting_id}:
                self.versions[(other, "report")] += 1
        followed = ("report", "letters", "bulletin", "letters_docx")  # the due dates they show
        self.changed(meeting_id, ("cards",) if what == "cards" else followed)

    def forget(self, meeting_id: int) -> None:
        """A deleted meeting: its copies go, from memory and from the disk (they hold its
        results and, for a card sheet, its cards' tokens)."""
        for key in [k for k in self.copies if k[0] == meeting_id]:
            del self.copies[key]
        for kind in [k for k in self.versions if k[0] == meeting_id]:
            del self.versions[kind]
        self._due.pop(meeting_id, None)
        self._bases.pop(meeting_id, None)
        shutil.rmtree(self.folder / str(meeting_id), ignore_errors=True)

    def changed(self, meeting_id: int, kinds: Iterable[str]) -> None:
        """The documents `kinds` of a meeting are out of date: raise their versions, and build
        them anew once the meeting has been quiet for `debounce` seconds."""
        for kind in kinds:
            self.versions[(meeting_id, kind)] += 1
        if not self.prebuild:
            return
        waiting = meeting_id in self._due
        self._due[meeting_id] = time.monotonic() + self.debounce
        if not waiting:
            self.runtime.spawn(self._later, meeting_id)

    def _later(self, meeting_id: int) -> None:
        """Wait until the meeting has been quiet for `debounce` seconds (or, while changes keep
        coming, as phones check in, for `MAX_WAIT` debounces at most), then build."""
        latest = time.monotonic() + MAX_WAIT * self.debounce
        while not self.app.stopping.is_set():
            pause = min(self._due[meeting_id], latest) - time.monotonic()
            if pause <= 0:
                break
            self.app.socketio.sleep(pause)
        del self._due[meeting_id]
        if not self.app.stopping.is_set():
            self.build_stale(meeting_id)

    def build_stale(self, meeting_id: int) -> None:
        """Build the meeting's documents that are out of date and have something to show."""
        try:
            meeting = self.app.store.meeting(meeting_id)
        except Exception:  # deleted meanwhile, or the store is closing
            return
        counted = any(i["state"] in ("closed", "revealed") for i in meeting["items"])
        # the announcement first: it is read out at once (and takes a tenth of a second)
        wanted = ["announcement"] if any(i["state"] == "revealed" for i in meeting["items"]) else []
        wanted += ["report", "letters", "bulletin", "letters_docx"] if counted else []
        base = self._bases.get(meeting_id) or self._card_base()
        if base and self.app.store.cards(meeting_id):
            wanted.append("cards")
        for kind in wanted:
            try:
                self.get(meeting_id, kind, card_base=base)
            except Exception:  # told to whoever asks for it next; the others still get built
                logger.exception("building %s of meeting %s failed", kind, meeting_id)

    # -- a copy, current -------------------------------------------------------------------------

    def current(self, key: Key) -> Copy | None:
        copy = self.copies.get(key)
        version = self.versions[(key[0], key[1])]
        if copy and copy.version == version and copy.day == clock.today().isoformat():
            return copy if copy.path.exists() else None
        return None

    def get(
        self, meeting_id: int, kind: str, group: str | None = None, card_base: str | None = None
    ) -> Copy:
        """The document's current copy: at once if it is built, else once it is (a build that
        is running is waited for; none is, one is started). Raises the build's error."""
        if kind == "cards":
            if card_base is None:
                raise ValueError("the card sheet needs the base of the cards' addresses")
            self._bases[meeting_id] = card_base
        variant = f"{group or ''}|{card_base}" if kind == "cards" else ""
        key = (meeting_id, kind, variant)
        while True:
            copy = self.current(key)
            if copy is not None:
                return copy
            pending = self._building.get(key)
            if pending is None:
                return self._build(key, group, card_base)
            pending.done.wait()
            if pending.error is not None:
                raise pending.error

    def _build(self, key: Key, group: str | None, card_base: str | None) -> Copy:
        meeting_id, kind, variant = key
        version, today = self.versions[(meeting_id, kind)], clock.today()
        pending = _Building(self.runtime.event())
        self._building[key] = pending
        try:
            # read on an OS thread: the event loop goes on while SQLite counts
            title, data = self.runtime.offload(
                self._collect, meeting_id, kind, today, group, card_base
            )
            path = self.folder / str(meeting_id) / _file_name(kind, variant)
            done = self.builder.build(Job(kind, data, str(path)))
            copy = Copy(version, today.isoformat(), path, title, done.pid)
            self.copies[key] = copy
            self.builds += 1
            return copy
        except BaseException as exc:
            pending.error = exc
            raise
        finally:
            del self._building[key]
            pending.done.set()

    def _collect(
        self, meeting_id: int, kind: str, today: date, group: str | None, base: str | None
    ) -> tuple[str, Any]:
        """The meeting's title and what the worker needs to draw the document: read through a
        store of its own (`Store.apart`), off the event loop."""
        store = self.app.store.apart()
        try:
            return self._read_for(store, meeting_id, kind, today, group, base)
        finally:
            store.close_apart()

    def _read_for(
        self,
        store: Store,
        meeting_id: int,
        kind: str,
        today: date,
        group: str | None,
        base: str | None,
    ) -> tuple[str, Any]:
        if kind == "cards":
            meeting = store.meeting(meeting_id)
            cards = store.cards(meeting_id)
            urls = {c["token"]: f"{base}{c['token']}" for c in cards}
            return meeting["title"], {
                "meeting": meeting,
                "cards": cards,
                "group": group,
                "urls": urls,
            }
        if kind == "announcement":
            said = reportdata.announcement(store, meeting_id)
            return said["title"], {**said, "today": today}
        data = self._results(store, meeting_id, today)
        if kind == "report":
            return data.meeting["title"], data
        return data.meeting["title"], {"report": data, "today": today}

    def _results(self, store: Store, meeting_id: int, today: date) -> Any:
        """What the report and the letters show (`display.reportdata.collect`), read once for both:
        counting a meeting's ballots is the costly read (some 50 ms for 30 items of 3,000
        ballots), and a change makes both documents new at once."""
        stamp = (
            self.versions[(meeting_id, "report")],
            self.versions[(meeting_id, "letters")],
            today,
        )
        kept = self._read.get(meeting_id)
        if kept is not None and kept[0] == stamp:
            return kept[1]
        data = reportdata.collect(store, meeting_id, today)
        self._read[meeting_id] = (stamp, data)
        return data

    def close(self) -> None:
        self.builder.close()


def _file_name(kind: str, variant: str) -> str:
    if not variant:
        return f"{kind}.{suffix(kind)}"
    return f"{kind}-{hashlib.sha1(variant.encode()).hexdigest()[:12]}.{suffix(kind)}"


def builder_for(flask_config: Any, runtime: Any, sleep: Callable[[float], Any]) -> Builder:
    """The worker process under gevent or eventlet; in this process for plain threads (tests,
    Flask's dev server), unless `DOCUMENTS_PROCESS` says otherwise."""
    from display.builder import InlineBuilder, ProcessBuilder

    process = flask_config.get("DOCUMENTS_PROCESS")
    if process is None:
        process = flask_config["ASYNC_MODE"] in ("gevent", "eventlet")
    if not process:
        return InlineBuilder()
    timeout = flask_config.get("DOCUMENTS_TIMEOUT", 300.0)
    return ProcessBuilder(runtime.offload, runtime.spawn, sleep, timeout)
