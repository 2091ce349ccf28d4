"""Every page speaks zh-CN by default and English when chosen: each string marked for
translation has an English translation, and the compiled catalog is the one the sources say."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "translations" / "en" / "LC_MESSAGES"
HAN = re.compile(r"[\u3400-\u9fff]")


def _extracted() -> set[str]:
    with open(ROOT / "translations" / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _po():
    with open(CATALOG / "messages.po", "rb") as f:
        return read_po(f, locale="en")


def test_every_marked_string_has_an_english_translation():
    catalog = _po()
    missing = sorted(m for m in _extracted() if not (catalog.get(m) and catalog.get(m).string))
    assert not missing, "run `make translations` and translate:\n" + "\n".join(missing)
    fuzzy = sorted(m.id for m in catalog if m.id and m.fuzzy)
    assert not fuzzy, f"fuzzy (check and clear the flag): {fuzzy}"


def test_the_compiled_catalog_is_up_to_date():
    po = {m.id: m.string for m in _po() if m.id and m.string}
    mo = {m.id: m.string for m in read_mo(io.BytesIO((CATALOG / "messages.mo").read_bytes()))
          if m.id}  # fmt: skip
    assert mo == po, "run `make translations` to compile the catalog"


def test_chinese_is_the_default_and_english_a_click_away(client):
    page = client.get("/console/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "会务控制台" in page
    switch = client.get("/lang/en?next=/console/")
    assert switch.status_code == 302 and switch.headers["Location"] == "/console/"
    english = client.get("/console/").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert HAN.findall(english.replace("中文", "")) == []


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_the_language_switch_goes_back_only_to_this_server(client, target):
    r = client.get("/lang/en", query_string={"next": target})
    assert r.headers["Location"] == "/"


def test_an_unknown_language_keeps_chinese(client):
    client.get("/lang/xx?next=/console/")
    assert '<html lang="zh-CN">' in client.get("/console/").get_data(as_text=True)
