"""Turn an uploaded contract (PDF, DOCX, plain text, scanned PDF) into text.

* PDF: the glyphs of each page are read with their positions (pdfium), grouped into
  lines, sorted left to right and, for Hebrew lines, turned from visual into logical order
  (:mod:`.bidi`). Text extractors that reorder by themselves move numbers and punctuation
  across direction changes ("ת.ז. ,031547821", mirrored parentheses); working from the
  glyph positions avoids that.
* Scanned PDF (no text layer): rendered and read with Tesseract (``heb+eng``) when the
  ``tesseract`` command and its Hebrew data are installed; otherwise a 422 that says so.
* DOCX: paragraphs and table rows in document order (cells joined with `` | ``).
* Text: UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1255.

Every failure the caller can fix is a :class:`~nodes.core.node.NodeError` (415 for a type we
do not read, 422 for a corrupt, encrypted, empty or unreadable file, 413 for one past the
limits of :class:`~nodes.core.config.Settings`).

The limits bound the work and the memory one file costs, and are checked as early as
possible: a DOCX's sizes from its zip directory before anything is unpacked, a PDF's page
count before any page is read, each PDF page's character count before its characters are
laid out, and the text read so far after every page (PDF) or block (DOCX), so reading
stops once the text is over the limit. The readers also check the request's
:class:`~nodes.core.limits.Deadline` at every page, block and table row.
"""

from __future__ import annotations

import ctypes
import io
import os
import shutil
import subprocess
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from functools import cache

from nodes.core.config import MIB, Settings
from nodes.core.limits import Deadline
from nodes.core.node import NodeError
from nodes.text.bidi import repair_visual_lines, visual_to_logical

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
OCTET = "application/octet-stream"

#: pages of a scanned PDF that OCR reads at most (each takes seconds)
MAX_OCR_PAGES = 30
OCR_DPI = 300
OCR_TIMEOUT_SECONDS = 120
#: fewer letters than this per page means "no text layer"
MIN_LETTERS_PER_PAGE = 20
#: characters one PDF page may hold (a dense A4 page has about 5,000)
MAX_PAGE_CHARS = 100_000
#: pixels of one page rendered for OCR (an A4 page at 300 dpi has 8.7 million)
MAX_OCR_PIXELS = 40_000_000
#: how many times larger than packed a DOCX part of over 1 MiB may unpack (Word's XML: 5 to 20)
MAX_DOCX_RATIO = 100

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
)


@dataclass
class Document:
    """Text taken from an input, with where it came from."""

    text: str
    source: str  # text | pdf | pdf_ocr | docx
    pages: int | None = None
    warnings: list[str] = field(default_factory=list)


def uploaded_file(form: object, part: str = "file") -> tuple[bytes, str | None, str | None]:
    """The bytes, file name and type of a multipart body's file ``part``; a 422 naming it when it is
    missing or empty."""
    upload = form.files.get(part) if form is not None else None  # type: ignore[attr-defined]
    if upload is None:
        raise NodeError(422, f"The multipart body has no part named '{part}'.",
                        errors=[{"loc": part, "msg": f"field required: a file part named '{part}'"}])
    data = upload.read()
    if not data:
        raise NodeError(422, "The file is empty.", errors=[{"loc": part, "msg": "empty file"}])
    return data, upload.filename or None, upload.mimetype or None


def _unprocessable(detail: str) -> NodeError:
    return NodeError(422, detail, errors=[{"loc": "file", "msg": detail}])


def _too_large(detail: str) -> NodeError:
    return NodeError(413, detail, errors=[{"loc": "file", "msg": detail}])


def _check_chars(chars: int, limits: Settings) -> None:
    """Raise a 413 once the text read so far is longer than the document limit."""
    if chars > limits.max_document_chars:
        raise _too_large(f"The document's text is longer than the {limits.max_document_chars:,} characters "
                         "read per document (TZOMET_MAX_DOCUMENT_CHARS).")


