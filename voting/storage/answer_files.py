"""The files a department sent with its answer on a follow-up (整改报告), kept as the sitting's
materials are: rows of `materials` with `owner` 'followup', `item_id` and `followup_item` the
item whose follow-up it is (so they go with the item), files in the same folders.

They are not the sitting's materials: the materials' listing, the phones' 查看材料, the reading
link and 缺少材料 leave them out (`owner = 'item'` there), and only the console reads them.
"""

from __future__ import annotations

import sqlite3

from voting.errors import NotFound
from voting.records import Material, ShownMaterial
from voting.storage.audit import append_audit
from voting.storage.followups import own_followup
from voting.storage.materials import COLUMNS, record
from voting.storage.rows import now


def _status(conn: sqlite3.Connection, meeting_id: int, item_id: int) -> str:
    """The follow-up's status; NotFound when the item (of this meeting) has none of its own."""
    return str(own_followup(conn, meeting_id, item_id)["status"])


def check(conn: sqlite3.Connection, meeting_id: int, item_id: int) -> None:
    _status(conn, meeting_id, item_id)


def add_file(conn: sqlite3.Connection, meeting_id: int, item_id: int, name: str, kind: str,
             pages: int, size: int) -> Material:  # fmt: skip
    """A new file's row on the item's follow-up; audit-logged as `followup_file`."""
    status = _status(conn, meeting_id, item_id)
    cur = conn.execute(
        "INSERT INTO materials (meeting_id, item_id, owner, followup_item, name, kind, pages,"
        " bytes, created_at) VALUES (?, ?, 'followup', ?, ?, ?, ?, ?, ?)",
        (meeting_id, item_id, item_id, name, kind, pages, size, now()),
    )
    material = int(cur.lastrowid or 0)
    append_audit(conn, meeting_id, "followup_file", {"item": item_id, "status": status,
                 "material": material, "name": name, "kind": kind})  # fmt: skip
    return file_of(conn, meeting_id, item_id, material)


def file_of(conn: sqlite3.Connection, meeting_id: int, item_id: int, material: int) -> Material:
    row = conn.execute(
        f"SELECT {COLUMNS} FROM materials WHERE id = ? AND meeting_id = ?"
        " AND owner = 'followup' AND followup_item = ?",
        (material, meeting_id, item_id),
    ).fetchone()
    if row is None:
        raise NotFound("会议 %(meeting)s 没有编号为 %(material)s 的材料。",
                       meeting=meeting_id, material=material)  # fmt: skip
    return record(row)


def delete_file(conn: sqlite3.Connection, meeting_id: int, item_id: int, material: int) -> Material:
    """Remove a file's row (its folder goes after the commit); audit-logged."""
    gone = file_of(conn, meeting_id, item_id, material)
    status = _status(conn, meeting_id, item_id)
    conn.execute("DELETE FROM materials WHERE id = ?", (material,))
    append_audit(conn, meeting_id, "followup_file_delete", {"item": item_id, "status": status,
                 "material": material, "name": gone["name"]})  # fmt: skip
    return gone


def files_by_item(conn: sqlite3.Connection) -> dict[int, list[ShownMaterial]]:
    """Follow-up item → its answer's files, in the order they came."""
    found: dict[int, list[ShownMaterial]] = {}
    for r in conn.execute(
        "SELECT id, followup_item, name, kind, pages FROM materials"
        " WHERE owner = 'followup' ORDER BY id"
    ):
        found.setdefault(r["followup_item"], []).append(
            {"id": r["id"], "name": r["name"], "kind": r["kind"], "pages": r["pages"]}
        )
    return found
