"""The app's clock (voting/clock.py): moved in-process, or for a real server through its file."""

import os
from datetime import timedelta

from voting import clock


def test_an_offset_moves_now_and_today():
    before = clock.today()
    clock.set_offset(91 * 86400)
    try:
        assert clock.today() - before in (timedelta(days=91), timedelta(days=92))
        assert clock.offset() == 91 * 86400
    finally:
        clock.set_offset(0)
    assert clock.offset() == 0


def test_the_file_moves_the_clock_only_when_the_variable_names_it(tmp_path, monkeypatch):
    path = tmp_path / "clock"
    path.write_text("120")
    assert clock.offset() == 0  # no variable: the file is never read
    monkeypatch.setenv(clock.CLOCK_FILE, str(path))
    assert clock.offset() == 120
    path.write_text("-30.5")
    os.utime(path, (1, 1))  # a new mtime, even within the same second
    assert clock.offset() == -30.5
    path.write_text("not a number")
    os.utime(path, (2, 2))
    assert clock.offset() == 0
    path.unlink()
    assert clock.offset() == 0
