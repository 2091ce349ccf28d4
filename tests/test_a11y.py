"""What the accessibility check leaves out of the app, and the 大字 switch as the server sends it.

axe-core runs only in the browser tests (tests/test_browser_a11y.py, injected by
axe-playwright-python): no route, static file or template serves or names it.
"""

from __future__ import annotations

import re
from pathlib import Path

import axe_playwright_python

ROOT = Path(__file__).resolve().parent.parent
AXE = Path(axe_playwright_python.__file__).with_name("axe.min.js")


def test_axe_is_never_served(app, client):
    signature = AXE.read_text(encoding="utf-8")[:400]
    assert "axe" in signature  # the file the browser tests inject, so the check below means it
    for folder in ("static", "templates"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file():
                assert "axe" not in path.name.lower(), path
                text = path.read_bytes().decode("utf-8", "replace")
                assert "axe-core" not in text and "axe.run" not in text, path
                assert signature not in text, path
    assert not [r.rule for r in app.url_map.iter_rules() if "axe" in r.rule.lower()]
    for url in ("/static/axe.min.js", "/static/vendor/axe.min.js", "/axe.min.js"):
        assert client.get(url).status_code == 404, url


def test_the_phone_page_sets_large_text_before_its_stylesheet(api, client):
    """The choice is read from localStorage by the page's first script, before the stylesheet
    and the body, so a remembered 大字 never flashes small; the switch says whether it is on."""
    made = api.meeting(cards=1, items=1)
    html = client.get(f"/v/{made['cards'][0]['token']}").get_data(as_text=True)
    early = html.index('localStorage.getItem("ceping.large")')
    assert early < html.index("voter.css") < html.index("<body")
    switch = re.search(r'<button type="button" id="large-text" aria-pressed="false">', html)
    assert switch and switch.start() > html.index("<body")
