"""The worker process that draws the PDFs (display.builder): never the server's own process; a
failed drawing or a dead worker is an error, not a hang, and the next build works."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pypdf
import pytest

from ceping import create_app
from conftest import ADMIN_TOKEN, Api
from display.builder import Job, ProcessBuilder, RenderFailed, WorkerDied

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.server  # each starts the worker process


def cards_job(path, count: int = 12) -> Job:
    cards = [
        {"token": f"t{n}", "number": n, "grp": "member", "revoked": 0, "origin": "issued"}
        for n in range(1, count + 1)
    ]
    urls = {c["token"]: f"http://10.0.0.1/v/{c['token']}" for c in cards}
    data = {"meeting": {"title": "测评"}, "cards": cards, "group": None, "urls": urls}
    return Job("cards", data, str(path))


def test_documents_are_drawn_in_another_process_and_written_whole(tmp_path):
    builder = ProcessBuilder()
    try:
        done = builder.build(cards_job(tmp_path / "m" / "cards.pdf"))
        assert done.pid == builder.pid and done.pid != os.getpid()
        data = (tmp_path / "m" / "cards.pdf").read_bytes()
        assert len(data) == done.size and len(pypdf.PdfReader(io.BytesIO(data)).pages) == 1
        assert list((tmp_path / "m").iterdir()) == [tmp_path / "m" / "cards.pdf"]  # no temp left
    finally:
        builder.close()


def test_a_drawing_that_fails_is_an_error_and_the_worker_lives_on(tmp_path):
    builder = ProcessBuilder()
    try:
        with pytest.raises(RenderFailed, match="文件未能生成"):
            builder.build(Job("cards", {"meeting": {}}, str(tmp_path / "bad.pdf")))
        pid = builder.pid
        assert builder.build(cards_job(tmp_path / "ok.pdf")).pid == pid
    finally:
        builder.close()


def test_a_worker_that_dies_is_an_error_and_the_next_build_starts_another(tmp_path):
    builder = ProcessBuilder()
    try:
        builder.build(cards_job(tmp_path / "warm.pdf", 1))  # started, its imports done
        pid = builder.pid
        assert pid is not None
        threading.Timer(0.2, os.kill, (pid, signal.SIGKILL)).start()
        started = time.monotonic()
        with pytest.raises(WorkerDied):
            builder.build(cards_job(tmp_path / "big.pdf", 1200))  # seconds of drawing
        assert time.monotonic() - started < 10  # told at once, no hang
        done = builder.build(cards_job(tmp_path / "again.pdf"))
        assert done.pid not in (pid, os.getpid())
    finally:
        builder.close()


def test_a_worker_that_hangs_is_killed_after_the_timeout(tmp_path):
    builder = ProcessBuilder(spawn=lambda fn, *a: threading.Thread(target=fn, args=a).start(),
                             sleep=time.sleep)  # fmt: skip
    try:
        builder.build(cards_job(tmp_path / "warm.pdf", 1))
        builder.timeout = 0.5
        with pytest.raises(WorkerDied):
            builder.build(cards_job(tmp_path / "big.pdf", 2400))
    finally:
        builder.close()


def test_the_app_serves_what_the_worker_drew(tmp_path):
    app = create_app(
        {"INSTANCE": str(tmp_path), "TESTING": True, "ADMIN_TOKEN": ADMIN_TOKEN,
         "CLOCK_INTERVAL": 0, "DOCUMENTS_PROCESS": True, "DOCUMENTS_PREBUILD": False}
    )  # fmt: skip
    documents = app.extensions["ceping.documents"]
    try:
        api = Api(app.test_client())
        m = api.meeting(cards=2)
        r = api.get(f"/meetings/{m['meeting']['id']}/cards.pdf")
        assert r.data.startswith(b"%PDF")
        (copy,) = documents.copies.values()
        assert copy.pid != os.getpid()
    finally:
        documents.close()
        app.extensions["ceping"].stopping.set()


SERVER_SIDE = """
import json, sys
from ceping import create_app
app = create_app({"INSTANCE": sys.argv[1], "TESTING": True, "ADMIN_TOKEN": "t",
                  "CLOCK_INTERVAL": 0, "DOCUMENTS_PROCESS": True, "DOCUMENTS_PREBUILD": False})
client, auth = app.test_client(), {"Authorization": "Bearer t"}
m = client.post("/api/meetings", json={"title": "述法测评", "expected": 2}, headers=auth).json
items = {"items": [{"subject": "市司法局"}]}
(item,) = client.post(f"/api/meetings/{m['id']}/items", json=items, headers=auth).json["ids"]
for action, extra in (("open", {"override_quorum": True}), ("close", {})):
    body = {"items": [item], **extra}
    moved = client.post(f"/api/meetings/{m['id']}/{action}", json=body, headers=auth)
    assert moved.status_code == 200, moved.json
for kind in ("report", "letters"):
    assert client.get(f"/api/meetings/{m['id']}/{kind}.pdf", headers=auth).data[:4] == b"%PDF"
client.post(f"/api/meetings/{m['id']}/reveal", json={"items": [item]}, headers=auth)
for name in ("announcement", "bulletin", "letters"):
    docx = client.get(f"/api/meetings/{m['id']}/{name}.docx", headers=auth).data
    assert docx[:4] == b"PK\x03\x04", docx[:200]
assert client.get(f"/api/meetings/{m['id']}/announcement", headers=auth).json["revealed"] == 1
app.extensions["ceping.documents"].close()
drawing = {"matplotlib", "fpdf", "docx"}
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules} & drawing)))
"""


def test_the_server_reads_what_a_document_shows_but_never_imports_what_draws_it(tmp_path):
    """fpdf2 and matplotlib are the worker's: loaded in a server holding 3,000 phones they had
    added 47 MB to it (docs/PERFORMANCE.md). So is python-docx (and the announcement's JSON is
    the server's, without it). (Pillow comes with qrcode, for the QR codes.)"""
    run = subprocess.run(
        [sys.executable, "-c", SERVER_SIDE, str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert json.loads(run.stdout.splitlines()[-1]) == []
