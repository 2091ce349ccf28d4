"""In Chromium against the real server, in English (the language cookie): the projector and a
phone show the scale's labels, the verdict and the rule line in English, and no Chinese but the
meeting's own title, items and names.

Screenshots go to build/screenshots/ (labels-*.png).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from browsing import PHONE, PROJECTOR, WAIT, Guard, login, new_meeting, shot

pytestmark = [pytest.mark.server, pytest.mark.browser]

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]+")
CONSOLE = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}
SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}, "locale": "en-US"}


def _english(ctx: Any, url: str) -> None:
    ctx.add_cookies([{"name": "ceping_lang", "value": "en", "url": url}])


def _chinese_left(page: Any, own: list[str]) -> list[str]:
    """The Chinese on the page once the meeting's own texts are taken out."""
    text = page.evaluate("document.body.innerText")
    for typed in sorted(own, key=len, reverse=True):
        text = text.replace(typed, "")
    return CJK.findall(text)


def test_the_projector_and_a_phone_in_english_after_a_reveal(browser, server):
    made = new_meeting(server, cards=4, written=6)
    mid, oral = made["meeting"]["id"], made["oral"]
    own = [made["meeting"]["title"], "市水利局", "张伟 局长", "局长", "书面述法",
           *[f"市第{n}局" for n in range(1, 7)],
           "中文"]  # fmt: skip  # the language switch names Chinese in Chinese
    screen_ctx = browser.new_context(**{**PROJECTOR, "locale": "en-US"})
    phone_ctx = browser.new_context(**SMALL_PHONE)
    for ctx in (screen_ctx, phone_ctx):
        _english(ctx, server.url)
    guard, phone_guard = Guard(screen_ctx, server.url), Guard(phone_ctx, server.url)
    projector = guard.watch(screen_ctx.new_page(), "projector")
    projector.goto(f"{server.url}/screen/{mid}?key={made['meeting']['screen_key']}")
    projector.wait_for_function("document.body.dataset.view === 'idle'", timeout=WAIT)
    phone = phone_guard.watch(phone_ctx.new_page(), "phone")
    phone.goto(made["cards"][0]["url"])
    phone.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)

    server.api("POST", f"/meetings/{mid}/open", {"items": [oral], "override_quorum": True})
    phone.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    options = phone.locator(f'button.option[data-item="{oral}"]').all_text_contents()
    assert [o.strip() for o in options] == ["Satisfied", "Basically satisfied", "Unsatisfied"]
    assert _chinese_left(phone, own) == []
    shot(phone, "labels-phone-ballot-en")
    phone.click(f'button.option[data-item="{oral}"][data-choice="satisfied"]')
    phone.click("#submit")
    phone.wait_for_function("document.body?.dataset.screen === 'confirm'", timeout=WAIT)
    assert _chinese_left(phone, own) == []  # the choice is named in English
    shot(phone, "labels-phone-confirm-en")
    phone.click("#confirm-yes")
    phone.wait_for_function("document.body?.dataset.screen === 'done'", timeout=WAIT)
    assert _chinese_left(phone, own) == []

    server.api("POST", f"/meetings/{mid}/close", {"items": [oral]})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": [oral]})
    projector.wait_for_function("document.body.dataset.view === 'result'", timeout=WAIT)
    line = projector.locator("#view-result .rule-line")
    line.wait_for(timeout=WAIT)
    assert "Counted against the 4 expected members: Satisfied with at least 2" in (
        line.text_content() or ""
    )
    verdict = projector.locator("#view-result .verdict-big").text_content() or ""
    assert verdict.strip() == "Unsatisfied"  # 1 满意 of 应到 4
    assert _chinese_left(projector, own) == []
    shot(projector, "labels-projector-result-en")
    phone.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)
    assert _chinese_left(phone, own) == []
    shot(phone, "labels-phone-after-reveal-en")

    batch = made["batch"]
    server.api("POST", f"/meetings/{mid}/open", {"items": batch, "override_quorum": True})
    for action in ("close", "reveal"):
        server.api("POST", f"/meetings/{mid}/{action}", {"items": batch})
    projector.wait_for_function("document.body.dataset.view === 'batch-result'", timeout=WAIT)
    projector.locator("#view-batch-result .rule-line").wait_for(timeout=WAIT)
    assert _chinese_left(projector, own) == []
    shot(projector, "labels-projector-ranking-en")
    guard.check()
    phone_guard.check()
    screen_ctx.close()
    phone_ctx.close()


def test_the_console_shows_the_results_in_english(browser, server):
    made = new_meeting(server, cards=4, written=2)
    mid, batch = made["meeting"]["id"], made["batch"]
    server.api("POST", f"/meetings/{mid}/open", {"items": batch, "override_quorum": True})
    server.api("POST", f"/meetings/{mid}/close", {"items": batch})
    server.api("POST", f"/meetings/{mid}/items/{batch[0]}/paper", {"counts": {"satisfied": 2}})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": batch})
    ctx = browser.new_context(**{**CONSOLE, "locale": "en-US"})
    _english(ctx, server.url)
    guard = Guard(ctx, server.url)
    console = guard.watch(ctx.new_page(), "console")
    login(console, server)
    console.goto(f"{server.url}/console/meetings/{mid}")
    console.click("#tab-results")
    line = console.locator("#results-rule")
    line.wait_for(state="visible", timeout=WAIT)
    assert "Counted against the 4 expected members: Satisfied with at least 2" in (
        line.text_content() or ""
    )
    table = console.locator("#results-table")
    text = table.inner_text()
    assert "Basically satisfied" in text and "Satisfied" in text
    for typed in [*[f"市第{n}局" for n in range(1, 3)], "局长"]:
        text = text.replace(typed, "")
    assert CJK.findall(text) == []
    shot(console, "labels-console-results-en")
    guard.check()
    ctx.close()
