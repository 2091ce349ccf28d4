"""The real server in a subprocess (`python app.py serve`), for tests that go over the network."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "server-test-admin-token-42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, instance: Path, mode: str = "gevent", *args: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = instance / f"server-{mode}.log"
        env = {**os.environ, "CEPING_INSTANCE": str(instance), "CEPING_ADMIN_TOKEN": TOKEN}
        cmd = [sys.executable, "app.py", "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--async-mode", mode, *args]  # fmt: skip
        with open(self.log, "w") as out:
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).ok:
                    return
            except requests.ConnectionError:
                time.sleep(0.1)
        raise AssertionError(f"server did not start: {self.log.read_text()}")

    def api(self, method: str, path: str, body=None, status: int = 200):
        r = requests.request(
            method, f"{self.url}/api{path}", json=body, timeout=10,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )  # fmt: skip
        assert r.status_code == status, r.text
        return r.json()

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