def sniff(data: bytes, content_type: str | None, filename: str | None) -> str:
    """Decide what ``data`` is: ``PDF``, ``DOCX`` or ``TEXT``; raise 415 for anything else.

    The bytes decide first (a PDF sent as octet-stream is still a PDF), then the declared
    type and the file name.
    """
    head = data[:8]
    if data[:1024].lstrip().startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                if "word/document.xml" in zf.namelist():
                    return DOCX
        except zipfile.BadZipFile:
            raise _unprocessable("The file looks like a DOCX (zip) but is corrupt.") from None
        raise NodeError(415, "This zip file is not a DOCX document; send PDF, DOCX or plain text.")
    for magic, kind in _IMAGE_MAGIC:
        if head.startswith(magic):
            raise NodeError(415, f"Images ({kind}) are not accepted; send the contract as PDF, DOCX or text "
                                 "(a scanned contract as PDF).")
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise NodeError(415, "Images (image/webp) are not accepted; send PDF, DOCX or text.")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise NodeError(415, "Old Word (.doc) files are not read; save the contract as DOCX or PDF.")
    ctype = (content_type or "").split(";")[0].strip().lower()
    name = (filename or "").lower()
    if ctype == PDF or name.endswith(".pdf"):
        raise _unprocessable("The file is not a valid PDF (no %PDF header).")
    if ctype == DOCX or name.endswith(".docx"):
        raise _unprocessable("The file is not a valid DOCX document.")
    if ctype.startswith("image/") or ctype.startswith("audio/") or ctype.startswith("video/"):
        raise NodeError(415, f"Content type {ctype} is not accepted; send PDF, DOCX or text.")
    if ctype not in ("", TEXT, OCTET) and not ctype.startswith("text/"):
        raise NodeError(415, f"Content type {ctype} is not accepted; send PDF, DOCX or text.")
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise NodeError(415, "The file is binary and not a PDF or DOCX; send PDF, DOCX or text.")
    return TEXT


def read_document(
    data: bytes,
    content_type: str | None = None,
    filename: str | None = None,
    *,
    settings: Settings | None = None,
    deadline: Deadline | None = None,
) -> Document:
    """Extract the text of an uploaded file; see the module docstring for the formats and limits.

    ``settings`` gives the limits and ``deadline`` the time left (both from the default
    settings when ``None``).
    """
    limits = settings or Settings()
    deadline = deadline or Deadline.from_settings(limits)
    if data.startswith(b"PK\x03\x04"):
        _check_zip_entries(data, limits)  # before sniff() parses the zip's directory
    kind = sniff(data, content_type, filename)
    if kind == PDF:
        return read_pdf(data, limits, deadline)
    if kind == DOCX:
        return read_docx(data, limits, deadline)
    text = decode_text(data)
    _check_chars(len(text), limits)
    return Document(text=text, source="text")


