"""The next round in a real browser: two real meetings a quarter apart (the server's clock moved,
`CEPING_CLOCK_FILE`), the first leaves three departments short; from the console one follow-up
marked 再次测评 is added to the second meeting, and the projector's 上一轮整改情况 (put up from
the console) lists the three with their status; a rehearsal's follow-up between never appears."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from browsing import PROJECTOR, WAIT, Guard, login, shot
from realserver import Server

pytestmark = [pytest.mark.server, pytest.mark.browser]

QUARTER = 92 * 86400
CONSOLE = {"viewport": {"width": 1366, "height": 768}, "locale": "zh-CN"}
#: department → paper ballots of the first meeting's 3 members (基本满意 and 不满意 fall short)
PLAN = {"市甲局": "unsatisfied", "市乙局": "basic", "市丙局": "unsatisfied", "市丁局": "satisfied"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server with a clock the test moves."""
    folder = tmp_path_factory.mktemp("nextround")
    running = Server(folder, "gevent", env={"CEPING_CLOCK_FILE": str(folder / "clock")})
    yield running
    running.stop()


def rated(server: Server, plan: dict[str, str], **settings) -> tuple[int, dict[str, int]]:
    """A meeting whose departments are rated by paper ballots as `plan` says, and revealed."""
    m = server.api(
        "POST", "/meetings", {"title": "第一季度述法测评", "expected": 3, **settings}, 201
    )
    mid = m["id"]
    items = [{"subject": s, "person": f"{s[1]}局长", "kind": "oral"} for s in plan]
    ids = server.api("POST", f"/meetings/{mid}/items", {"items": items}, 201)["ids"]
    server.api("POST", f"/meetings/{mid}/open",
               {"items": ids, "override_quorum": True, "accept_unreachable": True})  # fmt: skip
    server.api("POST", f"/meetings/{mid}/close", {"items": ids})
    for item, choice in zip(ids, plan.values(), strict=True):
        server.api("POST", f"/meetings/{mid}/items/{item}/paper", {"counts": {choice: 3}})
    server.api("POST", f"/meetings/{mid}/reveal", {"items": ids})
    return mid, dict(zip(plan, ids, strict=True))


def test_the_next_round_from_the_console_and_the_projector_s_previous_round(browser, server):
    first, ids = rated(server, PLAN)
    short = server.api("GET", f"/meetings/{first}/followups")["followups"]
    assert sorted(int(k) for k in short) == sorted(ids[s] for s in ("市甲局", "市乙局", "市丙局"))
    put = f"/meetings/{first}/followups/"
    server.api("PUT", put + str(ids["市甲局"]), {"status": "re_evaluate"})
    server.api("PUT", put + str(ids["市乙局"]), {"status": "done"})
    server.move_clock(QUARTER / 2)  # a rehearsal between: its follow-ups never appear
    rated(server, {"市丁局": "unsatisfied"}, rehearsal=True)
    server.move_clock(QUARTER)  # a quarter later: the second meeting, 市丙局 overdue
    second = server.api("POST", f"/meetings/{first}/copy", {"title": "第二季度述法测评"}, 201)
    sid = second["id"]

    ctx = browser.new_context(**CONSOLE)
    guard = Guard(ctx, server.url)
    console = guard.watch(ctx.new_page(), "console")
    login(console, server)
    console.goto(f"{server.url}/console/meetings/{first}#results")
    row = console.locator(f'tr[data-followup="{ids["市甲局"]}"]')
    row.locator(".next-round button").click()
    row.locator("select.next-meeting").wait_for(timeout=WAIT)
    assert row.locator("select.next-meeting option").count() == 1  # the one later real meeting
    shot(console, "69-console-next-round-pick")
    row.locator("button.next-add").click()
    console.wait_for_selector("#toast.visible.ok", timeout=WAIT)
    assert "第二季度述法测评" in console.text_content("#toast")
    row.locator(".brought").wait_for(timeout=WAIT)  # said in place of the button
    assert "第二季度述法测评" in row.locator(".brought").text_content()
    shot(console, "70-console-next-round")
    added = server.api("GET", f"/meetings/{sid}")["items"][-1]
    assert (added["subject"], added["kind"], added["followup_item"]) == (
        "市甲局", "rectification", ids["市甲局"]
    )  # fmt: skip
    assert server.api("GET", f"/meetings/{sid}/audit")["entries"][-1]["action"] == "next_round"

    screen_ctx = browser.new_context(**PROJECTOR)
    screen_guard = Guard(screen_ctx, server.url)
    screen = screen_guard.watch(screen_ctx.new_page(), "projector")
    screen.goto(f"{server.url}/screen/{sid}?key={second['screen_key']}")
    screen.wait_for_function("document.body.dataset.view === 'idle'", timeout=WAIT)
    console.goto(f"{server.url}/console/meetings/{sid}#run")
    console.click("#screen-previous")
    screen.wait_for_function("document.body.dataset.view === 'previous-round'", timeout=WAIT)
    rows = screen.locator("#view-previous-round tbody tr")
    assert rows.count() == 3
    shown = {
        rows.nth(n).locator(".subj-text").text_content(): (
            rows.nth(n).locator(".status-chip").text_content(),
            rows.nth(n).locator(".c-date").text_content(),
        )
        for n in range(3)
    }
    assert list(shown) == ["市甲局", "市乙局", "市丙局"]  # 市丁局 was 满意 (short in a rehearsal)
    assert shown["市甲局"][0] == "再次测评" and shown["市乙局"][0] == "已完成"
    assert shown["市丙局"][0] == "待整改" and "逾期" in shown["市丙局"][1]
    assert "完成" in shown["市乙局"][1]
    size = screen.locator("#view-previous-round .rank-table td.c-subject").first.evaluate(
        "e => parseFloat(getComputedStyle(e).fontSize)"
    )
    assert size >= 36  # read from 10 m
    assert console.locator("#screen-previous").get_attribute("aria-pressed") == "true"
    shot(screen, "71-projector-previous-round")
    shot(console, "72-console-screen-previous")

    console.click("#screen-previous")  # back to the meeting
    screen.wait_for_function("document.body.dataset.view === 'idle'", timeout=WAIT)
    guard.check()
    screen_guard.check()
    ctx.close()
    screen_ctx.close()
