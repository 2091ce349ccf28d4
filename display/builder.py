"""Drawing the documents away from the server: the worker process and the server's side of it.

Drawing a report (matplotlib, fpdf2) takes a second or more of CPU. On one of the server's own
OS threads it would hold the GIL all that while, and every phone's vote would wait (under
eventlet, `/healthz` waited 1.03 s while a 3 s report was drawn). So the server only reads what a
document shows (the `collect` step: cheap store reads) and hands that plain data to one worker
process, `python -m display.builder`, which draws it (the `render` step, no database) and writes
the file atomically where it was told. The Word files (宣读稿, 通报, the letters as DOCX:
python-docx) are made there too.

    parent → worker   a pickled `Job` (kind, data, path), framed by its length (8 bytes)
    worker → parent   a pickled `Done` (the worker's pid, the size written, or the error)

The server waits for the answer on an OS thread (the async mode's `offload`), reading a plain
blocking pipe: the GIL is released while it waits, and the event loop goes on. A worker that
dies (or is killed for taking too long) is seen as the pipe's end: `WorkerDied` (503); the next
build starts a new one. A document that fails to draw is `RenderFailed` (500); the worker lives on.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from voting.errors import CepingError

HEADER = struct.Struct(">Q")
KINDS = ("report", "letters", "cards", "announcement", "bulletin", "letters_docx")
#: The documents that show results: all but the card sheet.
RESULTS = ("report", "letters", "announcement", "bulletin", "letters_docx")
#: The Word files (python-docx); the others are PDFs.
WORD = ("announcement", "bulletin", "letters_docx")


def suffix(kind: str) -> str:
    """The file's suffix: docx for the Word files, pdf for the others."""
    return "docx" if kind in WORD else "pdf"


NICE = 10  # the worker's scheduling priority below the server's: votes before documents


class WorkerDied(CepingError):
    """The process that draws the documents stopped before it answered (503)."""

    status = 503
    default_code = "document_worker_died"


class RenderFailed(CepingError):
    """The document could not be drawn (500)."""

    status = 500
    default_code = "document_failed"


@dataclass(frozen=True)
class Job:
    kind: str  # one of KINDS
    data: Any  # what `render` needs, read by the server (picklable, no database)
    path: str  # where the file goes (written to a temporary file beside it, then renamed)


@dataclass(frozen=True)
class Done:
    pid: int  # the process that drew it
    size: int = 0
    error: str | None = None  # why it failed ("no_font" when no CJK font can be used)


def render(kind: str, data: Any) -> bytes:
    """The bytes of a document (a PDF, or a Word file) from its collected data (no database)."""
    if kind in WORD:
        return render_word(kind, data)
    from display import fonts

    fonts.matplotlib_families()
    if kind == "report":
        from display import report

        return report.render(data)
    if kind == "letters":
        from display import letters

        return letters.render(data["report"], data["today"])
    if kind == "cards":
        from display import cardsheet

        urls: Mapping[str, str] = data["urls"]
        cards: Sequence[Mapping[str, Any]] = cardsheet.printable(data["cards"], data["group"])
        return cardsheet.build(data["meeting"], cards, urls.__getitem__)
    raise ValueError(f"unknown document {kind!r}")


def render_word(kind: str, data: Any) -> bytes:
    """The Word files: no fonts to embed (Word and WPS draw the ones they name)."""
    from display import letters_docx, papers

    if kind == "announcement":
        return papers.render_announcement(data)
    if kind == "bulletin":
        return papers.render_bulletin(data)
    return letters_docx.render(data["report"], data["today"])


