"""One error type, answered once: each kind of `CepingError` as JSON under /api (with its status,
code, message and the fields and headers it always had), as a page elsewhere, and as a
Socket.IO ack."""

from __future__ import annotations

import pytest
from flask import Flask

from display.fonts import FontMissing
from voting.errors import (
    BadInput,
    CepingError,
    MoveRefused,
    NotFound,
    Refused,
    RuleError,
    TooManyAttempts,
    Unauthorized,
)
from voting.web_errors import ack

KINDS: dict[str, CepingError] = {
    "bad-input": BadInput("'title' is missing.", "bad_title"),
    "not-found": NotFound("No meeting 9."),
    "refused": Refused("not_open", "Item 3 is not open.", item=3),
    "refused-no-item": Refused("started", "Voting has started."),
    "move-refused": MoveRefused("bad_move", "Item 4 is closed.", item=4),
    "rule": RuleError("Unknown scale 'x'."),
    "unauthorized": Unauthorized("This needs the admin token."),
    "too-many": TooManyAttempts(2.2),
    "no-font": FontMissing(),
}

ANSWERS = {
    "bad-input": (400, {"error": "bad_title", "message": "'title' is missing."}, {}),
    "not-found": (404, {"error": "not_found", "message": "No meeting 9."}, {}),
    "refused": (409, {"error": "not_open", "message": "Item 3 is not open.", "item": 3}, {}),
    "refused-no-item": (409, {"error": "started", "message": "Voting has started.", "item": None},
                        {}),
    "move-refused": (409, {"error": "bad_move", "message": "Item 4 is closed.", "item": 4}, {}),
    "rule": (400, {"error": "bad_rule", "message": "Unknown scale 'x'."}, {}),
    "unauthorized": (401, {"error": "unauthorized", "message": "This needs the admin token."},
                     {"WWW-Authenticate": "Bearer"}),
    "too-many": (429, {"error": "too_many_attempts", "retry_after": 3,
                       "message": "失败次数过多，请 3 秒后再试。"},
                 {"Retry-After": "3"}),
    "no-font": (503, {"error": "no_font", "message": str(FontMissing())}, {}),
}  # fmt: skip


@pytest.fixture
def raising(app: Flask) -> Flask:
    """The app with two more routes that raise the kind named in their URL."""

    def view(kind: str) -> str:
        raise KINDS[kind]

    app.add_url_rule("/api/raise/<kind>", "raise_api", view)
    app.add_url_rule("/raise/<kind>", "raise_page", view)
    return app


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_answers_in_json_under_the_api(raising, kind):
    status, told, headers = ANSWERS[kind]
    r = raising.test_client().get(f"/api/raise/{kind}")
    assert (r.status_code, r.get_json()) == (status, told)
    for name, value in headers.items():
        assert r.headers[name] == value


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_answers_a_socket_event_with_the_same_words(kind):
    _, told, _ = ANSWERS[kind]
    assert ack(KINDS[kind]) == {"ok": False, **told}


def test_outside_the_api_a_refusal_is_a_page(raising):
    client = raising.test_client()
    r = client.get("/raise/not-found")
    assert r.status_code == 404 and r.mimetype == "text/html"
    page = r.get_data(as_text=True).replace("/raise/not-found", "/screen/987654")
    assert page == client.get("/screen/987654").get_data(as_text=True)  # the not-found page
    r = client.get("/raise/too-many")
    assert r.status_code == 429 and r.mimetype == "text/html" and r.headers["Retry-After"] == "3"
    assert "3" in r.get_data(as_text=True)
    r = client.get("/raise/bad-input")
    assert r.status_code == 400 and r.mimetype == "text/html"
    assert "&#39;title&#39; is missing." in r.get_data(as_text=True)


def test_an_http_error_under_the_api_is_json_and_elsewhere_a_page(app):
    client = app.test_client()
    r = client.get("/api/no/such/route")
    assert (r.status_code, r.get_json()["error"]) == (404, "not_found")
    r = client.get("/api/meetings/1/open")
    assert (r.status_code, r.get_json()["error"]) == (405, "method_not_allowed")
    assert set(r.headers["Allow"].split(", ")) == {"OPTIONS", "POST"}
    r = client.get("/no/such/page")
    assert r.status_code == 404 and r.mimetype == "text/html"


def test_a_refusal_names_an_item_by_its_number_on_the_agenda_not_its_id(api):
    """The secretary counts 第 1, 2, 3 项 as the console lists them; after the first meeting an
    item's id is no number anyone sees. The answer's `item` keeps the id for the page."""
    api.meeting(cards=1, items=4)  # ids 1-4 taken by an earlier meeting
    made = api.meeting(cards=1, items=3)
    mid, third = made["meeting"]["id"], made["items"][2]
    assert third > 3
    r = api.move(mid, "close", [third], status=409).get_json()
    assert (r["error"], r["item"]) == ("not_open", third)
    assert r["message"].startswith("第 3 项尚未开始测评")
    api.move(mid, "open", [third], override_quorum=True)
    r = api.move(mid, "open", [third], status=409, override_quorum=True).get_json()
    assert r["message"].startswith("第 3 项已在测评中")
