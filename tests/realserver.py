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
    """`python app.py serve` on 127.0.0.1; `port` reuses a port (a restart), `https` when the
    arguments give a certificate (`verify` is then what requests checks it against)."""

    def __init__(
        self,
        instance: Path,
        mode: str = "gevent",
        *args: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
        verify: str | bool = True,
    ):
        self.instance = instance
        self.port = port or free_port()
        scheme = "https" if "--cert" in args else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.verify = verify
        self.log = instance / f"server-{mode}.log"
        self.clock_file = (env or {}).get("CEPING_CLOCK_FILE")
        env = {**os.environ, "CEPING_INSTANCE": str(instance), "CEPING_ADMIN_TOKEN": TOKEN,
               **(env or {})}  # fmt: skip
        cmd = [sys.executable, "app.py", "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--async-mode", mode, *args]  # fmt: skip
        with open(self.log, "a") as out:  # a restart's log follows the first one's
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + 60  # a busy machine starts it slowly
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.log.read_text()}")
            try:
                if requests.get(f"{self.url}/healthz", timeout=1, verify=verify).ok:
                    return
            except requests.RequestException:  # not listening yet, or too busy to answer
                time.sleep(0.1)
        raise AssertionError(f"server did not start: {self.log.read_text()}")

    def api(self, method: str, path: str, body=None, status: int = 200):
        r = requests.request(
            method, f"{self.url}/api{path}", json=body, timeout=10, verify=self.verify,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )  # fmt: skip
        assert r.status_code == status, r.text
        return r.json()

    def move_clock(self, seconds: float) -> None:
        """Put the server's clock `seconds` ahead of the system's: it must have been started
        with `env={"CEPING_CLOCK_FILE": ...}` (voting/clock.py) naming `self.clock_file`."""
        path = self.clock_file
        assert path, "start the server with CEPING_CLOCK_FILE in its env"
        Path(path).write_text(str(seconds))
        os.utime(path, None)

    def kill(self) -> None:
        """SIGKILL: the server dies at once, as in a power cut of the process."""
        self.proc.kill()
        self.proc.wait(10)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
