"""看一看: what an uploaded material is, told from its bytes, and whether it may be kept.

A member reads the reports on a phone, often in WeChat's in-app browser, which shows no PDF: the
server keeps what a phone can show (page images, plain text), made once at upload
(`voting.render`, in a process of its own). This module only decides, from the file's first
bytes and never from its name, what the file is (`sniff`), and refuses what cannot be used: a
type other than PDF, JPEG/PNG/WebP, DOCX or plain text (an EXE renamed `.pdf`), a file over
`LIMIT_MB`, an empty one. No Flask, no SQLite.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from voting.errors import N_, BadInput, CepingError

LIMIT_MB = 20
LIMIT = LIMIT_MB * 1024 * 1024  # bytes in one file
MAX_PAGES = 300  # a PDF's pages rendered at most
NAME_MAX = 120  # characters of a material's name kept
KINDS = ("pdf", "image", "docx", "text")
IMAGE_TYPES = ("jpeg", "png", "webp")
DOCX_PART = "word/document.xml"
DOCX_PART_MAX = 100 * 1024 * 1024  # the document's XML once unzipped: more is a zip bomb


class TooLarge(CepingError):
    """A file over the limit (413), with the limit said in the message."""

    status = 413
    default_code = "too_large"


@dataclass(frozen=True)
class Sniffed:
    kind: str  # one of KINDS
    subtype: str  # pdf, jpeg, png, webp, docx, utf-8 or gb18030


def clean_name(name: str | None) -> str:
    """The file's name as shown: its last path part, no control characters, at most 120."""
    base = re.split(r"[\\/]", name or "")[-1]
    shown = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip()
    return shown[:NAME_MAX] or "未命名"


def check_size(size: int | None, name: str = "") -> None:
    """Refuse a file (or a request body) over the limit before it is read."""
    if size is None or size <= LIMIT:
        return
    mb = f"{size / 1024 / 1024:.1f}"
    if not name:  # a request body too large to be read: its file's name is not known
        raise TooLarge(
            N_("上传的文件过大（%(size)s MB），每个文件不能超过 %(limit)s MB。"),
            size=mb,
            limit=LIMIT_MB,
        )
    raise TooLarge(
        N_("文件“%(name)s”过大（%(size)s MB），每个文件不能超过 %(limit)s MB。"),
        name=clean_name(name),
        size=mb,
        limit=LIMIT_MB,
    )


def sniff(data: bytes, name: str = "") -> Sniffed:
    """What the file is, from its bytes; `BadInput` (`wrong_type`, `empty_file`) otherwise."""
    shown = clean_name(name)
    check_size(len(data), shown)
    if not data:
        raise BadInput(N_("文件“%(name)s”是空的。"), "empty_file", name=shown)
    head = data[:1024]
    if b"%PDF-" in head:
        return Sniffed("pdf", "pdf")
    if data.startswith(b"\xff\xd8\xff"):
        return Sniffed("image", "jpeg")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image", "png")
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Sniffed("image", "webp")
    if data.startswith(b"PK\x03\x04") and _is_docx(data):
        return Sniffed("docx", "docx")
    encoding = text_encoding(data)
    if encoding:
        return Sniffed("text", encoding)
    raise BadInput(
        N_(
            "不支持文件“%(name)s”的类型：请上传 PDF、图片（JPEG、PNG、WebP）、DOCX 或纯文本文件"
            "（按文件内容判断，与扩展名无关）。"
        ),
        "wrong_type",
        name=shown,
    )


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            info = z.getinfo(DOCX_PART)
            return info.file_size <= DOCX_PART_MAX
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        return False


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def text_encoding(data: bytes) -> str | None:
    """'utf-8' or 'gb18030' where the bytes read as text with no control characters, or None."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if not _CONTROL.search(text):
            return "utf-8" if encoding == "utf-8-sig" else encoding
    return None


def decode_text(data: bytes, encoding: str) -> str:
    """The text of a plain-text file, line ends made `\\n`."""
    text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def render_error(code: str, name: str) -> CepingError:
    """The refusal for a file the renderer could not read (`voting.render` names the code)."""
    shown = clean_name(name)
    if code == "too_many_pages":
        return BadInput(
            N_("PDF 文件“%(name)s”页数过多，最多 %(limit)s 页。"), code, name=shown, limit=MAX_PAGES
        )
    if code == "unreadable_image":
        return BadInput(N_("图片“%(name)s”无法打开，文件可能已损坏。"), code, name=shown)
    if code == "unreadable_docx":
        return BadInput(N_("DOCX 文件“%(name)s”无法读取，文件可能已损坏。"), code, name=shown)
    if code == "unreadable_pdf":
        return BadInput(
            N_("PDF 文件“%(name)s”无法显示（文件已损坏或加密）；请重新导出为 PDF 后再上传。"),
            code,
            name=shown,
        )
    return CepingError(N_("文件“%(name)s”未能处理，请稍后再试。"), "render_failed", name=shown)
