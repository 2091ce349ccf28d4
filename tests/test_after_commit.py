"""The after-commit path: what a write causes outside the database waits for its COMMIT.

A vote's 已投 count, and every push it causes, waits for its group's COMMIT; a group that SQLite
rolls back (an I/O error, a full disk) or whose COMMIT fails takes them with it, so no screen or
console ever shows a vote that was not kept. The first test lets the pusher's task run at the
worst moment it could: after the vote's job, before the COMMIT. The others test the writer's
registry (`Writer.after_commit`) itself.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from typing import Any

import pytest

from app import socketio
from conftest import ADMIN_TOKEN, phone, received, vote
from voting.writer import Writer, threaded_runtime


class FailingCommit:
    """The writer's connection, with a COMMIT that fails once it is armed."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self.armed = False

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT" and self.armed:
            self.armed = False
            raise sqlite3.OperationalError("disk I/O error")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


class Held:
    """Hold the writer inside a job, so that the jobs submitted meanwhile form one group."""

    def __init__(self, writer: Any):
        self.writer = writer
        self.entered = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=writer.submit, args=(self._hold,), daemon=True)

    def _hold(self, conn: sqlite3.Connection) -> None:
        self.entered.set()
        assert self.release.wait(30)

    def __enter__(self) -> Held:
        self.thread.start()
        assert self.entered.wait(10)
        return self

    def queued(self, n: int) -> None:
        deadline = time.monotonic() + 10
        while self.writer._queue.qsize() < n and time.monotonic() < deadline:
            time.sleep(0.005)
        assert self.writer._queue.qsize() >= n

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        self.thread.join(10)


def in_thread(fn: Any) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as exc:
            out.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def console(app, meeting_id: int):
    client = socketio.test_client(app, namespace="/console", auth={"token": ADMIN_TOKEN})
    assert client.emit("watch", {"meeting": meeting_id}, namespace="/console", callback=True)["ok"]
    return client


@pytest.mark.parametrize("how", ["rolled back by SQLite", "COMMIT failed"])
def test_no_screen_or_console_counts_a_vote_its_group_rolled_back(app, api, how):
    m = api.meeting(cards=2, items=1, live_tallies=True)
    meeting, (item,) = m["meeting"], m["items"]
    ceping = app.extensions["ceping"]
    store, pusher = ceping.store, app.extensions["ceping.pusher"]
    voter, other = (phone(app, c["token"]) for c in m["cards"])
    auth = {"meeting": meeting["id"], "key": meeting["screen_key"]}
    screen = socketio.test_client(app, namespace="/screen", auth=auth)
    watcher = console(app, meeting["id"])
    api.move(meeting["id"], "open", [item])
    failing = FailingCommit(store.writer.conn)
    store.writer.conn = failing

    def breaks(conn: sqlite3.Connection) -> None:
        pusher.flush(meeting["id"])  # the pusher's task, while the vote is not yet committed
        if how == "COMMIT failed":
            failing.armed = True
        else:
            conn.execute("ROLLBACK")  # what SQLite does to a transaction on an I/O error

    with Held(store.writer) as held:
        voting, voted = in_thread(lambda: vote(voter, item, "basic"))
        held.queued(1)
        breaking, broke = in_thread(lambda: store.writer.submit(breaks))
        held.queued(2)
    for thread in (voting, breaking):
        thread.join(10)
    assert isinstance(broke[0], sqlite3.OperationalError), broke
    assert not isinstance(voted[0], dict) or not voted[0].get("ok"), voted
    time.sleep(5 * app.config["PUSH_INTERVAL"])  # room for any push still to come

    seen = [
        *received(screen, "/screen", "turnout"),
        *received(watcher, "/console", "turnout"),
    ]
    assert seen, "the pusher pushed nothing: the test shows nothing"
    assert [t["voted"] for t in seen if t["voted"].get(str(item))] == []
    tallies = [tally for t in seen for tally in t["tallies"]]
    assert all(tally["aspects"][0]["result"]["counts"]["basic"] == 0 for tally in tallies)
    assert store.turnout(meeting["id"])["voted"].get(str(item), 0) == 0
    assert api.get(f"/meetings/{meeting['id']}/turnout").get_json()["voted"].get(str(item), 0) == 0

    # The same vote again, in a group that commits, is counted and shown.
    again = vote(other, item, "basic")
    assert again["ok"], again
    assert store.turnout(meeting["id"])["voted"] == {str(item): 1}


