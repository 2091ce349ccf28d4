"""Load benchmark: N phones vote on the real server, beside a bare Flask-SocketIO server.

    python bench/load.py [--phones 3000] [--items 24] [--mode gevent|eventlet] [--spread 10]
                         [--phases single,burst,spread] [--skip-bare] [--json PATH]

What it does, for the app (`python app.py serve`) and then for `bench/bare_server.py` (the same
async mode, a server that only acknowledges each message: the framework's limit):

1. Starts the server on loopback pinned to one CPU (`taskset -c 0`); this process, the load
   generator (one asyncio loop, one python-socketio `AsyncClient` per phone, WebSocket
   transport), pins itself to another CPU. Both raise their open-files limit to the hard limit.
2. App only, through the public HTTP API: creates a meeting with N cards and 1 + 2 x `--items`
   items. A screen client joins `/screen` and records every `turnout` push (arrival time and
   per-item counts).
3. Connects N phones to `/voter` with their cards (which checks them in), `--connect-concurrency`
   at a time; measures the time and the failures.
4. Phases, each on items of its own (opened before, closed after; the bare server skips that):
   `single`: one item open, all N phones vote at once (burst);
   `burst`:  `--items` items open, each phone sends one `vote` message with a vote on each, all
             at once;
   `spread`: `--items` new items, each phone sends its message at a uniformly random moment
             within `--spread` seconds.
   Each phase measures acks per second (first send to last ack), ack latency (send to ack;
   a phone that gets no ack within `--timeout` resends the same ballots, which the app answers
   `unchanged`, and its latency runs from the first send), and the server's CPU per message.
5. App only: closes and reveals everything, reads `GET /api/meetings/<id>/results`, and checks
   that every acknowledged vote is counted exactly once: for every item, the counts per choice
   equal the acknowledged votes per choice.
6. Reads the server's RSS (VmRSS now, VmHWM the peak, from /proc/<pid>/status) and CPU seconds
   (utime + stime from /proc/<pid>/stat) with all phones still connected.

Screen freshness (app only): how long after a vote's ack the projector shows a turnout that
includes it. Votes are anonymous and turnout is a count per item, so the method is by rank:
for item i, sort the acks of votes on i by time; the k-th ack (at t_k) means at least k votes on
i were committed by then (a vote is acked after its commit). Its freshness is the arrival time of
the first turnout push whose voted[i] >= k, minus t_k, or 0 when such a push had already arrived
(the screen showed it before the phone heard its ack). A vote never covered by a push is counted
as unseen. Both clocks are this process's monotonic clock.

It prints one table (app | bare | app/bare) and writes it as JSON to
bench/results/load-<N>-<mode>.json (or `--json`). It exits 1 when a phone failed to connect or
dropped, a vote was not acknowledged, or an acknowledged vote was not counted exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import math
import os
import platform
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    import aiohttp
    import socketio
except ImportError as exc:  # pragma: no cover
    if __name__ != "__main__":
        raise
    sys.exit(f"{exc}: the load benchmark needs python-socketio's asyncio client (aiohttp)")

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
TOKEN = "bench-load-admin-token"
CHOICES = ("satisfied", "basic", "unsatisfied")
PHASES = ("single", "burst", "spread")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def now() -> float:
    return time.monotonic()


# ---------------------------------------------------------------- the machine and the processes


@dataclass
class Pinning:
    server: int | None
    generator: int | None
    how: str  # "taskset", "sched_setaffinity" or why not pinned

    @classmethod
    def choose(cls) -> Pinning:
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if len(cpus) < 2:
            return cls(None, None, f"not pinned: only {len(cpus) or 'an unknown number of'} CPU")
        how = "taskset" if shutil.which("taskset") else "sched_setaffinity (no taskset)"
        return cls(cpus[0], cpus[1], how)

    def pin_generator(self) -> None:
        if self.generator is not None:
            os.sched_setaffinity(0, {self.generator})

    def server_command(self, cmd: list[str]) -> tuple[list[str], Any]:
        """The command line and preexec function that pin a server to its CPU."""
        if self.server is None:
            return cmd, None
        if self.how == "taskset":
            return ["taskset", "-c", str(self.server), *cmd], None
        cpu = self.server
        return cmd, lambda: os.sched_setaffinity(0, {cpu})

    def describe(self) -> str:
        if self.server is None:
            return self.how
        return f"server on CPU {self.server}, generator on CPU {self.generator} ({self.how})"


async def api_call(http: Any, url: str, method: str, path: str, body: Any = None) -> Any:
    """One admin call of the app's HTTP API (aiohttp); raises on any error answer."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with http.request(method, f"{url}/api{path}", json=body, headers=headers) as r:
        data = await r.json(content_type=None)
        if r.status >= 400:
            raise RuntimeError(f"{method} /api{path}: {r.status} {data}")
        return data


