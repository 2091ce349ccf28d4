"""The framework's limit: a Flask-SocketIO server that only acknowledges each message.

    python bench/bare_server.py [--host 127.0.0.1] [--port 5001] [--async-mode eventlet|gevent]

`bench/load.py` runs it beside the app, under the same load, to show what Flask-SocketIO itself
can do on this machine. It mirrors the app's transport (`ceping`: `create_app`, `serve`): the
same async mode with the same monkey patching, the same ping settings and largest message, the
same connection limit, no logging. It accepts the phones' flow: `/voter` takes any `auth`, and
`vote` acks `{"ok": true, "votes": ["recorded", ...]}` (one per vote) without storing anything;
`/screen` takes any `auth` and hears nothing. There is no meeting, no database and no API.
"""

from __future__ import annotations

import sys

MODES = ("eventlet", "gevent", "threading")


def _requested_mode(argv: list[str]) -> str:
    for n, arg in enumerate(argv):
        if arg == "--async-mode" and n + 1 < len(argv):
            return argv[n + 1]
        if arg.startswith("--async-mode="):
            return arg.split("=", 1)[1]
    return "eventlet"


if __name__ == "__main__":  # patch before anything else is imported, as app.py does
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
import resource  # noqa: E402
from typing import Any  # noqa: E402

from flask import Flask  # noqa: E402
from flask_socketio import SocketIO  # noqa: E402

# The app's transport settings (ceping); tests/test_bench.py checks that they still match.
MAX_MESSAGE = 256 * 1024
PING_INTERVAL = 25
PING_TIMEOUT = 20


def create_app(async_mode: str = "threading") -> tuple[Flask, SocketIO]:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_MESSAGE
    sio = SocketIO(
        app,
        async_mode=async_mode,
        max_http_buffer_size=MAX_MESSAGE,
        ping_interval=PING_INTERVAL,
        ping_timeout=PING_TIMEOUT,
        logger=False,
        engineio_logger=False,
    )

    @app.get("/healthz")
    def healthz():
        return {"ok": True}

    @sio.on("connect", namespace="/voter")
    def voter_connect(auth: Any = None) -> None:
        """Any phone is welcome; nothing is looked up."""

    @sio.on("vote", namespace="/voter")
    def vote(data: Any = None) -> dict[str, Any]:
        """Ack every vote of the message as recorded; nothing is stored."""
        votes = data.get("votes") if isinstance(data, dict) else None
        count = len(votes) if isinstance(votes, list) else 0
        return {"ok": True, "votes": ["recorded"] * count}

    @sio.on("connect", namespace="/screen")
    def screen_connect(auth: Any = None) -> None:
        """A projector may listen; it hears nothing here."""

    return app, sio


def raise_file_limit() -> int:
    """Lift the open-files limit to its hard maximum, as `app.py serve` does."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--async-mode", choices=MODES, default="eventlet")
    args = parser.parse_args(argv)
    app, sio = create_app(args.async_mode)
    limit = raise_file_limit()
    print(f"bare server on http://{args.host}:{args.port}/ ({args.async_mode})", flush=True)
    kwargs: dict[str, Any] = {"log_output": False}
    if args.async_mode == "eventlet":
        kwargs["max_size"] = max(limit, 1024)  # as ceping.server: eventlet's default is 1,024
    sio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True, **kwargs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
