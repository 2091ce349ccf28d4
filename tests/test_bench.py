"""The load benchmark (bench/load.py) cannot rot: a small run on the real servers loses nothing,
the bare server answers the phones' flow like the app, and the freshness method is right."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bench import bare_server, load
from ceping import MAX_MESSAGE, socketio
from realserver import ROOT

PHONES = 50
ITEMS = 24


def _run(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp_path / "load.json"
    cmd = [sys.executable, "bench/load.py", "--phones", str(PHONES), "--items", str(ITEMS),
           "--spread", "1.5", "--timeout", "20", "--dir", str(tmp_path), "--json", str(out),
           *args]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.exists(), done.stdout + done.stderr
    return done, json.loads(out.read_text())


@pytest.mark.server
def test_small_load_run_keeps_every_vote(tmp_path):
    done, report = _run(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "load: OK" in done.stdout and "votes counted in the results" in done.stdout
    assert report["ok"] is True and report["problems"] == []
    votes = PHONES * (1 + 2 * ITEMS)  # one item, then two batches
    for kind in ("app", "bare"):
        run = report[kind]
        assert (run["connected"], run["failed"], run["dropped"]) == (PHONES, 0, 0)
        assert run["votes_acked"] == votes
        for phase in ("single", "burst", "spread"):
            figures = run["phases"][phase]
            assert figures["acked"] == PHONES and figures["failed"] == 0
            assert figures["latency_ms"]["99"] > 0
        assert run["rss_peak_mb"] > 0 and run["cpu_s"] > 0
    app = report["app"]
    assert app["votes_counted"] == votes and app["items_wrong"] == 0
    assert app["phases"]["spread"]["unseen"] == 0  # the projector showed every vote
    assert app["phases"]["spread"]["freshness_ms"]["99"] is not None
    assert report["bare"]["votes_counted"] is None  # the bare server counts nothing
    assert [row["metric"] for row in report["table"]][0] == f"phones connected (of {PHONES})"


@pytest.mark.server
def test_small_load_run_under_gevent(tmp_path):
    done, report = _run(tmp_path, "--mode", "gevent", "--skip-bare", "--phases", "single")
    assert done.returncode == 0, done.stdout + done.stderr
    assert report["app"]["connected"] == PHONES
    assert report["app"]["votes_counted"] == report["app"]["votes_acked"] == PHONES
    assert report["bare"] is None


def test_bare_server_mirrors_the_apps_transport(app):
    bare_app, sio = bare_server.create_app("threading")
    assert bare_server.MAX_MESSAGE == MAX_MESSAGE
    ours, theirs = sio.server.eio, socketio.server.eio
    assert (theirs.ping_interval, theirs.ping_timeout) == (ours.ping_interval, ours.ping_timeout)
    assert theirs.max_http_buffer_size == ours.max_http_buffer_size

    phone = sio.test_client(bare_app, namespace="/voter", auth={"token": "anything"})
    assert phone.is_connected("/voter")
    votes = [{"item": n, "choice": "satisfied", "ballot": f"b{n}"} for n in range(3)]
    ack = phone.emit("vote", {"votes": votes}, namespace="/voter", callback=True)
    assert ack == {"ok": True, "votes": ["recorded"] * 3}
    screen = sio.test_client(bare_app, namespace="/screen", auth={})
    assert screen.is_connected("/screen")


def _acked(item: int, *times: float) -> list[load.VoteRecord]:
    return [load.VoteRecord(0, [item], "satisfied", sent=t - 0.01, acked=t) for t in times]


def test_freshness_is_measured_by_rank_per_item():
    records = _acked(1, 1.00, 1.02, 1.50) + _acked(2, 1.10)
    pushes = [
        (0.90, {1: 0}),
        (1.01, {1: 1}),  # before the 2nd ack: covers the 1st only
        (1.12, {1: 2, 2: 1}),  # covers the 2nd ack of item 1 and item 2's
        (1.45, {1: 3, 2: 1}),  # shows the 3rd vote of item 1 before its ack came back
    ]
    fresh, unseen = load.freshness(records, pushes)
    assert unseen == 0
    assert sorted(round(f, 3) for f in fresh) == [0.0, 0.01, 0.02, 0.1]

    fresh, unseen = load.freshness(records, pushes[:3])
    assert unseen == 1  # item 1's 3rd vote never reached the screen
    failed = load.VoteRecord(0, [1], "basic", sent=1.0, error="no ack")
    assert load.freshness([failed], pushes) == ([], 0)  # only acknowledged votes count


def test_percentile_is_nearest_rank():
    values = [float(n) for n in range(1, 101)]
    assert load.percentile(values, 50) == 50.0
    assert load.percentile(values, 99) == 99.0
    assert load.percentile([3.0], 99) == 3.0
    assert load.percentile([], 50) is None


def test_counts_must_equal_the_acknowledged_votes_per_choice():
    records = [
        load.VoteRecord(0, [1, 2], "satisfied", sent=0.0, acked=0.1),
        load.VoteRecord(1, [1, 2], "basic", sent=0.0, acked=0.1),
        load.VoteRecord(2, [1, 2], "basic", sent=0.0, error="no ack after 3 tries"),
    ]
    acked = load.acked_counts(records)
    assert acked == {1: {"satisfied": 1, "basic": 1}, 2: {"satisfied": 1, "basic": 1}}
    exact = {"satisfied": 1, "basic": 1, "unsatisfied": 0}
    assert load.compare(acked, {1: exact, 2: exact}, [1, 2]) == []
    lost = {"satisfied": 1, "basic": 0, "unsatisfied": 0}
    twice = {"satisfied": 2, "basic": 1, "unsatisfied": 0}
    swapped = {"satisfied": 0, "basic": 2, "unsatisfied": 0}
    for bad in (lost, twice, swapped):
        assert [w["item"] for w in load.compare(acked, {1: exact, 2: bad}, [1, 2])] == [2]
    assert [w["item"] for w in load.compare(acked, {1: exact}, [1, 2])] == [2]  # not in results
