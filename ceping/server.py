"""Serving the app: the async mode's runtime for the store's writer, the listening socket, the
access log without secrets, the garbage collector's settings, and what `serve` prints."""

from __future__ import annotations

import gc
import ipaddress
import re
import socket
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask_socketio import SocketIO

from voting import demo
from voting.writer import Runtime, threaded_runtime

BACKLOG = 4096  # connections waiting to be accepted (the kernel caps it at somaxconn)
GC_THRESHOLDS = (10_000, 50, 100)  # CPython's are (700, 10, 10): see `tune_gc`


@dataclass(frozen=True)
class ServeOptions:
    """The options of `python app.py serve` (ceping.cli)."""

    host: str = "0.0.0.0"
    port: int = 5000
    async_mode: str = "gevent"
    access_log: bool = False
    cert: str | None = None
    key: str | None = None
    demo: bool = False

    @property
    def tls(self) -> dict[str, str]:
        """gevent's and eventlet's TLS arguments; empty for plain http."""
        return {"certfile": self.cert, "keyfile": self.key} if self.cert and self.key else {}


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


def gevent_access_log() -> None:
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

        def offload(fn: Any, *args: Any) -> Any:
            return gevent.get_hub().threadpool.apply(fn, args)

    return Runtime(
        spawn=sio.start_background_task,
        queue=eio.create_queue,
        event=eio.create_event,
        offload=offload,
    )


def lan_address() -> str | None:
    """The address phones on the venue Wi-Fi should use (no packet is sent); None if this
    computer has no route to a network (or only to itself)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("10.255.255.255", 1))
        found: str = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    return None if is_loopback(found) or found == "0.0.0.0" else found


UNSPECIFIED = ("0.0.0.0", "::", "")


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or a name) is this computer's own: 127.0.0.0/8, ::1, localhost."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def unreachable(options: ServeOptions, public: str | None, lan: str | None) -> list[str]:
    """What to say when phones cannot reach the address on the cards: the server listens on this
    computer only, or on every address but no LAN address was found. Nothing when all is well."""
    scheme = "https" if options.tls else "http"
    needed = f"{scheme}://{lan or '<LAN address>'}:{options.port}"
    if public and not is_loopback(urlsplit(public).hostname or ""):
        if is_loopback(options.host):
            return [f"  note:        listening on {options.host} only: phones reach it only through"
                    f" CEPING_PUBLIC_URL ({public}), which a proxy must forward here"]  # fmt: skip
        return []
    if is_loopback(options.host):
        why = f"{options.host} is this computer's own address"
    elif options.host in UNSPECIFIED and not lan:
        why = "no LAN address was found (is this computer on the venue network?)"
    else:
        return []
    return [
        f"  WARNING:     phones cannot reach this server: {why},"
        " and the cards' QR codes point at it.",
        f"               Phones need {needed}: restart with `make run HOST=0.0.0.0`"
        " (or `serve --host 0.0.0.0`),",
        f"               or set CEPING_PUBLIC_URL={needed} (the address phones use) and restart.",
    ]


def raise_file_limit() -> int:
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


def serve(app: Flask, options: ServeOptions) -> None:
    """Print where to go, then serve `app` (made in `options.async_mode`) until stopped."""
    limit = raise_file_limit()
    announce(app, options)
    tune_gc()
    if options.async_mode == "eventlet":
        listen_eventlet(app, options, limit)
    else:
        listen(app, options)


def announce(app: Flask, options: ServeOptions) -> None:
    """The addresses of the console, the projector, a voter and the phones, the admin token and
    the database; the demo meeting is made first if asked for and there is no meeting."""
    lan = lan_address() if options.host in UNSPECIFIED or is_loopback(options.host) else None
    host_shown = (lan or "127.0.0.1") if options.host in UNSPECIFIED else options.host
    base = f"{'https' if options.tls else 'http'}://{host_shown}:{options.port}"
    given = app.config["PUBLIC_URL"]
    warning = unreachable(options, given, lan)
    app.config["PUBLIC_URL"] = given or base  # card URLs for the phones
    ceping = app.extensions["ceping"]
    public = app.config["PUBLIC_URL"].rstrip("/")
    print(f"ceping serving on {base}/ ({options.async_mode})", flush=True)
    if options.demo and not ceping.store.meetings(archived=True):
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
    if given:
        said = "CEPING_PUBLIC_URL"
    elif warning:
        said = "this computer only"
    else:
        said = "the LAN address" if options.host in UNSPECIFIED else "the address given by --host"
    print(f"  phones use:  {public}  ({said})", flush=True)
    print(f"  admin token: {ceping.admin_token}", flush=True)
    print(f"  database:    {app.config['DATABASE']}", flush=True)
    for line in warning:
        print(line, flush=True)


def listen_eventlet(app: Flask, options: ServeOptions, limit: int) -> None:
    """eventlet's WSGI server, with a deep queue: a hall of phones connects at once, and a full
    queue drops connections that then retry a second later (eventlet.listen's default is 50)."""
    import eventlet
    import eventlet.wsgi

    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    listener = eventlet.listen((options.host, options.port), family=family, backlog=BACKLOG)
    if options.tls:
        listener = eventlet.wrap_ssl(listener, server_side=True, **options.tls)
    eventlet.wsgi.server(
        listener,
        app,
        log=AccessLog(sys.stderr),
        log_output=options.access_log,
        max_size=max(limit, 1024),  # eventlet's default is 1,024 connections
    )


def listen(app: Flask, options: ServeOptions) -> None:
    """gevent's WSGI server (the default), or Werkzeug's for threading, through Flask-SocketIO."""
    kwargs: dict[str, Any] = {"log_output": options.access_log}
    if options.async_mode == "gevent":
        kwargs["backlog"] = BACKLOG
        if options.access_log:
            gevent_access_log()
        kwargs.update(options.tls)  # gevent's WSGIServer wraps each connection in TLS
    elif options.tls:  # Werkzeug's server takes a (certificate, key) pair
        kwargs["ssl_context"] = (options.cert, options.key)
    sio: SocketIO = app.extensions["socketio"]
    sio.run(app, host=options.host, port=options.port, allow_unsafe_werkzeug=True, **kwargs)
