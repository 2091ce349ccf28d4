"""The whole product in a real browser: Playwright driving Debian's Chromium against the real
server, as the secretary, three phones and the projector use it on the day.

Screenshots of every screen at every step go to build/screenshots/ (see the README). Without
Chromium these tests skip on a laptop; in CI (CI=true) a missing browser fails them.
"""

from __future__ import annotations

import re
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
    page.wait_for_function("document.body?.dataset.screen === 'confirm'", timeout=WAIT)
    page.click("#confirm-yes")
    page.wait_for_function("document.body?.dataset.screen === 'done'", timeout=WAIT)


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
        page.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)
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
        page.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
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
    phones[2].wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
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
    phones[1].wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    _vote_all(phones[1], {batch[0]: "basic"})
    shot(projector, "08-projector-turnout")

    # the done screen survives a reload
    phones[0].reload()
    phones[0].wait_for_function("document.body?.dataset.screen === 'done'", timeout=WAIT)

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
        page.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)
    guard.check()
    projector_guard.check()
    assert server.api("GET", "/verify")["ok"] is True
    for ctx in [console_ctx, projector_ctx, *phone_ctxs]:
        ctx.close()


CONSOLE_SMALL = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}


def _toast(page, text: str) -> None:
    """Wait until the page's toast says `text`."""
    page.wait_for_function(
        "t => document.querySelector('#toast').textContent.indexOf(t) >= 0", arg=text, timeout=WAIT
    )


def _state(page, item: int, state: str) -> None:
    page.wait_for_selector(f'tr[data-item="{item}"][data-state="{state}"]', timeout=WAIT)


def _meetings_page(page) -> int:
    """The list: the copy dialog opens and cancels; 新建测评 creates a meeting and enters it."""
    page.click("button.copy")
    page.wait_for_selector("#copy-dialog[open]", timeout=WAIT)
    assert page.input_value("#copy-title").endswith("（副本）")
    page.click("#copy-cancel")
    page.wait_for_selector("#copy-dialog", state="hidden", timeout=WAIT)
    page.fill('#create-form input[name="title"]', "新建的测评")
    page.fill('#create-form input[name="expected"]', "5")
    page.click("#create")
    page.wait_for_url(re.compile(r"/console/meetings/\d+#prepare$"), timeout=WAIT)
    page.wait_for_selector("#panel-prepare:not([hidden])", timeout=WAIT)
    assert page.text_content("#meeting-title").strip() == "新建的测评"
    return int(re.search(r"/meetings/(\d+)", page.url).group(1))


def _idle(page) -> None:
    """Wait until the last action is over (while one runs, every row's action button is off)."""
    page.wait_for_function("!document.querySelector('.row-action[disabled]')", timeout=WAIT)


def _prepare_tab(page) -> None:
    """准备: items from pasted lines, renamed, moved, deleted; the title saved; cards issued and
    one withdrawn."""
    page.fill("#paste", "市发改委 张三 主任\n市水利局 李四 局长\n市审计局 王五 局长")
    page.click("#parse")
    page.wait_for_selector("#preview:not([hidden])", timeout=WAIT)
    assert page.locator("#preview-body tr").count() == 3
    page.click("#add-parsed")
    _toast(page, "已添加 3 项")
    page.wait_for_selector("#editor-body tr[data-edit-item] >> nth=2", timeout=WAIT)
    first = page.get_attribute("#editor-body tr[data-edit-item] >> nth=0", "data-edit-item")
    page.fill(f'tr[data-edit-item="{first}"] input.subject', "市发展改革委")
    page.press(f'tr[data-edit-item="{first}"] input.subject', "Enter")
    _toast(page, "已保存：市发展改革委")
    page.click(f'tr[data-edit-item="{first}"] button.down')
    _toast(page, "顺序已保存")
    page.wait_for_selector(f'#editor-body tr[data-edit-item="{first}"]:nth-child(2)', timeout=WAIT)
    _idle(page)
    page.click("#editor-body tr[data-edit-item] >> nth=2 >> button.delete")
    _toast(page, "已删除：市审计局")
    page.wait_for_function(
        "document.querySelectorAll('#editor-body tr[data-edit-item]').length === 2", timeout=WAIT
    )
    page.fill('#settings-form input[name="title"]', "新建的测评（改）")
    _idle(page)
    page.click("#save-settings")
    _toast(page, "设置已保存")
    page.wait_for_selector("#meeting-title:text-is('新建的测评（改）')", timeout=WAIT)
    page.fill("#issue-count", "3")
    _idle(page)
    page.click("#issue")
    _toast(page, "已发放 3 张测评卡")
    _idle(page)
    page.fill("#issue-count", "2")
    page.click("#issue")  # asked first (the dialog is accepted): the meeting has cards
    _toast(page, "已发放 2 张测评卡（No. 4–5）")
    _idle(page)
    page.click('tr[data-card="2"] button.revoke')
    page.wait_for_selector('tr[data-card="2"].revoked', timeout=WAIT)


