"""看一看: the secretary's materials API, the reading link's page, and the materials' files.

The secretary (admin token or console login, CSRF as every /api call):

    POST   /api/meetings/<m>/materials              upload `file` (multipart), for `item` or none
    GET    /api/meetings/<m>/materials              the materials, the items without one, the link
    DELETE /api/meetings/<m>/materials/<id>
    POST   /api/meetings/<m>/reading                a new reading link (the old one stops working)
    DELETE /api/meetings/<m>/reading                withdraw it
    POST   /api/meetings/<m>/followups/<i>/files    a file of the answer on item i's follow-up
    DELETE /api/meetings/<m>/followups/<i>/files/<id>

Readers: `/r/<key>` is the reading link's page (the meeting's title, its items and their
materials, nothing else). The files behind it, `/materials/<m>.json`, `/materials/<m>/<id>/<n>`
(a page image) and `/materials/<m>/<id>/text`, answer exactly three callers: `?k=` the
meeting's reading key, `?k=` a card of that meeting that was not withdrawn, or the console.
Everyone else gets 404, as for a material that does not exist: nothing says which it was.
A follow-up's files (the department's answer) are no material of the sitting: listed only in
the ledger, their pages and text answer the console alone.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    render_template_string,
    request,
    send_file,
    url_for,
)

from voting import materials, render
from voting.auth import admin_required, is_admin, token_ok
from voting.context import ceping
from voting.errors import N_, BadInput, NotFound
from voting.records import Material
from voting.storage import Store
from voting.storage.materials import folder
from voting.web_errors import say

bp = Blueprint("reading", __name__)

ID = "int(max=9223372036854775807)"
SLACK = 1024 * 1024  # a multipart body's bytes besides the file
P = ParamSpec("P")
R = TypeVar("R")
CACHE = "private, max-age=3600"  # a phone reads the pages again without asking; never a proxy


@bp.app_context_processor
def _limit() -> dict[str, int]:
    """The size limit the console's materials panel states (and checks before it sends)."""
    return {"materials_limit": materials.LIMIT_MB}


def large_body(view: Callable[P, R]) -> Callable[P, R]:
    """Let this request's body be as large as one material (checked before it is read)."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        request.max_content_length = materials.LIMIT + SLACK
        length = request.content_length
        if length is not None and length > materials.LIMIT + SLACK:
            materials.check_size(length)
        return view(*args, **kwargs)

    return wrapped


def _item_field() -> int | None:
    value = request.form.get("item", "").strip()
    if not value or value == "general":
        return None
    if not value.isdigit() or len(value) > 18:
        raise BadInput(N_("item 须为测评项的编号，或留空（会议的通用材料）。"))
    return int(value)


@bp.post(f"/api/meetings/<{ID}:meeting_id>/materials")
@large_body
@admin_required
def upload(meeting_id: int) -> tuple[Response, int]:
    """Keep an uploaded material: its type told from its bytes, what a phone shows made now."""
    item_id = _item_field()
    ceping().store.materials.check(meeting_id, item_id)
    return jsonify(_keep(meeting_id, item_id, False)), 201


@bp.post(f"/api/meetings/<{ID}:meeting_id>/followups/<{ID}:item_id>/files")
@large_body
@admin_required
def upload_answer_file(meeting_id: int, item_id: int) -> tuple[Response, int]:
    """A file of the department's answer on the item's follow-up (整改报告), `file`
    (multipart): checked and drawn as a material is, but never one of the sitting's."""
    ceping().store.materials.check(meeting_id, item_id, followup=True)
    return jsonify(_keep(meeting_id, item_id, True)), 201


@bp.delete(f"/api/meetings/<{ID}:meeting_id>/followups/<{ID}:item_id>/files/<{ID}:material_id>")
@admin_required
def delete_answer_file(meeting_id: int, item_id: int, material_id: int) -> Response:
    ceping().store.materials.delete(meeting_id, material_id, followup=item_id)
    return jsonify(deleted=material_id)


