"""extract-contract-fields over real HTTP: all four input forms, bad input, fields with evidence."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import zlib
from pathlib import Path

import pytest
import requests

from nodes.core import documents

DATA = Path(__file__).resolve().parents[3] / "nodes" / "extract_contract_fields" / "data" / "eval"
FILES = DATA / "files"
LEASE = (DATA / "contracts" / "he01_lease_residential.txt").read_text(encoding="utf-8")
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ACTION = "/v1/extract-contract-fields"


def _post_json(base_url: str, body: dict) -> requests.Response:
    return requests.post(base_url + ACTION, json=body, timeout=60)


def _check_evidence(out: dict, text: str | None) -> None:
    """Every field's text is exactly the extracted text at its start/end."""
    for name, f in out["fields"].items():
        if f is not None and text is not None:
            assert text[f["start"]:f["end"]] == f["text"], name


def _assert_lease(out: dict) -> None:
    f = out["fields"]
    assert out["contract_type"] == "lease"
    assert out["language"] == "he"
    assert f["signing_date"]["value"] == "2026-10-28"
    assert f["start_date"]["value"] == "2026-11-01"
    assert f["end_date"]["value"] == "2027-10-31"
    assert f["term_months"]["value"] == 12
    assert f["payment_amount"]["value"]["amount"] == 6200
    assert f["payment_amount"]["value"]["currency"] == "ILS"
    assert f["payment_amount"]["value"]["period"] == "month"
    assert f["security_deposit"]["value"] == {"amount": 18600, "currency": "ILS"}
    assert f["notice_period_days"]["value"] == 60
    assert f["auto_renewal"] is None
    assert f["jurisdiction"]["value"] == "תל אביב-יפו"
    assert "ישראל" in f["governing_law"]["value"]
    ids = {p["id_number"]: p for p in out["parties"]}
    assert ids["031547821"]["role"] == "המשכיר"
    assert ids["031547821"]["id_type"] == "israeli_id" and ids["031547821"]["id_valid"] is True
    assert ids["200000081"]["role"] == "השוכרת"
    assert ids["200000081"]["name"] == "דנה כהן"


def test_json_text(base_url: str) -> None:
    r = _post_json(base_url, {"text": LEASE})
    assert r.status_code == 200, r.text
    out = r.json()
    _assert_lease(out)
    _check_evidence(out, LEASE)
    assert out["source"] == "text" and out["pages"] is None
    assert out["meta"]["engine"] == "local"
    assert out["warnings"] == []


def test_json_base64_pdf_with_text(base_url: str) -> None:
    pdf = (FILES / "he01_lease_residential.pdf").read_bytes()
    r = _post_json(base_url, {"file": {"content_base64": base64.b64encode(pdf).decode(), "filename": "lease.pdf",
                                       "content_type": "application/pdf"}, "include_text": True})
    assert r.status_code == 200, r.text
    out = r.json()
    _assert_lease(out)
    assert out["source"] == "pdf" and out["pages"] >= 1
    _check_evidence(out, out["text"])
    # logical order survived the PDF: numbers and punctuation where they belong
    assert 'ת.ז. 031547821' in out["text"] and '(להלן: "המשכיר")' in out["text"]


