"""The secretary's console pages (voting/console.py and its templates) through Flask's test client.

Login with the admin token or the console password, the session and its CSRF token for API
changes, logout, the printable card sheet, and that the pages load nothing from outside the app.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import ADMIN_TOKEN, Modules, login, module_tree

PASSWORD = "console-password-for-tests"
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
STATIC = Path(__file__).resolve().parent.parent / "static"


@pytest.fixture
def app_with_password(app):
    """The app with a console password set in its config (CONSOLE_PASSWORD)."""
    app.config["CONSOLE_PASSWORD"] = PASSWORD
    return app


def logged_in(client) -> bool:
    with client.session_transaction() as session:
        return session.get("admin") is True


def page_csrf(client, path: str) -> str:
    return CSRF_META.search(client.get(path).get_data(as_text=True)).group(1)


# --- login and logout -------------------------------------------------------------------------


def test_the_login_page_asks_for_the_secret(client):
    r = client.get("/console/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert 'id="secret"' in html and 'type="submit"' in html
    assert not logged_in(client)


def test_login_with_the_admin_token_opens_the_meetings_list(client, api):
    api.post("/meetings", {"title": "第一次测评", "expected": 10}, 201)
    r = login(client, ADMIN_TOKEN)
    assert r.status_code == 302 and urlsplit(r.headers["Location"]).path == "/console/"
    assert logged_in(client)
    html = client.get("/console/").get_data(as_text=True)
    assert "第一次测评" in html and 'id="create-form"' in html and 'id="logout"' in html
    assert client.get("/api/meetings").status_code == 200  # the session is an admin login


def test_login_with_the_console_password(app_with_password):
    client = app_with_password.test_client()
    assert login(client, PASSWORD).status_code == 302
    assert logged_in(client)
    assert client.get("/api/meetings").status_code == 200


def test_a_wrong_secret_is_refused_and_opens_no_session(app_with_password):
    client = app_with_password.test_client()
    for wrong in ("wrong", PASSWORD + "x", ADMIN_TOKEN[:-1], ""):
        r = login(client, wrong)
        assert r.status_code == 401
        assert not logged_in(client)
    r = login(client, "wrong")
    assert r.status_code == 401 and "口令不正确" in r.get_data(as_text=True)
    assert client.get("/api/meetings").status_code == 401


def test_without_a_password_in_the_config_only_the_token_works(client):
    assert login(client, PASSWORD).status_code == 401
    assert not logged_in(client)


def test_a_meeting_page_redirects_to_the_login_without_a_session(client, api):
    meeting = api.meeting(cards=2)["meeting"]
    path = f"/console/meetings/{meeting['id']}"
    for wanted in (path, path + "/cards"):
        r = client.get(wanted)
        assert r.status_code == 302
        target = urlsplit(r.headers["Location"])
        assert target.path == "/console/" and parse_qs(target.query)["next"] == [wanted]
    # after the login the secretary lands on the page asked for, not on some other site
    assert urlsplit(login(client, ADMIN_TOKEN, next_=path).headers["Location"]).path == path
    assert login(client, ADMIN_TOKEN, next_="//evil.example/x").headers["Location"] == "/console/"


def test_logout_clears_the_session(client, api):
    meeting = api.meeting(cards=2)["meeting"]
    login(client, ADMIN_TOKEN)
    token = page_csrf(client, "/console/")
    r = client.post("/console/logout", data={"csrf_token": token})
    assert r.status_code == 302
    assert not logged_in(client)
    assert client.get("/api/meetings").status_code == 401
    assert client.get(f"/console/meetings/{meeting['id']}").status_code == 302


# --- the session and its CSRF token ------------------------------------------------------------


def test_api_changes_from_a_session_need_the_page_csrf_token(client, api):
    m = api.meeting(cards=3, items=2)
    meeting_id = m["meeting"]["id"]
    login(client, ADMIN_TOKEN)
    token = page_csrf(client, f"/console/meetings/{meeting_id}")
    before = api.get(f"/meetings/{meeting_id}").get_json()

    path = f"/api/meetings/{meeting_id}"
    assert client.patch(path, json={"title": "改过的标题"}).status_code == 400
    assert client.post(f"{path}/cards", json={"count": 2}).status_code == 400
    assert client.post(f"{path}/open", json={"items": m["items"]}).status_code == 400
    assert (
        client.patch(path, json={"title": "x"}, headers={"X-CSRFToken": "forged"}).status_code
        == 400
    )
    assert api.get(f"/meetings/{meeting_id}").get_json() == before  # nothing changed

    headers = {"X-CSRFToken": token}
    r = client.patch(path, json={"title": "改过的标题"}, headers=headers)
    assert r.status_code == 200 and r.get_json()["title"] == "改过的标题"
    r = client.post(f"{path}/cards", json={"count": 2, "confirm": True}, headers=headers)
    assert r.status_code == 201 and len(r.get_json()["cards"]) == 2
    assert client.get(path).status_code == 200  # reading needs no token


# --- the console page --------------------------------------------------------------------------


def test_the_console_page_shows_the_meeting_and_escapes_its_names(client, api):
    m = api.post("/meetings", {"title": "<script>alert(1)</script> 测评", "expected": 4}, 201)
    meeting_id = m.get_json()["id"]
    login(client, ADMIN_TOKEN)
    r = client.get(f"/console/meetings/{meeting_id}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 测评" in html
    assert f"/screen/{meeting_id}?key=" in html  # the projector link
    assert "实到" in html and 'id="present-count"' in html
    assert client.get("/console/meetings/987654").status_code == 404


# --- the card sheet ---------------------------------------------------------------------------


def test_the_card_sheet_lists_every_issued_card_with_its_qr_and_number(client, api):
    m = api.meeting(cards=14)
    meeting_id = m["meeting"]["id"]
    deputies = api.post(
        f"/meetings/{meeting_id}/cards", {"count": 2, "group": "deputy", "confirm": True}, 201
    )
    deputies = deputies.get_json()["cards"]
    api.post(f"/meetings/{meeting_id}/cards/3/revoke", status=200)
    login(client, ADMIN_TOKEN)

    html = client.get(f"/console/meetings/{meeting_id}/cards").get_data(as_text=True)
    numbers = [int(n) for n in re.findall(r'<article class="qr-card" data-card="(\d+)"', html)]
    assert numbers == [n for n in range(1, 17) if n != 3]  # every card but the revoked one
    assert html.count('<svg class="qr"') == len(numbers)
    for n in numbers:
        assert f"<b>No. {n}</b>" in html
    assert "请用手机扫描二维码参加测评，每卡限一部手机使用" in html
    assert html.count('class="sheet"') == 2  # 12 cards to an A4 page
    assert "@page" in client.get("/static/console.css").get_data(as_text=True)

    only = client.get(f"/console/meetings/{meeting_id}/cards?group=deputy").get_data(as_text=True)
    assert re.findall(r'data-card="(\d+)"', only) == [str(c["number"]) for c in deputies]


def test_the_qr_codes_hold_the_card_urls(app, client, api):
    from display import qr

    app.config["PUBLIC_URL"] = "http://192.168.1.10:5000"
    m = api.meeting(cards=1)
    login(client, ADMIN_TOKEN)
    html = client.get(f"/console/meetings/{m['meeting']['id']}/cards").get_data(as_text=True)
    expected = qr.svg(f"http://192.168.1.10:5000/v/{m['cards'][0]['token']}")
    path = re.search(r' d="([^"]+)"', str(expected)).group(1)
    assert path in html


# --- nothing from outside the app -------------------------------------------------------------


class Assets(HTMLParser):
    """Every address a page loads: scripts, styles, images, frames, media."""

    LOADS = {"script": "src", "img": "src", "iframe": "src", "source": "src", "audio": "src",
             "video": "src", "embed": "src", "object": "data", "image": "href"}  # fmt: skip

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if (
            tag == "link"
            and "stylesheet" in (attrs.get("rel") or "")
            or tag == "link"
            and ("icon" in (attrs.get("rel") or "") or "preload" in (attrs.get("rel") or ""))
        ):
            self.urls.append(attrs.get("href") or "")
        elif tag in self.LOADS and attrs.get(self.LOADS[tag]):
            self.urls.append(attrs[self.LOADS[tag]])


def _same_origin(url: str) -> bool:
    parts = urlsplit(url)
    return url.startswith("data:") or (
        not parts.scheme and not parts.netloc and url.startswith("/")
    )


def test_console_pages_load_only_same_origin_assets(client, api):
    m = api.meeting(cards=3, items=2)
    meeting_id = m["meeting"]["id"]
    pages = ["/console/"]  # the login page
    login(client, ADMIN_TOKEN)
    pages += [
        "/console/",
        f"/console/meetings/{meeting_id}",
        f"/console/meetings/{meeting_id}/cards",
    ]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        parser = Assets()
        parser.feed(html)
        assert parser.urls, path
        for url in parser.urls:
            assert _same_origin(url), (path, url)
            if not url.startswith("data:"):
                assert client.get(url).status_code == 200, (path, url)
        assert "@import" not in html and "url(http" not in html
    scripts = sorted(p.relative_to(STATIC).as_posix() for p in STATIC.glob("[!v]*/*.js"))
    for asset in ("console.css", "meetings.js", *scripts):
        text = client.get(f"/static/{asset}").get_data(as_text=True)
        assert not re.search(r"https?://", text), asset


@pytest.mark.parametrize("page", ["list", "meeting", "ledger"])
def test_the_console_scripts_are_modules_the_page_fetches_ahead(client, api, page):
    """Each page loads one module script; every module it imports exists, is served as
    JavaScript, and is named in the page's modulepreload links (so the browser fetches them at
    once), and nothing else is."""
    login(client, ADMIN_TOKEN)
    meeting_id = api.meeting(items=1)["meeting"]["id"]
    path = {"list": "/console/", "ledger": "/console/ledger"}.get(
        page, f"/console/meetings/{meeting_id}"
    )
    parser = Modules()
    parser.feed(client.get(path).get_data(as_text=True))
    assert len(parser.entries) == 1 and parser.entries[0].startswith("/static/")
    tree = module_tree(STATIC / parser.entries[0].removeprefix("/static/"))
    urls = {"/static/" + p.relative_to(STATIC).as_posix() for p in tree}
    assert parser.preloaded == urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "javascript" in response.mimetype, (url, response.mimetype)