def raise_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_stats(pid: int) -> dict[str, float]:
    """RSS now and at its peak (MB), and CPU seconds so far, of a process (Linux /proc)."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024  # kB -> MB
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        out["cpu_s"] = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    except (OSError, ValueError, IndexError):
        pass
    return out


def cpu_seconds(pid: int) -> float:
    """CPU seconds of all of a process's threads, to the nanosecond where schedstat is there."""
    total, found = 0.0, False
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError, ValueError, IndexError):
                total += int((task / "schedstat").read_text().split()[0]) / 1e9
                found = True
    return total if found else proc_stats(pid).get("cpu_s", 0.0)


def cpu_busy(cpu: int | None) -> float | None:
    """Seconds one CPU has spent busy, whoever ran on it (/proc/stat; steal counts as busy)."""
    if cpu is None:
        return None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith(f"cpu{cpu} "):
                f = [int(x) for x in line.split()[1:9]]
                return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / CLK_TCK
    return None


def own_cpu() -> float:
    return time.process_time()


def listen_overflows() -> int | None:
    """The kernel's count of connections dropped because a listen queue was full (all ports)."""
    with contextlib.suppress(OSError, ValueError):
        lines = [x.split() for x in Path("/proc/net/netstat").read_text().splitlines()]
        for names, values in zip(lines[::2], lines[1::2], strict=False):
            if names[0] == "TcpExt:":
                return int(dict(zip(names, values, strict=False))["ListenOverflows"])
    return None


