"""One language per request: every message the API and the sockets send is in the page's
language, Chinese by default and English with the language cookie.

The messages are collected by walking the app as the access and fuzz tests do (every route with
bad bodies and unknown ids, refused moves and steps in every state, imports with mistakes, socket
events with bad payloads, refused connections), once in each language. In Chinese no English
word is left outside the meeting's own data, the API's field names and codes; in English no
Chinese character outside the meeting's own data. A static test finds every message template in
the code and its English translation in the catalogue.
"""

from __future__ import annotations

import ast
import io
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask_socketio import ConnectionRefusedError

from app import create_app, socketio
from conftest import ADMIN_TOKEN, Api, phone
from voting import meeting, rules, settings
from walk import body_calls, calls, namespaces, socket_events

ROOT = Path(__file__).resolve().parent.parent
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TITLE, SUBJECT = "述法测评 甲", "市某某局"  # the meeting's own data, in Chinese on purpose
PASTED = "1、市民政局 钱七 局长 多余\n市民政局 钱七 局长\n市民政局 钱七 局长\n12 市财政局 孙八"
HEADED = "名称,负责人,备注\n市民政局,钱七,x\n局长"
TABLE = "部门,类型\r\n市审计局,口述\r\n"
#: What the test sends as the meeting's own data: messages may quote it in either language.
CELLS = re.split(r"[\s,、]+", "\n".join((TITLE, SUBJECT, PASTED, HEADED, TABLE)))
DATA = sorted({cell for cell in CELLS if re.search("[\u4e00-\u9fff]", cell)}, key=len)[::-1]
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef“”]")
WORD = re.compile(r"[A-Za-z]{3,}")
QUOTED = re.compile(r"“[^”]*”|'[^']*'|\"[^\"]*\"|\{[^}]*\}")

#: Words a Chinese message may keep: formats and protocols, and the API's own field names and
#: codes (as a client sends them), which are not translated.
ALLOWED = {"JSON", "CSV", "XLSX", "PDF", "URL", "API", "CSRF", "UTF", "UUID", "YYYY", "GB18030"}
ALLOWED |= {"Content", "Type", "application", "json", "Authorization", "Bearer", "true", "false"}
ALLOWED |= {"null", "confirm", "title", "expected", "items", "votes", "item", "choice", "ballot"}
ALLOWED |= {"aspect", "aspects", "comment", "counts", "status", "due", "notes", "kind", "batch"}
ALLOWED |= {"join", "mode", "quorum", "rule", "combine", "thresholds", "weights", "group", "how"}
ALLOWED |= {"Rule", "Combine", "member", "deputy", "subject", "person", "lines", "text", "count"}
ALLOWED |= {"cards", "open", "meeting", "name", "override", "accept", "unreachable", "seconds"}
ALLOWED |= {"received", "report", "assessment", "grade", "pass", "fail", "department"}
CODES = [*settings.KINDS, *settings.FOLLOWUP_STATUSES, *rules.SCALES, *meeting.State]
CODES += [*meeting.Action, *rules._RULE_KINDS, *rules._BASES, "members_only", "weighted"]
ALLOWED |= {word for code in CODES for word in WORD.findall(str(code))}


def walk_messages(lang: str | None, tmp: Path) -> list[tuple[str, str, str]]:
    """(where, code, message) for every refusal the walk below is answered with."""
    app = create_app(
        {
            "INSTANCE": str(tmp),
            "TESTING": True,
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "PUSH_INTERVAL": 0.05,
            "CLOCK_INTERVAL": 0,
        }
    )
    try:
        client = app.test_client()
        if lang:
            client.set_cookie("ceping_lang", lang)
        board = make_board(app, Api(client))
        found = list(http_messages(app, client, board))
        app.extensions["ceping"].throttle.succeeded("admin")  # after the wrong tokens
        found += socket_messages(app, board, lang)
        found += connect_messages(app, board, lang)
        return found
    finally:
        app.extensions["ceping"].stopping.set()


