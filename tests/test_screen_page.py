"""The projector page (/screen/<id>) and what its Socket.IO namespace tells it.

The page itself is drawn by static/screen/*.js in a browser; these tests check what the server
gives it: who may open it, the join QR only in open mode, nothing loaded from elsewhere, no tally
before a reveal, and the `focus` (the latest move) that decides which view the page shows.
"""

from __future__ import annotations

import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app import socketio
from conftest import Modules, module_tree, phone, received, vote

STATIC = Path(__file__).resolve().parent.parent / "static"


def screen(app, meeting: dict):
    auth = {"meeting": meeting["id"], "key": meeting["screen_key"]}
    return socketio.test_client(app, namespace="/screen", auth=auth)


def wait_for(client, name: str, check, timeout: float = 10.0):
    """Collect `name` events until one satisfies `check`; returns (match, everything seen)."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for payload in received(client, "/screen", name):
            seen.append(payload)
            if check(payload):
                return payload, seen
        time.sleep(0.02)
    raise AssertionError(f"no {name} event matched; got {seen}")


def drain(client) -> list[dict]:
    """Every event the projector has received so far, as {name, args}."""
    return client.get_received("/screen")


class Assets(HTMLParser):
    """Every URL a page loads: src and href attributes (stylesheets, scripts, icons, links)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.urls.append(value)


# -- the page ----------------------------------------------------------------------------------


def test_the_page_needs_the_screen_key(app, client, api):
    m = api.meeting(cards=2, items=1)["meeting"]
    page = client.get(f"/screen/{m['id']}?key={m['screen_key']}")
    assert page.status_code == 200
    assert m["title"] in page.get_data(as_text=True)
    assert client.get(f"/screen/{m['id']}?key=wrong-key").status_code == 404
    assert client.get(f"/screen/{m['id']}").status_code == 404
    assert client.get(f"/screen/{m['id']}?key={m['join_key']}").status_code == 404
    assert client.get(f"/screen/999?key={m['screen_key']}").status_code == 404
    # a logged-in console opens every projector without the key
    console = app.test_client()
    with console.session_transaction() as s:
        s["admin"] = True
    assert console.get(f"/screen/{m['id']}").status_code == 200


def test_the_join_qr_only_in_open_mode(client, api):
    cards = api.meeting(cards=2, items=1)["meeting"]
    html = client.get(f"/screen/{cards['id']}?key={cards['screen_key']}").get_data(as_text=True)
    assert 'class="qr"' not in html and "/j/" not in html
    assert "请使用测评卡扫码参加测评" in html

    m = api.meeting(cards=2, items=1, join_mode="open")["meeting"]
    html = client.get(f"/screen/{m['id']}?key={m['screen_key']}").get_data(as_text=True)
    assert html.count('<svg class="qr"') == 1
    assert f"/j/{m['join_key']}" in html  # the join URL, printed under the code
    assert "请扫码参加测评" in html and "请使用测评卡扫码参加测评" not in html


def test_the_page_loads_only_its_own_assets(client, api):
    m = api.meeting(cards=2, items=1, join_mode="open")["meeting"]
    html = client.get(f"/screen/{m['id']}?key={m['screen_key']}").get_data(as_text=True)
    parser = Assets()
    parser.feed(html)
    assert parser.urls, "the page loads its stylesheet and scripts"
    for url in parser.urls:
        assert url.startswith("data:") or (url.startswith("/") and not url.startswith("//")), url
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url
    assert "/static/screen/main.js" in parser.urls and "/static/screen.css" in parser.urls
    assert "/static/vendor/socket.io.min.js" in parser.urls
    assert "@import" not in (STATIC / "screen.css").read_text()
    assert not re.search(r"url\((?!['\"]?data:)", (STATIC / "screen.css").read_text())


