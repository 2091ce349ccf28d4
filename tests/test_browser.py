"""The whole product in a real browser: Playwright driving Debian's Chromium against the real
server, as the secretary, three phones and the projector use it on the day.

Screenshots of every screen at every step go to build/screenshots/ (see the README). Without
Chromium these tests skip on a laptop; in CI (CI=true) a missing browser fails them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
import requests

from browsing import LAPTOP, PHONE, PROJECTOR, WAIT, Guard, login, new_meeting, shot

pytestmark = [pytest.mark.server, pytest.mark.browser]


def test_every_page_loads_from_the_app_alone(browser, server):
    """No page asks for anything outside the app (no internet in the hall), and none logs an
    error: login, meetings, console, card sheet, projector, ballot, refusals, not found."""
    made = new_meeting(server, cards=3, written=2, join_mode="open")
    mid, key = made["meeting"]["id"], made["meeting"]["screen_key"]
    pages = {
        "login": "/console/",
        "meetings": "/console/",
        "console": f"/console/meetings/{mid}",
        "cards": f"/console/meetings/{mid}/cards",
        "projector": f"/screen/{mid}?key={key}",
        "ballot": urlsplit(made["cards"][0]["url"]).path,
        "join": f"/j/{made['meeting']['join_key']}",
        "unknown-card": "/v/not-a-card-token-000000",
        "not-found": "/screen/999999?key=x",
    }
    for language in ("zh_CN", "en"):
        context = browser.new_context(**LAPTOP)
        context.add_cookies([{"name": "ceping_lang", "value": language, "url": server.url}])
        guard = Guard(context, server.url)
        page = guard.watch(context.new_page(), language)
        for name, path in pages.items():
            if name == "meetings":
                login(page, server)
            page.goto(f"{server.url}{path}", wait_until="networkidle")
            expected_lang = "zh-CN" if language == "zh_CN" else "en"
            assert page.get_attribute("html", "lang") == expected_lang, name
        guard.check()
        context.close()
    assert requests.get(f"{server.url}/healthz", timeout=5).ok


def _vote_all(page, choices: dict[int, str]) -> None:
    """Tap one option per item, then submit and confirm; waits for the 已提交 screen."""
    for item, choice in choices.items():
        page.click(f'button.option[data-item="{item}"][data-aspect="0"][data-choice="{choice}"]')
    page.click("#submit")
    page.wait_for_function("document.body.dataset.screen === 'confirm'", timeout=WAIT)
    page.click("#confirm-yes")
    page.wait_for_function("document.body.dataset.screen === 'done'", timeout=WAIT)


def _turnout(projector) -> int:
    return int(projector.text_content("#turnout-voted").strip())


def _wait_turnout(projector, n: int) -> None:
    projector.wait_for_function(
        f"document.querySelector('#turnout-voted') &&"
        f" document.querySelector('#turnout-voted').textContent.trim() === '{n}'",
        timeout=WAIT,
    )


def test_a_whole_meeting_as_its_users_run_it(browser, server):
    """The secretary logs in and opens a batch; three phones vote on every item (one changes its
    mind, one reloads mid-vote); the projector shows the turnout rising and, on reveal, the right
    numbers; a second phone with a used card is refused."""
    made = new_meeting(server, cards=4, written=6, allow_change=True)
    mid, batch = made["meeting"]["id"], made["batch"]
    key = made["meeting"]["screen_key"]

    console_ctx = browser.new_context(**LAPTOP)
    guard = Guard(console_ctx, server.url)
    console = guard.watch(console_ctx.new_page(), "console")
    login(console, server)
    shot(console, "01-console-meetings")
    console.goto(f"{server.url}/console/meetings/{mid}")

    projector_ctx = browser.new_context(**PROJECTOR)
    projector_guard = Guard(projector_ctx, server.url)
    projector = projector_guard.watch(projector_ctx.new_page(), "projector")
    projector.goto(f"{server.url}/screen/{mid}?key={key}")
    projector.wait_for_function("document.body.dataset.view === 'idle'", timeout=WAIT)
    shot(projector, "02-projector-idle")

    phone_ctxs, phones = [], []
    for n, card in enumerate(made["cards"][:3]):
        ctx = browser.new_context(**PHONE)
        Guard(ctx, server.url)
        page = guard.watch(ctx.new_page(), f"phone{n + 1}")
        page.goto(card["url"])
        page.wait_for_function("document.body.dataset.screen === 'waiting'", timeout=WAIT)
        phone_ctxs.append(ctx)
        phones.append(page)
    shot(phones[0], "03-phone-waiting")
    console.wait_for_function(
        "document.querySelector('#present-count').textContent.trim() === '3'", timeout=WAIT
    )

    # the secretary opens the batch of written reports
    console.click("#tab-run")
    console.click('button.open-batch[data-batch="书面述法"]')
    for item in batch:
        console.wait_for_selector(f'tr[data-item="{item}"][data-state="open"]', timeout=WAIT)
    shot(console, "04-console-batch-open")
    projector.wait_for_function("document.body.dataset.view === 'voting'", timeout=WAIT)
    assert _turnout(projector) == 0
    assert projector.text_content("#turnout-present").strip() == "3"
    assert projector.text_content("#turnout-expected").strip() == "4"
    shot(projector, "05-projector-voting")

    for page in phones:
        page.wait_for_function("document.body.dataset.screen === 'ballot'", timeout=WAIT)
    total = len(batch)
    assert phones[0].text_content("#progress").strip().endswith(f"0 / {total}")
    assert phones[0].is_disabled("#submit")
    shot(phones[0], "06-phone-ballot")

    # phone 1: all 满意
    _vote_all(phones[0], dict.fromkeys(batch, "satisfied"))
    shot(phones[0], "07-phone-done")
    _wait_turnout(projector, 1)

    # phone 3 chooses half, reloads (its choices stay), then finishes
    half = batch[: total // 2]
    for item in half:
        phones[2].click(f'button.option[data-item="{item}"][data-choice="basic"]')
    assert phones[2].text_content("#progress").strip().endswith(f"{len(half)} / {total}")
    phones[2].reload()
    phones[2].wait_for_function("document.body.dataset.screen === 'ballot'", timeout=WAIT)
    assert phones[2].text_content("#progress").strip().endswith(f"{len(half)} / {total}")
    for item in half:
        chosen = f'button.option[data-item="{item}"][data-choice="basic"]'
        assert phones[2].get_attribute(chosen, "aria-pressed") == "true"
    rest = {item: "basic" for item in half} | {item: "unsatisfied" for item in batch[len(half) :]}
    for item in half:  # already chosen before the reload: tapping again must keep the choice
        rest.pop(item)
    _vote_all(phones[2], rest)
    _wait_turnout(projector, 2)

    # phone 2 votes 不满意 everywhere, then changes its mind to 基本满意 on the first item
    _vote_all(phones[1], dict.fromkeys(batch, "unsatisfied"))
    _wait_turnout(projector, 3)
    phones[1].click("#change")
    phones[1].wait_for_function("document.body.dataset.screen === 'ballot'", timeout=WAIT)
    _vote_all(phones[1], {batch[0]: "basic"})
    shot(projector, "08-projector-turnout")

    # the done screen survives a reload
    phones[0].reload()
    phones[0].wait_for_function("document.body.dataset.screen === 'done'", timeout=WAIT)

    # a used card on another phone is refused
    thief_ctx = browser.new_context(**PHONE)
    thief = thief_ctx.new_page()
    thief.goto(made["cards"][0]["url"])
    assert thief.locator("#refused-reason").get_attribute("data-error") == "card_in_use"
    shot(thief, "09-phone-refused")
    thief_ctx.close()

    # close and reveal from the console with the keyboard shortcuts' buttons
    console.click("#close")
    for item in batch:
        console.wait_for_selector(f'tr[data-item="{item}"][data-state="closed"]', timeout=WAIT)
    console.click("#reveal")
    for item in batch:
        console.wait_for_selector(f'tr[data-item="{item}"][data-state="revealed"]', timeout=WAIT)
    projector.wait_for_function("document.body.dataset.view === 'batch-result'", timeout=WAIT)
    shot(projector, "10-projector-results")

    results = server.api("GET", f"/meetings/{mid}/results")
    by_id = {i["id"]: i["aspects"][0]["result"] for i in results["items"]}
    assert by_id[batch[0]]["counts"] == {"satisfied": 1, "basic": 2, "unsatisfied": 0}
    assert by_id[batch[-1]]["counts"] == {"satisfied": 1, "basic": 0, "unsatisfied": 2}
    for item in batch:
        row = projector.locator(f'[data-item="{item}"]')
        expected = by_id[item]
        assert row.locator(".rate").text_content().strip() == f"{expected['rate']:.2f}%"
        assert row.locator(".verdict").text_content().strip() == expected["verdict_label"]
        for option in expected["options"]:
            count = row.locator(f'[data-option="{option["key"]}"]').text_content()
            assert str(option["count"]) in count
    console.click("#tab-results")
    console.wait_for_selector(f'tr[data-result="{batch[0]}"]', timeout=WAIT)
    assert console.locator(f'tr[data-result="{batch[0]}"] .rate').text_content().strip() == (
        f"{by_id[batch[0]]['rate']:.2f}%"
    )
    shot(console, "11-console-results")

    for page in phones:
        page.wait_for_function("document.body.dataset.screen === 'waiting'", timeout=WAIT)
    guard.check()
    projector_guard.check()
    assert server.api("GET", "/verify")["ok"] is True
    for ctx in [console_ctx, projector_ctx, *phone_ctxs]:
        ctx.close()
