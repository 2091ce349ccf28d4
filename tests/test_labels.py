"""The scales' labels in the page's language (`voting.labels`): the results API and what the
projector and the phones are sent, in Chinese by default and in English with the cookie."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

from app import socketio
from conftest import phone, received, vote
from voting import labels, wording

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
ROOT = Path(__file__).resolve().parent.parent
OWN_KEYS = {"title", "subject", "person", "batch"}  # the meeting's own data: stays as typed


def _chinese_left(value: Any, key: str | None = None) -> list[str]:
    """Every text in `value` with Chinese in it, the meeting's own data aside."""
    if isinstance(value, dict):
        return [t for k, v in value.items() if k not in OWN_KEYS for t in _chinese_left(v, k)]
    if isinstance(value, list):
        return [t for v in value for t in _chinese_left(v, key)]
    return [value] if isinstance(value, str) and CJK.search(value) else []


def _revealed(app, api, scale: str = "satisfaction", **settings: Any) -> dict[str, Any]:
    """A meeting of 4 cards whose first item got 2 满意 / 1 基本满意 / 1 不满意 (or a grade4
    ballot each), its two items revealed."""
    m = api.meeting(cards=4, items=2, scale=scale, **settings)
    mid, (a, b) = m["meeting"]["id"], m["items"]
    phones = [phone(app, card["token"]) for card in m["cards"]]
    api.move(mid, "open", [a, b])
    choices = ["satisfied", "satisfied", "basic", "unsatisfied"]
    if scale == "grade4":
        choices = ["excellent", "good", "pass", "fail"]
    for p, choice in zip(phones, choices, strict=True):
        for aspect in range(len(settings.get("aspects", [0]))):
            assert vote(p, a, choice, aspect=aspect)["ok"]
    api.move(mid, "close", [a, b])
    api.move(mid, "reveal", [a, b])
    return m


def test_the_english_catalog_says_each_label_as_the_rule_line_does(app):
    with open(ROOT / "translations/en/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f, locale="en")
    for text in labels.LABELS:
        assert catalog.get(text) is not None and catalog.get(text).string, text
    for chinese, english in wording.ENGLISH.items():
        assert catalog.get(chinese).string == english


def test_the_results_api_is_chinese_by_default_and_english_with_the_cookie(app, client, api):
    mid = _revealed(app, api)["meeting"]["id"]
    chinese = api.get(f"/meetings/{mid}/results").get_json()
    tally = chinese["items"][0]["aspects"][0]["result"]
    assert [o["label"] for o in tally["options"]] == ["满意", "基本满意", "不满意"]
    assert tally["verdict_label"] == "满意"  # 2 of 应到 4
    assert chinese["rule_text"].startswith("按应到 4 人计")
    client.set_cookie("ceping_lang", "en")
    english = api.get(f"/meetings/{mid}/results").get_json()
    tally = english["items"][0]["aspects"][0]["result"]
    assert [o["label"] for o in tally["options"]] == [
        "Satisfied", "Basically satisfied", "Unsatisfied"
    ]  # fmt: skip
    assert tally["verdict_label"] == "Satisfied"
    assert english["rule_text"] == (
        "Counted against the 4 expected members: Satisfied with at least 2 Satisfied votes; "
        "Basically satisfied with more than 2 Satisfied and Basically satisfied votes together"
    )
    assert _chinese_left(english) == []
    assert english["items"][0]["subject"] == "市第0局"  # typed: stays as typed


def test_a_typed_aspect_stays_as_typed(app, client, api):
    m = _revealed(app, api, aspects=["依法履职", "总体评价"])
    client.set_cookie("ceping_lang", "en")
    shown = api.get(f"/meetings/{m['meeting']['id']}/results").get_json()
    assert [a["name"] for a in shown["items"][0]["aspects"]] == ["依法履职", "Overall assessment"]


def test_the_score_and_grade_scales_in_english(app, client, api):
    client.set_cookie("ceping_lang", "en")
    mid = _revealed(app, api, "grade4")["meeting"]["id"]
    shown = api.get(f"/meetings/{mid}/results").get_json()
    tally = shown["items"][0]["aspects"][0]["result"]
    assert [o["label"] for o in tally["options"]] == ["Excellent", "Good", "Pass", "Fail"]
    assert shown["rule_text"].startswith("Counted against the 4 expected members: Excellent")
    assert _chinese_left(shown) == []
    score = api.meeting(cards=2, items=1, scale="score")["meeting"]["id"]
    bands = api.get(f"/meetings/{score}/results").get_json()["scale"]["bands"]
    assert [b["label"] for b in bands] == ["Excellent", "Good", "Pass", "Fail"]


def test_the_projector_is_sent_the_rule_line_in_both_languages(app, api):
    m = _revealed(app, api)
    meeting = m["meeting"]
    auth = {"meeting": meeting["id"], "key": meeting["screen_key"]}
    screen = socketio.test_client(app, namespace="/screen", auth=auth)
    (shown,) = received(screen, "/screen", "results")
    assert shown["rule_text"].startswith("按应到 4 人计")
    assert shown["rule_text_en"].startswith("Counted against the 4 expected members")


def _strings(page: str) -> dict[str, Any]:
    found = re.search(r'<script id="i18n" type="application/json">(.*?)</script>', page, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_the_pages_carry_the_label_map_in_english_only(app, client, api):
    m = api.meeting(cards=1, items=1)
    meeting, token = m["meeting"], m["cards"][0]["token"]
    pages = [f"/screen/{meeting['id']}?key={meeting['screen_key']}", f"/v/{token}"]
    for path in pages:
        assert _strings(client.get(path).get_data(as_text=True))["labels"] == {}
    client.set_cookie("ceping_lang", "en")
    for path in pages:
        shown = _strings(client.get(path).get_data(as_text=True))["labels"]
        assert shown["满意"] == "Satisfied" and shown["不合格"] == "Fail", path
        assert shown["总体评价"] == "Overall assessment"
        assert not any(CJK.search(english) for english in shown.values())