def test_the_script_is_modules_the_page_fetches_ahead(client, api):
    """The page loads one module script, after the vendored Socket.IO client; every module it
    imports exists, is served as JavaScript, and is named in the page's modulepreload links (so
    the browser fetches them at once), and nothing else is."""
    m = api.meeting(cards=2, items=1)["meeting"]
    html = client.get(f"/screen/{m['id']}?key={m['screen_key']}").get_data(as_text=True)
    parser = Modules()
    parser.feed(html)
    assert parser.entries == ["/static/screen/main.js"]
    assert html.index("/static/vendor/socket.io.min.js") < html.index('type="module"')
    tree = module_tree(STATIC / "screen" / "main.js")
    urls = {"/static/" + p.relative_to(STATIC).as_posix() for p in tree}
    assert parser.preloaded == urls
    assert tree == {p.resolve() for p in (STATIC / "screen").glob("*.js")}  # none left unused
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "javascript" in response.mimetype, (url, response.mimetype)
        assert len(response.get_data(as_text=True).splitlines()) <= 300, url


def test_the_page_hands_its_script_the_meeting_and_the_texts(client, api):
    m = api.meeting(cards=2, items=1)["meeting"]
    html = client.get(f"/screen/{m['id']}?key={m['screen_key']}").get_data(as_text=True)
    assert f'data-meeting="{m["id"]}"' in html and f'data-key="{m["screen_key"]}"' in html
    found = re.search(r'<script id="i18n" type="application/json">(.*?)</script>', html, re.S)
    strings = json.loads(found.group(1))
    assert strings["voted"] == "已投" and strings["present"] == "实到"
    assert strings["expected"] == "应到" and strings["rate_satisfaction"] == "满意率"
    assert strings["batch_count"] == "共 %(n)s 项"  # placeholders survive for the script


def test_the_script_stays_within_es2017():
    """The projector may be an old browser: no optional chaining, no `??`, no private fields."""
    modules = sorted((STATIC / "screen").glob("*.js"))
    assert modules
    for module in modules:
        code = module.read_text()
        code = re.sub(r"/\*.*?\*/|//[^\n]*", "", code, flags=re.S)  # comments may say anything
        assert not re.search(r"\?\.[^\d]", code), module.name
        assert "??" not in code, module.name
        assert not re.search(r"#[A-Za-z_]\w*\s*[=(;]", code), module.name
        assert "innerHTML" not in code, module.name  # names go in as text, never as markup
        assert not re.search(r"\b(let|const|class|async|await)\b|=>|`", code), module.name


# -- the socket --------------------------------------------------------------------------------