def test_the_import_preview_flags_its_guesses_and_each_reading_has_its_own_toast(browser, server):
    """The trial's inputs: serial numbers dropped, a Word row split at its tabs, a row with too
    many words flagged in the preview; then a GBK CSV headed 名称,负责人 whose toast is its own
    (not the 已添加 of the step before). Screenshots: zh-CN and English."""
    made = new_meeting(server, cards=1, written=0)
    mid = made["meeting"]["id"]
    pasted = "1、市民政局 钱七 局长\n2\t市财政局\t孙八\t局长\n市 审计局 周八 局长"
    for language, shot_name in (
        ("en", "37-console-import-en"),  # first: nothing is added in English
        ("zh_CN", "36-console-import-1366"),
    ):
        context = browser.new_context(**CONSOLE_SMALL)
        context.add_cookies([{"name": "ceping_lang", "value": language, "url": server.url}])
        guard = Guard(context, server.url)
        page = guard.watch(context.new_page(), "import " + language)
        login(page, server)
        page.goto(f"{server.url}/console/meetings/{mid}#prepare", wait_until="networkidle")
        page.fill("#paste", pasted)
        page.click("#parse")
        page.wait_for_selector("#preview:not([hidden])", timeout=WAIT)
        cells = page.locator("#preview-body tr td:nth-child(2)").all_text_contents()
        assert cells == ["市民政局", "市财政局", "市"]
        assert page.locator("#preview-body tr.guessed").count() == 1
        assert "⚠" in page.text_content("#preview-body tr.guessed td.warnings")
        page.locator("#paste").scroll_into_view_if_needed()
        shot(page, shot_name)
        if language == "zh_CN":
            _toast(page, "已读到 3 项，其中 1 项需核对")
            page.click("#add-parsed")
            _toast(page, "已添加 3 项")
            csv = "名称,负责人\r\n市林业局,孙九\r\n".encode("gbk")
            page.set_input_files("#upload", files=[{"name": "名单.csv", "mimeType": "text/csv",
                                                    "buffer": csv}])  # fmt: skip
            _toast(page, "已从“名单.csv”读到 1 项")
            notes = page.text_content("#preview-notes")
            assert "名称 → 部门" in notes and "负责人 → 姓名" in notes
            assert page.locator("#preview-body tr").count() == 1
            page.fill("#paste", pasted)  # the list added before, again: every row is flagged
            page.click("#parse")
            _toast(page, "已读到 3 项，其中 3 项需核对")
            assert "本测评已有此项" in page.text_content(
                "#preview-body tr:nth-child(1) td.warnings"
            )
            page.locator("#preview").scroll_into_view_if_needed()
            shot(page, "38-console-import-again-1366")
        guard.check()
        context.close()


def _press(page, key: str, button: str) -> None:
    """Press `key` once the action's button is enabled (one action at a time: a key pressed
    while the last one is under way is refused with a toast)."""
    page.wait_for_selector(f"{button}:not([disabled])", timeout=WAIT)
    page.keyboard.press(key)


def _run_tab(page, ids: list[int]) -> None:
    """进行 on the keyboard: O opens the selected (after the quorum question), U undoes it (after
    its question), C closes, R reveals; keys typed into a field are the field's."""
    page.click("#tab-run")
    page.click(f'tr[data-item="{ids[0]}"] td.subject')
    _press(page, "o", "#open-selected")
    _state(page, ids[0], "open")
    _toast(page, "已开始")
    _press(page, "u", "#undo")
    _state(page, ids[0], "draft")
    _toast(page, "已撤销")
    page.wait_for_selector("#open-selected[disabled]", timeout=WAIT)  # nothing selected now
    page.click(f'tr[data-item="{ids[0]}"] td.subject')
    _press(page, "O", "#open-selected")
    _state(page, ids[0], "open")
    page.wait_for_selector("#close:not([disabled])", timeout=WAIT)
    page.focus("#countdown")
    page.keyboard.press("c")
    page.wait_for_timeout(300)
    assert page.get_attribute(f'tr[data-item="{ids[0]}"]', "data-state") == "open"
    page.click("#live-title")  # out of the field
    _press(page, "c", "#close")
    _state(page, ids[0], "closed")
    _toast(page, "已结束")
    _press(page, "r", "#reveal")
    _state(page, ids[0], "revealed")
    _toast(page, "已公布")


def test_the_console_works_tab_by_tab_without_a_script_error(browser, server):
    """The meetings list and the console, as the secretary clicks and types through them on a
    1366×768 laptop, with every confirmation accepted: no page error, no console error, nothing
    from outside the app. Screenshots of the three tabs go to build/screenshots/."""
    new_meeting(server, cards=1, written=0)  # one in the list to copy
    context = browser.new_context(**CONSOLE_SMALL)
    guard = Guard(context, server.url)
    page = guard.watch(context.new_page(), "console")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    login(page, server)
    mid = _meetings_page(page)
    _prepare_tab(page)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "30-console-prepare-1366")
    ids = [i["id"] for i in server.api("GET", f"/meetings/{mid}")["items"]]
    _run_tab(page, ids)
    shot(page, "31-console-run-1366")
    page.click("#tab-results")
    page.wait_for_selector(f'tr[data-result="{ids[0]}"]', timeout=WAIT)
    page.click("#sort-rank")
    page.wait_for_selector(f'tr[data-result="{ids[0]}"]', timeout=WAIT)
    shot(page, "32-console-results-1366")
    assert [d.split("“")[0] for d in dialogs if "删除" in d] == ["删除测评项"]
    assert sum("法定人数" in d for d in dialogs) == 2
    assert any(d.startswith("撤销“开始") for d in dialogs)
    assert any("作废测评卡 No. 2" in d for d in dialogs)
    assert any("已有 3 张测评卡" in d and "再发放 2 张后共 5 张" in d for d in dialogs)
    # the two refusals for want of a quorum, which asked the questions
    refused = f"console: 409 {server.url}/api/meetings/{mid}/open"
    assert guard.errors.count(refused) == 2
    # and the refusal to issue cards beside those the meeting has, which asked its question
    cards_exist = f"console: 409 {server.url}/api/meetings/{mid}/cards"
    assert guard.errors.count(cards_exist) == 1
    guard.errors = [e for e in guard.errors if e not in (refused, cards_exist)]
    guard.check()
    context.close()
