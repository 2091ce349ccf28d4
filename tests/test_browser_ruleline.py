"""In Chromium against the real server: the projector says how each verdict was reached and how
many paper ballots it counts; a phone is told the truth when the secretary undoes an open.

Screenshots go to build/screenshots/ (rule-*.png).
"""

from __future__ import annotations

import pytest

from browsing import PHONE, PROJECTOR, WAIT, Guard, login, new_meeting, shot

pytestmark = [pytest.mark.server, pytest.mark.browser]

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
CONSOLE = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}


def test_the_projector_shows_the_rule_and_the_paper_ballots(browser, server):
    made = new_meeting(server, cards=60, written=5)
    mid, oral, batch = made["meeting"]["id"], made["oral"], made["batch"]
    ctx = browser.new_context(**PROJECTOR)
    guard = Guard(ctx, server.url)
    projector = guard.watch(ctx.new_page(), "projector")
    projector.goto(f"{server.url}/screen/{mid}?key={made['meeting']['screen_key']}")
    projector.wait_for_function("document.body.dataset.view === 'idle'", timeout=WAIT)

    # no phone in the hall: the secretary goes on without the quorum, the paper ballots count
    server.api("POST", f"/meetings/{mid}/open", {"items": [oral], "override_quorum": True})
    server.api("POST", f"/meetings/{mid}/close", {"items": [oral]})
    paper = {"counts": {"satisfied": 2, "basic": 1}}
    server.api("POST", f"/meetings/{mid}/items/{oral}/paper", paper)
    server.api("POST", f"/meetings/{mid}/reveal", {"items": [oral]})
    projector.wait_for_function("document.body.dataset.view === 'result'", timeout=WAIT)
    rule = server.api("GET", f"/meetings/{mid}/results")["rule_text"]
    assert rule.startswith("按应到 60 人计：满意票达 30 票为满意")
    line = projector.locator("#view-result .rule-line")
    line.wait_for(timeout=WAIT)
    assert rule in line.text_content()
    assert projector.locator("#view-result .meta-paper").text_content().strip() == "· 含纸质票 3 张"
    # 100.00% beside 不满意, and the line saying why
    assert projector.locator("#view-result .verdict-big").text_content().strip() == "不满意"
    assert line.is_visible()
    box = line.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 1080
    shot(projector, "rule-projector-result")

    server.api("POST", f"/meetings/{mid}/open", {"items": batch, "override_quorum": True})
    server.api("POST", f"/meetings/{mid}/close", {"items": batch})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": batch})
    projector.wait_for_function("document.body.dataset.view === 'batch-result'", timeout=WAIT)
    ranking = projector.locator("#view-batch-result .rule-line")
    ranking.wait_for(timeout=WAIT)
    assert rule in ranking.text_content()
    box = ranking.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 1080
    shot(projector, "rule-projector-ranking")
    guard.check()
    ctx.close()


def test_a_phone_is_told_an_undone_open_and_the_banner_goes_with_the_next(browser, server):
    made = new_meeting(server, cards=2, written=1)
    mid, oral, (written,) = made["meeting"]["id"], made["oral"], made["batch"]
    ctx = browser.new_context(**SMALL_PHONE)
    guard = Guard(ctx, server.url)
    page = guard.watch(ctx.new_page(), "phone")
    page.goto(made["cards"][0]["url"])
    page.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)

    server.api("POST", f"/meetings/{mid}/open", {"items": [oral], "override_quorum": True})
    page.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    page.click(f'button.option[data-item="{oral}"][data-choice="satisfied"]')
    server.api("POST", f"/meetings/{mid}/undo")
    page.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)
    msg = page.locator("#msg")
    msg.wait_for(state="visible", timeout=WAIT)
    text = page.text_content("#msg-text")
    assert "工作人员已撤销本项测评，请等待重新开始" in text and "市水利局" in text
    assert "已结束" not in text
    shot(page, "rule-phone-withdrawn")

    server.api("POST", f"/meetings/{mid}/open", {"items": [written], "override_quorum": True})
    page.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    msg.wait_for(state="hidden", timeout=WAIT)
    shot(page, "rule-phone-next-ballot")
    guard.check()
    ctx.close()


def test_the_console_warns_before_the_open_and_shows_the_rule(browser, server):
    made = new_meeting(server, cards=10, written=2)
    mid, batch = made["meeting"]["id"], made["batch"]
    ctx = browser.new_context(**CONSOLE)
    guard = Guard(ctx, server.url)
    console = guard.watch(ctx.new_page(), "console")
    login(console, server)
    console.goto(f"{server.url}/console/meetings/{mid}")
    warning = console.locator("#best-state")
    warning.wait_for(state="visible", timeout=WAIT)
    assert warning.text_content().strip() == "实到不足 5 人，无法评出最高等次"
    shot(console, "rule-console-warning")

    asked: list[str] = []

    def answer(dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    console.on("dialog", answer)
    console.click("#tab-run")
    console.click('button.open-batch[data-batch="书面述法"]')
    for item in batch:
        console.wait_for_selector(f'tr[data-item="{item}"][data-state="open"]', timeout=WAIT)
    assert len(asked) == 1 and "实到不足 5 人" in asked[0]  # one question says both
    entries = server.api("GET", f"/meetings/{mid}/audit")["entries"]
    assert entries[-2]["action"] == "override" and entries[-2]["detail"]["needed"] == 5

    server.api("POST", f"/meetings/{mid}/close", {"items": batch})
    server.api("POST", f"/meetings/{mid}/items/{batch[0]}/paper", {"counts": {"satisfied": 4}})
    console.click("#tab-results")
    line = console.locator("#results-rule")
    line.wait_for(state="visible", timeout=WAIT)
    assert line.text_content().strip() == (
        "计票规则：按应到 10 人计：满意票达 5 票为满意，满意与基本满意合计超过 5 票为基本满意"
    )
    shot(console, "rule-console-results")
    refused = f"console: 409 {server.url}/api/meetings/{mid}/open"  # the open refused, then asked
    assert guard.errors == [refused]
    guard.errors.clear()
    guard.check()
    ctx.close()
