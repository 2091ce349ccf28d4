"""The phone's ballot page (/v/<token>) as the server renders it: the page a QR scan opens, its
translated strings and hooks, and the refusals (unknown, bound to another phone, withdrawn)."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from conftest import phone
from voting import cards

ROOT = Path(__file__).resolve().parent.parent
HOOKS = ["net", "progress", "submit", "confirm-yes", "confirm-no", "change", "refused-reason"]
PHONE_A = "phone-a-0123456789"
PHONE_B = "phone-b-0123456789"


def _strings(html: str) -> dict[str, str]:
    found = re.search(r'<script id="i18n" type="application/json">(.*?)</script>', html, re.S)
    assert found, "the page carries its strings for the script"
    return json.loads(found.group(1))


def _reason(html: str) -> str | None:
    found = re.search(r'id="refused-reason"[^>]*data-error="([a-z_]*)"', html)
    return found.group(1) if found else None


def _device(app, token: str) -> str | None:
    return app.extensions["ceping"].store.card(token)["device"]


def test_a_card_opens_its_ballot_page_with_no_login(app, api, client):
    made = api.meeting(cards=1, items=1)
    token = made["cards"][0]["token"]
    r = client.get(f"/v/{token}")
    assert r.status_code == 200 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    assert f'data-token="{token}"' in html
    assert made["meeting"]["title"] in html
    for hook in HOOKS:
        assert f'id="{hook}"' in html, hook
    strings = _strings(html)
    assert strings["progress"] == "已选 %(n)s / %(total)s"  # the script fills the placeholders
    assert "%(names)s" in strings["ended"]
    assert strings["card_in_use"] and strings["revoked"] and strings["unknown_card"]
    assert "网络连接中断，正在重新连接…" in html
    # the secretary's keys never reach a phone
    assert made["meeting"]["screen_key"] not in html
    assert made["meeting"]["join_key"] not in html
    # nothing but the app's own files: no CDN, no web font
    assets = re.findall(r'<(?:script|link|img)\b[^>]*?\b(?:src|href)="([^"]*)"', html)
    assert "/static/vendor/socket.io.min.js" in assets and "/static/voter.js" in assets
    assert "/static/voter.css" in assets
    for url in assets:
        assert url.startswith("data:") or (url.startswith("/") and not url.startswith("//")), url
    for url in assets:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url


def test_opening_the_page_binds_nothing_the_socket_does(app, api, client):
    made = api.meeting(cards=1, items=1)
    token = made["cards"][0]["token"]
    client.set_cookie(cards.DEVICE_COOKIE, PHONE_A)
    assert client.get(f"/v/{token}").status_code == 200
    assert _device(app, token) is None  # looking at the page binds nothing
    first = phone(app, token, PHONE_A)
    assert first.is_connected("/voter")
    assert _device(app, token) == cards.device_key(PHONE_A)
    assert client.get(f"/v/{token}").status_code == 200  # the same phone again


def test_an_unknown_card_gets_a_404_refusal_page(app, api, client):
    api.meeting(cards=1, items=1)
    r = client.get("/v/AAAAAAAAAAAAAAAAAAAAAA")
    assert r.status_code == 404 and r.mimetype == "text/html"
    html = r.get_data(as_text=True)
    assert _reason(html) == "unknown_card"
    assert "请联系会务工作人员" in html
    assert "/static/voter.js" not in html


def test_a_card_bound_to_another_phone_is_refused_and_stays_bound(app, api, client):
    made = api.meeting(cards=1, items=1)
    token = made["cards"][0]["token"]
    assert phone(app, token, PHONE_A).is_connected("/voter")

    thief = app.test_client()
    thief.set_cookie(cards.DEVICE_COOKIE, PHONE_B)
    r = thief.get(f"/v/{token}")
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert _reason(html) == "card_in_use"
    assert "请联系会务工作人员" in html
    assert made["meeting"]["title"] in html
    # a phone with no cookie yet is refused too, and gets its device cookie
    fresh = app.test_client()
    assert fresh.get(f"/v/{token}").status_code == 409
    assert fresh.get_cookie(cards.DEVICE_COOKIE) is not None

    assert _device(app, token) == cards.device_key(PHONE_A)
    assert phone(app, token, PHONE_A).is_connected("/voter")  # the owner still gets in
    assert not phone(app, token, PHONE_B).is_connected("/voter")

    # once the secretary releases the card, the other phone may take it
    api.post(f"/meetings/{made['meeting']['id']}/cards/1/release", status=200)
    assert thief.get(f"/v/{token}").status_code == 200


def test_a_withdrawn_card_is_refused(app, api, client):
    made = api.meeting(cards=2, items=1)
    token = made["cards"][0]["token"]
    client.set_cookie(cards.DEVICE_COOKIE, PHONE_A)
    assert phone(app, token, PHONE_A).is_connected("/voter")
    api.post(f"/meetings/{made['meeting']['id']}/cards/1/revoke", status=200)
    r = client.get(f"/v/{token}")  # even on the phone that held it
    assert r.status_code == 409
    assert _reason(r.get_data(as_text=True)) == "revoked"
    other = app.test_client().get(f"/v/{made['cards'][1]['token']}")
    assert other.status_code == 200  # the meeting's other cards are untouched


def test_the_page_works_in_english(app, api, client):
    made = api.meeting(cards=1, items=1)
    token = made["cards"][0]["token"]
    client.set_cookie("ceping_lang", "en")
    r = client.get(f"/v/{token}")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert _strings(html)["progress"]
    r = client.get("/v/AAAAAAAAAAAAAAAAAAAAAA")
    assert r.status_code == 404 and '<html lang="en">' in r.get_data(as_text=True)


def test_the_phone_page_stays_small(app, api, client):
    """The page and everything it loads, as the server sends them to a phone asking for gzip
    (over plain http phones do not offer brotli): at most 60 KB."""
    made = api.meeting(cards=1, items=1)
    gzip_only = {"Accept-Encoding": "gzip, deflate"}
    page = client.get(f"/v/{made['cards'][0]['token']}", headers=gzip_only)
    assert page.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(page.get_data()).decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', html)
    assert {"/static/voter.js", "/static/voter.css", "/static/vendor/socket.io.min.js"} <= set(
        assets
    )
    sent = len(page.get_data())
    for url in assets:
        r = client.get(url, headers=gzip_only)
        assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip", url
        sent += len(r.get_data())
        again = client.get(url, headers=gzip_only)  # compressed once, then kept
        assert again.get_data() == r.get_data()
    assert sent <= 60_000, sent
    ours = [html.encode(), (ROOT / "static/voter.js").read_bytes(),
            (ROOT / "static/voter.css").read_bytes()]  # fmt: skip
    # uncompressed, our own files: catches bloat early (the comment box and the resume on
    # reconnect took it from 32 to 34 KB; the speech banner, 查看材料 and 大字 may take up to 42;
    # the materials' reader is a script of its own, loaded when first opened)
    assert sum(len(part) for part in ours) < 42_000
