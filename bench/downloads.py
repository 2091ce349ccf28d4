"""Downloads benchmark: the report, the letters and the card sheet (PDF), and the papers of the
sitting in Word (宣读稿, 通报, the letters), with N phones connected.

    python bench/downloads.py [--phones 3000] [--items 30] [--downloads 20] [--pause 0.2]
                              [--spread 10] [--mode gevent|eventlet] [--json PATH]

What it does (the server is `python app.py serve`, started and pinned as by bench/load.py; the
phones are bench/load.py's):

1. Through the HTTP API: a meeting of N cards with `--items` items and two probe items.
2. Connects N phones to `/voter`. Opens the items; every phone votes on all of them in one message;
   the secretary closes and reveals them. The server now builds the report, the letters and the
   Word papers in its worker process (the card sheet was built when the cards were issued).
3. The first download of each document after the reveal (it may wait for the build), then
   `--downloads` more of each, `--pause` seconds apart: p50 / p95 / max per document. Target:
   p95 at most 300 ms.
4. The phones' vote acks, twice over `--spread` seconds with every phone voting once at a random
   moment: on the first probe item with no document being built, then on the second while the
   secretary keeps changing a follow-up record and downloading the report and the letters (each
   change makes the worker build them again). Target: the ack p99 with builds within 50 ms of the
   one without.

It prints the figures and `downloads: PASS` or `downloads: FAIL` (exit 1), and writes the JSON to
`bench/results/downloads-<N>-<mode>.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import (
    TOKEN,
    Pinning,
    Run,
    ServerProcess,
    VoteRecord,
    ms,
    now,
    percentile,
    raise_file_limit,
    run_folder,
    write_report,
)

#: Each document and its file: the PDFs and the Word papers of the sitting.
FILES = {
    "report": "report.pdf",
    "letters": "letters.pdf",
    "cards": "cards.pdf",
    "announcement": "announcement.docx",
    "bulletin": "bulletin.docx",
    "letters_docx": "letters.docx",
}
DOCUMENTS = tuple(FILES)
TARGET_P95_MS = 300.0
TARGET_ACK_GAP_MS = 50.0


async def download(run: Run, meeting_id: int, kind: str) -> float:
    """Seconds for one whole download; raises on an error answer or what is not a PDF (or, for
    a Word file, not a zip)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    name = FILES[kind]
    magic = b"PK\x03\x04" if name.endswith(".docx") else b"%PDF"
    started = now()
    async with run.http.get(f"{run.url}/api/meetings/{meeting_id}/{name}", headers=headers) as r:
        body = await r.read()
        if r.status != 200 or not body.startswith(magic):
            raise RuntimeError(f"{name}: {r.status} {body[:200]!r}")
    return now() - started


async def downloads(run: Run, meeting_id: int, times: int, pause: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in DOCUMENTS:
        first = await download(run, meeting_id, kind)
        seconds = []
        for _ in range(times):
            # Clicks come apart: back to back on one kept-alive connection, a response that fits
            # in one segment waits for the client's delayed ACK of the previous one (~40 ms).
            await asyncio.sleep(pause)
            seconds.append(await download(run, meeting_id, kind))
        out[kind] = {
            "first_after_reveal_ms": ms(first),
            "p50_ms": ms(percentile(seconds, 50)),
            "p95_ms": ms(percentile(seconds, 95)),
            "max_ms": ms(max(seconds)),
            "n": len(seconds),
        }
    return out


async def votes(run: Run, item: int, spread: float, rng: random.Random) -> list[VoteRecord]:
    """Every connected phone votes once on `item`, at a random moment within `spread` seconds."""
    phones = [p for p in run.phones if p.connected]

    async def one(phone: Any) -> VoteRecord:
        await asyncio.sleep(rng.uniform(0, spread))
        choice = rng.choice(("satisfied", "basic", "unsatisfied"))
        record = VoteRecord(phone.n, [item], choice)
        await phone.vote([{"item": item, "choice": choice, "ballot": str(uuid.uuid4())}], record)
        return record

    return list(await asyncio.gather(*(one(p) for p in phones)))


def acks(records: list[VoteRecord]) -> dict[str, Any]:
    seconds = [r.acked - r.sent for r in records if r.ok and r.acked is not None]
    errors = sorted({r.error for r in records if r.error})
    return {
        "errors": errors[:3],
        "acked": len(seconds),
        "failed": len(records) - len(seconds),
        **{f"p{p}_ms": ms(percentile(seconds, p)) for p in (50, 95, 99)},
    }


async def keep_building(run: Run, meeting_id: int, item: int, stop: asyncio.Event) -> int:
    """Change a follow-up and download the report and the letters (each then built anew), again
    and again until `stop`: documents are being built all the while. Returns the rounds."""
    rounds = 0
    while not stop.is_set():
        note = {"notes": f"第 {rounds + 1} 次修改"}
        await run.api("PUT", f"/meetings/{meeting_id}/followups/{item}", note)
        await download(run, meeting_id, "report")
        await download(run, meeting_id, "letters")
        rounds += 1
    return rounds


async def measure(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    n, rng = args.phones, random.Random(args.seed)
    m = await run.api("POST", "/meetings", {"title": "文件下载测试", "expected": n})
    mid, run.meeting = m["id"], m
    new = [{"subject": f"市第{k + 1}局", "person": "局长"} for k in range(args.items)]
    new += [{"subject": f"试测项 {k + 1}", "person": "—"} for k in range(2)]
    ids = (await run.api("POST", f"/meetings/{mid}/items", {"items": new}))["ids"]
    items, probes = ids[: args.items], ids[args.items :]
    tokens: list[str] = []
    while len(tokens) < n:
        cards = await run.api(
            "POST",
            f"/meetings/{mid}/cards",
            {"count": min(5000, n - len(tokens)), "confirm": True},  # 5,000 at a time
        )
        tokens += [c["token"] for c in cards["cards"]]
    # The card sheet is made once the cards are issued (some 20 s for 3,000 cards): as for a real
    # meeting, it is ready (and printed) before the phones come.
    sheet = await download(run, mid, "cards")
    print(f"  the card sheet of {n:,} cards ready after {sheet:.1f} s", flush=True)
    connected = await run.connect_all(tokens)
    print(
        f"  {connected['connected']:,} phones connected in {connected['connect_s']} s", flush=True
    )

    await run.open_and_wait(items)
    ballots = [run.ballots(p, items) for p in run.phones if p.connected]
    await asyncio.gather(*(p.vote(v, r) for p, (v, r) in zip(run.phones, ballots, strict=False)))
    counted = sum(r.ok for _, r in ballots)
    if counted < connected["connected"]:
        raise RuntimeError(f"only {counted} phones' votes on the items were acknowledged")
    await run.move("close", items)
    await run.move("reveal", items)
    print("  revealed; downloading", flush=True)
    got = await downloads(run, mid, args.downloads, args.pause)

    await run.open_and_wait(probes)
    quiet = acks(await votes(run, probes[0], args.spread, rng))
    stop = asyncio.Event()
    builder = asyncio.create_task(keep_building(run, mid, items[-1], stop))
    busy = acks(await votes(run, probes[1], args.spread, rng))
    stop.set()
    rounds = await builder
    return {"connect": connected, "card_sheet_s": round(sheet, 1), "downloads": got,
            "acks_quiet": quiet, "acks_building": busy, "build_rounds": rounds}  # fmt: skip


async def run_app(args: argparse.Namespace, folder: Path, pinning: Pinning) -> dict[str, Any]:
    server = ServerProcess("app", args.mode, folder, pinning)
    http = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0), cookie_jar=aiohttp.DummyCookieJar()
    )
    try:
        await server.ready(http)
        run = Run(args, "app", server, http)
        return await measure(run, args)
    finally:
        server.stop()
        await http.close()