class ServerProcess:
    """The app or the bare server in a subprocess, pinned, logging to a file."""

    running: set[ServerProcess] = set()  # stopped by main() whatever happens

    def __init__(self, kind: str, mode: str, folder: Path, pinning: Pinning):
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / f"{kind}-{mode}.log"
        if kind == "app":
            script = ["app.py", "serve"]
            instance = folder / "instance"
            env = {**os.environ, "CEPING_INSTANCE": str(instance), "CEPING_ADMIN_TOKEN": TOKEN}
        else:
            script = ["bench/bare_server.py"]
            env = dict(os.environ)
        env["PYTHONUNBUFFERED"] = "1"
        cmd = [sys.executable, *script, "--host", "127.0.0.1", "--port", str(self.port),
               "--async-mode", mode]  # fmt: skip
        cmd, preexec = pinning.server_command(cmd)
        self.command = " ".join(cmd)
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=preexec
            )
        self.pid = self.proc.pid  # taskset execs the server: the same process
        ServerProcess.running.add(self)
        self.pinning = pinning

    async def ready(self, session: Any, timeout: float = 60) -> None:
        deadline = now() + timeout
        while now() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited:\n{self.tail()}")
            with contextlib.suppress(Exception):
                async with session.get(f"{self.url}/healthz") as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"{self.kind} server did not start:\n{self.tail()}")

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return ""

    @classmethod
    def stop_all(cls, folder: Path, keep: bool) -> None:
        """After a run, even an interrupted one: no server left behind, the folder removed."""
        for server in list(cls.running):
            server.stop()
        if keep:
            print(f"kept: {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)

    def stop(self) -> None:
        ServerProcess.running.discard(self)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------- the clients


class Phone:
    """One phone: a python-socketio AsyncClient on /voter, holding one card."""

    def __init__(self, run: Run, n: int, token: str):
        self.run = run
        self.n = n
        self.token = token
        self.client = socketio.AsyncClient(
            reconnection=False, handle_sigint=False, http_session=run.http, request_timeout=30
        )
        self.connected = False
        self.items: set[int] = set()
        self.client.on("state", self.on_state, namespace="/voter")
        self.client.on("disconnect", self.on_disconnect, namespace="/voter")

    async def on_state(self, data: Any) -> None:
        items = {i["id"] for i in data.get("items", ())} if isinstance(data, dict) else set()
        self.run.saw_state(self, items)
        self.items = items

    async def on_disconnect(self, *args: Any) -> None:
        if self.connected:
            self.run.online -= 1
            if not self.run.finishing:
                self.run.dropped += 1
        self.connected = False

    async def connect(self) -> str | None:
        """Connect with the card; None, or why it failed."""
        try:
            await self.client.connect(
                self.run.url,
                namespaces=["/voter"],
                transports=["websocket"],
                auth={"token": self.token, "device": f"bench-phone-{self.n:05d}"},
                wait_timeout=self.run.timeout,
            )
        except Exception as exc:  # refused, timed out, reset: all count as failed
            with contextlib.suppress(Exception):
                await self.client.disconnect()
            return f"{type(exc).__name__}: {exc}"[:200]
        self.connected = True
        self.run.online += 1
        return None

    async def vote(self, votes: list[dict[str, Any]], record: VoteRecord) -> None:
        """Send one `vote` message; resend the same ballots when no ack comes in time."""
        loop = asyncio.get_running_loop()
        record.sent = now()
        for attempt in range(self.run.tries):
            answer = loop.create_future()

            def on_ack(*args: Any, answer: asyncio.Future = answer) -> None:
                if not answer.done():
                    answer.set_result(args[0] if args else None)

            try:
                await self.client.emit(
                    "vote", {"votes": votes}, namespace="/voter", callback=on_ack
                )
            except Exception as exc:  # not connected any more
                record.error = f"{type(exc).__name__}: {exc}"[:200]
                return
            try:
                ack = await asyncio.wait_for(answer, self.run.timeout)
            except TimeoutError:
                record.retries = attempt + 1
                if not self.run.server.alive():
                    break
                continue
            record.acked = now()
            if isinstance(ack, dict) and ack.get("ok") is True:
                record.statuses = ack.get("votes") or []
                fine = ("recorded", "unchanged") if attempt else ("recorded",)
                if len(record.statuses) != len(votes) or set(record.statuses) - set(fine):
                    record.error = f"unexpected ack: {json.dumps(ack)[:150]}"
            else:
                record.error = json.dumps(ack)[:200]
            return
        record.error = f"no ack after {self.run.tries} tries"


@dataclass
class VoteRecord:
    phone: int
    items: list[int]
    choice: str
    sent: float = 0.0
    acked: float | None = None
    statuses: list[str] = field(default_factory=list)
    retries: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.acked is not None and self.error is None


class Screen:
    """The projector: records the arrival of every `turnout` push."""

    def __init__(self, run: Run):
        self.client = socketio.AsyncClient(
            reconnection=False, handle_sigint=False, http_session=run.http
        )
        self.pushes: list[tuple[float, dict[int, int]]] = []
        self.sizes: list[int] = []
        self.client.on("turnout", self.on_turnout, namespace="/screen")

    async def on_turnout(self, data: Any) -> None:
        arrived = now()
        voted = data.get("voted", {}) if isinstance(data, dict) else {}
        self.pushes.append((arrived, {int(k): v for k, v in voted.items()}))

    def shows(self, item: int) -> int:
        return self.pushes[-1][1].get(item, 0) if self.pushes else 0


# ---------------------------------------------------------------------- the measurements


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile of `values` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(p / 100 * len(ordered))))
    return ordered[rank - 1]


def freshness(
    records: list[VoteRecord], pushes: list[tuple[float, dict[int, int]]]
) -> tuple[list[float], int]:
    """Seconds from each acked vote to the first push that covers it (see the module's doc),
    and how many acked votes no push covered."""
    acks: dict[int, list[float]] = defaultdict(list)
    for r in records:
        if r.ok:
            for item in r.items:
                acks[item].append(r.acked)  # type: ignore[arg-type]
    out: list[float] = []
    unseen = 0
    for item, times in acks.items():
        arrivals, shown, best = [], [], 0
        for arrived, voted in pushes:
            best = max(best, voted.get(item, 0))  # counts only grow; guard against reordering
            arrivals.append(arrived)
            shown.append(best)
        for k, acked in enumerate(sorted(times), start=1):
            j = bisect.bisect_left(shown, k)
            if j == len(shown):
                unseen += 1
            else:
                out.append(max(0.0, arrivals[j] - acked))
    return out, unseen


