"""ceping (测评), the web application: `create_app` wires the voting side (`voting`, which never
imports `display`) and the display side (`display`) into one Flask app.

    ceping.pages     what every page shares: health check, home, language, the wait page
    ceping.flaskext  Flask made lighter for a hall of phones
    ceping.server    serving the app: runtime, listening socket, access log, what `serve` prints
    ceping.cli       the command line (`python app.py serve | verify | token`)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_compress import Compress
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

from ceping import pages
from ceping.flaskext import CepingFlask, CookieSessions, StaticCache
from ceping.server import runtime_for
from display import publish, qr, screen
from display.documents import Documents, builder_for
from display.events import ConsoleNamespace, ScreenNamespace
from display.exports import bp as exports_bp
from display.ledger import bp as ledger_export_bp
from display.push import Pusher
from voting import api, console, events, labels, reading, rooms, voter, web_errors
from voting.context import Ceping
from voting.dispatch import Phones
from voting.storage import Store

__all__ = ["MAX_MESSAGE", "create_app", "socketio"]

socketio = SocketIO()
babel = Babel()
csrf = CSRFProtect()
compress = Compress()

MAX_MESSAGE = 256 * 1024  # the largest Socket.IO message or HTTP body accepted
ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests pass a temporary instance folder)."""
    instance = (config or {}).get("INSTANCE") or os.environ.get("CEPING_INSTANCE")
    app = CepingFlask(
        __name__,
        root_path=str(ROOT),  # templates/, static/ and translations/ are beside app.py
        instance_path=str(Path(instance).resolve()) if instance else None,
        instance_relative_config=True,
    )
    configure(app, config)
    admin_token = app.config["ADMIN_TOKEN"] or _instance_secret(app, "admin_token")
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        max_http_buffer_size=MAX_MESSAGE,
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=app.config["PING_TIMEOUT"],
        logger=False,
        engineio_logger=False,
    )
    store = Store(app.config["DATABASE"], runtime_for(socketio))
    ceping = Ceping(store=store, admin_token=admin_token, socketio=socketio)
    app.extensions["ceping"] = ceping

    babel.init_app(app, locale_selector=pages.locale)
    compress.init_app(app)
    app.register_blueprint(pages.bp)  # after Flask-Compress: its static files are read whole
    csrf.init_app(app)

    csrf.exempt(api.bp)  # the API checks CSRF itself, for console sessions only (voting.auth)
    csrf.exempt(reading.bp)  # so do the materials' API calls; its readers' routes only read
    app.jinja_env.globals["LANGUAGES"] = pages.LANGUAGES
    app.jinja_env.globals["qr_svg"] = qr.svg  # the card sheet's QR codes
    app.jinja_env.globals["label_map"] = labels.label_map  # the pages swap pushed labels
    for blueprint in (api.bp, voter.bp, console.bp, screen.bp, exports_bp, publish.bp, reading.bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(ledger_export_bp)  # the ledger's XLSX
    socketio.on_namespace(events.VoterNamespace(rooms.VOTER))
    socketio.on_namespace(ScreenNamespace(rooms.SCREEN))
    socketio.on_namespace(ConsoleNamespace(rooms.CONSOLE))
    web_errors.register(app)  # one answer for each refusal, on any page or call
    app.extensions["ceping.pusher"] = Pusher(app, ceping, app.config["PUSH_INTERVAL"])
    app.extensions["ceping.phones"] = Phones(ceping)
    app.extensions["ceping.documents"] = documents(app, ceping)
    if app.config["CLOCK_INTERVAL"]:
        socketio.start_background_task(events.clock, app, app.config["CLOCK_INTERVAL"])
    return app


def documents(app: Flask, ceping: Ceping) -> Documents:
    """The PDFs kept ready (display.documents): drawn by a worker process under gevent or
    eventlet, and then built in the background as soon as what they show changes."""
    runtime = ceping.store.writer.runtime
    builder = builder_for(app.config, runtime, socketio.sleep)
    prebuild = app.config["DOCUMENTS_PREBUILD"]

    def card_base() -> str | None:  # `serve` sets PUBLIC_URL after the app is made
        base = app.config["PUBLIC_URL"]
        return f"{base.rstrip('/')}/v/" if base else None

    return Documents(
        ceping,
        builder,
        Path(app.instance_path) / "documents",
        prebuild=builder_is_process(builder) if prebuild is None else prebuild,
        debounce=app.config["DOCUMENTS_DEBOUNCE"],
        card_base=card_base,
    )


def builder_is_process(builder: object) -> bool:
    from display.builder import ProcessBuilder

    return isinstance(builder, ProcessBuilder)


def configure(app: Flask, config: dict[str, Any] | None) -> None:
    """The settings: defaults, the environment's, then `config`; the instance folder's secrets."""
    app.config.from_mapping(
        ASYNC_MODE="threading",  # `serve` chooses gevent or eventlet
        ADMIN_TOKEN=os.environ.get("CEPING_ADMIN_TOKEN"),
        PUBLIC_URL=os.environ.get("CEPING_PUBLIC_URL"),
        PUSH_INTERVAL=0.1,
        # Engine.IO's heartbeat (s): a phone gone this long is let go and reconnects; a test
        # of phones that went away shortens it rather than wait out the defaults
        PING_INTERVAL=float(os.environ.get("CEPING_PING_INTERVAL", 25)),
        PING_TIMEOUT=float(os.environ.get("CEPING_PING_TIMEOUT", 20)),
        CLOCK_INTERVAL=1.0,
        DOCUMENTS_PROCESS=None,  # None: a worker process under gevent and eventlet
        DOCUMENTS_PREBUILD=None,  # None: where they are drawn by the worker process
        DOCUMENTS_DEBOUNCE=1.0,  # seconds of quiet after a change before the documents build
        MAX_CONTENT_LENGTH=MAX_MESSAGE,
        JSON_SORT_KEYS=False,
        CONSOLE_PASSWORD=os.environ.get("CEPING_CONSOLE_PASSWORD"),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # valid as long as the console's login session
        BABEL_DEFAULT_LOCALE="zh_CN",
        # Pages and their scripts go out compressed (a phone over plain http asks for gzip);
        # a static file is compressed once and kept (StaticCache), a page every time.
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_CACHE_BACKEND=StaticCache,
        COMPRESS_CACHE_KEY=lambda request: request.path,
    )
    app.config.update(config or {})
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Chinese as UTF-8: half the bytes
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)  # ballots, secrets
    app.config.setdefault("DATABASE", str(Path(app.instance_path) / "ceping.sqlite"))
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _instance_secret(app, "secret_key")
    app.session_interface = CookieSessions()


def _instance_secret(app: Flask, name: str) -> str:
    """A random secret kept in the instance folder, made on first start."""
    path = Path(app.instance_path) / name
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(24)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value
