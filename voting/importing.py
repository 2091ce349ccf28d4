"""Items from what a secretary has at hand: pasted lines, a CSV file or an XLSX sheet.

Pure functions over text and bytes (openpyxl reads XLSX). `read_lines` and `read_file` return a
`Parsed`: the items read, what the parser had to guess at for each row (`warnings`, shown in
the preview) and what it did to the whole input (`notes`: the header it recognised, the columns
it ignored, the serial numbers it dropped). The `parse_…` functions return the items alone. A
mistake it cannot get round raises `BadInput` naming the row. Nothing is stored here: the
console shows the parsed items first and adds them with `POST /api/meetings/<id>/items`.

Pasted lines are "部门 姓名 职务": the first word is the subject (部门), the rest the person
(姓名 职务). Words are separated by spaces (also the full-width space) or commas; a line with a
tab (copied from Word or Excel) is split at its tabs only. A table (CSV / XLSX, or pasted lines
whose first line is one) may have a header row, found among its first rows by its words
(部门/单位/名称 → subject, 姓名/负责人/述法人 → name, 职务 → title, 类型 → kind, 批次 → batch,
序号 → a serial column) in any order; without one, its columns are read as subject, name,
title. A leading serial number (1、 1. （1） （一） 一、 ① or a numeric first column) is dropped.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from voting.errors import N_, fill
from voting.settings import KINDS, MAX_ITEMS, BadInput, NewItem, text

#: How a message template and its params are put into words (`web_errors.say` in a request).
Say = Callable[[str, Mapping[str, Any]], str]

SEPARATORS = re.compile(r"[,，]+|[ \u3000]+")
MAX_FILE = 2 * 1024 * 1024
HEADER_ROWS = 5  # a header is looked for among the first rows (a title row may sit above it)

# A header cell names a column by one of these words (it may say more: "单位名称", "述法人姓名").
# The first key whose word a cell holds wins: "负责人职务" is the title, "部门负责人" the name.
HEADERS: dict[str, tuple[str, ...]] = {
    "serial": ("序号", "编号", "no", "no.", "#"),
    "kind": ("类型", "述法方式", "方式", "kind"),
    "batch": ("批次", "分组", "batch"),
    "title": ("职务", "职位", "title", "position"),
    "name": ("姓名", "负责人", "述法人", "name"),
    "person": ("人员", "person"),
    "subject": ("部门", "单位", "名称", "测评对象", "对象", "subject", "department", "unit"),
}
KIND_WORDS = {
    "oral": "oral",
    "现场": "oral",
    "现场述法": "oral",
    "口头": "oral",
    "written": "written",
    "书面": "written",
    "书面述法": "written",
    "other": "other",
    "其他": "other",
    "rectification": "rectification",
    "整改情况": "rectification",
    "整改": "rectification",
}
# 1、 1. 1．1) (1) （1） （一） 一、 ① ⑴ ⒈ ㈠ at the start of a line or a cell
SERIAL = re.compile(
    r"^\s*(?:\d{1,4}\s*[、.．)）:：]|[(（]\s*(?:\d{1,4}|[一二三四五六七八九十]{1,3})\s*[)）]"
    r"|[一二三四五六七八九十]{1,3}\s*[、．]|[\u2460-\u2473\u2474-\u249b\u3220-\u3229])\s*"
)
NUMBER = re.compile(r"^\d{1,4}$")
# What a department's name ends with, and a word of a person's that looks like one.
UNIT_END = re.compile(
    r"(局|委|委员会|办|办公室|厅|院|部|中心|府|会|所|处|室|队|站|馆|社|团|行|校|司|署|公司|集团"
    r"|联|协|台|关|厂|场|园|街道|镇|乡|区|县|市|省|组|科|情况|工作)$"
)
# "市委常委" is a title, not a department
UNIT_WORD = re.compile(r".{2,}(?:局|(?<!常)委|委员会|办公室|厅|法院|检察院|政府|中心|公司)$")
Cells = list[str]


@dataclass
class Row:
    """One row read, before it is checked: its number among the rows read (1 = the first after
    any header) and what the parser had to guess at."""

    n: int
    subject: str
    person: str
    kind: str
    batch: str
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def warn(self, code: str, value: str, message: str, **params: Any) -> None:
        """Flag this row: `message` is a msgid template, filled with `params` when answered."""
        self.warnings.append({"code": code, "value": value, "message": message, "params": params})


@dataclass
class Parsed:
    """The items read, each row's warnings (same order), and the notes on the whole input."""

    items: list[NewItem]
    warnings: list[list[dict[str, Any]]]
    notes: list[dict[str, Any]]

    def answer(self, say: Say = fill) -> dict[str, Any]:
        """The preview's JSON: `items` as `POST …/items` takes them, `warnings` a list per item,
        `notes` on the whole input (each `{code, value, message}`), the messages put into words
        by `say` (the request's language; Chinese by default)."""
        return {
            "items": [item.__dict__ for item in self.items],
            "warnings": [[told(w, say) for w in row] for row in self.warnings],
            "notes": [told(n, say) for n in self.notes],
        }


