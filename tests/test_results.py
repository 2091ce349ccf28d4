"""Tests for voting/results.py: a meeting's results from counted rows, with no database."""

from __future__ import annotations

import ast
from datetime import date
from pathlib import Path

from voting.records import Item, Meeting
from voting.results import add_months, meeting_results, needs_followup
from voting.rules import get_scale

ROOT = Path(__file__).resolve().parent.parent
PURE = (
    "voting/results.py",
    "voting/records.py",
    "voting/rules.py",
    "voting/meeting.py",
    "voting/errors.py",
    "voting/wording.py",
    "voting/speech.py",
    "voting/ledger.py",
    "voting/rounds.py",
    "voting/announce.py",
)


def meeting(**fields: object) -> Meeting:
    m: Meeting = {
        "id": 1, "title": "述法测评", "expected": 10, "scale": "satisfaction",
        "rule": {}, "combine": {}, "aspects": ["总体评价"], "secret": True,
        "allow_change": False, "join_mode": "cards", "join_key": "j", "screen_key": "s",
        "quorum": 0.5, "live_tallies": False, "auto_close": False, "followup_months": 3,
        "created_at": "2026-12-01T08:00:00.000+00:00",
    }  # fmt: skip
    return {**m, **fields}  # type: ignore[typeddict-item]


def item(item_id: int, state: str = "closed") -> Item:
    return {
        "id": item_id, "position": item_id, "subject": f"市第{item_id}局", "person": "",
        "kind": "oral", "batch": "", "state": state, "closes_at": None,
    }  # fmt: skip


def test_items_are_tallied_ranked_and_their_paper_ballots_shown_alone() -> None:
    counts = {
        1: {"0": {"member": {"satisfied": 6, "basic": 2}}},
        2: {"0": {"member": {"satisfied": 8}}},
        3: {},
    }
    paper = {1: {"0": {"member": {"satisfied": 1}}}, 2: {}, 3: {}}
    shown = meeting_results(
        meeting(), [item(1), item(2), item(3)], counts, {"member": 9}, {"member": 10}, paper
    )
    assert (shown["meeting"], shown["present"], shown["expected"]) == (1, 9, 10)
    first, second, third = shown["items"]
    assert [first["rank"], second["rank"], third["rank"]] == [2, 1, None]  # no ballots: no rank
    assert first["aspects"][0]["result"]["counts"] == {"satisfied": 6, "basic": 2, "unsatisfied": 0}
    assert first["aspects"][0]["paper"] == {"satisfied": 1}
    assert first["aspects"][0]["paper_groups"] == {"member": {"satisfied": 1}}
    assert list(first)[:8] == list(item(1))  # the item's own fields first, as the API shows
    assert set(first["aspects"][0]["groups"]) == {"member"}


def test_a_verdict_below_the_best_level_needs_a_follow_up() -> None:
    scale = get_scale("satisfaction")
    assert not needs_followup(scale, None)
    assert not needs_followup(scale, scale.levels[0])
    assert all(needs_followup(scale, level) for level in scale.levels[1:])


def test_add_months_at_the_end_of_a_year_and_of_a_month() -> None:
    assert add_months(date(2026, 10, 31), 4) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_the_pure_modules_import_neither_flask_nor_a_database() -> None:
    """What they import, and what those import in the project, in turn."""
    seen: set[str] = set()
    todo = [ROOT / p for p in PURE]
    while todo:
        path = todo.pop()
        if str(path) in seen:
            continue
        seen.add(str(path))
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in ("flask", "flask_socketio", "sqlite3", "sqlite_utils"), (path, name)
            module = ROOT / (name.replace(".", "/") + ".py")
            if top == "voting" and module.exists():
                todo.append(module)


def test_the_input_side_never_imports_the_output_side_or_the_app() -> None:
    """Data flows one way: `voting` knows nothing of `display`, and neither side of `ceping`."""
    for path in (ROOT / "voting").rglob("*.py"):
        for name in _imports(path):
            assert name.split(".")[0] not in ("display", "ceping", "app"), (path, name)
    for path in (ROOT / "display").rglob("*.py"):
        for name in _imports(path):
            assert name.split(".")[0] not in ("ceping", "app"), (path, name)
