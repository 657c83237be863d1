"""A report as it was published (text, a saved web page, PDF or Word) read into plain text,
one paragraph a line, with what the page says of it (文件已失效)."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# A government page marks a report that no longer applies with this, outside its text.
NOT_IN_FORCE_MARK = "文件已失效"
# Fewer Chinese characters than this is no report (a page of links, an error page).
MIN_REPORT_CHARS = 200
# A PDF line this much shorter than a full one that ends a sentence ends its paragraph.
SHORT_LINE_SHARE = 0.8
SENTENCE_ENDS = "。!?:;」”)"
# Running heads and feet of a printed page: "- 3 -", "第3页", "3 / 12".
PAGE_FURNITURE = re.compile(r"^[-—\s]*(第?\s*\d+\s*页?(\s*/\s*\d+)?|\d+\s*/\s*\d+)[-—\s]*$")
CJK = re.compile(r"[\u3400-\u9fff]")


class ExtractionError(ValueError):
    """The file holds no report text that can be used; the message says why."""


@dataclass(frozen=True)
class Extracted:
    text: str  # one paragraph a line, ending with a newline
    not_in_force: bool = False  # the page marks it 文件已失效


def extract(path: Path) -> Extracted:
    """The report in ``path`` (.txt, .html/.htm, .pdf, .docx) as plain text; ExtractionError
    when the file is empty, unreadable, has no text layer or holds no report."""
    readers: dict[str, Callable[[bytes], Extracted]] = {
        ".txt": _from_text,
        ".html": _from_html,
        ".htm": _from_html,
        ".pdf": _from_pdf,
        ".docx": _from_docx,
    }
    reader = readers.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(readers)
        raise ExtractionError(
            f"{path.name}: cannot read {path.suffix or 'a file without a suffix'} (only {known})"
        )
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ExtractionError(f"{path.name}: cannot be read: {error.strerror or error}") from None
    if not data.strip():
        raise ExtractionError(f"{path.name}: the file is empty")
    extracted = reader(data)
    chars = len(CJK.findall(extracted.text))
    if chars < MIN_REPORT_CHARS:
        raise ExtractionError(
            f"{path.name}: no report text found ({chars} Chinese characters; a report has "
            f"at least {MIN_REPORT_CHARS})"
        )
    return extracted


def paragraphs_text(paragraphs: list[str]) -> str:
    """Paragraphs as the stored text: one a line, blank ones dropped."""
    kept = [p.strip() for p in paragraphs if p.strip()]
    return "\n".join(kept) + "\n" if kept else ""


def _from_text(data: bytes) -> Extracted:
    # Chinese government files are still often in GBK (GB18030 is its superset).
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte sequence
        raise ExtractionError("the text is neither UTF-8 nor GB18030")
    return Extracted(paragraphs_text(text.splitlines()))


def _from_html(data: bytes) -> Extracted:
    import trafilatura

    # trafilatura finds the page's main text: navigation, related links, footers and
    # scripts are left out; it reads the page's own charset.
    text = trafilatura.extract(
        data, include_comments=False, include_tables=True, output_format="txt"
    )
    whole = trafilatura.html2txt(data) or ""
    if not text:
        raise ExtractionError("no report text found in the page")
    return Extracted(paragraphs_text(text.splitlines()), NOT_IN_FORCE_MARK in whole)


def _from_pdf(data: bytes) -> Extracted:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        # Layout mode keeps each line's indent: how a printed paragraph shows its start.
        pages = [page.extract_text(extraction_mode="layout") or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError) as error:
        raise ExtractionError(f"not a readable PDF: {error}") from None
    lines = [line.rstrip() for page in pages for line in page.splitlines()]
    lines = [line for line in lines if line.strip() and not PAGE_FURNITURE.match(line.strip())]
    if not lines:
        raise ExtractionError("the PDF has no text layer (a scanned document?): run OCR first")
    return Extracted(paragraphs_text(_join_lines(lines)))


def _join_lines(lines: list[str]) -> list[str]:
    """Printed lines joined back into paragraphs: a paragraph starts on an indented line,
    or after a line that ends a sentence well short of a full line."""
    margin = min(_indent(line) for line in lines)
    full = (
        statistics.quantiles([len(line.strip()) for line in lines], n=10)[-1]
        if len(lines) > 1
        else 0
    )
    paragraphs: list[str] = []
    previous = ""
    for line in lines:
        stripped = line.strip()
        starts = (
            not paragraphs
            or _indent(line) > margin
            or (previous.endswith(tuple(SENTENCE_ENDS)) and len(previous) < SHORT_LINE_SHARE * full)
        )
        if starts:
            paragraphs.append(stripped)
        else:
            paragraphs[-1] = _joined(paragraphs[-1], stripped)
        previous = stripped
    return paragraphs


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \u3000"))


def _joined(first: str, second: str) -> str:
    # Chinese runs on without spaces; two Latin words broken over a line keep one.
    if (
        first[-1:].isascii()
        and first[-1:].isalnum()
        and second[:1].isascii()
        and second[:1].isalnum()
    ):
        return f"{first} {second}"
    return first + second


def _from_docx(data: bytes) -> Extracted:
    import io
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise ExtractionError(f"not a readable Word (.docx) file: {error}") from None
    paragraphs: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            # A table (figures, a glossary laid out in columns): a row a line, in place.
            for row in block.rows:
                cells = dict.fromkeys(cell.text.strip() for cell in row.cells)
                paragraphs.append(" ".join(c for c in cells if c))
        else:
            paragraphs.append(block.text)
    return Extracted(paragraphs_text(paragraphs))
