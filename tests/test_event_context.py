"""Socket.IO events run in a lighter request context (`CepingFlask`, ceping/flaskext.py): no URL
routing, the URL adapter bound once per connection, the connection's session kept between events.
What a user relies on must still hold: the console's login session opens its Socket.IO
connection, and every event of a connection sees it."""

from __future__ import annotations

from flask import request, session, url_for

from app import socketio
from conftest import ADMIN_TOKEN, login, phone, vote


def test_a_logged_in_console_connects_with_its_session_alone(app, client, api):
    m = api.meeting(cards=1, items=1)
    stranger = socketio.test_client(app, namespace="/console", flask_test_client=app.test_client())
    assert not stranger.is_connected("/console")
    assert login(client, ADMIN_TOKEN).status_code == 302
    console = socketio.test_client(app, namespace="/console", flask_test_client=client)
    assert console.is_connected("/console")
    for _ in range(2):  # the second event starts from the connection's kept session
        ack = console.emit("watch", {"meeting": m["meeting"]["id"]}, namespace="/console",
                           callback=True)  # fmt: skip
        assert ack["ok"] and ack["meeting"]["id"] == m["meeting"]["id"]


def test_an_event_builds_urls_but_is_not_routed(app, api):
    m = api.meeting(cards=1, items=1)
    seen = []

    @socketio.on("probe", namespace="/voter")
    def probe(data=None):
        seen.append((request.url_rule, request.routing_exception, dict(session)))
        return url_for("pages.healthz", _external=True)

    try:
        _probe(app, api, m)
    finally:
        socketio.server.handlers["/voter"].pop("probe", None)
    assert seen == [(None, None, {}), (None, None, {})]


def _probe(app, api, m):
    p = phone(app, m["cards"][0]["token"])
    assert p.emit("probe", namespace="/voter", callback=True) == "http://localhost/healthz"
    assert p.emit("probe", namespace="/voter", callback=True) == "http://localhost/healthz"
    api.move(m["meeting"]["id"], "open", m["items"], override_quorum=True)
    assert vote(p, m["items"][0], "satisfied")["ok"]
    assert app.test_client().get("/healthz").get_json() == {"ok": True}  # HTTP still routed
