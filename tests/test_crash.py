"""A crash in the middle of a burst loses no acknowledged vote and counts none twice.

The real server (`python app.py serve`) is killed with SIGKILL while 200 phones are voting on a
batch, and started again on the same port and instance folder. The phones are python-socketio
clients that behave as the phone page (static/voter.js) does: each confirmed vote is kept with
its ballot id until the server acknowledges it; all pending votes go in one `vote` message,
sent whenever a `state` arrives (on every connect); a disconnect forgets the message in flight
and a reconnect (by the client, with backoff) sends it again with the same ballot ids.
"""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from typing import Any

import aiohttp
import pytest
import socketio

from realserver import ROOT, TOKEN, Server

pytestmark = pytest.mark.server

PHONES = 200
ITEMS = 10
SECONDS = 300  # the batch's countdown
CHOICES = ("satisfied", "basic", "unsatisfied")


class Phone:
    """One phone page: its slots are {item: {id, pick, sent, ok}} as voter.js keeps them."""

    def __init__(self, n: int, token: str, http: aiohttp.ClientSession):
        self.n = n
        self.token = token
        self.client = socketio.AsyncClient(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
            handle_sigint=False, http_session=http,
        )  # fmt: skip
        self.slots: dict[int, dict[str, Any]] = {}
        self.state: dict[str, Any] | None = None
        self.states: list[tuple[float, dict]] = []
        self.inflight = False
        self.gen = 0
        self.acks: list[list[str]] = []
        self.refused: list[dict] = []  # acks with ok false: none is expected
        self.connects = 0
        self.tasks: set[asyncio.Task] = set()
        self.log: list[str] = []
        self.client.on("connect", self.on_connect, namespace="/voter")
        self.client.on("disconnect", self.on_disconnect, namespace="/voter")
        self.client.on("state", self.on_state, namespace="/voter")

    async def connect(self, url: str) -> None:
        await self.client.connect(
            url, namespaces=["/voter"], transports=["websocket"], wait_timeout=20,
            auth={"token": self.token, "device": f"crash-phone-{self.n:04d}"},
        )  # fmt: skip

    async def on_connect(self) -> None:
        """The page's socket.io client holds back events until its connect; this one hands
        the connect's `state` over first, so it is flushed here as well."""
        self.connects += 1
        self.log.append("connect")
        self.flush()

    async def on_disconnect(self, *_: Any) -> None:
        self.inflight = False  # the message in flight is forgotten: resent on the next state
        self.log.append("disconnect")
        self.gen += 1

    async def on_state(self, state: dict) -> None:
        self.state = state
        self.log.append(f"state of {len(state['items'])} items")
        self.states.append((time.monotonic(), state))
        self.flush()

    def pending(self) -> list[int]:
        return [k for k, e in self.slots.items() if e["sent"] is not None and e["sent"] != e["ok"]]

    def confirm(self, rng: random.Random) -> None:
        """The voter picks a choice on every open item and presses 确认."""
        for item in (it["id"] for it in self.state["items"]):
            e = self.slots.setdefault(item, {"id": None, "pick": None, "sent": None, "ok": None})
            e["pick"] = rng.choice(CHOICES)
            e["id"] = e["id"] or str(uuid.uuid4())
            e["sent"] = e["pick"]
        self.flush()

    def flush(self) -> None:
        online = "/voter" in self.client.namespaces  # already true when the first state comes
        if not online or self.inflight or self.state is None:
            return
        ks = self.pending()
        if not ks:
            return
        self.gen += 1
        self.inflight = True
        task = asyncio.get_running_loop().create_task(self._send(ks, self.gen))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _send(self, ks: list[int], mine: int) -> None:
        votes = [{"item": k, "choice": self.slots[k]["sent"], "ballot": self.slots[k]["id"]}
                 for k in ks]  # fmt: skip
        try:
            ack = await self.client.call("vote", {"votes": votes}, namespace="/voter", timeout=20)
        except Exception as exc:  # timed out, or the connection went: retry as the page does
            self.log.append(repr(exc))
            ack = None
        if mine != self.gen:
            return  # a disconnect came in between; the next state resends
        self.inflight = False
        if not isinstance(ack, dict):
            await asyncio.sleep(2)
            self.flush()
            return
        if ack.get("ok") is not True:
            self.refused.append(ack)
            return
        self.acks.append(ack["votes"])
        for k, v in zip(ks, votes, strict=True):
            self.slots[k]["ok"] = v["choice"]
        self.flush()

    def acknowledged(self) -> dict[int, str]:
        return {k: e["ok"] for k, e in self.slots.items() if e["ok"] is not None}


