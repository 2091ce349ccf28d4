"""Comments on a 360 px phone, and the console's paper ballots, comments, follow-up and exports,
in a real browser (Playwright and Chromium, as tests/test_browser.py)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from browsing import LAPTOP, PHONE, WAIT, Guard, login, new_meeting, shot

pytestmark = [pytest.mark.server, pytest.mark.browser]

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}


def test_a_phone_adds_a_comment_that_survives_a_reload_and_reaches_the_console(
    browser,
    server,
):
    made = new_meeting(server, cards=2, written=2)
    mid, batch = made["meeting"]["id"], made["batch"]
    server.api("POST", f"/meetings/{mid}/open", {"items": batch, "override_quorum": True})

    ctx = browser.new_context(**SMALL_PHONE)
    guard = Guard(ctx, server.url)
    page = guard.watch(ctx.new_page(), "phone")
    page.goto(made["cards"][0]["url"])
    page.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    toggles = page.locator("button.note-open")
    assert toggles.count() == 2  # one per item, closed at first
    assert page.locator("textarea").first.is_hidden()
    toggles.first.click()
    box = page.locator("textarea").first
    assert box.is_visible()
    box.fill("窗口服务=需改进")
    assert page.locator(".note-count").first.text_content().strip() == "8 / 500 字"
    assert box.get_attribute("maxlength") == "500"
    page.click(f'button.option[data-item="{batch[0]}"][data-choice="basic"]')
    shot(page, "20-phone-comment")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width  # nothing wider than the phone

    page.reload()  # the comment is kept with the unsent choice
    page.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    assert page.locator("textarea").first.input_value() == "窗口服务=需改进"
    assert page.locator("textarea").first.is_visible()
    page.click(f'button.option[data-item="{batch[1]}"][data-choice="unsatisfied"]')
    page.click("#submit")
    page.wait_for_function("document.body?.dataset.screen === 'confirm'", timeout=WAIT)
    assert "窗口服务=需改进" in page.text_content("#c-list")
    page.click("#confirm-yes")
    page.wait_for_function("document.body?.dataset.screen === 'done'", timeout=WAIT)
    assert server.api("GET", f"/meetings/{mid}/comments")["comments"][str(batch[0])] == []

    server.api("POST", f"/meetings/{mid}/close", {"items": batch})
    comments = server.api("GET", f"/meetings/{mid}/comments")["comments"]
    assert comments == {str(made["oral"]): [], str(batch[0]): ["窗口服务=需改进"],
                        str(batch[1]): []}  # fmt: skip

    # The console: the comment, paper ballots with a confirmation, follow-up, downloads.
    console_ctx = browser.new_context(**LAPTOP)
    console_guard = Guard(console_ctx, server.url)
    console = console_guard.watch(console_ctx.new_page(), "console")
    login(console, server)
    console.goto(f"{server.url}/console/meetings/{mid}#results")
    console.wait_for_selector(f'[data-comments="{batch[0]}"]', timeout=WAIT)
    assert "窗口服务=需改进" in console.text_content(f'[data-comments="{batch[0]}"]')

    dialogs = []
    console.on("dialog", lambda d: (dialogs.append(d.message), d.accept()))
    console.select_option("#paper-item", str(batch[1]))
    console.fill('.paper-n[data-choice="unsatisfied"]', "1")
    console.click("#paper-save")
    console.wait_for_selector(f'tr[data-result="{batch[1]}"] .paper-mark', timeout=WAIT)
    assert "补录纸质票" in dialogs[0] and "不满意 1" in dialogs[0]
    aspect = [i for i in server.api("GET", f"/meetings/{mid}/results")["items"]
              if i["id"] == batch[1]][0]["aspects"][0]  # fmt: skip
    assert aspect["paper"] == {"unsatisfied": 1}
    assert aspect["result"]["counts"]["unsatisfied"] == 2

    server.api("POST", f"/meetings/{mid}/reveal", {"items": batch})
    console.click("#refresh-results")
    row = f'tr[data-followup="{batch[1]}"]'
    console.wait_for_selector(row, timeout=WAIT)
    console.select_option(f"{row} select.fu-status", "in_progress")
    console.fill(f"{row} input.fu-notes", "已约谈")
    console.click(f"{row} button")
    console.wait_for_function(
        "document.querySelector('#toast').textContent.indexOf('已保存整改情况') >= 0", timeout=WAIT
    )
    saved = server.api("GET", f"/meetings/{mid}/followups/{batch[1]}")
    assert saved["status"] == "in_progress" and saved["notes"] == "已约谈"
    shot(console, "21-console-publish")

    link = console.locator('#exports a[href$="export.xlsx"]')
    assert link.get_attribute("download") is not None
    got = console.request.get(server.url + link.get_attribute("href"))  # the console's login
    assert got.ok
    book = load_workbook(io.BytesIO(got.body()))
    assert "意见建议" in book.sheetnames and "整改跟踪" in book.sheetnames
    guard.check()
    console_guard.check()
    ctx.close()
    console_ctx.close()


def test_the_pdfs_sit_at_the_top_of_results_and_say_when_they_are_being_made(browser, server):
    made = new_meeting(server, cards=3, written=3)
    mid, items = made["meeting"]["id"], [made["oral"], *made["batch"]]
    server.api("POST", f"/meetings/{mid}/open", {"items": items, "override_quorum": True})
    server.api("POST", f"/meetings/{mid}/close", {"items": items})

    ctx = browser.new_context(**LAPTOP, accept_downloads=True)
    guard = Guard(ctx, server.url)
    console = guard.watch(ctx.new_page(), "console")
    login(console, server)
    console.goto(f"{server.url}/console/meetings/{mid}")
    console.click("#tab-results")
    panel = console.locator("#panel-results > section").first
    assert panel.get_attribute("class") == "panel exports-panel"  # the downloads come first
    console.wait_for_function(
        "document.getElementById('announce-text').textContent.includes('目前尚无已公布的测评结果')",
        timeout=WAIT,
    )
    server.api("POST", f"/meetings/{mid}/reveal", {"items": items})

    link = console.locator('#exports a[data-pdf][href$="report.pdf"]')
    label = link.text_content()
    with console.expect_download(timeout=WAIT) as download:
        link.click()
        busy = (link.text_content(), link.get_attribute("aria-busy"))  # the report is made now
    assert busy == ("生成中…", "true")
    saved = download.value
    assert saved.suggested_filename.endswith("测评结果分析报告.pdf")
    with open(saved.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    console.wait_for_function(
        f"document.querySelector('#exports a[data-pdf]').textContent === {label!r}", timeout=WAIT
    )
    shot(console, "22-console-downloads")

    # the 宣读稿 panel follows the reveal, and gives the same text as a Word file
    console.wait_for_function(
        "document.getElementById('announce-state').textContent === '全部 4 项已公布'", timeout=WAIT
    )
    said = console.locator("#announce-text p").all_text_contents()
    assert said[2:4] == ["一、现场述法（1 项）", "1. 市水利局：未收到有效票，不评定等次。"]
    assert said[4] == "二、书面述法（3 项）" and said[-1] == "测评结果宣布完毕。"
    with console.expect_download(timeout=WAIT) as download:
        console.click("#announce-docx")
    saved = download.value
    assert saved.suggested_filename.endswith("宣读稿.docx")
    with open(saved.path(), "rb") as paper:
        assert paper.read(4) == b"PK\x03\x04"
    shot(console, "23-console-announcement")
    guard.check()
    ctx.close()
