"""Soak run: N phones stay connected to the real server for a long time and keep voting.

    python bench/soak.py [--phones 1000] [--minutes 10] [--vote-every 5] [--item-every 60]
                         [--mode gevent|eventlet] [--warmup 60] [--json PATH]

What it does (the server is `python app.py serve`, started and pinned as by bench/load.py):

1. Through the HTTP API: a meeting that allows changing a vote, N cards, and as many items as
   the run will open. One projector client on `/screen` stays connected throughout.
2. Connects N phones to `/voter` (python-socketio `AsyncClient`, WebSocket) with their cards.
3. For `--minutes`: one item is open at a time; every `--item-every` seconds the secretary's
   calls close and reveal it and open the next. Each phone votes every `--vote-every` seconds
   (with jitter) on the open item: the first time a new ballot, afterwards the same ballot id
   with a random choice (`changed` or `unchanged`), as a voter changing their mind does.
4. Reads the server's RSS (VmRSS, /proc/<pid>/status) after `--warmup` seconds (the start:
   the interpreter's caches, SQLite's page cache and the connections' buffers have settled) and
   at the end, and every 30 s in between. PASS when the end is at most 10 % (`--max-growth`)
   above the start.
5. At the end: closes and reveals the last item, checks that every item's counts are exactly
   the last acknowledged choice of each phone that voted on it, runs `app.py verify`, and
   counts the backups the reveals left.

Every error is counted and printed: phones that failed to connect or dropped, votes not
acknowledged or refused, HTTP errors, tracebacks in the server's log. It prints PASS or FAIL
and exits 1 on FAIL (memory growth beyond the limit, or any error).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import subprocess
import sys
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import (
    CHOICES,
    ROOT,
    Pinning,
    ServerProcess,
    api_call,
    now,
    proc_stats,
    raise_file_limit,
    run_folder,
    write_report,
)


class Soak:
    def __init__(self, args: argparse.Namespace, server: ServerProcess, http: Any):
        self.args = args
        self.server = server
        self.http = http
        self.rng = random.Random(args.seed)
        self.errors: Counter[str] = Counter()
        self.examples: dict[str, str] = {}
        self.meeting: dict[str, Any] = {}
        self.items: list[int] = []
        self.current: int | None = None  # the open item
        self.opened: list[int] = []
        self.clients: list[socketio.AsyncClient] = []
        self.online = 0
        self.finishing = False
        # (phone, item) -> [ballot id, last acknowledged choice]
        self.ballots: dict[tuple[int, int], list[Any]] = {}
        self.acks: Counter[str] = Counter()
        self.samples: list[tuple[float, float]] = []

    def error(self, kind: str, detail: str = "") -> None:
        self.errors[kind] += 1
        self.examples.setdefault(kind, detail[:200])

    async def api(self, method: str, path: str, body: Any = None) -> Any:
        return await api_call(self.http, self.server.url, method, path, body)

    async def setup(self) -> list[str]:
        a = self.args
        count = int(a.minutes * 60 / a.item_every) + 2
        m = await self.api(
            "POST", "/meetings", {"title": "长时测试", "expected": a.phones, "allow_change": True}
        )
        self.meeting = m
        new = [{"subject": f"第{k + 1}项", "person": "局长"} for k in range(count)]
        self.items = (await self.api("POST", f"/meetings/{m['id']}/items", {"items": new}))["ids"]
        tokens: list[str] = []
        while len(tokens) < a.phones:
            n = min(5000, a.phones - len(tokens))
            cards = await self.api(
                "POST", f"/meetings/{m['id']}/cards", {"count": n, "confirm": True}
            )
            tokens += [c["token"] for c in cards["cards"]]
        return tokens

    async def connect(self, n: int, token: str) -> socketio.AsyncClient | None:
        client = socketio.AsyncClient(
            reconnection=False, handle_sigint=False, http_session=self.http, request_timeout=30
        )

        async def on_disconnect(*_: Any) -> None:
            self.online -= 1
            if not self.finishing:
                self.error("dropped", f"phone {n}")

        client.on("disconnect", on_disconnect, namespace="/voter")
        try:
            await client.connect(
                self.server.url, namespaces=["/voter"], transports=["websocket"],
                auth={"token": token, "device": f"soak-phone-{n:05d}"}, wait_timeout=60,
            )  # fmt: skip
        except Exception as exc:
            self.error("connect failed", f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(Exception):
                await client.disconnect()
            return None
        self.online += 1
        return client

    async def phone(self, n: int, client: socketio.AsyncClient, until: float) -> None:
        a = self.args
        await asyncio.sleep(self.rng.uniform(0, a.vote_every))
        while now() < until and not self.finishing:
            item = self.current
            if item is not None and client.connected:
                key = (n, item)
                held = self.ballots.get(key)
                ballot = held[0] if held else str(uuid.uuid4())
                choice = self.rng.choice(CHOICES)
                vote = {"item": item, "choice": choice, "ballot": ballot}
                try:
                    ack = await client.call("vote", {"votes": [vote]}, namespace="/voter",
                                            timeout=a.timeout)  # fmt: skip
                except Exception as exc:
                    self.error("vote not acknowledged", f"{type(exc).__name__}: {exc}")
                    ack = None
                if isinstance(ack, dict) and ack.get("ok"):
                    self.acks[ack["votes"][0]] += 1
                    self.ballots[key] = [ballot, choice]
                elif isinstance(ack, dict) and ack.get("error") == "not_open":
                    self.acks["not_open (item just closed)"] += 1  # the race at each move: fine
                elif ack is not None:
                    self.error(f"vote refused: {ack.get('error')}", json.dumps(ack))
            await asyncio.sleep(a.vote_every * self.rng.uniform(0.5, 1.5))

    async def secretary(self, until: float) -> None:
        """Open the items one after another; close and reveal each one after `--item-every`."""
        for item in self.items:
            if now() >= until:
                break
            await self.move("open", item)
            self.current = item
            self.opened.append(item)
            await asyncio.sleep(min(self.args.item_every, max(0.0, until - now())))
            self.current = None
            await self.move("close", item)
            await self.move("reveal", item)

    async def move(self, action: str, item: int) -> None:
        try:
            body: dict[str, Any] = {"items": [item]}
            if action == "open":
                body["override_quorum"] = True  # a phone that dropped must not stop the run
            await self.api("POST", f"/meetings/{self.meeting['id']}/{action}", body)
        except Exception as exc:
            self.error(f"{action} failed", str(exc))

    async def memory(self, until: float, started: float) -> None:
        """RSS at the start, at `--warmup`, every 30 s, and at the end."""
        marks = sorted({0.0, self.args.warmup, *range(30, int(until - started), 30)})
        for mark in marks:
            await asyncio.sleep(max(0.0, started + mark - now()))
            self.sample(started)
        await asyncio.sleep(max(0.0, until - now()))

    def sample(self, started: float) -> None:
        rss = proc_stats(self.server.pid).get("VmRSS")
        if rss is None:
            return
        self.samples.append((now() - started, rss))
        print(
            f"  {now() - started:6.0f} s  RSS {rss:7.1f} MB  phones {self.online:,}"
            f"  acks {sum(self.acks.values()):,}  errors {sum(self.errors.values())}",
            flush=True,
        )

    def rss_at(self, t: float) -> float | None:
        after = [rss for at, rss in self.samples if at >= t]
        return after[0] if after else None

    async def check_counts(self) -> list[dict[str, Any]]:
        results = await self.api("GET", f"/meetings/{self.meeting['id']}/results")
        counted = {i["id"]: i["aspects"][0]["result"]["counts"] for i in results["items"]}
        expected: dict[int, Counter] = defaultdict(Counter)
        for (_, item), (_, choice) in self.ballots.items():
            expected[item][choice] += 1
        wrong = []
        for item in self.opened:
            mine = {k: v for k, v in expected[item].items() if v}
            theirs = {k: v for k, v in (counted.get(item) or {}).items() if v}
            if mine != theirs:
                wrong.append({"item": item, "acked": mine, "counted": theirs})
        return wrong


def check_afterwards(run: Soak, server: ServerProcess, folder: Path) -> subprocess.CompletedProcess:
    """With the server stopped: no traceback in its log, and `verify` passes on its file."""
    log = server.log.read_text(errors="replace")
    tracebacks = log.count("Traceback (most recent call last)")
    if tracebacks:
        run.error("tracebacks in the server's log", log[log.index("Traceback") :][:400])
    env = {**os.environ, "CEPING_INSTANCE": str(folder / "instance")}
    verify = subprocess.run([sys.executable, "app.py", "verify"], cwd=ROOT, env=env,
                            capture_output=True, text=True)  # fmt: skip
    if verify.returncode != 0:
        run.error("verify failed", verify.stdout + verify.stderr)
    return verify


async def soak(args: argparse.Namespace, folder: Path, pinning: Pinning) -> dict[str, Any]:
    server = ServerProcess("app", args.mode, folder, pinning)
    limit = max(args.phones + 100, 1000)
    connector = aiohttp.TCPConnector(limit=limit, limit_per_host=limit)
    async with aiohttp.ClientSession(connector=connector) as http:
        await server.ready(http)
        run = Soak(args, server, http)
        rss_idle = proc_stats(server.pid).get("VmRSS")
        tokens = await run.setup()
        screen = socketio.AsyncClient(reconnection=False, handle_sigint=False, http_session=http)
        key = {"meeting": run.meeting["id"], "key": run.meeting["screen_key"]}
        await screen.connect(server.url, namespaces=["/screen"], transports=["websocket"], auth=key)
        t0 = now()
        sem = asyncio.Semaphore(100)

        async def one(n: int, token: str):
            async with sem:
                return await run.connect(n, token)

        clients = await asyncio.gather(*(one(n, t) for n, t in enumerate(tokens)))
        connected = [(n, c) for n, c in enumerate(clients) if c is not None]
        print(f"  {len(connected):,} phones connected in {now() - t0:.1f} s", flush=True)
        rss_connected = proc_stats(server.pid).get("VmRSS")
        started = now()
        until = started + args.minutes * 60
        tasks = [asyncio.create_task(run.phone(n, c, until)) for n, c in connected]
        tasks.append(asyncio.create_task(run.secretary(until)))
        tasks.append(asyncio.create_task(run.memory(until, started)))
        await asyncio.gather(*tasks)
        run.sample(started)
        rss_end = run.samples[-1][1] if run.samples else None
        hwm = proc_stats(server.pid).get("VmHWM")
        run.finishing = True
        wrong = await run.check_counts()
        for c in [c for _, c in connected] + [screen]:
            with contextlib.suppress(Exception):
                await c.disconnect()
        if not server.alive():
            run.error("server died", server.tail())
    server.stop()
    verify = check_afterwards(run, server, folder)
    if wrong:
        run.error("counts differ from the acknowledged votes", json.dumps(wrong[:3]))
    rss_start = run.rss_at(args.warmup - 1) or rss_connected
    growth = (rss_end - rss_start) / rss_start * 100 if rss_start and rss_end else None
    return {
        "phones_connected": len(connected),
        "rss_mb": {
            "idle": rss_idle, "connected": rss_connected, "start": rss_start, "end": rss_end,
            "peak": hwm, "growth_pct": None if growth is None else round(growth, 2),
            "samples": [(round(t), round(r, 1)) for t, r in run.samples],
        },
        "acks": dict(run.acks),
        "items_opened": len(run.opened),
        "errors": dict(run.errors),
        "error_examples": run.examples,
        "verify": verify.stdout.strip().splitlines()[-1:] if verify.stdout else [],
        "backups": len(list((folder / "instance" / "backups").glob("*.sqlite"))),
    }  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--phones", type=int, default=1000)
    p.add_argument("--minutes", type=float, default=10.0, help="how long the phones vote")
    p.add_argument("--vote-every", type=float, default=5.0, help="seconds between a phone's votes")
    p.add_argument("--item-every", type=float, default=60.0, help="seconds each item stays open")
    p.add_argument("--warmup", type=float, default=60.0,
                   help="seconds into the run when the starting RSS is read")  # fmt: skip
    p.add_argument("--max-growth", type=float, default=10.0, help="percent RSS may grow")
    p.add_argument("--mode", choices=("gevent", "eventlet"), default="gevent")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for an ack")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--dir", default=None, help="where the instance folder goes")
    p.add_argument("--json", default=None, help="where the JSON goes")
    p.add_argument("--keep", action="store_true", help="keep the instance folder and the log")
    args = p.parse_args(argv)
    if args.phones < 1 or args.minutes <= 0 or args.vote_every <= 0 or args.item_every <= 0:
        p.error("--phones, --minutes, --vote-every and --item-every must be positive")
    args.warmup = min(args.warmup, args.minutes * 60 / 2)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pinning = Pinning.choose()
    pinning.pin_generator()
    raise_file_limit()
    print(
        f"soak: {args.phones:,} phones for {args.minutes:g} min, a vote every "
        f"{args.vote_every:g} s per phone, a new item every {args.item_every:g} s, {args.mode}, "
        f"{pinning.describe()}",
        flush=True,
    )
    folder = run_folder("soak", args.dir)
    started = now()
    try:
        report = asyncio.run(soak(args, folder, pinning))
    except Exception as exc:
        report = {"errors": {f"{type(exc).__name__}: {exc}": 1}, "rss_mb": {}}
    finally:
        ServerProcess.stop_all(folder, args.keep)
    report["seconds"] = round(now() - started, 1)
    report["config"] = {k: v for k, v in vars(args).items() if k not in ("json", "dir", "keep")}
    rss = report.get("rss_mb", {})
    growth = rss.get("growth_pct")
    grew = growth is None or growth > args.max_growth
    failed = grew or bool(report["errors"])
    report["ok"] = not failed
    print()
    print(f"phones connected:  {report.get('phones_connected', 0):,} of {args.phones:,}")
    print(f"items opened:      {report.get('items_opened', 0)}")
    print(f"acks:              {report.get('acks', {})}")
    print(
        f"server RSS:        {_mb(rss.get('idle'))} idle, {_mb(rss.get('connected'))} with the "
        f"phones, {_mb(rss.get('start'))} at {args.warmup:g} s, {_mb(rss.get('end'))} at the end "
        f"(peak {_mb(rss.get('peak'))}): {'?' if growth is None else f'{growth:+.1f} %'} "
        f"(limit +{args.max_growth:g} %)"
    )
    print(f"verify:            {' '.join(report.get('verify') or ['-'])}")
    print(f"backups kept:      {report.get('backups', 0)} (one per reveal, the newest 20)")
    print(f"errors:            {sum(report['errors'].values())}")
    for kind, n in report["errors"].items():
        print(f"  {n:6,}  {kind}: {report.get('error_examples', {}).get(kind, '')}")
    path = write_report(report, args.json, f"soak-{args.phones}-{args.mode}")
    print(f"written: {path}  ({report['seconds']} s)")
    print("soak: PASS" if not failed else "soak: FAIL")
    return 0 if not failed else 1


def _mb(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f} MB"


if __name__ == "__main__":
    sys.exit(main())