def test_a_vote_tells_the_cards_other_tabs_and_not_the_one_that_sent_it(app, api):
    m = api.meeting(cards=2, items=1)
    meeting, (item,) = m["meeting"], m["items"]
    token = m["cards"][0]["token"]
    tab, other_tab = phone(app, token, device="one-phone-01"), phone(app, token, "one-phone-01")
    elsewhere = phone(app, m["cards"][1]["token"])
    api.move(meeting["id"], "open", [item])
    for client in (tab, other_tab, elsewhere):
        client.get_received("/voter")
    assert vote(tab, item, "basic")["ok"]
    (state,) = received(other_tab, "/voter", "state")
    assert state["voted"] == [[item, 0]]
    assert received(tab, "/voter", "state") == []
    assert received(elsewhere, "/voter", "state") == []


# -- the writer's after-commit registry ---------------------------------------------------------


def open_writer(path: Any, runtime: Any) -> Writer:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (n INTEGER UNIQUE)")
    return Writer(conn, runtime)


@pytest.fixture(params=["threads", "no runtime"])
def writer(request, tmp_path):
    """A writer with the threads' runtime (one group for jobs queued together), or none."""
    w = open_writer(
        tmp_path / "w.sqlite", threaded_runtime() if request.param == "threads" else None
    )
    yield w
    w.conn.close()


@pytest.fixture
def grouping(tmp_path):
    """A writer that runs the jobs queued together in one group."""
    w = open_writer(tmp_path / "w.sqlite", threaded_runtime())
    yield w
    w.conn.close()


def committed(writer: Writer) -> list[int]:
    """What another connection sees: the committed rows only."""
    path = writer.conn.execute("PRAGMA database_list").fetchone()[2]
    with sqlite3.connect(path) as other:
        return [n for (n,) in other.execute("SELECT n FROM t ORDER BY n")]


def inserts(writer: Writer, n: int, log: list, *, then: Any = None):
    """A job that inserts `n` and registers two callbacks, the first noting what was committed."""

    def job(conn: sqlite3.Connection) -> int:
        conn.execute("INSERT INTO t VALUES (?)", (n,))
        writer.after_commit(lambda: log.append((n, "a", committed(writer))))
        writer.after_commit(lambda: log.append((n, "b", None)))
        if then is not None:
            then(conn)
        return n

    return job


def one_group(writer: Writer, jobs: list) -> list[Any]:
    """Submit the jobs in this order: in one group with a runtime, one by one without."""
    if writer.runtime is None:
        return [outcome(lambda job=job: writer.submit(job)) for job in jobs]
    with Held(writer) as held:
        started = []
        for k, job in enumerate(jobs, 1):
            started.append(in_thread(lambda job=job: writer.submit(job)))
            held.queued(k)
    for thread, _ in started:
        thread.join(10)
    return [out[0] for _, out in started]


def outcome(fn: Any) -> Any:
    try:
        return fn()
    except BaseException as exc:
        return exc


def test_callbacks_run_after_the_commit_in_order(writer):
    log: list = []
    assert one_group(writer, [inserts(writer, 1, log), inserts(writer, 2, log)]) == [1, 2]
    assert [(n, which) for n, which, _ in log] == [(1, "a"), (1, "b"), (2, "a"), (2, "b")]
    seen_by_first = log[0][2]
    assert seen_by_first == ([1, 2] if writer.runtime else [1])  # once the commit was done
    assert log[2][2] == [1, 2]


