"""Backups: every reveal leaves a copy of the database in instance/backups/, which restores.

The copy is made with SQLite's backup API on the store's writer thread, after the reveal; the
newest 20 are kept. Restoring is copying a backup over `ceping.sqlite` in an instance folder.
"""

from __future__ import annotations

import io
import re
import shutil
import sqlite3
import time
from pathlib import Path

from app import create_app
from conftest import ADMIN_TOKEN, Api, phone, vote
from voting.storage import BACKUPS_KEPT

NAME = re.compile(r"^\d{8}T\d{9}Z-meeting-(\d+)\.sqlite$")


def _backups(instance: Path, count: int, timeout: float = 10) -> list[Path]:
    """The backups once there are `count` of them and no copy is being made."""
    folder = instance / "backups"
    deadline = time.monotonic() + timeout
    while True:
        found = sorted(folder.glob("*.sqlite")) if folder.exists() else []
        busy = list(folder.glob("*.partial")) if folder.exists() else []
        if len(found) == count and not busy:
            return found
        assert time.monotonic() < deadline, (found, busy)
        time.sleep(0.05)


def test_a_reveal_leaves_a_backup_that_restores_the_revealed_results(app, api, tmp_path):
    made = api.meeting(cards=3, items=2)
    mid, (first, second) = made["meeting"]["id"], made["items"]
    phones = [phone(app, c["token"]) for c in made["cards"]]
    api.move(mid, "open", [first, second])
    for p, choice in zip(phones, ["satisfied", "satisfied", "basic"], strict=True):
        assert vote(p, first, choice)["ok"]
    assert vote(phones[0], second, "unsatisfied")["ok"]
    api.move(mid, "close", [first])
    assert not (tmp_path / "backups").exists()  # a close is no reveal
    api.move(mid, "reveal", [first])
    revealed = api.get(f"/meetings/{mid}/results").get_json()

    (backup,) = _backups(tmp_path, 1)
    assert int(NAME.match(backup.name).group(1)) == mid
    assert backup.stat().st_mode & 0o077 == 0  # private, as the database is
    with sqlite3.connect(backup) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # a file alone
        states = dict(db.execute("SELECT id, state FROM items"))
    assert states == {first: "revealed", second: "open"}

    # Restore: a fresh instance folder with the backup as its database.
    restored = tmp_path / "restored"
    restored.mkdir()
    shutil.copy(backup, restored / "ceping.sqlite")
    again = create_app({"INSTANCE": str(restored), "TESTING": True, "ADMIN_TOKEN": ADMIN_TOKEN,
                        "CLOCK_INTERVAL": 0})  # fmt: skip
    shown = Api(again.test_client()).get(f"/meetings/{mid}/results").get_json()
    assert shown["items"] == revealed["items"]
    counts = shown["items"][0]["aspects"][0]["result"]["counts"]
    assert counts == {"satisfied": 2, "basic": 1, "unsatisfied": 0}
    assert again.extensions["ceping"].store.verify() == []


def _revealed(backup: Path) -> int:
    with sqlite3.connect(backup) as db:
        return db.execute("SELECT count(*) FROM items WHERE state = 'revealed'").fetchone()[0]


def test_only_the_newest_backups_are_kept_and_their_names_sort_by_time(app, api, tmp_path):
    items = BACKUPS_KEPT + 3
    made = api.meeting(cards=2, items=items)
    mid, ids = made["meeting"]["id"], made["items"]
    for n, item in enumerate(ids, start=1):
        api.move(mid, "open", [item], override_quorum=True)
        api.move(mid, "close", [item])
        api.move(mid, "reveal", [item])
        deadline = time.monotonic() + 10
        while _revealed(_backups(tmp_path, min(n, BACKUPS_KEPT))[-1]) != n:  # this reveal's
            assert time.monotonic() < deadline, n
            time.sleep(0.05)
    kept = _backups(tmp_path, BACKUPS_KEPT)
    # In time order: the oldest kept is the 4th reveal's, the newest holds every reveal.
    assert [_revealed(b) for b in kept] == list(range(items - BACKUPS_KEPT + 1, items + 1))


def test_a_backup_keeps_the_materials_files_beside_it(app, api, tmp_path):
    """看一看: the materials' files go beside the copy (`….materials/`), as they were then."""
    made = api.meeting(cards=2, items=1)
    mid, (item,) = made["meeting"]["id"], made["items"]
    r = api.client.post(
        f"/api/meetings/{mid}/materials", headers=api.headers, content_type="multipart/form-data",
        data={"file": (io.BytesIO("述法报告全文".encode()), "报告.txt"), "item": str(item)},
    )  # fmt: skip
    assert r.status_code == 201, r.get_json()
    api.move(mid, "open", [item], override_quorum=True)
    api.move(mid, "close", [item])
    api.move(mid, "reveal", [item])
    (backup,) = _backups(tmp_path, 1)
    text = backup.with_suffix(".materials") / str(mid) / str(r.get_json()["id"]) / "text.txt"
    assert text.read_text(encoding="utf-8") == "述法报告全文"
