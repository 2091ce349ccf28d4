"""The follow-up ledger (整改台账) as an XLSX workbook: `GET /api/ledger.xlsx`, with the filters
of `GET /api/ledger` and the same rows in the same order.

Drawn as the results' workbook is (`display.exports`): every text cell a string, and text that
a spreadsheet could take for a formula written with the quote prefix, shown as typed.
"""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, request, send_file
from flask_babel import gettext as _

from display.exports import XLSX_TYPE, _sheet
from voting.api import ledger_view
from voting.auth import admin_required

bp = Blueprint("ledger_export", __name__, url_prefix="/api")


def _statuses() -> dict[str, str]:
    return {"pending": _("待整改"), "in_progress": _("整改中"), "done": _("已完成"),
            "re_evaluate": _("再次测评")}  # fmt: skip


def _grades() -> dict[str, str]:
    return {"": "", "pass": _("合格"), "fail": _("不合格")}


def header() -> list[str]:
    return [_("部门"), _("述法人"), _("测评会议"), _("测评日期"), _("测评等次"), _("整改期限"),
            _("整改状态"), _("逾期天数"), _("剩余天数"), _("延续自测评项"), _("收到整改报告"),
            _("整改报告"), _("评估意见"), _("评估结论"), _("备注")]  # fmt: skip


def rows(view: dict[str, Any]) -> list[list[Any]]:
    """One row per follow-up, as the ledger API lists them."""
    statuses, grades = _statuses(), _grades()
    out = []
    for r in view["rows"]:
        left = r["days_left"] if r["days_left"] is not None and r["days_left"] >= 0 else None
        out.append([
            r["subject"], r["person"], r["meeting_title"], r["meeting_date"],
            r["verdict_label"] or "", r["due"] or "", statuses.get(r["status"], r["status"]),
            r["days_overdue"], left, r["carried_from"], r["received"] or "", r["report"],
            r["assessment"], grades.get(r["grade"], r["grade"]), r["notes"],
        ])  # fmt: skip
    return out


def to_xlsx(view: dict[str, Any]) -> bytes:
    from openpyxl import Workbook  # only when a workbook is asked for

    book = Workbook()
    book.remove(book.active)
    _sheet(book, _("整改台账"), header(), rows(view))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@bp.get("/ledger.xlsx")
@admin_required
def ledger_xlsx() -> Response:
    """The ledger's rows (filtered as `GET /api/ledger`) as a workbook."""
    view = ledger_view(request.args)
    name = f"{_('整改台账')}-{view['today']}.xlsx"
    response = send_file(io.BytesIO(to_xlsx(view)), mimetype=XLSX_TYPE, as_attachment=True,
                         download_name=name)  # fmt: skip
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ledger-{view["today"]}.xlsx"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response
