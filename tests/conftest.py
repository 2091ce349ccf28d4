"""Fixtures in the manner of Flask's tutorial: `app`, `client`, and an admin API helper; the
real server and Chromium for the tests marked `server` and `browser`; and the guard that keeps
those marks honest.

The tiers: `make test-fast` runs what is marked neither (pure units and Flask's and
Flask-SocketIO's test clients, in this process); `make test` runs everything. A test that starts
a subprocess (the real server, `app.py verify`, a benchmark run, openssl) must be marked
`server`, and one that starts Playwright's driver (Chromium) must be marked `browser`: without
its mark, the test fails.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from app import create_app, socketio
from browsing import CHROMIUM_ARGS, chromium, in_ci
from realserver import Server

ADMIN_TOKEN = "test-admin-token-0123456789"
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def pytest_configure(config: pytest.Config) -> None:
    """Temporary folders on the RAM disk when there is one with room (unless TMPDIR or
    --basetemp says where): the store commits with synchronous=FULL, and on a disk that others
    share the tests' fsyncs cost several times the tests themselves."""
    if os.environ.get("TMPDIR") or config.option.basetemp:
        return
    shm = "/dev/shm"
    try:
        room = os.statvfs(shm)
    except OSError:
        return
    if os.access(shm, os.W_OK) and room.f_bavail * room.f_frsize >= 2**30:
        os.environ["TMPDIR"] = shm  # the servers the tests start write there too
        tempfile.tempdir = None  # forget the folder tempfile chose before


def _builders_made_once() -> None:
    """Most tests make an app of their own, and werkzeug compiles two URL builders for each of
    its ~75 routes, each time from an AST (about 45 ms an app, a third of the fast tier's
    setup). A builder depends only on the rule's text, its parsed trace and its defaults (it
    reads the converters from the rule it is bound to), so the tests make each one once."""
    from werkzeug.routing.rules import Rule

    made: dict[tuple[Any, ...], Any] = {}
    compile_builder = Rule._compile_builder

    def once(self: Rule, append_unknown: bool = True) -> Any:
        key = (self.rule, tuple(self._trace), repr(sorted((self.defaults or {}).items())),
               append_unknown)  # fmt: skip
        if key not in made:
            made[key] = compile_builder(self, append_unknown)
        return made[key]

    Rule._compile_builder = once  # type: ignore[method-assign]


_builders_made_once()


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


def login(client, secret: str, next_: str | None = None):
    """Log in to the console through its form (with the page's CSRF token)."""
    page = client.get("/console/")
    token = CSRF_FIELD.search(page.get_data(as_text=True)).group(1)
    form = {"secret": secret, "csrf_token": token}
    if next_ is not None:
        form["next"] = next_
    return client.post("/console/login", data=form)


def vote(client, item: int, choice: str, ballot: str | None = None, **extra):
    """Emit one vote and return the ack."""
    entry = {"item": item, "choice": choice, "ballot": ballot or str(uuid.uuid4()), **extra}
    return client.emit("vote", {"votes": [entry]}, namespace="/voter", callback=True)


def received(client, namespace: str, name: str) -> list[Any]:
    """The payloads of every `name` event a test client has received (and drains the rest)."""
    return [e["args"][0] for e in client.get_received(namespace) if e["name"] == name]