def acked_counts(records: list[VoteRecord]) -> dict[int, Counter]:
    """The acknowledged votes per item and choice."""
    acked: dict[int, Counter] = defaultdict(Counter)
    for r in records:
        if r.ok:
            for item in r.items:
                acked[item][r.choice] += 1
    return acked


def compare(
    acked: dict[int, Counter], counted: dict[int, dict[str, int]], items: list[int]
) -> list[dict[str, Any]]:
    """The items whose counts in the results are not exactly their acknowledged votes."""
    wrong = []
    for item in items:
        mine = {k: v for k, v in acked.get(item, {}).items() if v}
        theirs = {k: v for k, v in (counted.get(item) or {}).items() if v}
        if mine != theirs:
            wrong.append({"item": item, "acked": mine, "counted": counted.get(item)})
    return wrong


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def summarize_phase(
    name: str,
    records: list[VoteRecord],
    items: list[int],
    usage: dict[str, float],
    screen: Screen | None,
) -> dict[str, Any]:
    """The figures of one phase; `usage`: wall, server and generator CPU seconds during it."""
    good = [r for r in records if r.ok]
    latencies = [r.acked - r.sent for r in good]  # type: ignore[operator]
    out: dict[str, Any] = {
        "phase": name,
        "items": len(items),
        "messages": len(records),
        "acked": len(good),
        "failed": len(records) - len(good),
        "retries": sum(r.retries for r in records),
        "errors": sorted({r.error for r in records if r.error})[:5],
    }
    if good:
        first = min(r.sent for r in records)
        last = max(r.acked for r in good)  # type: ignore[type-var]
        span = max(last - first, 1e-9)
        out.update(
            seconds=round(span, 3),
            acks_per_s=round(len(good) / span, 1),
            votes_per_s=round(len(good) * len(items) / span, 1),
            latency_ms={p: ms(percentile(latencies, p)) for p in (50, 95, 99)},
            latency_max_ms=ms(max(latencies)),
        )
    cpu, wall = usage["server_cpu"], max(usage["wall"], 1e-9)
    out["server_cpu_s"] = round(cpu, 3)
    out["server_cpu_ms_per_ack"] = round(cpu * 1000 / len(good), 3) if good else None
    out["server_busy_pct"] = round(100 * cpu / wall, 1)
    out["generator_busy_pct"] = round(100 * usage["generator_cpu"] / wall, 1)
    # Other processes on the pinned CPUs: a disturbed run shows here (10 ms ticks: rough).
    for who in ("server", "generator"):
        if f"{who}_cpu_all" in usage:
            other = usage[f"{who}_cpu_all"] - usage[f"{who}_cpu"]
            out[f"other_on_{who}_cpu_pct"] = round(max(0.0, 100 * other / wall), 1)
    if screen is not None:
        fresh, unseen = freshness(records, screen.pushes)
        out["freshness_ms"] = {p: ms(percentile(fresh, p)) for p in (50, 99)}
        out["freshness_max_ms"] = ms(max(fresh)) if fresh else None
        out["unseen"] = unseen
    return out


# ---------------------------------------------------------------------- one run against a server


