"""A rehearsal turned into the real sitting, and the meetings list's 删除 and 归档, in a real
browser (Playwright and Chromium, as tests/test_browser.py)."""

from __future__ import annotations

import io

import pytest
import requests
from pypdf import PdfReader

from browsing import LAPTOP, PHONE, PROJECTOR, WAIT, Guard, login, new_meeting, shot
from realserver import TOKEN

pytestmark = [pytest.mark.server, pytest.mark.browser]

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
REHEARSAL_COMMENT = "彩排时写下的意见"


def phone_votes(page, item: int, choice: str, comment: str | None = None) -> None:
    """The phone shows the open item; the member chooses, submits and confirms."""
    page.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    if comment:
        page.locator("button.note-open").first.click()
        page.locator("textarea").first.fill(comment)
    page.click(f'button.option[data-item="{item}"][data-choice="{choice}"]')
    page.click("#submit")
    page.wait_for_function("document.body?.dataset.screen === 'confirm'", timeout=WAIT)
    page.click("#confirm-yes")
    page.wait_for_function("document.body?.dataset.screen === 'done'", timeout=WAIT)


def report_text(server, mid: int) -> str:
    r = requests.get(
        f"{server.url}/api/meetings/{mid}/report.pdf",
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=60,
        verify=server.verify,
    )
    assert r.ok, r.status_code
    return "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(r.content)).pages)


def test_a_rehearsal_turned_real_keeps_no_trace_of_its_votes(browser, server):
    made = new_meeting(server, cards=2, written=0, rehearsal=True)
    mid, item = made["meeting"]["id"], made["oral"]
    server.api("POST", f"/meetings/{mid}/open", {"items": [item], "override_quorum": True})

    ctx = browser.new_context(**SMALL_PHONE)
    guard = Guard(ctx, server.url)
    page = guard.watch(ctx.new_page(), "phone")
    page.goto(made["cards"][0]["url"])
    page.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    assert page.locator(".title .rehearsal").text_content() == "演练"
    shot(page, "60-phone-rehearsal")
    phone_votes(page, item, "unsatisfied", REHEARSAL_COMMENT)
    server.api("POST", f"/meetings/{mid}/close", {"items": [item]})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": [item]})
    assert "（演练）" in report_text(server, mid)

    screen_ctx = browser.new_context(**PROJECTOR)
    screen = screen_ctx.new_page()
    screen.goto(f"{server.url}/screen/{mid}?key={made['meeting']['screen_key']}")
    screen.wait_for_selector("#rehearsal-mark", state="visible", timeout=WAIT)
    shot(screen, "61-projector-rehearsal")

    console_ctx = browser.new_context(**LAPTOP)
    console_guard = Guard(console_ctx, server.url)
    console = console_guard.watch(console_ctx.new_page(), "console")
    login(console, server)
    console.goto(f"{server.url}/console/meetings/{mid}#results")
    assert console.locator("#rehearsal-badge").text_content() == "演练"
    console.click("#make-real")
    console.wait_for_selector("#make-real-dialog[open]", timeout=WAIT)
    told = console.text_content("#make-real-text")
    assert "1 张选票" in told and "1 条意见建议" in told
    shot(console, "62-console-make-real")
    console.click("#make-real-ok")
    console.wait_for_selector("#make-real", state="detached", timeout=WAIT)
    assert console.locator("#rehearsal-badge").count() == 0
    screen.wait_for_selector("#rehearsal-mark", state="hidden", timeout=WAIT)

    # the phone was let go; the same printed card, scanned again, votes in the real sitting
    page.wait_for_function("document.body?.dataset.screen === 'refused'", timeout=WAIT)
    page.click("#retry")
    page.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)
    assert page.locator(".title .rehearsal").count() == 0
    server.api("POST", f"/meetings/{mid}/open", {"items": [item], "override_quorum": True})
    phone_votes(page, item, "satisfied")
    server.api("POST", f"/meetings/{mid}/close", {"items": [item]})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": [item]})

    counts = server.api("GET", f"/meetings/{mid}/results")["items"][0]["aspects"][0]["result"]
    assert counts["counts"] == {"satisfied": 1, "basic": 0, "unsatisfied": 0}
    text = report_text(server, mid)
    assert "演练" not in text and REHEARSAL_COMMENT not in text
    assert server.api("GET", "/verify")["ok"]
    # the console's first make-real answers 409 with what would be discarded, on purpose
    expected = [e for e in console_guard.errors if "409" in e and "/make-real" in e]
    assert len(expected) == 1
    console_guard.errors.remove(expected[0])
    for g in (guard, console_guard):
        g.check()
    for c in (ctx, screen_ctx, console_ctx):
        c.close()


