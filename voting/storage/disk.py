"""The database file: connections with the project's pragmas, sealing, and backups.

`seal` and `backup` are writer jobs run outside a transaction (`transactional=False`), on the
writer's thread, so no write races them and the event loop never waits on the disk.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

WRITER_CACHE_KB = 16_000  # the writer connection's page cache
BACKUPS_KEPT = 20  # the newest backups kept in instance/backups/


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection with the project's pragmas: WAL, synchronous=FULL, foreign keys."""
    conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=30)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA secure_delete=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def connect_writer(path: str | Path) -> sqlite3.Connection:
    """The writer's connection: it keeps up to 16 MB of pages (SQLite's default is 2 MB).

    Ballots go in at random places of their table, so once it outgrows the cache most inserts
    find their page evicted and read it again (docs/PERFORMANCE.md: 0.05 ms per 24-vote message).
    """
    conn = connect(path)
    conn.execute(f"PRAGMA cache_size=-{WRITER_CACHE_KB}")
    return conn


def seal(conn: sqlite3.Connection) -> None:
    """Rewrite the database file in key order and empty the WAL (a job for after every close).

    Until then the file keeps traces of the order votes came in: the WAL holds one commit
    after another, and SQLite places each new row's cell just below the previous one in its
    page. VACUUM rebuilds every table in primary-key order (for ballots: their random ids);
    the checkpoint then truncates the WAL.
    """
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()


def backup_job(
    path: Path, meeting_id: int, keep: int = BACKUPS_KEPT
) -> Callable[[sqlite3.Connection], Path]:
    """A job that copies the database into `backups/` beside it and keeps the newest `keep`.

    SQLite's backup API copies a consistent snapshot, WAL included. The copy is then vacuumed,
    as a close seals the database: it keeps no trace of the order in which the votes of items
    still open came. Names sort by time and say the meeting:
    `20261201T080000123Z-meeting-3.sqlite` (UTC). The materials' files (看一看) go beside it,
    in `…-meeting-3.materials/` (`link_materials`): restoring is copying both back.
    """
    folder = path.parent / "backups"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")[:-3] + "Z"
    target = folder / f"{stamp}-meeting-{meeting_id}.sqlite"

    def job(conn: sqlite3.Connection) -> Path:
        folder.mkdir(mode=0o700, exist_ok=True)
        for stale in folder.glob("*.partial"):  # left by a copy the process died during
            stale.unlink(missing_ok=True)
        partial = target.with_suffix(".partial")
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            partial.chmod(0o600)  # it holds the ballots, as the database does
            conn.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, whole in itself
            copy.execute("VACUUM")
        finally:
            copy.close()
        link_materials(path.parent / "materials", target.with_suffix(".materials"))
        partial.replace(target)  # a backup is there whole or not at all
        for old in sorted(folder.glob("*-meeting-*.sqlite"))[:-keep]:
            old.unlink(missing_ok=True)
            shutil.rmtree(old.with_suffix(".materials"), ignore_errors=True)
        return target

    return job


def link_materials(source: Path, target: Path) -> None:
    """The materials' files as they are now, into `target`: hard links where the disk allows
    (a material's files never change once written, so a link costs nothing and keeps the file
    after the material is deleted), else copies. Uploads under way (`.uploads`) are left out."""
    if not source.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(source):
        here = Path(dirpath)
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        into = target / here.relative_to(source)
        into.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in filenames:
            try:
                os.link(here / name, into / name)
            except OSError:
                shutil.copy2(here / name, into / name)
