"""Phones that lose the network or are frozen in the background come back by themselves.

In Chromium (Playwright, as tests/test_browser.py): one phone goes offline for longer than the
heartbeat lets a phone go (shortened to 8 s for the test; 45 s by default) and votes
meanwhile; another phone's page is frozen (Chrome DevTools Protocol,
`Page.setWebLifecycleState`), as a phone does with a page in the background. While they are
away the secretary opens another item. Back online / active, both show it without anyone
touching them, and the offline vote is counted once.
"""

from __future__ import annotations

import time

import pytest

from browsing import PHONE, WAIT, new_meeting
from realserver import Server

pytestmark = [pytest.mark.server, pytest.mark.browser]

PING_SILENCE = 25 + 20  # s: how long Engine.IO's client waits for a ping before it gives up
QUICK = {"CEPING_PING_INTERVAL": "4", "CEPING_PING_TIMEOUT": "4"}  # the heartbeat, shortened
AWAY = 12  # seconds offline / frozen: longer than that heartbeat's interval + timeout (8 s)


@pytest.fixture
def server(tmp_path):
    running = Server(tmp_path, "gevent")
    yield running
    running.stop()


@pytest.fixture
def quick(tmp_path):
    """A server whose heartbeat lets a phone go after 8 s, not 45: the same path, sooner."""
    running = Server(tmp_path, "gevent", env=QUICK)
    yield running
    running.stop()


def _slot(page, token: str, item: int) -> dict | None:
    return page.evaluate(
        "([key, slot]) => (JSON.parse(localStorage.getItem(key) || '{}').slots || {})[slot]",
        [f"ceping.voter.{token}", f"{item}:0"],
    )


def _shows(page, item: int) -> None:
    page.wait_for_selector(f'button.option[data-item="{item}"]', timeout=WAIT)


def test_offline_and_frozen_phones_resume_by_themselves(browser, quick):
    server = quick
    made = new_meeting(server, cards=3, written=1)
    mid, first, second = made["meeting"]["id"], made["oral"], made["batch"][0]
    offline_card, frozen_card = made["cards"][0], made["cards"][1]
    contexts, pages = [], []
    for card in (offline_card, frozen_card):
        ctx = browser.new_context(**PHONE)
        page = ctx.new_page()
        page.goto(card["url"])
        page.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)
        contexts.append(ctx)
        pages.append(page)
    offline, frozen = pages
    server.api("POST", f"/meetings/{mid}/open", {"items": [first]})
    for page in pages:
        _shows(page, first)

    # The frozen phone votes first, then goes to the background and is frozen.
    frozen.click(f'button.option[data-item="{first}"][data-choice="satisfied"]')
    frozen.click("#submit")
    frozen.click("#confirm-yes")
    frozen.wait_for_function("document.body?.dataset.screen === 'done'", timeout=WAIT)
    cdp = contexts[1].new_cdp_session(frozen)
    cdp.send("Page.setWebLifecycleState", {"state": "frozen"})

    # The other phone loses the network, then its voter chooses and confirms.
    contexts[0].set_offline(True)
    away = time.monotonic()
    offline.click(f'button.option[data-item="{first}"][data-choice="basic"]')
    offline.click("#submit")
    offline.click("#confirm-yes")
    assert _slot(offline, offline_card["token"], first)["sent"] == "basic"

    # Meanwhile the secretary opens the next item.
    server.api("POST", f"/meetings/{mid}/open", {"items": [second]})
    offline.wait_for_selector("#net:not([hidden])", timeout=AWAY * 1000)  # it noticed
    time.sleep(max(0.0, AWAY - (time.monotonic() - away)))
    # Still away: the vote waits on the phone (已投 has the frozen phone's vote alone).
    assert server.api("GET", f"/meetings/{mid}/turnout")["voted"][str(first)] == 1
    assert _slot(offline, offline_card["token"], first)["ok"] is None

    contexts[0].set_offline(False)
    cdp.send("Page.setWebLifecycleState", {"state": "active"})
    back = time.monotonic()
    for page in pages:  # nobody touches them: the new item shows up by itself
        _shows(page, second)
        page.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    offline.wait_for_selector("#net", state="hidden", timeout=WAIT)
    offline.wait_for_function(
        "([key, slot]) => JSON.parse(localStorage.getItem(key)).slots[slot].ok === 'basic'",
        arg=[f"ceping.voter.{offline_card['token']}", f"{first}:0"], timeout=WAIT,
    )  # fmt: skip
    resumed = time.monotonic() - back
    assert offline.locator(f'button.option[data-item="{first}"]').count() == 0  # done with it

    # The offline vote was sent and counted once, beside the frozen phone's.
    assert server.api("GET", f"/meetings/{mid}/turnout")["voted"][str(first)] == 2
    server.api("POST", f"/meetings/{mid}/close", {"items": [first]})
    results = server.api("GET", f"/meetings/{mid}/results")
    (counted,) = [i for i in results["items"] if i["id"] == first]
    assert counted["aspects"][0]["result"]["counts"] == {
        "satisfied": 1, "basic": 1, "unsatisfied": 0,
    }  # fmt: skip
    assert server.api("GET", "/verify")["ok"] is True
    print(f"both phones showed the new item {resumed:.1f} s after coming back")
    for ctx in contexts:
        ctx.close()


class Blackhole:
    """Stands between the page and the server on every WebSocket; `cut()` silently drops what
    the sockets open so far carry, both ways, without closing them: Wi-Fi that changed under
    the phone. Sockets opened afterwards carry on as normal."""

    def __init__(self) -> None:
        self.sockets: list[dict] = []

    def __call__(self, ws) -> None:
        entry = {"dead": False}
        server = ws.connect_to_server()
        ws.on_message(lambda m: None if entry["dead"] else server.send(m))
        server.on_message(lambda m: None if entry["dead"] else ws.send(m))
        self.sockets.append(entry)

    def cut(self) -> None:
        for entry in self.sockets:
            entry["dead"] = True


def test_a_phone_whose_socket_died_silently_catches_up_when_shown_again(browser, server):
    """Engine.IO would notice the dead socket only after its ping timeout (up to 45 s); the
    page checks its socket as soon as it is visible again, and reconnects."""
    made = new_meeting(server, cards=1, written=0)
    mid, item, card = made["meeting"]["id"], made["oral"], made["cards"][0]
    ctx = browser.new_context(**PHONE)
    page = ctx.new_page()
    hole = Blackhole()
    page.route_web_socket(lambda url: "/socket.io/" in url, hole)
    page.goto(card["url"])
    page.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)
    page.wait_for_timeout(1000)  # the polling transport has been upgraded to the WebSocket
    assert len(hole.sockets) == 1
    hole.cut()
    server.api("POST", f"/meetings/{mid}/open", {"items": [item]})
    page.wait_for_timeout(1500)
    assert page.evaluate("document.body?.dataset.screen") == "waiting"  # it heard nothing
    back = time.monotonic()
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")  # shown again
    _shows(page, item)
    assert time.monotonic() - back < PING_SILENCE / 2  # it did not wait for the ping timeout
    assert len(hole.sockets) == 2  # a new socket replaced the dead one
    page.click(f'button.option[data-item="{item}"][data-choice="satisfied"]')
    page.click("#submit")
    page.click("#confirm-yes")
    page.wait_for_function("document.body?.dataset.screen === 'done'", timeout=WAIT)
    assert server.api("GET", f"/meetings/{mid}/turnout")["voted"][str(item)] == 1
    ctx.close()
