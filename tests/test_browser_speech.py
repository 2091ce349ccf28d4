"""The 述法 speech timer in Chromium against the real server, whose clock the test moves
(CEPING_CLOCK_FILE): a timed oral report with a pause and a resume, its amber and red phases and
the overrun on the projector (1920×1080) and on a waiting phone (360×740); the server killed and
started again mid-speech, the projector showing the time as if it had never stopped (±1 s: the
speech went on in the hall); 结束述法 and then 开始测评 by key on the console."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from browsing import LAPTOP, PROJECTOR, WAIT, Guard, login, new_meeting, shot
from realserver import Server

pytestmark = [pytest.mark.browser, pytest.mark.server]

PHONE_360 = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 2,
             "is_mobile": True, "has_touch": True, "locale": "zh-CN"}  # fmt: skip


@pytest.fixture(scope="module")
def timed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real server whose clock the test moves (one per module)."""
    folder = tmp_path_factory.mktemp("speech")
    clock = folder / "clock"
    clock.write_text("0")
    running = Server(folder, "gevent", env={"CEPING_CLOCK_FILE": str(clock)})
    yield running
    running.stop()


def remaining_on(page) -> int:
    """The projector's countdown in seconds, negative over the time (超时 0:35 is -35)."""
    minutes, seconds = page.inner_text("#sp-digits").split(":")
    left = int(minutes) * 60 + int(seconds)
    return -left if page.inner_text("#sp-pre").strip() else left


def api_remaining(server: Server, meeting_id: int) -> int:
    return server.api("GET", f"/meetings/{meeting_id}")["speech"]["remaining"]


def settle(page, server: Server, meeting_id: int, status: str) -> int:
    """Wait until the projector shows a speech in `status` and the server's time (±1 s)."""
    page.wait_for_selector(f"#view-speech[data-status={status}]", timeout=WAIT)
    deadline = time.monotonic() + 10
    while True:
        expected, shown = api_remaining(server, meeting_id), remaining_on(page)
        if abs(shown - expected) <= 1 or time.monotonic() > deadline:
            assert abs(shown - expected) <= 1, (shown, expected)
            return shown
        time.sleep(0.1)


def press(console, key: str) -> None:
    """A key on the console once its last action is done (one action at a time)."""
    console.wait_for_selector("#speech-box:not([hidden]) button:visible:not([disabled])")
    console.keyboard.press(key)


