"""Voter cards (测评卡) as an A4 PDF: 12 cards a page, dashed cut lines, each with its QR code.

The same cards as the console's printable HTML sheet (templates/cards.html), for a secretary
who prints from a machine without the console: the meeting's title, the card's number (and its
group when it is not 常委会组成人员), the QR code of the card's address, drawn as vector
squares (sharp on any printer), and the instruction to scan it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import qrcode
from fpdf.enums import WrapMode

from display.pdf import ACCENT, FONT, MUTED, Document

COLUMNS, ROWS = 3, 4
PER_PAGE = COLUMNS * ROWS
CARD_W, CARD_H = 66.0, 70.0  # mm
QR_SIZE = 40.0  # mm, as on the HTML sheet
GROUPS = {"member": "常委会组成人员", "deputy": "列席代表"}
HINT = "请用手机扫描二维码参加测评，每卡限一部手机使用"


def printable(
    cards: Sequence[Mapping[str, Any]], group: str | None = None
) -> list[Mapping[str, Any]]:
    """The cards to print: issued (not joined), not withdrawn, of `group` if one is named."""
    return [
        c
        for c in cards
        if not c["revoked"] and c["origin"] == "issued" and (not group or c["grp"] == group)
    ]


def build(
    meeting: Mapping[str, Any], cards: Sequence[Mapping[str, Any]], url: Callable[[str], str]
) -> bytes:
    """The sheets as PDF bytes; `url(token)` is the address a card's QR code holds."""
    pdf = Document(numbered=False, text=meeting["title"] + "".join(c["grp"] for c in cards))
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{meeting['title']} 测评卡")
    left = (pdf.w - COLUMNS * CARD_W) / 2
    top = (pdf.h - ROWS * CARD_H) / 2
    if not cards:
        pdf.add_page()
        pdf.para("还没有可打印的测评卡。请在控制台的“准备”页发放测评卡。")
    for start in range(0, len(cards), PER_PAGE):
        pdf.add_page()
        page = cards[start : start + PER_PAGE]
        for n, card in enumerate(page):
            x = left + (n % COLUMNS) * CARD_W
            y = top + (n // COLUMNS) * CARD_H
            _card(pdf, meeting, card, url(card["token"]), x, y)
        _cut_lines(pdf, left, top, len(page))
    return pdf.bytes()


def _cut_lines(pdf: Document, left: float, top: float, count: int) -> None:
    """Dashed lines around and between the cards of a page, each edge drawn once."""
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.25)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    for n in range(count):
        row, col = divmod(n, COLUMNS)
        x, y = left + col * CARD_W, top + row * CARD_H
        pdf.line(x, y, x + CARD_W, y)  # top
        pdf.line(x, y, x, y + CARD_H)  # left
        if col == COLUMNS - 1 or n == count - 1:
            pdf.line(x + CARD_W, y, x + CARD_W, y + CARD_H)  # right
        if n + COLUMNS >= count:
            pdf.line(x, y + CARD_H, x + CARD_W, y + CARD_H)  # bottom
    pdf.set_dash_pattern()


def _card(
    pdf: Document, meeting: Mapping[str, Any], card: Mapping[str, Any], url: str, x: float, y: float
) -> None:
    pad = 3.0
    pdf.set_xy(x + pad, y + 4)
    pdf.set_font(FONT, size=8.5)
    pdf.set_text_color(*ACCENT)
    pdf.multi_cell(
        CARD_W - 2 * pad,
        4,
        meeting["title"],
        align="C",
        wrapmode=WrapMode.CHAR,
        max_line_height=4,
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(x, y + 13.5)
    pdf.set_font(FONT, size=13)
    pdf.cell(CARD_W, 6, f"测评卡 No. {card['number']}", align="C")
    if card["grp"] != "member":
        pdf.set_xy(x, y + 19.5)
        pdf.set_font(FONT, size=7.5)
        pdf.set_text_color(*MUTED)
        pdf.cell(CARD_W, 3.5, GROUPS.get(card["grp"], card["grp"]), align="C")
        pdf.set_text_color(0, 0, 0)
    _qr(pdf, url, x + (CARD_W - QR_SIZE) / 2, y + 23.5, QR_SIZE)
    pdf.set_xy(x, y + 23.5 + QR_SIZE + 1.5)
    pdf.set_font(FONT, size=7)
    pdf.cell(CARD_W, 4, HINT, align="C")


def _qr(pdf: Document, data: str, x: float, y: float, size: float) -> None:
    """A QR code (medium error correction, a quiet zone of 2 modules) as filled squares."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        col = 0
        while col < len(cells):
            if not cells[col]:
                col += 1
                continue
            start = col
            while col < len(cells) and cells[col]:
                col += 1
            # a hair wider than the run, so that neighbouring rows leave no white seam
            pdf.rect(
                x + start * module,
                y + row * module,
                (col - start) * module + 0.01,
                module + 0.01,
                style="F",
            )
