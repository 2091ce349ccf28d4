"""What the browser tests share: the screens' sizes, Chromium's path and flags, the guard that
fails a page asking for anything outside the app, screenshots, the console login and a meeting
made over the API. The `browser` and `server` fixtures are in conftest.py."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

from realserver import ROOT, TOKEN, Server

SHOTS = ROOT / "build" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True, "locale": "zh-CN"}  # fmt: skip
PROJECTOR = {"viewport": {"width": 1920, "height": 1080}, "locale": "zh-CN"}
LAPTOP = {"viewport": {"width": 1440, "height": 900}, "locale": "zh-CN"}
WAIT = 30_000  # ms: how long a page may take to show what it must, on a busy machine


def chromium() -> str | None:
    """Debian's Chromium (or $CEPING_CHROMIUM), or None."""
    for candidate in (os.environ.get("CEPING_CHROMIUM"), shutil.which("chromium"),
                      shutil.which("chromium-browser"), "/usr/bin/chromium"):  # fmt: skip
        if candidate and Path(candidate).exists():
            return candidate
    return None


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


class Guard:
    """Fails a page that asks for anything outside the app, or logs a console error."""

    def __init__(self, context: Any, base: str) -> None:
        self.base = base
        self.outside: list[str] = []
        self.errors: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.base) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def watch(self, page: Any, name: str) -> Any:
        """Record the page's script errors, console errors and failed sub-resources.

        Chromium also logs a refused page itself (404, 409) as "Failed to load resource"; those
        are pages that answer with an error on purpose, so sub-resources are checked instead.
        """

        def console(message: Any) -> None:
            if message.type == "error" and not message.text.startswith("Failed to load resource"):
                self.errors.append(f"{name}: {message.text}")

        def response(r: Any) -> None:
            if r.status >= 400 and r.request.resource_type != "document":
                self.errors.append(f"{name}: {r.status} {r.url}")

        page.on("console", console)
        page.on("pageerror", lambda e: self.errors.append(f"{name}: {e}"))
        page.on("response", response)
        return page

    def check(self) -> None:
        assert self.outside == [], f"requests outside the app: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def login(page: Any, server: Server) -> None:
    """The secretary logs in to the console with the admin token."""
    page.goto(f"{server.url}/console/")
    page.fill("#secret", TOKEN)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/console/?$"))


def new_meeting(server: Server, *, cards: int, written: int, **settings: Any) -> dict[str, Any]:
    """One oral item and `written` written ones in a batch: {meeting, oral, batch, cards}."""
    m = server.api("POST", "/meetings", {"title": "市人大常委会 法治政府建设 述法测评",
                                         "expected": cards, **settings}, 201)  # fmt: skip
    oral = [{"subject": "市水利局", "person": "张伟 局长", "kind": "oral"}]
    batch = [{"subject": f"市第{n + 1}局", "person": "局长", "kind": "written",
              "batch": "书面述法"} for n in range(written)]  # fmt: skip
    ids = server.api("POST", f"/meetings/{m['id']}/items", {"items": oral + batch}, 201)["ids"]
    issued = server.api("POST", f"/meetings/{m['id']}/cards", {"count": cards}, 201)["cards"]
    return {"meeting": m, "oral": ids[0], "batch": ids[1:], "cards": issued}
