"""Accessibility in a real browser: axe-core (shipped by axe-playwright-python, injected by the
test into the page, never served by the app) over every page the hall sees, in each phase of
one meeting, and the phone's 大字 (large text) switch at 360 px.

The meeting follows an earlier round that left a follow-up overdue (the warnings, the ledger,
上一轮整改情况 on the projector); its oral report is timed (述法, through amber and red by moving
the server's clock) and it has materials (看一看: the reading link, the reader on the phone, the
console's panel and sheet).

A violation of impact serious or critical fails; the others are printed for information. One
server, one browser and one page per screen for the whole walk, moved on by the API.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import requests
from axe_playwright_python.sync_playwright import Axe

from browsing import LAPTOP, PHONE, PROJECTOR, WAIT, Guard, login, new_meeting, shot
from conftest import pdf_bytes
from realserver import TOKEN, Server

pytestmark = [pytest.mark.server, pytest.mark.browser]

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
CONSOLE = {**LAPTOP, "viewport": {"width": 1366, "height": 768}}
FAILING = ("serious", "critical")
TONES = ("satisfied", "basic", "unsatisfied")
LATER = 60 * 24 * 3600  # the meeting is two months after the earlier round: one item overdue
SPEECH = 8 * 60
SETTLED = "!document.getAnimations().some((a) => a instanceof CSSTransition)"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server, told of a clock file the test moves (voting/clock.py)."""
    folder = tmp_path_factory.mktemp("a11y")
    running = Server(folder, "gevent", env={"CEPING_CLOCK_FILE": str(folder / "clock")})
    yield running
    running.stop()


class Audit:
    """axe on a page as it stands: serious and critical violations kept by page, others told."""

    def __init__(self) -> None:
        self.axe = Axe()
        self.failing: dict[str, list[str]] = {}

    def __call__(self, page: Any, name: str) -> None:
        page.wait_for_function(SETTLED, timeout=WAIT)  # colours read once they have changed
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


def _earlier_round(server: Server) -> None:
    """A round two months before, on paper: 市水利局 short and overdue by now, 市第1局 due in a
    week (the two warnings)."""
    m = server.api("POST", "/meetings", {"title": "上一轮述法测评", "expected": 3,
                                         "followup_months": 1}, 201)  # fmt: skip
    new = [{"subject": s, "person": "局长", "kind": "oral"} for s in ("市水利局", "市第1局")]
    ids = server.api("POST", f"/meetings/{m['id']}/items", {"items": new}, 201)["ids"]
    body = {"items": ids, "override_quorum": True, "accept_unreachable": True}
    server.api("POST", f"/meetings/{m['id']}/open", body)
    server.api("POST", f"/meetings/{m['id']}/close", {"items": ids})
    for item in ids:
        server.api("POST", f"/meetings/{m['id']}/items/{item}/paper", {"counts": {"basic": 3}})
    server.api("POST", f"/meetings/{m['id']}/reveal", {"items": ids})
    soon = (date.today() + timedelta(days=60 + 7)).isoformat()
    server.api("PUT", f"/meetings/{m['id']}/followups/{ids[1]}", {"due": soon})
    server.move_clock(LATER)


def _materials(server: Server, mid: int, item: int) -> str:
    """A PDF of two pages to the oral report; the meeting's reading link (its key)."""
    pdf = {"file": ("述法报告.pdf", pdf_bytes(2))}
    r = requests.post(
        f"{server.url}/api/meetings/{mid}/materials", data={"item": str(item)}, files=pdf,
        timeout=60, headers={"Authorization": f"Bearer {TOKEN}"},
    )  # fmt: skip
    assert r.status_code == 201, r.text
    return server.api("POST", f"/meetings/{mid}/reading", None, 201)["reading_key"]


