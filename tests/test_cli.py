"""The command line (`python app.py serve | verify | token`, ceping/cli.py), in-process through
Flask's test runner; one smoke test runs app.py itself."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask

import app as app_module
import ceping.cli
import ceping.server
from ceping.cli import cli
from ceping.server import ServeOptions
from conftest import ADMIN_TOKEN, phone, vote
from realserver import ROOT

CHOICES = ("satisfied", "basic", "unsatisfied")


def run(app: Flask, *args: str) -> Any:
    """`python app.py ARGS` on the test's app: the click result (exit_code, output)."""
    return app.test_cli_runner().invoke(cli, list(args))


@pytest.fixture
def closed(app, api) -> int:
    """Six cards vote on two items; the first is closed (2 / 2 / 2). Its id."""
    made = api.meeting(cards=6, items=2)
    mid, items = made["meeting"]["id"], made["items"]
    phones = [phone(app, card["token"]) for card in made["cards"]]  # present: the quorum
    api.move(mid, "open", items)
    for n, p in enumerate(phones):
        for item in items:
            assert vote(p, item, CHOICES[n % 3])["ok"]
        p.disconnect(namespace="/voter")
    api.move(mid, "close", [items[0]])
    return items[0]


def test_verify_says_ok_on_an_honest_file(app, closed):
    result = run(app, "verify")
    assert result.exit_code == 0, result.output
    head = app.extensions["ceping"].store.audit_head()
    assert result.output == (
        f"audit log: {head['entries']} entries, head {head['hash']}\nverify: OK\n"
    )


def test_verify_fails_on_a_changed_ballot(app, closed, tmp_path):
    conn = sqlite3.connect(str(tmp_path / "ceping.sqlite"), isolation_level=None)
    conn.execute(
        "UPDATE ballots SET choice = 'basic' WHERE id = (SELECT id FROM ballots"
        " WHERE item_id = ? AND choice = 'satisfied' LIMIT 1)",
        (closed,),
    )
    conn.close()
    result = run(app, "verify")
    assert result.exit_code == 1, result.output
    assert f"FAIL item {closed}: the ballots now count" in result.output
    assert result.output.endswith("verify: 1 problem(s)\n")
    assert "verify: OK" not in result.output


def test_token_prints_the_admin_token(app):
    result = run(app, "token")
    assert (result.exit_code, result.output) == (0, ADMIN_TOKEN + "\n")


def test_without_an_app_a_command_makes_one_from_the_instance_folder(tmp_path, monkeypatch):
    made: list[Flask] = []

    def command_app() -> Flask:
        made.append(ceping.cli.create_app({"CLOCK_INTERVAL": 0}))
        return made[-1]

    monkeypatch.setenv("CEPING_INSTANCE", str(tmp_path))
    monkeypatch.delenv("CEPING_ADMIN_TOKEN", raising=False)
    monkeypatch.setattr(ceping.cli, "command_app", command_app)
    try:
        result = CliRunner().invoke(cli, ["token"])
    finally:
        for app in made:
            app.extensions["ceping"].stopping.set()
    assert result.exit_code == 0, result.output
    assert result.output == (tmp_path / "admin_token").read_text()
    assert made[0].config["CLOCK_INTERVAL"] == 0


@pytest.fixture
def started(monkeypatch) -> list[ServeOptions]:
    """`serve` parses its options and stops there: what it would have served with."""
    seen: list[ServeOptions] = []
    monkeypatch.setattr(ceping.cli, "start", seen.append)
    return seen


def test_serve_defaults(app, started):
    result = run(app, "serve")
    assert result.exit_code == 0, result.output
    assert started == [ServeOptions()]
    assert started[0] == ServeOptions("0.0.0.0", 5000, "gevent", False, None, None, False)


def test_serve_takes_what_make_run_and_the_tests_pass(app, started, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("a certificate")
    key.write_text("a key")
    args = ["serve", "--demo", "--host", "127.0.0.1", "--port", "5077", "--async-mode=eventlet"]
    assert run(app, *args, "--access-log", "--cert", str(cert), "--key", str(key)).exit_code == 0
    assert run(app, "serve", "--async-mode", "threading").exit_code == 0
    assert started == [
        ServeOptions("127.0.0.1", 5077, "eventlet", True, str(cert), str(key), demo=True),
        ServeOptions(async_mode="threading"),
    ]
    assert started[0].tls == {"certfile": str(cert), "keyfile": str(key)}


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--async-mode", "twisted"], "Invalid value for '--async-mode'"),
        (["--port", "http"], "Invalid value for '--port'"),
        (["--cert", "cert.pem"], "--cert and --key go together"),
        (["--key", "key.pem"], "--cert and --key go together"),
        (["--cert", "nothing.pem", "--key", "nothing.pem"], "no such file: nothing.pem"),
        (["--verbose"], "No such option '--verbose'"),
    ],
)
def test_serve_refuses_a_wrong_command_line(app, started, args, error):
    result = run(app, "serve", *args)
    assert result.exit_code == 2
    assert error in result.output
    assert started == []


