"""The projector page: only with its meeting's screen key, the join QR only in open join mode,
nothing from outside the app, and no tally before the reveal."""

from __future__ import annotations

import re

from flask_socketio import SocketIOTestClient

from app import socketio
from conftest import phone, received, vote


def _screen(app, meeting: dict) -> SocketIOTestClient:
    return socketio.test_client(
        app, namespace="/screen", auth={"meeting": meeting["id"], "key": meeting["screen_key"]}
    )


def test_the_page_needs_the_screen_key(client, api):
    m = api.meeting(cards=2, items=1)["meeting"]
    assert client.get(f"/screen/{m['id']}?key={m['screen_key']}").status_code == 200
    assert client.get(f"/screen/{m['id']}?key=wrong").status_code == 404
    assert client.get(f"/screen/{m['id']}").status_code == 404
    assert client.get(f"/screen/{m['id'] + 1}?key={m['screen_key']}").status_code == 404
    with client.session_transaction() as session:
        session["admin"] = True  # a logged-in console opens it without the key
    assert client.get(f"/screen/{m['id']}").status_code == 200


def test_join_qr_only_in_open_mode(client, api):
    cards = api.meeting(cards=2, items=1)["meeting"]
    open_ = api.meeting(cards=2, items=1, join_mode="open")["meeting"]
    page = client.get(f"/screen/{cards['id']}?key={cards['screen_key']}").get_data(as_text=True)
    assert 'class="qr"' not in page and "测评卡" in page
    page = client.get(f"/screen/{open_['id']}?key={open_['screen_key']}").get_data(as_text=True)
    assert 'class="qr"' in page and f"/j/{open_['join_key']}" in page
    assert cards["screen_key"] not in client.get(
        f"/screen/{open_['id']}?key={open_['screen_key']}"
    ).get_data(as_text=True)


def test_the_page_loads_only_its_own_assets(client, api):
    m = api.meeting(cards=1, items=1)["meeting"]
    page = client.get(f"/screen/{m['id']}?key={m['screen_key']}").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith(("/", "data:")) and not u.startswith("//") for u in urls)
    for url in urls:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200


def test_no_tally_before_the_reveal_and_the_result_after(app, api):
    made = api.meeting(cards=4, items=2)
    m, (a, b) = made["meeting"], made["items"]
    phones = [phone(app, card["token"]) for card in made["cards"]]
    screen = _screen(app, m)
    api.move(m["id"], "open", [a, b])
    for p, choice in zip(phones, ["satisfied", "satisfied", "basic", "unsatisfied"], strict=True):
        assert vote(p, a, choice)["ok"]
    api.move(m["id"], "close", [a])
    heard = screen.get_received("/screen")
    for event in heard:
        text = repr(event["args"])
        assert "'counts'" not in text and "'rate'" not in text, event["name"]
    assert all(not e["args"][0]["items"] for e in heard if e["name"] == "results")
    meetings = [e["args"][0] for e in heard if e["name"] == "meeting"]
    assert meetings[-1]["focus"]["action"] == "close" and meetings[-1]["focus"]["items"] == [a]
    assert (
        "screen_key" not in meetings[-1]
        and "join_key" not in meetings[-1]
        or (meetings[-1]["join_key"] is None)
    )
    api.move(m["id"], "reveal", [a])
    (shown,) = received(screen, "/screen", "results")
    (item,) = shown["items"]
    result = item["aspects"][0]["result"]
    assert item["id"] == a and result["counts"] == {"satisfied": 2, "basic": 1, "unsatisfied": 1}
    assert result["rate"] == 75.0 and result["verdict_label"] == "满意"


def test_live_tallies_only_where_the_meeting_says_so(app, api):
    made = api.meeting(cards=2, items=1, live_tallies=True)
    m, (a,) = made["meeting"], made["items"]
    p = phone(app, made["cards"][0]["token"])
    phone(app, made["cards"][1]["token"])
    screen = _screen(app, m)
    api.move(m["id"], "open", [a])
    assert vote(p, a, "basic")["ok"]
    app.extensions["ceping.pusher"].flush(m["id"])
    last = received(screen, "/screen", "turnout")[-1]
    assert last["tallies"][0]["aspects"][0]["result"]["counts"]["basic"] == 1
