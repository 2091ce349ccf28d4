"""Exports of a meeting's results: CSV, XLSX and JSON, and the comments (意见建议) for the console.

The numbers are those of `GET /api/meetings/<id>/results` (closed and revealed items, paper
ballots included). Every text cell that a spreadsheet could take for a formula (it starts with
`=`, `+`, `-`, `@`, a tab or a carriage return) is neutralised: in CSV it gets a leading `'`; in
XLSX it is written as a string cell with the quote prefix (shown as typed, never evaluated).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, jsonify, send_file
from flask_babel import gettext as _

from voting import labels
from voting.api import ID
from voting.auth import admin_required
from voting.context import ceping

bp = Blueprint("exports", __name__, url_prefix="/api")

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def risky(value: Any) -> bool:
    """True for text a spreadsheet would read as a formula (or a DDE command)."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: text that could be a formula gets a leading `'`."""
    if value is None:
        return ""
    return "'" + value if risky(value) else value


def _labels() -> dict[str, Any]:
    return {
        "kinds": labels.kind_names(),
        "groups": {"member": _("常委会组成人员"), "deputy": _("列席代表")},
        "states": {"closed": _("已结束"), "revealed": _("已公布")},
        "followup": {
            "pending": _("待整改"),
            "in_progress": _("整改中"),
            "done": _("已完成"),
            "re_evaluate": _("再次测评"),
        },
    }


def data(meeting_id: int) -> dict[str, Any]:
    """The results API's answer plus every item's comments: what the JSON export holds."""
    store = ceping().store
    comments = store.comments(meeting_id)
    results = store.results(meeting_id)
    if results["rehearsal"]:  # the file's name says so (and the JSON's `rehearsal`)
        results = {**results, "title": _("（演练）") + results["title"]}
    return {
        **labels.localise(dict(results)),  # in English, the labels and the rule line too
        "audit_head": store.audit_head(),
        "comments": {str(k): v for k, v in comments.items()},
    }


def _options(results: dict[str, Any]) -> list[str]:
    """The option (or, on the score scale, band) labels in order, from the first tally."""
    for item in results["items"]:
        return [o["label"] for o in item["aspects"][0]["result"]["options"]]
    scale = results["scale"]
    if scale.get("score"):
        return [b["label"] for b in scale.get("bands", [])]
    return [o["label"] for o in scale.get("options", [])]


def _header(results: dict[str, Any]) -> list[str]:
    head = [_("名次"), _("测评对象"), _("姓名职务"), _("类别"), _("批次"), _("测评维度")]
    for label in _options(results):
        head += [_("%(option)s（票）", option=label), _("%(option)s占比（%%）", option=label)]
    head += [_("有效票"), _("无效票"), _("满意率（%）")]
    if results["scale"].get("score"):
        head.append(_("平均分"))
    return head + [_("测评等次"), _("其中纸质票"), _("状态")]


def _row(item: dict, aspect: dict, tally: dict, paper: int, labels: dict, score: bool) -> list[Any]:
    row: list[Any] = [
        item["rank"],
        item["subject"],
        item["person"],
        labels["kinds"].get(item["kind"], item["kind"]),
        item["batch"],
        aspect["name"],
    ]
    for option in tally["options"]:
        row += [option["count"], option["share"]]
    row += [tally["valid"], tally["invalid"], tally["rate"]]
    if score:
        row.append(tally["score"])
    row += [
        tally["verdict_label"] or "",
        paper,
        labels["states"].get(item["state"], item["state"]),
    ]
    return row


def result_rows(results: dict[str, Any], group: str | None = None) -> list[list[Any]]:
    """One row per item and aspect: counts, shares, 满意率, verdict (combined, or one group's)."""
    labels, score = _labels(), bool(results["scale"].get("score"))
    rows = []
    for item in results["items"]:
        for aspect in item["aspects"]:
            if group is None:
                tally, paper = aspect["result"], sum(aspect["paper"].values())
            else:
                tally = aspect["groups"].get(group)
                if tally is None:
                    continue
                paper = sum(aspect["paper_groups"].get(group, {}).values())
            rows.append(_row(item, aspect, tally, paper, labels, score))
    return rows


def ranking_rows(results: dict[str, Any]) -> list[list[Any]]:
    """The ranking by 满意率 (first aspect, combined); items without ballots last, unranked."""
    labels = _labels()
    items = sorted(
        results["items"], key=lambda i: (i["rank"] is None, i["rank"] or 0, i["position"])
    )
    rows = []
    for item in items:
        tally = item["aspects"][0]["result"]
        first = tally["options"][0] if tally["options"] else {"share": None}
        rows.append(
            [
                item["rank"],
                item["subject"],
                item["person"],
                labels["kinds"].get(item["kind"], item["kind"]),
                tally["rate"],
                first["share"],
                tally["valid"],
                tally["verdict_label"] or "",
            ]
        )
    return rows


def ranking_header(results: dict[str, Any]) -> list[str]:
    options = _options(results)
    first = options[0] if options else ""
    return [
        _("名次"),
        _("测评对象"),
        _("姓名职务"),
        _("类别"),
        _("满意率（%）"),
        _("%(option)s占比（%%）", option=first),
        _("有效票"),
        _("测评等次"),
    ]


def comment_rows(results: dict[str, Any], comments: dict[str, list[str]]) -> list[list[Any]]:
    by_id = {str(i["id"]): i for i in results["items"]}
    rows = []
    for item_id, texts in comments.items():
        item = by_id.get(item_id)
        if item is None:
            continue  # an item not closed yet has no comments to show
        rows += [[item["subject"], item["person"], body] for body in texts]
    return rows