def test_no_tally_before_reveal_then_the_result(app, api):
    m = api.meeting(cards=4, items=2)
    meeting, (item, other) = m["meeting"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"]]
    projector = screen(app, meeting)
    first = {e["name"]: e["args"][0] for e in drain(projector)}
    assert set(first) == {"meeting", "turnout", "results"}
    assert first["results"]["items"] == [] and first["meeting"]["focus"] is None
    assert "screen_key" not in json.dumps(first)

    api.move(meeting["id"], "open", [item])
    for p, choice in zip(phones, ["satisfied", "satisfied", "basic", "unsatisfied"], strict=True):
        assert vote(p, item, choice)["ok"]
    turnout, seen = wait_for(projector, "turnout", lambda t: t["voted"].get(str(item)) == 4)
    assert turnout["present"] == 4 and turnout["expected"] == 4
    api.move(meeting["id"], "close", [item])
    before = json.dumps([e["args"] for e in drain(projector)] + seen)
    for key in ('"tallies"', '"counts"', '"rate"', '"verdict"'):
        assert key not in before, before

    api.move(meeting["id"], "reveal", [item])
    results, _ = wait_for(projector, "results", lambda r: r["items"])
    (shown,) = results["items"]
    assert shown["id"] == item and shown["rank"] == 1
    result = shown["aspects"][0]["result"]
    assert result["counts"] == {"satisfied": 2, "basic": 1, "unsatisfied": 1}
    assert result["rate"] == 75.0 and result["verdict"] == "satisfied"
    assert result["verdict_label"] == "满意"
    assert [(o["key"], o["label"], o["count"], o["share"]) for o in result["options"]] == [
        ("satisfied", "满意", 2, 50.0), ("basic", "基本满意", 1, 25.0),
        ("unsatisfied", "不满意", 1, 25.0),
    ]  # fmt: skip
    assert [o["label"] for o in results["scale"]["options"]] == ["满意", "基本满意", "不满意"]
    assert other not in {i["id"] for i in results["items"]}  # only the revealed item


def test_focus_is_the_latest_move(app, api):
    """`meeting.focus` tells the projector what was just done, also after a reload."""
    m = api.meeting(cards=2, items=3)
    meeting, items = m["meeting"], m["items"]
    projector = screen(app, meeting)
    drain(projector)

    def focus_after(action: str, ids: list[int]) -> dict:
        extra = {"override_quorum": True} if action == "open" else {}
        api.move(meeting["id"], action, ids, **extra)
        picture, _ = wait_for(projector, "meeting", lambda p: p["focus"] is not None)
        return picture

    picture = focus_after("open", items[1:])
    assert picture["focus"]["action"] == "open" and picture["focus"]["items"] == items[1:]
    assert 0 <= picture["focus"]["age"] < 2
    assert [i["state"] for i in picture["items"]] == ["draft", "open", "open"]
    assert focus_after("close", items[1:])["focus"]["action"] == "close"
    picture = focus_after("reveal", items[1:])
    assert picture["focus"] == {
        "action": "reveal",
        "items": items[1:],
        "age": picture["focus"]["age"],
    }

    time.sleep(0.3)
    again = screen(app, meeting)  # a reloaded projector: the focus comes from the audit log
    hello = {e["name"]: e["args"][0] for e in drain(again)}
    assert hello["meeting"]["focus"]["action"] == "reveal"
    assert hello["meeting"]["focus"]["items"] == items[1:]
    assert hello["meeting"]["focus"]["age"] >= 0.3
    assert {i["id"] for i in hello["results"]["items"]} == set(items[1:])


def test_countdown_reaches_the_projector(app, api):
    m = api.meeting(cards=2, items=1)
    meeting, (item,) = m["meeting"], m["items"]
    projector = screen(app, meeting)
    drain(projector)
    api.move(meeting["id"], "open", [item], seconds=45, override_quorum=True)
    picture, _ = wait_for(projector, "meeting", lambda p: p["items"][0]["state"] == "open")
    assert 44 <= picture["items"][0]["seconds_left"] <= 45


@pytest.mark.parametrize("live", [True, False])
def test_live_tallies_only_where_the_meeting_says_so(app, api, live):
    m = api.meeting(cards=2, items=1, live_tallies=live)
    meeting, (item,) = m["meeting"], m["items"]
    phones = [phone(app, c["token"]) for c in m["cards"]]
    projector = screen(app, meeting)
    api.move(meeting["id"], "open", [item])
    assert vote(phones[0], item, "basic")["ok"]
    turnout, _ = wait_for(projector, "turnout", lambda t: t["voted"].get(str(item)) == 1)
    if live:
        (tally,) = turnout["tallies"]
        assert tally["id"] == item and tally["aspects"][0]["result"]["counts"]["basic"] == 1
    else:
        assert "tallies" not in turnout


def test_turning_live_tallies_off_before_the_start_is_obeyed(app, api):
    """The pusher must not keep a meeting's live-tallies setting from before its settings froze."""
    m = api.meeting(cards=2, items=1, live_tallies=True)
    meeting, (item,) = m["meeting"], m["items"]
    projector = screen(app, meeting)
    first = phone(app, m["cards"][0]["token"])  # a check-in: a turnout push reads the setting
    wait_for(projector, "turnout", lambda t: t["present"] == 1)
    r = api.client.patch(
        f"/api/meetings/{meeting['id']}", json={"live_tallies": False}, headers=api.headers
    )
    assert r.status_code == 200, r.get_json()
    api.move(meeting["id"], "open", [item], override_quorum=True)
    assert vote(first, item, "satisfied")["ok"]
    turnout, seen = wait_for(projector, "turnout", lambda t: t["voted"].get(str(item)) == 1)
    assert all("tallies" not in t for t in seen)
