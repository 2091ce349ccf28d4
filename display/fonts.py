"""The CJK fonts of the PDFs and charts.

The app ships its own font, `display/fonts/CepingSansSC-Regular.ttf` (a GB 2312 subset of Noto
Sans CJK SC, SIL Open Font License, built by tools/build_font.py), so a report renders on any
machine, also a fresh server with no CJK font at all. A character outside it (a rare name) is
drawn with a system CJK font where fontconfig knows one (Debian: `fonts-noto-cjk`); without one
it would be missing, and `missing()` names such characters so that callers can say so.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voting.errors import N_, CepingError

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

BUNDLED = Path(__file__).resolve().parent / "fonts" / "CepingSansSC-Regular.ttf"
BUNDLED_FAMILY = "Ceping Sans SC"
DEBIAN_PACKAGE = "fonts-noto-cjk"

# Where Debian and Ubuntu put common CJK fonts, for machines without fc-list.
KNOWN = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK SC"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "Droid Sans Fallback"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", "AR PL UMing CN"),
)
PREFERRED = ("Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei")


class FontMissing(CepingError, RuntimeError):
    """No CJK font can be used: the bundled one is gone and the system has none (503)."""

    status = 503
    default_code = "no_font"

    def __init__(self) -> None:
        super().__init__(
            N_(
                "未找到中文字体：%(bundled)s 缺失，系统也没有中日韩字体。"
                "请安装一种（Debian / Ubuntu：apt-get install %(package)s）。"
            ),
            bundled=str(BUNDLED),
            package=DEBIAN_PACKAGE,
        )


@dataclass(frozen=True)
class Face:
    path: str
    index: int  # the face within a collection (.ttc), else 0
    family: str


def _read(path: str, index: int, what: Callable[[TTFont], Any]) -> Any:
    """`what(font)` of the face `index` of a font file (a collection or a single font)."""
    from fontTools.ttLib import TTCollection, TTFont  # only when a PDF is made

    if path.lower().endswith(".ttc"):
        with TTCollection(path, lazy=True) as collection:
            return what(collection.fonts[index])
    with TTFont(path, lazy=True) as font:
        return what(font)


def _family_of(path: str, index: int) -> str | None:
    try:
        return _read(path, index, lambda font: font["name"].getDebugName(1))
    except Exception:  # an unreadable or odd font file: not usable
        return None


@cache
def system_face() -> Face | None:
    """A system CJK font for simplified Chinese (Regular), or None."""
    candidates: list[Face] = []
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(
                ["fc-list", ":lang=zh-cn:style=Regular", "file", "index", "family"],
                capture_output=True, text=True, timeout=10, check=False,
            ).stdout  # fmt: skip
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in out.splitlines():
            # "/path/font.ttc: Noto Sans CJK SC,Noto Sans CJK:index=2"
            path, _, rest = line.partition(": ")
            families, _, index = rest.rpartition(":index=")
            if (
                not path
                or not index.isdigit()
                or not path.lower().endswith((".ttf", ".ttc", ".otf"))
            ):
                continue
            for family in families.split(","):
                candidates.append(Face(path, int(index), family.strip()))
    for path, family in KNOWN:
        if Path(path).exists():
            candidates.append(Face(path, 0, family))

    def preference(face: Face) -> int:
        return PREFERRED.index(face.family) if face.family in PREFERRED else len(PREFERRED)

    for face in sorted(candidates, key=preference):
        if "Mono" in face.family:
            continue
        named = _family_of(face.path, face.index)
        if named:
            return Face(face.path, face.index, named)
    return None


@cache
def bundled_face() -> Face | None:
    return Face(str(BUNDLED), 0, BUNDLED_FAMILY) if BUNDLED.exists() else None


def faces(text: str | None = None) -> list[Face]:
    """The fonts to draw Chinese with, in order: the bundled one, then the system's fallback.

    Given the `text` to be drawn, the system's font only where the bundled one lacks a
    character of it (loading a system font of 20 MB takes a quarter of a second).
    """
    bundled = bundled_face()
    if bundled is not None and text is not None and _covers(bundled, text):
        return [bundled]
    found = [f for f in (bundled, system_face()) if f is not None]
    if not found:
        raise FontMissing()
    return found


def _covers(face: Face, text: str) -> bool:
    drawn = _cmap(face.path, face.index)
    return all(ord(c) in drawn for c in set(text) if c.isprintable() and not c.isspace())


@cache
def _cmap(path: str, index: int) -> frozenset[int]:
    return _read(path, index, lambda font: frozenset(font.getBestCmap()))


def missing(text: str) -> str:
    """The characters of `text` that no available font can draw (besides white space)."""
    maps = [_cmap(f.path, f.index) for f in faces()]
    return "".join(
        sorted({c for c in text if not c.isspace() and not any(ord(c) in m for m in maps)})
    )


_matplotlib_lock = threading.Lock()
_matplotlib_families: list[str] | None = None


def matplotlib_families() -> list[str]:
    """The family names to give matplotlib (the fonts registered with it once)."""
    global _matplotlib_families
    with _matplotlib_lock:
        if _matplotlib_families is None:
            from matplotlib import font_manager

            families = []
            for face in faces():
                font_manager.fontManager.addfont(face.path)
                families.append(face.family)
            _matplotlib_families = families
        return list(_matplotlib_families)
