"""Bad input of any kind, generated: every HTTP route of `app.url_map` with every method, and
every Socket.IO namespace's connect and events (found from the Namespace classes), are fed
garbage by Hypothesis: wrong types, missing and extra fields, huge strings, deep nesting, unknown
items and options, the other meeting's ids, non-JSON bodies, wrong content types, bad path
parameters.

Besides the random draws, every body made (and a fixed list of the nastiest: nested 1,000 deep,
numbers of 5,000 digits, NaN, wrong types, not JSON) goes to every route that can carry one and
every event, all of them, so that no route is left out by chance (`tests/walk.py` finds them).

Never an unhandled exception or a 500; a refusal is a clear error (`{error, message}` with a 4xx
under /api, an ack `{"ok": false, "error", "message"}` for an event) and changes nothing in the
database (every table dumped before and after). Nothing lists the routes or events by hand, so
one added later is fed garbage too.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.routing import AnyConverter, IntegerConverter

from app import create_app, socketio
from conftest import ADMIN_TOKEN, Api, phone, vote
from walk import Call, body_calls, dump, events, namespaces, rules, socket_events

settings.register_profile(
    "fuzz",
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples every run: a failure is reproduced by running again
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)
FUZZ = settings.get_profile("fuzz")
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    """One app for every example: meeting a (4 cards; items draft d, open o, closed c,
    revealed r; card 1 has voted on o) and meeting b (open join; items draft bd, open bo)."""
    app = create_app(
        {"INSTANCE": str(tmp_path_factory.mktemp("fuzz")), "TESTING": True,
         "ADMIN_TOKEN": ADMIN_TOKEN, "PUSH_INTERVAL": 0.05, "CLOCK_INTERVAL": 0}
    )  # fmt: skip
    api = Api(app.test_client())
    a = api.meeting(cards=4, items=4, allow_change=True)
    aid = a["meeting"]["id"]
    d, o, c, r = a["items"]
    voter = phone(app, a["cards"][0]["token"], device="fuzz-phone-0001")
    api.move(aid, "open", [o, c, r], override_quorum=True)
    assert vote(voter, o, "satisfied")["ok"]
    api.move(aid, "close", [c, r])
    api.move(aid, "reveal", [r])
    b = api.meeting(cards=3, items=2, join_mode="open")
    bid = b["meeting"]["id"]
    bd, bo = b["items"]
    api.move(bid, "open", [bo], override_quorum=True)
    board = SimpleNamespace(
        app=app, api=api, db=app.config["DATABASE"], voter=voter,
        a=a["meeting"], b=b["meeting"], ids=[aid, bid, d, o, c, r, bd, bo], bo=bo,
        tokens=[x["token"] for x in a["cards"] + b["cards"]],
    )  # fmt: skip
    yield board
    app.extensions["ceping"].stopping.set()


# -- what garbage is made of ------------------------------------------------------------------

FIELDS = [
    "title", "expected", "scale", "rule", "combine", "aspects", "secret", "allow_change",
    "join_mode", "quorum", "live_tallies", "auto_close", "kind", "base", "thresholds", "group",
    "weights", "items", "subject", "person", "batch", "count", "override_quorum", "seconds",
    "text", "votes", "item", "choice", "ballot", "aspect", "meeting", "key", "token", "device",
]  # fmt: skip
WORDS = [
    "satisfied", "basic", "unsatisfied", "abstain", "excellent", "0", "100", "101", "-1",
    "score", "majority", "threshold", "expected", "present", "valid", "members_only",
    "weighted", "member", "deputy", "oral", "written", "other", "open", "cards",
    "<script>alert(1)</script>", "=1+1", "'; DROP TABLE ballots; --", "\u0000", "\ud7ff", "",
    " ", "市公安局 张三 局长",
]  # fmt: skip


#: Numbers far outside any range: SQLite's and a double's limits, and beyond. (Integers of up to
#: 100 digits: Socket.IO's decoder drops a packet with a longer one before any handler sees it.)
HUGE = [10**99, 1 - 10**99, 2**300, 1e308, -1e308, float("inf"), float("-inf"), float("nan")]


def pool(board) -> st.SearchStrategy[Any]:
    """Ids and tokens that exist (in either meeting), near them, and far outside any range."""
    return st.sampled_from(
        [*board.ids, *board.tokens, board.a["screen_key"], board.b["join_key"], 0, -1, 2**31,
         2**63 - 1, 2**63, 2**64, -(2**63) - 1, 10**30, str(uuid.uuid4())]
    )  # fmt: skip


def leaves(board) -> st.SearchStrategy[Any]:
    return (
        st.none()
        | st.booleans()
        | st.integers(-3, 12)
        | st.integers()
        | st.floats()
        | st.text(max_size=20)
        | st.sampled_from(WORDS)
        | pool(board)
        | st.sampled_from(HUGE)
        | st.builds(lambda n: "x" * n, st.sampled_from([300, 5000, 100_000]))
    )


def json_values(board) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(FIELDS) | st.text(max_size=6)
    return st.recursive(
        leaves(board),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
        max_leaves=16,
    )


def near_objects(board) -> st.SearchStrategy[Any]:
    """Objects whose keys are real field names and whose values are mostly plausible."""
    value = json_values(board)
    entry = st.dictionaries(st.sampled_from(FIELDS), value, max_size=5)
    return st.dictionaries(
        st.sampled_from(FIELDS), value | st.lists(entry | pool(board), max_size=4), max_size=6
    )


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`good` nine times in ten, else `bad`: garbage that gets past the first checks."""
    return st.integers(0, 9).flatmap(lambda n: bad if n == 0 else good)


