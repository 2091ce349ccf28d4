"""督一督 from end to end, in a real browser, as the secretary does it: two real meetings a quarter
apart, the server's clock moved between them (`CEPING_CLOCK_FILE`). The first leaves three
departments short; a rehearsal between leaves its own department short, which never appears.

By the second meeting one follow-up is overdue: the warning shows on the meetings list and in the
console header, the ledger opens filtered to it, the department's answer is recorded there and
the follow-up marked 再次测评; from the first meeting's console it is added to the second as an
item of kind 整改情况, and the projector's 上一轮整改情况, put up from the second meeting's console,
lists the three with their status (and, a fortnight on, the one whose extension ran out as
overdue). One server and one Chromium for the whole story."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from browsing import PROJECTOR, WAIT, Guard, login, shot
from conftest import pdf_bytes
from realserver import Server

pytestmark = [pytest.mark.server, pytest.mark.browser]

DAY = 86400
QUARTER = 92  # days between the two meetings
CONSOLE = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}
#: department → the paper ballots of the first meeting's 3 members (基本满意, 不满意 fall short)
PLAN = {"市甲局": "unsatisfied", "市乙局": "basic", "市丙局": "unsatisfied", "市丁局": "satisfied"}
REHEARSED = {"市丁局": "unsatisfied"}  # short in a rehearsal only: not in the ledger nor 上一轮


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server with a clock the test moves (voting/clock.py)."""
    folder = tmp_path_factory.mktemp("followthrough")
    running = Server(folder, "gevent", env={"CEPING_CLOCK_FILE": str(folder / "clock")})
    yield running
    running.stop()


def rated(server: Server, title: str, plan: dict[str, str], **settings: Any) -> dict[str, int]:
    """A meeting whose departments are rated by paper ballots as `plan` says, and revealed:
    {"meeting": its id, subject: item}."""
    mid = server.api("POST", "/meetings", {"title": title, "expected": 3, **settings}, 201)["id"]
    items = [{"subject": s, "person": f"{s[1]}局长", "kind": "oral"} for s in plan]
    ids = server.api("POST", f"/meetings/{mid}/items", {"items": items}, 201)["ids"]
    server.api("POST", f"/meetings/{mid}/open",
               {"items": ids, "override_quorum": True, "accept_unreachable": True})  # fmt: skip
    server.api("POST", f"/meetings/{mid}/close", {"items": ids})
    for item, choice in zip(ids, plan.values(), strict=True):
        server.api("POST", f"/meetings/{mid}/items/{item}/paper", {"counts": {choice: 3}})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": ids})
    return {"meeting": mid, **dict(zip(plan, ids, strict=True))}


def first_round(server: Server, start: date) -> dict[str, int]:
    """The first meeting (two months to rectify), and what the office did in the quarter:
    市乙局 done, 市丙局 given until a week after the second meeting, 市甲局 nothing."""
    first = rated(server, "第一季度述法测评", PLAN, followup_months=2)
    short = server.api("GET", f"/meetings/{first['meeting']}/followups")["followups"]
    assert sorted(map(int, short)) == sorted(first[s] for s in ("市甲局", "市乙局", "市丙局"))
    put = f"/meetings/{first['meeting']}/followups/"
    server.api("PUT", put + str(first["市乙局"]), {"status": "done"})
    extended = (start + timedelta(days=QUARTER + 7)).isoformat()
    server.api("PUT", put + str(first["市丙局"]), {"due": extended})
    server.move_clock(QUARTER / 2 * DAY)  # a rehearsal between, with its own short department
    rehearsal = rated(server, "述法测评演练", REHEARSED, rehearsal=True)
    assert str(rehearsal["市丁局"]) in server.api(
        "GET", f"/meetings/{rehearsal['meeting']}/followups"
    )["followups"]  # fmt: skip
    server.move_clock(QUARTER * DAY)
    return first


def warned_and_copied(page: Any, server: Server, first: int) -> int:
    """The meetings list warns of the overdue follow-up; the second meeting is made there, as a
    copy of the first; its console's header warns too. The second meeting's id."""
    login(page, server)
    page.wait_for_selector("#warn-overdue:not([hidden])", timeout=WAIT)
    assert page.text_content("#warn-overdue") == "整改逾期 1 项"
    assert page.text_content("#warn-due-soon") == "14 天内到期 1 项"  # 市丙局's extension
    shot(page, "80-meetings-ledger-warnings")
    page.click(f'button.copy[data-id="{first}"]')
    page.fill("#copy-title", "第二季度述法测评")
    page.click("#copy-ok")
    page.wait_for_url("**/console/meetings/*#prepare", timeout=WAIT)
    second = int(page.url.split("/console/meetings/")[1].split("#")[0])
    made = server.api("GET", f"/meetings/{second}")
    assert (made["title"], made["rehearsal"]) == ("第二季度述法测评", False)
    page.wait_for_selector(".meeting-bar #warn-overdue:not([hidden])", timeout=WAIT)
    return second