def test_a_timed_oral_report_paused_restarted_and_voted_on(browser, timed):
    server = timed
    made = new_meeting(server, cards=2, written=1, quorum=0)
    m, item = made["meeting"], made["oral"]
    base = server.url
    contexts = {name: browser.new_context(**spec)
                for name, spec in (("screen", PROJECTOR), ("phone", PHONE_360),
                                   ("console", LAPTOP))}  # fmt: skip
    guards = {n: Guard(c, base) for n, c in contexts.items()}
    screen = guards["screen"].watch(contexts["screen"].new_page(), "screen")
    phone = guards["phone"].watch(contexts["phone"].new_page(), "phone")
    console = guards["console"].watch(contexts["console"].new_page(), "console")
    screen.goto(f"{base}/screen/{m['id']}?key={m['screen_key']}")
    phone.goto(made["cards"][0]["url"])
    phone.wait_for_selector("#s-waiting:not([hidden])", timeout=WAIT)
    login(console, server)
    console.goto(f"{base}/console/meetings/{m['id']}#run")
    console.wait_for_selector("#speech-start:not([hidden]):not([disabled])", timeout=WAIT)
    assert "市水利局" in console.inner_text("#speech-who")

    press(console, "s")  # 开始述法
    assert settle(screen, server, m["id"], "running") >= 475
    assert screen.inner_text("#sp-subject") == "市水利局"
    assert screen.inner_text("#sp-person") == "张伟 局长"
    assert screen.get_attribute("#view-speech", "data-phase") == "normal"
    phone.wait_for_selector("#speech:not([hidden])", timeout=WAIT)
    assert "正在述法：市水利局 张伟 局长" in phone.inner_text("#speech")
    shot(screen, "speech-normal")
    screen.click("#sp-sound")  # browsers play a sound only after a click on the page
    screen.wait_for_selector("#sp-sound[disabled]", timeout=WAIT)
    assert screen.inner_text("#sp-sound") == "提示音已开启"

    server.move_clock(60)
    press(console, "p")  # 暂停: a minute later
    left = settle(screen, server, m["id"], "paused")
    assert 415 <= left <= 420
    phone.wait_for_function("document.getElementById('sp-t').textContent.includes('已暂停')")
    server.move_clock(60 + 900)  # a quarter of an hour paused: it does not count
    press(console, "p")  # 继续
    assert abs(settle(screen, server, m["id"], "running") - left) <= 1

    server.move_clock(60 + 900 + left - 50)  # 50 s left: amber
    press(console, "p")
    assert 48 <= settle(screen, server, m["id"], "paused") <= 50
    assert screen.get_attribute("#view-speech", "data-phase") == "warning"
    shot(screen, "speech-amber-paused")
    press(console, "p")
    settle(screen, server, m["id"], "running")
    phone.wait_for_selector("#speech.warn", timeout=WAIT)
    assert "已暂停" not in phone.inner_text("#sp-t")

    server.move_clock(60 + 900 + left + 35)  # 35 s over: red, counting the overrun
    press(console, "p")
    over = settle(screen, server, m["id"], "paused")
    assert -37 <= over <= -34 and screen.get_attribute("#view-speech", "data-phase") == "over"
    assert screen.inner_text("#sp-pre") == "超时"
    press(console, "p")
    settle(screen, server, m["id"], "running")
    phone.wait_for_selector("#speech.over", timeout=WAIT)
    assert "超时 0:3" in phone.inner_text("#sp-t")
    shot(screen, "speech-over")
    shot(phone, "speech-phone")

    for guard in guards.values():  # what follows logs the lost connection, by design
        guard.check()

    # The server dies mid-speech and starts again: the speech went on in the hall.
    before, at = api_remaining(server, m["id"]), time.monotonic()
    server.kill()
    screen.wait_for_selector("#conn[data-state=lost]", timeout=WAIT)
    time.sleep(1)
    again = Server(server.instance, "gevent", port=server.port,
                   env={"CEPING_CLOCK_FILE": str(server.clock_file)})  # fmt: skip
    try:
        screen.wait_for_selector("#conn[data-state=ok]", timeout=WAIT)
        expected = before - round(time.monotonic() - at)
        assert abs(remaining_on(screen) - expected) <= 1, (remaining_on(screen), expected)
        assert abs(settle(screen, again, m["id"], "running") - expected) <= 1

        console.wait_for_selector("#speech-end:not([hidden]):not([disabled])", timeout=WAIT)
        press(console, "e")  # 结束述法
        console.wait_for_selector("#speech-open:not([hidden]):not([disabled])", timeout=WAIT)
        screen.wait_for_function("document.body.dataset.view !== 'speech'", timeout=WAIT)
        shot(console, "speech-console-ended")
        press(console, "Enter")  # 开始测评 with one key
        phone.wait_for_selector("#s-ballot:not([hidden])", timeout=WAIT)
        screen.wait_for_selector("body[data-view=voting]", timeout=WAIT)
        items = again.api("GET", f"/meetings/{m['id']}")["items"]
        assert {i["id"]: i["state"] for i in items}[item] == "open"
        log = [e["action"] for e in again.api("GET", f"/meetings/{m['id']}/audit")["entries"]]
        assert [log.count(f"speech_{step}") for step in ("start", "pause", "resume", "end")] == [
            1, 3, 3, 1]  # fmt: skip
        for guard in guards.values():
            assert guard.outside == []
    finally:
        for context in contexts.values():
            context.close()
        again.stop()