class Run:
    """One server under the load: connect, the phases, the counts."""

    def __init__(self, args: argparse.Namespace, kind: str, server: ServerProcess, http: Any):
        self.args = args
        self.kind = kind
        self.server = server
        self.url = server.url
        self.http = http
        self.timeout = args.timeout
        self.tries = 3
        self.finishing = False
        self.dropped = 0
        self.online = 0  # phones connected now
        self.phones: list[Phone] = []
        self.screen: Screen | None = None
        self.meeting: dict[str, Any] | None = None
        self.rng = random.Random(args.seed)
        self.records: list[VoteRecord] = []
        self.problems: list[str] = []
        self._waiting: int | None = None  # the item whose `state` fan-out is being timed
        self._have: int = 0
        self._all_have: asyncio.Event | None = None

    # -- the API (app only)

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        return await api_call(self.http, self.url, method, path, body)

    async def setup(self) -> tuple[list[str], dict[str, list[int]]]:
        """Card tokens and the items of each phase."""
        n, per_batch = self.args.phones, self.args.items
        sizes = {"single": 1, "burst": per_batch, "spread": per_batch}
        if self.kind == "bare":
            tokens = [f"bare-{i}" for i in range(n)]
            items, next_id = {}, 1
            for phase in self.args.phases:
                items[phase] = list(range(next_id, next_id + sizes[phase]))
                next_id += sizes[phase]
            return tokens, items
        m = await self.api("POST", "/meetings", {"title": "负载测试", "expected": n})
        self.meeting = m
        items = {}
        for phase in self.args.phases:
            new = [{"subject": f"{phase} 第{k + 1}项", "person": "局长", "batch": phase}
                   for k in range(sizes[phase])]  # fmt: skip
            added = await self.api("POST", f"/meetings/{m['id']}/items", {"items": new})
            items[phase] = added["ids"]
        tokens: list[str] = []
        while len(tokens) < n:
            count = min(5000, n - len(tokens))
            cards = await self.api(
                "POST", f"/meetings/{m['id']}/cards", {"count": count, "confirm": True}
            )
            tokens += [c["token"] for c in cards["cards"]]
        return tokens, items

    async def move(self, action: str, items: list[int]) -> None:
        if self.meeting is not None:
            await self.api("POST", f"/meetings/{self.meeting['id']}/{action}", {"items": items})

    # -- state fan-out (app only): open, then wait until every phone has the item

    def saw_state(self, phone: Phone, items: set[int]) -> None:
        if (
            self._waiting is not None
            and self._waiting in items
            and self._waiting not in phone.items
        ):
            self._have += 1
            if self._all_have is not None and self._have >= self.online:
                self._all_have.set()

    async def open_and_wait(self, items: list[int]) -> float | None:
        """Open the items; seconds until every connected phone's `state` shows them."""
        if self.meeting is None:
            return None
        self._waiting, self._have, self._all_have = items[0], 0, asyncio.Event()
        started = now()
        await self.move("open", items)
        try:
            await asyncio.wait_for(self._all_have.wait(), self.timeout)
            return now() - started
        except TimeoutError:
            self.problems.append(f"only {self._have} phones heard that items were opened")
            return None
        finally:
            self._waiting = None

    # -- the phases

    async def connect_all(self, tokens: list[str]) -> dict[str, Any]:
        self.phones = [Phone(self, n, token) for n, token in enumerate(tokens)]
        gate = asyncio.Semaphore(self.args.connect_concurrency)
        times: list[float] = []

        async def one(phone: Phone) -> str | None:
            async with gate:
                t0 = now()
                error = await phone.connect()
                if error is None:
                    times.append(now() - t0)
                return error

        started, cpu0, overflows0 = now(), cpu_seconds(self.server.pid), listen_overflows()
        errors = await asyncio.gather(*(one(p) for p in self.phones))
        seconds = now() - started
        cpu = cpu_seconds(self.server.pid) - cpu0
        overflows1 = listen_overflows()
        failed = [e for e in errors if e]
        if failed:
            self.problems.append(f"{len(failed)} phones failed to connect, e.g. {failed[0]}")
        return {
            "phones": len(self.phones),
            "connected": len(self.phones) - len(failed),
            "failed": len(failed),
            "connect_s": round(seconds, 3),
            "connect_ms": {p: ms(percentile(times, p)) for p in (50, 99)},
            "connect_errors": sorted(set(failed))[:5],
            "connect_server_cpu_ms_per_phone": round(cpu * 1000 / len(self.phones), 3),
            "listen_overflows": None
            if overflows0 is None or overflows1 is None
            else overflows1 - overflows0,
        }

    def ballots(self, phone: Phone, items: list[int]) -> tuple[list[dict], VoteRecord]:
        choice = self.rng.choice(CHOICES)
        votes = [{"item": i, "choice": choice, "ballot": str(uuid.uuid4())} for i in items]
        return votes, VoteRecord(phone.n, items, choice)

    async def phase(self, name: str, items: list[int]) -> dict[str, Any]:
        fanout = await self.open_and_wait(items)
        phones = [p for p in self.phones if p.connected]
        prepared = [(p, *self.ballots(p, items)) for p in phones]
        records = [r for _, _, r in prepared]
        pin = self.server.pinning
        wall0, cpu0, gen0 = now(), cpu_seconds(self.server.pid), own_cpu()
        busy0 = (cpu_busy(pin.server), cpu_busy(pin.generator))
        if name == "spread":
            offsets = [self.rng.uniform(0, self.args.spread) for _ in prepared]

            async def later(phone: Phone, votes: list[dict], record: VoteRecord, at: float):
                await asyncio.sleep(at)
                await phone.vote(votes, record)

            await asyncio.gather(
                *(later(p, v, r, at) for (p, v, r), at in zip(prepared, offsets, strict=True))
            )
        else:
            await asyncio.gather(*(p.vote(v, r) for p, v, r in prepared))
        usage = {
            "wall": now() - wall0,
            "server_cpu": cpu_seconds(self.server.pid) - cpu0,
            "generator_cpu": own_cpu() - gen0,
        }
        busy1 = (cpu_busy(pin.server), cpu_busy(pin.generator))
        for key, before, after in zip(("server_cpu_all", "generator_cpu_all"), busy0, busy1,
                                      strict=True):  # fmt: skip
            if before is not None and after is not None:
                usage[key] = after - before
        if self.screen is not None:
            await self.screen_catches_up(records, items)
        self.records += records
        out = summarize_phase(name, records, items, usage, self.screen)
        out["open_to_all_phones_s"] = None if fanout is None else round(fanout, 3)
        if out["failed"]:
            self.problems.append(f"{name}: {out['failed']} vote messages not acknowledged")
        await self.move("close", items)
        return out

    async def screen_catches_up(self, records: list[VoteRecord], items: list[int]) -> None:
        """Wait (up to 5 s) until the screen shows every acknowledged vote of the phase."""
        assert self.screen is not None
        acked = Counter(i for r in records if r.ok for i in r.items)
        deadline = now() + 5
        while now() < deadline:
            if all(self.screen.shows(i) >= acked[i] for i in items):
                return
            await asyncio.sleep(0.05)

    # -- the counts (app only)

    async def counts(self, items: list[int]) -> dict[str, Any]:
        """Reveal everything and check: every acknowledged vote counted exactly once."""
        acked = acked_counts(self.records)
        out: dict[str, Any] = {
            "votes_acked": sum(sum(c.values()) for c in acked.values()),
            "votes_counted": None,
            "items_wrong": None,
        }
        if self.meeting is None:
            return out
        await self.move("reveal", items)
        results = await self.api("GET", f"/meetings/{self.meeting['id']}/results")
        counted = {item["id"]: item["aspects"][0]["result"]["counts"] for item in results["items"]}
        wrong = compare(acked, counted, items)
        if wrong:
            self.problems.append(
                f"{len(wrong)} items where the counts differ from the acks, e.g. {wrong[0]}"
            )
        out.update(
            votes_counted=sum(sum(c.values()) for c in counted.values()),
            items_wrong=len(wrong),
            wrong=wrong[:5],
        )
        return out

    # -- the whole run

    async def go(self) -> dict[str, Any]:
        out: dict[str, Any] = {"server": self.kind, "command": self.server.command}
        gen0 = own_cpu()
        tokens, items = await self.setup()
        if self.kind == "app":
            assert self.meeting is not None
            self.screen = Screen(self)
            auth = {"meeting": self.meeting["id"], "key": self.meeting["screen_key"]}
        else:
            self.screen = None
            auth = {}
        screen_client = self.screen.client if self.screen else socketio.AsyncClient(
            reconnection=False, handle_sigint=False, http_session=self.http
        )  # fmt: skip
        await screen_client.connect(
            self.url, namespaces=["/screen"], transports=["websocket"], auth=auth
        )
        idle = proc_stats(self.server.pid)
        out["rss_idle_mb"] = round(idle.get("VmRSS", 0), 1)
        cpu0 = cpu_seconds(self.server.pid)
        try:
            out.update(await self.connect_all(tokens))
            out["rss_connected_mb"] = round(proc_stats(self.server.pid).get("VmRSS", 0), 1)
            out["phases"] = {}
            for phase in self.args.phases:
                out["phases"][phase] = await self.phase(phase, items[phase])
            out.update(await self.counts([i for p in self.args.phases for i in items[p]]))
            stats = proc_stats(self.server.pid)
            out["rss_mb"] = round(stats.get("VmRSS", 0), 1)
            out["rss_peak_mb"] = round(stats.get("VmHWM", 0), 1)
            out["cpu_total_s"] = round(stats.get("cpu_s", 0), 2)  # start-up included
            out["cpu_s"] = round(cpu_seconds(self.server.pid) - cpu0, 2)  # connect to the end
            out["generator_cpu_s"] = round(own_cpu() - gen0, 2)
            out["turnout_pushes"] = len(self.screen.pushes) if self.screen else None
        finally:
            self.finishing = True
            out["dropped"] = self.dropped
            if self.dropped:
                self.problems.append(f"{self.dropped} phones were disconnected during the run")
            if not self.server.alive():
                self.problems.append(f"the server died:\n{self.server.tail()}")
            await self.disconnect_all(screen_client)
        out["problems"] = self.problems
        return out

    async def disconnect_all(self, screen_client: Any) -> None:
        gate = asyncio.Semaphore(200)

        async def one(client: Any) -> None:
            async with gate:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(client.disconnect(), 5)

        await asyncio.gather(*(one(p.client) for p in self.phones), one(screen_client))


