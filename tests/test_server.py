"""The real server: `python app.py serve` under eventlet and gevent, driven over the network by
python-socketio clients and the HTTP API, as the phones, the projector and the console are."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid

import pytest
import socketio

from realserver import ROOT, Server

pytestmark = pytest.mark.server


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_small_meeting_over_the_network(tmp_path, mode):
    server = Server(tmp_path, mode)
    clients: list[socketio.Client] = []
    try:
        m = server.api("POST", "/meetings", {"title": "述法测评", "expected": 8}, 201)
        items = [{"subject": f"市第{n}局", "person": "局长", "kind": "written", "batch": "书面述法"}
                 for n in range(3)]  # fmt: skip
        ids = server.api("POST", f"/meetings/{m['id']}/items", {"items": items}, 201)["ids"]
        cards = server.api("POST", f"/meetings/{m['id']}/cards", {"count": 8}, 201)["cards"]

        events: dict[str, list] = {"turnout": [], "results": []}
        got_results = threading.Event()
        projector = socketio.Client(reconnection=False)
        projector.on("turnout", lambda d: events["turnout"].append(d), namespace="/screen")

        def on_results(data):
            events["results"].append(data)
            if data["items"]:
                got_results.set()

        projector.on("results", on_results, namespace="/screen")
        projector.connect(server.url, namespaces=["/screen"], transports=["websocket"],
                          auth={"meeting": m["id"], "key": m["screen_key"]},
                          wait_timeout=30)  # fmt: skip
        clients.append(projector)

        states: list[dict] = []
        for n, card in enumerate(cards):
            phone = socketio.Client(reconnection=False)
            if n == 0:
                phone.on("state", states.append, namespace="/voter")
            phone.connect(server.url, namespaces=["/voter"], transports=["websocket"],
                          auth={"token": card["token"], "device": f"phone-{n:04d}"},
                          wait_timeout=30)  # fmt: skip
            clients.append(phone)
        phones = clients[1:]

        server.api("POST", f"/meetings/{m['id']}/open", {"items": ids})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (states and states[-1]["items"]):
            time.sleep(0.05)
        assert [i["id"] for i in states[-1]["items"]] == ids

        choices = ["satisfied"] * 6 + ["basic", "unsatisfied"]
        for phone, choice in zip(phones, choices, strict=True):
            votes = [{"item": i, "choice": choice, "ballot": str(uuid.uuid4())} for i in ids]
            ack = phone.call("vote", {"votes": votes}, namespace="/voter", timeout=30)
            assert ack == {"ok": True, "votes": ["recorded"] * 3}
        second = {"votes": [{"item": ids[0], "choice": "basic", "ballot": str(uuid.uuid4())}]}
        again = phones[0].call("vote", second, namespace="/voter", timeout=30)
        assert again["error"] == "already_voted"

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if events["turnout"] and events["turnout"][-1]["voted"].get(str(ids[2])) == 8:
                break
            time.sleep(0.05)
        assert events["turnout"][-1]["voted"] == {str(i): 8 for i in ids}
        assert events["turnout"][-1]["present"] == 8

        server.api("POST", f"/meetings/{m['id']}/close", {"items": ids})
        server.api("POST", f"/meetings/{m['id']}/reveal", {"items": ids})
        assert got_results.wait(5)
        shown = events["results"][-1]["items"]
        assert [i["id"] for i in shown] == ids
        for item in shown:
            result = item["aspects"][0]["result"]
            assert result["counts"] == {"satisfied": 6, "basic": 1, "unsatisfied": 1}
            assert result["rate"] == 87.5 and result["verdict"] == "satisfied"
        verified = server.api("GET", "/verify")
        assert verified["ok"] is True and verified["problems"] == []
    finally:
        for client in clients:
            client.disconnect()
        server.stop()
    verify = subprocess.run(
        [sys.executable, "app.py", "verify"], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "CEPING_INSTANCE": str(tmp_path)}, timeout=60,
    )  # fmt: skip
    assert verify.returncode == 0 and "verify: OK" in verify.stdout, verify.stdout