def test_the_meetings_list_deletes_a_rehearsal_and_archives_a_real_meeting(browser, server):
    trial = new_meeting(server, cards=2, written=0, rehearsal=True)["meeting"]
    real = new_meeting(server, cards=2, written=0)
    rid, item = real["meeting"]["id"], real["oral"]
    server.api("POST", f"/meetings/{rid}/open", {"items": [item], "override_quorum": True})
    server.api("POST", f"/meetings/{rid}/close", {"items": [item]})

    ctx = browser.new_context(**LAPTOP)
    guard = Guard(ctx, server.url)
    page = guard.watch(ctx.new_page(), "meetings")
    login(page, server)
    asked: list[str] = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    trial_row = f'tr[data-meeting="{trial["id"]}"]'
    real_row = f'tr[data-meeting="{rid}"]'
    assert page.locator(f"{trial_row} .badge.rehearsal").count() == 1
    assert page.locator(f"{real_row} button.delete").count() == 0  # it has results
    shot(page, "63-meetings-list")
    page.click(f"{trial_row} button.delete")
    page.wait_for_selector(trial_row, state="detached", timeout=WAIT)
    assert "删除" in asked[0]
    server.api("GET", f"/meetings/{trial['id']}", status=404)

    page.click(f"{real_row} button.archive")
    page.wait_for_selector(real_row, state="detached", timeout=WAIT)  # after the reload
    page.check("#show-archived")
    page.wait_for_selector(f"{real_row} .badge.archived", timeout=WAIT)
    assert page.locator(f"{real_row} button.unarchive").count() == 1
    assert server.api("GET", "/verify")["ok"]
    guard.check()
    ctx.close()


def revealed_on_paper(server, mid: int, item: int, counts: dict[str, int]) -> None:
    """Open, close, enter paper ballots and reveal one item (no phone needed)."""
    server.api("POST", f"/meetings/{mid}/open", {"items": [item], "override_quorum": True})
    server.api("POST", f"/meetings/{mid}/close", {"items": [item]})
    server.api("POST", f"/meetings/{mid}/items/{item}/paper", {"counts": counts})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": [item]})


def test_a_real_meetings_report_compares_only_with_real_meetings_named_by_title(server):
    first = new_meeting(server, cards=4, written=0, title="上一次正式测评")
    revealed_on_paper(server, first["meeting"]["id"], first["oral"], {"unsatisfied": 3})
    trial = new_meeting(server, cards=4, written=0, title="彩排会议", rehearsal=True)
    revealed_on_paper(server, trial["meeting"]["id"], trial["oral"], {"basic": 3})
    second = new_meeting(server, cards=4, written=0, title="本次正式测评")
    sid = second["meeting"]["id"]
    revealed_on_paper(server, sid, second["oral"], {"satisfied": 3})
    text = report_text(server, sid).replace("\n", "")  # lines wrap anywhere in Chinese
    assert "历次测评对比" in text and "《上一次正式测评》" in text, text
    assert "彩排会议" not in text
    followups = server.api("GET", f"/meetings/{sid}/followups")["followups"]
    assert followups[str(second["oral"])]["carried_from"] == first["oral"]