async def run_server(args: argparse.Namespace, kind: str, folder: Path, pinning: Pinning):
    server = ServerProcess(kind, args.mode, folder, pinning)
    connector = aiohttp.TCPConnector(limit=0)  # every phone keeps its WebSocket open
    http = aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar())
    try:
        await server.ready(http)
        print(f"  {kind}: {server.command}", flush=True)
        run = Run(args, kind, server, http)
        return await run.go()
    finally:
        server.stop()
        await http.close()


# ---------------------------------------------------------------------- the table


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _get(data: dict | None, *path: Any) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def rows(report: dict[str, Any]) -> list[tuple[str, Any, Any, int]]:
    """(label, app value, bare value, decimals) for the table and the JSON's `table`."""
    app, bare = report.get("app"), report.get("bare")
    out: list[tuple[str, Any, Any, int]] = []

    def row(label: str, *path: Any, digits: int = 1, app_only: bool = False) -> None:
        out.append((label, _get(app, *path), None if app_only else _get(bare, *path), digits))

    config = report["config"]
    row(f"phones connected (of {config['phones']:,})", "connected")
    row("phones failed", "failed")
    row("phones dropped during the run", "dropped")
    row("connect time, all phones (s)", "connect_s", digits=2)
    row("connect latency p99 (ms)", "connect_ms", 99)
    row("listen queue overflows (kernel)", "listen_overflows")
    titles = {
        "single": "1 item, burst",
        "burst": f"{config['items']} items, burst",
        "spread": f"{config['items']} items, spread {config['spread']:g} s",
    }
    for phase in config["phases"]:
        t, ph = titles[phase], ("phases", phase)
        row(f"[{t}] open → all phones' state (s)", *ph, "open_to_all_phones_s", digits=3,
            app_only=True)  # fmt: skip
        if phase != "spread":
            row(f"[{t}] vote acks/s", *ph, "acks_per_s", digits=0)
            if phase != "single":
                row(f"[{t}] votes/s", *ph, "votes_per_s", digits=0)
        for p in (50, 95, 99):
            row(f"[{t}] ack latency p{p} (ms)", *ph, "latency_ms", p)
        for p in (50, 99):
            row(f"[{t}] screen freshness p{p} (ms)", *ph, "freshness_ms", p, app_only=True)
        if phase != "spread":
            row(f"[{t}] server CPU per ack (ms)", *ph, "server_cpu_ms_per_ack", digits=2)
            row(f"[{t}] server CPU busy (%)", *ph, "server_busy_pct", digits=0)
            row(f"[{t}] generator CPU busy (%)", *ph, "generator_busy_pct", digits=0)
            row(f"[{t}] others on the server's CPU (%)", *ph, "other_on_server_cpu_pct",
                digits=0)  # fmt: skip
    row("votes acknowledged", "votes_acked")
    row("votes counted in the results", "votes_counted", app_only=True)
    row("server RSS idle (MB)", "rss_idle_mb")
    row("server RSS with all phones (MB)", "rss_connected_mb")
    row("server RSS peak, VmHWM (MB)", "rss_peak_mb")
    row("server CPU, connect to end (s)", "cpu_s", digits=2)
    row("load generator CPU (s)", "generator_cpu_s", digits=2)
    return out