def verdict(report: dict[str, Any]) -> list[str]:
    problems = []
    for kind, figures in report["downloads"].items():
        if figures["p95_ms"] > TARGET_P95_MS:
            problems.append(f"{FILES[kind]} p95 {figures['p95_ms']} ms > {TARGET_P95_MS:.0f} ms")
    quiet, busy = report["acks_quiet"], report["acks_building"]
    if quiet["failed"] or busy["failed"]:
        problems.append(f"votes not acknowledged: {quiet['failed']} + {busy['failed']}")
    elif busy["p99_ms"] - quiet["p99_ms"] > TARGET_ACK_GAP_MS:
        problems.append(
            f"vote ack p99 {busy['p99_ms']} ms while building, {quiet['p99_ms']} ms without"
        )
    return problems


def table(report: dict[str, Any]) -> str:
    lines = [
        "| document | first after reveal | p50 | p95 | max |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for kind, f in report["downloads"].items():
        lines.append(f"| {FILES[kind]} | {f['first_after_reveal_ms']} ms | {f['p50_ms']} ms "
                     f"| {f['p95_ms']} ms | {f['max_ms']} ms |")  # fmt: skip
    lines += ["", "| vote acks | p50 | p95 | p99 | failed |", "| --- | ---: | ---: | ---: | ---: |"]
    for label, key in (("no document being built", "acks_quiet"),
                       ("documents being built", "acks_building")):  # fmt: skip
        a = report[key]
        lines.append(f"| {label} | {a['p50_ms']} ms | {a['p95_ms']} ms | {a['p99_ms']} ms "
                     f"| {a['failed']} |")  # fmt: skip
    lines.append(f"\nbuild rounds while voting: {report['build_rounds']}")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=3000)
    parser.add_argument("--items", type=int, default=30, help="items revealed in the report")
    parser.add_argument("--downloads", type=int, default=20, help="downloads of each document")
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between downloads")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds of each vote round")
    parser.add_argument("--mode", choices=("gevent", "eventlet"), default="gevent")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds for a connect/ack")
    parser.add_argument("--connect-concurrency", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", default=None, help="where the instance folder goes")
    parser.add_argument("--json", default=None, help="where the JSON goes")
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and logs")
    args = parser.parse_args(argv)
    args.phases = []  # what bench/load.py's Run reads
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pinning = Pinning.choose()
    pinning.pin_generator()
    raise_file_limit()
    print(f"downloads benchmark: {args.phones:,} phones, {args.mode}, {pinning.describe()}")
    folder = run_folder("downloads", args.dir)
    report: dict[str, Any] = {"config": vars(args), "machine": {"pinning": pinning.describe()}}
    try:
        report.update(asyncio.run(run_app(args, folder, pinning)))
        problems = verdict(report)
    except Exception as exc:
        problems = [f"{type(exc).__name__}: {exc}"]
    finally:
        ServerProcess.stop_all(folder, args.keep)
    report["problems"] = problems
    if "downloads" in report:
        print()
        print(table(report))
    path = write_report(report, args.json, f"downloads-{args.phones}-{args.mode}")
    print(f"\nwritten: {path}")
    for problem in problems:
        print(f"FAIL {problem}")
    print("downloads: PASS" if not problems else "downloads: FAIL")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
