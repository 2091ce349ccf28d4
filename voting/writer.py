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
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
        self._lock = threading.Lock()
        self._queue = runtime.queue() if runtime else None
        self._started = False
        self._start_lock = threading.Lock()

    def submit(self, fn: Callable[[sqlite3.Connection], Any], *, transactional: bool = True) -> Any:
        """Run `fn(conn)` in a transaction; return its result once committed, or raise its error.

        A job that raises is rolled back alone; the exception is raised here, in the caller.
        With `transactional=False` the job runs after its group's commit, outside any
        transaction (for a WAL checkpoint).
        """
        if self.runtime is None:
            with self._lock:
                job = _Job(fn, None, transactional)
                self._run_group([job])
        else:
            self._ensure_started()
            job = _Job(fn, self.runtime.event(), transactional)
            self._queue.put(job)
            job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

    def _ensure_started(self) -> None:
        if self._started:
            return
        with self._start_lock:
            if not self._started:
                self._started = True
                self.runtime.spawn(self._loop)

    def _loop(self) -> None:
        queue = self._queue
        while True:
            group = [queue.get()]
            while len(group) < MAX_GROUP and not queue.empty():
                group.append(queue.get_nowait())
            try:
                self.runtime.offload(self._run_group, group)
            except BaseException as exc:  # the offload itself failed: every job fails
                for job in group:
                    if job.error is None:
                        job.error = exc
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
                try:
                    job.result = job.fn(conn)
                except BaseException as exc:
                    job.error = exc
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
        for job in group:
            if not job.transactional and job.error is None:
                try:
                    job.result = job.fn(conn)
                except BaseException as exc:
                    job.error = exc
        stats = self.stats
        stats.jobs += len(group)
        stats.commits += 1
        stats.largest_group = max(stats.largest_group, len(group))
