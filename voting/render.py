"""A material made readable on a phone, once, at upload: `python -m voting.render KIND SRC DIR`.

- a PDF: each page a JPEG 1200 px wide (quality 80), drawn by pdfium (`pypdfium2`);
- an image: re-encoded (JPEG, or PNG where it has transparency), at most 1600 px wide, so what
  is served is what Pillow wrote (no metadata, nothing but the picture);
- a DOCX: its paragraphs' text (python-docx), one a line; plain text: as UTF-8.

Pages are written as `DIR/1.jpg`, `DIR/2.jpg`, … (or `1.png`), text as `DIR/text.txt`. The
answer is one JSON line on stdout: `{"pages": n}` or `{"error": code}` (`voting.materials`
turns the code into a message). It runs in a process of its own: drawing 20 pages is seconds of
CPU that must not hold up the server's votes, and a PDF that crashes pdfium takes only this
process with it (`run` is the server's side).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PAGE_WIDTH = 1200  # px: sharp on a phone, pinch-zoom shows the small print
IMAGE_MAX = 1600  # px: an uploaded picture's width at most
QUALITY = 80
TIMEOUT = 300  # seconds for one file
NICE = 10  # the process's scheduling priority below the server's, as the documents' worker


def render_pdf(src: Path, out: Path, max_pages: int) -> int:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(src))
    except pdfium.PdfiumError:
        raise Unreadable("unreadable_pdf") from None
    try:
        count = len(pdf)
        if count == 0:
            raise Unreadable("unreadable_pdf")
        if count > max_pages:
            raise Unreadable("too_many_pages")
        for n in range(count):
            page = pdf[n]
            try:
                scale = PAGE_WIDTH / max(page.get_width(), 1)
                image = page.render(scale=scale).to_pil().convert("RGB")
            except pdfium.PdfiumError:
                raise Unreadable("unreadable_pdf") from None
            finally:
                page.close()
            image.save(out / f"{n + 1}.jpg", "JPEG", quality=QUALITY, optimize=True)
        return count
    finally:
        pdf.close()


def render_image(src: Path, out: Path) -> int:
    from PIL import Image, ImageOps

    try:
        with Image.open(src) as opened:
            opened.load()
            image = ImageOps.exif_transpose(opened)
    except (OSError, ValueError, Image.DecompressionBombError):
        raise Unreadable("unreadable_image") from None
    if image.width > IMAGE_MAX:
        image = image.resize((IMAGE_MAX, round(image.height * IMAGE_MAX / image.width)))
    if image.mode in ("RGBA", "LA", "P") and "transparency" in image.info or image.mode == "RGBA":
        image.save(out / "1.png", "PNG", optimize=True)
    else:
        image.convert("RGB").save(out / "1.jpg", "JPEG", quality=QUALITY + 5, optimize=True)
    return 1


def docx_text(src: Path) -> str:
    import docx

    try:
        document = docx.Document(str(src))
    except Exception:  # python-docx raises many kinds for a damaged file
        raise Unreadable("unreadable_docx") from None
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(lines).strip()


class Unreadable(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def make(kind: str, src: Path, out: Path, encoding: str = "utf-8", max_pages: int = 300) -> int:
    """Write what a phone shows of `src` into `out`; the number of pages (0 for text)."""
    out.mkdir(parents=True, exist_ok=True)
    if kind == "pdf":
        return render_pdf(src, out, max_pages)
    if kind == "image":
        return render_image(src, out)
    if kind == "docx":
        text = docx_text(src)
    else:
        from voting.materials import decode_text

        text = decode_text(src.read_bytes(), encoding)
    (out / "text.txt").write_text(text, encoding="utf-8")
    return 0


def run(kind: str, src: Path, out: Path, encoding: str, process: bool = True) -> dict[str, Any]:
    """The server's side: `make` in a process of its own (under gevent and eventlet, patched,
    waiting for it lets the event loop go on), or in this one (`process` False: plain threads,
    the tests, Flask's dev server, where it holds up only this request's thread)."""
    from voting.materials import MAX_PAGES

    if not process:
        try:
            return {"pages": make(kind, src, out, encoding, MAX_PAGES)}
        except Unreadable as e:
            return {"error": e.code}

    args = [sys.executable, "-m", "voting.render", kind, str(src), str(out), encoding,
            str(MAX_PAGES)]  # fmt: skip

    try:
        done = subprocess.run(
            args, capture_output=True, text=True, timeout=TIMEOUT, cwd=Path(__file__).parent.parent
        )
    except subprocess.TimeoutExpired:
        return {"error": "render_failed"}
    lines = done.stdout.strip().splitlines()
    try:
        answer = json.loads(lines[-1]) if lines else {}
    except ValueError:
        answer = {}
    return answer if isinstance(answer, dict) and answer else {"error": "render_failed"}


def main(argv: list[str]) -> int:
    kind, src, out, encoding, max_pages = argv
    os.nice(NICE)  # the server's votes before this drawing
    try:
        pages = make(kind, Path(src), Path(out), encoding, int(max_pages))
    except Unreadable as e:
        print(json.dumps({"error": e.code}))
        return 1
    print(json.dumps({"pages": pages}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