def decode_text(data: bytes) -> str:
    """Decode a plain-text upload (UTF-8, UTF-16 with BOM, or Windows-1255)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise _unprocessable("The text file is not valid UTF-16.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1255")
    except UnicodeDecodeError:
        raise _unprocessable("The text file is neither UTF-8 nor Windows-1255.") from None


# --- PDF ------------------------------------------------------------------------------

def _open_pdf(data: bytes) -> object:
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as err:
        msg = str(err).lower()
        if "password" in msg:
            raise _unprocessable("The PDF is password-protected; send an unprotected copy.") from None
        raise _unprocessable("The PDF is corrupt or unreadable.") from None
    except Exception:
        raise _unprocessable("The PDF is corrupt or unreadable.") from None


def read_pdf(data: bytes, settings: Settings | None = None, deadline: Deadline | None = None) -> Document:
    """Extract a PDF's text layer in logical order; OCR it when it has none.

    413 for more pages than ``settings.max_pdf_pages``, a page of more than
    :data:`MAX_PAGE_CHARS` characters, or more text than ``settings.max_document_chars``.
    """
    limits = settings or Settings()
    deadline = deadline or Deadline.from_settings(limits)
    pdf = _open_pdf(data)
    try:
        pages = len(pdf)  # type: ignore[arg-type]
        if pages > limits.max_pdf_pages:
            raise _too_large(f"The PDF has {pages:,} pages; at most {limits.max_pdf_pages:,} are read "
                             "(TZOMET_MAX_PDF_PAGES).")
        texts: list[str] = []
        rtl_doc = False
        page_lines: list[list[str]] = []
        chars = 0
        try:
            for i in range(pages):
                deadline.check()
                lines = _page_visual_lines(pdf[i], i + 1)  # type: ignore[index]
                chars += sum(len(line) + 1 for line in lines)
                _check_chars(chars, limits)
                page_lines.append(lines)
        except NodeError:
            raise
        except Exception:
            raise _unprocessable("The PDF is corrupt or unreadable.") from None
        all_text = "".join("".join(lines) for lines in page_lines)
        hebrew = sum(1 for c in all_text if "\u0590" <= c <= "\u05ff" or "\u0600" <= c <= "\u06ff")
        latin = sum(1 for c in all_text if c.isascii() and c.isalpha())
        rtl_doc = hebrew >= latin
        for lines in page_lines:
            texts.append("\n".join(_logical_line(line, rtl_doc) for line in lines))
        letters = sum(1 for c in all_text if c.isalpha())
        if letters < MIN_LETTERS_PER_PAGE * max(1, pages):
            return _ocr_pdf(pdf, pages, deadline)
        return Document(text="\n\n".join(t for t in texts if t), source="pdf", pages=pages)
    finally:
        pdf.close()  # type: ignore[attr-defined]


def _logical_line(visual: str, rtl_doc: bool) -> str:
    has_rtl = any("\u0590" <= c <= "\u08ff" for c in visual)
    if has_rtl and rtl_doc:
        return visual_to_logical(visual)
    if has_rtl:
        # A left-to-right line with Hebrew words: reverse each Hebrew run only.
        import re

        return re.sub(r"[\u0590-\u05ff][\u0590-\u05ff\s\"'\-]*[\u0590-\u05ff]",
                      lambda m: visual_to_logical(m.group(0)), visual)
    if rtl_doc and visual[:1] in ".,:;!?" and len(visual) > 1:
        # An English sentence inside a right-to-left paragraph shows its full stop on the left.
        return visual[1:] + visual[0]
    return visual


def _page_visual_lines(page: object, number: int) -> list[str]:
    """Return the lines of page ``number``, each in visual (left to right) order.

    413 when the page has more than :data:`MAX_PAGE_CHARS` characters.
    """
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()  # type: ignore[attr-defined]
    try:
        raw = textpage.raw
        count = pdfium_c.FPDFText_CountChars(raw)
        if count > MAX_PAGE_CHARS:
            raise _too_large(f"Page {number} of the PDF has {count:,} characters; a page may have at most "
                             f"{MAX_PAGE_CHARS:,}.")
        rect = pdfium_c.FS_RECTF()
        glyphs: list[tuple[float, float, float, float, str]] = []  # (y, x0, x1, size, char)
        for i in range(count):
            code = pdfium_c.FPDFText_GetUnicode(raw, i)
            if code == 0 or pdfium_c.FPDFText_IsGenerated(raw, i) == 1:
                continue
            ch = chr(code)
            if ch.isspace() or unicodedata.category(ch) in ("Mn", "Cf", "Cc"):
                continue
            # The loose box spans the glyph's advance, so letters of one word touch.
            if not pdfium_c.FPDFText_GetLooseCharBox(raw, i, ctypes.byref(rect)):
                continue
            size = pdfium_c.FPDFText_GetFontSize(raw, i) or abs(rect.top - rect.bottom) or 10.0
            glyphs.append(((rect.bottom + rect.top) / 2, rect.left, rect.right, float(size), ch))
    finally:
        textpage.close()
    lines: list[list[tuple[float, float, float, float, str]]] = []
    current: list[tuple[float, float, float, float, str]] = []
    base_y = None
    for g in glyphs:
        if base_y is not None and abs(g[0] - base_y) > 0.45 * g[3]:
            lines.append(current)
            current = []
            base_y = None
        current.append(g)
        if base_y is None:
            base_y = g[0]
    if current:
        lines.append(current)
    # pdfium may hand a line back in pieces; merge pieces with the same baseline.
    merged: list[list[tuple[float, float, float, float, str]]] = []
    for line in lines:
        y = sum(g[0] for g in line) / len(line)
        for other in merged[-3:]:
            oy = sum(g[0] for g in other) / len(other)
            if abs(oy - y) <= 0.3 * line[0][3]:
                other.extend(line)
                break
        else:
            merged.append(line)
    out: list[str] = []
    for line in merged:
        line.sort(key=lambda g: g[1])
        parts: list[str] = []
        prev_x1 = None
        for _, x0, x1, size, ch in line:
            if prev_x1 is not None and x0 - prev_x1 > 0.18 * size:
                parts.append(" ")
            parts.append(ch)
            prev_x1 = x1 if prev_x1 is None else max(prev_x1, x1)
        out.append("".join(parts))
    return out


# --- OCR ------------------------------------------------------------------------------

@cache
def ocr_languages() -> frozenset[str]:
    """The Tesseract languages installed (empty when Tesseract is not installed)."""
    exe = shutil.which("tesseract")
    if not exe:
        return frozenset()
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    return frozenset(line.strip() for line in out.stdout.splitlines()[1:] if line.strip())


def ocr_available() -> bool:
    """True when Tesseract with Hebrew is installed."""
    return "heb" in ocr_languages()


def _ocr_scale(width_pt: float, height_pt: float) -> float:
    """The render scale of a page for OCR: :data:`OCR_DPI`, lower when that passes :data:`MAX_OCR_PIXELS`."""
    scale = OCR_DPI / 72
    pixels = width_pt * height_pt * scale * scale
    return scale if pixels <= MAX_OCR_PIXELS else scale * (MAX_OCR_PIXELS / pixels) ** 0.5


def _ocr_pdf(pdf: object, pages: int, deadline: Deadline) -> Document:
    if not ocr_available():
        raise _unprocessable(
            "The PDF has no text layer (a scan) and OCR is not available on this server: install "
            "Tesseract with Hebrew (apt-get install tesseract-ocr tesseract-ocr-heb) or send the text."
        )
    langs = "heb+eng" if "eng" in ocr_languages() else "heb"
    warnings = ["The PDF has no text layer; the text was read with OCR and may contain errors."]
    if pages > MAX_OCR_PAGES:
        warnings.append(f"Only the first {MAX_OCR_PAGES} of {pages} scanned pages were read.")
    texts: list[str] = []
    with tempfile.TemporaryDirectory(prefix="tzomet-ocr-") as tmp:
        for i in range(min(pages, MAX_OCR_PAGES)):
            deadline.check()
            page = pdf[i]  # type: ignore[index]
            bitmap = page.render(scale=_ocr_scale(*page.get_size()), grayscale=True)
            path = os.path.join(tmp, f"page{i}.pgm")
            _write_pgm(path, bitmap)
            try:
                out = subprocess.run(
                    ["tesseract", path, "stdout", "-l", langs, "--psm", "4"],
                    capture_output=True, timeout=min(OCR_TIMEOUT_SECONDS, deadline.remaining()), check=False,
                )
            except (OSError, subprocess.SubprocessError):
                deadline.check()  # stopped by the request's budget
                raise _unprocessable("OCR failed on this PDF.") from None
            texts.append(out.stdout.decode("utf-8", "replace").strip())
    text, _ = repair_visual_lines("\n\n".join(t for t in texts if t))
    return Document(text=text, source="pdf_ocr", pages=pages, warnings=warnings)


def _write_pgm(path: str, bitmap: object) -> None:
    """Write a pdfium grayscale bitmap as a binary PGM (Tesseract reads it without Pillow)."""
    width, height, stride = bitmap.width, bitmap.height, bitmap.stride  # type: ignore[attr-defined]
    buf = bytes(bitmap.buffer)  # type: ignore[attr-defined]
    n_channels = bitmap.n_channels  # type: ignore[attr-defined]
    rows = []
    for y in range(height):
        row = buf[y * stride:y * stride + width * n_channels]
        rows.append(row if n_channels == 1 else row[::n_channels])
    with open(path, "wb") as fh:
        fh.write(f"P5\n{width} {height}\n255\n".encode())
        fh.write(b"".join(rows))


# --- DOCX -----------------------------------------------------------------------------

def _too_many_entries(count: int, limits: Settings) -> NodeError:
    return _too_large(f"The DOCX holds {count:,} files; at most {limits.max_docx_entries:,} are read "
                      "(TZOMET_MAX_DOCX_ENTRIES).")


def _check_zip_entries(data: bytes, limits: Settings) -> None:
    """Refuse (413) a zip whose end record declares more files than the limit.

    Reads only that record: parsing the directory itself costs about a second per
    100,000 files. (A record that understates the count is caught by :func:`check_docx_zip`.)
    """
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(data):
        return  # not a zip that zipfile can open either: sniff() says so
    count = int.from_bytes(data[end + 10:end + 12], "little")
    if count == 0xFFFF and data[end - 20:end - 16] == b"PK\x06\x07":  # the zip64 end record holds the count
        record = int.from_bytes(data[end - 12:end - 4], "little")
        if data[record:record + 4] == b"PK\x06\x06":
            count = int.from_bytes(data[record + 32:record + 40], "little")
    if count > limits.max_docx_entries:
        raise _too_many_entries(count, limits)


def check_docx_zip(data: bytes, settings: Settings | None = None) -> None:
    """Refuse (413) a DOCX that would unpack past the limits, from its zip directory alone.

    Nothing is unpacked: the directory declares every part's sizes, and :mod:`zipfile`
    never unpacks a part past its declared size (a part that lies fails its CRC: 422).
    """
    limits = settings or Settings()
    _check_zip_entries(data, limits)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            parts = zf.infolist()
    except zipfile.BadZipFile:
        raise _unprocessable("The DOCX file is corrupt or unreadable.") from None
    if len(parts) > limits.max_docx_entries:
        raise _too_many_entries(len(parts), limits)
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_docx_unpacked_bytes:
        raise _too_large(f"The DOCX unpacks to {unpacked / MIB:,.1f} MiB; at most "
                         f"{limits.max_docx_unpacked_bytes / MIB:g} MiB are read (TZOMET_MAX_DOCX_UNPACKED_MIB).")
    for part in parts:
        if part.filename == "word/document.xml" and part.file_size > limits.max_docx_xml_bytes:
            raise _too_large(f"The DOCX's text (word/document.xml) unpacks to {part.file_size / MIB:,.1f} MiB; at "
                             f"most {limits.max_docx_xml_bytes / MIB:g} MiB are read (TZOMET_MAX_DOCX_XML_MIB).")
        if part.file_size > MIB and part.file_size > MAX_DOCX_RATIO * max(1, part.compress_size):
            raise _too_large(f"The DOCX part {part.filename} unpacks {part.file_size // max(1, part.compress_size):,} "
                             f"times larger than it is packed; at most {MAX_DOCX_RATIO} times are read.")


def read_docx(data: bytes, settings: Settings | None = None, deadline: Deadline | None = None) -> Document:
    """Extract the paragraphs and table rows of a DOCX in document order.

    The zip is checked first (:func:`check_docx_zip`); 413 once the text passes
    ``settings.max_document_chars``.
    """
    limits = settings or Settings()
    deadline = deadline or Deadline.from_settings(limits)
    check_docx_zip(data, limits)
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError:  # pragma: no cover - a declared dependency
        raise NodeError(415, "DOCX support is not installed on this server.") from None
    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        chars = 0
        for block in document.element.body.iterchildren():
            deadline.check()
            tag = block.tag.rsplit("}", 1)[-1]
            if tag == "p":
                lines.append(Paragraph(block, document).text)
                chars += len(lines[-1]) + 1
            elif tag == "tbl":
                table = Table(block, document)
                for row in table.rows:
                    deadline.check()
                    cells: list[str] = []
                    for cell in row.cells:
                        value = cell.text.strip().replace("\n", " ")
                        if value and (not cells or cells[-1] != value):  # merged cells repeat
                            cells.append(value)
                    lines.append(" | ".join(cells))
                    chars += len(lines[-1]) + 1
                    _check_chars(chars, limits)
            _check_chars(chars, limits)
    except NodeError:
        raise
    except Exception:
        raise _unprocessable("The DOCX file is corrupt or unreadable.") from None
    return Document(text="\n".join(lines), source="docx")