def _groups(results: dict[str, Any]) -> list[str]:
    """The groups tallied: the counted one (常委会组成人员) first, then the others by key."""
    counted = results["combine"].get("group", "member")
    seen = {g for item in results["items"] for aspect in item["aspects"] for g in aspect["groups"]}
    return sorted(seen, key=lambda g: (g != counted, g))


def to_csv(payload: dict[str, Any]) -> bytes:
    """The results table with the rule beside each verdict, then (after an empty row) the
    comments; UTF-8 with a BOM for Excel."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*_header(payload), _("计票规则")])
    rule = payload.get("rule_text") or ""  # how each verdict was reached, beside it
    for row in result_rows(payload):
        writer.writerow([csv_cell(v) for v in [*row, rule]])
    comments = comment_rows(payload, payload["comments"])
    if comments:
        writer.writerow([])
        writer.writerow([_("测评对象"), _("姓名职务"), _("意见建议")])
        for row in comments:
            writer.writerow([csv_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def _sheet(book: Any, title: str, header: list[str], rows: Iterable[list[Any]]) -> None:
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(_sheet_title(title))
    sheet.append(header)
    for row in rows:
        sheet.append([None if v is None else v for v in row])
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, nor an error value such as #N/A
                if risky(cell.value):
                    cell.quotePrefix = True
    for n, head in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(n)].width = max(8, min(40, 2 * len(head) + 2))
    sheet.freeze_panes = "A2"


def _sheet_title(title: str) -> str:
    """A valid sheet name: no []:*?/\\, at most 31 characters."""
    return re.sub(r"[\[\]:*?/\\]", " ", title)[:31]


def to_xlsx(payload: dict[str, Any]) -> bytes:
    """Sheets 测评结果, 排名, one per group (where there are several), 意见建议, and 整改跟踪
    when `payload` has the meeting's `followups`."""
    from openpyxl import Workbook  # only when a workbook is asked for

    book = Workbook()
    book.remove(book.active)
    header = _header(payload)
    rule = payload.get("rule_text") or ""  # how each verdict was reached, beside it
    _sheet(
        book,
        _("测评结果"),
        [*header, _("计票规则")],
        [[*row, rule] for row in result_rows(payload)],
    )
    _sheet(book, _("排名"), ranking_header(payload), ranking_rows(payload))
    groups = _groups(payload)
    if len(groups) > 1:
        names = _labels()["groups"]
        for g in groups:
            _sheet(book, names.get(g, g), header, result_rows(payload, g))
    _sheet(
        book,
        _("意见建议"),
        [_("测评对象"), _("姓名职务"), _("意见建议")],
        comment_rows(payload, payload["comments"]),
    )
    followups = payload.get("followups")
    if followups is not None:
        labels = _labels()["followup"]
        by_id = {i["id"]: i for i in payload["items"]}
        _sheet(
            book,
            _("整改跟踪"),
            [_("测评对象"), _("姓名职务"), _("整改状态"), _("整改期限"), _("逾期"), _("备注")],
            [
                [
                    by_id[item_id]["subject"],
                    by_id[item_id]["person"],
                    labels[f["status"]],
                    f["due"] or "",
                    _("是") if f["overdue"] else "",
                    f["notes"],
                ]
                for item_id, f in followups.items()
                if item_id in by_id
            ],
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(title: str, suffix: str) -> str:
    """A download name from the meeting's title (Chinese kept; sent RFC 5987-encoded)."""
    clean = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', " ", title).strip(" .") or "ceping"
    return f"{clean[:80]}-{_('测评结果')}.{suffix}"


def _download(body: bytes, mimetype: str, name: str, meeting_id: int) -> Response:
    """An attachment named `name` (RFC 5987 `filename*`, UTF-8), with a plain ASCII name for
    the rare client that reads only `filename`."""
    response = send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=True,
                         download_name=name)  # fmt: skip
    suffix = name.rsplit(".", 1)[-1]
    response.headers["Content-Disposition"] = (
        f'attachment; filename="ceping-{meeting_id}.{suffix}"; '
        f"filename*=UTF-8''{quote(name, safe='')}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get(f"/meetings/<{ID}:meeting_id>/comments")
@admin_required
def comments(meeting_id: int) -> Response:
    """Every item's comments, sorted by text; an item not yet closed shows none."""
    found = ceping().store.comments(meeting_id)
    return jsonify(comments={str(k): v for k, v in found.items()})


@bp.get(f"/meetings/<{ID}:meeting_id>/export.csv")
@admin_required
def export_csv(meeting_id: int) -> Response:
    payload = data(meeting_id)
    name = filename(payload["title"], "csv")
    return _download(to_csv(payload), "text/csv; charset=utf-8", name, meeting_id)


@bp.get(f"/meetings/<{ID}:meeting_id>/export.xlsx")
@admin_required
def export_xlsx(meeting_id: int) -> Response:
    payload = data(meeting_id)
    payload["followups"] = ceping().store.followups(meeting_id)
    return _download(to_xlsx(payload), XLSX_TYPE, filename(payload["title"], "xlsx"), meeting_id)


@bp.get(f"/meetings/<{ID}:meeting_id>/export.json")
@admin_required
def export_json(meeting_id: int) -> Response:
    payload = data(meeting_id)
    body = current_app.json.dumps(payload).encode()
    return _download(body, "application/json", filename(payload["title"], "json"), meeting_id)