def table(report: dict[str, Any]) -> str:
    lines = []
    width = max(len(label) for label, *_ in rows(report)) + 2
    header = f"{'':<{width}}{'app':>12}{'bare':>12}{'app/bare':>10}"
    lines += [header, "-" * len(header)]
    for label, a, b, digits in rows(report):
        ratio = None
        if isinstance(a, int | float) and isinstance(b, int | float) and b:
            ratio = a / b
        lines.append(
            f"{label:<{width}}{_fmt(a, digits):>12}{_fmt(b, digits):>12}{_fmt(ratio, 2):>10}"
        )
    return "\n".join(lines)


# ---------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=3000, help="number of phones (N)")
    parser.add_argument("--items", type=int, default=24, help="items in a batch")
    parser.add_argument("--mode", choices=("gevent", "eventlet"), default="gevent")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds of the spread run")
    parser.add_argument(
        "--phases", default=",".join(PHASES), help=f"comma-separated, of {', '.join(PHASES)}"
    )
    parser.add_argument("--skip-bare", action="store_true", help="run the app only")
    parser.add_argument("--json", default=None, help="where the JSON goes")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for a connect/ack")
    parser.add_argument("--connect-concurrency", type=int, default=100,
                        help="phones connecting at the same time")  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default=None, help="where the instance folder goes (a disk)")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and logs")
    args = parser.parse_args(argv)
    args.phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = [p for p in args.phases if p not in PHASES]
    if unknown or not args.phases:
        parser.error(f"--phases: choose among {', '.join(PHASES)}")
    if not 1 <= args.items <= 500:
        parser.error("--items: 1 to 500")
    if args.phones < 1:
        parser.error("--phones: at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pinning = Pinning.choose()
    pinning.pin_generator()
    limit = raise_file_limit()
    if limit < args.phones + 100:
        print(f"warning: open files limited to {limit}, fewer than the phones need", flush=True)
    started = now()
    report: dict[str, Any] = {
        "config": {
            "phones": args.phones, "items": args.items, "mode": args.mode,
            "spread": args.spread, "phases": args.phases, "timeout": args.timeout,
            "connect_concurrency": args.connect_concurrency, "seed": args.seed,
        },
        "machine": {
            "cpus": os.cpu_count(), "pinning": pinning.describe(), "open_files": limit,
            "python": platform.python_version(), "platform": platform.platform(),
            "cpu_model": _cpu_model(),
        },
        "app": None,
        "bare": None,
    }  # fmt: skip
    print(
        f"load benchmark: {args.phones:,} phones, {args.mode}, {pinning.describe()}, "
        f"open files {limit:,}",
        flush=True,
    )
    folder = run_folder("load", args.dir)
    try:
        for kind in ("app",) if args.skip_bare else ("app", "bare"):
            sub = folder / kind
            sub.mkdir()
            report[kind] = asyncio.run(run_server(args, kind, sub, pinning))
    except Exception as exc:
        report["error"] = f"{type(exc).__name__}: {exc}"
        print(f"error: {report['error']}", file=sys.stderr, flush=True)
    finally:
        ServerProcess.stop_all(folder, args.keep)
    report["seconds"] = round(now() - started, 1)
    report["table"] = [{"metric": label, "app": a, "bare": b} for label, a, b, _ in rows(report)]
    problems = [
        f"{kind}: {p}" for kind in ("app", "bare") for p in _get(report, kind, "problems") or ()
    ]
    if report.get("error"):
        problems.append(report["error"])
    report["ok"] = not problems
    report["problems"] = problems
    print()
    print(table(report))
    print()
    path = write_report(report, args.json, f"load-{args.phones}-{args.mode}")
    print(f"written: {path}  ({report['seconds']} s)")
    for problem in problems:
        print(f"FAIL {problem}")
    print("load: OK" if not problems else f"load: {len(problems)} problem(s)")
    return 0 if not problems else 1


def _terminated(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds through the `finally` that stops the servers


def run_folder(name: str, where: str | None) -> Path:
    """A new folder for one run's servers and logs (under `where`, if given); from now on a
    SIGTERM unwinds through the `finally` that stops them."""
    signal.signal(signal.SIGTERM, _terminated)
    return Path(tempfile.mkdtemp(prefix=f"ceping-{name}-", dir=where))


def write_report(report: dict[str, Any], given: str | None, name: str) -> Path:
    """Write a run's report as JSON to `given`, else to bench/results/<name>.json."""
    path = Path(given) if given else RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    return path


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return None


if __name__ == "__main__":
    sys.exit(main())