def make_board(app, api: Api) -> SimpleNamespace:
    """Meeting a (items draft, open, closed, revealed; one vote cast) and a rehearsal r."""
    body = {"title": TITLE, "expected": 40}
    mid = api.post("/meetings", body, 201).get_json()["id"]
    items = [{"subject": f"{SUBJECT}{n}", "person": "张三 局长", "kind": "oral"} for n in range(4)]
    d, o, c, r = api.post(f"/meetings/{mid}/items", {"items": items}, 201).get_json()["ids"]
    cards = api.post(f"/meetings/{mid}/cards", {"count": 3}, 201).get_json()["cards"]
    api.move(mid, "open", [o, c, r], override_quorum=True, accept_unreachable=True)
    voter = phone(app, cards[0]["token"], device="messages-phone-0001")
    entry = {"item": o, "choice": "satisfied", "ballot": str(uuid.uuid4())}
    assert voter.emit("vote", {"votes": [entry]}, namespace="/voter", callback=True)["ok"]
    api.move(mid, "close", [c, r])
    api.move(mid, "reveal", [r])
    rehearsal = api.post("/meetings", {**body, "rehearsal": True}, 201).get_json()["id"]
    return SimpleNamespace(
        m=mid,
        d=d,
        o=o,
        c=c,
        r=r,
        rehearsal=rehearsal,
        voter=voter,
        token=cards[0]["token"],
        tokens=[x["token"] for x in cards],
    )


BODIES: list[Any] = [
    {},
    [],
    "x",
    {"x": 1},
    {"title": 5, "expected": "a", "items": "x"},
    {"items": [{"subject": ""}]},
    {"items": [9_999_999]},
    {"counts": {"x": -1}},
]


def steps(b: SimpleNamespace) -> list[tuple[str, str, Any]]:
    """Well-formed calls refused for what they ask in this state."""
    m, t = f"/api/meetings/{b.m}", f"/api/meetings/{b.rehearsal}"
    made = [
        ("POST", f"{m}/{action}", {"items": [item]})  # each move in each state
        for action in meeting.Action
        for item in (b.d, b.o, b.c, b.r)
    ]
    table = TABLE.encode()
    return [
        ("POST", f"{m}/open", {"items": [b.d, b.d]}),
        ("POST", f"{m}/open", {"items": []}),
        ("POST", "/api/meetings", {"title": "x", "expected": 99, "rule": {"kind": "x"}}),
        ("POST", "/api/meetings", {"title": "x", "expected": 9, "scale": "nope"}),
        ("POST", "/api/meetings", {"title": "x", "expected": 9, "rule": {"thresholds": [1]}}),
        ("POST", "/api/meetings", {"title": "x", "expected": 9, "combine": {"kind": "weighted"}}),
        ("POST", f"{t}/open", {"items": [1]}),
        ("PATCH", m, {"expected": 5}),
        ("POST", f"{m}/cards", {"count": 2}),
        ("POST", f"{m}/items/{b.d}/paper", {"counts": {"satisfied": 1}}),
        ("POST", f"{m}/items/{b.c}/paper", {"counts": {"satisfied": 99}}),
        ("POST", f"{m}/items/{b.c}/paper", {"counts": {"nope": 1}, "group": "zz"}),
        ("POST", f"{m}/make-real", {}),
        ("POST", f"{t}/make-real", {}),
        ("DELETE", m, None),
        ("POST", f"{t}/archive", {}),
        ("PATCH", f"{m}/items/{b.o}", {"subject": "x"}),
        ("GET", f"{m}/followups/{b.d}", None),
        ("POST", f"{m}/items/order", {"items": [b.d]}),
        ("POST", f"{m}/cards/99/revoke", {}),
        ("POST", "/api/items/parse", {"text": PASTED}),
        ("POST", "/api/items/parse", {"text": HEADED}),
        ("POST", "/api/items/parse", {"text": "x", "kind": "nope"}),
        ("POST", "/api/items/parse", {"file": (io.BytesIO(table), "a.csv")}),
        ("POST", "/api/items/parse", {"file": (io.BytesIO(b"PK\x03\x04"), "a.xlsx")}),
        ("POST", "/api/items/parse", {"file": (io.BytesIO(b"\xff\xfe\x00"), "a.csv")}),
        ("GET", "/api/nowhere", None),
        ("PUT", "/api/meetings", {}),
        ("POST", f"{m}/items", "x" * 300_000),
        *made,  # last: some of them are allowed and move the items on
    ]


def answer_of(r, where: str) -> Iterator[tuple[str, str, str]]:
    told = r.get_json(silent=True)
    if r.status_code >= 400 and isinstance(told, dict):
        yield where, told.get("error", ""), told.get("message", "")
    if isinstance(told, dict):  # import previews: every warning and note
        flags = [*told.get("notes", []), *(w for row in told.get("warnings", []) for w in row)]
        for flag in flags:
            if isinstance(flag, dict) and "message" in flag:
                yield where, flag["code"], flag["message"]


