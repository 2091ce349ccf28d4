"""What the Word files share: an A4 page in the layout of an official document (党政机关公文格式,
GB/T 9704), Chinese fonts named so that Word and WPS draw them, and the few blocks the papers
are made of (a title, headings, paragraphs, a table, the signature).

Fonts are named on every run and in the styles, each by its Latin and its Chinese name
(`w:ascii`/`w:hAnsi` and `w:eastAsia`): body text 仿宋 (FangSong) 三号, the title 黑体 (SimHei)
二号, headings 黑体 and 楷体 (KaiTi) 三号, tables 宋体 (SimSun) 五号, the page numbers 宋体 四号.
The template's theme fonts are removed: a theme font named beside an explicit one wins in Word.

Imported by the worker process only (`display.builder`), like the PDF libraries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO

from docx import Document as new_document
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

BODY_SIZE = 16  # pt, 三号
LINE = 28  # pt, exact: 22 lines a page in the type area
TYPE_WIDTH = 156  # mm: A4 less the margins


@dataclass(frozen=True)
class Face:
    latin: str  # w:ascii and w:hAnsi
    chinese: str  # w:eastAsia


BODY = Face("FangSong", "仿宋")
TITLE = Face("SimHei", "黑体")
HEADING = Face("SimHei", "黑体")
SUBHEADING = Face("KaiTi", "楷体")
TABLE = Face("SimSun", "宋体")


def name_fonts(rpr: object, face: Face) -> None:
    """Name `face` in a run's or a style's properties (`w:rPr`), themes removed."""
    fonts = rpr.get_or_add_rFonts()  # type: ignore[attr-defined]
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    for slot in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(slot), face.latin)
    fonts.set(qn("w:eastAsia"), face.chinese)


def new(title: str, today: date) -> Document:
    """An empty A4 document: margins of an official document, 仿宋 三号 at 28 pt, page numbers."""
    doc = new_document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(20)
    _defaults(doc)
    _page_numbers(doc)
    props = doc.core_properties
    props.title, props.author, props.last_modified_by = title, "ceping", "ceping"
    props.comments, props.keywords, props.subject = "", "", ""
    props.created = props.modified = datetime(today.year, today.month, today.day)
    props.language = "zh-CN"
    return doc


def _defaults(doc: Document) -> None:
    """The document's defaults and the Normal style: the body face, Chinese, no space after."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            name_fonts(rpr, BODY)
            lang = rpr.find(qn("w:lang"))
            if lang is not None:
                lang.set(qn("w:val"), "zh-CN")
                lang.set(qn("w:eastAsia"), "zh-CN")
    normal = doc.styles["Normal"]
    name_fonts(normal.element.get_or_add_rPr(), BODY)
    normal.font.size = Pt(BODY_SIZE)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(0)
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, Pt(LINE)
    fmt.widow_control = True
    table_style = doc.styles["Table Grid"]
    name_fonts(table_style.element.get_or_add_rPr(), TABLE)


def _page_numbers(doc: Document) -> None:
    """— 1 — at the foot of every page, centred, 宋体 四号."""
    footer = doc.sections[0].footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(footer, "— ", TABLE, 14)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = _run(footer, "1", TABLE, 14)
    footer._p.remove(run._r)
    field.append(run._r)
    footer._p.append(field)
    _run(footer, " —", TABLE, 14)


def _run(paragraph: Paragraph, text: str, face: Face, size: float, bold: bool = False) -> Run:
    run = paragraph.add_run(text)
    name_fonts(run._r.get_or_add_rPr(), face)
    run.font.size = Pt(size)
    run.bold = bold or None
    return run


def para(
    doc: Document,
    text: str,
    *,
    face: Face = BODY,
    size: float = BODY_SIZE,
    indent: bool = True,
    align: WD_ALIGN_PARAGRAPH | None = None,
    bold: bool = False,
    before: float = 0,
    keep: bool = False,
) -> Paragraph:
    """A paragraph of one run: indented two characters unless told not to."""
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    if align is not None:
        p.alignment = align
    if before:
        fmt.space_before = Pt(before)
    if keep:
        fmt.keep_with_next = True
    if size != BODY_SIZE:  # the exact line height follows the size
        fmt.line_spacing = Pt(round(size * 1.6))
    _run(p, text, face, size, bold)
    return p


def title(doc: Document, text: str, size: float = 22) -> Paragraph:
    """The document's title: centred, 黑体 二号, a blank line below."""
    p = para(doc, text, face=TITLE, size=size, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    p.paragraph_format.space_after = Pt(LINE)
    p.paragraph_format.keep_with_next = True
    return p


def heading(doc: Document, text: str) -> Paragraph:
    """一、… : 黑体 三号, kept with what follows."""
    return para(doc, text, face=HEADING, keep=True)


def subheading(doc: Document, text: str) -> Paragraph:
    """（一）… : 楷体 三号, kept with what follows."""
    return para(doc, text, face=SUBHEADING, keep=True)


def signature(doc: Document, lines: Sequence[str]) -> None:
    """The sender and the date, flush right, after a blank line."""
    for n, line in enumerate(lines):
        p = para(
            doc, line, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT, before=LINE if not n else 0
        )
        p.paragraph_format.right_indent = Pt(BODY_SIZE * 2)


def table(
    doc: Document,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths: Sequence[float],
    left: int | None = None,
) -> Table:
    """A grid of text, 宋体 五号, centred; the head row bold and repeated on every page.
    `widths` in mm; the column `left` (the names) is aligned left."""
    t = doc.add_table(rows=1 + len(rows), cols=len(header))
    t.style = doc.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for column, width in zip(t.columns, widths, strict=True):
        column.width = Mm(width)  # the grid (LibreOffice reads it); Word reads each cell's
    for r, values in enumerate([header, *rows]):
        row = t.rows[r]
        if r == 0:
            flag = OxmlElement("w:tblHeader")
            row._tr.get_or_add_trPr().append(flag)
        for c, value in enumerate(values):
            cell = row.cells[c]
            cell.width = Mm(widths[c])
            p = cell.paragraphs[0]
            p.paragraph_format.first_line_indent = Pt(0)
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
            named = c == left and r > 0
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if named else WD_ALIGN_PARAGRAPH.CENTER
            _run(p, str(value), TABLE, 10.5, bold=r == 0)
    return t


def page_break(doc: Document) -> None:
    _run(doc.add_paragraph(), "", BODY, BODY_SIZE).add_break(WD_BREAK.PAGE)


def to_bytes(doc: Document) -> bytes:
    out = BytesIO()
    doc.save(out)
    return out.getvalue()
