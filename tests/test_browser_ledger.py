"""The follow-up ledger (整改台账) in a real browser: a real meeting leaves three departments
short, the server's clock moves on until one of them is overdue, and the secretary follows the
warning from the meetings list and the console header to the ledger, filtered, and records the
department's answer, with a file of its report. A rehearsal's follow-up never appears."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from browsing import LAPTOP, WAIT, Guard, login, shot
from conftest import pdf_bytes
from realserver import Server

pytestmark = [pytest.mark.server, pytest.mark.browser]

DAY = 24 * 3600


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server, told of a clock file the test moves (voting/clock.py)."""
    folder = tmp_path_factory.mktemp("ledger")
    running = Server(folder, "gevent", env={"CEPING_CLOCK_FILE": str(folder / "clock")})
    yield running
    running.stop()


def sitting(server: Server, title: str, verdicts: dict[str, str], **settings) -> dict[str, int]:
    """A meeting whose departments are revealed with 3 paper ballots each: {subject: item}."""
    m = server.api("POST", "/meetings", {"title": title, "expected": 3, **settings}, 201)
    new = [{"subject": s, "person": "局长", "kind": "oral"} for s in verdicts]
    ids = server.api("POST", f"/meetings/{m['id']}/items", {"items": new}, 201)["ids"]
    body = {"items": ids, "override_quorum": True, "accept_unreachable": True}
    server.api("POST", f"/meetings/{m['id']}/open", body)
    server.api("POST", f"/meetings/{m['id']}/close", {"items": ids})
    for item, choice in zip(ids, verdicts.values(), strict=True):
        server.api("POST", f"/meetings/{m['id']}/items/{item}/paper", {"counts": {choice: 3}})
    server.api("POST", f"/meetings/{m['id']}/reveal", {"items": ids})
    return {"meeting": m["id"], **dict(zip(verdicts, ids, strict=True))}


def test_an_overdue_follow_up_is_warned_of_and_answered(browser, server):
    real = sitting(server, "上半年述法测评", {"市水利局": "unsatisfied", "市交通局": "basic",
                                           "市民政局": "basic", "市教育局": "satisfied"},
                   followup_months=1)  # fmt: skip
    sitting(server, "述法测评彩排", {"演练局": "unsatisfied"}, rehearsal=True)
    mid = real["meeting"]
    later = (date.today() + timedelta(days=120)).isoformat()
    for subject in ("市交通局", "市民政局"):  # extended: only 市水利局 falls behind
        server.api("PUT", f"/meetings/{mid}/followups/{real[subject]}", {"due": later})
    assert server.api("GET", "/ledger/warnings") == {"overdue": 0, "due_soon": 0}
    server.move_clock(40 * DAY)
    assert server.api("GET", "/ledger/warnings") == {"overdue": 1, "due_soon": 0}
    (late,) = server.api("GET", "/ledger?overdue=1")["rows"]
    assert late["item"] == real["市水利局"] and late["days_overdue"] > 0

    ctx = browser.new_context(**LAPTOP)
    guard = Guard(ctx, server.url)
    page = guard.watch(ctx.new_page(), "console")
    login(page, server)
    page.wait_for_selector("#warn-overdue:not([hidden])", timeout=WAIT)
    assert page.text_content("#warn-overdue") == "整改逾期 1 项"
    assert page.is_hidden("#warn-due-soon")

    page.goto(f"{server.url}/console/meetings/{mid}")
    page.wait_for_selector(".meeting-bar #warn-overdue:not([hidden])", timeout=WAIT)
    page.click("#warn-overdue")
    page.wait_for_url("**/console/ledger?overdue=1", timeout=WAIT)
    page.wait_for_selector("#ledger-body tr", timeout=WAIT)
    assert page.locator("#ledger-body tr").count() == 1
    row = page.locator(f'#ledger-body tr[data-item="{real["市水利局"]}"]')
    shown = row.text_content()
    assert "市水利局" in shown and f"逾期 {late['days_overdue']} 天" in shown
    assert page.is_checked("#filter-overdue")
    assert page.get_attribute("#ledger-xlsx", "href") == "/api/ledger.xlsx?overdue=1"

    row.locator("button.edit").click()
    page.wait_for_selector("#answer-dialog[open]", timeout=WAIT)
    page.select_option("#answer-status", "in_progress")
    page.fill("#answer-received", (date.today() + timedelta(days=39)).isoformat())
    page.fill("#answer-report", "已完成执法窗口整改，建立全过程记录制度。")
    page.fill("#answer-assessment", "整改基本到位")
    page.select_option("#answer-grade", "pass")
    page.click("#answer-save")
    page.wait_for_selector("#answer-dialog", state="hidden", timeout=WAIT)
    page.wait_for_function("document.querySelector('#ledger-body tr .badge.in_progress')",
                           timeout=WAIT)  # fmt: skip
    assert "已完成执法窗口整改" in page.text_content("#ledger-body")
    (saved,) = [r for r in server.api("GET", "/ledger")["rows"] if r["item"] == real["市水利局"]]
    assert saved["grade"] == "pass" and saved["status"] == "in_progress"
    assert [h["action"] for h in saved["history"]] == ["created", "followup", "answer"]

    # the report's file: uploaded in the dialog, its pages seen there, then deleted
    row.locator("button.edit").click()
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
    shot(page, "71-console-answer-files")
    page.once("dialog", lambda d: d.accept())
    listed.first.locator("button.danger").click()  # 删除
    page.wait_for_selector("#answer-file-list li[data-file]", state="detached", timeout=WAIT)
    page.click("#answer-cancel")
    assert server.api("GET", "/ledger?overdue=1")["rows"][0]["files"] == []

    page.click("#filter-clear")
    page.wait_for_function("document.querySelectorAll('#ledger-body tr').length === 3",
                           timeout=WAIT)  # fmt: skip
    assert page.url.endswith("/console/ledger")
    assert "演练局" not in page.text_content("#ledger-table")
    shot(page, "70-console-ledger")
    guard.check()
    ctx.close()
