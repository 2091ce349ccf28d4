"""The PDFs on the real server: built on an OS thread, so the server keeps answering meanwhile."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from realserver import TOKEN, Server

pytestmark = pytest.mark.server


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_the_server_answers_while_a_report_is_built(tmp_path, mode):
    server = Server(tmp_path, mode, "--demo")  # 30 items, 60 cards
    try:
        (m,) = server.api("GET", "/meetings")["meetings"]
        ids = [i["id"] for i in server.api("GET", f"/meetings/{m['id']}")["items"]]
        server.api("POST", f"/meetings/{m['id']}/open", {"items": ids, "override_quorum": True})
        server.api("POST", f"/meetings/{m['id']}/close", {"items": ids})

        built: dict = {}

        def fetch():
            start = time.monotonic()
            built["response"] = requests.get(
                f"{server.url}/api/meetings/{m['id']}/report.pdf",
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=60,
            )
            built["seconds"] = time.monotonic() - start

        worker = threading.Thread(target=fetch)
        worker.start()
        slowest = 0.0
        while worker.is_alive():
            start = time.monotonic()
            assert requests.get(f"{server.url}/healthz", timeout=10).ok
            slowest = max(slowest, time.monotonic() - start)
            time.sleep(0.01)
        worker.join()
        r = built["response"]
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        # While the report took its second or more, the server went on answering at once.
        assert slowest < max(0.3, built["seconds"] / 3), (slowest, built["seconds"])
    finally:
        server.stop()
