"""Access: who may see and change what, walked from the app's own route map and namespaces.

- every route of `app.url_map` refuses a caller without the admin token or a console login,
  except an explicit allow-list of public routes (checked to be exactly what it says);
- every Socket.IO namespace refuses the wrong credential (a new namespace fails the test until
  its rule is written down here);
- a logged-in console cannot be made to change anything without its page's CSRF token;
- every secret check is a constant-time comparison, and failed guesses are limited per target
  (the admin account, each meeting's screen key), not per address, without locking out the
  secretary or the projector;
- a card of one meeting cannot touch another meeting.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest

from app import socketio
from conftest import ADMIN_TOKEN, phone, received, vote
from voting import auth
from walk import SAFE, calls, dump, endpoints, namespaces

#: What a caller with no credential gets from each public route (called with real values: a
#: card's own token, an open-join meeting's join key). Every other route must refuse.
PUBLIC = {
    "static": 200,  # CSS, scripts, the vendored Socket.IO client
    "pages.healthz": 200,
    "pages.home": 302,  # to the console
    "pages.language": 302,  # sets the language cookie, back to the page
    "voter.ballot": 200,  # the card's token is the phone's credential
    "voter.join": 302,  # open join mode: the join key hands out a card
    "console.index": 200,  # the login form (the meetings only after a login)
    "console.login": 401,  # with no secret: the login form again
    "console.logout": 302,
}
REFUSED = (401, 404)  # or a redirect to the login form


@pytest.fixture
def board(app, api) -> SimpleNamespace:
    """Meeting a (cards, 3 cards, item x revealed, item y draft) and meeting b (open join)."""
    a = api.meeting(cards=3, items=2, title="甲会议 述法测评")
    aid = a["meeting"]["id"]
    x, y = a["items"]
    p = phone(app, a["cards"][0]["token"])
    api.move(aid, "open", [x], override_quorum=True)
    assert vote(p, x, "satisfied")["ok"]
    api.move(aid, "close", [x])
    api.move(aid, "reveal", [x])
    b = api.post(
        "/meetings", {"title": "乙会议", "expected": 4, "join_mode": "open"}, 201
    ).get_json()
    (bi,) = api.post(
        f"/meetings/{b['id']}/items", {"items": [{"subject": "乙会议的测评项"}]}, 201
    ).get_json()["ids"]
    bcard = api.post(f"/meetings/{b['id']}/cards", {"count": 1}, 201).get_json()["cards"][0]
    return SimpleNamespace(
        a=a["meeting"], b=b, x=x, y=y, bi=bi, cards=a["cards"], bcard=bcard,
        db=app.config["DATABASE"],
    )  # fmt: skip


def known(board) -> dict[str, list[Any]]:
    return {
        "meeting_id": [board.a["id"]],
        "item_id": [board.y],
        "number": [2],
        "token": [board.cards[2]["token"]],  # a card no phone holds yet
        "key": [board.b["join_key"]],
        "code": ["en"],
        "filename": ["base.css"],
    }


def secrets_of(board) -> dict[str, str]:
    """Values no answer to an anonymous caller may hold."""
    out = {
        "admin token": ADMIN_TOKEN,
        "screen key a": board.a["screen_key"],
        "screen key b": board.b["screen_key"],
        "join key a": board.a["join_key"],  # a cards meeting: its join key is never used
        "item subject": "市第0局",
    }
    for card in board.cards[:2]:  # the third card's own page may hold its own token
        out[f"card {card['number']}"] = card["token"]
    return out


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf[-_]token"\s+(?:content|value)="([^"]+)"', page)
    assert found, "no CSRF token in the page"
    return found.group(1)


def anonymous(app, name: str, board):
    """A browser with no admin credential, as strong as one can be: it has loaded the login
    form (its own session and CSRF token) and, for some, holds a card or a screen key."""
    client = app.test_client()
    headers = {"X-CSRFToken": csrf_of(client.get("/console/").get_data(as_text=True))}
    if name == "a phone":
        client.get(f"/v/{board.cards[0]['token']}")  # its device cookie
        headers["Authorization"] = f"Bearer {board.cards[0]['token']}"
    elif name == "the screen key":
        headers["Authorization"] = f"Bearer {board.a['screen_key']}"
    elif name == "a wrong admin token":
        headers["Authorization"] = f"Bearer {ADMIN_TOKEN}x"
    return client, headers


IDENTITIES = ["nobody", "a phone", "the screen key", "a wrong admin token"]


def refused(r) -> bool:
    if r.status_code in REFUSED:
        return True
    location = r.headers.get("Location", "")
    return r.status_code == 302 and location.startswith("/console/?next=")


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_route_refuses_a_caller_without_the_admin_token_or_a_login(app, board, identity):
    assert set(PUBLIC) <= endpoints(app), "the allow-list names a route that does not exist"
    client, headers = anonymous(app, identity, board)
    secrets = secrets_of(board)
    before = dump(board.db)
    walked = calls(app, known(board))
    answered: dict[str, set[int]] = {}
    for call in walked:
        app.extensions["ceping"].throttle.succeeded(auth.ADMIN)  # limits are tested below
        r = client.open(call.url, method=call.method, headers=headers)
        text = r.get_data(as_text=True) + " " + r.headers.get("Location", "")
        leaked = [name for name, value in secrets.items() if value in text]
        assert not leaked, (identity, call, leaked)
        if call.endpoint in PUBLIC:
            answered.setdefault(call.endpoint, set()).add(r.status_code)
        else:
            assert refused(r), (identity, call, r.status_code, text[:200])
    # every public route was reached and answers as listed (so the list is exactly right)
    assert answered == {e: {status} for e, status in PUBLIC.items()}, answered
    changed = [t for (t, rows), (_, old) in zip(dump(board.db), before, strict=True) if rows != old]
    assert set(changed) <= {"cards"}, changed  # only open join's new card for this browser


def test_the_admin_token_opens_every_route(app, board, api):
    """The other side of the walk above: with the token nothing is refused as unauthorised."""
    reading = api.post(f"/meetings/{board.a['id']}/reading", None, 201).get_json()["reading_key"]
    gets = lambda r: sorted(r.methods & {"GET"})  # noqa: E731
    walked = calls(app, {**known(board), "reading": [reading]}, gets)
    for call in walked:
        r = api.client.get(call.url, headers=api.headers)
        # a 404 is an answer (e.g. an item with no follow-up record), not a refusal
        assert r.status_code < 400 or r.status_code == 404, (call, r.status_code)
        assert r.status_code != 404 or r.is_json, (call, "a 404 page instead of the API's JSON")


# -- Socket.IO --------------------------------------------------------------------------------

#: Which credential each namespace takes. A new namespace fails the test until it is listed.
NAMESPACE_CREDENTIAL = {"/voter": "card", "/screen": "screen key", "/console": "admin"}


def credentials(board) -> dict[str, Any]:
    a = board.a["id"]
    return {
        "none": None,
        "empty": {},
        "card": {"token": board.cards[1]["token"], "device": "walk-phone-1"},
        "card of b": {"token": board.bcard["token"], "device": "walk-phone-2"},
        "card as screen key": {"meeting": a, "key": board.cards[2]["token"]},
        "screen key": {"meeting": a, "key": board.a["screen_key"]},
        "screen key of b": {"meeting": a, "key": board.b["screen_key"]},
        "b with a's key": {"meeting": board.b["id"], "key": board.a["screen_key"]},
        "wrong admin": {"token": ADMIN_TOKEN + "x", "meeting": a},
        "admin": {"token": ADMIN_TOKEN, "meeting": a},
    }


ACCEPTS = {
    "card": {"card", "card of b"},
    "screen key": {"screen key", "admin"},
    "admin": {"admin"},
}


def test_every_namespace_refuses_the_wrong_credential(app, board):
    found = namespaces(socketio)
    assert set(found) == set(NAMESPACE_CREDENTIAL), f"say what {set(found)} accept"
    for ns, kind in NAMESPACE_CREDENTIAL.items():
        for name, cred in credentials(board).items():
            app.extensions["ceping"].throttle.succeeded(auth.ADMIN)
            client = socketio.test_client(app, namespace=ns, auth=cred)
            assert client.is_connected(ns) == (name in ACCEPTS[kind]), (ns, name)
            if client.is_connected(ns):
                client.disconnect(namespace=ns)


def test_a_console_login_opens_the_console_and_projector_sockets_and_a_phone_does_not(app, board):
    secretary = logged_in(app)
    for ns in ("/console", "/screen"):
        c = socketio.test_client(
            app, namespace=ns, auth={"meeting": board.a["id"]}, flask_test_client=secretary
        )
        assert c.is_connected(ns), ns
    visitor = app.test_client()
    visitor.get(f"/v/{board.cards[0]['token']}")  # a phone's cookies
    visitor.get("/console/")
    for ns in ("/console", "/screen"):
        c = socketio.test_client(
            app, namespace=ns, auth={"meeting": board.a["id"]}, flask_test_client=visitor
        )
        assert not c.is_connected(ns), ns


# -- CSRF ---------------------------------------------------------------------------------------


def logged_in(app, secret: str = ADMIN_TOKEN):
    client = app.test_client()
    token = csrf_of(client.get("/console/").get_data(as_text=True))
    r = client.post("/console/login", data={"secret": secret, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return client


#: Bodies the right CSRF token would get accepted, so a refusal comes from the missing token.
GOOD = {
    "api.create_meeting": lambda b: {"title": "跨站创建", "expected": 3},
    "api.update_meeting": lambda b: {"title": "跨站改名"},
    "api.copy_meeting": lambda b: {},
    "api.add_items": lambda b: {"items": [{"subject": "跨站添加"}]},
    "api.edit_item": lambda b: {"subject": "跨站修改"},
    "api.order_items": lambda b: {"items": [b.y, b.x]},
    "api.parse_items": lambda b: {"text": "市公安局 张三 局长"},
    "api.issue_cards": lambda b: {"count": 1},
    "api.move": lambda b: {"items": [b.y], "override_quorum": True},
}


def test_a_logged_in_console_changes_nothing_without_its_csrf_token(app, board):
    secretary = logged_in(app)
    page = secretary.get(f"/console/meetings/{board.a['id']}").get_data(as_text=True)
    token = csrf_of(page)
    stranger = csrf_of(app.test_client().get("/console/").get_data(as_text=True))
    before = dump(board.db)
    unsafe = calls(app, known(board), methods=lambda r: sorted(r.methods - SAFE))
    assert {"api.move", "api.create_meeting", "console.logout", "console.login"} <= {
        c.endpoint for c in unsafe
    }
    for call in unsafe:
        body = GOOD.get(call.endpoint, lambda b: {})(board)
        for headers in ({}, {"X-CSRFToken": "forged"}, {"X-CSRFToken": stranger}):
            r = secretary.open(call.url, method=call.method, json=body, headers=headers)
            assert r.status_code == 400, (call, headers, r.status_code)
            assert "CSRF" in r.get_data(as_text=True), (call, r.get_data(as_text=True)[:200])
            form = secretary.open(call.url, method=call.method, data={"secret": ADMIN_TOKEN})
            assert form.status_code == 400, (call, "form", form.status_code)
    assert dump(board.db) == before
    assert secretary.get("/api/meetings").status_code == 200  # still logged in: logout refused

    # the same session with its token may (so the refusals above came from the token alone)
    r = secretary.patch(
        f"/api/meetings/{board.a['id']}", json={"title": "改名"}, headers={"X-CSRFToken": token}
    )
    assert r.status_code == 200, r.get_json()
    r = secretary.post("/console/logout", data={"csrf_token": token})
    assert r.status_code == 302
    assert secretary.get("/api/meetings").status_code == 401


# -- constant-time checks ---------------------------------------------------------------------


def test_every_secret_is_compared_in_constant_time(app, board, monkeypatch):
    compared: list[tuple[bytes, bytes]] = []
    real = auth.hmac.compare_digest

    def spy(a, b):
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    short = "x"  # a guess of another length is compared too, not cut short
    key = board.a["screen_key"]

    def checked(secret: str) -> bool:
        hit = any(a == short.encode() and b == secret.encode() for a, b in compared)
        compared.clear()
        return hit

    app.test_client().post("/console/login", data={"secret": short})  # refused by CSRF first
    client = app.test_client()
    token = csrf_of(client.get("/console/").get_data(as_text=True))
    client.post("/console/login", data={"secret": short, "csrf_token": token})
    assert checked(ADMIN_TOKEN), "login"
    app.test_client().get("/api/meetings", headers={"Authorization": f"Bearer {short}"})
    assert checked(ADMIN_TOKEN), "bearer"
    app.test_client().get(f"/screen/{board.a['id']}?key={short}")
    assert checked(key), "projector page"
    socketio.test_client(app, namespace="/screen", auth={"meeting": board.a["id"], "key": short})
    assert checked(key), "projector socket"
    socketio.test_client(app, namespace="/console", auth={"token": short})
    assert checked(ADMIN_TOKEN), "console socket"


# -- brute force ------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app) -> Clock:
    c = Clock()
    app.extensions["ceping"].throttle.clock = c
    return c


def try_login(app, secret: str, client=None, address: str = "10.0.0.1"):
    client = client or app.test_client()
    base = {"REMOTE_ADDR": address}
    token = csrf_of(client.get("/console/", environ_base=base).get_data(as_text=True))
    r = client.post(
        "/console/login", data={"secret": secret, "csrf_token": token}, environ_base=base
    )
    return r


def test_failed_logins_are_limited_per_account_with_a_growing_wait(app, clock):
    # Five mistakes are free, from any number of addresses (one hall, one NAT address or many).
    for n in range(5):
        assert try_login(app, f"guess-{n}", address=f"10.0.0.{n}").status_code == 401
    # Then every attempt waits, twice as long after each failure, up to a minute; until the
    # wait is over an attempt is refused unchecked, even with the right secret.
    waits = []
    for n in range(9):
        locked = try_login(app, ADMIN_TOKEN, address=f"10.0.2.{n}")
        assert locked.status_code == 429
        assert "秒后再试" in locked.get_data(as_text=True)
        waits.append(int(locked.headers["Retry-After"]))
        clock.now += waits[-1]
        assert try_login(app, f"guess-{n}", address=f"10.0.1.{n}").status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    # The secretary who waits gets in, and that clears the count.
    clock.now += 60
    assert try_login(app, ADMIN_TOKEN).status_code == 302
    assert app.extensions["ceping"].throttle.failures(auth.ADMIN) == 0


DOORS = {
    "login form": lambda app, guess: try_login(app, guess),
    "bearer token": lambda app, guess: app.test_client().get(
        "/api/meetings", headers={"Authorization": f"Bearer {guess}"}
    ),
    "console socket": lambda app, guess: socketio.test_client(
        app, namespace="/console", auth={"token": guess}
    ),
}


@pytest.mark.parametrize("door", DOORS)
def test_guesses_through_any_door_count_against_the_one_admin_account(app, clock, door):
    for n in range(5):
        DOORS[door](app, f"guess-{n}")
    assert app.extensions["ceping"].throttle.failures(auth.ADMIN) == 5
    for other in DOORS.values():  # every door now waits, the right secret too
        r = other(app, ADMIN_TOKEN)
        if hasattr(r, "status_code"):
            assert r.status_code == 429
        else:
            assert not r.is_connected("/console")
    clock.now += 1
    assert try_login(app, ADMIN_TOKEN).status_code == 302


def test_an_attack_does_not_lock_out_the_secretary_s_laptop_or_open_consoles(app, board, clock):
    laptop = app.test_client()
    assert try_login(app, ADMIN_TOKEN, client=laptop).status_code == 302  # earlier that day
    laptop.post("/console/logout", data={"csrf_token": csrf_of(
        laptop.get(f"/console/meetings/{board.a['id']}").get_data(as_text=True))})  # fmt: skip
    running = logged_in(app)  # a console that stays logged in
    for n in range(30):  # an attacker in the hall keeps guessing, every way there is
        try_login(app, f"guess-{n}")
        app.test_client().get("/api/meetings", headers={"Authorization": f"Bearer guess-{n}"})
        socketio.test_client(app, namespace="/console", auth={"token": f"guess-{n}"})
        clock.now += 0.5
    assert app.extensions["ceping"].throttle.failures(auth.ADMIN) > 5
    assert try_login(app, ADMIN_TOKEN).status_code == 429  # a new browser must wait
    r = app.test_client().get("/api/meetings", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 429 and r.get_json()["error"] == "too_many_attempts"
    assert r.headers["Retry-After"]
    # the laptop that logged in before has its own count: it gets in at once
    assert try_login(app, ADMIN_TOKEN, client=laptop).status_code == 302
    assert laptop.get("/api/meetings").status_code == 200
    assert running.get("/api/meetings").status_code == 200  # sessions are never guesses


def test_screen_key_guesses_are_limited_per_meeting(app, board, clock):
    a, b = board.a, board.b
    projector = app.test_client()
    assert projector.get(f"/screen/{a['id']}?key={a['screen_key']}").status_code == 200
    for n in range(10):
        assert app.test_client().get(f"/screen/{a['id']}?key=guess{n}").status_code == 404
    page = app.test_client().get(f"/screen/{a['id']}?key={a['screen_key']}")
    assert page.status_code == 429  # a's key is now guarded ...
    auth_a = {"meeting": a["id"], "key": a["screen_key"]}
    assert not socketio.test_client(app, namespace="/screen", auth=auth_a).is_connected("/screen")
    # ... but not meeting b's, nor the admin account
    assert app.test_client().get(f"/screen/{b['id']}?key={b['screen_key']}").status_code == 200
    assert try_login(app, ADMIN_TOKEN).status_code == 302
    # the projector that loaded its page before reconnects at once
    again = socketio.test_client(app, namespace="/screen", auth=auth_a, flask_test_client=projector)
    assert again.is_connected("/screen")
    clock.now += 2
    assert app.test_client().get(f"/screen/{a['id']}?key={a['screen_key']}").status_code == 200


def test_card_token_guesses_are_not_limited_so_they_cannot_lock_a_hall_out(app, board):
    """Card tokens are 128 random bits: guessing one is hopeless, and a guess names no card to
    count it against. Limiting failed card look-ups could only let one phone lock every phone
    out (SECURITY.md)."""
    for n in range(300):
        guess = f"{n:022d}"
        assert app.test_client().get(f"/v/{guess}").status_code == 404
        c = socketio.test_client(app, namespace="/voter", auth={"token": guess})
        assert not c.is_connected("/voter")
    assert app.test_client().get(f"/v/{board.cards[1]['token']}").status_code == 200
    assert phone(app, board.cards[1]["token"]).is_connected("/voter")


# -- one meeting's cards and another meeting --------------------------------------------------


def test_a_card_cannot_touch_another_meeting(app, api, board):
    b = board.b["id"]
    api.move(b, "open", [board.bi], override_quorum=True)
    a_phone = phone(app, board.cards[1]["token"])
    (state,) = received(a_phone, "/voter", "state")
    assert state["meeting"]["id"] == board.a["id"]
    before = dump(board.db)

    # vote on b's open item, or on a's items disguised as b's
    ack = vote(a_phone, board.bi, "satisfied")
    assert ack["ok"] is False and ack["error"] == "unknown_item" and ack["item"] == board.bi
    assert dump(board.db) == before
    # its state stays its own meeting's (where nothing is open)
    ack = a_phone.emit("state", {"meeting": b}, namespace="/voter", callback=True)
    assert ack["ok"] and ack["state"]["meeting"]["id"] == board.a["id"]
    assert ack["state"]["items"] == []
    # open b's projector, or a's, with a card token
    for meeting in (b, board.a["id"]):
        token = board.cards[1]["token"]
        assert app.test_client().get(f"/screen/{meeting}?key={token}").status_code == 404
        c = socketio.test_client(app, namespace="/screen", auth={"meeting": meeting, "key": token})
        assert not c.is_connected("/screen")
    # nor can the phone's browser read any admin route of b
    browser = app.test_client()
    browser.get(f"/v/{board.cards[1]['token']}")
    for path in (f"/api/meetings/{b}", f"/api/meetings/{b}/results", f"/console/meetings/{b}"):
        assert refused(browser.get(path)), path
    # a's projector key does not open b's projector either
    assert app.test_client().get(f"/screen/{b}?key={board.a['screen_key']}").status_code == 404
    assert received(a_phone, "/voter", "state") == []
    assert api.get(f"/meetings/{b}/turnout").get_json()["voted"] == {}


@pytest.mark.server
def test_a_page_elsewhere_cannot_hijack_the_console_socket_with_the_secretary_s_cookie(tmp_path):
    """Cross-site WebSocket hijacking: a hostile page in the secretary's browser could open a
    socket that carries the console's cookie. The server admits only its own origin."""
    import requests
    import socketio as sio

    from realserver import TOKEN, Server

    server = Server(tmp_path, "gevent")
    try:
        browser = requests.Session()
        page = browser.get(f"{server.url}/console/", timeout=10).text
        r = browser.post(
            f"{server.url}/console/login", data={"secret": TOKEN, "csrf_token": csrf_of(page)},
            allow_redirects=False, timeout=10,
        )  # fmt: skip
        assert r.status_code == 302
        cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)

        def connects(origin: str) -> bool:
            client = sio.Client(reconnection=False)
            try:
                headers = {"Cookie": cookie, "Origin": origin}
                client.connect(server.url, namespaces=["/console"], transports=["polling"],
                               headers=headers, wait_timeout=5)  # fmt: skip
            except sio.exceptions.ConnectionError:
                return False  # (polling: websocket-client sends an Origin header of its own)
            client.disconnect()
            return True

        assert connects(server.url)  # the console page itself
        assert not connects("http://evil.example")
        assert not connects(server.url.replace("127.0.0.1", "localhost"))  # another origin
        assert not connects(server.url.rsplit(":", 1)[0] + ":1")  # same host, another port
    finally:
        server.stop()