def answered_in_the_ledger(page: Any, server: Server, first: dict[str, int]) -> None:
    """The header's warning opens the ledger filtered to 市甲局; its answer is recorded and it
    is marked 再次测评. The rehearsal's department is listed nowhere."""
    page.click(".meeting-bar #warn-overdue")
    page.wait_for_url("**/console/ledger?overdue=1", timeout=WAIT)
    row = page.locator(f'#ledger-body tr[data-item="{first["市甲局"]}"]')
    row.wait_for(timeout=WAIT)
    assert page.locator("#ledger-body tr").count() == 1 and page.is_checked("#filter-overdue")
    (late,) = server.api("GET", "/ledger?overdue=1")["rows"]
    assert late["item"] == first["市甲局"]
    assert f"逾期 {late['days_overdue']} 天" in row.text_content()
    assert page.get_attribute("#ledger-xlsx", "href") == "/api/ledger.xlsx?overdue=1"
    shot(page, "81-console-ledger-overdue")
    row.locator("button.edit").click()
    page.wait_for_selector("#answer-dialog[open]", timeout=WAIT)
    page.select_option("#answer-status", "re_evaluate")
    page.fill("#answer-received", late["due"])
    page.fill("#answer-report", "执法窗口整改未完成，拟下一轮再次测评。")
    page.fill("#answer-assessment", "整改不到位")
    page.select_option("#answer-grade", "fail")
    page.click("#answer-save")
    page.wait_for_selector("#answer-dialog", state="hidden", timeout=WAIT)
    page.wait_for_selector("#ledger-empty:not([hidden])", timeout=WAIT)  # no longer overdue
    assert page.is_hidden("#count-overdue")
    page.click("#filter-clear")
    page.wait_for_function("document.querySelectorAll('#ledger-body tr').length === 3",
                           timeout=WAIT)  # fmt: skip
    assert page.url.endswith("/console/ledger")
    assert "执法窗口整改未完成" in page.text_content("#ledger-body")
    assert "市丁局" not in page.text_content("#ledger-table")
    assert "述法测评演练" not in page.text_content("#filter-meeting")
    shot(page, "82-console-ledger")
    (saved,) = [r for r in server.api("GET", "/ledger")["rows"] if r["item"] == first["市甲局"]]
    assert (saved["status"], saved["grade"]) == ("re_evaluate", "fail")
    steps = [(h["action"], h["before"], h["status"]) for h in saved["history"]]
    assert steps[0] == ("created", None, "pending") and steps[1][1:] == ("pending", "re_evaluate")
    assert steps[-1][0] == "answer"
    assert "市丁局" not in {r["subject"] for r in server.api("GET", "/ledger")["rows"]}

    # the report's file: uploaded in the dialog, its pages seen there, then deleted
    page.locator(f'#ledger-body tr[data-item="{first["市甲局"]}"] button.edit').click()
    page.wait_for_selector("#answer-dialog[open]", timeout=WAIT)
    page.set_input_files("#answer-file", files=[{"name": "整改报告.pdf",
                         "mimeType": "application/pdf", "buffer": pdf_bytes(2)}])  # fmt: skip
    listed = page.locator("#answer-file-list li[data-file]")
    listed.first.wait_for(timeout=WAIT)
    assert "整改报告.pdf" in listed.first.text_content()
    listed.first.locator("button").first.click()  # 查看
    page.wait_for_function(
        "[...document.querySelectorAll('#answer-viewer img')].filter(i => i.complete &&"
        " i.naturalWidth > 0).length === 2", timeout=WAIT,
    )  # fmt: skip
    assert "整改报告附件" in page.text_content("#answer-history")
    shot(page, "82-console-answer-files")
    page.once("dialog", lambda d: d.accept())
    listed.first.locator("button.danger").click()  # 删除
    page.wait_for_selector("#answer-file-list li[data-file]", state="detached", timeout=WAIT)
    page.click("#answer-cancel")
    rows = server.api("GET", "/ledger")["rows"]
    assert [r["files"] for r in rows if r["item"] == first["市甲局"]] == [[]]