def votes(board) -> st.SearchStrategy[Any]:
    one = st.fixed_dictionaries(
        {"item": mostly(st.sampled_from(board.ids), pool(board) | leaves(board)),
         "choice": mostly(st.sampled_from(WORDS[:8]), leaves(board)),
         "ballot": mostly(st.uuids(version=4).map(str), leaves(board) | st.uuids().map(str))},
        optional={"aspect": mostly(st.integers(-1, 2), leaves(board)), "x": leaves(board)},
    )  # fmt: skip
    return mostly(
        st.fixed_dictionaries({"votes": st.lists(mostly(one, leaves(board)), max_size=4)}),
        near_objects(board),
    )


def deep(n: int) -> str:
    return "[" * n + "]" * n


RAW_TYPES = [
    "application/json", "text/plain", "application/x-www-form-urlencoded",
    "multipart/form-data", "multipart/form-data; boundary=x", "application/xml",
    "application/json; charset=latin-1", "", "image/png",
]  # fmt: skip


@st.composite
def bodies(draw, board) -> dict[str, Any]:
    """Keyword arguments for the test client's `open`: a body of some kind, or none."""
    kind = draw(st.sampled_from(["none", "json", "near", "raw", "text", "form", "deep", "file"]))
    if kind == "none":
        return {}
    if kind == "json":
        return {"json": draw(json_values(board))}
    if kind == "near":
        return {"json": draw(near_objects(board))}
    content_type = draw(st.sampled_from(RAW_TYPES))
    if kind == "raw":
        data = draw(st.binary(max_size=200) | st.sampled_from([b"", b"\xff\xfe", b"{", b"null"]))
        return {"data": data, "content_type": content_type}
    if kind == "text":
        text = draw(st.text(max_size=200) | st.just(json.dumps(draw(near_objects(board)))))
        return {"data": text.encode("utf-8", "surrogatepass"), "content_type": content_type}
    if kind == "deep":
        return {"data": deep(draw(st.sampled_from([100, 900, 1000, 5000, 100_000]))),
                "content_type": "application/json"}  # fmt: skip
    form: dict[str, Any] = draw(
        st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=30), max_size=4)
    )
    if kind == "file":
        content = draw(st.binary(max_size=300) | st.just(b"PK\x03\x04" + b"\x00" * 50))
        name = draw(st.sampled_from(["items.csv", "items.xlsx", "a.txt", "", "../../x.csv"]))
        form["file"] = (content, name)
    return {"data": form}


