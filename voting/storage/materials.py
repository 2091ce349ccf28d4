"""看一看: the materials of a meeting's items, and its reading link (the SQL of both).

The files themselves are in `instance/materials/<meeting>/<material>/` (`folder`); a row is
written once they are there, and a deleted row's folder is removed after the commit
(`Store.delete_material`, `Store.sweep_materials`). Only rows of `owner` 'item' are the
sitting's materials; a follow-up's answer keeps its files in the same table and folders
(`storage.answer_files`), and nothing here lists or shows them.
"""

from __future__ import annotations

import secrets
import shutil
import sqlite3
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from voting.errors import NotFound
from voting.records import Material, MaterialListing, ReadersView, ShownMaterial
from voting.storage.audit import append_audit
from voting.storage.rows import item_of, meeting_row, now

if TYPE_CHECKING:
    from voting.storage.facade import Store

COLUMNS = "id, meeting_id, item_id, name, kind, pages, bytes, created_at"


def folder(instance: Path, meeting_id: int, material_id: int | None = None) -> Path:
    """Where a meeting's (or one material's) files are kept."""
    base = instance / "materials" / str(meeting_id)
    return base if material_id is None else base / str(material_id)


def record(row: sqlite3.Row) -> Material:
    return {
        "id": row["id"],
        "meeting_id": row["meeting_id"],
        "item_id": row["item_id"],
        "name": row["name"],
        "kind": row["kind"],
        "pages": row["pages"],
        "bytes": row["bytes"],
        "created_at": row["created_at"],
    }


def add_material(
    conn: sqlite3.Connection,
    meeting_id: int,
    item_id: int | None,
    name: str,
    kind: str,
    pages: int,
    size: int,
) -> Material:
    """A new material's row (its files are written by the caller under the id it gets)."""
    meeting_row(conn, meeting_id)
    if item_id is not None:
        item_of(conn, meeting_id, item_id)
    cur = conn.execute(
        "INSERT INTO materials (meeting_id, item_id, name, kind, pages, bytes, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (meeting_id, item_id, name, kind, pages, size, now()),
    )
    detail = {"material": cur.lastrowid, "item": item_id, "name": name, "kind": kind}
    append_audit(conn, meeting_id, "add_material", detail)
    return material_of(conn, meeting_id, int(cur.lastrowid or 0))


def material_of(
    conn: sqlite3.Connection, meeting_id: int, material_id: int, any_owner: bool = False
) -> Material:
    """A material of the sitting (or, with `any_owner`, a follow-up's file too: the console's)."""
    owner = "" if any_owner else " AND owner = 'item'"
    row = conn.execute(
        f"SELECT {COLUMNS} FROM materials WHERE id = ? AND meeting_id = ?{owner}",
        (material_id, meeting_id),
    ).fetchone()
    if row is None:
        raise NotFound("会议 %(meeting)s 没有编号为 %(material)s 的材料。",
                       meeting=meeting_id, material=material_id)  # fmt: skip
    return record(row)


def delete_material(conn: sqlite3.Connection, meeting_id: int, material_id: int) -> Material:
    gone = material_of(conn, meeting_id, material_id)
    conn.execute("DELETE FROM materials WHERE id = ?", (material_id,))
    append_audit(conn, meeting_id, "delete_material", {"material": material_id,
                 "item": gone["item_id"], "name": gone["name"]})  # fmt: skip
    return gone


def listing(conn: sqlite3.Connection, meeting_id: int) -> MaterialListing:
    """The meeting's materials (general ones first, then by item), and which items have none."""
    meeting = meeting_row(conn, meeting_id)
    rows = conn.execute(
        f"SELECT {COLUMNS} FROM materials WHERE meeting_id = ? AND owner = 'item'"
        " ORDER BY item_id IS NOT NULL, item_id, id",
        (meeting_id,),
    ).fetchall()
    missing = conn.execute(
        "SELECT id FROM items i WHERE meeting_id = ? AND NOT EXISTS"
        " (SELECT 1 FROM materials m WHERE m.item_id = i.id AND m.owner = 'item')"
        " ORDER BY position",
        (meeting_id,),
    ).fetchall()
    return {
        "materials": [record(r) for r in rows],
        "missing": [r["id"] for r in missing],
        "reading_key": meeting["reading_key"],
    }


