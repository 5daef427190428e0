"""Hardening of extract-contract-fields: a request's cost is bounded in time and memory.

Every adversarial input is built here: zip bombs (zipfile, ZIP_DEFLATED of repeated
bytes), PDFs of many pages or of one overfull page (a hand-written PDF whose pages share
one compressed content stream), patterns that backtrack. Each is answered over real HTTP
with a problem (or a null field) in well under the time the old code took.
"""

from __future__ import annotations

import base64
import hashlib
import io
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from nodes.core import documents
from nodes.core.config import LIMITS, ConfigError, Settings, load_settings
from nodes.core.limits import TIME_BUDGET_TYPE, Deadline
from nodes.core.node import NodeError
from nodes.extract_contract_fields.patterns import check_pattern

ACTION = "/v1/extract-contract-fields"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FILES = Path(__file__).resolve().parents[3] / "nodes" / "extract_contract_fields" / "data" / "eval" / "files"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
SENTENCE = "The Tenant shall pay the rent on the first day of each month. "

# --- builders -------------------------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="word/document.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/></Relationships>'
)
_PARAGRAPH = f"<w:p><w:r><w:t>{SENTENCE.strip()}</w:t></w:r></w:p>"


def make_docx(paragraphs: int = 10, *, zeros: int = 0, extra_files: int = 0) -> bytes:
    """A DOCX of ``paragraphs`` paragraphs, plus a part of ``zeros`` zero bytes and ``extra_files`` tiny parts."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        with zf.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document '
                     b'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>')
            block = (_PARAGRAPH * 1000).encode()
            for _ in range(paragraphs // 1000):
                fh.write(block)
            fh.write((_PARAGRAPH * (paragraphs % 1000)).encode())
            fh.write(b"</w:body></w:document>")
        if zeros:
            with zf.open("word/media/image1.bin", "w", force_zip64=True) as fh:
                mib = bytes(1 << 20)
                for _ in range(zeros >> 20):
                    fh.write(mib)
        for i in range(extra_files):
            zf.writestr(f"customXml/item{i}.xml", "<a/>")
    return buf.getvalue()


def make_pdf(pages: int, chars_per_page: int) -> bytes:
    """A PDF of ``pages`` pages that all draw one compressed content stream of ``chars_per_page`` characters."""
    line = (SENTENCE * 2)[:100]
    rows = [f"BT /F1 4 Tf 20 {800 - (i % 190) * 4} Td ({line}) Tj ET" for i in range(max(1, chars_per_page // 100))]
    stream = zlib.compress("\n".join(rows).encode("latin-1"), 9)
    kids = " ".join(f"{5 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Count {pages} /Kids [{kids}] >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(stream), stream),
    ] + [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 842] /Resources << /Font << /F1 3 0 R >> >> "
         b"/Contents 4 0 R >>"] * pages
    out = io.BytesIO(b"%PDF-1.7\n")
    out.seek(0, io.SEEK_END)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _post_file(base_url: str, data: bytes, content_type: str, timeout: float = 30) -> requests.Response:
    return requests.post(base_url + ACTION, data=data, headers={"Content-Type": content_type}, timeout=timeout)


def _timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


# --- 1. a client's own pattern --------------------------------------------------------

@pytest.mark.parametrize("pattern", ["(a+)+$", "(a*)*", "(a|aa)+", "(.*a){10}", r"(\w+\s?)+$"])
def test_backtracking_patterns_are_422_naming_the_pattern(base_url: str, pattern: str) -> None:
    body = {"text": "a" * 35 + "!", "fields": [{"name": "ok", "patterns": ["a"]},
                                               {"name": "evil", "patterns": [r"\d+", pattern]}]}
    r, seconds = _timed(lambda: requests.post(base_url + ACTION, json=body, timeout=10))
    assert r.status_code == 422, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert [e["loc"] for e in r.json()["errors"]] == ["fields.1.patterns.1"]
    assert "backtrack" in r.json()["errors"][0]["msg"]
    assert seconds < 2


@pytest.mark.parametrize("pattern", [r"(?:foo|bar)+", r"(\d{2}){3}", r"(?:\w++\s)+", r"(?>a+)+!", r"(?:\d|\.)+"])
def test_patterns_that_cannot_backtrack_without_end_are_accepted(pattern: str) -> None:
    assert check_pattern(pattern) == pattern


def test_pattern_length_and_count_are_bounded(base_url: str) -> None:
    long = requests.post(base_url + ACTION, json={"text": "x", "fields": [{"name": "a", "patterns": ["a" * 501]}]},
                         timeout=10)
    assert long.status_code == 422 and long.json()["errors"][0]["loc"] == "fields.0.patterns.0"
    many = [{"name": f"f{i}", "patterns": ["a"] * 20} for i in range(6)]  # 120 patterns in all
    r = requests.post(base_url + ACTION, json={"text": "x", "fields": many}, timeout=10)
    assert r.status_code == 422 and [e["loc"] for e in r.json()["errors"]] == ["fields"]
    keyword = requests.post(base_url + ACTION, json={"text": "x", "fields": [{"name": "a", "keywords": ["k" * 201]}]},
                            timeout=10)
    assert keyword.status_code == 422 and keyword.json()["errors"][0]["loc"] == "fields.0.keywords.0"


def test_tenant_default_with_a_backtracking_pattern_is_skipped_and_logged(
        serve: Callable[..., str], caplog: pytest.LogCaptureFixture) -> None:
    url = serve(options={"extract-contract-fields": {"fields": [
        {"name": "evil", "patterns": ["(a+)+$"]}, {"name": "rooms", "type": "number", "patterns": [r"(\d+) rooms"]}]}})
    r = requests.post(url + ACTION, json={"text": "A flat of 3 rooms. " + "a" * 35 + "!"}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["fields"]["rooms"]["value"] == 3 and "evil" not in r.json()["fields"]
    assert any("skipped: patterns.0" in rec.getMessage() for rec in caplog.records)


def test_pattern_that_times_out_leaves_its_field_null_with_a_warning(base_url: str) -> None:
    # Not nested, so it passes the check, but polynomial: minutes in Python's re over 5,000 letters, and
    # about a second in the regex module — so 20,000 letters, that it is sure to run past its 1 s
    body = {"text": "a" * 20000 + "!", "fields": [{"name": "slow", "patterns": ["a*a*a*a*a*a*a*$"]},
                                                   {"name": "fast", "patterns": ["(a{3})"]}]}
    r, seconds = _timed(lambda: requests.post(base_url + ACTION, json=body, timeout=20))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["fields"]["slow"] is None and out["fields"]["fast"]["value"] == "aaa"
    assert any("'slow'" in w and "stopped" in w for w in out["warnings"])
    assert seconds < 10


def test_slow_patterns_stop_at_the_request_budget(serve: Callable[..., str]) -> None:
    url = serve(request_budget_s=0.5)
    body = {"text": "a" * 5000 + "!", "fields": [{"name": f"slow{i}", "patterns": ["a*a*a*a*a*a*a*$"]}
                                                   for i in range(10)]}
    r, seconds = _timed(lambda: requests.post(url + ACTION, json=body, timeout=20))
    assert r.status_code == 422, r.text
    assert r.json()["type"] == TIME_BUDGET_TYPE and "0.5 s budget" in r.json()["detail"]
    assert seconds < 5


# --- 2. DOCX bombs ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("docx", "needle"),
    [(lambda: make_docx(zeros=200 << 20), "TZOMET_MAX_DOCX_UNPACKED_MIB"),
     (lambda: make_docx(paragraphs=300_000), "TZOMET_MAX_DOCX_XML_MIB"),
     (lambda: make_docx(extra_files=2_500), "TZOMET_MAX_DOCX_ENTRIES"),
     (lambda: make_docx(zeros=10 << 20), "times larger than it is packed")],
    ids=["unpacked-size", "document-xml", "entries", "ratio"],
)
def test_docx_bombs_are_413_before_unpacking(base_url: str, docx: Callable[[], bytes], needle: str) -> None:
    data = docx()
    r, seconds = _timed(lambda: _post_file(base_url, data, DOCX_TYPE))
    assert r.status_code == 413, r.text
    assert r.headers["Content-Type"].startswith("application/problem+json")
    assert needle in r.json()["detail"] and r.json()["errors"][0]["loc"] == "file"
    assert seconds < 1


def test_docx_text_stops_at_the_character_limit(serve: Callable[..., str]) -> None:
    url = serve(max_document_chars=10_000)
    r = _post_file(url, make_docx(paragraphs=1_000), DOCX_TYPE)  # 62,000 characters
    assert r.status_code == 413 and "TZOMET_MAX_DOCUMENT_CHARS" in r.json()["detail"]
    assert _post_file(url, make_docx(paragraphs=100), DOCX_TYPE).status_code == 200


def test_docx_part_that_lies_about_its_size_is_422() -> None:
    """zipfile stops at the size a part declares, so one that unpacks to more fails its CRC."""
    data = bytearray(make_docx(paragraphs=300_000))  # a 24 MiB document.xml ...
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        offset = zf.start_dir  # type: ignore[attr-defined]
    while data[offset + 46:offset + 46 + 17] != b"word/document.xml":  # its central directory entry
        offset += 46 + sum(int.from_bytes(data[offset + i:offset + i + 2], "little") for i in (28, 30, 32))
    data[offset + 24:offset + 28] = (1000).to_bytes(4, "little")  # ... that declares 1,000 bytes
    started = time.perf_counter()
    with pytest.raises(NodeError) as err:
        documents.read_docx(bytes(data))
    assert err.value.status == 422 and time.perf_counter() - started < 1


def test_zip_that_understates_its_file_count_is_still_413() -> None:
    data = bytearray(make_docx(extra_files=2_500))
    end = data.rindex(b"PK\x05\x06")
    data[end + 8:end + 12] = (5).to_bytes(2, "little") * 2  # "5 files" in the end record
    with pytest.raises(NodeError) as err:
        documents.read_document(bytes(data))
    assert err.value.status == 413 and "2,503 files" in err.value.detail


def test_real_docx_contracts_pass_the_checks() -> None:
    for path in FILES.glob("*.docx"):
        documents.check_docx_zip(path.read_bytes(), Settings())


# --- 3. PDFs ------------------------------------------------------------------------------

def test_pdf_with_too_many_pages_is_413_before_reading(base_url: str) -> None:
    data = make_pdf(5_000, 2_000)
    r, seconds = _timed(lambda: _post_file(base_url, data, "application/pdf"))
    assert r.status_code == 413, r.text
    assert "5,000 pages" in r.json()["detail"] and "TZOMET_MAX_PDF_PAGES" in r.json()["detail"]
    assert seconds < 1


def test_overfull_pdf_page_is_413(base_url: str) -> None:
    data = make_pdf(20, 400_000)  # a few kB that draw 8,000,000 characters
    r, seconds = _timed(lambda: _post_file(base_url, data, "application/pdf"))
    assert r.status_code == 413, r.text
    assert "Page 1 of the PDF has" in r.json()["detail"]
    assert seconds < 3


def test_pdf_reading_stops_at_the_character_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[int] = []
    real = documents._page_visual_lines

    def counting(page: Any, number: int) -> list[str]:
        read.append(number)
        return real(page, number)

    monkeypatch.setattr(documents, "_page_visual_lines", counting)
    with pytest.raises(NodeError) as err:
        documents.read_pdf(make_pdf(50, 2_000), Settings(max_document_chars=5_000))
    assert err.value.status == 413 and "TZOMET_MAX_DOCUMENT_CHARS" in err.value.detail
    assert read == [1, 2, 3]


def test_pdf_reading_stops_at_the_request_budget(serve: Callable[..., str]) -> None:
    # limits raised past the defaults, so that it is the budget that stops the reading
    url = serve(request_budget_s=0.3, max_pdf_pages=300, max_document_chars=2_000_000)
    r, seconds = _timed(lambda: _post_file(url, make_pdf(300, 3_000), "application/pdf"))
    assert r.status_code == 422, r.text
    assert r.json()["type"] == TIME_BUDGET_TYPE
    assert seconds < 2


def test_ocr_renders_at_most_max_ocr_pixels() -> None:
    assert documents._ocr_scale(595, 842) == documents.OCR_DPI / 72  # A4 at 300 dpi
    scale = documents._ocr_scale(14_400, 14_400)  # the largest page PDF allows
    assert (14_400 * scale) ** 2 <= documents.MAX_OCR_PIXELS * 1.0001


def test_plain_text_upload_is_bounded(serve: Callable[..., str]) -> None:
    url = serve(max_document_chars=1_000)
    r = _post_file(url, (SENTENCE * 20).encode(), "text/plain")
    assert r.status_code == 413 and "TZOMET_MAX_DOCUMENT_CHARS" in r.json()["detail"]


# --- 4. base64 ------------------------------------------------------------------------------

def test_base64_with_foreign_characters_is_422(base_url: str) -> None:
    encoded = base64.b64encode((SENTENCE * 3).encode()).decode()
    for bad in (encoded[:8] + "*" + encoded[8:], encoded[:8] + "\u05d0" + encoded[8:], encoded + "!"):
        r = requests.post(base_url + ACTION, json={"file": {"content_base64": bad, "filename": "a.txt"}}, timeout=10)
        assert r.status_code == 422, r.text
        assert r.json()["errors"] == [{"loc": "file.content_base64", "msg": "not valid base64"}]


def test_base64_with_line_breaks_is_read(base_url: str) -> None:
    pdf = (FILES / "en01_consulting.pdf").read_bytes()
    wrapped = base64.encodebytes(pdf).decode().replace("\n", "\r\n")  # MIME style, 76 per line
    r = requests.post(base_url + ACTION, json={"file": {"content_base64": wrapped}}, timeout=60)
    assert r.status_code == 200, r.text
    assert r.json()["document_sha256"] == hashlib.sha256(pdf).hexdigest()


def test_empty_multipart_file_is_422(base_url: str) -> None:
    r = requests.post(base_url + ACTION, files={"file": ("a.pdf", b"", "application/pdf")}, timeout=10)
    assert r.status_code == 422 and r.json()["errors"] == [{"loc": "file", "msg": "empty file"}]


# --- 5. the limits are settings -------------------------------------------------------------

def test_limits_defaults_env_vars_and_config_keys(tmp_path: Path) -> None:
    s = load_settings(env={})
    assert (s.max_docx_unpacked_bytes, s.max_docx_xml_bytes, s.max_docx_entries) == (50 << 20, 20 << 20, 2000)
    assert (s.max_pdf_pages, s.max_document_chars, s.max_text_chars) == (120, 300_000, 300_000)
    assert (s.max_batch_items, s.request_budget_s) == (100, 60.0)
    env = {"TZOMET_MAX_DOCX_UNPACKED_MIB": "5", "TZOMET_MAX_PDF_PAGES": "10", "TZOMET_REQUEST_BUDGET_S": "2.5"}
    s = load_settings(env=env)
    assert (s.max_docx_unpacked_bytes, s.max_pdf_pages, s.request_budget_s) == (5 << 20, 10, 2.5)
    cfg = tmp_path / "c.toml"
    cfg.write_text("max_pdf_pages = 20\nmax_docx_xml_mib = 0.5\nmax_batch_items = 10\n", encoding="utf-8")
    s = load_settings(env={"TZOMET_CONFIG": str(cfg), "TZOMET_MAX_PDF_PAGES": "30"})
    assert (s.max_pdf_pages, s.max_docx_xml_bytes, s.max_batch_items) == (30, 1 << 19, 10)  # env wins


@pytest.mark.parametrize(("var", "value"), [("TZOMET_MAX_PDF_PAGES", "2.5"), ("TZOMET_MAX_DOCX_ENTRIES", "0"),
                                            ("TZOMET_REQUEST_BUDGET_S", "soon"), ("TZOMET_MAX_BATCH_ITEMS", "101")])
def test_bad_limits_are_named(var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=var):
        load_settings(env={var: value})


def test_bad_limit_in_config_file_is_named(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("max_batch_items = 500\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max_batch_items"):
        load_settings(env={"TZOMET_CONFIG": str(cfg)})


def test_every_limit_is_in_the_one_table_of_the_docs() -> None:
    rows = {line.split("|")[1].strip(): line for line in DOCS.read_text(encoding="utf-8").splitlines()
            if line.startswith("| `")}
    for limit in LIMITS:
        row = rows.get(f"`{limit.setting}`")
        assert row is not None, limit.setting
        cells = [cell.strip() for cell in row.split("|")[2:5]]
        assert cells[:2] == [f"`{limit.env}`", f"`{limit.key}`"], row
        assert cells[2].startswith(f"{limit.default:,}".removesuffix(".0")), row


def test_text_fields_are_bounded_for_every_action(serve: Callable[..., str]) -> None:
    url = serve(max_text_chars=100)
    long = "שלום, אני רוצה לשכור דירה. " * 10
    for action, body, loc in [
        ("extract-contract-fields", {"text": long}, "text"),
        ("classify-lead", {"text": long}, "text"),
        ("summarize-conversation", {"messages": [{"text": "היי"}, {"text": long}]}, "messages.1.text"),
        # each message within the limit, all of them together over it
        ("summarize-conversation", {"messages": [{"text": "שלום, אני רוצה דירה."}] * 6}, "messages"),
        ("summarize-conversation", {"transcript": "[1/2/24, 10:00:00] דנה: " + long}, "transcript"),
    ]:
        r = requests.post(f"{url}/v1/{action}", json=body, timeout=30)
        assert r.status_code == 422, (action, r.text)
        assert r.json()["errors"][0]["loc"] == loc and "TZOMET_MAX_TEXT_CHARS" in r.json()["errors"][0]["msg"]
    ok = requests.post(f"{url}/v1/classify-lead", json={"text": "שלום"}, timeout=30)
    assert ok.status_code == 200, ok.text


def test_batch_items_are_bounded_by_the_setting(serve: Callable[..., str]) -> None:
    url = serve(max_batch_items=2)
    items = [{"text": "שלום"}] * 3
    r = requests.post(f"{url}/v1/classify-lead/batch", json={"items": items}, timeout=30)
    assert r.status_code == 422 and r.json()["errors"] == [{"loc": "items", "msg": "at most 2 items per batch, got 3"}]
    assert requests.post(f"{url}/v1/classify-lead/batch", json={"items": items[:2]}, timeout=30).status_code == 200


# --- 6. the deadline ------------------------------------------------------------------------

def test_deadline() -> None:
    assert not Deadline(60).expired() and 59 < Deadline(60).remaining() <= 60
    spent = Deadline(0)
    assert spent.expired() and spent.remaining() == 0
    with pytest.raises(NodeError) as err:
        spent.check()
    assert err.value.status == 422 and err.value.type == TIME_BUDGET_TYPE
    assert Deadline.from_settings(Settings(request_budget_s=7)).seconds == 7