def told(flag: dict[str, Any], say: Say) -> dict[str, Any]:
    """A warning or note as answered: its message filled in, its params gone."""
    shown = {key: value for key, value in flag.items() if key != "params"}
    return {**shown, "message": say(flag["message"], flag.get("params") or {})}


def note(code: str, value: str, message: str, more: Any = None, **params: Any) -> dict[str, Any]:
    """A note on the whole input (`more`: the columns a header named, if any)."""
    extra = {"columns": more} if more is not None else {}
    return {"code": code, "value": value, "message": message, "params": params, **extra}


# -- pasted lines ------------------------------------------------------------------------------


def read_lines(pasted: str, kind: str = "oral", batch: str = "") -> Parsed:
    """One item per non-empty line: "部门 姓名 职务" (or a table with its header, pasted)."""
    if kind not in KINDS:
        raise BadInput("kind 须为 %(kinds)s 之一。", kinds=", ".join(KINDS))
    lines = [split_line(line) for line in pasted.splitlines()]
    lines = [cells for cells in lines if any(cells)]
    if any(header_of(cells) for cells in lines[:HEADER_ROWS]):
        return read_table(lines, kind, batch)
    notes: list[dict[str, Any]] = []
    rows, dropped = [], 0
    for n, cells in enumerate(lines, 1):
        words, serial = drop_serial([c for c in cells if c])
        dropped += serial
        row = Row(n, words[0] if words else "", " ".join(words[1:]), kind, batch)
        if len(words) > 3:
            row.warn(
                "extra_words",
                " ".join(words[1:]),
                N_("多于 3 个词：“%(first)s”作为部门，其余作为人员。"),
                first=words[0],
            )
        rows.append(row)
    if dropped:
        notes.append(note("serials", str(dropped), N_("已去掉 %(n)s 行的序号。"), n=dropped))
    return finish(rows, notes)


def split_line(line: str) -> Cells:
    """A pasted line's cells: at its tabs if it has any (Word, Excel), else at spaces/commas."""
    if "\t" in line:
        return [cell.strip(" \u3000") for cell in line.split("\t")]
    return [w for w in SEPARATORS.split(line.strip()) if w]


def drop_serial(cells: Cells) -> tuple[Cells, int]:
    """`cells` without a leading serial number (in the first cell, or the first cell a number
    followed by more), and 1 if one was dropped."""
    if not cells:
        return cells, 0
    first = SERIAL.sub("", cells[0], count=1)
    if first != cells[0]:
        rest = cells[1:] if not first else [first, *cells[1:]]
        return (rest if rest else cells), 1 if rest else 0
    if NUMBER.match(cells[0]) and len(cells) > 1 and any(cells[1:]):
        rest = cells[1:]
        while rest and not rest[0]:
            rest = rest[1:]
        return rest, 1
    return cells, 0


# -- tables ------------------------------------------------------------------------------------


def header_of(cells: Cells) -> dict[str, int] | None:
    """The columns a header row names ({key: column}), or None if `cells` is not one: it names
    at least two columns and holds more such words than other text (no number), or it is one
    cell that is just a header word ("部门")."""
    found: dict[str, int] = {}
    other = 0
    for n, cell in enumerate(cells):
        key = header_key(cell)
        if key is None and NUMBER.match(cell):
            return None
        if key is None:
            other += 1 if cell else 0
        else:
            found.setdefault(key, n)
    filled = [c.strip().lower() for c in cells if c]
    alone = len(filled) == 1 and len(found) == 1 and filled[0] in HEADERS[next(iter(found))]
    return found if (len(found) >= 2 and len(found) >= other) or alone else None


