"""The app's clock: the time and today's date, which a test can move.

What depends on the calendar or on a speech's length — a follow-up's due date and its days
overdue, the date on a document, a 述法 countdown — asks here rather than `time.time()` or
`date.today()`, so a test can put the app a quarter of a year ahead, or a minute into a speech,
without waiting for it.

The clock is the system's plus an offset in seconds (0 unless a test sets one):

- in-process, a test calls `set_offset(seconds)` (and `set_offset(0)` after);
- a real server started with `CEPING_CLOCK_FILE=<path>` reads the offset from that file,
  again whenever the file changes (absent or empty: no offset). A server started without the
  variable never looks at a file, so nothing outside the machine can move a real sitting's
  clock.
"""

from __future__ import annotations

import os
import time
from datetime import date

CLOCK_FILE = "CEPING_CLOCK_FILE"

_offset = 0.0
_file_seen: tuple[float, float] | None = None  # (mtime, offset) of the file when last read


def set_offset(seconds: float) -> None:
    """Move this process's clock `seconds` ahead of the system's (negative: behind)."""
    global _offset
    _offset = float(seconds)


def _file_offset(path: str) -> float:
    global _file_seen
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return 0.0
    if _file_seen is None or _file_seen[0] != mtime:
        try:
            with open(path) as f:
                text = f.read().strip()
            _file_seen = (mtime, float(text) if text else 0.0)
        except (OSError, ValueError):
            return 0.0
    return _file_seen[1]


def offset() -> float:
    """Seconds between this clock and the system's."""
    path = os.environ.get(CLOCK_FILE)
    return _offset + (_file_offset(path) if path else 0.0)


def now() -> float:
    """Seconds since the epoch, as `time.time()`, on this clock."""
    return time.time() + offset()


def today() -> date:
    """Today's local date on this clock."""
    return date.fromtimestamp(now())
