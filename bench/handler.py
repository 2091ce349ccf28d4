"""Server CPU per `vote` message, in process: the app's handler beside the bare server's.

    python bench/handler.py [--phones 3000] [--items 24] [--rounds 1] [--skip-bare]

Steadier than `bench/load.py` on a shared machine: no sockets and no load generator. Under
gevent (monkey-patched, as `app.py serve`), N Socket.IO test clients connect to `/voter` with
their cards; then all N send one vote at once (each from its own greenlet, so the handlers wait
on the writer together and it commits them in groups, as in a burst), then all N send one
message with `--items` votes. The same is done against `bench/bare_server.py`'s handlers. It
prints the process's CPU time (all threads) per message with the wall time of each burst, and
how that CPU splits between the event loop (the main thread) and the writer's thread. With
several rounds, the least disturbed one is shown. The test client encodes and decodes every
packet, as the transport would; WebSocket framing is left out (both servers pay the same for
it). To see where the time goes: `py-spy record --format speedscope -- python bench/handler.py`.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bare_server  # noqa: E402

import ceping  # noqa: E402
from ceping.server import tune_gc  # noqa: E402

TOKEN = "bench-handler-admin-token"
CHOICES = ("satisfied", "basic", "unsatisfied")


def _api(client: Any, path: str, body: Any) -> Any:
    r = client.post(f"/api{path}", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code < 400, (path, r.status_code, r.get_json())
    return r.get_json()


class WriterClock:
    """CPU and wall seconds the writer's thread spends running groups (wraps `_run_group`)."""

    def __init__(self, writer: Any) -> None:
        self.cpu = self.wall = 0.0
        run = writer._run_group

        def timed(group: list) -> None:
            cpu0, wall0 = time.thread_time(), time.perf_counter()
            try:
                run(group)
            finally:
                self.cpu += time.thread_time() - cpu0
                self.wall += time.perf_counter() - wall0

        writer._run_group = timed


def _burst(clients: list[Any], messages: list[dict[str, Any]]) -> tuple[float, float, float, list]:
    """All clients send their message at once; (process CPU s, main thread CPU s, wall s, acks)."""
    acks: list[Any] = [None] * len(clients)

    def one(n: int) -> None:
        acks[n] = clients[n].emit("vote", messages[n], namespace="/voter", callback=True)

    cpu0, wall0, main0 = time.process_time(), time.perf_counter(), time.thread_time()
    gevent.joinall([gevent.spawn(one, n) for n in range(len(clients))])
    main = time.thread_time() - main0
    return time.process_time() - cpu0, main, time.perf_counter() - wall0, acks


def _message(items: list[int]) -> dict[str, Any]:
    return {
        "votes": [
            {"item": i, "choice": CHOICES[(i + k) % 3], "ballot": str(uuid.uuid4())}
            for k, i in enumerate(items)
        ]
    }


def run_app(phones: int, per_batch: int, rounds: int) -> dict[str, Any]:
    folder = tempfile.mkdtemp(prefix="ceping-handler-")
    flask_app = ceping.create_app(
        {"ASYNC_MODE": "gevent", "INSTANCE": folder, "ADMIN_TOKEN": TOKEN, "CLOCK_INTERVAL": 0}
    )
    tune_gc()  # as `app.py serve` does before it takes connections
    sio = ceping.socketio
    http = flask_app.test_client()
    m = _api(http, "/meetings", {"title": "bench", "expected": phones})
    tokens = [
        c["token"] for c in _api(http, f"/meetings/{m['id']}/cards", {"count": phones})["cards"]
    ]
    clients = [
        sio.test_client(flask_app, namespace="/voter", auth={"token": t, "device": f"d-{t}"})
        for t in tokens
    ]
    writer = flask_app.extensions["ceping"].store.writer
    clock = WriterClock(writer)
    out: dict[str, Any] = {}
    for r in range(rounds):
        for label, size in (("1 vote", 1), (f"{per_batch} votes", per_batch)):
            new = [{"subject": f"{r}-{label}-{k}", "person": "x"} for k in range(size)]
            ids = _api(http, f"/meetings/{m['id']}/items", {"items": new})["ids"]
            _api(http, f"/meetings/{m['id']}/open", {"items": ids})
            messages = [_message(ids) for _ in clients]
            commits0, wcpu0, wwall0 = writer.stats.commits, clock.cpu, clock.wall
            cpu, main, wall, acks = _burst(clients, messages)
            bad = [a for a in acks if not (a and a.get("ok"))]
            assert not bad, bad[:3]
            w = (clock.cpu - wcpu0, clock.wall - wwall0, writer.stats.commits - commits0)
            out.setdefault(label, []).append((cpu, wall, main, *w))
            _api(http, f"/meetings/{m['id']}/close", {"items": ids})
    for c in clients:
        c.disconnect(namespace="/voter")
    flask_app.extensions["ceping"].stopping.set()
    return out


def run_bare(phones: int, per_batch: int, rounds: int) -> dict[str, Any]:
    flask_app, sio = bare_server.create_app("gevent")
    clients = [
        sio.test_client(flask_app, namespace="/voter", auth={"token": "x"}) for _ in range(phones)
    ]
    out: dict[str, Any] = {}
    for _r in range(rounds):
        for label, size in (("1 vote", 1), (f"{per_batch} votes", per_batch)):
            ids = list(range(1, size + 1))
            cpu, main, wall, _acks = _burst(clients, [_message(ids) for _ in clients])
            out.setdefault(label, []).append((cpu, wall, main))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--phones", type=int, default=3000)
    parser.add_argument("--items", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=1, help="bursts of each kind")
    parser.add_argument("--skip-bare", action="store_true")
    args = parser.parse_args(argv)
    app = run_app(args.phones, args.items, args.rounds)
    bare = {} if args.skip_bare else run_bare(args.phones, args.items, args.rounds)
    print(f"{args.phones} messages per burst, CPU ms per message (wall s per burst)")
    print(f"{'':12} {'app':>22} {'bare':>22} {'app/bare':>9}")
    for label in ("1 vote", f"{args.items} votes"):
        a = min(app[label])  # the least disturbed round
        line = f"{label:12} {a[0] * 1000 / args.phones:12.3f} ({a[1]:6.2f} s)"
        if bare:
            b = min(bare[label])
            line += f" {b[0] * 1000 / args.phones:12.3f} ({b[1]:6.2f} s) {a[0] / b[0]:9.2f}"
        print(line)
        per = 1000 / args.phones
        print(
            f"{'':12}   app: event loop {a[2] * per:.3f} ms, writer's thread {a[3] * per:.3f} ms"
            f" per message (busy {a[4]:.2f} s, {a[5]} commits of"
            f" {args.phones / max(a[5], 1):.0f} jobs)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
