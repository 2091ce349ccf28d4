"""Fixtures in the manner of Flask's tutorial: `app`, `client`, and an admin API helper."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from app import create_app, socketio

ADMIN_TOKEN = "test-admin-token-0123456789"


@pytest.fixture
def app(tmp_path):
    app = create_app(
        {"INSTANCE": str(tmp_path), "TESTING": True, "ADMIN_TOKEN": ADMIN_TOKEN,
         "PUSH_INTERVAL": 0.05, "CLOCK_INTERVAL": 0.2}
    )  # fmt: skip
    yield app
    app.extensions["ceping"].stopping.set()


@pytest.fixture
def client(app):
    return app.test_client()


class Api:
    """The admin API through Flask's test client, with the admin token."""

    def __init__(self, client):
        self.client = client
        self.headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}

    def post(self, path: str, body: Any = None, status: int | None = None):
        r = self.client.post(f"/api{path}", json=body, headers=self.headers)
        if status is not None:
            assert r.status_code == status, r.get_json()
        return r

    def send(self, method: str, path: str, body: Any = None, status: int | None = None):
        """Any other method (PATCH, DELETE) with the admin token."""
        r = self.client.open(f"/api{path}", method=method, json=body, headers=self.headers)
        if status is not None:
            assert r.status_code == status, r.get_json()
        return r

    def get(self, path: str, status: int | None = 200):
        r = self.client.get(f"/api{path}", headers=self.headers)
        if status is not None:
            assert r.status_code == status, r.get_json()
        return r

    def meeting(self, cards: int = 5, items: int = 1, **settings: Any) -> dict[str, Any]:
        """A meeting with `items` items and `cards` cards: {meeting, items, cards}."""
        body = {"title": "市人大常委会 述法测评", "expected": cards, **settings}
        m = self.post("/meetings", body, 201).get_json()
        new = [
            {"subject": f"市第{n}局", "person": f"局长{n}", "kind": "oral"} for n in range(items)
        ]
        ids = self.post(f"/meetings/{m['id']}/items", {"items": new}, 201).get_json()["ids"]
        issued = self.post(f"/meetings/{m['id']}/cards", {"count": cards}, 201).get_json()["cards"]
        return {"meeting": m, "items": ids, "cards": issued}

    def move(self, meeting_id: int, action: str, items: list[int], status: int = 200, **extra):
        return self.post(f"/meetings/{meeting_id}/{action}", {"items": items, **extra}, status)


@pytest.fixture
def api(client):
    return Api(client)


def phone(app, token: str, device: str | None = None):
    """A phone connected to /voter with its card (a Socket.IO test client)."""
    auth = {"token": token, "device": device or f"device-{token}"}
    return socketio.test_client(app, namespace="/voter", auth=auth)


def vote(client, item: int, choice: str, ballot: str | None = None, **extra):
    """Emit one vote and return the ack."""
    entry = {"item": item, "choice": choice, "ballot": ballot or str(uuid.uuid4()), **extra}
    return client.emit("vote", {"votes": [entry]}, namespace="/voter", callback=True)


def received(client, namespace: str, name: str) -> list[Any]:
    """The payloads of every `name` event a test client has received (and drains the rest)."""
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]