def test_serve_prints_where_to_go_then_listens(app, monkeypatch):
    """The whole of `serve` but the listening socket, on the test's app (threading)."""
    listened: list[tuple[Flask, ServeOptions]] = []
    monkeypatch.setattr(ceping.cli, "create_app", lambda config: app)
    monkeypatch.setattr(ceping.server, "tune_gc", lambda: None)
    monkeypatch.setattr(ceping.server, "listen", lambda *given: listened.append(given))
    args = ["serve", "--demo", "--host", "127.0.0.1", "--port", "5077", "--async-mode", "threading"]
    result = run(app, *args)
    assert result.exit_code == 0, result.output
    assert listened == [(app, ServeOptions("127.0.0.1", 5077, "threading", demo=True))]
    store = app.extensions["ceping"].store
    m = store.meeting(store.meetings()[0]["id"])
    lines = result.output.splitlines()
    assert lines[0] == "ceping serving on http://127.0.0.1:5077/ (threading)"
    assert lines[1].startswith("  created the demo meeting: ")
    assert f"  console:     http://127.0.0.1:5077/console/meetings/{m['id']}" in lines
    assert f"  admin token: {ADMIN_TOKEN}" in lines
    assert app.config["PUBLIC_URL"] == "http://127.0.0.1:5077"


def _served(app: Flask, monkeypatch: pytest.MonkeyPatch, lan: str | None, *args: str) -> str:
    """What `serve ARGS` prints on the test's app, with the LAN address `lan` (None: none)."""
    monkeypatch.setattr(ceping.cli, "create_app", lambda config: app)
    monkeypatch.setattr(ceping.server, "tune_gc", lambda: None)
    monkeypatch.setattr(ceping.server, "listen", lambda *given: None)
    monkeypatch.setattr(ceping.server, "lan_address", lambda: lan)
    result = run(app, "serve", "--port", "5077", "--async-mode", "threading", *args)
    assert result.exit_code == 0, result.output
    return str(result.output)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "localhost"])
def test_a_loopback_address_is_said_plainly_with_the_address_phones_need(app, monkeypatch, host):
    output = _served(app, monkeypatch, "192.168.1.10", "--host", host)
    assert "(the LAN address)" not in output
    assert "(this computer only)" in output
    assert "phones cannot reach this server" in output
    assert "Phones need http://192.168.1.10:5077" in output
    assert "make run HOST=0.0.0.0" in output
    assert "CEPING_PUBLIC_URL=http://192.168.1.10:5077" in output


def test_every_address_but_no_lan_found_is_said_plainly(app, monkeypatch):
    output = _served(app, monkeypatch, None, "--host", "0.0.0.0")
    assert "phones use:  http://127.0.0.1:5077  (this computer only)" in output
    assert "no LAN address was found" in output
    assert "CEPING_PUBLIC_URL=http://<LAN address>:5077" in output


def test_the_lan_address_or_a_public_url_says_nothing_more(app, monkeypatch):
    output = _served(app, monkeypatch, "192.168.1.10", "--host", "0.0.0.0")
    assert "phones use:  http://192.168.1.10:5077  (the LAN address)" in output
    assert "WARNING" not in output and "note:" not in output
    app.config["PUBLIC_URL"] = "http://10.0.0.5:8000"
    output = _served(app, monkeypatch, None, "--host", "127.0.0.1")
    assert "phones use:  http://10.0.0.5:8000  (CEPING_PUBLIC_URL)" in output
    assert "WARNING" not in output and "a proxy must forward here" in output
    assert app.config["PUBLIC_URL"] == "http://10.0.0.5:8000"


def test_loopback_is_told_apart():
    loopback = ["127.0.0.1", "127.5.0.1", "::1", "[::1]", "localhost", "LOCALHOST", "a.localhost"]
    assert all(ceping.server.is_loopback(h) for h in loopback)
    elsewhere = ["0.0.0.0", "::", "192.168.1.10", "fe80::1", "example.org", ""]
    assert not any(ceping.server.is_loopback(h) for h in elsewhere)


def test_main_returns_the_exit_status(app, monkeypatch, capsys, started):
    monkeypatch.setenv("CEPING_INSTANCE", app.instance_path)
    monkeypatch.setattr(ceping.cli, "command_app", lambda: app)
    assert app_module.main(["token"]) == 0
    assert capsys.readouterr().out == ADMIN_TOKEN + "\n"
    assert app_module.main(["serve", "--async-mode", "twisted"]) == 2
    assert app_module.main(["serve"]) == 0 and started == [ServeOptions()]


@pytest.mark.server
def test_app_py_runs_the_commands(tmp_path):
    """The script itself: `verify` and `token` on a new instance folder, and `serve` refusing a
    wrong command line after the async mode's patching."""
    env = {**os.environ, "CEPING_INSTANCE": str(tmp_path)}
    env.pop("CEPING_ADMIN_TOKEN", None)

    def app_py(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "app.py", *args], cwd=ROOT, env=env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip

    verify = app_py("verify")
    assert verify.returncode == 0 and verify.stdout.endswith("verify: OK\n"), verify.stderr
    token = app_py("token")
    assert token.returncode == 0 and token.stdout == Path(tmp_path, "admin_token").read_text()
    refused = app_py("serve", "--cert", "cert.pem")
    assert refused.returncode == 2 and "--cert and --key go together" in refused.stderr
