"""What the PDFs share: an A4 fpdf2 document with the CJK fonts, and the words of a result."""

from __future__ import annotations

from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from display import fonts
from display.words import chinese_date, paper_count, percent, rank_text

__all__ = ["Document", "chinese_date", "head_style", "paper_count", "percent", "rank_text"]

FONT = "cjk"
MARGIN = 15  # mm
RGB = tuple[int, int, int]

INK: RGB = (33, 33, 33)
MUTED: RGB = (110, 110, 110)
ACCENT: RGB = (127, 20, 20)  # the dark red of the console and the cards
HEAD_FILL = (243, 236, 236)


class Document(FPDF):
    """An A4 page in mm, Chinese text in the bundled font, a system CJK font for what it lacks.

    One weight only (headings stand out by size and colour): never ask for bold.

    `running` (a title) is printed at the head of every page but the first, with the page
    number at its foot.
    """

    def __init__(self, running: str = "", numbered: bool = True, text: str | None = None) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.running = running
        self.numbered = numbered
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, MARGIN + 3)
        self.set_creator("ceping")
        first, *rest = fonts.faces(text)  # `text`: all it will hold, if known
        self.add_font(FONT, "", first.path, collection_font_number=first.index)  # one weight
        names = []
        for n, face in enumerate(rest):
            name = f"{FONT}{n + 2}"
            self.add_font(name, "", face.path, collection_font_number=face.index)
            names.append(name)
        if names:
            self.set_fallback_fonts(names, exact_match=False)
        self.set_font(FONT, size=10.5)
        self.set_text_color(*INK)

    def header(self) -> None:
        if self.page_no() == 1 or not self.running:
            return
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.set_y(7)
        self.cell(0, 5, self.running, align="L")
        self.set_draw_color(200, 200, 200)
        self.line(MARGIN, 12.5, self.w - MARGIN, 12.5)
        self.set_text_color(*INK)
        self.set_y(MARGIN + 2)

    def footer(self) -> None:
        if not self.numbered:
            return
        self.set_y(-11)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")
        self.set_text_color(*INK)

    # Text helpers -------------------------------------------------------------------------

    def heading(self, text: str, size: float = 14, space: float = 4, keep: float = 0) -> None:
        """A heading, on a new page unless it and `keep` mm below it fit on this one."""
        self.ln(space)
        if self.will_page_break(size * 1.6 + keep):
            self.add_page()
        self.set_font(FONT, size=size)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, size * 0.5, text, align="L", new_x="LMARGIN", new_y="NEXT",
                        wrapmode=WrapMode.CHAR)  # fmt: skip
        self.set_text_color(*INK)
        self.ln(1.5)
        self.set_font(FONT, size=10.5)

    def para(self, text: str, size: float = 10.5, height: float = 6.2, colour: RGB = INK) -> None:
        self.set_font(FONT, size=size)
        self.set_text_color(*colour)
        self.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT",
                        wrapmode=WrapMode.CHAR)  # fmt: skip
        self.set_text_color(*INK)

    def bytes(self) -> bytes:
        return bytes(self.output())


def head_style() -> FontFace:
    return FontFace(family=FONT, emphasis="", size_pt=9, color=INK, fill_color=HEAD_FILL)