def write(path: str, pdf: bytes) -> None:
    """Write `pdf` to `path` atomically: a reader sees the old copy or the new one, never half."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_bytes(pdf)
    os.replace(temporary, target)


def run(job: Job) -> Done:
    """Draw and write one document here, in this process; its errors become the answer."""
    from display.fonts import FontMissing

    try:
        pdf = render(job.kind, job.data)
        write(job.path, pdf)
    except FontMissing:
        return Done(os.getpid(), error="no_font")
    except Exception as exc:  # told to the server, which answers 500; the worker lives on
        return Done(os.getpid(), error=f"{type(exc).__name__}: {exc}")
    return Done(os.getpid(), len(pdf))


# -- the two ends of the pipe -----------------------------------------------------------------


def send(fd: int, message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def receive(fd: int) -> Any:
    """The next message, or EOFError when the other end is gone."""
    (size,) = HEADER.unpack(_exactly(fd, HEADER.size))
    return pickle.loads(_exactly(fd, size))


def _exactly(fd: int, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the pipe was closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def main() -> None:
    """The worker: draw each job that comes on stdin, answer on stdout, until stdin closes."""
    os.nice(NICE)  # the server's event loop comes first where they share a CPU
    inbox, outbox = sys.stdin.fileno(), os.dup(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print must not break the pipe
    while True:
        try:
            job = receive(inbox)
        except EOFError:
            return
        send(outbox, run(job))


# -- the server's side ------------------------------------------------------------------------


class Builder(Protocol):
    def build(self, job: Job) -> Done: ...

    def close(self) -> None: ...


class InlineBuilder:
    """Draws in this process (the threading mode of the tests and of Flask's dev server)."""

    def build(self, job: Job) -> Done:
        done = run(job)
        _raise_for(done)
        return done

    def close(self) -> None:
        pass


class ProcessBuilder:
    """One worker process, started when first needed and again after it died; one job at a time.

    `offload(fn, *args)` runs `fn` on an OS thread and waits for it without blocking the event
    loop (the writer's runtime); `timeout` seconds after a job was sent, its worker is killed.
    """

    def __init__(
        self,
        offload: Callable[..., Any] = lambda fn, *args: fn(*args),
        spawn: Callable[..., Any] | None = None,
        sleep: Callable[[float], Any] | None = None,
        timeout: float = 300.0,
    ) -> None:
        self.offload, self.spawn, self.sleep, self.timeout = offload, spawn, sleep, timeout
        self.proc: subprocess.Popen[bytes] | None = None
        self._to = self._from = -1
        self._lock = threading.Lock()  # cooperative where the async mode patched threading
        self._jobs = 0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def build(self, job: Job) -> Done:
        with self._lock:
            proc = self._start()
            self._jobs += 1
            if self.spawn is not None and self.sleep is not None:
                self.spawn(self._watch, proc, self._jobs)
            try:
                done: Done = self.offload(self._exchange, self._to, self._from, job)
            except Exception as exc:  # the pipe's end, or an answer that makes no sense
                self._stop()
                raise WorkerDied(
                    "生成文件的进程已停止（%(reason)s），请重试。", reason=str(exc)
                ) from exc
            finally:
                self._jobs += 1  # the watch of this job lets it be
        _raise_for(done)
        return done

    @staticmethod
    def _exchange(to: int, from_: int, job: Job) -> Done:
        send(to, job)
        done: Done = receive(from_)
        return done

    def _watch(self, proc: subprocess.Popen[bytes], job: int) -> None:
        assert self.sleep is not None
        self.sleep(self.timeout)
        if self._jobs == job and self.proc is proc:  # still on that job: it hangs
            proc.kill()

    def _start(self) -> subprocess.Popen[bytes]:
        if self.proc is not None and self.proc.poll() is None:
            return self.proc
        self._stop()
        to_child, self._to = os.pipe()
        self._from, from_child = os.pipe()
        root = Path(__file__).resolve().parent.parent
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "display.builder"],
                stdin=to_child,
                stdout=from_child,
                cwd=root,
                close_fds=True,
            )
        finally:
            os.close(to_child)
            os.close(from_child)
        return self.proc

    def _stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc = None
        for fd in (self._to, self._from):
            if fd >= 0:
                os.close(fd)
        self._to = self._from = -1

    def close(self) -> None:
        """Let the worker go: its stdin closes and it returns."""
        with self._lock:
            self._stop()


def _raise_for(done: Done) -> None:
    if done.error == "no_font":
        from display.fonts import FontMissing

        raise FontMissing()
    if done.error is not None:
        raise RenderFailed("文件未能生成：%(reason)s", reason=done.error)


if __name__ == "__main__":  # run as `python -m display.builder`
    from display import builder  # this module by its name: what is pickled names it so

    builder.main()