def brought_to_the_next_round(
    page: Any, server: Server, first: dict[str, int], second: int
) -> None:
    """列入下一轮 on the first meeting's 结果: the second meeting (the one later real meeting)
    gets 市甲局 as an item of kind 整改情况, linked to its follow-up."""
    page.goto(f"{server.url}/console/meetings/{first['meeting']}#results")
    row = page.locator(f'tr[data-followup="{first["市甲局"]}"]')
    row.locator(".next-round button").click()
    row.locator("select.next-meeting").wait_for(timeout=WAIT)
    (later,) = row.locator("select.next-meeting option").all_text_contents()  # not the rehearsal
    assert later.endswith(" 第二季度述法测评")
    row.locator("button.next-add").click()
    row.locator(".brought").wait_for(timeout=WAIT)  # said in place of the button
    assert "第二季度述法测评" in row.locator(".brought").text_content()
    assert "第二季度述法测评" in page.text_content("#toast")
    shot(page, "83-console-next-round")
    added = server.api("GET", f"/meetings/{second}")["items"][-1]
    assert (added["subject"], added["kind"], added["followup_item"]) == (
        "市甲局", "rectification", first["市甲局"]
    )  # fmt: skip
    assert server.api("GET", f"/meetings/{second}/audit")["entries"][-1]["action"] == "next_round"


def previous_round(screen: Any) -> dict[str, tuple[str, str]]:
    """The projector's 上一轮整改情况: {department: (status, date column)}."""
    rows = screen.locator("#view-previous-round tbody tr")
    return {
        rows.nth(n).locator(".subj-text").text_content(): (
            rows.nth(n).locator(".status-chip").text_content(),
            rows.nth(n).locator(".c-date").text_content(),
        )
        for n in range(rows.count())
    }


def toggle(console: Any, screen: Any, view: str) -> None:
    console.click("#screen-previous")
    screen.wait_for_function(f"document.body.dataset.view === '{view}'", timeout=WAIT)


def test_an_overdue_follow_up_is_warned_of_and_rated_again_at_the_next_meeting(browser, server):
    start = date.today()
    first = first_round(server, start)
    ctx = browser.new_context(**CONSOLE)
    guard = Guard(ctx, server.url)
    console = guard.watch(ctx.new_page(), "console")
    second = warned_and_copied(console, server, first["meeting"])
    answered_in_the_ledger(console, server, first)
    brought_to_the_next_round(console, server, first, second)

    screen_ctx = browser.new_context(**PROJECTOR)
    screen_guard = Guard(screen_ctx, server.url)
    screen = screen_guard.watch(screen_ctx.new_page(), "projector")
    key = server.api("GET", f"/meetings/{second}")["screen_key"]
    screen.goto(f"{server.url}/screen/{second}?key={key}")
    screen.wait_for_function("document.body.dataset.view === 'idle'", timeout=WAIT)
    console.goto(f"{server.url}/console/meetings/{second}")
    console.click("#tab-run")
    toggle(console, screen, "previous-round")
    shown = previous_round(screen)
    assert list(shown) == ["市甲局", "市乙局", "市丙局"]  # 市丁局 fell short only in a rehearsal
    extended = (start + timedelta(days=QUARTER + 7)).isoformat()
    assert shown["市甲局"][0] == "再次测评" and shown["市乙局"] == ("已完成", f"{start} 完成")
    assert shown["市丙局"] == ("待整改", f"期限 {extended}")
    size = screen.locator("#view-previous-round td.c-subject").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 36  # read from 10 m
    assert console.get_attribute("#screen-previous", "aria-pressed") == "true"
    shot(screen, "84-projector-previous-round")
    shot(console, "85-console-screen-previous")

    server.move_clock((QUARTER + 14) * DAY)  # a fortnight on, 市丙局's extension has run out
    toggle(console, screen, "idle")
    toggle(console, screen, "previous-round")
    screen.wait_for_function(
        "document.querySelectorAll('#view-previous-round tbody tr .late').length === 1",
        timeout=WAIT,
    )
    assert previous_round(screen)["市丙局"] == ("待整改", f"期限 {extended}逾期 7 天")
    guard.check()
    screen_guard.check()
    ctx.close()
    screen_ctx.close()