def set_reading_key(conn: sqlite3.Connection, meeting_id: int, make: bool) -> str | None:
    """A new random reading key (replacing the old one), or none (withdrawn). Audit-logged."""
    meeting_row(conn, meeting_id)
    key = secrets.token_urlsafe(18) if make else None
    conn.execute("UPDATE meetings SET reading_key = ? WHERE id = ?", (key, meeting_id))
    append_audit(conn, meeting_id, "reading_link" if make else "withdraw_reading_link", {})
    return key


def reading_key_of(conn: sqlite3.Connection, meeting_id: int) -> str | None:
    row = conn.execute("SELECT reading_key FROM meetings WHERE id = ?", (meeting_id,)).fetchone()
    return None if row is None else row["reading_key"]


def readers_view(conn: sqlite3.Connection, meeting_id: int) -> ReadersView:
    """The meeting's title, its items (subject, person) and each one's materials."""
    meeting = meeting_row(conn, meeting_id)
    found = listing(conn, meeting_id)["materials"]

    def of(item_id: int | None) -> list[ShownMaterial]:
        return [{"id": m["id"], "name": m["name"], "kind": m["kind"], "pages": m["pages"]}
                for m in found if m["item_id"] == item_id]  # fmt: skip

    items = conn.execute(
        "SELECT id, subject, person FROM items WHERE meeting_id = ? ORDER BY position",
        (meeting_id,),
    ).fetchall()
    return {
        "meeting": meeting_id,
        "title": meeting["title"],
        "general": of(None),
        "items": [
            {
                "id": r["id"],
                "subject": r["subject"],
                "person": r["person"],
                "materials": of(r["id"]),
            }
            for r in items
        ],  # fmt: skip
    }


def meeting_of_reading_key(conn: sqlite3.Connection, key: str) -> int | None:
    row = conn.execute("SELECT id FROM meetings WHERE reading_key = ?", (key,)).fetchone()
    return None if row is None else int(row["id"])


def material_ids(conn: sqlite3.Connection) -> dict[int, set[int]]:
    """Meeting id → its materials' ids (what `sweep` keeps)."""
    kept: dict[int, set[int]] = {}
    for row in conn.execute("SELECT id, meeting_id FROM materials"):
        kept.setdefault(row["meeting_id"], set()).add(row["id"])
    return kept


def sweep(instance: Path, kept: dict[int, set[int]]) -> int:
    """Remove the folders of materials no row names (deleted, or of a deleted meeting or item,
    or left by an upload that failed half-way); how many were removed."""
    root = instance / "materials"
    removed = 0
    for meeting_dir in root.iterdir() if root.is_dir() else ():
        if not meeting_dir.name.isdigit():
            continue  # uploads being made (`.uploads`)
        ids = kept.get(int(meeting_dir.name), set())
        for entry in meeting_dir.iterdir():
            if not (entry.name.isdigit() and int(entry.name) in ids):
                shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink()
                removed += 1
        if not ids:
            shutil.rmtree(meeting_dir, ignore_errors=True)
    return removed