def sendable(body: dict[str, Any]) -> dict[str, Any]:
    """`body` for one request: a file's bytes in a fresh file object (a request reads it)."""
    data = body.get("data")
    if not isinstance(data, dict):
        return body
    opened = {k: (io.BytesIO(v[0]), v[1]) if isinstance(v, tuple) else v for k, v in data.items()}
    return {**body, "data": opened}


def segment(board, converter: Any) -> st.SearchStrategy[str]:
    """A path parameter: mostly a real id (for a number) or token (for text) of either
    meeting, or a word the route takes; else anything at all."""
    anything = st.text(min_size=1, max_size=30) | st.sampled_from(
        ["..", "%00", "-1", "1e3", "0x10", " 1", "１", "9" * 40, "a" * 300, "<img src=x>"]
    )
    if isinstance(converter, IntegerConverter):
        good = st.sampled_from([*board.ids, 0, 2**63, 10**30])
    elif isinstance(converter, AnyConverter):
        good = st.sampled_from(sorted(converter.items))
    else:
        good = st.sampled_from([*board.tokens, board.b["join_key"], "en", "base.css"])
    return st.one_of(good.map(str), anything).map(lambda s: quote(s, safe=""))


def assert_refusal_json(r) -> None:
    assert r.is_json, (r.status_code, r.content_type, r.data[:200])
    body = r.get_json()
    assert isinstance(body, dict), body
    assert isinstance(body.get("error"), str) and body["error"], body
    assert isinstance(body.get("message"), str) and body["message"], body


# -- HTTP ---------------------------------------------------------------------------------------


def test_the_walk_finds_every_route(board):
    found = {r.endpoint for r in rules(board.app)}
    assert {"api.move", "api.create_meeting", "voter.ballot", "screen.projector",
            "console.login", "api.parse_items"} <= found  # fmt: skip


def console_session(app):
    """A console logged in through its form, and the CSRF header its pages send."""
    client = app.test_client()
    page = client.get("/console/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
    r = client.post("/console/login", data={"secret": ADMIN_TOKEN, "csrf_token": token})
    assert r.status_code == 302
    return client, {"X-CSRFToken": token}


@settings(FUZZ, max_examples=120)
@given(data=st.data())
def test_any_request_to_any_route_gets_a_clear_answer_and_a_refusal_changes_nothing(board, data):
    app = board.app
    rule = data.draw(st.sampled_from(rules(app)), label="rule")
    methods = sorted(rule.methods - {"OPTIONS"})
    method = data.draw(
        mostly(st.sampled_from(methods), st.sampled_from(["GET", "POST", "PUT", "DELETE"])),
        label="method",
    )
    path = rule.rule
    while "<" in path:  # each <converter:name> in the order the rule has them
        start, end = path.index("<"), path.index(">")
        name = path[start + 1 : end].rpartition(":")[2]
        value = data.draw(segment(board, rule._converters[name]), label=name)
        path = path[:start] + value + path[end + 1 :]
    query = data.draw(st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=20), max_size=3))
    url = path + ("?" + urlencode(query) if query else "")
    body = data.draw(bodies(board), label="body")
    caller = data.draw(
        st.sampled_from(["token", "token", "console", "nobody", "long token"]), label="caller"
    )
    client, headers = app.test_client(), {
        "token": AUTH, "nobody": {}, "long token": {"Authorization": "Bearer " + "x" * 1000}
    }.get(caller, {})  # fmt: skip
    if caller == "console":  # a logged-in console with its page's CSRF token
        client, headers = console_session(app)
    app.extensions["ceping"].throttle.succeeded("admin")  # the limits have their own tests
    before = dump(board.db)

    r = client.open(url, method=method, headers=headers, **sendable(body))
    event(f"{rule.endpoint} {r.status_code}")

    assert r.status_code < 500, (method, url, r.status_code, r.data[:300])
    if url.startswith("/api/") and r.status_code >= 400 and method != "HEAD":
        assert_refusal_json(r)
    if r.status_code >= 400 or (method in ("GET", "HEAD") and rule.endpoint != "voter.join"):
        assert dump(board.db) == before, (method, url, r.status_code)