# -- the real server and Chromium ---------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The real server (gevent), one per test module (mark its tests `server`)."""
    running = Server(tmp_path_factory.mktemp("server"), "gevent")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium through Playwright, one per test module (mark its tests `browser`). Without
    Chromium the tests skip on a laptop; in CI (CI=true) they fail."""
    path = chromium()
    if path is None:
        if in_ci():
            pytest.fail("Chromium is missing: CI must run the browser tests (.ci/run installs it)")
        pytest.skip("no Chromium here (apt-get install chromium); CI runs these tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


# -- running in parallel ------------------------------------------------------------------------


def _shares_a_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    return any(d and d[-1].scope == "module" for d in defs)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`) a module's tests that share a module-scoped
    fixture (a server, Chromium, the secret meeting) run on one worker, so it starts once; the
    rest spread freely."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        started = item.get_closest_marker("server") or item.get_closest_marker("browser")
        if started and _shares_a_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::")[0]))


# -- the tiers' guard ---------------------------------------------------------------------------

QUICK_TOOLS = frozenset({"fc-list"})  # the fonts' lookup: a quick read, no server
UNMARKED = pytest.StashKey[list[str]]()


def _needed_mark(argv: list[str]) -> str | None:
    """The mark a test needs to start this program: Playwright's driver is the browser,
    anything else (a Python server, a benchmark, openssl) is `server`."""
    if Path(argv[0]).name in QUICK_TOOLS:
        return None
    return "browser" if any("playwright" in a for a in argv) else "server"


def _guarded(item: pytest.Item, execute_child: Any) -> Any:
    """`Popen._execute_child` that fails the test when it lacks the mark the program needs."""
    marks = {m.name for m in item.iter_markers()}

    def execute(self: subprocess.Popen, args: Any, *rest: Any, **kwargs: Any) -> Any:
        argv = [args] if isinstance(args, str | bytes | os.PathLike) else list(args)
        argv = [os.fsdecode(a) for a in argv]
        needed = _needed_mark(argv)
        if needed is not None and needed not in marks:
            problem = f"{item.nodeid} starts {' '.join(argv)[:200]} without @pytest.mark.{needed}"
            item.stash.setdefault(UNMARKED, []).append(problem)
            pytest.fail(problem, pytrace=False)
        return execute_child(self, args, *rest, **kwargs)

    return execute


@contextmanager
def _guard(item: pytest.Item) -> Iterator[None]:
    original = subprocess.Popen._execute_child  # type: ignore[attr-defined]
    subprocess.Popen._execute_child = _guarded(item, original)  # type: ignore[attr-defined]
    try:
        yield
    finally:
        subprocess.Popen._execute_child = original  # type: ignore[attr-defined]


# Around setup too: a module's server or browser starts in its first test's setup.
@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    with _guard(item):
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[Any]:
    """A start without its mark fails the test even where the test caught the failure."""
    report = yield
    problems = item.stash.get(UNMARKED, [])
    if problems:  # said plainly, in place of what the failed start raised on its way out
        item.stash[UNMARKED] = []
        report.outcome = "failed"
        report.longrepr = "\n".join(problems)
    return report


# -- files for the materials (看一看) ---------------------------------------------------------


def pdf_bytes(pages: int = 3) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=24)
    for n in range(pages):
        pdf.add_page()
        pdf.cell(text=f"Report page {n + 1}")
    return bytes(pdf.output())


def jpeg_bytes(width: int = 640, height: int = 480) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(out, "JPEG")
    return out.getvalue()


def docx_bytes(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# -- the pages' ES modules ------------------------------------------------------------------------

MODULE_IMPORT = re.compile(r'^import\s[^;]*?\sfrom\s"(\.{1,2}/[^"]+)";', re.M)


class Modules(HTMLParser):
    """A page's module scripts and the modules it asks the browser to fetch ahead."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[str] = []
        self.preloaded: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and attrs.get("type") == "module":
            self.entries.append(attrs["src"])
        elif tag == "link" and attrs.get("rel") == "modulepreload":
            self.preloaded.add(attrs["href"])


def module_tree(entry: Path) -> set[Path]:
    """`entry` and every module it imports, directly or not (relative imports only)."""
    seen: set[Path] = set()
    todo = [entry.resolve()]
    while todo:
        path = todo.pop()
        if path not in seen:
            seen.add(path)
            todo += [(path.parent / m).resolve() for m in MODULE_IMPORT.findall(path.read_text())]
    return seen
