"""ceping (测评): starts the command line (ceping.cli), after patching for the async mode.

    python app.py serve [--host 0.0.0.0] [--port 5000] [--async-mode gevent|eventlet|threading]
                        [--cert FILE --key FILE]   # HTTPS, for venues that require it
    python app.py verify          # check the audit chain and recount every closed item
    python app.py token           # print the admin token

This is the only module that knows which async mode runs: it monkey-patches before anything
else is imported. The application itself is the `ceping` package (`create_app`, `socketio`).
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

from ceping import create_app, socketio  # noqa: E402
from ceping.cli import main  # noqa: E402

__all__ = ["create_app", "main", "socketio"]

if __name__ == "__main__":
    sys.exit(main())