@settings(FUZZ, max_examples=15)
@given(size=st.integers(0, 4096), route=st.sampled_from(["/api/meetings", "/console/login"]))
def test_a_body_over_the_limit_is_refused(board, size, route):
    limit = board.app.config["MAX_CONTENT_LENGTH"]
    before = dump(board.db)
    r = board.app.test_client().post(
        route, data=b"x" * (limit + 1 + size), headers=AUTH, content_type="application/json"
    )
    assert r.status_code == 413
    if route.startswith("/api/"):
        assert_refusal_json(r)
    assert dump(board.db) == before


# -- every body to every route -----------------------------------------------------------------

JSON = "application/json"

#: The bodies most likely to break a parser, each sent to every route that can carry a body.
NASTY: dict[str, dict[str, Any]] = {
    "nested 900 deep (parsed)": {"data": deep(900), "content_type": JSON},
    "nested 1,000 deep": {"data": deep(1000), "content_type": JSON},
    "nested 100,000 deep": {"data": deep(100_000), "content_type": JSON},
    "objects nested 1,000 deep": {"data": '{"items":' * 1000 + "1" + "}" * 1000,
                                  "content_type": JSON},
    "a 5,000-digit number": {"data": '{"count": ' + "9" * 5000 + "}", "content_type": JSON},
    "numbers beyond a double": {"data": json.dumps(dict.fromkeys(FIELDS, 1e999)),
                                "content_type": JSON},
    "NaN everywhere": {"data": json.dumps(dict.fromkeys(FIELDS, float("nan"))),
                       "content_type": JSON},
    "huge integers everywhere": {"json": dict.fromkeys(FIELDS, 10**400)},
    "lists where objects go": {"json": {"items": [[[]]], "votes": [[1]], "counts": [1]}},
    "an array": {"json": []},
    "a string": {"json": "x"},
    "a number": {"json": 1},
    "null": {"data": "null", "content_type": JSON},
    "true": {"json": True},
    "half an object": {"data": '{"title": "x"', "content_type": JSON},
    "not UTF-8": {"data": b"\xff\xfe{}", "content_type": JSON},
    "a lone surrogate": {"data": '{"title": "\\ud800", "subject": "\\udfff"}',
                         "content_type": JSON},
    "JSON sent as text": {"data": '{"title": "x", "expected": 5}', "content_type": "text/plain"},
    "an empty body": {"data": b"", "content_type": JSON},
}  # fmt: skip


def every_body_call(board) -> list[Call]:
    """Every route and method that can carry a body, aimed at meeting b (its open item, its third
    card): meeting a stays as the phone tests below need it."""
    known = {"meeting_id": [board.b["id"]], "item_id": [board.bo], "number": [3]}
    return body_calls(board.app, known)


def send_everywhere(board, body: dict[str, Any]) -> None:
    """`body` to every route that can carry one, with the admin token: never a 500; under /api a
    refusal is `{error, message}`; a refusal changes nothing."""
    client = board.app.test_client()
    before = dump(board.db)
    for call in every_body_call(board):
        board.app.extensions["ceping"].throttle.succeeded("admin")
        r = client.open(call.url, method=call.method, headers=AUTH, **sendable(body))
        assert r.status_code < 500, (call, r.status_code, r.data[:300])
        after = dump(board.db)
        if r.status_code >= 400:
            if call.url.startswith("/api/"):
                assert_refusal_json(r)
            assert after == before, (call, r.status_code)
        before = after


