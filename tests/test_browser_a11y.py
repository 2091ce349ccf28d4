"""Accessibility in a real browser: axe-core (shipped by axe-playwright-python, injected by the
test into the page, never served by the app) over every page the hall sees, in each phase of
one meeting, and the phone's 大字 (large text) switch at 360 px.

A violation of impact serious or critical fails; the others are printed for information. One
server, one browser and one page per screen for the whole walk, moved on by the API.
"""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from browsing import LAPTOP, PHONE, PROJECTOR, WAIT, Guard, login, new_meeting, shot

pytestmark = [pytest.mark.server, pytest.mark.browser]

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
CONSOLE = {**LAPTOP, "viewport": {"width": 1366, "height": 768}}
FAILING = ("serious", "critical")
TONES = ("satisfied", "basic", "unsatisfied")


class Audit:
    """axe on a page as it stands: serious and critical violations kept by page, others told."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.failing: dict[str, list[str]] = {}

    def __call__(self, page: Any, name: str) -> None:
        for v in self.axe.run(page).response["violations"]:
            where = [" ".join(map(str, n["target"])) for n in v["nodes"]][:5]
            line = f"{v['id']} ({v['impact']}, {len(v['nodes'])}×): {where}"
            if v["impact"] in FAILING:
                self.failing.setdefault(name, []).append(line)
            else:
                print(f"axe, {name}: {line}")


def _screen(page: Any, name: str) -> None:
    page.wait_for_function(f"document.body?.dataset.screen === '{name}'", timeout=WAIT)


def _view(page: Any, name: str) -> None:
    page.wait_for_function(f"document.body.dataset.view === '{name}'", timeout=WAIT)


def _vote(page: Any, choices: dict[int, str]) -> None:
    for item, choice in choices.items():
        page.click(f'button.option[data-item="{item}"][data-choice="{choice}"]')
    page.click("#submit")
    _screen(page, "confirm")


def _console_tab(console: Any, audit: Audit, tab: str, ready: str, phase: str) -> None:
    """Switch to a tab, wait for `ready` (what the tab loads), audit it."""
    console.click(f"#tab-{tab}")
    console.wait_for_selector(f"#panel-{tab}:not([hidden]) {ready}", timeout=WAIT)
    audit(console, f"console {phase}, {tab}")


class Hall:
    """The screens of one meeting, each one page for the whole walk, and what axe found."""

    def __init__(self, browser: Any, server: Any) -> None:
        self.server = server
        self.made = new_meeting(server, cards=3, written=24)
        self.mid = self.made["meeting"]["id"]
        self.audit = Audit()
        self.guards: list[Guard] = []
        self.console = self.page(browser, CONSOLE, "console")
        self.projector = self.page(browser, PROJECTOR, "projector")
        self.projector.clock.install()  # time runs on, and the summary's wait can be skipped
        self.phone = self.page(browser, SMALL_PHONE, "phone")
        self.large = self.page(browser, SMALL_PHONE, "phone 大字")

    def page(self, browser: Any, settings: dict[str, Any], name: str) -> Any:
        context = browser.new_context(**settings)
        guard = Guard(context, self.server.url)
        self.guards.append(guard)
        return guard.watch(context.new_page(), name)

    def move(self, action: str, items: list[int]) -> None:
        self.server.api("POST", f"/meetings/{self.mid}/{action}", {"items": items})


def _before_the_vote(hall: Hall) -> None:
    console, audit, url = hall.console, hall.audit, hall.server.url
    console.goto(f"{url}/console/")
    audit(console, "login")
    login(console, hall.server)
    audit(console, "meetings list")
    console.goto(f"{url}/console/meetings/{hall.mid}")
    _console_tab(console, audit, "prepare", "#cards-body tr", "draft")
    _console_tab(console, audit, "results", "#results-empty:not([hidden])", "draft")
    _console_tab(console, audit, "run", "#run-body tr", "draft")
    hall.projector.goto(f"{url}/screen/{hall.mid}?key={hall.made['meeting']['screen_key']}")
    _view(hall.projector, "idle")
    audit(hall.projector, "projector idle")
    hall.phone.goto(hall.made["cards"][0]["url"])
    hall.large.goto(hall.made["cards"][1]["url"])
    for page in (hall.phone, hall.large):
        _screen(page, "waiting")
    hall.large.keyboard.press("Tab")  # the switch is the page's first stop, and a button
    assert hall.large.evaluate("document.activeElement.id") == "large-text"
    hall.large.keyboard.press("Enter")
    hall.large.wait_for_selector("#large-text[aria-pressed=true]")
    audit(hall.phone, "phone waiting")
    audit(hall.large, "phone 大字 waiting")


def _one_item(hall: Hall) -> None:
    """The oral report alone: the 大字 phone votes, the other writes a comment."""
    oral, audit, large = hall.made["oral"], hall.audit, hall.large
    hall.move("open", [oral])
    for page in (hall.phone, large):
        _screen(page, "ballot")
    hall.phone.click(".note-open")
    audit(hall.phone, "phone one item")
    audit(large, "phone 大字 one item")
    _vote(large, {oral: "satisfied"})
    audit(large, "phone 大字 confirming")
    large.click("#confirm-yes")
    _screen(large, "done")
    audit(large, "phone 大字 voted")
    hall.projector.wait_for_function(
        "document.querySelector('#turnout-voted').textContent.trim() === '1'", timeout=WAIT
    )
    audit(hall.projector, "projector open with turnout")
    hall.console.wait_for_selector(f'tr[data-item="{oral}"][data-state="open"]', timeout=WAIT)
    audit(hall.console, "console running")
    hall.move("close", [oral])
    hall.move("reveal", [oral])
    _view(hall.projector, "result")
    audit(hall.projector, "projector result")
    for page, name in ((hall.phone, "phone"), (large, "phone 大字")):
        _screen(page, "waiting")
        audit(page, f"{name} after the reveal")


def _the_batch(hall: Hall) -> None:
    """The 24 written reports: the normal phone votes every tone (the chips' colours)."""
    batch, audit, phone = hall.made["batch"], hall.audit, hall.phone
    hall.move("open", batch)
    for page in (phone, hall.large):
        _screen(page, "ballot")
    audit(phone, "phone batch")
    audit(hall.large, "phone 大字 batch")
    _vote(phone, {item: TONES[n % 3] for n, item in enumerate(batch)})
    audit(phone, "phone confirming the batch")
    phone.click("#confirm-yes")
    _screen(phone, "done")
    phone.click("#s-done summary")
    audit(phone, "phone batch voted")
    hall.move("close", batch)
    hall.move("reveal", batch)
    _view(hall.projector, "batch-result")
    audit(hall.projector, "projector batch ranked")
    hall.projector.clock.fast_forward(20_000)  # the last result has had its time on screen
    _view(hall.projector, "summary")
    audit(hall.projector, "projector summary")
    hall.console.wait_for_selector(
        f'tr[data-item="{batch[0]}"][data-state="revealed"]', timeout=WAIT
    )
    _console_tab(hall.console, audit, "results", "#followups-body tr", "revealed")


def test_every_page_in_every_phase_passes_axe(browser, server):
    """Login, meetings list, console (each tab before the vote, running, the results with the
    follow-ups), projector (idle, turnout, result, ranked batch, summary) and phones at 360 px
    (normal and 大字: waiting, one item, the batch of 24 written reports, confirming, voted,
    after the reveal): no serious or critical violation."""
    hall = Hall(browser, server)
    _before_the_vote(hall)
    _one_item(hall)
    _the_batch(hall)
    for guard in hall.guards:
        guard.check()
    failing = hall.audit.failing
    report = "\n".join(f"{page}: {line}" for page, lines in failing.items() for line in lines)
    assert failing == {}, f"axe found serious or critical violations:\n{report}"


def test_large_text_fits_the_batch_at_360_px_and_is_remembered(browser, server):
    """大字 on the batch of 24 written reports: no horizontal scroll at 360 px, every text
    larger, and the phone remembers the choice after a reload (before the first paint)."""
    made = new_meeting(server, cards=2, written=24)
    mid = made["meeting"]["id"]
    server.api("POST", f"/meetings/{mid}/open", {"items": made["batch"],
                                                 "override_quorum": True})  # fmt: skip
    context = browser.new_context(**SMALL_PHONE)
    guard = Guard(context, server.url)
    page = guard.watch(context.new_page(), "phone")
    page.goto(made["cards"][0]["url"])
    _screen(page, "ballot")
    size = "parseFloat(getComputedStyle(document.querySelector('.subj')).fontSize)"
    normal_size = page.evaluate(size)
    shot(page, "a11y-phone-batch")
    assert page.get_attribute("#large-text", "aria-pressed") == "false"

    page.click("#large-text")
    assert page.get_attribute("#large-text", "aria-pressed") == "true"
    assert page.evaluate(size) >= normal_size * 1.2
    scroll = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    wide, client = page.evaluate(scroll)
    assert wide <= client == 360
    shot(page, "a11y-phone-batch-large")

    # remembered on <html> by the page's first line, before the first paint: even without
    # the phone's script the root is larger
    page.route("**/static/voter.js", lambda route: route.abort())
    page.reload()
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "20px"
    page.unroute("**/static/voter.js")
    page.reload()
    _screen(page, "ballot")
    assert page.get_attribute("#large-text", "aria-pressed") == "true"
    wide, client = page.evaluate(scroll)
    assert wide <= client

    page.click("#large-text")  # and back
    page.reload()
    _screen(page, "ballot")
    assert page.get_attribute("#large-text", "aria-pressed") == "false"
    assert page.evaluate(size) == normal_size
    guard.check()
    context.close()