def header_key(cell: str) -> str | None:
    word = re.sub(r"[\s*:：（）()]", "", cell).lower()
    if not word or len(word) > 10:
        return None
    for key, names in HEADERS.items():
        if word in names or any(
            len(name) > 1 and not name.isascii() and name in word for name in names
        ):
            return key
    return None


def find_header(cells: list[Cells]) -> tuple[int, dict[str, int]] | None:
    for n, row in enumerate(cells[:HEADER_ROWS]):
        columns = header_of(row)
        if columns is not None:
            return n, columns
    return None


def header_notes(cells: list[Cells], at: int, columns: dict[str, int]) -> list[dict[str, Any]]:
    header = cells[at]
    named = {key: header[n] for key, n in columns.items()}
    shown = "、".join(
        f"{header[n]}→{key}" for key, n in sorted(columns.items(), key=lambda c: c[1])
    )
    listed = shown.replace("、", ", ")
    notes = [note("header", shown, N_("按表头读取的列：%(shown)s。"), named, shown=listed)]
    unknown = [c for n, c in enumerate(header) if c and n not in columns.values()]
    if unknown:
        notes.append(
            note(
                "unknown_columns",
                "、".join(unknown),
                N_("未识别的列，已略去：%(names)s。"),
                names=", ".join(unknown),
            )
        )
    if at:
        notes.append(note("above_header", str(at), N_("已略去表头上方的 %(n)s 行。"), n=at))
    return notes


def read_table(rows: Sequence[Sequence[object]], kind: str = "oral", batch: str = "") -> Parsed:
    """Items from the rows of a table, with or without a header row."""
    cells = [[_cell(c) for c in row] for row in rows]
    cells = [row for row in cells if any(row)]
    found = find_header(cells)
    if found is None:
        data, notes = cells, []
        if cells:
            notes.append(note("no_header", "", N_("没有表头：各列依次读作部门、姓名、职务。")))
        rows_read, dropped = headerless_rows(data, kind, batch)
    else:
        at, columns = found
        if "subject" not in columns:
            raise BadInput("表格须有“部门”一列。")
        notes = header_notes(cells, at, columns)
        rows_read, dropped = header_rows(cells[at + 1 :], columns, kind, batch)
    if dropped:
        notes.append(note("serials", str(dropped), N_("已去掉 %(n)s 行的序号。"), n=dropped))
    return finish(rows_read, notes)


def headerless_rows(cells: list[Cells], kind: str, batch: str) -> tuple[list[Row], int]:
    rows, dropped = [], 0
    for n, raw in enumerate(cells, 1):
        row_cells, serial = drop_serial(raw)
        dropped += serial
        subject, name, title = (row_cells + ["", "", ""])[:3]
        row = Row(n, subject, " ".join(p for p in (name, title) if p), kind, batch)
        extra = [c for c in row_cells[3:] if c]
        if extra:
            row.warn(
                "extra_columns",
                "、".join(extra),
                N_("部门、姓名、职务之外的单元格已略去：%(cells)s。"),
                cells=", ".join(extra),
            )
        rows.append(row)
    return rows, dropped


def header_rows(
    cells: list[Cells], columns: dict[str, int], kind: str, batch: str
) -> tuple[list[Row], int]:
    rows, dropped = [], 0

    def at(row: Cells, key: str) -> str:
        n = columns.get(key)
        return row[n] if n is not None and n < len(row) else ""

    for n, cells_of in enumerate(cells, 1):
        subject = at(cells_of, "subject")
        unserial = SERIAL.sub("", subject, count=1)
        if unserial and unserial != subject:
            subject, dropped = unserial, dropped + 1
        person = at(cells_of, "person") or " ".join(
            p for p in (at(cells_of, "name"), at(cells_of, "title")) if p
        )
        word = at(cells_of, "kind")
        row_kind = KIND_WORDS.get(word.lower()) if word else kind
        if row_kind is None:
            raise BadInput(
                "第 %(n)s 行：类型“%(word)s”不是现场述法、书面述法或其他。", n=n, word=word
            )
        rows.append(Row(n, subject, person, row_kind, at(cells_of, "batch") or batch))
    return rows, dropped


