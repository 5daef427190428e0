"""Build the DOCX and PDF fixtures of the eval set from its text contracts.

Run from the repository root:  .venv/bin/python nodes/extract_contract_fields/data/eval/make_files.py

Each DOCX is written by hand (a minimal WordprocessingML package, right-to-left paragraphs
for Hebrew, the tables of a contract's "label: value" lines as a two-column table), so the
files stay a few KB; each PDF is that DOCX converted by LibreOffice
(``soffice --headless --convert-to pdf``), the way users make PDFs. Needs LibreOffice
(Debian: libreoffice-writer-nogui, fonts-dejavu-core) only to rebuild the PDFs.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

# ruff: noqa: E501  (the package XML below is kept verbatim)

HERE = Path(__file__).parent
#: contracts that also exist as DOCX and PDF fixtures
FIXTURES = ("he01_lease_residential", "he08_insurance", "he10_consulting", "he15_car_insurance", "en01_consulting")
#: contracts whose "label: value" lines become a table in the DOCX
TABLE_LINES = {"he15_car_insurance"}

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>
</Relationships>"""
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _is_rtl(line: str) -> bool:
    return any("\u0590" <= c <= "\u05ff" for c in line)


def _paragraph(line: str, rtl: bool) -> str:
    ppr = "<w:pPr><w:bidi/><w:jc w:val=\"right\"/></w:pPr>" if rtl else ""
    rpr = "<w:rPr><w:rtl/></w:rPr>" if rtl else ""
    return f'<w:p>{ppr}<w:r>{rpr}<w:t xml:space="preserve">{escape(line)}</w:t></w:r></w:p>'


def _table(rows: list[tuple[str, str]], rtl: bool) -> str:
    tbl_pr = "<w:tblPr><w:bidiVisual/></w:tblPr>" if rtl else "<w:tblPr/>"
    body = "".join(
        "<w:tr>" + "".join(f"<w:tc>{_paragraph(cell, rtl)}</w:tc>" for cell in row) + "</w:tr>" for row in rows
    )
    return f"<w:tbl>{tbl_pr}{body}</w:tbl>"


def docx_bytes(text: str, table_lines: bool = False) -> bytes:
    """A minimal DOCX holding ``text``: one paragraph per line (label lines as a table)."""
    rtl = _is_rtl(text)
    parts: list[str] = []
    rows: list[tuple[str, str]] = []
    for line in text.splitlines():
        if table_lines and ":" in line and len(line.split(":", 1)[0]) < 25 and line.split(":", 1)[1].strip():
            label, value = line.split(":", 1)
            rows.append((label.strip(), value.strip()))
            continue
        if rows:
            parts.append(_table(rows, rtl))
            rows = []
        parts.append(_paragraph(line, rtl))
    if rows:
        parts.append(_table(rows, rtl))
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document xmlns:w="{_W}"><w:body>'
                + "".join(parts) + "<w:sectPr/></w:body></w:document>")
    with tempfile.SpooledTemporaryFile() as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
            zf.writestr("_rels/.rels", _RELS)
            zf.writestr("word/document.xml", document)
        tmp.seek(0)
        return tmp.read()


def main() -> int:
    out = HERE / "files"
    out.mkdir(exist_ok=True)
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    for name in FIXTURES:
        text = (HERE / "contracts" / f"{name}.txt").read_text(encoding="utf-8")
        docx_path = out / f"{name}.docx"
        docx_path.write_bytes(docx_bytes(text, name in TABLE_LINES))
        if soffice is None:
            print("LibreOffice not found: PDFs not rebuilt", file=sys.stderr)
            continue
        subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", str(out), str(docx_path)],
                       check=True, capture_output=True, timeout=180)
        print(name, docx_path.stat().st_size, (out / f"{name}.pdf").stat().st_size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