async def _meeting(server: Server, session: aiohttp.ClientSession):
    headers = {"Authorization": f"Bearer {TOKEN}"}

    async def api(method: str, path: str, body: Any = None) -> Any:
        async with session.request(
            method, f"{server.url}/api{path}", json=body, headers=headers
        ) as r:
            data = await r.json(content_type=None)
            assert r.status < 300, (path, r.status, data)
            return data

    return api


async def _until(check, timeout: float, what: str, why=lambda: "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what} {why()}"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("mode", ["gevent", "eventlet"])
def test_sigkill_in_a_burst_loses_no_acknowledged_vote_and_counts_none_twice(tmp_path, mode):
    asyncio.run(_crash(tmp_path, mode))


async def _crash(tmp_path, mode: str) -> None:
    rng = random.Random(6)
    server = Server(tmp_path, mode)
    connector = aiohttp.TCPConnector(limit=PHONES + 50)
    phones: list[Phone] = []
    try:
        async with aiohttp.ClientSession(connector=connector) as http:
            api = await _meeting(server, http)
            m = await api("POST", "/meetings", {"title": "述法测评", "expected": PHONES})
            mid = m["id"]
            new = [{"subject": f"市第{n}局", "person": "局长", "kind": "written",
                    "batch": "书面述法"} for n in range(ITEMS)]  # fmt: skip
            ids = (await api("POST", f"/meetings/{mid}/items", {"items": new}))["ids"]
            cards = (await api("POST", f"/meetings/{mid}/cards", {"count": PHONES}))["cards"]
            phones = [Phone(n, c["token"], http) for n, c in enumerate(cards)]
            sem = asyncio.Semaphore(50)

            async def connect(p: Phone) -> None:
                async with sem:
                    await p.connect(server.url)

            await asyncio.gather(*(connect(p) for p in phones))
            await api("POST", f"/meetings/{mid}/open", {"items": ids, "seconds": SECONDS})
            opened = time.monotonic()
            meeting = await api("GET", f"/meetings/{mid}")
            closes_at = {it["id"]: it["closes_at"] for it in meeting["items"]}
            await _until(
                lambda: all(p.state and len(p.state["items"]) == ITEMS for p in phones),
                30, "every phone to see the batch",
            )  # fmt: skip

            # The burst: every phone confirms its batch at a moment within 2 s.
            async def vote(p: Phone) -> None:
                await asyncio.sleep(rng.uniform(0, 2))
                p.confirm(rng)

            burst = asyncio.gather(*(vote(p) for p in phones))

            def acked() -> int:
                return sum(1 for p in phones if p.acknowledged())

            await _until(lambda: acked() >= PHONES // 4, 60, "a quarter of the phones' acks")
            server.kill()
            at_kill = acked()
            killed = time.monotonic()
            assert at_kill < PHONES, "the burst was over before the kill"
            # Started again on the same port and folder, while the phones go on voting.
            server = await asyncio.to_thread(Server, tmp_path, mode, port=server.port)
            await burst
            await _until(
                lambda: all(len(p.acknowledged()) == ITEMS for p in phones),
                90, "every vote to be acknowledged after the restart",
                lambda: (Counter(
                    (p.client.connected, p.connects, len(p.acknowledged()), len(p.pending()),
                     p.inflight) for p in phones
                ), [p.log for p in phones if p.pending()][:1],
                [a for p in phones for a in p.refused][:3]),
            )  # fmt: skip
            await _until(
                lambda: all(p.connects >= 2 and p.client.connected for p in phones),
                30, "every phone to reconnect by itself",
            )  # fmt: skip

            # The batch is still open, with the countdown it had: nothing was reset.
            meeting = await api("GET", f"/meetings/{mid}")
            assert {it["id"]: it["state"] for it in meeting["items"]} == dict.fromkeys(ids, "open")
            assert {it["id"]: it["closes_at"] for it in meeting["items"]} == closes_at
            since_open = time.monotonic() - opened
            _, last = phones[0].states[-1]
            (_, first) = phones[0].states[0]
            left = {it["seconds_left"] for it in last["items"]}
            assert len(left) == 1
            assert SECONDS - since_open - 2 <= left.pop() <= SECONDS - (killed - opened) + 1
            assert all(it["seconds_left"] >= SECONDS - 2 for it in first["items"])

            # Every acknowledged vote counted once: 已投 is every phone on every item ...
            turnout = await api("GET", f"/meetings/{mid}/turnout")
            assert turnout["present"] == PHONES
            assert turnout["voted"] == {str(i): PHONES for i in ids}
            # ... and the counts per choice are exactly the acknowledged choices.
            await api("POST", f"/meetings/{mid}/close", {"items": ids})
            results = await api("GET", f"/meetings/{mid}/results")
            counted = {
                it["id"]: {k: v for k, v in it["aspects"][0]["result"]["counts"].items() if v}
                for it in results["items"]
            }
            acked_choices = {i: Counter(p.acknowledged()[i] for p in phones) for i in ids}
            assert counted == {i: dict(c) for i, c in acked_choices.items()}
            assert [a for p in phones for a in p.refused] == []
            statuses = Counter(s for p in phones for ack in p.acks for s in ack)
            assert set(statuses) <= {"recorded", "unchanged"}  # a resend is never a new vote
            print(f"acked at the kill: {at_kill} phones; acks after: {dict(statuses)}")
            for p in phones:
                await p.client.disconnect()
                for task in list(p.tasks):
                    task.cancel()
    finally:
        server.stop()
    env = {**os.environ, "CEPING_INSTANCE": str(tmp_path)}
    done = subprocess.run([sys.executable, "app.py", "verify"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verify: OK" in done.stdout


def test_a_countdown_that_ran_out_while_the_server_was_down_closes_on_restart(tmp_path):
    """The closing time is kept, not the seconds left: started again after it has passed, the
    server closes the item at its first clock tick (by the countdown), with the votes it had."""
    server = Server(tmp_path, "gevent")
    try:
        m = server.api("POST", "/meetings", {"title": "述法测评", "expected": 1}, 201)
        items = [{"subject": "市司法局"}, {"subject": "市公安局"}]
        short, long = server.api("POST", f"/meetings/{m['id']}/items", {"items": items}, 201)["ids"]
        (card,) = server.api("POST", f"/meetings/{m['id']}/cards", {"count": 1}, 201)["cards"]
        phone = socketio.Client(reconnection=False)
        phone.connect(server.url, namespaces=["/voter"], transports=["websocket"],
                      auth={"token": card["token"], "device": "clock-phone-0001"},
                      wait_timeout=30)  # fmt: skip
        server.api("POST", f"/meetings/{m['id']}/open", {"items": [short], "seconds": 5})
        opened = time.monotonic()
        server.api("POST", f"/meetings/{m['id']}/open", {"items": [long], "seconds": 600})
        vote = {"item": short, "choice": "satisfied", "ballot": str(uuid.uuid4())}
        ack = phone.call("vote", {"votes": [vote]}, namespace="/voter", timeout=10)
        assert ack == {"ok": True, "votes": ["recorded"]}
        phone.disconnect()
        server.kill()
        time.sleep(max(0.0, opened + 5.5 - time.monotonic()))  # it runs out while nothing runs
        server = Server(tmp_path, "gevent", port=server.port)
        deadline = time.monotonic() + 30
        while True:
            states = {
                i["id"]: i["state"] for i in server.api("GET", f"/meetings/{m['id']}")["items"]
            }
            if states[short] == "closed":
                break
            assert time.monotonic() < deadline, states
            time.sleep(0.1)
        assert states[long] == "open"  # the other countdown goes on
        closes = [e for e in server.api("GET", f"/meetings/{m['id']}/audit")["entries"]
                  if e["action"] == "close"]  # fmt: skip
        assert [e["detail"].get("by") for e in closes] == ["countdown"], closes
        results = server.api("GET", f"/meetings/{m['id']}/results")
        (item,) = results["items"]
        assert item["aspects"][0]["result"]["counts"]["satisfied"] == 1
        assert server.api("GET", "/verify")["ok"] is True
    finally:
        server.stop()