def _keep(meeting_id: int, item_id: int | None, followup: bool) -> Material:
    """The request's `file`, sniffed, drawn and kept (for an item, the meeting, or a
    follow-up's answer)."""
    upload = request.files.get("file")
    if upload is None:
        raise BadInput(N_("请选择要上传的文件。"), "no_file")
    name = materials.clean_name(upload.filename)
    data = upload.read(materials.LIMIT + 1)
    return keep(ceping().store, meeting_id, item_id, name, data, followup, _in_a_process())


def keep(store: Store, meeting_id: int, item_id: int | None, name: str, data: bytes,
         followup: bool = False, process: bool = False) -> Material:  # fmt: skip
    """A file sniffed (its type from its bytes), drawn for phones (in a process of its own
    where `process`) and kept with its original, for an item, the meeting, or a follow-up."""
    sniffed = materials.sniff(data, name)
    work = Path(tempfile.mkdtemp(dir=store.materials.uploads()))
    try:
        src = work / f"original.{sniffed.subtype if sniffed.kind != 'text' else 'txt'}"
        src.write_bytes(data)
        files = work / "files"
        done = render.run(sniffed.kind, src, files, sniffed.subtype, process)
        if "error" in done:
            raise materials.render_error(str(done["error"]), name)
        src.replace(files / src.name)  # the original is kept too (and backed up)
        made = store.materials.add(meeting_id, item_id, name, sniffed.kind, int(done["pages"]),
                                   len(data), files, followup)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return made


def _in_a_process() -> bool:
    """Render in a process of its own under gevent or eventlet (`MATERIALS_PROCESS` may say
    otherwise), as the documents are drawn."""
    process = current_app.config.get("MATERIALS_PROCESS")
    if process is None:
        return bool(current_app.config["ASYNC_MODE"] in ("gevent", "eventlet"))
    return bool(process)


@bp.get(f"/api/meetings/<{ID}:meeting_id>/materials")
@admin_required
def listing(meeting_id: int) -> Response:
    found = ceping().store.materials.listing(meeting_id)
    return jsonify({**found, "reading_url": reading_url(found["reading_key"])})


@bp.delete(f"/api/meetings/<{ID}:meeting_id>/materials/<{ID}:material_id>")
@admin_required
def delete(meeting_id: int, material_id: int) -> Response:
    ceping().store.materials.delete(meeting_id, material_id)
    return jsonify(deleted=material_id)


@bp.post(f"/api/meetings/<{ID}:meeting_id>/reading")
@admin_required
def create_link(meeting_id: int) -> tuple[Response, int]:
    """A new reading link; a link made before stops working."""
    key = ceping().store.materials.set_reading(meeting_id, True)
    return jsonify(reading_key=key, reading_url=reading_url(key)), 201


@bp.delete(f"/api/meetings/<{ID}:meeting_id>/reading")
@admin_required
def withdraw_link(meeting_id: int) -> Response:
    ceping().store.materials.set_reading(meeting_id, False)
    return jsonify(reading_key=None, reading_url=None)


@bp.get(f"/console/meetings/<{ID}:meeting_id>/reading")
def reading_sheet(meeting_id: int) -> Any:
    """The reading link to print: its address and its QR code, for the agenda or the group."""
    if not is_admin():
        return redirect(url_for("console.index", next=request.path))
    m = ceping().store.meeting(meeting_id)  # or the not-found page
    url = reading_url(ceping().store.materials.reading_key(meeting_id))
    return render_template("reading_sheet.html", meeting=m, url=url)


@bp.get(f"/console/meetings/<{ID}:meeting_id>/reading.svg")
def reading_qr(meeting_id: int) -> Any:
    """The reading link's QR code, as the console shows it beside the address (admin only)."""
    if not is_admin():
        return _gone()
    url = reading_url(ceping().store.materials.reading_key(meeting_id))
    if url is None:
        return _gone()
    svg = render_template_string("{{ qr_svg(url, label=label) }}", url=url, label=url)
    return Response(svg, mimetype="image/svg+xml", headers={"Cache-Control": "no-store"})