# -- files -------------------------------------------------------------------------------------


def read_csv(data: bytes, kind: str = "oral", batch: str = "") -> Parsed:
    """A CSV file in UTF-8 (with or without BOM) or GB18030, as Excel and WPS save it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoded = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise BadInput("CSV 文件既不是 UTF-8 也不是 GB18030 文本。")
    try:
        dialect = csv.Sniffer().sniff(decoded[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    return read_table(list(csv.reader(io.StringIO(decoded), dialect)), kind, batch)


def read_xlsx(data: bytes, kind: str = "oral", batch: str = "") -> Parsed:
    """The first sheet of an XLSX workbook."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise BadInput("此文件不是 XLSX 工作簿。") from None
    try:
        sheet = book.worksheets[0]
        limit = MAX_ITEMS + HEADER_ROWS + 1
        rows = [list(r) for r in itertools.islice(sheet.iter_rows(values_only=True), limit)]
    finally:
        book.close()
    return read_table(rows, kind, batch)


def read_file(filename: str, data: bytes, kind: str = "oral", batch: str = "") -> Parsed:
    """A CSV or XLSX upload, told apart by its name and its first bytes."""
    if kind not in KINDS:
        raise BadInput("kind 须为 %(kinds)s 之一。", kinds=", ".join(KINDS))
    if len(data) > MAX_FILE:
        raise BadInput("文件大于 2 MB。")
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(data, kind, batch)
    return read_csv(data, kind, batch)


def parse_lines(pasted: str, kind: str = "oral", batch: str = "") -> list[NewItem]:
    return read_lines(pasted, kind, batch).items


def parse_table(
    rows: Sequence[Sequence[object]], kind: str = "oral", batch: str = ""
) -> list[NewItem]:
    return read_table(rows, kind, batch).items


def parse_file(filename: str, data: bytes, kind: str = "oral", batch: str = "") -> list[NewItem]:
    return read_file(filename, data, kind, batch).items


# -- what every row is checked for -------------------------------------------------------------


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def check(rows: list[Row]) -> None:
    """Flag what looks wrong: a subject that is a number, a person with a department's name in
    it (columns split wrongly), a row seen before, a first row that looks like a header."""
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.subject and not re.search(r"[^\d\W]", row.subject):
            row.warn("subject_number", row.subject, N_("部门只是一个数字。"))
        unit = next((w for w in row.person.split() if UNIT_WORD.match(w)), None)
        if unit:
            row.warn(
                "person_like_unit",
                unit,
                N_("人员中的“%(unit)s”像是部门：请检查各列。"),
                unit=unit,
            )
        key = (row.subject, row.person)
        if key in seen:
            row.warn("duplicate", str(seen[key]), N_("与第 %(n)s 行相同。"), n=seen[key])
        seen.setdefault(key, row.n)
    if len(rows) >= 2 and looks_like_header(rows[0], rows[1:]):
        rows[0].warn("maybe_header", rows[0].subject, N_("此行像是未被识别的表头。"))


def looks_like_header(first: Row, others: list[Row]) -> bool:
    """The first row's subject is not named like a department while most of the others are."""
    units = sum(1 for row in others if UNIT_END.search(row.subject))
    return not UNIT_END.search(first.subject) and units * 2 > len(others)


def finish(rows: list[Row], notes: list[dict[str, Any]]) -> Parsed:
    if len(rows) > MAX_ITEMS:
        raise BadInput("一次最多添加 %(most)s 项。", most=MAX_ITEMS)
    check(rows)
    items = [
        NewItem(
            subject=text(row.subject, f"lines[{row.n}].subject"),
            person=text(row.person, f"lines[{row.n}].person", required=False),
            kind=row.kind,
            batch=text(row.batch, f"lines[{row.n}].batch", required=False, limit=40),
        )
        for row in rows
    ]
    return Parsed(items, [row.warnings for row in rows], notes)
