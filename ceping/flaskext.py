"""Flask, made lighter where a hall of phones makes it busy: each Socket.IO event's request
context, the session signer and the compressed static files (docs/PERFORMANCE.md)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.ctx import RequestContext
from flask.sessions import SecureCookieSessionInterface

SOCKETIO_PATH = "/socket.io"  # Flask-SocketIO's default path


class CepingFlask(Flask):
    """Flask, with a lighter request context for each Socket.IO event.

    Flask-SocketIO pushes a request context for every event, made from the connection's
    handshake request: Flask would bind a URL adapter, route the URL (always /socket.io/, which
    no view serves: routing it and raising NotFound was a quarter of handling a phone's vote),
    and open the session cookie, which Flask-SocketIO then replaces with the connection's own
    session. An event's context here skips the routing, binds the URL adapter once per
    connection, and starts from the connection's session. HTTP requests are left as they are.
    """

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        if environ.get("PATH_INFO", "").startswith(SOCKETIO_PATH):
            return EventContext(self, environ, session=environ.get("saved_session"))
        return super().request_context(environ)

    def create_url_adapter(self, request: Any) -> Any:
        if request is None or not request.path.startswith(SOCKETIO_PATH):
            return super().create_url_adapter(request)
        adapter = request.environ.get("ceping.url_adapter")
        if adapter is None:
            adapter = request.environ["ceping.url_adapter"] = super().create_url_adapter(request)
        return adapter


class EventContext(RequestContext):
    """A Socket.IO event's request context: events are dispatched by name, not by URL."""

    def match_request(self) -> None:
        pass


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signer made once per app instead of per request.

    Flask-SocketIO opens the session for every Socket.IO event, and making the signer (which
    test-serializes an empty dict) was the costliest part of handling a phone's vote.
    """

    def __init__(self) -> None:
        self._signers: dict[int, Any] = {}

    def get_signing_serializer(self, app: Flask) -> Any:
        signer = self._signers.get(id(app))
        if signer is None:
            signer = self._signers[id(app)] = super().get_signing_serializer(app)
        return signer


class StaticCache:
    """Flask-Compress's cache, for files under /static/ only: their bytes never change while the
    server runs, while every page may (the key is the algorithm and the path)."""

    def __init__(self) -> None:
        self._kept: dict[str, bytes] = {}

    @staticmethod
    def _static(key: str) -> bool:
        return key.split(";", 1)[-1].startswith("/static/")

    def get(self, key: str) -> bytes | None:
        return self._kept.get(key) if self._static(key) else None

    def set(self, key: str, value: bytes) -> None:
        if self._static(key):
            self._kept[key] = value