def reading_url(key: str | None) -> str | None:
    """The reading link's address: on the LAN address phones use, where it is known."""
    if not key:
        return None
    base = current_app.config.get("PUBLIC_URL")
    return f"{base.rstrip('/')}/r/{key}" if base else request.host_url.rstrip("/") + f"/r/{key}"


# -- readers --------------------------------------------------------------------------------


def _gone(page: bool = False) -> Any:
    """The one refusal of every reader's route: no such thing, or not for this caller."""
    if page:
        return render_template("voter_refused.html", reason="reading_link"), 404
    message = say(N_("没有这份材料，或阅读链接已收回。"))
    return jsonify(error="not_found", message=message), 404


def may_read(meeting_id: int) -> bool:
    """The caller holds the meeting's reading key, a card of it (not withdrawn), or the console."""
    key = request.args.get("k", "")
    store = ceping().store
    if key and len(key) <= 64:
        reading = store.materials.reading_key(meeting_id)
        if reading and token_ok(key, reading):
            return True
        card = store.card(key)
        if card is not None and card["meeting_id"] == meeting_id and not card["revoked"]:
            return True
    return is_admin()


@bp.get("/r/<reading>")
def reading_page(reading: str) -> Any:
    """The reading link's page: the meeting's title, its items and their materials."""
    key = reading
    meeting_id = ceping().store.materials.reading_meeting(key) if len(key) <= 64 else None
    if meeting_id is None:
        return _gone(page=True)
    shown = ceping().store.materials.shown(meeting_id)
    response = Response(render_template("reading.html", shown=shown, key=key))
    response.headers["Cache-Control"] = "no-store"  # a withdrawn link shows nothing again
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get(f"/materials/<{ID}:meeting_id>.json")
def shown_json(meeting_id: int) -> Any:
    """What a reader is shown: the title, the items (id, subject, person) and the materials."""
    if not may_read(meeting_id):
        return _gone()
    try:
        shown = ceping().store.materials.shown(meeting_id)
    except NotFound:
        return _gone()
    response = jsonify({**shown, "labels": _labels()})
    response.headers["Cache-Control"] = "no-store"
    return response


def _labels() -> dict[str, str]:
    """The reader's words (static/reader.js), in the request's language."""
    return {
        "close": say(N_("关闭")),
        "page": say(N_("第 %(n)s 页"), {"n": "%(n)s"}),
        "general": say(N_("会议材料")),
        "none": say(N_("暂无材料")),
        "failed": say(N_("材料未能加载，请检查网络后重试。")),
    }


def _file(meeting_id: int, material_id: int, names: list[str], mimetypes: list[str]) -> Any:
    """A material's file for those who may read it; a follow-up's file for the console only."""
    admin = is_admin()
    if not (admin or may_read(meeting_id)):
        return _gone()
    try:
        ceping().store.materials.get(meeting_id, material_id, any_owner=admin)
    except NotFound:
        return _gone()
    place = folder(ceping().store.materials.instance, meeting_id, material_id)
    for name, mimetype in zip(names, mimetypes, strict=True):
        path = place / name
        if path.is_file():
            response = send_file(path, mimetype=mimetype, conditional=True, max_age=3600)
            response.headers["Cache-Control"] = CACHE
            response.headers["X-Content-Type-Options"] = "nosniff"
            return response
    return _gone()


@bp.get(f"/materials/<{ID}:meeting_id>/<{ID}:material_id>/<int(max=100000):page>")
def page_image(meeting_id: int, material_id: int, page: int) -> Any:
    """One page of a material as an image (a PDF's page, or the picture uploaded)."""
    names = [f"{page}.jpg", f"{page}.png"]
    return _file(meeting_id, material_id, names, ["image/jpeg", "image/png"])


@bp.get(f"/materials/<{ID}:meeting_id>/<{ID}:material_id>/text")
def text(meeting_id: int, material_id: int) -> Any:
    """A text material (a DOCX's paragraphs, or a plain-text file) as UTF-8 text."""
    return _file(meeting_id, material_id, ["text.txt"], ["text/plain; charset=utf-8"])
