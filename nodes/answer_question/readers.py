"""A business document as blocks that keep its structure: headings, paragraphs, list items and
table rows (each row with its table's header row).

HTML and Markdown are read for their own structure; DOCX through python-docx (after the same zip
checks as extract-contract-fields: entry count, sizes, ratio); PDF through the shared reader
(:func:`nodes.core.documents.read_document`: glyph positions, right-to-left order) and then, like
plain text, by line shape (a short line without end punctuation before a paragraph is a heading).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import PurePath

from nodes.core import documents
from nodes.core.config import Settings
from nodes.core.limits import Deadline
from nodes.core.node import NodeError

HTML = "text/html"
MARKDOWN = "text/markdown"

#: file name endings and the type each is read as
EXTENSIONS = {".pdf": documents.PDF, ".docx": documents.DOCX, ".txt": documents.TEXT, ".text": documents.TEXT,
              ".md": MARKDOWN, ".markdown": MARKDOWN, ".html": HTML, ".htm": HTML}


@dataclass
class Block:
    """One structural piece: ``kind`` is heading, text, item (of a list) or row (of a table)."""

    kind: str
    text: str
    level: int = 0
    #: a row's table header cells (a row is read as "header: value" pairs)
    header: list[str] = field(default_factory=list)
    cells: list[str] = field(default_factory=list)


def media_type(filename: str | None, content_type: str | None, data: bytes) -> str:
    """What to read ``data`` as: the file name's ending first, then the declared type, then the bytes."""
    suffix = PurePath(filename or "").suffix.lower()
    if suffix in EXTENSIONS:
        declared = EXTENSIONS[suffix]
    else:
        declared = (content_type or "").split(";")[0].strip().lower()
        if declared not in (HTML, MARKDOWN):
            declared = documents.sniff(data, content_type, filename)
    if declared in (HTML, MARKDOWN, documents.TEXT):
        head = data[:8].lstrip()
        if head.startswith(b"%PDF") or data.startswith(b"PK\x03\x04"):
            raise NodeError(422, f"The file {filename or ''} says it is text but is a "
                                 f"{'PDF' if head.startswith(b'%PDF') else 'zip (DOCX?)'}; send it with its own type.",
                            errors=[{"loc": "file", "msg": "content does not match its type"}])
    return declared


def read_blocks(data: bytes, kind: str, settings: Settings, deadline: Deadline) -> list[Block]:
    """The blocks of a document of type ``kind`` (see :func:`media_type`)."""
    if kind == documents.DOCX:
        documents.check_docx_zip(data, settings)
        return _docx_blocks(data, deadline)
    if kind == documents.PDF:
        return text_blocks(documents.read_pdf(data, settings, deadline).text)
    text = documents.decode_text(data)
    if len(text) > settings.max_document_chars:
        raise NodeError(413, f"The document's text is longer than the {settings.max_document_chars:,} characters "
                             "read per document (TZOMET_MAX_DOCUMENT_CHARS).",
                        errors=[{"loc": "file", "msg": "too long"}])
    if kind == HTML:
        return html_blocks(text)
    if kind == MARKDOWN:
        return markdown_blocks(text)
    return text_blocks(text)


_END_MARK = re.compile(r"[.!?:;,،؟]\s*$")
_LIST_MARK = re.compile(r"^\s*(?:[-*•●▪◦]|\d{1,2}[.)])\s+")


def text_blocks(text: str) -> list[Block]:
    """Plain text (and a PDF's text): headings by shape, list items by their marks, paragraphs by blank lines."""
    blocks: list[Block] = []
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    paragraph: list[str] = []
    # the next non-empty line after each line, found once (looking ahead from every line was quadratic)
    following = [""] * len(lines)
    ahead = ""
    for i in range(len(lines) - 1, -1, -1):
        following[i] = ahead
        ahead = lines[i] or ahead

    def flush() -> None:
        if paragraph:
            blocks.append(Block("text", " ".join(paragraph)))
            paragraph.clear()

    for i, line in enumerate(lines):
        if not line:
            flush()
            continue
        if _LIST_MARK.match(line):
            flush()
            blocks.append(Block("item", _LIST_MARK.sub("", line)))
            continue
        nxt = following[i]
        if (len(line) <= 60 and not _END_MARK.search(line) and not paragraph and nxt
                and (len(nxt) > len(line) or _LIST_MARK.match(nxt))):
            flush()
            blocks.append(Block("heading", line.strip("=#-* "), level=2))
            continue
        paragraph.append(line)
    flush()
    return blocks


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_MARKUP = re.compile(r"(\*\*|__|`)")


