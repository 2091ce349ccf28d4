"""Build the CJK font the PDFs and charts fall back on: display/fonts/CepingSansSC-Regular.ttf.

    .venv/bin/python tools/build_font.py [/path/to/NotoSansCJK-Regular.ttc]

It is Noto Sans CJK SC Regular (SIL Open Font License 1.1, display/fonts/OFL.txt), cut down to
GB 2312 (6,763 hanzi and its symbols), Latin-1 and common CJK punctuation, its outlines
converted to TrueType (quadratic) so PDF readers map its text back to Unicode simply (the
CID-keyed CFF of the original needs an embedded CMap that some readers do not follow), and
renamed "Ceping Sans SC" (a modified version, and so that it never shadows the system's Noto
font of the same name). About 2 MB. Characters outside it (rare names) fall back to a system CJK
font where there is one (display/fonts.py).
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"  # Debian's fonts-noto-cjk
SC_FACE = 2  # JP, KR, SC, TC, HK, then the Mono faces
OUT = Path(__file__).resolve().parent.parent / "display" / "fonts" / "CepingSansSC-Regular.ttf"
FAMILY = "Ceping Sans SC"
PUNCTUATION = "—–‘’“”…·、。，；：？！（）《》〈〉【】「」『』〔〕％＋－×÷＝≥≤≠№℃→←↑↓√●○■□▲△◆◇★☆　"


def characters() -> str:
    chars = {chr(c) for c in range(0x20, 0x7F)} | {chr(c) for c in range(0xA0, 0x100)}
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):  # outside GB 2312's rows
                chars.add(bytes([high, low]).decode("gb2312"))
    return "".join(sorted(chars | set(PUNCTUATION)))


def to_truetype(font: TTFont) -> None:
    """Replace the CFF outlines by TrueType ones (within 1 unit of 1,000 per em)."""
    order = font.getGlyphOrder()
    glyphs = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyphs[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyf.glyphs[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs",
                  "maxStackElements", "maxSizeOfInstructions", "maxComponentElements",
                  "maxComponentDepth"):  # fmt: skip
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["head"].glyphDataFormat = 0
    for table in ("CFF ", "VORG"):
        if table in font:
            del font[table]
    font["post"].formatType = 3.0  # no glyph names
    font.sfntVersion = "\0\1\0\0"


def rename(font: TTFont) -> None:
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 3, 4, 6, 16, 17, 18, 21, 22):
            names.removeNames(nameID=record.nameID)
    names.setName(FAMILY, 1, 3, 1, 0x409)
    names.setName("Regular", 2, 3, 1, 0x409)
    names.setName(f"{FAMILY} Regular (subset of Noto Sans CJK SC)", 3, 3, 1, 0x409)
    names.setName(FAMILY, 4, 3, 1, 0x409)
    names.setName(FAMILY.replace(" ", "") + "-Regular", 6, 3, 1, 0x409)


def main(argv: list[str]) -> int:
    source = argv[1] if len(argv) > 1 else SOURCE
    options = subset.Options()
    options.font_number = SC_FACE
    options.layout_features = ["kern", "palt"]
    options.name_IDs = ["*"]
    options.hinting = False
    options.desubroutinize = True
    options.recalc_bounds = True  # also the new glyf table's boxes and maxp's counts
    font = subset.load_font(source, options)
    cutter = subset.Subsetter(options)
    cutter.populate(text=characters())
    cutter.subset(font)
    to_truetype(font)
    rename(font)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(OUT)
    print(f"{OUT}: {OUT.stat().st_size:,} bytes, {len(font.getGlyphOrder()):,} glyphs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
