"""The HTTP JSON API under /api: the secretary's calls (the console uses the same API).

Every call needs the admin token or a console login. Bad input gets a 4xx with
`{"error": code, "message": text}` (voting.web_errors) and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, jsonify, request

from voting import clock, importing, labels, ledger, settings, signals
from voting.auth import admin_required
from voting.console import card_url
from voting.context import ceping
from voting.errors import BadInput, CardsExist, NotFound
from voting.web_errors import say

bp = Blueprint("api", __name__, url_prefix="/api")

ACTIONS = ("open", "close", "reveal", "reopen", "reset")
ID = "int(max=9223372036854775807)"  # SQLite's largest integer: a larger id is simply not found


def _body(optional: bool = False) -> Any:
    """The request's JSON body: every /api route that takes one reads it here.

    Not JSON, not sent as JSON, or nested too deeply: 400. An `optional` body may be left out
    (nothing at all is sent): that reads as `{}`.
    """
    if optional and not request.get_data(cache=True):
        return {}
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        raise BadInput("请求内容嵌套过深。") from None
    if data is None:
        raise BadInput("请求内容须为 JSON（Content-Type: application/json）。")
    return data


@bp.post("/meetings")
@admin_required
def create_meeting() -> tuple[Response, int]:
    meeting = ceping().store.create_meeting(settings.meeting_settings(_body()))
    return jsonify(meeting), 201


@bp.get("/meetings")
@admin_required
def list_meetings() -> Response:
    """The meetings, newest first; the archived ones too with `?archived=1`."""
    archived = request.args.get("archived", "") in ("1", "true")
    return jsonify(meetings=ceping().store.meetings(archived=archived))


@bp.get(f"/meetings/<{ID}:meeting_id>")
@admin_required
def get_meeting(meeting_id: int) -> Response:
    store = ceping().store
    return jsonify({**store.meeting(meeting_id), "last_move": store.last_move(meeting_id),
                    "speech": store.current_speech(meeting_id),
                    "speeches": store.speeches(meeting_id)})  # fmt: skip


@bp.patch(f"/meetings/<{ID}:meeting_id>")
@admin_required
def update_meeting(meeting_id: int) -> Response:
    store = ceping().store
    changes = settings.meeting_changes(store.meeting(meeting_id), _body())
    return jsonify(store.update_meeting(meeting_id, changes))


@bp.post(f"/meetings/<{ID}:meeting_id>/copy")
@admin_required
def copy_meeting(meeting_id: int) -> tuple[Response, int]:
    title = settings.copy_request(_body(optional=True))
    return jsonify(ceping().store.copy_meeting(meeting_id, title)), 201


@bp.post(f"/meetings/<{ID}:meeting_id>/make-real")
@admin_required
def make_real(meeting_id: int) -> Response:
    """Turn a rehearsal into the real sitting, `{confirm: true}`: its ballots, comments, paper
    entries and follow-ups are discarded, its items back in draft, its cards released (the
    printed ones stay valid). Without `confirm`: 409 `confirm_make_real` with `discard`."""
    confirm = settings.confirm_request(_body(optional=True))
    return jsonify(discarded=ceping().store.make_real(meeting_id, confirm))


@bp.delete(f"/meetings/<{ID}:meeting_id>")
@admin_required
def delete_meeting(meeting_id: int) -> Response:
    """Delete a rehearsal, or a real meeting none of whose items was opened, after a backup
    copy (named in the answer and the audit log); 409 `has_results` otherwise."""
    copy = ceping().store.delete_meeting(meeting_id)
    return jsonify(deleted=meeting_id, backup=copy.name)


@bp.post(f"/meetings/<{ID}:meeting_id>/<any(archive, unarchive):action>")
@admin_required
def archive(meeting_id: int, action: str) -> Response:
    """Hide a real meeting with results from the list (archive), or show it again."""
    return jsonify(ceping().store.set_archived(meeting_id, action == "archive"))


@bp.post(f"/meetings/<{ID}:meeting_id>/items")
@admin_required
def add_items(meeting_id: int) -> tuple[Response, int]:
    ids = ceping().store.add_items(meeting_id, settings.new_items(_body()))
    return jsonify(ids=ids), 201


@bp.patch(f"/meetings/<{ID}:meeting_id>/items/<{ID}:item_id>")
@admin_required
def edit_item(meeting_id: int, item_id: int) -> Response:
    return jsonify(ceping().store.edit_item(meeting_id, item_id, settings.item_changes(_body())))


@bp.delete(f"/meetings/<{ID}:meeting_id>/items/<{ID}:item_id>")
@admin_required
def delete_item(meeting_id: int, item_id: int) -> Response:
    ceping().store.delete_item(meeting_id, item_id)
    return jsonify(deleted=item_id)


@bp.post(f"/meetings/<{ID}:meeting_id>/items/order")
@admin_required
def order_items(meeting_id: int) -> Response:
    return jsonify(items=ceping().store.order_items(meeting_id, settings.item_order(_body())))


@bp.post("/items/parse")
@admin_required
def parse_items() -> Response:
    """Read items from pasted lines (`{text, kind?, batch?}`) or an uploaded CSV/XLSX (`file`).

    Nothing is stored: the answer is the items read, to show and then add (`items`), what the
    parser had to guess at for each of them (`warnings`, a list per item) and what it did to the
    whole input (`notes`: the header it read, columns left out, serial numbers dropped).
    """
    upload = request.files.get("file")
    if upload is not None:
        form = request.form
        kind, batch = form.get("kind", "oral"), form.get("batch", "")
        parsed = importing.read_file(upload.filename or "", upload.read(), kind, batch)
    else:
        data = _body()
        if not isinstance(data, dict) or not isinstance(data.get("text"), str):
            raise BadInput("请发送 {text: 各行} 或一个文件。")
        kind, batch = data.get("kind", "oral"), data.get("batch", "")
        if not isinstance(kind, str) or not isinstance(batch, str):
            raise BadInput("kind 和 batch 须为字符串。")
        parsed = importing.read_lines(data["text"], kind, settings.text(batch, "batch",
                                      required=False, limit=40))  # fmt: skip
    return jsonify(parsed.answer(say))


@bp.post(f"/meetings/<{ID}:meeting_id>/cards")
@admin_required
def issue_cards(meeting_id: int) -> tuple[Response, int]:
    """Issue `count` more cards; to a meeting that has some already only with `confirm: true`
    (else 409 `cards_exist` with `existing` and `after`: one click must not double them)."""
    count, group, confirm = settings.card_request(_body())
    existing = len(ceping().store.cards(meeting_id))
    if existing and not confirm:
        raise CardsExist(existing, existing + count)
    issued = ceping().store.issue_cards(meeting_id, count, group)
    return jsonify(cards=[{**c, "url": card_url(c["token"])} for c in issued]), 201


@bp.get(f"/meetings/<{ID}:meeting_id>/cards")
@admin_required
def list_cards(meeting_id: int) -> Response:
    found = ceping().store.cards(meeting_id)
    return jsonify(cards=[{**c, "url": card_url(c["token"])} for c in found])


@bp.post(f"/meetings/<{ID}:meeting_id>/cards/<{ID}:number>/<any(release, revoke):action>")
@admin_required
def change_card(meeting_id: int, number: int, action: str) -> Response:
    ceping().store.set_card(meeting_id, number, action)
    return jsonify(number=number, action=action)


@bp.post(f"/meetings/<{ID}:meeting_id>/<any({', '.join(ACTIONS)}):action>")
@admin_required
def move(meeting_id: int, action: str) -> Response:
    request_ = settings.move(_body(), action)
    return jsonify(ceping().store.move(meeting_id, request_, action))


@bp.post(f"/meetings/<{ID}:meeting_id>/undo")
@admin_required
def undo(meeting_id: int) -> Response:
    """Take back the last open / close / reopen (never a reveal); recorded in the audit log."""
    return jsonify(ceping().store.undo(meeting_id))


@bp.get(f"/meetings/<{ID}:meeting_id>/results")
@admin_required
def results(meeting_id: int) -> Response:
    shown = labels.localise(dict(ceping().store.results(meeting_id)))  # English labels in English
    return jsonify({**shown, "audit_head": ceping().store.audit_head()})


@bp.get(f"/meetings/<{ID}:meeting_id>/turnout")
@admin_required
def turnout(meeting_id: int) -> Response:
    return jsonify(ceping().store.turnout(meeting_id))


@bp.get(f"/meetings/<{ID}:meeting_id>/audit")
@admin_required
def audit(meeting_id: int) -> Response:
    ceping().store.meeting(meeting_id)  # 404 for an unknown meeting
    return jsonify(entries=ceping().store.audit_log(meeting_id))


@bp.get("/verify")
@admin_required
def verify() -> Response:
    problems = ceping().store.verify()
    return jsonify(ok=not problems, problems=problems, audit_head=ceping().store.audit_head())


@bp.post(f"/meetings/<{ID}:meeting_id>/items/<{ID}:item_id>/paper")
@admin_required
def enter_paper(meeting_id: int, item_id: int) -> Response:
    """Paper ballots (补录) of a closed, unrevealed item: `{counts: {choice: n}, aspect?, group?}`
    replaces the paper counts entered before for that aspect and group; audit-logged."""
    entry = settings.paper_entry(_body())
    return jsonify(ceping().store.enter_paper(meeting_id, item_id, entry))


@bp.post(f"/meetings/<{ID}:meeting_id>/items/from-followup")
@admin_required
def item_from_followup(meeting_id: int) -> tuple[Response, int]:
    """The next round: `{followup: item}` adds that item's department, whose follow-up is marked
    再次测评, to this later real meeting as an item of kind 整改情况 linked to the follow-up;
    audit-logged. 409 with the reason otherwise (`voting.storage.nextround`)."""
    followup = settings.followup_ref(_body())
    return jsonify(ceping().store.add_from_followup(meeting_id, followup)), 201


@bp.get(f"/meetings/<{ID}:meeting_id>/next-round")
@admin_required
def next_round(meeting_id: int) -> Response:
    """Which of this meeting's follow-ups were brought to a later meeting: `{brought: {item:
    [{meeting, title, item, state}]}}`."""
    return jsonify(brought=ceping().store.brought(meeting_id))


@bp.get(f"/meetings/<{ID}:meeting_id>/previous-round")
@admin_required
def previous_round(meeting_id: int) -> Response:
    """上一轮整改情况: the departments of this meeting rated short at their latest earlier real
    meeting, with that verdict, the follow-up's status and due date or date done."""
    return jsonify(labels.localise(dict(ceping().store.previous_round(meeting_id))))


@bp.post(f"/meetings/<{ID}:meeting_id>/screen-view")
@admin_required
def screen_view(meeting_id: int) -> Response:
    """Switch the projector to a view `{view: "previous_round"}`, or back (`"live"`)."""
    view = settings.screen_view(_body())
    store = ceping().store
    store.meeting(meeting_id)  # 404 for an unknown meeting, and nothing kept for it
    signals.screen_view.send(store, meeting_id=meeting_id, view=view)
    return jsonify(meeting=meeting_id, view=view)


@bp.get(f"/meetings/<{ID}:meeting_id>/followups")
@admin_required
def list_followups(meeting_id: int) -> Response:
    return jsonify(followups=ceping().store.followups(meeting_id))


@bp.get(f"/meetings/<{ID}:meeting_id>/followups/<{ID}:item_id>")
@admin_required
def get_followup(meeting_id: int, item_id: int) -> Response:
    found = ceping().store.followup(meeting_id, item_id)
    if found is None:
        raise NotFound("第 %(item)s 项没有整改记录。", item=item_id)
    return jsonify({"item": item_id, **found})


@bp.put(f"/meetings/<{ID}:meeting_id>/followups/<{ID}:item_id>")
@admin_required
def put_followup(meeting_id: int, item_id: int) -> Response:
    """Change an item's follow-up (整改) `{status?, due?, notes?}`; audit-logged."""
    done = ceping().store.set_followup(meeting_id, item_id, settings.followup_change(_body()))
    return jsonify({"item": item_id, **done})


@bp.post(f"/meetings/<{ID}:meeting_id>/items/<{ID}:item_id>/speech")
@admin_required
def speech(meeting_id: int, item_id: int) -> Response:
    """The 述法 timer of an oral item: `{action: start | pause | resume | end}`; answers the
    speech as it is then (elapsed, remaining, status, phase). Audit-logged; one speech of a
    meeting runs at a time."""
    action = settings.speech_action(_body())
    return jsonify(ceping().store.speech(meeting_id, item_id, action))


# -- the follow-up ledger (整改台账) ------------------------------------------------------------


def ledger_view(args: Mapping[str, str]) -> dict[str, Any]:
    """The ledger for today on the app's clock, as `GET /api/ledger` answers (and the XLSX
    holds): the rows the filters keep, the counts, the warnings and the meetings to filter by."""
    today = clock.today()
    wanted = ledger.filters(args)
    every = ledger.order(ledger.row(e, today) for e in ceping().store.ledger())
    shown = [r for r in every if ledger.matches(r, wanted)]
    meetings = {r["meeting"]: {"id": r["meeting"], "title": r["meeting_title"],
                               "date": r["meeting_date"]} for r in every}  # fmt: skip
    return {
        "today": today.isoformat(),
        "filters": wanted.query(),
        "rows": labels.swap(shown, labels.label_map()),
        "counts": ledger.counts(every, shown),
        "warnings": ledger.warnings(every),
        "meetings": sorted(meetings.values(), key=lambda m: -m["id"]),
    }


@bp.get("/ledger")
@admin_required
def get_ledger() -> Response:
    """Every follow-up of the real meetings (`?status=&overdue=1&due_soon=1&meeting=&department=`
    filter them), with `counts` and `warnings` of all."""
    return jsonify(ledger_view(request.args))


@bp.get("/ledger/warnings")
@admin_required
def ledger_warnings() -> Response:
    """`{overdue: n, due_soon: n}` over every follow-up of the real meetings."""
    today = clock.today()
    entries = ceping().store.ledger(history=False)
    return jsonify(ledger.warnings(ledger.row(e, today) for e in entries))


@bp.put(f"/meetings/<{ID}:meeting_id>/followups/<{ID}:item_id>/answer")
@admin_required
def put_answer(meeting_id: int, item_id: int) -> Response:
    """The department's answer on its follow-up `{received?, report?, assessment?, grade?,
    status?}`; audit-logged. Answers the ledger row, with its history."""
    done = ceping().store.set_answer(meeting_id, item_id, ledger.answer_change(_body()))
    return jsonify(labels.swap(ledger.row(done, clock.today()), labels.label_map()))
