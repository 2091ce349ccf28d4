"""Hostile content: a meeting title, item subjects, persons, a batch label and an aspect name
that hold HTML, script, template syntax and spreadsheet formulas are shown as text on all three
screens, in Chromium against the real server: the text appears literally, no element is
injected and no injected script runs.
"""

from __future__ import annotations

import re

import pytest

from browsing import LAPTOP, PHONE, PROJECTOR, WAIT, Guard, login

pytestmark = [pytest.mark.server, pytest.mark.browser]

TITLE = '<img src=x onerror="window.pwned=1">会议 </title><script>window.pwned=11</script>'
SUBJECT = "<script>window.pwned=2</script>市公安局 {{7*7}} ${7*7}"
PERSON = '"><svg onload="window.pwned=3"> 张三 局长'
WRITTEN = [
    '<iframe src="javascript:window.pwned=4"></iframe>市第一局',
    '=HYPERLINK("http://x","y")局',
    "<a href=javascript:window.pwned=7>市第三局</a>",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0 &amp; &lt;b&gt;",
]  # five: the projector shows a batch's ranked table
BATCH = "<b onmouseover=window.pwned=5>书面</b>"
ASPECT = "<img src=y onerror=window.pwned=6>依法履职"
FORMULA = '=cmd|"/c calc"!A1'

INJECTED = """() => ({
  pwned: typeof window.pwned,
  handlers: document.querySelectorAll("[onerror],[onload],[onmouseover]").length,
  frames: document.querySelectorAll("iframe, a[href^='javascript']").length,
  bold: [...document.querySelectorAll("main b, body > b")]
          .filter(b => !b.closest(".qr-card-number")).length,  // a card's own number is bold
  badImages: [...document.images].filter(i => /^(x|y)$/.test(i.getAttribute("src"))).length,
  scripts: [...document.scripts].filter(s => /pwned/.test(s.textContent)
                                       && s.type !== "application/json").length,
})"""
CLEAN = {"pwned": "undefined", "handlers": 0, "frames": 0, "bold": 0, "badImages": 0, "scripts": 0}
SHOWN = """() => {
  const copy = document.body.cloneNode(true);
  copy.querySelectorAll("script, style, template").forEach(n => n.remove());
  return copy.textContent.replace(/\\s+/g, " ");
}"""


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def check(page, name: str, *texts: str) -> None:
    """No injected element or script on the page, and each text shown literally."""
    assert page.evaluate(INJECTED) == CLEAN, name
    shown = page.evaluate(SHOWN)
    for text in texts:
        assert squash(text) in shown, (name, text)


def test_hostile_names_are_shown_as_text_on_every_screen(browser, server):
    m = server.api(
        "POST", "/meetings",
        {"title": TITLE, "expected": 2, "aspects": [ASPECT], "allow_change": True}, 201,
    )  # fmt: skip
    mid = m["id"]
    items = [{"subject": SUBJECT, "person": PERSON, "kind": "oral"}] + [
        {"subject": s, "person": FORMULA, "kind": "written", "batch": BATCH} for s in WRITTEN
    ]
    oral, *batch = server.api("POST", f"/meetings/{mid}/items", {"items": items}, 201)["ids"]
    cards = server.api("POST", f"/meetings/{mid}/cards", {"count": 2}, 201)["cards"]

    laptop = browser.new_context(**LAPTOP)
    guard = Guard(laptop, server.url)
    console = guard.watch(laptop.new_page(), "console")
    login(console, server)
    check(console, "meetings", TITLE)
    console.goto(f"{server.url}/console/meetings/{mid}", wait_until="networkidle")
    check(console, "console", TITLE, SUBJECT, PERSON, *WRITTEN, BATCH)
    sheet = laptop.new_page()
    sheet.goto(f"{server.url}/console/meetings/{mid}/cards", wait_until="networkidle")
    check(sheet, "card sheet", TITLE)

    screen = browser.new_context(**PROJECTOR)
    Guard(screen, server.url)
    projector = guard.watch(screen.new_page(), "projector")
    projector.goto(f"{server.url}/screen/{mid}?key={m['screen_key']}")
    projector.wait_for_function("document.body.dataset.view === 'idle'", timeout=WAIT)
    check(projector, "projector idle", TITLE)

    mobile = browser.new_context(**PHONE)
    Guard(mobile, server.url)
    phone = guard.watch(mobile.new_page(), "phone")
    phone.goto(cards[0]["url"])
    phone.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)
    check(phone, "phone waiting", TITLE)

    # one oral report: the phone's ballot, the projector while voting and on reveal
    server.api("POST", f"/meetings/{mid}/open", {"items": [oral], "override_quorum": True})
    phone.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    check(phone, "phone ballot", SUBJECT, PERSON)
    projector.wait_for_function("document.body.dataset.view === 'voting'", timeout=WAIT)
    check(projector, "projector voting", SUBJECT)
    phone.click(f'button.option[data-item="{oral}"][data-choice="satisfied"]')
    phone.click("#submit")
    phone.click("#confirm-yes")
    phone.wait_for_function("document.body?.dataset.screen === 'done'", timeout=WAIT)
    check(phone, "phone done")
    server.api("POST", f"/meetings/{mid}/close", {"items": [oral]})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": [oral]})
    projector.wait_for_function("document.body.dataset.view === 'result'", timeout=WAIT)
    check(projector, "projector result", SUBJECT)

    # the batch of written reports: one page on the phone, a ranked table on the projector
    server.api("POST", f"/meetings/{mid}/open", {"items": batch, "override_quorum": True})
    phone.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    check(phone, "phone batch", *WRITTEN, BATCH, FORMULA)
    for item in batch:
        phone.click(f'button.option[data-item="{item}"][data-choice="basic"]')
    phone.click("#submit")
    phone.click("#confirm-yes")
    phone.wait_for_function("document.body?.dataset.screen === 'done'", timeout=WAIT)
    server.api("POST", f"/meetings/{mid}/close", {"items": batch})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": batch})
    projector.wait_for_function(
        "['batch-result', 'summary'].includes(document.body.dataset.view)", timeout=WAIT
    )
    check(projector, "projector batch", *WRITTEN)

    console.reload(wait_until="networkidle")
    console.click("#tab-results")
    console.wait_for_selector(f'tr[data-result="{oral}"]', timeout=WAIT)
    check(console, "console results", TITLE, SUBJECT, *WRITTEN)
    guard.check()
    for ctx in (laptop, screen, mobile):
        ctx.close()
