"""What an SQLite file itself keeps, read byte by byte as anybody holding the file could: the
past states in its WAL, and where SQLite placed each row in its page (the secrecy tests' tools)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def wal_links(db_path: Path, workdir: Path) -> set[tuple[int, int, str]]:
    """(card, item, choice) links recoverable from the WAL by replaying it commit by commit.

    Every prefix of the WAL that ends on a commit frame is a past state of the database: copy
    the main file with that prefix, open it, and compare each state with the one before. A commit
    that adds one `voted` row and one ballot for the same item tells whose ballot it is.
    """
    wal = Path(f"{db_path}-wal").read_bytes() if Path(f"{db_path}-wal").exists() else b""
    if len(wal) <= 32:
        return set()
    page_size = int.from_bytes(wal[8:12], "big")
    ends, offset = [], 32
    while offset + 24 + page_size <= len(wal):
        commit = int.from_bytes(wal[offset + 4 : offset + 8], "big")  # db size on commit frames
        offset += 24 + page_size
        if commit:
            ends.append(offset)
    main = db_path.read_bytes()
    states = []
    for n, end in enumerate(ends):
        copy = workdir / f"state{n}.sqlite"
        copy.write_bytes(main)
        Path(f"{copy}-wal").write_bytes(wal[:end])
        conn = sqlite3.connect(str(copy))
        try:
            voted = set(conn.execute("SELECT item_id, card_id FROM voted"))
            ballots = set(conn.execute("SELECT id, item_id, choice FROM ballots"))
        except sqlite3.OperationalError:  # before the tables existed
            voted, ballots = set(), set()
        conn.close()
        states.append((voted, ballots))
    links = set()
    for (voted0, ballots0), (voted1, ballots1) in zip(states, states[1:], strict=False):
        new_voted, new_ballots = voted1 - voted0, ballots1 - ballots0
        if len(new_voted) == 1 and len(new_ballots) == 1:
            (item, card), (_, ballot_item, choice) = *new_voted, *new_ballots
            if item == ballot_item:
                links.add((card, item, choice))
    return links


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = 0
    for k in range(9):
        byte = data[i + k]
        if k == 8:
            return (value << 8) | byte, i + 9
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            return value, i + k + 1
    raise AssertionError("unreachable")


def _record(data: bytes, i: int) -> list[Any]:
    """Decode one SQLite record (https://sqlite.org/fileformat.html#record_format)."""
    header_size, j = _varint(data, i)
    types = []
    while j < i + header_size:
        t, j = _varint(data, j)
        types.append(t)
    values, p = [], i + header_size
    for t in types:
        if t == 0:
            values.append(None)
        elif 1 <= t <= 6:
            n = (0, 1, 2, 3, 4, 6, 8)[t]
            values.append(int.from_bytes(data[p : p + n], "big", signed=True))
            p += n
        elif t in (8, 9):
            values.append(t - 8)
        elif t >= 12:
            n = (t - 12) // 2
            values.append(data[p : p + n].decode() if t % 2 else data[p : p + n])
            p += n
        else:
            raise AssertionError(f"serial type {t}")
    return values


def rows_in_placement_order(db_path: Path, table: str) -> list[dict[str, Any]]:
    """A small WITHOUT ROWID table's rows read from its page, in the order SQLite placed them.

    SQLite fills a b-tree page from its end towards its start, so until the page is rebuilt a
    cell's offset in the page says when its row was inserted: the last placed comes first here.
    """
    conn = sqlite3.connect(str(db_path))
    conn.row_factory = sqlite3.Row
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    info = conn.execute(f"PRAGMA table_info({table})").fetchall()
    conn.close()
    # A WITHOUT ROWID record holds the primary key columns first, then the others.
    names = [c["name"] for c in sorted(info, key=lambda c: c["pk"]) if c["pk"]]
    names += [c["name"] for c in info if not c["pk"]]
    data = db_path.read_bytes()
    page = data[(root[0] - 1) * page_size : root[0] * page_size]
    assert page[0] == 0x0A, "the table should fit in one leaf page for this test"
    cells = int.from_bytes(page[3:5], "big")
    pointers = [int.from_bytes(page[8 + 2 * k : 10 + 2 * k], "big") for k in range(cells)]
    rows = []
    for pointer in sorted(pointers):
        _, start = _varint(page, pointer)  # the payload size, then the record
        rows.append(dict(zip(names, _record(page, start), strict=True)))
    return rows