def http_messages(app, client, b: SimpleNamespace) -> Iterator[tuple[str, str, str]]:
    known = {
        "meeting_id": [b.m, 9_999_999],
        "item_id": [b.d, b.r, 9_999_999],
        "number": [99],
        "token": ["nope"],
        "key": ["nope"],
    }
    anonymous = app.test_client()
    if lang := client.get_cookie("ceping_lang"):
        anonymous.set_cookie("ceping_lang", lang.value)
    for call in calls(app, known, lambda rule: sorted(rule.methods & {"GET"})):
        yield from answer_of(client.get(call.url), call.url)
        yield from answer_of(anonymous.get(call.url), f"anonymous {call.url}")
    for call in body_calls(app, {"meeting_id": [b.m], "item_id": [b.o], "number": [3]}):
        for body in BODIES:
            app.extensions["ceping"].throttle.succeeded("admin")
            r = client.open(call.url, method=call.method, headers=AUTH, json=body)
            yield from answer_of(r, f"{call.method} {call.url} {body!r}")
    for method, url, body in steps(b):
        if isinstance(body, str):
            r = client.open(
                url, method=method, headers=AUTH, data=body, content_type="application/json"
            )
        elif isinstance(body, dict) and "file" in body:
            r = client.open(url, method=method, headers=AUTH, data=body)
        else:
            r = client.open(url, method=method, headers=AUTH, json=body)
        yield from answer_of(r, f"{method} {url} {body!r}")
    for n in range(12):  # a wrong token, again and again: 401, then 429
        r = client.get("/api/meetings", headers={"Authorization": f"Bearer wrong-{n}"})
        yield from answer_of(r, "a wrong token")


def socket_messages(app, b: SimpleNamespace, lang: str | None) -> list[tuple[str, str, str]]:
    headers = {"Cookie": f"ceping_lang={lang}"} if lang else None
    voter = socketio.test_client(
        app,
        namespace="/voter",
        headers=headers,
        auth={"token": b.token, "device": "messages-phone-0001"},
    )
    console = socketio.test_client(
        app, namespace="/console", headers=headers, auth={"token": ADMIN_TOKEN}
    )
    assert voter.is_connected("/voter") and console.is_connected("/console")
    payloads: list[Any] = [
        None,
        1,
        "x",
        [],
        {},
        {"votes": []},
        {"votes": [1]},
        {"meeting": 9_999_999},
    ]
    for item, choice in (
        (b.o, "satisfied"),
        (b.c, "satisfied"),
        (b.o, "nope"),
        (b.d, "satisfied"),
        (9_999_999, "satisfied"),
    ):
        payloads.append({"votes": [{"item": item, "choice": choice, "ballot": str(uuid.uuid4())}]})
    found = []
    for client, ns in ((voter, "/voter"), (console, "/console")):
        for _, event in (e for e in socket_events(socketio) if e[0] == ns):
            for payload in payloads:
                told = client.emit(event, payload, namespace=ns, callback=True)
                if isinstance(told, dict) and told.get("ok") is False:
                    found.append((f"{ns} {event} {payload!r}", told["error"], told["message"]))
            told = client.emit(event, {}, {}, namespace=ns, callback=True)
            found.append((f"{ns} {event} twice", told["error"], told["message"]))
    return found


def connect_messages(app, b: SimpleNamespace, lang: str | None) -> list[tuple[str, str, str]]:
    """Each namespace's refused connections, as the handshake's request would see them."""
    headers = {"Cookie": f"ceping_lang={lang}"} if lang else {}
    auths = [
        None,
        {},
        {"token": "nope"},
        {"meeting": b.m, "key": "nope"},
        {"meeting": 9_999_999},
        {"token": b.token, "device": "another-phone-0002"},
    ]
    found = []
    for ns, handler in sorted(namespaces(socketio).items()):
        for auth in auths:
            with app.test_request_context(f"/socket.io/?ns={ns}", headers=headers):
                try:
                    handler.on_connect(auth)
                except ConnectionRefusedError as exc:
                    data = exc.error_args.get("data") or {}
                    found.append(
                        (f"{ns} connect {auth!r}", data.get("error", ""), exc.error_args["message"])
                    )
                except Exception:  # an admitted one has no socket here to answer
                    pass
    return found


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> dict[str, list[tuple[str, str, str]]]:
    return {
        lang: walk_messages(None if lang == "zh_CN" else lang, tmp_path_factory.mktemp(lang))
        for lang in ("zh_CN", "en")
    }