def test_every_route_with_a_body_is_walked(board):
    found = {c.endpoint for c in every_body_call(board)}
    assert {"api.copy_meeting", "api.create_meeting", "api.move", "api.put_followup",
            "api.parse_items", "console.login"} <= found  # fmt: skip


@pytest.mark.parametrize("name", sorted(NASTY))
def test_the_nastiest_bodies_get_a_clear_answer_from_every_route(board, name):
    send_everywhere(board, NASTY[name])


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_every_body_made_gets_a_clear_answer_from_every_route(board, data):
    send_everywhere(board, data.draw(bodies(board), label="body"))


def test_asking_after_meetings_that_do_not_exist_keeps_nothing(board):
    """An anonymous caller may try any projector URL: the store keeps nothing per made-up id."""
    store = board.app.extensions["ceping"].store
    kept = dict(store._voted_by_meeting)
    for n in [*range(1000, 1050), 2**63 - 1, 2**63, 10**40]:
        assert board.app.test_client().get(f"/screen/{n}?key=x").status_code == 404
    assert store._voted_by_meeting == kept


# -- Socket.IO ----------------------------------------------------------------------------------


#: How a test connects to each namespace with the right credential, to feed its events garbage.
#: A namespace that is not here fails the tests until someone says how it is reached.
def admitted_auth(board, ns: str) -> dict[str, Any]:
    return {
        "/voter": {"token": board.tokens[0], "device": "fuzz-phone-0001"},
        "/screen": {"meeting": board.a["id"], "key": board.a["screen_key"]},
        "/console": {"token": ADMIN_TOKEN},
    }[ns]


def _encodable(auth: Any) -> bool:
    """Socket.IO's CONNECT payload is an object; python-socketio reads a payload that starts
    with a digit as an ack id (and its server logs and drops such a packet before any handler
    runs), so bare non-negative numbers are left out."""
    return isinstance(auth, bool) or not isinstance(auth, int | float) or auth < 0


def auths(board) -> st.SearchStrategy[Any]:
    keys = st.sampled_from(["token", "device", "meeting", "key", "x"])
    anything = json_values(board).filter(_encodable)
    right = st.sampled_from([admitted_auth(board, ns) for ns in ("/voter", "/screen", "/console")])
    near = st.builds(
        lambda a, b: {**a, **b}, right, st.dictionaries(keys, leaves(board), max_size=2)
    )
    return anything | st.dictionaries(keys, leaves(board), max_size=4) | near


@pytest.fixture(scope="module")
def connected(board):
    """One connected client per namespace (the voter holds card 1 of meeting a)."""
    clients = {}
    for ns in namespaces(socketio):
        client = socketio.test_client(board.app, namespace=ns, auth=admitted_auth(board, ns))
        assert client.is_connected(ns), ns
        clients[ns] = client
    return clients


def test_every_namespace_and_event_is_known(board):
    found = {ns: events(h) for ns, h in namespaces(socketio).items()}
    assert found == {"/voter": ["state", "vote"], "/screen": [], "/console": ["watch"]}, found