class Hall:
    """The screens of one meeting, each one page for the whole walk, and what axe found."""

    def __init__(self, browser: Any, server: Any) -> None:
        self.server = server
        _earlier_round(server)
        self.made = new_meeting(server, cards=3, written=24)
        self.mid = self.made["meeting"]["id"]
        self.reading = _materials(server, self.mid, self.made["oral"])
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

    def speech(self, action: str, ahead: int | None = None) -> None:
        """开始述法 / 暂停 / 继续 / 结束述法 for the oral report, `ahead` s after it started."""
        if ahead is not None:
            self.server.move_clock(LATER + ahead)
        item = self.made["oral"]
        self.server.api("POST", f"/meetings/{self.mid}/items/{item}/speech", {"action": action})


def _before_the_vote(hall: Hall) -> None:
    console, audit, url = hall.console, hall.audit, hall.server.url
    console.goto(f"{url}/console/")
    audit(console, "login")
    login(console, hall.server)
    console.wait_for_selector("#warn-due-soon:not([hidden])", timeout=WAIT)
    audit(console, "meetings list with the warnings")
    console.goto(f"{url}/console/meetings/{hall.mid}")
    console.wait_for_selector(".meeting-bar #warn-overdue:not([hidden])", timeout=WAIT)
    _console_tab(console, audit, "prepare", "#materials-body tr", "draft (materials)")
    _console_tab(console, audit, "results", "#results-empty:not([hidden])", "draft")
    _console_tab(console, audit, "run", "#speech-box:not([hidden])", "draft (speech box)")
    _projector_before(hall)
    _reading_link(hall)
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


def _projector_before(hall: Hall) -> None:
    """Idle, then 上一轮整改情况 (the earlier round's departments) and back."""
    projector, m = hall.projector, hall.made["meeting"]
    projector.goto(f"{hall.server.url}/screen/{hall.mid}?key={m['screen_key']}")
    _view(projector, "idle")
    hall.audit(projector, "projector idle")
    for view, shown in (("previous_round", "previous-round"), ("live", "idle")):
        hall.server.api("POST", f"/meetings/{hall.mid}/screen-view", {"view": view})
        _view(projector, shown)
        if view == "previous_round":
            projector.wait_for_selector("#view-previous-round tbody tr", timeout=WAIT)
            hall.audit(projector, "projector previous round")


def _read(page: Any, audit: Audit, name: str) -> None:
    """Open the first 查看材料, audit the reader with its pages, close it."""
    page.locator("button.mat").first.click()
    page.wait_for_selector(".rd .rd-page", timeout=WAIT)
    audit(page, name)
    page.click(".rd-x")
    page.wait_for_selector(".rd", state="detached", timeout=WAIT)


def _reading_link(hall: Hall) -> None:
    """The phone before the sitting: the reading link's list, and a report opened from it."""
    hall.phone.goto(f"{hall.server.url}/r/{hall.reading}")
    hall.phone.wait_for_selector(".rd-list button.mat", timeout=WAIT)
    hall.audit(hall.phone, "reading link")
    _read(hall.phone, hall.audit, "reading link, a report open")


def _the_speech(hall: Hall) -> None:
    """述法 on every screen: normal, amber (paused, then running), red with the overrun."""
    projector, console, phones = hall.projector, hall.console, (hall.phone, hall.large)
    hall.speech("start", 0)
    _view(projector, "speech")
    for page in phones:
        page.wait_for_selector("#speech:not([hidden])", timeout=WAIT)
    console.wait_for_selector("#speech-box[data-status=running]", timeout=WAIT)
    _speech_audit(hall, "normal")
    hall.speech("pause", SPEECH - 50)
    projector.wait_for_selector("#view-speech[data-status=paused][data-phase=warning]",
                                timeout=WAIT)  # fmt: skip
    hall.audit(projector, "projector speech amber, paused")
    hall.phone.wait_for_function("document.getElementById('sp-t').textContent.includes('已暂停')")
    hall.audit(hall.phone, "phone speech paused")
    hall.speech("resume")
    for page in phones:
        page.wait_for_selector("#speech.warn", timeout=WAIT)
    console.wait_for_selector("#speech-box[data-status=running] #speech-clock.warning",
                              timeout=WAIT)  # fmt: skip
    _speech_audit(hall, "amber")
    hall.speech("pause", SPEECH + 35)
    hall.speech("resume")
    projector.wait_for_selector("#view-speech[data-status=running][data-phase=over]",
                                timeout=WAIT)  # fmt: skip
    console.wait_for_selector("#speech-clock.over", timeout=WAIT)
    for page in phones:
        page.wait_for_selector("#speech.over", timeout=WAIT)
    _speech_audit(hall, "red")
    hall.speech("end")
    console.wait_for_selector("#speech-open:not([hidden])", timeout=WAIT)
    hall.audit(console, "console speech ended")