def test_the_callbacks_of_a_job_that_raised_are_dropped(writer):
    log: list = []

    def boom(conn: sqlite3.Connection) -> None:
        raise RuntimeError("boom")

    out = one_group(writer, [inserts(writer, 1, log, then=boom), inserts(writer, 2, log)])
    assert isinstance(out[0], RuntimeError) and out[1] == 2
    assert [(n, which) for n, which, _ in log] == [(2, "a"), (2, "b")]
    assert committed(writer) == [2]


def test_the_callbacks_of_a_group_rolled_back_are_dropped(grouping):
    log: list = []

    def breaks(conn: sqlite3.Connection) -> None:
        conn.execute("ROLLBACK")  # as SQLite does on an I/O error: the whole group goes

    out = one_group(grouping, [inserts(grouping, 1, log), inserts(grouping, 2, log, then=breaks)])
    assert all(isinstance(o, sqlite3.OperationalError) for o in out), out
    assert log == [] and committed(grouping) == []
    assert grouping.stats.rollbacks == 1


def test_a_failing_commit_drops_every_callback_of_its_group(grouping):
    log: list = []
    grouping.conn = failing = FailingCommit(grouping.conn)

    def arm(conn: sqlite3.Connection) -> None:
        failing.armed = True

    out = one_group(grouping, [inserts(grouping, 1, log), inserts(grouping, 2, log, then=arm)])
    assert all(isinstance(o, sqlite3.OperationalError) for o in out), out
    assert log == [] and committed(grouping) == []


def test_without_a_runtime_a_failing_commit_drops_the_callbacks_too(tmp_path):
    log: list = []
    alone = open_writer(tmp_path / "w.sqlite", None)
    alone.conn = failing = FailingCommit(alone.conn)
    failing.armed = True
    with pytest.raises(sqlite3.OperationalError):
        alone.submit(inserts(alone, 1, log))
    assert log == [] and committed(alone) == []
    assert alone.submit(inserts(alone, 2, log)) == 2
    assert [(n, which) for n, which, _ in log] == [(2, "a"), (2, "b")]


def test_a_failing_callback_keeps_the_others_and_the_result(writer, caplog):
    log: list = []

    def job(conn: sqlite3.Connection) -> str:
        writer.after_commit(lambda: 1 / 0)
        writer.after_commit(lambda: log.append("after"))
        return "done"

    assert writer.submit(job) == "done"
    assert log == ["after"]
    assert "an after-commit callback failed" in caplog.text


def test_a_callback_may_write_again(writer):
    """A callback that submits does not wait for the loop it runs on: its job runs at once."""
    log: list = []

    def second(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (2)")
        writer.after_commit(lambda: log.append(("second", committed(writer))))

    def first(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (1)")
        writer.after_commit(lambda: log.append(("first", writer.submit(second))))

    done, out = in_thread(lambda: writer.submit(first))
    done.join(10)
    assert out == [None] and log == [("second", [1, 2]), ("first", None)]


def test_every_callback_may_write_even_after_one_whose_write_called_back(writer):
    """A callback's write that has callbacks of its own leaves the writer still calling back,
    so the next callback's write runs at once too instead of waiting on its own queue."""
    log: list = []

    def inner(n: int):
        def job(conn: sqlite3.Connection) -> None:
            conn.execute("INSERT INTO t VALUES (?)", (n,))
            writer.after_commit(lambda: log.append(("inner", n)))

        return job

    def first(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (1)")
        writer.after_commit(lambda: writer.submit(inner(2)))
        writer.after_commit(lambda: writer.submit(inner(3)))

    done, out = in_thread(lambda: writer.submit(first))
    done.join(10)
    assert out == [None], "the writer waited on itself"
    assert log == [("inner", 2), ("inner", 3)] and committed(writer) == [1, 2, 3]


def test_after_commit_outside_a_job_is_refused(writer):
    with pytest.raises(RuntimeError):
        writer.after_commit(lambda: None)
