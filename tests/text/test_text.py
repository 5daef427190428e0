"""Tests for nodes.text, the shared Hebrew/Arabic/English text toolkit."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from nodes.text import (
    Match,
    detect_language,
    find_all,
    find_amounts,
    find_dates,
    find_emails,
    find_ids,
    find_phones,
    normalize,
    normalize_map,
    parse_english_number,
    parse_hebrew_number,
    redact,
    split_sentences,
    strip_prefix,
    tokens,
)

REF = dt.date(2026, 11, 10)  # a Tuesday
LRM, RLM = "\u200e", "\u200f"

# ---------------------------------------------------------------- normalize

NORMALIZE_CASES = [
    (f"{RLM}050{LRM}-1234567", "050-1234567"),
    ("\u2067שלום\u2069 \u202bעולם\u202c", "שלום עולם"),
    ("ש״ח", 'ש"ח'),
    ("ש“ח ש”ח", 'ש"ח ש"ח'),
    ("צ׳יפס", "צ'יפס"),
    ("ינו’ ינו` ינו´", "ינו' ינו' ינו'"),
    ("שָׁלוֹם", "שלום"),
    ("בְּרֵאשִׁ֖ית", "בראשית"),
    ("בית\u05beספר", "בית-ספר"),
    ("مَرْحَبًا", "مرحبا"),
    ("مـــرحبا", "مرحبا"),
    ("٠١٢٣٤٥٦٧٨٩", "0123456789"),
    ("۰۵۰۱۲۳۴۵۶۷", "0501234567"),
    ("1\u00a0500\u202f₪", "1 500 ₪"),
    ("050–1234567", "050-1234567"),
    ("ＡＢＣ１２３", "ABC123"),
    ("plain ascii", "plain ascii"),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALIZE_CASES)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw", [raw for raw, _ in NORMALIZE_CASES])
def test_normalize_map_points_back_to_the_original(raw: str) -> None:
    norm, index = normalize_map(raw)
    assert norm == normalize(raw)
    assert len(index) == len(norm)
    assert index == sorted(index)
    for i, ch in enumerate(norm):
        assert ch in normalize(raw[index[i]]) or normalize(raw[index[i]]) == ""


def test_normalize_map_is_not_shared_between_callers() -> None:
    _, index = normalize_map("ש״ח")
    index.append(99)
    assert normalize_map("ש״ח")[1] == [0, 1, 2]


# ---------------------------------------------------------------- language

@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("שלום, אני רוצה לקבוע תור", "he"),
        ("רציתי להזמין iPhone 15 Pro", "he"),
        ("יש לכם Zoom או WhatsApp Business?", "he"),
        ("مرحبا، أريد حجز موعد", "ar"),
        ("Hello, I would like a quote please", "en"),
        ("Hi my name is דני and I want a quote for the kitchen", "en"),
        ("שלום, אני רוצה הצעת מחיר. Hello, I want to know the price please", "mixed"),
        ("שלום לכולם, مرحبا بكم", "mixed"),
        # ordinary English words carried in a Hebrew sentence are English; names and products are not
        ("ההזמנה שלי נתקעה ב-checkout ולא קיבלתי שום confirmation או receipt", "mixed"),
        ("יש לכם Zoom או WhatsApp Business או SEO?", "he"),
        # Hebrew and Arabic typed in Latin letters
        ("shalom ani rotze likboa tor le yom rishon, efshar?", "he"),
        ("marhaba, bade 7ajez maw3ed bukra iza mumkin", "ar"),
        ("Hi, can I book a table for tomorrow at eight?", "en"),
        ("ok", "en"),
        # a link or an address is in no language: a Hebrew message with one is Hebrew
        ("חבילה שלך מעוכבת במכס. יש לשלם 7.90 ש\"ח לשחרור: israelpost-il.delivery-pay.com", "he"),
        ("שלחו לי מייל ל dan.levi@gmail.com או דרך https://forms.example.co.il/contact?id=7 תודה", "he"),
        ("write to me at dan@example.co.il please, thanks", "en"),
        ("050-1234567 !!! 🙂", "unknown"),
        ("", "unknown"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


# ---------------------------------------------------------------- phones

PHONE_CASES = [
    ("היי רציתי לקבוע תור למחר ב10 הטלפון שלי 0523456789", ["+972523456789"]),
    ("050-1234567", ["+972501234567"]),
    ("0501234567", ["+972501234567"]),
    ("050 123 4567", ["+972501234567"]),
    ("+972-50-123-4567", ["+972501234567"]),
    ("+972 (0)50-1234567", ["+972501234567"]),
    ("00972501234567", ["+972501234567"]),
    ("972501234567", ["+972501234567"]),
    ("03-1234567", ["+97231234567"]),
    ("(03) 1234567", ["+97231234567"]),
    ("1-800-123-456", ["+9721800123456"]),
    ("מספר לא מוקצה 0591234567", ["+972591234567"]),
    (f"טלפון: {RLM}050{LRM}-1234567{RLM}", ["+972501234567"]),
    ("שלי0523456789תודה", ["+972523456789"]),
    ("ב-0501234567 או 052-7654321", ["+972501234567", "+972527654321"]),
    ("050-1234567 052-7654321", ["+972501234567", "+972527654321"]),
    ("tel:0501234567", ["+972501234567"]),
    ("call me at +1 (212) 555-1234", ["+12125551234"]),
    ("جوالي ٠٥٠١٢٣٤٥٦٧", ["+972501234567"]),
]


@pytest.mark.parametrize(("text", "expected"), PHONE_CASES)
def test_find_phones(text: str, expected: list[str]) -> None:
    assert [m.value for m in find_phones(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "חייגו *2345",
        "ת.ז. 123456782",
        "מספר 123456782",
        "התאריך 12.11.2026",
        "01.02.2026",
        "המחיר 1,500 ש\"ח",
        "שנת 2026",
        "הזמנה 123456",
        "הזמנה מס' 0501234567",
        "ת.ז. 031547821",
        "לוחית 12-345-67",
        "בשעה 10:30",
        "כרטיס 4580000000000003",
    ],
)
def test_find_phones_negatives(text: str) -> None:
    assert find_phones(text) == []


def test_phone_extra_says_whether_it_was_formatted() -> None:
    assert find_phones("050-1234567")[0].extra == {"formatted": True}
    assert find_phones("0501234567")[0].extra == {"formatted": False}


# ---------------------------------------------------------------- emails

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("מייל: Dani.Cohen@Example.co.il.", ["dani.cohen@example.co.il"]),
        ("שלחושלdani@gmail.comתודה", ["dani@gmail.com"]),
        ("mailto:a@b.io, or c.d+tag@sub.mail.org!", ["a@b.io", "c.d+tag@sub.mail.org"]),
        ("<john_doe@mail.example.org>", ["john_doe@mail.example.org"]),
        ("البريد: info@shop.ps؟", ["info@shop.ps"]),
        ("not an email: x@y, @handle, a@b.", []),
    ],
)
def test_find_emails(text: str, expected: list[str]) -> None:
    assert [m.value for m in find_emails(text)] == expected


# ---------------------------------------------------------------- ids

ID_CASES = [
    ("ת.ז. 123456782", "123456782", "israeli_id", True),
    ('ת"ז: 031547821', "031547821", "israeli_id", True),
    ("ת״ז 123456789", "123456789", "israeli_id", False),
    ("תעודת זהות מספר 12345678-2", "123456782", "israeli_id", True),
    ("ID 31547821", "031547821", "israeli_id", True),
    ("رقم الهوية ١٢٣٤٥٦٧٨٢", "123456782", "israeli_id", True),
    ("ח.פ 515555555", "515555555", "company", True),
    ("ח.פ 515555557", "515555557", "company", False),
    ("ח.פ. 51-555555-5", "515555555", "company", True),
    ('ח"פ: 514444447', "514444447", "company", True),
    ('דוגמה בע"מ 512345679', "512345679", "company", True),
    ("Company No. 512345679", "512345679", "company", True),
    ('ע"ר 580123453', "580123453", "amuta", True),
    ("עמותת הלב 580123453", "580123453", "amuta", True),
    ("עוסק מורשה 123456782", "123456782", "osek", True),
    ("ע.מ. 123456782", "123456782", "osek", True),
    ("passport P1234567", "P1234567", "passport", True),
    ("מספר דרכון 23456789", "23456789", "passport", True),
    ("515555555", "515555555", "company", True),
    ("580123453", "580123453", "amuta", True),
    ("המספר שלי 123456782", "123456782", "israeli_id", True),
]


@pytest.mark.parametrize(("text", "value", "id_type", "valid"), ID_CASES)
def test_find_ids(text: str, value: str, id_type: str, valid: bool) -> None:
    found = find_ids(text)
    assert len(found) == 1
    assert found[0].value == value
    assert found[0].extra["id_type"] == id_type
    assert found[0].extra["valid"] is valid


@pytest.mark.parametrize(
    "text",
    [
        "0501234567",
        "טלפון 050-1234567",
        "הזמנה 123456782",
        "order #123456782",
        "12345678",
        "1,500,000",
        "12.11.2026",
        "לוחית 123-45-678",
    ],
)
def test_find_ids_negatives(text: str) -> None:
    assert find_ids(text) == []


def test_id_context_beats_phone_reading() -> None:
    result = find_all("ת.ז. 031547821")
    assert [m.value for m in result["ids"]] == ["031547821"]
    assert result["phones"] == []


# ---------------------------------------------------------------- amounts

AMOUNT_CASES = [
    ("המחיר 1,500 ש״ח לחודש", 1500.0, "ILS", "month"),
    ('500 ש"ח לחודש', 500.0, "ILS", "month"),
    ("₪1,500", 1500.0, "ILS", None),
    ("1500₪", 1500.0, "ILS", None),
    ("1,500.50 ₪", 1500.5, "ILS", None),
    ("שילמתי 200 שקל", 200.0, "ILS", None),
    ("עלה לי 350 שקלים חדשים", 350.0, "ILS", None),
    ("ב-99 שח בלבד", 99.0, "ILS", None),
    ("80 ש.ח", 80.0, "ILS", None),
    ("תקציב 15 אלף ש\"ח", 15000.0, "ILS", None),
    ("15K ₪", 15000.0, "ILS", None),
    ('3.5 מיליון ש"ח', 3500000.0, "ILS", None),
    ("NIS 2,000 per year", 2000.0, "ILS", "year"),
    ("$300", 300.0, "USD", None),
    ("$2.5M", 2500000.0, "USD", None),
    ("USD 450 monthly", 450.0, "USD", "month"),
    ("40 דולר", 40.0, "USD", None),
    ("€99", 99.0, "EUR", None),
    ("200 יורו לשנה", 200.0, "EUR", "year"),
    ("£50", 50.0, "GBP", None),
    ("500 شيكل شهريا", 500.0, "ILS", "month"),
    ("24,000 ش.ج", 24000.0, "ILS", None),  # شيكل جديد, as Israeli Arabic abbreviates it
    ("300 ريال", 300.0, "ILS", None),
    ("חמשת אלפים שקלים", 5000.0, "ILS", None),
    ("שישים ושמונה אלף שקלים חדשים", 68000.0, "ILS", None),
    ('אלף וחמש מאות ש"ח', 1500.0, "ILS", None),
    ("מיליון וחצי ש\"ח", 1500000.0, "ILS", None),
    ("five thousand dollars", 5000.0, "USD", None),
    ("two hundred and fifty euros", 250.0, "EUR", None),
    ("המחיר הוא 1500", 1500.0, None, None),
    ("סכום: 2,500", 2500.0, None, None),
    ("the price is 300", 300.0, None, None),
    ("שכר דירה 4500 ש\"ח לחודש", 4500.0, "ILS", "month"),
    ("120 ש\"ח לשעה", 120.0, "ILS", "hour"),
]


@pytest.mark.parametrize(("text", "amount", "currency", "period"), AMOUNT_CASES)
def test_find_amounts(text: str, amount: float, currency: str | None, period: str | None) -> None:
    found = find_amounts(text)
    assert len(found) == 1, found
    assert found[0].value == {"amount": amount, "currency": currency}
    assert found[0].extra.get("period") == period


@pytest.mark.parametrize(
    "text",
    [
        "הנחה של 5%",
        "5 אחוז הנחה",
        "תשלום תוך 30 ימים",
        "המחיר לשנת 2026",
        "שנת 2026",
        "הזמנה 123456",
        "0501234567 ש\"ח",
        "התשלום עד 15.12",
        "יש לי 3 ילדים",
        "15K",
        "בשעה 10:30",
        "ת.ז. 123456782",
        "שלוש מאות אנשים",
    ],
)
def test_find_amounts_negatives(text: str) -> None:
    assert find_amounts(text) == []


def test_amount_vat_flag() -> None:
    assert find_amounts('1,200 ₪ + מע"מ')[0].extra.get("vat") == "plus"
    assert find_amounts('1,200 ₪ כולל מע"מ')[0].extra.get("vat") == "included"


def test_range_keeps_the_upper_bound_with_its_currency() -> None:
    assert [m.value["amount"] for m in find_amounts('1500-2000 ש"ח')] == [2000.0]


# ---------------------------------------------------------------- number words

@pytest.mark.parametrize(
    ("phrase", "value"),
    [
        ("חמשת אלפים", 5000),
        ("שישים ושמונה אלף", 68000),
        ("אלף וחמש מאות", 1500),
        ("שלוש מאות וחמישים אלף", 350000),
        ("אלפיים", 2000),
        ("מאתיים", 200),
        ("שלושה עשר", 13),
        ("אחת עשרה", 11),
        ("עשרים וחמישה", 25),
        ("עשרת אלפים", 10000),
        ("שני מיליון ושלוש מאות אלף", 2300000),
        ("אלף וחצי", 1500),
        ("שבע", 7),
    ],
)
def test_parse_hebrew_number(phrase: str, value: int) -> None:
    assert parse_hebrew_number(phrase) == value


def test_parse_hebrew_number_rejects_other_words() -> None:
    assert parse_hebrew_number("חמש בננות") is None


@pytest.mark.parametrize(
    ("phrase", "value"),
    [("five thousand", 5000), ("two hundred and fifty thousand", 250000), ("twenty-five", 25),
     ("a hundred", 100), ("one million two hundred thousand", 1200000)],
)
def test_parse_english_number(phrase: str, value: int) -> None:
    assert parse_english_number(phrase) == value


# ---------------------------------------------------------------- dates

DATE_CASES = [
    ("15 בינואר 2026", "2026-01-15"),
    ("ב-15 לינואר", "2027-01-15"),
    ("28 בחודש אוקטובר שנת 2026", "2026-10-28"),
    ("1 במרץ", "2027-03-01"),
    ("פגישה ב-3 בדצמבר", "2026-12-03"),
    ("15 בינו' 2026", "2026-01-15"),
    ("5 בנוב׳ 2026", "2026-11-05"),
    ("January 15, 2026", "2026-01-15"),
    ("15 Jan 2026", "2026-01-15"),
    ("Jan 15", "2027-01-15"),
    ("the 3rd of March 2027", "2027-03-03"),
    ("signed on the 27th day of October, 2025", "2025-10-27"),
    ("15 يناير 2026", "2026-01-15"),
    ("3 كانون الثاني 2027", "2027-01-03"),
    ("20 آذار 2026", "2026-03-20"),
    ("12.11.2026", "2026-11-12"),
    ("1.3.26", "2026-03-01"),
    ("15/01/2026", "2026-01-15"),
    ("15-1-2026", "2026-01-15"),
    ("2026-01-15", "2026-01-15"),
    ("ב-15.12", "2026-12-15"),
    ("עד 15/12", "2026-12-15"),
    ("נתראה ב 1.11", "2026-11-01"),
    ("on 15/01", "2027-01-15"),
    ("٢٠٢٦-٠١-١٥", "2026-01-15"),
    ("החל מ-1.12.2026", "2026-12-01"),
]


@pytest.mark.parametrize(("text", "value"), DATE_CASES)
def test_find_dates(text: str, value: str) -> None:
    found = find_dates(text, REF)
    assert [m.value for m in found] == [value]
    assert found[0].extra["relative"] is False


RELATIVE_CASES = [
    ("היי רציתי לקבוע תור למחר ב10", "2026-11-11"),
    ("מחר ב-10", "2026-11-11"),
    ("היום", "2026-11-10"),
    ("מחרתיים", "2026-11-12"),
    ("אתמול", "2026-11-09"),
    ("בעוד שבוע", "2026-11-17"),
    ("בעוד שבועיים", "2026-11-24"),
    ("בעוד 3 ימים", "2026-11-13"),
    ("בעוד שלושה ימים", "2026-11-13"),
    ("בשבוע הבא", "2026-11-17"),
    ("ביום ראשון", "2026-11-15"),
    ("ביום שלישי", "2026-11-17"),
    ("ביום ה'", "2026-11-12"),
    ("today", "2026-11-10"),
    ("tomorrow at 10", "2026-11-11"),
    ("next week", "2026-11-17"),
    ("on Monday", "2026-11-16"),
    ("in 3 days", "2026-11-13"),
    ("in two weeks", "2026-11-24"),
    ("اليوم", "2026-11-10"),
    ("بكرة", "2026-11-11"),
    ("غداً", "2026-11-11"),
    ("بعد بكرة", "2026-11-12"),
    ("يوم الخميس", "2026-11-12"),
    ("الأسبوع القادم", "2026-11-17"),
]


@pytest.mark.parametrize(("text", "value"), RELATIVE_CASES)
def test_find_relative_dates(text: str, value: str) -> None:
    found = find_dates(text, REF)
    assert [m.value for m in found] == [value]
    assert found[0].extra["relative"] is True


@pytest.mark.parametrize("text", ["מחר", "tomorrow", "בשבוע הבא", "بكرة"])
def test_relative_dates_need_a_reference(text: str) -> None:
    assert find_dates(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "31.2.2026",
        "30/02/2026",
        "בשעה 10:30",
        "050-1234567",
        "המחיר 12.50 ש\"ח",
        "1.5 מיליון",
        "3.5 שעות",
        "זמינים 24/7",
        "גרסה 2.10.15",
        "v1.2.26",
        "192.168.1.1",
        "1,500",
        "שנת 2026",
        "you may 15",
    ],
)
def test_find_dates_negatives(text: str) -> None:
    assert find_dates(text, REF) == []


def test_date_without_year_uses_next_occurrence() -> None:
    assert find_dates("ב-1.11", REF)[0].value == "2026-11-01"  # within a month back: this year
    assert find_dates("ב-1.10", REF)[0].value == "2027-10-01"  # long past: next year
    assert find_dates("ב-1.10", REF)[0].extra.get("year_inferred") is True


# ---------------------------------------------------------------- tokens

def test_tokens() -> None:
    text = "היי! המחיר 1,500 ש״ח, טלפון 050-1234567 😀 ב-12.11.2026 Hello WORLD צ׳יפס"
    assert tokens(text) == [
        "היי", "המחיר", "1,500", 'ש"ח', "טלפון", "050-1234567", "ב", "12.11.2026", "hello", "world", "צ'יפס",
    ]


def test_tokens_strip_niqqud_and_bidi() -> None:
    assert tokens(f"{RLM}שָׁלוֹם{LRM} עוֹלָם") == ["שלום", "עולם"]


@pytest.mark.parametrize(
    ("token", "stem"),
    [
        ("והבית", "בית"),
        ("בבית", "בית"),
        ("כשהגעתי", "הגעתי"),
        ("ומהמשרד", "המשרד"),
        ("לתור", "תור"),
        ("בית", "בית"),
        ("iPhone", "iPhone"),
        ("ומה", "ומה"),
    ],
)
def test_strip_prefix(token: str, stem: str) -> None:
    assert strip_prefix(token) == stem


def test_split_sentences() -> None:
    text = ('שלום. המחיר 1.5 מיליון! ת.ז. 123 של החברה בע"מ. Mr. Smith said e.g. this? כן\n'
            "שורה חדשה… סוף؟ עוד 12.11.2026 נתראה")
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "שלום.", "המחיר 1.5 מיליון!", 'ת.ז. 123 של החברה בע"מ.', "Mr. Smith said e.g. this?", "כן",
        "שורה חדשה…", "סוף؟", "עוד 12.11.2026 נתראה",
    ]


def test_split_sentences_spans_index_the_original() -> None:
    text = f"{RLM}שלום.{LRM} מה שלומך?  "
    spans = split_sentences(text)
    assert [normalize(text[s:e]) for s, e in spans] == ["שלום.", "מה שלומך?"]


# ---------------------------------------------------------------- redact

def test_redact_replaces_every_kind() -> None:
    text = ("טלפון 050-1234567 ושוב 0501234567, מייל Dani@Example.com ת.ז. 123456782 "
            "כרטיס 4580 1234 5678 9015 IBAN IL620108000000099999999 רכב 12-345-67")
    redacted, found = redact(text)
    assert redacted == (
        "טלפון [PHONE_1] ושוב [PHONE_1], מייל [EMAIL_1] ת.ז. [ID_1] "
        "כרטיס [CARD_1] IBAN [IBAN_1] רכב [PLATE_1]"
    )
    assert {m.kind for m in found} == {"phone", "email", "id", "card", "iban", "plate"}


def test_redact_numbers_distinct_values() -> None:
    redacted, _ = redact("050-1234567 or 052-7654321 or a@b.com or c@d.com")
    assert redacted == "[PHONE_1] or [PHONE_2] or [EMAIL_1] or [EMAIL_2]"


def test_redact_keeps_non_pii_numbers() -> None:
    text = 'המחיר 1,500 ש"ח ב-12.11.2026, הזמנה 123456, כרטיס 4580 1234 5678 9010'
    assert redact(text) == (text, [])


def test_redact_bank_account_after_account_word() -> None:
    redacted, _ = redact("העבירו לחשבון 123456 בסניף 10")
    assert redacted == "העבירו לחשבון [ACCOUNT_1] בסניף 10"


# ---------------------------------------------------------------- find_all

def test_find_all_whatsapp_message() -> None:
    text = "היי רציתי לקבוע תור למחר ב10 הטלפון שלי 0523456789, המחיר 1,500 ש״ח לחודש? מייל a@b.co.il"
    result = find_all(text, REF)
    assert [m.value for m in result["phones"]] == ["+972523456789"]
    assert [m.value for m in result["dates"]] == ["2026-11-11"]
    assert [m.value for m in result["amounts"]] == [{"amount": 1500.0, "currency": "ILS"}]
    assert [m.value for m in result["emails"]] == ["a@b.co.il"]
    assert result["ids"] == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'החוזה מתחיל ב-1 בינואר 2027 ומסתיים ב-31 בדצמבר 2027, דמי שכירות 6,500 ש"ח לחודש, פיקדון 13,000 ש"ח',
            {"dates": ["2027-01-01", "2027-12-31"], "amounts": [6500.0, 13000.0]},
        ),
        (
            "Hi, I paid $1,200 on 03/11/2026 but was charged twice. Order #123456789.",
            {"dates": ["2026-11-03"], "amounts": [1200.0]},
        ),
        (
            "הזמנתי ב-12/11 וקיבלתי חשבונית 45678 על סך 1,250.00 ש\"ח",
            {"dates": ["2026-11-12"], "amounts": [1250.0]},
        ),
        ("יש לי 2 ילדים בני 5 ו-7, אני בן 35", {}),
        ("רציתי לבטל את המנוי, מספר לקוח 987654321", {}),
        ("נא לחזור בין 9:00-17:00 למספר 08-6123456", {"phones": ["+97286123456"]}),
    ],
)
def test_find_all_realistic(text: str, expected: dict[str, list[object]]) -> None:
    result = find_all(text, REF)
    got: dict[str, list[object]] = {}
    for key, matches in result.items():
        if matches:
            got[key] = [m.value["amount"] if key == "amounts" else m.value for m in matches]
    assert got == expected


def test_find_all_has_no_overlaps() -> None:
    text = "ת.ז. 031547821, ח.פ 515555555, 050-1234567, 12.11.2026, 4500 ש\"ח, מחיר 300, 515555555 ₪"
    result = find_all(text, REF)
    spans = sorted((m.start, m.end) for ms in result.values() for m in ms)
    for (_, e1), (s2, _) in itertools.pairwise(spans):
        assert e1 <= s2
    assert [m.extra["id_type"] for m in result["ids"]] == ["israeli_id", "company"]
    assert [m.value["amount"] for m in result["amounts"]] == [4500.0, 300.0, 515555555.0]


# ---------------------------------------------------------------- evidence invariant

ALL_TEXTS = sorted(
    {raw for raw, _ in NORMALIZE_CASES}
    | {t for t, _ in PHONE_CASES}
    | {c[0] for c in ID_CASES}
    | {c[0] for c in AMOUNT_CASES}
    | {t for t, _ in DATE_CASES}
    | {t for t, _ in RELATIVE_CASES}
    | {
        f"{RLM}מחר{LRM} ב-{RLM}10{LRM}, טלפון {RLM}050-1234567{LRM} ת.ז. {RLM}123456782{LRM}",
        "שָׁלוֹם, הַמְּחִיר 1,500 ש״ח לַחֹדֶשׁ, 15 בְּיָנוּאָר 2026",
        "مَرْحَبًا، رقمي ٠٥٠١٢٣٤٥٦٧ والسعر ٥٠٠ شيكل غداً",
        "ﬁle a@b.com ﬀ 050-1234567",
    }
)


@pytest.mark.parametrize("text", ALL_TEXTS)
def test_match_text_is_the_original_slice(text: str) -> None:
    matches: list[Match] = [m for ms in find_all(text, REF).values() for m in ms]
    matches += find_phones(text) + find_emails(text) + find_ids(text) + find_amounts(text)
    matches += find_dates(text, REF) + redact(text)[1]
    for m in matches:
        assert m.text == text[m.start:m.end]
        assert m.start < m.end


def test_spans_survive_bidi_marks_and_niqqud() -> None:
    text = "שָׁלוֹם, הַמְּחִיר 1,500 ש״ח לַחֹדֶשׁ, 15 בְּיָנוּאָר 2026"
    result = find_all(text, REF)
    assert result["amounts"][0].text == "1,500 ש״ח"
    assert result["dates"][0].text == "15 בְּיָנוּאָר 2026"
    assert result["dates"][0].value == "2026-01-15"


def test_arabic_message_end_to_end() -> None:
    text = "مَرْحَبًا، رقمي ٠٥٠١٢٣٤٥٦٧ والسعر ٥٠٠ شيكل غداً"
    result = find_all(text, REF)
    assert [m.value for m in result["phones"]] == ["+972501234567"]
    assert [m.value for m in result["amounts"]] == [{"amount": 500.0, "currency": "ILS"}]
    assert [m.text for m in result["dates"]] == ["غداً"]


def test_dateparser_is_not_imported() -> None:
    import sys

    find_all("מחר ב-10, 15 בינואר 2026", REF)
    assert "dateparser" not in sys.modules


def test_script_counts_count_letters_per_script() -> None:
    from nodes.text.language import script_counts

    assert script_counts("שלום Hello مرحبا 123") == {"he": 4, "ar": 5, "en": 5}
    assert script_counts("") == {"he": 0, "ar": 0, "en": 0}
    # letters at the edges of each range, and marks, digits and punctuation that are not letters
    assert script_counts("\u05d0\u05ea\u05f0\u05f2\u05cf\u05eb") == {"he": 4, "ar": 0, "en": 0}
    assert script_counts("\u0620\u064a\u061f\u064b١") == {"he": 0, "ar": 2, "en": 0}
    assert script_counts("AZaz\u00c0\u024f\u0250¿") == {"he": 0, "ar": 0, "en": 6}


def test_a_clause_number_after_a_dated_line_is_no_date() -> None:
    # "ביום" on the line before made the next clause's number "4.2" a date (4 February)
    text = "2. השכירות תסתיים ביום 29.2.2028.\n4.2 המשכיר רשאי לשנות את המחיר"
    assert [d.value for d in find_dates(text, REF)] == ["2028-02-29"]
    assert [d.value for d in find_dates("נפגשנו ב 4.2 בבוקר", REF)] == ["2027-02-04"]