class Materials:
    """The store's materials (`Store.materials`): reads on its read connection, writes through
    its writer; the files under the instance folder beside the database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.instance = store.path.parent

    def listing(self, meeting_id: int) -> MaterialListing:
        return self.store.read(lambda conn: listing(conn, meeting_id))

    def get(self, meeting_id: int, material_id: int, any_owner: bool = False) -> Material:
        """A material of the sitting; with `any_owner` a follow-up's file too (the console)."""
        return self.store.read(lambda conn: material_of(conn, meeting_id, material_id, any_owner))

    def check(self, meeting_id: int, item_id: int | None, followup: bool = False) -> None:
        """NotFound for an unknown meeting, or an item not of it (or, with `followup`, one
        without a follow-up record of its own)."""
        from voting.storage import answer_files

        def q(conn: sqlite3.Connection) -> None:
            meeting_row(conn, meeting_id)
            if item_id is not None:
                item_of(conn, meeting_id, item_id)
                if followup:
                    answer_files.check(conn, meeting_id, item_id)

        self.store.read(q)

    def items_with(self, meeting_id: int) -> list[int]:
        """The meeting's items that have a material (a phone offers 查看材料 on them)."""

        def q(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute(
                "SELECT DISTINCT item_id FROM materials"
                " WHERE meeting_id = ? AND item_id IS NOT NULL AND owner = 'item'"
                " ORDER BY item_id",
                (meeting_id,),
            )
            return [r["item_id"] for r in rows]

        return self.store.read(q)

    def has_general(self, meeting_id: int) -> bool:
        """Whether the meeting has general materials (a waiting phone offers 会议材料)."""

        def q(conn: sqlite3.Connection) -> bool:
            row = conn.execute(
                "SELECT 1 FROM materials WHERE meeting_id = ? AND item_id IS NULL"
                " AND owner = 'item' LIMIT 1",
                (meeting_id,),
            ).fetchone()
            return row is not None

        return self.store.read(q)

    def reading_key(self, meeting_id: int) -> str | None:
        return self.store.read(lambda conn: reading_key_of(conn, meeting_id))

    def shown(self, meeting_id: int) -> ReadersView:
        """What a reader sees: the title, the items and their materials (nothing else)."""
        return self.store.read(lambda conn: readers_view(conn, meeting_id))

    def reading_meeting(self, key: str) -> int | None:
        """The meeting whose reading link has this key (None: no such link, or withdrawn)."""
        return self.store.read(lambda conn: meeting_of_reading_key(conn, key))

    def uploads(self) -> Path:
        """Where an upload's files are made before they have a material id."""
        place = self.instance / "materials" / ".uploads"
        place.mkdir(mode=0o700, parents=True, exist_ok=True)
        return place

    def add(self, meeting_id: int, item_id: int | None, name: str, kind: str, pages: int,
            size: int, files: Path, followup: bool = False) -> Material:  # fmt: skip
        """Keep an upload's `files` (a folder under `uploads()`) as a new material (with
        `followup`, a file of the answer on `item_id`'s follow-up: `storage.answer_files`)."""
        from voting.storage import answer_files

        def job(conn: sqlite3.Connection) -> Material:
            if followup and item_id is not None:
                made = answer_files.add_file(conn, meeting_id, item_id, name, kind, pages, size)
            else:
                made = add_material(conn, meeting_id, item_id, name, kind, pages, size)
            target = folder(self.instance, meeting_id, made["id"])
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            files.replace(target)  # rolled back: `sweep` removes the folder no row names
            return made

        return self.store._write(job)

    def delete(self, meeting_id: int, material_id: int, followup: int | None = None) -> Material:
        """Delete a material of the sitting, or (`followup`: its item) a file of that
        follow-up's answer; the files go after the commit."""
        from voting.storage import answer_files

        def job(conn: sqlite3.Connection) -> Material:
            if followup is not None:
                gone = answer_files.delete_file(conn, meeting_id, followup, material_id)
            else:
                gone = delete_material(conn, meeting_id, material_id)
            target = folder(self.instance, meeting_id, material_id)
            self.store.writer.after_commit(partial(shutil.rmtree, target, ignore_errors=True))
            return gone

        return self.store._write(job)

    def set_reading(self, meeting_id: int, make: bool) -> str | None:
        """A new reading link (its key) for the meeting, or none: the old one is withdrawn."""
        return self.store._write(lambda conn: set_reading_key(conn, meeting_id, make))

    def sweep(self) -> int:
        """Remove the files no material row names (after a meeting or an item is deleted)."""
        return sweep(self.instance, self.store.read(material_ids))