def test_multipart_docx(base_url: str) -> None:
    docx = (FILES / "he01_lease_residential.docx").read_bytes()
    r = requests.post(base_url + ACTION, files={"file": ("lease.docx", docx, DOCX_TYPE)},
                      data={"include_text": "true"}, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    _assert_lease(out)
    assert out["source"] == "docx"
    _check_evidence(out, out["text"])


def test_raw_pdf_body(base_url: str) -> None:
    pdf = (FILES / "en01_consulting.pdf").read_bytes()
    r = requests.post(base_url + ACTION, data=pdf, headers={"Content-Type": "application/pdf"}, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["contract_type"] == "service" and out["language"] == "en"
    assert out["fields"]["payment_amount"]["value"]["currency"] == "USD"
    assert out["fields"]["auto_renewal"]["value"] is False
    passport = [p for p in out["parties"] if p["id_type"] == "passport"]
    assert passport and passport[0]["id_number"] == "AB1234567" and passport[0]["role"] == "Consultant"


def test_document_sha256_is_the_same_however_the_file_is_sent(base_url: str) -> None:
    """Workflows derive their idempotency key from it: raw body, multipart and base64 must agree."""
    pdf = (FILES / "en01_consulting.pdf").read_bytes()
    expected = hashlib.sha256(pdf).hexdigest()
    raw = requests.post(base_url + ACTION, data=pdf, headers={"Content-Type": "application/pdf"}, timeout=60)
    form = requests.post(base_url + ACTION, files={"file": ("c.pdf", pdf, "application/pdf")}, timeout=60)
    as_json = requests.post(base_url + ACTION, json={"file": {"content_base64": base64.b64encode(pdf).decode(),
                                                              "filename": "c.pdf"}}, timeout=60)
    assert [r.json()["document_sha256"] for r in (raw, form, as_json)] == [expected] * 3
    text = requests.post(base_url + ACTION, json={"text": "הסכם שכירות בין א' לב'"}, timeout=60).json()
    assert text["document_sha256"] == hashlib.sha256("הסכם שכירות בין א' לב'".encode()).hexdigest()


def test_raw_docx_table_body(base_url: str) -> None:
    docx = (FILES / "he15_car_insurance.docx").read_bytes()
    r = requests.post(base_url + ACTION, data=docx, headers={"Content-Type": DOCX_TYPE}, timeout=60)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["contract_type"] == "insurance"
    assert out["fields"]["start_date"]["value"] == "2026-03-01"
    assert out["fields"]["end_date"]["value"] == "2027-02-28"
    assert out["fields"]["payment_amount"]["value"]["period"] == "year"
    assert {p["role"] for p in out["parties"]} == {"בעל הפוליסה", "המבטח"}


def test_raw_text_body_and_octet_stream_pdf(base_url: str) -> None:
    r = requests.post(base_url + ACTION, data=LEASE.encode("utf-8"),
                      headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=60)
    assert r.status_code == 200
    _assert_lease(r.json())
    pdf = (FILES / "he01_lease_residential.pdf").read_bytes()
    r = requests.post(base_url + ACTION, data=pdf, headers={"Content-Type": "application/octet-stream"}, timeout=60)
    assert r.status_code == 200
    assert r.json()["source"] == "pdf"


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000a49444154789c"
                    "63000100000500010d0a2db40000000049454e44ae426082")


@pytest.mark.parametrize(
    ("body", "ctype"),
    [(PNG, "image/png"), (PNG, "application/octet-stream"), (b"PK\x03\x04junk", "application/zip")],
)
def test_unsupported_types_are_415(base_url: str, body: bytes, ctype: str) -> None:
    r = requests.post(base_url + ACTION, data=body, headers={"Content-Type": ctype}, timeout=60)
    assert r.status_code == 415
    assert r.headers["Content-Type"].startswith("application/problem+json")


def test_png_inside_json_is_415(base_url: str) -> None:
    r = _post_json(base_url, {"file": {"content_base64": base64.b64encode(PNG).decode(), "content_type": "image/png"}})
    assert r.status_code == 415


def test_corrupt_pdf_is_422(base_url: str) -> None:
    r = requests.post(base_url + ACTION, data=b"%PDF-1.7\nthis is not really a pdf",
                      headers={"Content-Type": "application/pdf"}, timeout=60)
    assert r.status_code == 422
    body = r.json()
    assert "corrupt" in body["detail"].lower()
    assert body["errors"][0]["loc"] == "file"


def test_encrypted_pdf_is_422(base_url: str) -> None:
    pypdf = pytest.importorskip("pypdf")
    import io

    writer = pypdf.PdfWriter(clone_from=str(FILES / "he01_lease_residential.pdf"))
    writer.encrypt(user_password="secret", owner_password="owner")
    buf = io.BytesIO()
    writer.write(buf)
    r = requests.post(base_url + ACTION, data=buf.getvalue(), headers={"Content-Type": "application/pdf"}, timeout=60)
    assert r.status_code == 422
    assert "password" in r.json()["detail"].lower()


def test_corrupt_docx_and_bad_base64_are_422(base_url: str) -> None:
    r = requests.post(base_url + ACTION, data=b"not a docx", headers={"Content-Type": DOCX_TYPE}, timeout=60)
    assert r.status_code == 422
    r = _post_json(base_url, {"file": {"content_base64": "!!!not base64!!!", "filename": "a.pdf"}})
    assert r.status_code == 422


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_is_422(base_url: str, text: str) -> None:
    r = _post_json(base_url, {"text": text})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == "text"


def test_text_and_file_together_is_422(base_url: str) -> None:
    r = _post_json(base_url, {"text": "x", "file": {"content_base64": "eA=="}})
    assert r.status_code == 422


def test_no_fields_is_200_with_nulls_and_warning(base_url: str) -> None:
    r = _post_json(base_url, {"text": "שלום, נשמח לקבל הצעת מחיר לעיצוב לוגו לחנות שלנו."})
    assert r.status_code == 200
    out = r.json()
    assert all(v is None for v in out["fields"].values())
    assert set(out["fields"]) >= {"signing_date", "payment_amount", "governing_law"}
    assert out["parties"] == []
    assert out["contract_type"] == "other"
    assert any("No contract fields" in w for w in out["warnings"])


def test_warnings(base_url: str) -> None:
    text = (
        "הסכם שירותים\nשנערך ונחתם ביום 1.1.2026\n"
        "בין: אבי לוי, ת.ז. 123456789 (להלן: \"הספק\")\nלבין: רון כץ, ת.ז. 031547821 (להלן: \"הלקוח\")\n"
        "1. ההסכם הוא לתקופה של 24 חודשים, מיום 1.3.2026 ועד יום 1.2.2026.\n"
        "2. הלקוח ישלם לספק 1,000 דולר (3,700 ש\"ח) לחודש.\n"
    )
    out = _post_json(base_url, {"text": text}).json()
    joined = " ".join(out["warnings"])
    assert "123456789" in joined and "check digit" in joined
    assert "before the start date" in joined
    assert "two currencies" in joined
    assert "No signature block" in joined
    bad = [p for p in out["parties"] if p["id_number"] == "123456789"]
    assert bad and bad[0]["id_valid"] is False


def test_custom_fields(base_url: str) -> None:
    text = (DATA / "contracts" / "he06_vehicle_sale.txt").read_text(encoding="utf-8")
    fields = [
        {"name": "vehicle_licence_number", "type": "string", "keywords": ["מספר רישוי"]},
        {"name": "year_of_manufacture", "type": "number", "patterns": [r"שנת ייצור (\d{4})"]},
        {"name": "transfer_date", "type": "date", "keywords": ["העברת הבעלות תבוצע"]},
        {"name": "down_payment", "type": "amount", "keywords": ["מקדמה בסך"]},
        {"name": "as_is", "type": "boolean", "keywords": ["AS IS"]},
        {"name": "warranty", "type": "string", "keywords": ["אחריות יצרן"]},
    ]
    r = _post_json(base_url, {"text": text, "fields": fields})
    assert r.status_code == 200, r.text
    f = r.json()["fields"]
    assert f["vehicle_licence_number"]["value"] == "12-345-67"
    assert text[f["vehicle_licence_number"]["start"]:f["vehicle_licence_number"]["end"]] == "12-345-67"
    assert f["year_of_manufacture"]["value"] == 2019
    assert f["transfer_date"]["value"] == "2026-06-25"
    assert f["down_payment"]["value"]["amount"] == 5000
    assert f["as_is"]["value"] is True
    assert f["warranty"] is None
    assert f["payment_amount"]["value"]["amount"] == 68000  # standard fields still there


def test_invalid_custom_regex_is_422(base_url: str) -> None:
    r = _post_json(base_url, {"text": LEASE, "fields": [{"name": "x", "patterns": ["(unclosed"]}]})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == "fields.0.patterns.0"


def test_tenant_default_custom_fields(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(options={"extract-contract-fields": {"fields": [
        {"name": "apartment_rooms", "type": "number", "patterns": [r"דירה בת (\d+) חדרים"]}]}})
    r = _post_json(url, {"text": LEASE})
    if r.status_code == 500:  # pragma: no cover - settings without options support
        pytest.fail(r.text)
    assert r.json()["fields"]["apartment_rooms"]["value"] == 3


def test_schema_and_batch(base_url: str) -> None:
    schema = requests.get(base_url + "/v1/nodes/extract-contract-fields/schema", timeout=30).json()
    assert "fields" in schema["input"]["properties"]
    r = requests.post(base_url + ACTION + "/batch", json={"items": [{"text": LEASE}, {"text": ""}]}, timeout=60)
    assert r.status_code == 200
    results = r.json()["results"]
    assert results[0]["ok"] is True and results[1]["ok"] is False


def test_reversed_plain_text_lines_are_repaired(base_url: str) -> None:
    visual = '("רכושה" :ןהלל) 031547821 .ז.ת ,ןהכ השמ :ןיב'  # as some PDF tools paste it
    out = _post_json(base_url, {"text": "הסכם שכירות\n" + visual, "include_text": True}).json()
    assert "בין: משה כהן" in out["text"]
    assert out["parties"][0]["id_number"] == "031547821"
    assert any("visual" in w for w in out["warnings"])


def _scanned_pdf(text_pdf: Path) -> bytes:
    """A PDF whose only page is an image of ``text_pdf``'s first page (no text layer)."""
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(str(text_pdf))[0]
    bitmap = page.render(scale=300 / 72, grayscale=True)
    w, h, stride = bitmap.width, bitmap.height, bitmap.stride
    buf = bytes(bitmap.buffer)
    raw = b"".join(buf[y * stride:y * stride + w] for y in range(h))
    img = zlib.compress(raw)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im0 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceGray /BitsPerComponent 8 "
        f"/Filter /FlateDecode /Length {len(img)} >>\nstream\n".encode() + img + b"\nendstream",
        b"<< /Length 33 >>\nstream\nq 595 0 0 842 0 0 cm /Im0 Do Q\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + o + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_scanned_pdf_without_ocr_is_422(base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(documents, "ocr_available", lambda: False)
    scan = _scanned_pdf(FILES / "he08_insurance.pdf")
    r = requests.post(base_url + ACTION, data=scan, headers={"Content-Type": "application/pdf"}, timeout=60)
    assert r.status_code == 422
    assert "OCR is not available" in r.json()["detail"]


@pytest.mark.skipif(shutil.which("tesseract") is None or not documents.ocr_available(),
                    reason="needs tesseract-ocr and tesseract-ocr-heb")
def test_scanned_pdf_is_read_with_ocr(base_url: str) -> None:
    scan = _scanned_pdf(FILES / "he08_insurance.pdf")
    r = requests.post(base_url + ACTION, data=scan, headers={"Content-Type": "application/pdf"}, timeout=300)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["source"] == "pdf_ocr"
    assert out["contract_type"] == "insurance"
    assert out["fields"]["start_date"]["value"] == "2026-01-01"
    assert any(p["id_number"] == "080808082" for p in out["parties"])


def test_eval_meets_targets() -> None:
    from nodes.extract_contract_fields.eval import evaluate

    report = evaluate()
    assert report["contracts"] >= 25
    assert report["sources"].get("pdf", 0) >= 3 and report["sources"].get("docx", 0) >= 3
    assert report["overall"]["f1"] >= 0.90, json.dumps(report["errors"], ensure_ascii=False)
    assert report["party_id_recall"] >= 0.95


def test_the_held_out_set_holds_its_floor() -> None:
    """Contracts by a helper who never saw the rules (renewal and notice phrased many ways, IDs in
    signature blocks and tables, Arabic contracts). Floors a little under what it scores (fields F1 0.95,
    party IDs 0.92, each linked to its party); before this set's failure families were worked on: 0.85 / 0.58."""
    from nodes.extract_contract_fields.eval import DATA, evaluate

    report = evaluate(str(DATA.parent / "heldout" / "gold.jsonl"))
    assert report["contracts"] >= 18
    assert report["overall"]["f1"] >= 0.93, json.dumps(report["errors"], ensure_ascii=False)
    assert report["party_id_linked"] >= 0.9
    assert report["per_field"]["auto_renewal"]["f1"] >= 0.9 and report["per_field"]["notice_period_days"]["f1"] >= 0.9


@pytest.mark.parametrize("written", ["heldout_letters", "heldout_letters2", "heldout_letters3", "heldout_letters4"])
def test_letters_quotes_and_forms_name_their_parties(written: str) -> None:
    """Agreements with no "between" block (retainer letters, signed quotes, order forms, a memorandum's
    table), four sets each by a helper who never saw the rules: party IDs 0.08 → 1.00, names 0.11 → 0.96 on
    the first, the family's own; the third went 0.19 → 0.81 unread, then 1.00 once read; the fourth, never
    read, scores 1.00 IDs / 0.94 names as it came (see the docs page)."""
    from nodes.extract_contract_fields.eval import DATA, evaluate

    report = evaluate(str(DATA.parent / written / "gold.jsonl"))
    assert report["contracts"] >= 8
    assert report["party_id_linked"] >= 0.9 and report["party_name_recall"] >= 0.85, \
        json.dumps([e for e in report["errors"] if e["field"].startswith("party")], ensure_ascii=False)
    assert report["party_precision"] >= 0.95


@pytest.mark.parametrize(("written", "floor"), [("heldout_clauses", 0.95), ("heldout_clauses2", 0.93),
                                                   ("heldout_clauses3", 0.96), ("heldout_clauses4", 0.95),
                                                   ("heldout_clauses5", 0.96), ("heldout_clauses6", 0.9)])
def test_terms_notices_and_renewals_phrased_many_ways(written: str, floor: float) -> None:
    """Six sets of contracts (he/ar/en) by helpers who never saw the rules, aimed at the term, the notice,
    the renewal, the courts and the parties in uncommon words and layouts, with distractor periods (a price
    change's notice, an option's deadline, a cure period). The first five were read (0.86 → 0.98, 0.87 → 0.96,
    0.93 → 0.99, 0.83 → 0.98, 0.93 → 0.98); the sixth never was: 0.91 → 0.93 over session 12. Floors a
    little under."""
    from nodes.extract_contract_fields.eval import DATA, evaluate

    report = evaluate(str(DATA.parent / written / "gold.jsonl"))
    assert report["contracts"] >= 10
    assert report["overall"]["f1"] >= floor, json.dumps(report["errors"], ensure_ascii=False)


def test_the_notice_that_ends_the_contract_is_the_notice() -> None:
    from nodes.extract_contract_fields.extract import extract

    text = ("4.2 يحق للمورّد تعديل الأسعار مرة واحدة خلال مدة العقد، بإشعار مسبق مدته 14 يوماً.\n"
            "6.1 يحق لكل طرف إنهاء هذا العقد قبل انتهاء مدته بموجب إشعار خطي مسبق مدته ٣٠ يوماً.\n")
    assert extract(text)["fields"]["notice_period_days"].value == 30
    option = ("4.1 לשוכר אופציה להאריך, בתנאי שימסור הודעה בכתב על רצונו לממש את האופציה לא יאוחר מ-60 ימים לפני "
              "תום תקופת השכירות.\n5.1 השוכר רשאי להביא את השכירות לסיומה ובלבד שהודיע על כך בכתב שלושה חודשים מראש.\n")
    assert extract(option)["fields"]["notice_period_days"].value == 90
    before = "2.2 يتجدد العقد ما لم يُخطر أحد الطرفين الآخر خطياً قبل شهرين على الأقل من انتهاء الفترة السارية.\n"
    assert extract(before)["fields"]["notice_period_days"].value == 60


@pytest.mark.parametrize("text", ["3.2 لا يتجدد هذا العقد إلا باتفاق خطي موقَّع من الطرفين قبل انتهاء مدته.",
                                  "4.3 אין באמור בהסכם זה כדי להאריך את תקופת השכירות מאליה."])
def test_a_contract_that_says_it_does_not_renew_by_itself(text: str) -> None:
    from nodes.extract_contract_fields.extract import extract

    assert extract(text)["fields"]["auto_renewal"].value is False


def test_a_term_given_by_its_dates_is_a_term_and_a_schedule_is_not() -> None:
    from nodes.extract_contract_fields.extract import extract

    lease = extract("2. תקופת השכירות תחל ביום 1.3.2025 ותסתיים ביום 29.2.2028.\n")["fields"]
    assert lease["term_months"].value == 36 and lease["term_months"].text == "29.2.2028"
    loan = extract("2. ההלוואה תוחזר בתשלומים חודשיים החל מיום 1.10.2026.\n3. ההלוואה תיפרע עד ליום 1.9.2028.\n")
    assert loan["fields"]["term_months"] is None


RETAINER_LETTER = """כהן ושות' – משרד עורכי דין
עו"ד דנה כהן
ע.מ. 032249674
רח' יפו 12, ירושלים | טל' 02-6251234

ירושלים, 3 במרץ 2026

לכבוד
מר אבי לוי
ת.ז. 03839814-5
רח' הנרקיס 4, מודיעין

הנדון: הסכם שכר טרחה

שכר הטרחה: 12,000 ₪ בתוספת מע"מ.

בכבוד רב,
דנה כהן, עו"ד

אישור הלקוח:
אני, אבי לוי, מסכים לתנאים.
תאריך: 5.3.2026
עד לחתימה: רון בר, ת.ז. 028898120
"""


def test_a_letter_names_its_writer_and_its_addressee_by_their_numbers_and_is_signed_when_accepted() -> None:
    from nodes.extract_contract_fields.extract import extract

    out = extract(RETAINER_LETTER)
    assert out["fields"]["signing_date"].value == "2026-03-05"  # the client's acceptance, not the letter's date
    parties = [(p.name, p.id_number, p.id_type) for p in out["parties"]]
    # the witness's number names no party; an osek's number is "other" in the contract's types
    assert parties == [("דנה כהן", "032249674", "other"), ("אבי לוי", "038398145", "israeli_id")], parties


ARABIC_LETTER = """خوري وشركاه – محاسبون قانونيون م.ض.
شركة رقم (ح.ف.) 515196244
شارع بولس السادس 118، الناصرة

حضرة السيد سامر عودة المحترم
صاحب مخبز وحلويات عودة
مشغّل مرخّص (عوسيك مورشيه) رقم 028491637

الموضوع: اتفاقية مسك دفاتر
"""


def test_a_letters_addressee_and_letterhead_in_arabic() -> None:
    """The addressee over the line that describes his business; the firm over its number's label line."""
    from nodes.extract_contract_fields.extract import extract

    parties = [(p.name, p.id_number) for p in extract(ARABIC_LETTER)["parties"]]
    assert parties == [("خوري وشركاه – محاسبون قانونيون م.ض.", "515196244"), ("سامر عودة", "028491637")], parties


def test_a_party_named_inside_a_sentence() -> None:
    from nodes.extract_contract_fields.extract import extract

    text = ('הצעה זו ניתנת על ידי שמעון אזולאי, עוסק מורשה מס\' 031765407, הפועל בשם המסחרי "א.ש. אלומיניום", '
            "לגב' רונית ממן.\nאני הח\"מ, רונית ממן, ת.ז. 034587121, מאשרת את ההצעה.\n")
    parties = [(p.name, p.id_number) for p in extract(text)["parties"]]
    assert parties == [("שמעון אזולאי", "031765407"), ("רונית ממן", "034587121")], parties


def test_a_name_after_its_number_at_a_line_start_and_on_behalf_of() -> None:
    """Four ways letters name a party that the rules missed (session 10): a number whose name follows it
    after a dash, "אני, <name> ת.ז." at the start of a line, "on behalf of <company> (KvK …)", and an
    osek's Arabic label spelt "عوسيك مرشيه" (whose number reads like a Jerusalem phone)."""
    from nodes.extract_contract_fields.extract import extract

    def named(text: str) -> list[tuple[str, str]]:
        return [(p.name, p.id_number) for p in extract(text)["parties"]]

    dash = ("גינון ירוק – הצעה חודשית\nתחזוקה שבועית של הגינה: 640 ₪ לחודש\n"
            "קבלה מעוסק מורשה 031765407 – אבי מזרחי\n\nאישור:\nאני, שירה לוין ת.ז. 034587121, מאשרת.\n")
    assert named(dash) == [("אבי מזרחי", "031765407"), ("שירה לוין", "034587121")], named(dash)
    behalf = ("From: Orly Katz, Galil Textiles Ltd. (Company No. 514401876)\n\nDear Orly,\n"
              "We accept your terms on behalf of Moretti Tessuti S.p.A. Holland B.V. (KvK 70318842), as agreed.\n")
    assert ("Moretti Tessuti S.p.A. Holland B.V.", "KvK 70318842") in named(behalf), named(behalf)
    order = extract("PURCHASE ORDER\nItems: 4 spectrometers\nNet order value: EUR 12,300.00\n")["fields"]
    assert order["payment_amount"].value["amount"] == 12300 and order["payment_amount"].value["currency"] == "EUR"
    arabic = ("طلب خدمة\nالاسم: سلمى ناصر، مصممة داخلية\nرقم المشتغل (عوسيك مُرشيه): 029685732\n"
              "اسم الزبون: كريم حداد\nرقم الهوية: 034587121\n")
    assert ("سلمى ناصر", "029685732") in named(arabic), named(arabic)


def test_a_between_inside_a_sentence_is_not_the_parties_block() -> None:
    """"…ניגוד עניינים בין לקוחות…" opens no parties block: the number thirty lines below it is the
    signer's, named where it stands."""
    from nodes.extract_contract_fields.extract import extract

    text = ("שרון גל, רואת חשבון\nעוסק מורשה 031765407\n\nלכבוד מיכל אדר\n\nהנדון: מכתב התקשרות\n"
            + "המשרד יימנע מניגוד עניינים בין לקוחות שונים של המשרד. כל מידע יישמר בסודיות.\n"
            + "".join(f"{i}. סעיף רגיל של המכתב.\n" for i in range(1, 12))
            + "\nאישור הלקוחה\nאני, מיכל אדר ת.ז. 034587121, מאשרת את האמור.\n")
    parties = [(p.name, p.id_number) for p in extract(text)["parties"]]
    assert parties == [("שרון גל", "031765407"), ("מיכל אדר", "034587121")], parties


def test_a_foreign_company_is_named_above_its_register_line() -> None:
    from nodes.extract_contract_fields.extract import extract

    text = ("KESSLER MEDIZINTECHNIK GMBH\nLandsberger Straße 302, 80687 München\n"
            "Registered with the Amtsgericht München under HRB 204518\n\nOrtho-Line Medical Ltd.\n"
            "Company No. 516358991\n\nDear Sirs,\nThe annual fee is EUR 38,400.\n")
    parties = [(p.name, p.id_number, p.id_type) for p in extract(text)["parties"]]
    assert parties == [("KESSLER MEDIZINTECHNIK GMBH", "HRB 204518", "other"),
                       ("Ortho-Line Medical Ltd.", "516358991", "company")], parties


ARABIC_LEASE = """عقد إيجار محل تجاري
حُرّر ووُقّع في مدينة شفاعمرو بتاريخ 3/2/2026
بين:
السيدة منى إلياس حداد، رقم الهوية 012345674، من سكان شفاعمرو (ويُشار إليها فيما بعد بـ "المؤجرة")
و:
شركة الجليل للتجارة م.ض.، ح.ف. 51-234567-9، المنطقة الصناعية، عكا (ويُشار إليها فيما بعد بـ "المستأجرة")
تمهيد:
حيث إن المؤجرة تملك المحل؛
1. مدة الإيجار أربعة وعشرين شهراً تبدأ بتاريخ 1/3/2026 وتنتهي بتاريخ 28/2/2028.
2. تدفع المستأجرة بدل إيجار شهري قدره 7,500 شيكل، ومبلغ 15,000 شيكل كتأمين نقدي.
3. لا يتجدد هذا العقد تلقائياً، ويحق لكل طرف إنهاؤه بإشعار خطي مسبق مدته 90 يوماً.
4. يخضع هذا العقد لقوانين دولة إسرائيل، وتختص محاكم حيفا دون غيرها بالنظر في أي نزاع.
"""


def test_an_arabic_contract_is_read_like_a_hebrew_one() -> None:
    from nodes.extract_contract_fields.extract import extract

    out = extract(ARABIC_LEASE)
    values = {name: (f.value if f is not None else None) for name, f in out["fields"].items()}
    assert values["signing_date"] == "2026-02-03" and values["start_date"] == "2026-03-01"
    assert values["end_date"] == "2028-02-28" and values["term_months"] == 24
    assert values["payment_amount"]["amount"] == 7500 and values["payment_amount"]["period"] == "month"
    assert values["security_deposit"]["amount"] == 15000
    assert values["auto_renewal"] is False and values["notice_period_days"] == 90
    assert values["jurisdiction"] == "حيفا" and values["governing_law"] == "دولة إسرائيل"
    parties = [(p.name, p.id_number, p.role) for p in out["parties"]]
    assert parties == [("منى إلياس حداد", "012345674", "المؤجرة"),
                       ("شركة الجليل للتجارة م.ض.", "512345679", "المستأجرة")], parties
