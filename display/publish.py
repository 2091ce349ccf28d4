"""PDFs and Word files to publish, for the secretary (admin only, like the API):

    GET /api/meetings/<id>/report.pdf          the analysis report (测评结果分析报告)
    GET /api/meetings/<id>/letters.pdf         a letter per item to its department (测评结果通知书)
    GET /api/meetings/<id>/cards.pdf           the voter cards to print, cut and hand out [?group=]
    GET /api/meetings/<id>/announcement        the chair's announcement (宣读稿) as JSON paragraphs
    GET /api/meetings/<id>/announcement.docx   the same as a Word file
    GET /api/meetings/<id>/bulletin.docx       the bulletin (测评结果通报) with its attachment table
    GET /api/meetings/<id>/letters.docx        the letters as a Word file, a section per department

Each comes as a download whose name is the meeting's title (RFC 5987 `filename*`, with an ASCII
`filename` beside it for old browsers). Without a CJK font a PDF cannot be made: 503 `no_font`
(display.fonts.FontMissing).

They are kept ready (`display.documents`): built in the background as soon as what they show
changes, drawn by a worker process (`display.builder`) so that no vote waits on a document, and
served from that copy; a request that comes while a copy is being built waits for it. A drawing
that fails answers 500 `document_failed`, a worker that died 503 `document_worker_died`; the next
request builds it again.
"""

from __future__ import annotations

import re
from io import BytesIO

from flask import Blueprint, Response, current_app, jsonify, request, send_file

from display import reportdata
from display.builder import suffix
from display.documents import Documents
from voting.api import ID
from voting.auth import admin_required
from voting.console import card_url
from voting.context import ceping

bp = Blueprint("publish", __name__, url_prefix="/api/meetings")


def filename(title: str, what: str, suffix: str = "pdf") -> str:
    """`<title>-<what>.pdf`, without characters a file system or a header refuses."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", title).strip(" ._") or "meeting"
    return f"{safe[:80]}-{what}.{suffix}"


WHAT = {
    "report": "测评结果分析报告",
    "letters": "测评结果通知书",
    "cards": "测评卡",
    "announcement": "宣读稿",
    "bulletin": "测评结果通报",
    "letters_docx": "测评结果通知书",
}
MIMETYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def documents() -> Documents:
    kept: Documents = current_app.extensions["ceping.documents"]
    return kept


def _serve(meeting_id: int, kind: str, group: str | None = None) -> Response:
    """The document's current copy (built first, or waited for, when it is not ready)."""
    ceping().store.meeting(meeting_id)  # 404 for a meeting that is not there
    base = card_url("T")[:-1] if kind == "cards" else None  # needs this request's context
    copy = documents().get(meeting_id, kind, group, base)
    data = copy.path.read_bytes()
    response = send_file(
        BytesIO(data),
        mimetype=MIMETYPES[suffix(kind)],
        as_attachment=True,
        download_name=filename(copy.title, WHAT[kind], suffix(kind)),
    )
    # One body, written with the headers at once: sent in 8 KB pieces, the last small write
    # waited for the client's delayed ACK (Nagle), some 40 ms a download.
    response.direct_passthrough = False
    response.set_data(data)
    response.headers["Cache-Control"] = "no-store"  # results change until the last reveal
    return response


@bp.get(f"/<{ID}:meeting_id>/report.pdf")
@admin_required
def report_pdf(meeting_id: int) -> Response:
    return _serve(meeting_id, "report")


@bp.get(f"/<{ID}:meeting_id>/letters.pdf")
@admin_required
def letters_pdf(meeting_id: int) -> Response:
    return _serve(meeting_id, "letters")


@bp.get(f"/<{ID}:meeting_id>/cards.pdf")
@admin_required
def cards_pdf(meeting_id: int) -> Response:
    return _serve(meeting_id, "cards", request.args.get("group") or None)


@bp.get(f"/<{ID}:meeting_id>/announcement")
@admin_required
def announcement(meeting_id: int) -> Response:
    """The chair's announcement of the revealed items, to read from: `{paragraphs, revealed,
    remaining, …}` (`voting.announce`)."""
    return jsonify(reportdata.announcement(ceping().store, meeting_id))


@bp.get(f"/<{ID}:meeting_id>/announcement.docx")
@admin_required
def announcement_docx(meeting_id: int) -> Response:
    return _serve(meeting_id, "announcement")


@bp.get(f"/<{ID}:meeting_id>/bulletin.docx")
@admin_required
def bulletin_docx(meeting_id: int) -> Response:
    return _serve(meeting_id, "bulletin")


@bp.get(f"/<{ID}:meeting_id>/letters.docx")
@admin_required
def letters_docx(meeting_id: int) -> Response:
    return _serve(meeting_id, "letters_docx")