def without_data(message: str) -> str:
    for data in DATA:
        message = message.replace(data, "")
    return message


def test_the_walk_hears_every_kind_of_message(collected):
    for lang, found in collected.items():
        codes = {code for _, code, _ in found}
        assert {
            "not_found",
            "bad_input",
            "bad_payload",
            "not_open",
            "already_revealed",
            "not_closed",
            "no_quorum",
            "cards_exist",
            "too_many",
            "confirm_make_real",
            "has_results",
            "rehearsal",
            "unauthorized",
            "too_many_attempts",
            "method_not_allowed",
            "request_entity_too_large",
            "started",
            "not_draft",
            "serials",
            "duplicate",
            "unknown_card",
            "card_in_use",
        } <= codes, (lang, codes)
        assert len(found) > 300, lang
    assert len(collected["zh_CN"]) == len(collected["en"])


def test_chinese_messages_have_no_english_words(collected):
    for where, code, message in collected["zh_CN"]:
        assert message and CJK.search(message), (where, code, message)
        words = set(WORD.findall(QUOTED.sub("", without_data(message)))) - ALLOWED
        assert not words, (where, code, message, words)


def test_english_messages_have_no_chinese(collected):
    for where, code, message in collected["en"]:
        assert message, (where, code)
        assert not CJK.search(QUOTED.sub("", without_data(message))), (where, code, message)


def test_a_message_in_each_language_says_the_same_thing(collected):
    pairs = zip(collected["zh_CN"], collected["en"], strict=True)
    for (where, code, zh), (_, code_en, en) in pairs:
        assert code == code_en, where
        assert numbers(zh) == numbers(en), (where, zh, en)


def numbers(message: str) -> list[str]:
    return sorted(re.findall(r"\d+", without_data(message)))


# -- every template has its English ------------------------------------------------------------

#: The constructors whose first string argument (by position) is a message template.
TEMPLATE_AT = {
    "BadInput": 0,
    "NotFound": 0,
    "RuleError": 0,
    "Unauthorized": 0,
    "CepingError": 0,
    "Refused": 1,
    "MoveRefused": 1,
    "Unconfirmed": 1,
    "N_": 0,
}


def _every_kind() -> dict[str, int]:
    """`TEMPLATE_AT`, and every other `CepingError` kind whose constructor takes the template
    (a parameter named `template`) where `CepingError`'s does: a new kind is checked by itself."""
    import inspect

    import ceping  # noqa: F401  (imports every module that defines a kind)
    from voting.errors import CepingError

    found = dict(TEMPLATE_AT)
    todo = list(CepingError.__subclasses__())
    while todo:
        kind = todo.pop()
        todo += kind.__subclasses__()
        names = list(inspect.signature(kind.__init__).parameters)[1:]
        if kind.__name__ not in found and "template" in names:
            found[kind.__name__] = names.index("template")
    return found


def templates_in_code() -> Iterator[tuple[str, int, str]]:
    kinds = _every_kind()
    for folder in ("voting", "display", "ceping"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                at = kinds.get(name or "")
                if at is None or len(node.args) <= at:
                    continue
                arg = node.args[at]
                if isinstance(arg, ast.JoinedStr):
                    pytest.fail(f"{path.name}:{node.lineno}: an f-string cannot be translated")
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    yield path.name, node.lineno, arg.value


def test_every_message_template_has_its_english():
    catalogue = read_po((ROOT / "translations/en/LC_MESSAGES/messages.po").open("rb"))
    found = list(templates_in_code())
    assert len(found) > 150
    for name, line, template in found:
        entry = catalogue.get(template)
        assert entry is not None and entry.string, f"{name}:{line}: {template!r} is not translated"
        assert CJK.search(template), f"{name}:{line}: the msgid is Chinese: {template!r}"
        assert not CJK.search(QUOTED.sub("", entry.string)), f"{name}:{line}: {entry.string!r}"
        placeholders = sorted(re.findall(r"%\((\w+)\)", template))
        assert sorted(re.findall(r"%\((\w+)\)", entry.string)) == placeholders, template
