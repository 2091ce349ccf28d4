"""看一看 in a real browser: a phone (and WeChat's in-app browser) opens each material from the
batch ballot and sees its pages, the reading link shows the same and nothing else and is refused
once withdrawn, and the console lists the items without materials (Playwright and Chromium,
the real server under gevent, so PDFs are drawn by the render process)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from browsing import LAPTOP, PHONE, WAIT, Guard, login, new_meeting, shot
from conftest import docx_bytes, jpeg_bytes, pdf_bytes
from realserver import TOKEN

pytestmark = [pytest.mark.server, pytest.mark.browser]

SMALL_PHONE = {**PHONE, "viewport": {"width": 360, "height": 740}}
WECHAT = {
    **SMALL_PHONE,
    "user_agent": "Mozilla/5.0 (Linux; Android 12; V2055A) AppleWebKit/537.36 (KHTML, like Gecko)"
    " Version/4.0 Chrome/107.0.5304.141 Mobile Safari/537.36 XWEB/5023 MMWEBSDK/20221012"
    " MicroMessenger/8.0.40.2240(0x28002851) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN",
}
FILES = [
    (pdf_bytes(3), "述法报告.pdf", 3),
    (jpeg_bytes(), "现场照片.jpg", 1),
    (docx_bytes("一、基本情况", "二、存在问题"), "依据材料.docx", 0),
    ("整改情况说明：已完成".encode(), "说明.txt", 0),
]


def upload(server: Any, mid: int, data: bytes, name: str, item: int | None = None) -> Any:
    return requests.post(
        f"{server.url}/api/meetings/{mid}/materials", files={"file": (name, data)},
        data={"item": str(item)} if item else {}, timeout=60,
        headers={"Authorization": f"Bearer {TOKEN}"}, verify=server.verify,
    )  # fmt: skip


@pytest.fixture(scope="module")
def board(server) -> dict[str, Any]:
    """A meeting whose batch of four written items has a PDF, a JPEG, a DOCX and a text file,
    its oral item none; the batch open, a reading link made; another meeting with a card."""
    made = new_meeting(server, cards=3, written=4)
    mid = made["meeting"]["id"]
    for item, (data, name, pages) in zip(made["batch"], FILES, strict=True):
        r = upload(server, mid, data, name, item)
        assert r.status_code == 201 and r.json()["pages"] == pages, r.text
    broken = upload(server, mid, b"%PDF-1.7\nbroken", "坏.pdf", made["oral"])
    assert broken.status_code == 400 and broken.json()["error"] == "unreadable_pdf"
    exe = upload(server, mid, b"MZ\x90\x00" + bytes(500), "报告.pdf", made["oral"])
    assert exe.status_code == 400 and exe.json()["error"] == "wrong_type"
    big = upload(server, mid, b"%PDF-1.7\n" + bytes(30 * 2**20), "大.pdf", made["oral"])
    assert big.status_code == 413 and "20 MB" in big.json()["message"]  # JSON, not Flask's page
    server.api("POST", f"/meetings/{mid}/open", {"items": made["batch"], "override_quorum": True})
    made["key"] = server.api("POST", f"/meetings/{mid}/reading", None, 201)["reading_key"]
    made["other"] = new_meeting(server, cards=1, written=0)
    return made


def read_each(page: Any, count: int) -> list[str]:
    """Open each 查看材料 on the page in turn; what each showed (pages or text), then close it."""
    seen = []
    for n in range(count):
        page.locator("button.mat").nth(n).click()
        page.wait_for_selector(".rd .rd-m", timeout=WAIT)
        images = page.locator(".rd .rd-page")
        if images.count():
            images.last.scroll_into_view_if_needed()
            page.wait_for_function(
                "[...document.querySelectorAll('.rd .rd-page')]"
                ".every(i => i.complete && i.naturalWidth > 0)", timeout=WAIT,
            )  # fmt: skip
            seen.append(f"{images.count()} pages")
        else:
            page.wait_for_function(
                "document.querySelector('.rd .rd-text').textContent.length > 1", timeout=WAIT
            )
            seen.append(page.locator(".rd .rd-text").text_content())
        if n == 0:
            shot(page, "70-phone-materials")
        page.click(".rd-x")
        page.wait_for_selector(".rd", state="detached", timeout=WAIT)
    return seen


EXPECTED = ["3 pages", "1 pages", "一、基本情况\n二、存在问题", "整改情况说明：已完成"]


@pytest.mark.parametrize(("device", "card"), [(SMALL_PHONE, 0), (WECHAT, 1)],
                         ids=["phone-360", "wechat"])  # fmt: skip
def test_a_phone_opens_each_material_from_the_batch_ballot(browser, server, board, device, card):
    ctx = browser.new_context(**device)
    guard = Guard(ctx, server.url)
    page = guard.watch(ctx.new_page(), "phone")
    url = board["cards"][card]["url"]
    page.goto(url)
    page.wait_for_function("document.body?.dataset.screen === 'ballot'", timeout=WAIT)
    assert page.locator("button.mat").count() == 4  # every item of the batch has some
    first = board["batch"][0]
    page.click(f'button.option[data-item="{first}"][data-choice="satisfied"]')  # not yet sent
    assert page.evaluate("typeof window.CepingReader") == "undefined"  # loaded when first opened
    assert read_each(page, 4) == EXPECTED
    chosen = page.locator(f'button.option[data-item="{first}"][data-choice="satisfied"]')
    assert chosen.get_attribute("aria-pressed") == "true"  # the unsent ballot is as it was
    page.locator("button.mat").first.click()
    page.wait_for_selector(".rd .rd-page", timeout=WAIT)
    page.go_back()  # the phone's back button closes the reader, the ballot stays
    page.wait_for_selector(".rd", state="detached", timeout=WAIT)
    assert page.url == url
    assert page.evaluate("document.body?.dataset.screen") == "ballot"
    scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert scroll, "no horizontal scroll at 360 px"
    guard.check()
    ctx.close()


def test_the_reading_link_shows_the_materials_and_nothing_else_until_withdrawn(
    browser, server, board
):
    mid, key = board["meeting"]["id"], board["key"]
    ctx = browser.new_context(**SMALL_PHONE)
    guard = Guard(ctx, server.url)
    page = guard.watch(ctx.new_page(), "reader")
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{server.url}/r/{key}")
    assert page.locator(".title").text_content() == board["meeting"]["title"]
    assert page.locator(".rd-list .subj").all_text_contents() == ["市水利局"] + [
        f"市第{n}局" for n in range(1, 5)
    ]
    assert page.locator("button.option, #submit, textarea").count() == 0  # no vote
    assert read_each(page, 4) == EXPECTED
    assert not [u for u in requested if "socket.io" in u or "/api/" in u]  # no ballot, no results
    guard.check()

    anyone = requests.Session()
    other_card = board["other"]["cards"][0]["token"]
    for k in (other_card, ""):  # a card of another meeting, nothing at all
        assert anyone.get(f"{server.url}/materials/{mid}.json?k={k}", timeout=10).status_code == 404
    server.api("DELETE", f"/meetings/{mid}/reading")
    page.goto(f"{server.url}/r/{key}")
    assert "已被收回" in page.locator("#refused-reason").text_content()
    assert anyone.get(f"{server.url}/materials/{mid}.json?k={key}", timeout=10).status_code == 404
    ctx.close()


def test_a_waiting_phone_opens_the_meetings_general_materials(browser, server, board):
    other = board["other"]
    mid = other["meeting"]["id"]
    agenda = "会议议程：一、述法；二、测评".encode()
    assert upload(server, mid, agenda, "会议议程.txt").status_code == 201
    ctx = browser.new_context(**SMALL_PHONE)
    guard = Guard(ctx, server.url)
    page = guard.watch(ctx.new_page(), "phone")
    page.goto(other["cards"][0]["url"])
    page.wait_for_function("document.body?.dataset.screen === 'waiting'", timeout=WAIT)
    shot(page, "72-phone-waiting-materials")
    page.click('#s-waiting button.mat[data-mat="g"]')
    page.wait_for_function(
        "document.querySelector('.rd .rd-text')?.textContent.includes('会议议程')", timeout=WAIT
    )
    assert page.locator("#rd-title").text_content() == "会议材料"
    guard.check()
    ctx.close()


def test_the_console_lists_the_items_without_materials(browser, server, board):
    mid = board["meeting"]["id"]
    ctx = browser.new_context(**LAPTOP)
    guard = Guard(ctx, server.url)
    page = guard.watch(ctx.new_page(), "console")
    login(page, server)
    page.goto(f"{server.url}/console/meetings/{mid}#prepare")
    missing = page.locator("#materials-missing")
    missing.wait_for(timeout=WAIT)
    page.wait_for_function("document.querySelectorAll('#materials-body tr').length === 4")
    assert "缺少材料（1 项）：市水利局" in missing.text_content()
    page.select_option("#material-item", str(board["oral"]))
    page.set_input_files("#material-file", files=[{"name": "水利局报告.pdf",
                         "mimeType": "application/pdf", "buffer": pdf_bytes(2)}])  # fmt: skip
    page.wait_for_function("document.querySelectorAll('#materials-body tr').length === 5")
    assert missing.text_content() == "每个测评项都已有材料。"
    page.locator("#materials").scroll_into_view_if_needed()
    shot(page, "71-console-materials")
    # the oral item's own speaking time, in minutes (empty: the meeting's), a bad one refused
    speech = page.locator(f'tr[data-edit-item="{board["oral"]}"] input.speech')
    assert speech.get_attribute("placeholder") == "8" and speech.input_value() == ""
    speech.fill("10")
    speech.press("Enter")
    page.wait_for_function("document.querySelector('#toast').textContent.includes('市水利局')")
    assert server.api("GET", f"/meetings/{mid}")["items"][0]["speech_seconds"] == 600
    shown = f"document.querySelector('tr[data-edit-item=\"{board['oral']}\"] input.speech')?.value"
    page.wait_for_function(f"{shown} === '10'")  # the editor drawn again with the item saved
    speech.fill("90")
    speech.press("Enter")
    page.wait_for_function("document.querySelector('#toast').textContent.includes('0.5 至 60')")
    page.wait_for_function(f"{shown} === '10'")
    assert server.api("GET", f"/meetings/{mid}")["items"][0]["speech_seconds"] == 600
    guard.check()
    ctx.close()
