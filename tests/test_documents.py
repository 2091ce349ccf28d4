"""The PDFs kept ready (display.documents): built once per change, served from the copy, waited
for while being built, and a failed build answered plainly. Fast tier: documents are drawn in
this process through an injected builder (the worker process is tested in
tests/test_documents_process.py)."""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import pypdf
import pytest

from ceping import create_app
from conftest import ADMIN_TOKEN, Api, phone, vote
from display.builder import InlineBuilder, Job, RenderFailed, WorkerDied


class Recording(InlineBuilder):
    """Draws in this process, records each job, and can be held (`gate`) or made to fail."""

    def __init__(self, draw: bool = True) -> None:
        self.jobs: list[Job] = []
        self.gate: threading.Event | None = None
        self.started = threading.Event()
        self.fail: Exception | None = None
        self.draw = draw

    def build(self, job: Job) -> Any:
        self.jobs.append(job)
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(30)
        if self.fail is not None:
            failure, self.fail = self.fail, None
            raise failure
        if not self.draw:
            from display.builder import Done, write

            write(job.path, b"%PDF-1.4 " + job.kind.encode())
            return Done(0, 9)
        return super().build(job)

    def kinds(self) -> list[str]:
        return [job.kind for job in self.jobs]


def make(tmp_path, builder: Recording, **config: Any):
    app = create_app(
        {"INSTANCE": str(tmp_path), "TESTING": True, "ADMIN_TOKEN": ADMIN_TOKEN,
         "PUSH_INTERVAL": 0.05, "CLOCK_INTERVAL": 0, **config}
    )  # fmt: skip
    app.extensions["ceping.documents"].builder = builder
    return app


@pytest.fixture
def built(tmp_path):
    builder = Recording()
    app = make(tmp_path, builder)
    yield app, builder, Api(app.test_client())
    app.extensions["ceping"].stopping.set()


def text(data: bytes) -> str:
    return "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages)


