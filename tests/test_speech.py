"""The 述法 speech timer: the pure rules (voting/speech.py), its settings, the API, the audit
log, the pushes to the projector, the console and the phones, a restart, and the report."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import socketio
from ceping import create_app
from conftest import ADMIN_TOKEN, phone, received
from display.report import method_text
from display.reportdata import collect
from voting import clock, settings, speech
from voting.errors import BadInput, Refused
from voting.speech import Speech


@pytest.fixture(autouse=True)
def _clock_back():
    yield
    clock.set_offset(0)


# -- the pure rules ------------------------------------------------------------------------------


def test_a_speech_counts_down_pauses_and_runs_over():
    s = speech.apply(None, "start", 1000.0, 480)
    assert speech.timer(s, 7, 1000.0) == {"item": 7, "allotted": 480, "elapsed": 0,
        "remaining": 480, "overrun": 0, "status": "running", "phase": "normal"}  # fmt: skip
    s = speech.apply(s, "pause", 1100.0, 480)
    assert speech.timer(s, 7, 5000.0)["elapsed"] == 100  # the pause does not count
    s = speech.apply(s, "resume", 1200.0, 480)
    assert speech.timer(s, 7, 1200.0 + 320)["phase"] == "warning"  # 60 s left: amber
    assert speech.timer(s, 7, 1200.0 + 319)["phase"] == "normal"
    over = speech.timer(s, 7, 1200.0 + 380 + 35)
    assert (over["phase"], over["remaining"], over["overrun"]) == ("over", -35, 35)
    s = speech.apply(s, "end", 1200.0 + 415, 480)
    assert speech.timer(s, 7, 99999.0)["elapsed"] == 515 and speech.status(s) == "ended"


@pytest.mark.parametrize(
    ("steps", "refused", "code"),
    [
        ([], "pause", "not_started"),
        ([], "resume", "not_started"),
        ([], "end", "not_started"),
        (["start"], "start", "already_started"),
        (["start"], "resume", "not_paused"),
        (["start", "pause"], "pause", "already_paused"),
        (["start", "pause"], "start", "already_started"),
        (["start", "end"], "resume", "already_ended"),
        (["start", "end"], "start", "already_ended"),
        (["start"], "jump", "bad_step"),
    ],
)
def test_each_illegal_step_is_refused_with_its_code(steps, refused, code):
    s = None
    for n, step in enumerate(steps):
        s = speech.apply(s, step, float(n), 60)
    with pytest.raises(Refused) as caught:
        speech.apply(s, refused, 10.0, 60, item=3)
    assert caught.value.code == code and caught.value.status == 409


def test_only_an_oral_item_in_draft_and_one_speech_at_a_time():
    with pytest.raises(Refused, match="现场述法") as caught:
        speech.check_item("written", "draft", "start", 1)
    assert caught.value.code == "not_oral"
    with pytest.raises(Refused) as caught:
        speech.check_item("oral", "open", "start", 1)
    assert caught.value.code == "not_draft"
    speech.check_item("oral", "open", "end", 1)  # a speech may still end once its vote opened
    with pytest.raises(Refused) as caught:
        speech.check_one_at_a_time("start", 4, 5)
    assert caught.value.code == "another_speech"
    speech.check_one_at_a_time("pause", 4, 5)
    speech.check_one_at_a_time("start", None, 5)


STEP = st.sampled_from(speech.STEPS)


@given(st.lists(st.tuples(STEP, st.floats(0, 5000)), max_size=12), st.floats(0, 5000))
def test_elapsed_is_never_negative_nor_more_than_the_time_since_the_start(steps, later):
    s: Speech | None = None
    now = 1000.0
    for step, gap in steps:
        now += gap
        with contextlib.suppress(Refused):
            s = speech.apply(s, step, now, 480)
    if s is None:
        return
    shown = speech.timer(s, 1, now + later)
    assert 0 <= shown["elapsed"] <= now + later - s.started_at
    assert shown["remaining"] == 480 - shown["elapsed"]
    assert shown["overrun"] == max(0, -shown["remaining"])


@given(st.lists(st.floats(1, 600), min_size=1, max_size=6), st.floats(1, 600))
def test_pauses_do_not_count(pauses, spoken):
    """Spoken for `spoken` seconds in all, paused in between: the elapsed time is `spoken`."""
    now = 0.0
    s = speech.apply(None, "start", now, 480)
    for pause in pauses:
        now += spoken / len(pauses)
        s = speech.apply(s, "pause", now, 480)
        now += pause
        s = speech.apply(s, "resume", now, 480)
    assert abs(speech.elapsed(s, now) - spoken) < 1e-6
    s = speech.apply(s, "pause", now, 480)
    assert abs(speech.elapsed(speech.apply(s, "end", now + 99, 480), now + 500) - spoken) < 1e-6


@given(st.floats(-100, 1000))
def test_the_phase_follows_the_time_left(remaining):
    expected = "over" if remaining <= 0 else "warning" if remaining <= 60 else "normal"
    assert speech.phase(remaining) == expected


# -- settings ------------------------------------------------------------------------------------


def test_settings_of_the_speech_timer():
    s = settings.meeting_settings({"title": "t", "expected": 5})
    assert (s.speech_minutes, s.speech_opens_vote) == (8, False)
    s = settings.meeting_settings({"title": "t", "expected": 5, "speech_minutes": 10,
                                   "speech_opens_vote": True})  # fmt: skip
    assert (s.speech_minutes, s.speech_opens_vote) == (10, True)
    for bad in (0, 61, "8", True, 8.5):
        with pytest.raises(BadInput, match="speech_minutes"):
            settings.meeting_settings({"title": "t", "expected": 5, "speech_minutes": bad})
    assert settings.item_changes({"speech_seconds": 300}) == {"speech_seconds": 300}
    assert settings.item_changes({"speech_seconds": None}) == {"speech_seconds": None}
    for bad in (29, 3601, "300", False):
        with pytest.raises(BadInput, match="speech_seconds"):
            settings.item_changes({"speech_seconds": bad})
    assert settings.speech_action({"action": "pause"}) == "pause"
    for bad in ({}, {"action": "stop"}, {"action": "start", "item": 1}, []):
        with pytest.raises(BadInput):
            settings.speech_action(bad)


# -- the API -------------------------------------------------------------------------------------


def speak(api, meeting_id: int, item: int, action: str, status: int = 200):
    return api.post(f"/meetings/{meeting_id}/items/{item}/speech", {"action": action}, status)


def test_a_timed_speech_through_the_api_with_its_audit_entries(api):
    m = api.meeting(items=2, speech_minutes=5)
    mid, (a, b) = m["meeting"]["id"], m["items"]
    assert api.get(f"/meetings/{mid}").get_json()["speech"] is None
    api.send("PATCH", f"/meetings/{mid}/items/{b}", {"speech_seconds": 90}, 200)
    started = speak(api, mid, a, "start").get_json()
    assert started["remaining"] == 300 and started["subject"] == "市第0局"
    assert started["person"] == "局长0" and started["status"] == "running"
    clock.set_offset(100)
    assert speak(api, mid, a, "pause").get_json()["remaining"] == 200
    assert speak(api, mid, b, "start", 409).get_json()["error"] == "another_speech"
    clock.set_offset(1000)  # paused for 900 s
    shown = api.get(f"/meetings/{mid}").get_json()["speech"]
    assert (shown["item"], shown["remaining"], shown["status"]) == (a, 200, "paused")
    speak(api, mid, a, "resume")
    clock.set_offset(1000 + 235)
    ended = speak(api, mid, a, "end").get_json()
    assert ended["phase"] == "over" and ended["overrun"] == 35 and ended["elapsed"] == 335
    assert speak(api, mid, a, "end", 409).get_json()["error"] == "already_ended"
    assert speak(api, mid, b, "start").get_json()["allotted"] == 90  # the item's own time
    log = api.get(f"/meetings/{mid}/audit").get_json()["entries"]
    steps = [(e["action"], e["detail"]["item"]) for e in log if e["action"].startswith("speech_")]
    assert steps == [("speech_start", a), ("speech_pause", a), ("speech_resume", a),
                     ("speech_end", a), ("speech_start", b)]  # fmt: skip
    assert [s["item"] for s in api.get(f"/meetings/{mid}").get_json()["speeches"]] == [a, b]
    assert api.get("/verify").get_json()["ok"] is True  # the chain takes the new entries


def test_refusals_of_the_api(api):
    m = api.meeting(items=2)
    mid, (a, b) = m["meeting"]["id"], m["items"]
    api.send("PATCH", f"/meetings/{mid}/items/{b}", {"kind": "written"}, 200)
    assert speak(api, mid, b, "start", 409).get_json()["error"] == "not_oral"
    assert speak(api, mid, a, "pause", 409).get_json()["error"] == "not_started"
    assert speak(api, mid, 999, "start", 404).get_json()["error"] == "not_found"
    api.post(f"/meetings/{mid}/items/{a}/speech", {"action": "go"}, 400)
    api.move(mid, "open", [a], override_quorum=True)
    assert speak(api, mid, a, "start", 409).get_json()["error"] == "not_draft"
    r = api.client.post(f"/api/meetings/{mid}/items/{a}/speech", json={"action": "start"})
    assert r.status_code == 401  # admin only


def test_the_speech_settings_change_after_the_vote_began_and_copy_with_the_meeting(api):
    m = api.meeting(items=1)
    mid, (a,) = m["meeting"]["id"], m["items"]
    api.send("PATCH", f"/meetings/{mid}/items/{a}", {"speech_seconds": 120}, 200)
    api.move(mid, "open", [a], override_quorum=True)
    changed = api.send("PATCH", f"/meetings/{mid}", {"speech_minutes": 6,
                       "speech_opens_vote": True}, 200).get_json()  # fmt: skip
    assert (changed["speech_minutes"], changed["speech_opens_vote"]) == (6, True)
    copy = api.post(f"/meetings/{mid}/copy", {}, 201).get_json()
    assert (copy["speech_minutes"], copy["speech_opens_vote"]) == (6, True)
    items = api.get(f"/meetings/{copy['id']}").get_json()["items"]
    assert items[0]["speech_seconds"] == 120


# -- pushes --------------------------------------------------------------------------------------


def test_the_projector_console_and_waiting_phones_hear_each_step(app, api):
    m = api.meeting(cards=2, items=1)
    meeting, (a,) = m["meeting"], m["items"]
    auth = {"meeting": meeting["id"], "key": meeting["screen_key"]}
    projector = socketio.test_client(app, namespace="/screen", auth=auth)
    console = socketio.test_client(app, namespace="/console", auth={"token": ADMIN_TOKEN})
    console.emit("watch", {"meeting": meeting["id"]}, namespace="/console", callback=True)
    phones = [phone(app, c["token"]) for c in m["cards"]]
    assert received(projector, "/screen", "meeting")[-1]["speech"] is None
    assert received(phones[0], "/voter", "state")[-1]["speech"] is None
    received(phones[1], "/voter", "state")

    speak(api, meeting["id"], a, "start")
    clock.set_offset(425)
    speak(api, meeting["id"], a, "pause")
    picture = received(projector, "/screen", "meeting")[-1]["speech"]
    assert picture["subject"] == "市第0局" and picture["person"] == "局长0"
    assert (picture["remaining"], picture["status"], picture["phase"]) == (55, "paused", "warning")
    assert received(console, "/console", "meeting")[-1]["speech"]["status"] == "paused"
    for p in phones:
        told = received(p, "/voter", "state")[-1]
        assert told["speech"] == {"subject": "市第0局", "person": "局长0", "remaining": 55,
                                  "status": "paused", "phase": "warning"}  # fmt: skip
        assert told["items"] == [] and told["voted"] is None
    speak(api, meeting["id"], a, "end")
    assert received(projector, "/screen", "meeting")[-1]["speech"]["status"] == "ended"
    assert received(phones[0], "/voter", "state")[-1]["speech"] is None  # nothing to show
    again = phone(app, m["cards"][1]["token"])  # a reload gets it anew
    assert received(again, "/voter", "state")[-1]["speech"] is None


def test_the_vote_opens_by_itself_when_the_meeting_says_so(app, api):
    m = api.meeting(cards=2, items=2, speech_opens_vote=True, quorum=0)
    mid, (a, b) = m["meeting"]["id"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"]]
    speak(api, mid, a, "start")
    speak(api, mid, a, "end")
    states = {i["id"]: i["state"] for i in api.get(f"/meetings/{mid}").get_json()["items"]}
    assert states == {a: "open", b: "draft"}
    assert [i["id"] for i in received(phones[0], "/voter", "state")[-1]["items"]] == [a]
    api.send("PATCH", f"/meetings/{mid}", {"speech_opens_vote": False}, 200)
    speak(api, mid, b, "start")
    speak(api, mid, b, "end")
    assert api.get(f"/meetings/{mid}").get_json()["items"][1]["state"] == "draft"


def test_without_a_quorum_the_end_stands_and_the_vote_waits(api):
    m = api.meeting(cards=3, items=1, speech_opens_vote=True)  # nobody checked in
    mid, (a,) = m["meeting"]["id"], m["items"]
    speak(api, mid, a, "start")
    assert speak(api, mid, a, "end").get_json()["status"] == "ended"
    meeting = api.get(f"/meetings/{mid}").get_json()
    assert meeting["items"][0]["state"] == "draft" and meeting["speech"]["status"] == "ended"


# -- a restart, and the report -------------------------------------------------------------------


def test_a_restart_shows_the_same_time_and_the_report_gives_the_speaking_times(app, api, tmp_path):
    m = api.meeting(items=2)
    mid, (a, b) = m["meeting"]["id"], m["items"]
    speak(api, mid, a, "start")
    clock.set_offset(530)
    speak(api, mid, a, "end")
    speak(api, mid, b, "start")
    clock.set_offset(530 + 200)
    app.extensions["ceping"].stopping.set()
    again = create_app({"INSTANCE": str(tmp_path), "TESTING": True, "ADMIN_TOKEN": ADMIN_TOKEN})
    try:
        store = again.extensions["ceping"].store
        clock.set_offset(530 + 260)  # the speech went on while the server was down
        shown = store.current_speech(mid)
        assert shown is not None
        assert (shown["item"], shown["elapsed"], shown["status"]) == (b, 260, "running")
        lines = method_text(collect(store, mid, history=False))
        assert lines[-1] == ("现场述法计时，每人 8 分钟：市第0局（局长0）用时 8:50，超时 0:50；"
                             "市第1局（局长1）用时 4:20（计时未结束）。")  # fmt: skip
    finally:
        again.extensions["ceping"].stopping.set()


def test_deleting_an_item_or_a_rehearsal_takes_its_speech_along(api):
    m = api.meeting(items=2, rehearsal=True)
    mid, (a, b) = m["meeting"]["id"], m["items"]
    speak(api, mid, a, "start")
    speak(api, mid, a, "end")
    speak(api, mid, b, "start")
    api.send("DELETE", f"/meetings/{mid}/items/{a}", None, 200)
    assert [s["item"] for s in api.get(f"/meetings/{mid}").get_json()["speeches"]] == [b]
    api.post(f"/meetings/{mid}/make-real", {"confirm": True}, 200)
    assert api.get(f"/meetings/{mid}").get_json()["speeches"] == []
    api.send("DELETE", f"/meetings/{mid}", None, 200)
