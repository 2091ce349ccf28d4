"""Items from what a secretary has at hand: pasted lines, a CSV file or an XLSX sheet.

Pure functions over text and bytes (openpyxl reads XLSX); each returns the items it read, as
`NewItem`s, or raises `BadInput` naming the line. Nothing is stored here: the console shows
the parsed items first and adds them with `POST /api/meetings/<id>/items`.

Pasted lines are "部门 姓名 职务": the first word is the subject (部门), the rest the person
(姓名 职务). Words are separated by spaces (also the full-width space), tabs or commas.
A table (CSV / XLSX) may have a header row naming its columns (部门 / 测评对象 / subject,
姓名 / person, 职务 / title, 类型 / kind, 批次 / batch); without one, its columns are read as
subject, name, title.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence

from voting.settings import KINDS, MAX_ITEMS, BadInput, NewItem, text

SEPARATORS = re.compile(r"[\t,，]+|[ \u3000]+")
MAX_FILE = 2 * 1024 * 1024

HEADERS = {
    "subject": ("部门", "单位", "测评对象", "对象", "subject", "department"),
    "name": ("姓名", "述法人", "name"),
    "title": ("职务", "title", "position"),
    "person": ("person", "人员"),
    "kind": ("类型", "述法方式", "方式", "kind"),
    "batch": ("批次", "分组", "batch"),
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
}


def parse_lines(pasted: str, kind: str = "oral", batch: str = "") -> list[NewItem]:
    """One item per non-empty line: "部门 姓名 职务"."""
    if kind not in KINDS:
        raise BadInput(f"'kind' must be one of {', '.join(KINDS)}.")
    rows = []
    for line in pasted.splitlines():
        words = [w for w in SEPARATORS.split(line.strip()) if w]
        if words:
            rows.append(words)
    return _items(
        ((n, words[0], " ".join(words[1:]), kind, batch) for n, words in enumerate(rows, 1)),
        len(rows),
    )


def parse_table(rows: Sequence[Sequence[object]], kind: str = "oral", batch: str = "") -> list:
    """Items from the rows of a table, with or without a header row."""
    cells = [[_cell(c) for c in row] for row in rows]
    cells = [row for row in cells if any(row)]
    if not cells:
        return []
    columns = _header(cells[0])
    if columns is None:
        columns = {"subject": 0, "name": 1, "title": 2}
    else:
        cells = cells[1:]
    if "subject" not in columns:
        raise BadInput("The table needs a column 部门 (subject).")

    def at(row: list[str], key: str) -> str:
        n = columns.get(key)
        return row[n] if n is not None and n < len(row) else ""

    def read() -> Iterator[tuple[int, str, str, str, str]]:
        for n, row in enumerate(cells, 1):
            person = at(row, "person") or " ".join(
                p for p in (at(row, "name"), at(row, "title")) if p
            )
            word = at(row, "kind")
            row_kind = KIND_WORDS.get(word.lower()) if word else kind
            if row_kind is None:
                raise BadInput(f"Row {n}: the kind '{word}' is not 现场述法, 书面述法 or 其他.")
            yield n, at(row, "subject"), person, row_kind, at(row, "batch") or batch

    return _items(read(), len(cells))


def parse_csv(data: bytes, kind: str = "oral", batch: str = "") -> list[NewItem]:
    """A CSV file in UTF-8 (with or without BOM) or GB18030, as Excel and WPS save it."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            decoded = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise BadInput("The CSV file is neither UTF-8 nor GB18030 text.")
    try:
        dialect = csv.Sniffer().sniff(decoded[:4096], delimiters=",\t;，")
    except csv.Error:
        dialect = csv.excel
    return parse_table(list(csv.reader(io.StringIO(decoded), dialect)), kind, batch)


def parse_xlsx(data: bytes, kind: str = "oral", batch: str = "") -> list[NewItem]:
    """The first sheet of an XLSX workbook."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise BadInput("This file is not an XLSX workbook.") from None
    try:
        sheet = book.worksheets[0]
        rows = [list(r) for r in itertools.islice(sheet.iter_rows(values_only=True), MAX_ITEMS + 2)]
    finally:
        book.close()
    return parse_table(rows, kind, batch)


def parse_file(filename: str, data: bytes, kind: str = "oral", batch: str = "") -> list[NewItem]:
    """A CSV or XLSX upload, told apart by its name and its first bytes."""
    if len(data) > MAX_FILE:
        raise BadInput("The file is larger than 2 MB.")
    if data[:2] == b"PK" or filename.lower().endswith((".xlsx", ".xlsm")):
        return parse_xlsx(data, kind, batch)
    return parse_csv(data, kind, batch)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _header(row: list[str]) -> dict[str, int] | None:
    found = {}
    for n, cell in enumerate(row):
        for key, names in HEADERS.items():
            if cell.lower() in names and key not in found:
                found[key] = n
    return found or None


def _items(rows: Iterable[tuple[int, str, str, str, str]], count: int) -> list[NewItem]:
    if count > MAX_ITEMS:
        raise BadInput(f"At most {MAX_ITEMS} items can be added at once.")
    items = []
    for n, subject, person, kind, batch in rows:
        items.append(
            NewItem(
                subject=text(subject, f"line {n}: subject"),
                person=text(person, f"line {n}: person", required=False),
                kind=kind,
                batch=text(batch, f"line {n}: batch", required=False, limit=40),
            )
        )
    return items
