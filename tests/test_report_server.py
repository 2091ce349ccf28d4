"""The PDFs on the real server: drawn by a worker process, so the server answers meanwhile."""

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
            built["response"] = requests.get(
                f"{server.url}/api/meetings/{m['id']}/report.pdf",
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=120,
                stream=True,  # returns once the report is built and its answer begins
            )

        worker = threading.Thread(target=fetch)
        worker.start()
        answered = 0  # /healthz answers that came while the report was still being built
        while worker.is_alive():
            assert requests.get(f"{server.url}/healthz", timeout=60).ok
            answered += worker.is_alive()
            time.sleep(0.01)
        worker.join()
        r = built["response"]
        assert r.status_code == 200 and r.content.startswith(b"%PDF")
        # A server that stopped for the report would answer one /healthz, maybe two, before the
        # report's answer began (the one it was busy with, then the one it took after); one that
        # goes on answering while the report is built answers many (how fast: `make bench`).
        assert answered >= 3, answered
    finally:
        server.stop()