def _speech_audit(hall: Hall, phase: str) -> None:
    hall.audit(hall.projector, f"projector speech {phase}")
    hall.audit(hall.phone, f"phone speech {phase}")
    hall.audit(hall.large, f"phone 大字 speech {phase}")
    hall.audit(hall.console, f"console speech {phase}")


def _one_item(hall: Hall) -> None:
    """The oral report alone: the 大字 phone votes, the other writes a comment."""
    oral, audit, large = hall.made["oral"], hall.audit, hall.large
    hall.move("open", [oral])
    for page in (hall.phone, large):
        _screen(page, "ballot")
    _read(hall.phone, audit, "phone reader")
    _read(large, audit, "phone 大字 reader")
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


def _after_the_sitting(hall: Hall) -> None:
    """结果 with 宣读稿 and 列入下一轮测评 picked (a later meeting exists), the ledger with its
    answer dialog, and the printable sheets (reading link, cards)."""
    console, audit, server, base = hall.console, hall.audit, hall.server, hall.server.url
    short = server.api("GET", f"/meetings/{hall.mid}/followups")["followups"]
    item = min((i for i, f in short.items() if not f.get("carried_from")), key=int)
    server.api("PUT", f"/meetings/{hall.mid}/followups/{item}", {"status": "re_evaluate"})
    server.move_clock(LATER + 3600)
    server.api("POST", f"/meetings/{hall.mid}/copy", {"title": "下一轮述法测评"}, 201)
    console.reload()  # on 结果 already: the follow-ups as they are now
    console.wait_for_selector("#announce-text p", timeout=WAIT)
    console.click(f'tr[data-followup="{item}"] .next-round button')
    console.wait_for_selector(f'tr[data-followup="{item}"] select.next-meeting', timeout=WAIT)
    audit(console, "console results, 宣读稿 and 列入下一轮")
    console.goto(f"{base}/console/ledger")
    console.wait_for_selector("#ledger-body tr", timeout=WAIT)
    audit(console, "ledger")
    console.locator("#ledger-body button.edit").first.click()
    console.wait_for_selector("#answer-dialog[open]", timeout=WAIT)
    audit(console, "ledger, the answer dialog")
    for sheet in ("reading", "cards"):
        console.goto(f"{base}/console/meetings/{hall.mid}/{sheet}")
        audit(console, f"{sheet} sheet")


def test_every_page_in_every_phase_passes_axe(browser, server):
    """Login, meetings list with the follow-ups' warnings, console (each tab before the vote,
    the materials, the speech box through its phases, running, the results with 宣读稿 and the
    follow-ups, 列入下一轮), the ledger and its answer dialog, the reading and card sheets,
    projector (idle, 上一轮整改情况, the speech normal, amber, paused and over time, turnout,
    result, ranked batch, summary), the reading link and phones at 360 px (normal and 大字:
    waiting, the speech banner, the reader, one item, the batch of 24 written reports,
    confirming, voted, after the reveal): no serious or critical violation."""
    hall = Hall(browser, server)
    _before_the_vote(hall)
    _the_speech(hall)
    _one_item(hall)
    _the_batch(hall)
    _after_the_sitting(hall)
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