def closed_meeting(app, api: Api, items: int = 2) -> tuple[int, list[int]]:
    m = api.meeting(cards=3, items=items)
    mid, ids = m["meeting"]["id"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"]]
    api.move(mid, "open", ids, override_quorum=True)
    for p in phones:
        for i in ids:
            assert vote(p, i, "satisfied")["ok"]
    api.move(mid, "close", ids[:1])
    return mid, ids


def test_several_changes_in_a_row_build_each_document_once(tmp_path):
    builder = Recording(draw=False)
    # a quiet second: the close and the reveal fall within it even on a busy machine
    app = make(tmp_path, builder, DOCUMENTS_PREBUILD=True, DOCUMENTS_DEBOUNCE=1.0)
    try:
        api = Api(app.test_client())
        mid, ids = closed_meeting(app, api)
        api.move(mid, "close", ids[1:])
        api.move(mid, "reveal", ids)
        deadline = time.monotonic() + 10
        while len(builder.jobs) < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # nothing more comes
        # no cards: no address known yet; the Word papers beside the PDFs
        assert sorted(builder.kinds()) == [
            "announcement", "bulletin", "letters", "letters_docx", "report"
        ]  # fmt: skip
        r = api.get(f"/meetings/{mid}/report.pdf")
        assert r.data == b"%PDF-1.4 report" and len(builder.jobs) == 5  # served from the copy
    finally:
        app.extensions["ceping"].stopping.set()


def test_nothing_is_prebuilt_before_an_item_is_counted(tmp_path):
    builder = Recording(draw=False)
    app = make(tmp_path, builder, DOCUMENTS_PREBUILD=True, DOCUMENTS_DEBOUNCE=0.1)
    try:
        api = Api(app.test_client())
        m = api.meeting(cards=3, items=2)
        api.move(m["meeting"]["id"], "open", m["items"], override_quorum=True)
        time.sleep(0.6)
        assert builder.jobs == []
    finally:
        app.extensions["ceping"].stopping.set()


def test_a_download_after_a_change_serves_the_new_copy(built):
    app, builder, api = built
    mid, ids = closed_meeting(app, api)
    first = api.get(f"/meetings/{mid}/report.pdf")
    assert first.mimetype == "application/pdf" and first.headers["Cache-Control"] == "no-store"
    assert "市第0局" in text(first.data) and "市第1局" not in text(first.data)
    again = api.get(f"/meetings/{mid}/report.pdf")
    assert again.data == first.data and builder.kinds() == ["report"]  # the copy, not rebuilt

    api.move(mid, "close", ids[1:])
    api.move(mid, "reveal", ids)
    new = api.get(f"/meetings/{mid}/report.pdf")
    assert "市第1局" in text(new.data) and builder.kinds() == ["report", "report"]
    letters = api.get(f"/meetings/{mid}/letters.pdf")
    assert "市第1局" in text(letters.data)


def test_a_follow_up_change_makes_the_letters_new(built):
    app, builder, api = built
    mid, ids = closed_meeting(app, api, items=1)
    api.move(mid, "reveal", ids)
    api.get(f"/meetings/{mid}/letters.pdf")
    documents = app.extensions["ceping.documents"]
    before = documents.versions[(mid, "letters")]
    api.send("PUT", f"/meetings/{mid}/followups/{ids[0]}", {"status": "done"}, 200)
    assert documents.versions[(mid, "letters")] == before + 1
    api.get(f"/meetings/{mid}/letters.pdf")
    assert builder.kinds() == ["letters", "letters"]


def test_cards_issued_or_withdrawn_make_the_card_sheet_new(built):
    app, builder, api = built
    m = api.meeting(cards=3)
    mid = m["meeting"]["id"]
    assert "No. 3" in text(api.get(f"/meetings/{mid}/cards.pdf").data)
    api.post(f"/meetings/{mid}/cards", {"count": 1, "confirm": True}, 201)
    assert "No. 4" in text(api.get(f"/meetings/{mid}/cards.pdf").data)
    api.post(f"/meetings/{mid}/cards/4/revoke", None, 200)
    assert "No. 4" not in text(api.get(f"/meetings/{mid}/cards.pdf").data)
    api.get(f"/meetings/{mid}/cards.pdf")
    assert builder.kinds() == ["cards"] * 3


def test_a_request_during_a_build_waits_for_it(built):
    app, builder, api = built
    mid, _ = closed_meeting(app, api)
    builder.gate = threading.Event()
    answers: list[Any] = []

    def fetch() -> None:
        answers.append(Api(app.test_client()).get(f"/meetings/{mid}/report.pdf"))

    first = threading.Thread(target=fetch)
    first.start()
    assert builder.started.wait(10)
    second = threading.Thread(target=fetch)
    second.start()
    time.sleep(0.3)
    assert answers == []  # both wait: the build is held
    builder.gate.set()
    first.join(30)
    second.join(30)
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].data == answers[1].data and answers[0].data.startswith(b"%PDF")
    assert builder.kinds() == ["report"]  # one build for both


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (WorkerDied("gone"), 503, "document_worker_died"),
        (RenderFailed("bad"), 500, "document_failed"),
    ],
)
def test_a_failed_build_answers_plainly_and_the_next_request_builds_again(
    built, failure, status, code
):
    app, builder, api = built
    mid, _ = closed_meeting(app, api)
    builder.fail = failure
    r = api.get(f"/meetings/{mid}/letters.pdf", status=status)
    assert r.get_json()["error"] == code
    assert api.get(f"/meetings/{mid}/letters.pdf").data.startswith(b"%PDF")
    assert builder.kinds() == ["letters", "letters"]


def test_a_missing_meeting_is_404_before_anything_is_built(built):
    _app, builder, api = built
    assert api.get("/meetings/999/report.pdf", status=404).get_json()["error"] == "not_found"
    assert builder.jobs == []


def test_a_deleted_meetings_documents_go_with_it(built, tmp_path):
    """A deleted rehearsal's report held its results: its copy leaves the disk and the memory."""
    app, builder, api = built
    m = api.meeting(cards=3, items=1, rehearsal=True)
    mid, ids = m["meeting"]["id"], m["items"]
    voter = phone(app, m["cards"][0]["token"])
    api.move(mid, "open", ids, override_quorum=True)
    assert vote(voter, ids[0], "satisfied")["ok"]
    api.move(mid, "close", ids)
    assert api.get(f"/meetings/{mid}/report.pdf").mimetype == "application/pdf"
    folder = tmp_path / "documents" / str(mid)
    assert any(folder.iterdir())

    assert api.client.delete(f"/api/meetings/{mid}", headers=api.headers).status_code == 200
    documents = app.extensions["ceping.documents"]
    assert not folder.exists()
    assert not [k for k in documents.copies if k[0] == mid]
    api.get(f"/meetings/{mid}/report.pdf", status=404)
