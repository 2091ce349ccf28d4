"""ceping (测评): the app factory, the Socket.IO instance and the command line.

    python app.py serve [--host 0.0.0.0] [--port 5000] [--async-mode gevent|eventlet|threading]
                        [--cert FILE --key FILE]   # HTTPS, for venues that require it
    python app.py verify          # check the audit chain and recount every closed item
    python app.py token           # print the admin token

This is the only module that knows which async mode runs: it monkey-patches before anything
else is imported, and hands the store a runtime that fits.
"""

from __future__ import annotations

import sys


def _requested_mode(argv: list[str]) -> str:
    for n, arg in enumerate(argv):
        if arg == "--async-mode" and n + 1 < len(argv):
            return argv[n + 1]
        if arg.startswith("--async-mode="):
            return arg.split("=", 1)[1]
    return "gevent"  # the default: docs/PERFORMANCE.md says why


if __name__ == "__main__" and len(sys.argv) > 1 and sys.argv[1] == "serve":
    _MODE = _requested_mode(sys.argv)
    if _MODE == "eventlet":
        import warnings

        warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
        import eventlet

        eventlet.monkey_patch()
    elif _MODE == "gevent":
        from gevent import monkey

        monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import secrets  # noqa: E402
import socket  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask, redirect, render_template, request, url_for  # noqa: E402
from flask.ctx import RequestContext  # noqa: E402
from flask.sessions import SecureCookieSessionInterface  # noqa: E402
from flask_babel import Babel  # noqa: E402
from flask_compress import Compress  # noqa: E402
from flask_socketio import SocketIO  # noqa: E402
from flask_wtf.csrf import CSRFProtect  # noqa: E402

from display import publish, qr, screen  # noqa: E402
from display.events import ConsoleNamespace, ScreenNamespace  # noqa: E402
from display.exports import bp as exports_bp  # noqa: E402
from display.push import Pusher  # noqa: E402
from voting import api, console, demo, events, rooms, voter  # noqa: E402
from voting.auth import TooManyAttempts, too_many  # noqa: E402
from voting.context import Ceping  # noqa: E402
from voting.dispatch import Phones  # noqa: E402
from voting.store import Store  # noqa: E402
from voting.writer import Runtime, threaded_runtime  # noqa: E402

socketio = SocketIO()
babel = Babel()
csrf = CSRFProtect()
compress = Compress()

LANGUAGES = {"zh_CN": "中文", "en": "English"}  # the first is the default
LANG_COOKIE = "ceping_lang"

