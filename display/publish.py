"""PDFs to publish, for the secretary (admin only, like the API):

    GET /api/meetings/<id>/report.pdf    the analysis report (测评结果分析报告)
    GET /api/meetings/<id>/letters.pdf   one letter per item to its department (测评结果通知书)
    GET /api/meetings/<id>/cards.pdf     the voter cards to print, cut and hand out [?group=]

Each comes as a download whose name is the meeting's title (RFC 5987 `filename*`, with an ASCII
`filename` beside it for old browsers). Without a CJK font a PDF cannot be made: 503 `no_font`
(display.fonts.FontMissing).

matplotlib, fpdf2 and their fonts are imported by the first download, not when the server
starts: a server holding 3,000 phones does not carry them (about 45 MB) until they are needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from io import BytesIO
from typing import TypeVarTuple

from flask import Blueprint, Response, request, send_file

from voting.api import ID
from voting.auth import admin_required
from voting.console import card_url
from voting.context import ceping

bp = Blueprint("publish", __name__, url_prefix="/api/meetings")

Args = TypeVarTuple("Args")


def filename(title: str, what: str) -> str:
    """`<title>-<what>.pdf`, without characters a file system or a header refuses."""
    safe = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", title).strip(" ._") or "meeting"
    return f"{safe[:80]}-{what}.pdf"


def _pdf(data: bytes, name: str) -> Response:
    response = send_file(
        BytesIO(data), mimetype="application/pdf", as_attachment=True, download_name=name
    )
    response.headers["Cache-Control"] = "no-store"  # results change until the last reveal
    return response


def _render(fn: Callable[[*Args], bytes], *args: *Args) -> bytes:
    """Run `fn(*args)` (matplotlib and fpdf2: a second or more of CPU) on an OS thread under
    gevent or eventlet, so that phones' votes go on meanwhile; the data is read before, here."""
    from display import fonts

    fonts.matplotlib_families()  # register the fonts here, once, not on the other thread
    runtime = ceping().store.writer.runtime
    return runtime.offload(fn, *args) if runtime is not None else fn(*args)


@bp.get(f"/<{ID}:meeting_id>/report.pdf")
@admin_required
def report_pdf(meeting_id: int) -> Response:
    from display import report

    data = report.collect(ceping().store, meeting_id)
    pdf = _render(report.render, data)
    return _pdf(pdf, filename(data.meeting["title"], "测评结果分析报告"))


@bp.get(f"/<{ID}:meeting_id>/letters.pdf")
@admin_required
def letters_pdf(meeting_id: int) -> Response:
    from display import letters, report

    today = date.today()
    data = report.collect(ceping().store, meeting_id, today, history=False)
    pdf = _render(letters.render, data, today)
    return _pdf(pdf, filename(data.meeting["title"], "测评结果通知书"))


@bp.get(f"/<{ID}:meeting_id>/cards.pdf")
@admin_required
def cards_pdf(meeting_id: int) -> Response:
    from display import cardsheet

    store = ceping().store
    meeting = store.meeting(meeting_id)
    group = request.args.get("group") or None
    cards = cardsheet.printable(store.cards(meeting_id), group)
    urls = {c["token"]: card_url(c["token"]) for c in cards}  # needs this request's context
    pdf = _render(cardsheet.build, meeting, cards, urls.__getitem__)
    return _pdf(pdf, filename(meeting["title"], "测评卡"))
