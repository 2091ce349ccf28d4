"""HTTPS: `python app.py serve --cert FILE --key FILE`, under gevent and eventlet.

A self-signed certificate for 127.0.0.1 is made with the `openssl` command; the HTTP API, the
phone's page and a phone's Socket.IO connection all go over TLS and check the certificate
against it, the printed URLs and the card URLs say https, and plain http gets no answer.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import pytest
import requests
import socketio

from realserver import Server

pytestmark = [
    pytest.mark.server,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command"),
]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.mark.parametrize("mode", ["gevent", "eventlet"])
def test_https_and_socketio_over_tls(tmp_path, certificate, mode):
    cert, key = certificate
    server = Server(tmp_path, mode, "--cert", str(cert), "--key", str(key), verify=str(cert))
    phone = None
    try:
        assert server.url.startswith("https://")
        m = server.api("POST", "/meetings", {"title": "述法测评", "expected": 2}, 201)
        (item,) = server.api("POST", f"/meetings/{m['id']}/items",
                             {"items": [{"subject": "市司法局"}]}, 201)["ids"]  # fmt: skip
        cards = server.api("POST", f"/meetings/{m['id']}/cards", {"count": 2}, 201)["cards"]
        assert cards[0]["url"].startswith(f"https://127.0.0.1:{server.port}/v/")
        log = server.log.read_text()
        assert f"serving on https://127.0.0.1:{server.port}/" in log
        assert f"phones use:  https://127.0.0.1:{server.port}" in log
        assert "http://" not in log
        page = requests.get(cards[0]["url"], verify=str(cert), timeout=30)
        assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]

        # A phone over WebSocket on TLS, checking the certificate.
        http = requests.Session()
        http.verify = str(cert)
        phone = socketio.Client(reconnection=False, http_session=http)
        states: list[dict] = []
        phone.on("state", states.append, namespace="/voter")
        phone.connect(server.url, namespaces=["/voter"], transports=["websocket"],
                      auth={"token": cards[0]["token"], "device": "tls-phone-0001"},
                      wait_timeout=30)  # fmt: skip
        assert phone.transport() == "websocket"
        server.api("POST", f"/meetings/{m['id']}/open",
                   {"items": [item], "override_quorum": True})  # fmt: skip
        deadline = time.monotonic() + 30
        while not (states and states[-1]["items"]):
            assert time.monotonic() < deadline, states
            time.sleep(0.05)
        ballot = {"item": item, "choice": "satisfied", "ballot": str(uuid.uuid4())}
        ack = phone.call("vote", {"votes": [ballot]}, namespace="/voter", timeout=30)
        assert ack == {"ok": True, "votes": ["recorded"]}

        # Plain http on the TLS port is not served.
        with pytest.raises(requests.RequestException):
            requests.get(f"http://127.0.0.1:{server.port}/healthz", timeout=3)

        # The reveal's backup is made under this server's async mode too.
        server.api("POST", f"/meetings/{m['id']}/close", {"items": [item]})
        server.api("POST", f"/meetings/{m['id']}/reveal", {"items": [item]})
        deadline = time.monotonic() + 30
        while not list((tmp_path / "backups").glob(f"*-meeting-{m['id']}.sqlite")):
            assert time.monotonic() < deadline, "no backup after the reveal"
            time.sleep(0.05)
    finally:
        if phone is not None:
            phone.disconnect()
        server.stop()
