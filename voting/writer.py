"""The one write path: a single writer that commits jobs in groups.

Callers (request handlers, Socket.IO handlers) hand the writer a job, a function of the SQLite
connection, and wait until the transaction that ran it has been committed. A *committer loop*
takes every job waiting in the queue, runs them all in one transaction (each inside its own
savepoint, so a job that fails leaves the others intact) on an OS thread, commits once, and then
wakes each caller with its job's result. Under load many votes share one fsync; the event loop
never waits on the disk.

The writer knows nothing about eventlet or gevent: the entry point hands it a `Runtime` that says
how to start a background task, make a queue and an event, and run a function on an OS thread.
Without a runtime (command-line tools, scripts) the writer runs each job at once, under a lock.

What a write causes outside the database (the 已投 counts kept in memory, the pushes to phones,
projectors and the console, a backup) must happen once it is committed, and never when it is
rolled back. A job registers it with `Writer.after_commit(fn)`. A job's callbacks are dropped
when the job raises (its savepoint is rolled back) or when its whole group is rolled back; the
others run once the group's COMMIT has returned, in the order they were registered, job after
job, and before any caller of the group is woken, so a caller sees what they did. They run

- with a runtime: in the committer loop, once `offload` has returned: back on the event loop
  under eventlet or gevent (where emitting to Socket.IO is safe), on the writer's thread with
  plain threads. The next group waits for them: they count, mark and emit, and start a task for
  anything longer;
- without a runtime: in the submitting thread, right after the COMMIT.

A callback may read, and even write: a job it submits runs at once, in a group of its own.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

MAX_GROUP = 512  # jobs in one transaction at most


@dataclass(frozen=True)
class Runtime:
    """How the writer cooperates with the server's async mode."""

    spawn: Callable[..., Any]  # start a background task: spawn(fn, *args)
    queue: Callable[[], Any]  # a queue with get(), get_nowait(), put(), empty()
    event: Callable[[], Any]  # an event with set(), wait(timeout)
    offload: Callable[..., Any]  # offload(fn, *args): run fn on an OS thread, wait for it


def threaded_runtime() -> Runtime:
    """A runtime for plain threads (Flask's dev server, the test clients)."""
    import queue

    def spawn(fn: Callable[..., Any], *args: Any) -> threading.Thread:
        thread = threading.Thread(target=fn, args=args, daemon=True, name="ceping-writer")
        thread.start()
        return thread

    return Runtime(
        spawn=spawn,
        queue=queue.Queue,
        event=threading.Event,
        offload=lambda fn, *args: fn(*args),
    )


@dataclass
class _Job:
    fn: Callable[[sqlite3.Connection], Any]
    done: Any
    transactional: bool = True
    result: Any = None
    error: BaseException | None = None
    after: list[Callable[[], object]] = field(default_factory=list)  # run once committed


@dataclass
class WriterStats:
    """What the writer has done: for benchmarks and the closing figures."""

    jobs: int = 0
    commits: int = 0
    largest_group: int = 0
    rollbacks: int = 0  # groups that failed as a whole, nothing of them kept


class Writer:
    """Runs write jobs on one connection, committing them in groups."""

    def __init__(self, conn: sqlite3.Connection, runtime: Runtime | None = None):
        self.conn = conn
        self.runtime = runtime
        self.stats = WriterStats()
        self._lock = threading.RLock()  # an after-commit callback may write again
        self._queue: Any = runtime.queue() if runtime else None
        self._started = False
        self._start_lock = threading.Lock()
        self._running: _Job | None = None  # the job whose function runs now
        # `.now` while this thread runs callbacks (this greenlet, where eventlet or gevent
        # patched threading; unpatched, the loop's greenlets share it, and a job submitted by
        # one of them meanwhile runs at once too: the connection is idle between groups)
        self._calling_back = threading.local()

    def submit(self, fn: Callable[[sqlite3.Connection], Any], *, transactional: bool = True) -> Any:
        """Run `fn(conn)` in a transaction; return its result once committed, or raise its error.

        A job that raises is rolled back alone; the exception is raised here, in the caller.
        With `transactional=False` the job runs after its group's commit, outside any
        transaction (for a WAL checkpoint).
        """
        if self.runtime is None or getattr(self._calling_back, "now", False):
            with self._lock:
                job = _Job(fn, None, transactional)
                self._run_group([job])
                self._call_back([job])
        else:
            self._ensure_started()
            job = _Job(fn, self.runtime.event(), transactional)
            self._queue.put(job)
            job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def after_commit(self, fn: Callable[[], object]) -> None:
        """Run `fn()` once the running job's group is committed; never if it is rolled back.

        Only from inside a job (on the writer's thread). See the module's docstring for where
        the callbacks run.
        """
        job = self._running
        if job is None:
            raise RuntimeError("after_commit() is called from inside a writer's job")
        job.after.append(fn)

    def _call_back(self, group: list[_Job]) -> None:
        """Run the after-commit callbacks of the group's jobs that were kept, in order."""
        outer = getattr(self._calling_back, "now", False)  # a callback's own write calls back
        self._calling_back.now = True
        try:
            for job in group:
                if job.error is not None:
                    continue
                for fn in job.after:
                    try:
                        fn()
                    except Exception:  # one failed push must not keep the others or the callers
                        logger.exception("an after-commit callback failed")
        finally:
            self._calling_back.now = outer

    def _ensure_started(self) -> None:
        if self._started:
            return
        with self._start_lock:
            if not self._started and self.runtime is not None:
                self._started = True
                self.runtime.spawn(self._loop)

    def _loop(self) -> None:
        queue, runtime = self._queue, self.runtime
        assert runtime is not None  # the loop runs only with a runtime
        while True:
            group = [queue.get()]
            while len(group) < MAX_GROUP and not queue.empty():
                group.append(queue.get_nowait())
            try:
                runtime.offload(self._run_group, group)
            except BaseException as exc:  # the offload itself failed: every job fails
                for job in group:
                    if job.error is None:
                        job.error = exc
            self._call_back(group)
            for job in group:
                job.done.set()

    def _run_group(self, group: list[_Job]) -> None:
        """Run the jobs in one transaction; on this writer's thread (an OS thread)."""
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in group:
                if not job.transactional:
                    continue
                conn.execute("SAVEPOINT job")
                job.error = self._run_job(job, conn)
                if not conn.in_transaction:  # SQLite rolled the whole group back (I/O error)
                    raise sqlite3.OperationalError("the transaction was rolled back by SQLite")
                if job.error is not None:
                    conn.execute("ROLLBACK TO SAVEPOINT job")
                conn.execute("RELEASE SAVEPOINT job")
            conn.execute("COMMIT")
        except sqlite3.Error as exc:  # the group failed as a whole: nothing of it was kept
            if conn.in_transaction:
                conn.rollback()
            self.stats.rollbacks += 1
            for job in group:
                job.error = job.error or exc
                job.result = None
                job.after.clear()
        for job in group:
            if not job.transactional and job.error is None:
                job.error = self._run_job(job, conn)
        stats = self.stats
        stats.jobs += len(group)
        stats.commits += 1
        stats.largest_group = max(stats.largest_group, len(group))

    def _run_job(self, job: _Job, conn: sqlite3.Connection) -> BaseException | None:
        """Run one job's function; its error, if it raised (and then its callbacks are dropped)."""
        self._running = job
        try:
            job.result = job.fn(conn)
        except BaseException as exc:
            job.after.clear()
            return exc
        finally:
            self._running = None
        return None
