"""Walk the app as it is: every route of `app.url_map` and every Socket.IO namespace and event.

The security tests take their lists from here, never from a hand-written list, so a route or an
event added later is covered (or makes a test fail until someone says what it may do).
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.routing import AnyConverter, BuildError, IntegerConverter, Rule

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})  # the methods that carry a body


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    endpoint: str
    rule: str


def rules(app) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def argument_values(rule: Rule, name: str, known: dict[str, list[Any]]) -> list[Any]:
    """Values for one path argument: every word of an `any(...)`, else what `known` names for
    it, else a guess by its converter (so a new route with a new argument still gets a URL)."""
    converter = rule._converters[name]
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)
    if name in known:
        return known[name]
    if isinstance(converter, IntegerConverter):
        return known.get("meeting_id", [1])
    return ["x"]


def calls(
    app, known: dict[str, list[Any]], methods: Callable[[Rule], Iterable[str]] | None = None
) -> list[Call]:
    """One call per route, method and combination of argument values."""
    adapter = app.url_map.bind("localhost")
    found: dict[tuple[str, str], Call] = {}
    for rule in rules(app):
        names = sorted(rule.arguments)
        choices = [argument_values(rule, n, known) for n in names]
        wanted = methods(rule) if methods else sorted(rule.methods - {"HEAD", "OPTIONS"})
        for method in wanted:
            for values in itertools.product(*choices):
                try:
                    url = adapter.build(
                        rule.endpoint, dict(zip(names, values, strict=True)), method=method
                    )
                except (BuildError, ValueError):
                    continue
                found.setdefault((method, url), Call(method, url, rule.endpoint, rule.rule))
    return sorted(found.values(), key=lambda c: (c.endpoint, c.method, c.url))


def body_calls(app, known: dict[str, list[Any]]) -> list[Call]:
    """One call per route and method that can carry a body, whether or not its view reads one."""
    return calls(app, known, lambda rule: sorted(rule.methods & BODY_METHODS))


def endpoints(app) -> set[str]:
    return {r.endpoint for r in app.url_map.iter_rules()}


def namespaces(socketio) -> dict[str, Any]:
    """{namespace: its handler object} as registered on the Socket.IO server."""
    return dict(socketio.server.namespace_handlers)


def events(handler: Any) -> list[str]:
    """The events a Namespace class handles besides connect and disconnect (`on_<event>`)."""
    return sorted(
        name[3:]
        for name in dir(type(handler))
        if name.startswith("on_")
        and name not in ("on_connect", "on_disconnect")
        and callable(getattr(handler, name))
    )


def socket_events(socketio) -> list[tuple[str, str]]:
    """Every (namespace, event) a client can send an event to, besides connect and disconnect."""
    return [(ns, name) for ns, handler in sorted(namespaces(socketio).items())
            for name in events(handler)]  # fmt: skip


def dump(db_path: str | Path) -> list[tuple[str, list[tuple]]]:
    """Every table's content (sorted), read with plain sqlite3: the database's whole state."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        return [
            (name, sorted(map(tuple, conn.execute(f'SELECT * FROM "{name}"')), key=repr))
            for name in names
        ]
    finally:
        conn.close()


def strings_in(value: Any) -> Iterator[str]:
    """Every string (keys too) inside a decoded JSON value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)
