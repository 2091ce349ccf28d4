"""The command line, `python app.py COMMAND` (app.py is only its entry):

    serve    run the server (README, "Run" and "HTTPS")
    verify   check the audit chain and recount every closed item; exit 1 on any problem
    token    print the admin token

Built on Flask's click integration: a command runs in the context of an app made by
`create_app`, as `flask` commands do, except `serve`, which makes its own in the async mode it is
given. Tests invoke them in-process: `app.test_cli_runner().invoke(cli, ["verify"])` runs
`verify` on the test's app. A new command goes here, as a `@cli.command()`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo

from ceping import create_app, server
from ceping.server import ServeOptions

ASYNC_MODES = ("gevent", "eventlet", "threading")  # the first is the default


def command_app() -> Flask:
    """The app a command works on: the instance folder's, with no clock ticking."""
    return create_app({"CLOCK_INTERVAL": 0})


class CommandLine(AppGroup):
    """The commands of `python app.py`, given the app `command_app` makes unless the caller
    (Flask's test runner) gives one."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> click.Context:
        extra.setdefault("obj", ScriptInfo(create_app=command_app, set_debug_flag=False))
        return super().make_context(info_name, args, parent=parent, **extra)


cli = CommandLine(
    "app.py", help="ceping (测评)", context_settings={"help_option_names": ["-h", "--help"]}
)


@cli.command("serve", with_appcontext=False, help="run the server")
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", type=int, default=5000, show_default=True)
@click.option(
    "--async-mode", type=click.Choice(ASYNC_MODES), default=ASYNC_MODES[0], show_default=True
)
@click.option("--access-log", is_flag=True, help="log every HTTP request")
@click.option("--cert", help="serve HTTPS with this certificate (PEM, with its chain)")
@click.option("--key", help="the certificate's private key (PEM)")
@click.option("--demo", is_flag=True, help="create the demo meeting if there is no meeting")
def serve_command(**given: Any) -> None:
    options = ServeOptions(**given)
    if bool(options.cert) != bool(options.key):
        raise click.UsageError("--cert and --key go together")
    for path in filter(None, (options.cert, options.key)):
        if not Path(path).is_file():
            raise click.UsageError(f"no such file: {path}")
    start(options)


def start(options: ServeOptions) -> None:
    """Make the app in the async mode asked for (app.py has patched for it) and serve it."""
    server.serve(create_app({"ASYNC_MODE": options.async_mode}), options)


@cli.command("verify", help="check the audit chain and recount every closed item")
def verify_command() -> None:
    store = current_app.extensions["ceping"].store
    problems = store.verify()
    for problem in problems:
        click.echo(f"FAIL {problem}")
    head = store.audit_head()
    click.echo(f"audit log: {head['entries']} entries, head {head['hash']}")
    click.echo("verify: OK" if not problems else f"verify: {len(problems)} problem(s)")
    if problems:
        raise click.exceptions.Exit(1)


@cli.command("token", help="print the admin token")
def token_command() -> None:
    click.echo(current_app.extensions["ceping"].admin_token)


def main(argv: list[str] | None = None) -> int:
    """Run one command as `python app.py` does (`argv` without the program's name): its exit
    status, 2 for a wrong command line."""
    try:
        cli.main(args=argv, prog_name="app.py")
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else int(done.code is not None)
    return 0