@FUZZ
@given(data=st.data())
def test_any_connect_auth_is_refused_or_admitted_and_a_refusal_changes_nothing(board, data):
    ns = data.draw(st.sampled_from(sorted(namespaces(socketio))), label="namespace")
    auth = data.draw(auths(board), label="auth")
    board.app.extensions["ceping"].throttle.succeeded("admin")
    before = dump(board.db)

    client = socketio.test_client(board.app, namespace=ns, auth=auth)
    event(f"{ns} connected={client.is_connected(ns)}")

    if client.is_connected(ns):
        client.disconnect(namespace=ns)
    else:
        assert dump(board.db) == before, (ns, auth)


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_any_event_payload_gets_a_clear_ack_and_a_refusal_changes_nothing(board, connected, data):
    handlers = namespaces(socketio)
    pairs = sorted((ns, e) for ns, h in handlers.items() for e in events(h))
    pairs += [p for p in pairs if p[1] == "vote"] * 2  # the phones' event: the most garbage
    pairs += [(ns, "no_such_event") for ns in sorted(handlers)][:1]
    ns, name = data.draw(st.sampled_from(pairs), label="event")
    payload = votes(board) if name == "vote" else near_objects(board) | json_values(board)
    args = data.draw(st.lists(payload, max_size=3) | st.tuples(payload).map(list), label="args")
    client = connected[ns]
    before = dump(board.db)

    ack = client.emit(name, *args, namespace=ns, callback=True)
    client.get_received(ns)
    event(f"{ns} {name} {ack.get('error') if isinstance(ack, dict) else ack}")

    if name == "no_such_event":
        assert not ack  # no handler: ignored
        assert dump(board.db) == before
        return
    assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), ack
    if not ack["ok"]:
        assert isinstance(ack.get("error"), str) and ack["error"], ack
        assert isinstance(ack.get("message"), str) and ack["message"], ack
        assert dump(board.db) == before, (ns, name, args)
    elif name != "vote":
        assert dump(board.db) == before, (ns, name, args)


# -- every payload to every event ---------------------------------------------------------------


def nested(n: int, inner: Any = None) -> Any:
    for _ in range(n):
        inner = [inner]
    return inner


#: The payloads most likely to break a handler, each sent to every event. (Nested 300 deep, not
#: 1,000: the Socket.IO client recurses, two calls a level, to look for binary parts. Integers of
#: up to 100 digits: Socket.IO's decoder drops a packet with a longer one before any handler.)
NASTY_PAYLOADS: dict[str, list[Any]] = {
    "nested 300 deep": [nested(300)],
    "objects nested 300 deep": [{"votes": nested(290, {"item": 1})}],
    "huge numbers": [{**dict.fromkeys(FIELDS, 10**99), "votes": [dict.fromkeys(FIELDS, 2**64)]}],
    "numbers beyond a double": [{"meeting": float("inf"), "votes": [{"item": float("nan")}]}],
    "lists where objects go": [{"votes": [[1]], "meeting": [1]}],
    "wrong types": [{"votes": "x", "meeting": "1"}],
    "an array": [[]],
    "a string": ["x"],
    "a number": [1],
    "null": [None],
    "true": [True],
    "nothing": [],
    "two payloads": [{"meeting": 1}, {"votes": []}],
}  # fmt: skip


def emit_everywhere(board, connected, args: list[Any]) -> None:
    """`args` to every event of every namespace: an ack `{ok, ...}` each time; a refusal says
    `error` and `message` and changes nothing."""
    before = dump(board.db)
    for ns, name in socket_events(socketio):
        client = connected[ns]
        ack = client.emit(name, *args, namespace=ns, callback=True)
        client.get_received(ns)
        assert isinstance(ack, dict) and isinstance(ack.get("ok"), bool), (ns, name, ack)
        after = dump(board.db)
        if not ack["ok"]:
            assert isinstance(ack.get("error"), str) and ack["error"], ack
            assert isinstance(ack.get("message"), str) and ack["message"], ack
            assert after == before, (ns, name, args)
        before = after


def test_every_event_is_walked():
    assert set(socket_events(socketio)) >= {("/voter", "vote"), ("/console", "watch")}


@pytest.mark.parametrize("name", sorted(NASTY_PAYLOADS))
def test_the_nastiest_payloads_get_a_clear_ack_from_every_event(board, connected, name):
    emit_everywhere(board, connected, NASTY_PAYLOADS[name])


@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_every_payload_made_gets_a_clear_ack_from_every_event(board, connected, data):
    payload = votes(board) | near_objects(board) | json_values(board)
    emit_everywhere(board, connected, data.draw(st.lists(payload, max_size=2), label="args"))