MAX_MESSAGE = 256 * 1024  # the largest Socket.IO message or HTTP body accepted
BACKLOG = 4096  # connections waiting to be accepted (the kernel caps it at somaxconn)
GC_THRESHOLDS = (10_000, 50, 100)  # CPython's are (700, 10, 10): see `tune_gc`


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. `config` overrides settings (tests pass a temporary instance folder)."""
    instance = (config or {}).get("INSTANCE") or os.environ.get("CEPING_INSTANCE")
    app = CepingFlask(
        __name__,
        instance_path=str(Path(instance).resolve()) if instance else None,
        instance_relative_config=True,
    )
    app.config.from_mapping(
        ASYNC_MODE="threading",  # `serve` chooses gevent or eventlet
        ADMIN_TOKEN=os.environ.get("CEPING_ADMIN_TOKEN"),
        PUBLIC_URL=os.environ.get("CEPING_PUBLIC_URL"),
        PUSH_INTERVAL=0.1,
        CLOCK_INTERVAL=1.0,
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
    app.json.ensure_ascii = False  # Chinese as UTF-8, not \uXXXX: half the bytes on the phone
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)  # ballots, secrets
    app.config.setdefault("DATABASE", str(Path(app.instance_path) / "ceping.sqlite"))
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _instance_secret(app, "secret_key")
    app.session_interface = CookieSessions()
    admin_token = app.config["ADMIN_TOKEN"] or _instance_secret(app, "admin_token")

    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        max_http_buffer_size=MAX_MESSAGE,
        ping_interval=25,
        ping_timeout=20,
        logger=False,
        engineio_logger=False,
    )
    store = Store(app.config["DATABASE"], runtime_for(socketio))
    ceping = Ceping(store=store, admin_token=admin_token, socketio=socketio)
    app.extensions["ceping"] = ceping

    babel.init_app(app, locale_selector=_locale)
    compress.init_app(app)

    @app.after_request
    def _buffer_static(response):
        """Static files are read whole (they are small) so that Flask-Compress, which runs after
        this, gzips them once and keeps them instead of streaming them chunk by chunk."""
        if request.endpoint == "static" and response.status_code == 200 and response.is_streamed:
            response.direct_passthrough = False
            response.set_data(response.get_data())
        return response

    csrf.init_app(app)
    csrf.exempt(api.bp)  # the API checks CSRF itself, for console sessions only (voting.auth)
    app.jinja_env.globals["LANGUAGES"] = LANGUAGES
    app.jinja_env.globals["qr_svg"] = qr.svg  # the card sheet's QR codes

    @app.context_processor
    def _language():
        locale = _locale()
        return {"locale": locale, "html_lang": locale.replace("_", "-")}

    app.register_blueprint(api.bp)
    app.register_blueprint(voter.bp)
    app.register_blueprint(console.bp)
    app.register_blueprint(screen.bp)
    app.register_blueprint(exports_bp)
    app.register_blueprint(publish.bp)
    socketio.on_namespace(events.VoterNamespace(rooms.VOTER))
    socketio.on_namespace(ScreenNamespace(rooms.SCREEN))
    socketio.on_namespace(ConsoleNamespace(rooms.CONSOLE))
    app.extensions["ceping.pusher"] = Pusher(app, ceping, app.config["PUSH_INTERVAL"])
    app.extensions["ceping.phones"] = Phones(ceping)
    if app.config["CLOCK_INTERVAL"]:
        socketio.start_background_task(events.clock, app, app.config["CLOCK_INTERVAL"])

    @app.errorhandler(TooManyAttempts)
    def _too_many(exc: TooManyAttempts):
        """A secret guessed wrong too often (voting.limits): wait, on any page or call."""
        if request.path.startswith("/api/"):
            return too_many(exc)
        page = render_template("too_many.html", seconds=exc.retry_after)
        return page, 429, {"Retry-After": str(exc.retry_after)}

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @app.get("/")
    def home():
        return redirect(url_for("console.index"))

    @app.get("/lang/<code>")
    def language(code: str):
        """Switch the language of every page (a cookie), then go back to the page."""
        target = request.args.get("next") or "/"
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        response = redirect(target)
        if code in LANGUAGES:
            response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax")
        return response

    return app


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

    def get_signing_serializer(self, app: Flask):
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


class AccessLog:
    """The access log without the secrets that travel in URLs: card tokens (`/v/…`), join keys
    (`/j/…`) and screen keys (`?key=…`). A log kept after the meeting must not let anyone use
    a card or open a projector."""

    SECRET = re.compile(r"(/[vj]/)[^\s?#\"]+|([?&]key=)[^\s&#\"]+")

    def __init__(self, out: Any) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(self.SECRET.sub(lambda m: (m[1] or m[2]) + "…", text))

    def flush(self) -> None:
        self.out.flush()


def _gevent_access_log() -> None:
    """Under gevent every request is logged by gevent-websocket's logger, which drops its
    records unless in debug mode; they reach stderr through its parent instead (without the
    URLs' secrets, as `AccessLog` writes them)."""
    import logging

    logging.getLogger("geventwebsocket.handler").setLevel(logging.INFO)
    parent = logging.getLogger("geventwebsocket")
    handler = logging.StreamHandler(AccessLog(sys.stderr))
    handler.setFormatter(logging.Formatter("%(message)s"))
    parent.addHandler(handler)
    parent.propagate = False


def _locale() -> str:
    """zh-CN unless this browser chose another language."""
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else next(iter(LANGUAGES))


def _instance_secret(app: Flask, name: str) -> str:
    """A random secret kept in the instance folder, made on first start."""
    path = Path(app.instance_path) / name
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(24)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def runtime_for(sio: SocketIO) -> Runtime:
    """How the store's writer runs under the server's async mode."""
    mode = sio.async_mode
    if mode not in ("eventlet", "gevent"):
        return threaded_runtime()
    eio = sio.server.eio
    if mode == "eventlet":
        from eventlet import tpool

        offload = tpool.execute
    else:
        import gevent

        def offload(fn, *args):
            return gevent.get_hub().threadpool.apply(fn, args)

    return Runtime(
        spawn=sio.start_background_task,
        queue=eio.create_queue,
        event=eio.create_event,
        offload=offload,
    )


def lan_address() -> str:
    """The address phones on the venue Wi-Fi should use (no packet is sent)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        probe.close()


def _raise_file_limit() -> int:
    """Lift the open-files limit to its hard maximum: every phone holds a socket."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def tune_gc() -> None:
    """Run the cycle collector less often, and never again over the objects made at startup.

    In a burst, thousands of vote handlers wait at once for the writer's commit. The collector
    counts their objects as new, promotes them, and then runs full collections over every
    connection's objects: at 3,000 phones that was about 0.05 ms of a vote's 0.16 ms on the event
    loop (docs/PERFORMANCE.md). The server makes almost no cyclic garbage (a 3,000-phone run leaves
    some 250 objects to collect), so collecting less often costs no memory to speak of.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def serve(args: argparse.Namespace) -> None:
    app = create_app({"ASYNC_MODE": args.async_mode})
    limit = _raise_file_limit()
    host_shown = lan_address() if args.host in ("0.0.0.0", "::") else args.host
    tls = {"certfile": args.cert, "keyfile": args.key} if args.cert else {}
    base = f"{'https' if tls else 'http'}://{host_shown}:{args.port}"
    app.config["PUBLIC_URL"] = app.config["PUBLIC_URL"] or base  # card URLs for the phones
    ceping = app.extensions["ceping"]
    public = app.config["PUBLIC_URL"].rstrip("/")
    print(f"ceping serving on {base}/ ({args.async_mode})", flush=True)
    if args.demo and not ceping.store.meetings():
        demo.create(ceping.store)
        print(f"  created the demo meeting: {demo.TITLE}", flush=True)
    meetings = ceping.store.meetings()
    if meetings:
        m = ceping.store.meeting(meetings[0]["id"])  # the newest
        cards = ceping.store.cards(m["id"])
        print(f"  meeting:     {m['title']} (#{m['id']})", flush=True)
        print(f"  console:     {base}/console/meetings/{m['id']}", flush=True)
        print(f"  projector:   {base}/screen/{m['id']}?key={m['screen_key']}", flush=True)
        if cards:
            print(f"  a voter:     {public}/v/{cards[0]['token']}  (card 1)", flush=True)
    else:
        print(f"  console:     {base}/console/", flush=True)
    print(f"  phones use:  {public}  (the LAN address)", flush=True)
    print(f"  admin token: {ceping.admin_token}", flush=True)
    print(f"  database:    {app.config['DATABASE']}", flush=True)
    tune_gc()
    if args.async_mode == "eventlet":
        import eventlet.wsgi

        # Listen with a deep queue: a hall of phones connects at once, and a full queue drops
        # connections that then retry a second later (eventlet.listen's default queue is 50).
        family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
        listener = eventlet.listen((args.host, args.port), family=family, backlog=BACKLOG)
        if tls:
            listener = eventlet.wrap_ssl(listener, server_side=True, **tls)
        eventlet.wsgi.server(
            listener,
            app,
            log=AccessLog(sys.stderr),
            log_output=args.access_log,
            max_size=max(limit, 1024),  # eventlet's default is 1,024 connections
        )
        return
    kwargs: dict[str, Any] = {"log_output": args.access_log}
    if args.async_mode == "gevent":
        kwargs["backlog"] = BACKLOG
        if args.access_log:
            _gevent_access_log()
        kwargs.update(tls)  # gevent's WSGIServer wraps each connection in TLS
    elif tls:  # Werkzeug's server takes a (certificate, key) pair
        kwargs["ssl_context"] = (args.cert, args.key)
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True, **kwargs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="ceping (测评)")
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="run the server")
    p_serve.add_argument("--host", default="0.0.0.0")
    p_serve.add_argument("--port", type=int, default=5000)
    p_serve.add_argument(
        "--async-mode", choices=("gevent", "eventlet", "threading"), default="gevent"
    )
    p_serve.add_argument("--access-log", action="store_true", help="log every HTTP request")
    p_serve.add_argument("--cert", help="serve HTTPS with this certificate (PEM, with its chain)")
    p_serve.add_argument("--key", help="the certificate's private key (PEM)")
    p_serve.add_argument(
        "--demo", action="store_true", help="create the demo meeting if there is no meeting"
    )
    sub.add_parser("verify", help="check the audit chain and recount every closed item")
    sub.add_parser("token", help="print the admin token")
    args = parser.parse_args(argv)

    if args.command == "serve":
        if bool(args.cert) != bool(args.key):
            parser.error("--cert and --key go together")
        for path in filter(None, (args.cert, args.key)):
            if not Path(path).is_file():
                parser.error(f"no such file: {path}")
        serve(args)
        return 0
    app = create_app({"CLOCK_INTERVAL": 0})
    if args.command == "token":
        print(app.extensions["ceping"].admin_token)
        return 0
    store = app.extensions["ceping"].store
    problems = store.verify()
    for problem in problems:
        print(f"FAIL {problem}")
    head = store.audit_head()
    print(f"audit log: {head['entries']} entries, head {head['hash']}")
    print("verify: OK" if not problems else f"verify: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