def _md_clean(text: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # [text](link) -> text
    return _MD_MARKUP.sub("", text).strip()


def _cells(line: str) -> list[str]:
    return [_md_clean(c) for c in line.strip().strip("|").split("|")]


def markdown_blocks(text: str) -> list[Block]:
    """Markdown: # headings, lists, pipe tables (rows with the header row), paragraphs."""
    blocks: list[Block] = []
    lines = text.replace("\r\n", "\n").split("\n")
    paragraph: list[str] = []
    header: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(Block("text", _md_clean(" ".join(paragraph))))
            paragraph.clear()

    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line:
            flush()
            header = []
            continue
        heading = _MD_HEADING.match(line)
        if heading:
            flush()
            blocks.append(Block("heading", _md_clean(heading.group(2)), level=len(heading.group(1))))
            continue
        if line.startswith("|") or (line.count("|") >= 2 and i + 1 < len(lines)
                                    and _MD_TABLE_RULE.match(lines[i + 1].strip())):
            flush()
            if _MD_TABLE_RULE.match(line):
                continue
            if not header and i + 1 < len(lines) and _MD_TABLE_RULE.match(lines[i + 1].strip()):
                header = _cells(line)
                continue
            cells = _cells(line)
            blocks.append(Block("row", " | ".join(cells), header=list(header), cells=cells))
            continue
        if _LIST_MARK.match(line):
            flush()
            blocks.append(Block("item", _md_clean(_LIST_MARK.sub("", line))))
            continue
        if line.startswith(">"):
            line = line.lstrip("> ")
        paragraph.append(line)
    flush()
    return blocks


def html_blocks(text: str) -> list[Block]:
    """HTML: h1–h6, paragraphs, list items and table rows (with the table's header row), in order."""
    from lxml import html as lxml_html

    try:
        root = lxml_html.document_fromstring(text)
    except Exception:  # lxml raises several types for unreadable markup
        raise NodeError(422, "The HTML could not be read.",
                        errors=[{"loc": "file", "msg": "unreadable HTML"}]) from None
    for bad in root.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    blocks: list[Block] = []
    headings = {f"h{n}": n for n in range(1, 7)}

    def clean(node: object) -> str:
        return re.sub(r"\s+", " ", node.text_content()).strip()  # type: ignore[attr-defined]

    for node in root.iter():
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in headings:
            if clean(node):
                blocks.append(Block("heading", clean(node), level=headings[tag]))
        elif tag == "p" or (tag in ("div", "dd", "dt", "blockquote") and not any(
                isinstance(c.tag, str) and c.tag in ("p", "div", "ul", "ol", "table", *headings) for c in node)):
            if clean(node) and not _inside(node, ("li", "table", "p")):
                blocks.append(Block("text", clean(node)))
        elif tag == "li":
            if clean(node) and not _inside(node, ("li",)):
                blocks.append(Block("item", clean(node)))
        elif tag == "table":
            header: list[str] = []
            for row in node.iter("tr"):
                cells = [clean(c) for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
                if not any(cells):
                    continue
                is_header = all(c.tag == "th" for c in row if isinstance(c.tag, str) and c.tag in ("td", "th"))
                if is_header and not header:
                    header = cells
                    continue
                blocks.append(Block("row", " | ".join(cells), header=list(header), cells=cells))
    return blocks


def _inside(node: object, tags: tuple[str, ...]) -> bool:
    parent = node.getparent()  # type: ignore[attr-defined]
    while parent is not None:
        if isinstance(parent.tag, str) and parent.tag in tags:
            return True
        parent = parent.getparent()
    return False


def _docx_blocks(data: bytes, deadline: Deadline) -> list[Block]:
    """DOCX: headings by their style, list paragraphs, tables row by row (the first row is the header)."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = docx.Document(io.BytesIO(data))
    except Exception:  # python-docx raises several types for a broken file
        raise NodeError(422, "The DOCX file could not be read.", errors=[{"loc": "file", "msg": "unreadable DOCX"}]) \
            from None
    blocks: list[Block] = []
    for item in doc.iter_inner_content():
        deadline.check()
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            if style.startswith("Heading") or style == "Title":
                level = int(style.split()[-1]) if style.split()[-1].isdigit() else 1
                blocks.append(Block("heading", text, level=level))
            elif "List" in style:
                blocks.append(Block("item", text))
            else:
                blocks.append(Block("text", text))
        elif isinstance(item, Table):
            header: list[str] = []
            for r, row in enumerate(item.rows):
                cells = [c.text.strip() for c in row.cells]
                if r == 0:
                    header = cells
                    continue
                if any(cells):
                    blocks.append(Block("row", " | ".join(cells), header=list(header), cells=cells))
    return blocks
