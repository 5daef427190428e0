"""More tests for nodes.text: fixes to the date and amount finders (table-driven)."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from nodes.text import find_all, find_amounts, find_dates
from nodes.text.match import SpanIndex, select_spans

REF = dt.date(2026, 11, 10)  # a Tuesday


def _dates(text: str, reference: dt.date | None = REF) -> list[str]:
    return [m.value for m in find_dates(text, reference)]


# ---------------------------------------------------------------- "היום ש..." is "the day that"

@pytest.mark.parametrize(
    "text",
    [
        "היום שבו התקשרתי אליכם",
        "זה היום שהתקשרתי ואף אחד לא ענה",
        "ואני רוצה פיצוי על היום שהפסדתי",
        "מהיום שקבענו לא שמעתי מכם",
        "היום של החתונה",
        "ביום שאחרי, היום הבא, לא הגיע אף אחד",
        "اليوم اللي اتصلت فيه ما حدا رد",
        "اليوم الذي وصلت فيه الطلبية",
        "في اليوم التالي اتصلت مرة ثانية",
    ],
)
def test_the_day_of_a_clause_is_not_today(text: str) -> None:
    assert _dates(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "היום שלחתי לכם את הטופס",
        "היום שילמתי",
        "היום שני, נכון?",
        "היום שוב התקשרתי",
        "אפשר היום?",
        "היום, שבו... סתם, היום בערב",  # the second "היום" is today
        "اليوم الصبح اتصلت",
        "today that works",
    ],
)
def test_today_is_still_today(text: str) -> None:
    assert REF.isoformat() in _dates(text)


# ---------------------------------------------------------------- day of the month without a month

DAY_OF_MONTH_CASES = [
    ("Thursday the 19th", "2026-11-19"),
    ("lunch on Thursday the 19th at 12", "2026-11-19"),
    ("Thu 19th", "2026-11-19"),
    ("the 19th works for us", "2026-11-19"),
    ("can we do the 12th?", "2026-11-12"),
    ("by the 25th", "2026-11-25"),
    ("on the 5th", "2026-12-05"),  # the 5th of this month has passed
    ("the 10th", "2026-11-10"),  # today is the 10th
    ("on the 3rd of next month", "2026-12-03"),
    ("Friday the 20th", "2026-11-20"),
    ("Monday the 19th", "2026-11-19"),  # the 19th is a Thursday: the day wins
    ("ביום חמישי ה-19", "2026-11-19"),
    ("יום ה' ה-19 מתאים?", "2026-11-19"),
    ("ב-20 לחודש", "2026-11-20"),
    ("עד ה-5 לחודש", "2026-12-05"),
    ("ה-5 לחודש הבא", "2026-12-05"),
    ("يوم الخميس الموافق 19", "2026-11-19"),
    ("الخميس 19", "2026-11-19"),
    ("19 الشهر الجاي", "2026-12-19"),
]


@pytest.mark.parametrize(("text", "value"), DAY_OF_MONTH_CASES)
def test_day_of_month(text: str, value: str) -> None:
    found = find_dates(text, REF)
    assert [m.value for m in found] == [value]
    assert found[0].extra["relative"] is True
    assert found[0].extra["month_inferred"] is True


@pytest.mark.parametrize(
    "text",
    [
        "we live on the 3rd floor",
        "in the 19th century",
        "for the 2nd time this week",
        "payment is due on the 5th of each month",
        "the 3rd one is better",
        "ביום חמישי ב-10",  # at ten o'clock
        "الخميس 10",  # an hour more likely than a date
    ],
)
def test_day_of_month_negatives(text: str) -> None:
    assert all(not m.extra.get("month_inferred") for m in find_dates(text, REF))


@pytest.mark.parametrize("text", ["Thursday the 19th", "ב-20 לחודש", "يوم الخميس الموافق 19"])
def test_day_of_month_needs_a_reference(text: str) -> None:
    assert find_dates(text) == []


# ---------------------------------------------------------------- a weekday right before a date

WEEKDAY_AND_DATE_CASES = [
    ("ביום חמישי 19.11", ["2026-11-19"]),
    ("קבענו ליום שישי 23.10 בשעה 11:00", ["2026-10-23"]),
    ("יש תור ביום רביעי 4.11 בשעה 16:30", ["2026-11-04"]),
    ("it will arrive by Tuesday 17/11", ["2026-11-17"]),
    ("on Monday, 16/11/2026", ["2026-11-16"]),
    ("بنقدر نوصل يوم الجمعة 13/11", ["2026-11-13"]),
    ("ביום חמישי, ואז ב-19.11", ["2026-11-12", "2026-11-19"]),  # not the same date
]


@pytest.mark.parametrize(("text", "values"), WEEKDAY_AND_DATE_CASES)
def test_weekday_before_a_date_is_that_date(text: str, values: list[str]) -> None:
    assert _dates(text) == values


# ---------------------------------------------------------------- a month and a year without a day

MONTH_YEAR_CASES = [
    ("בינואר 2027", "2027-01-01", "ינואר 2027"),
    ("החל מינואר 2027 המחיר יעלה", "2027-01-01", "ינואר 2027"),
    ("עד מרץ 2027", "2027-03-01", "מרץ 2027"),
    ("בחודש ספטמבר 2026", "2026-09-01", "ספטמבר 2026"),
    ("in March 2027", "2027-03-01", "March 2027"),
    ("from Sept. 2026", "2026-09-01", "Sept. 2026"),
    ("في يناير 2027", "2027-01-01", "يناير 2027"),
    ("كانون الثاني 2027", "2027-01-01", "كانون الثاني 2027"),
]


@pytest.mark.parametrize(("text", "value", "evidence"), MONTH_YEAR_CASES)
def test_month_and_year_is_the_first_of_the_month(text: str, value: str, evidence: str) -> None:
    found = find_dates(text, REF)
    assert [(m.value, m.text) for m in found] == [(value, evidence)]
    assert found[0].extra == {"relative": False, "precision": "month"}
    assert find_dates(text) == found  # no reference needed: the year is written


@pytest.mark.parametrize("text", ["בינואר", "in March", "you may 2027", "שנת 2026", "March 20"])
def test_month_without_year_is_not_a_month_date(text: str) -> None:
    assert all(m.extra.get("precision") != "month" for m in find_dates(text, REF))


def test_a_full_date_beats_its_month() -> None:
    found = find_dates("ב-15 בינואר 2027", REF)
    assert [(m.value, m.extra.get("precision")) for m in found] == [("2027-01-15", None)]


# ---------------------------------------------------------------- numbered lists are not amounts

LIST_CASES = [
    ("מחירון:\n1. מזגן 2,500 ₪\n2) התקנה 300 ₪", [2500.0, 300.0]),
    ("Price list: 1) installation $300 2) service $80", [300.0, 80.0]),
    ("המחיר: 1. התקנה 2. פירוק", []),
    ("הצעת מחיר\n(1) מזגן\n(2) צנרת", []),
    ("السعر:\n1. تركيب\n2. صيانة", []),
    ("total: 1) parts 2) labour", []),
]


@pytest.mark.parametrize(("text", "amounts"), LIST_CASES)
def test_list_numbers_are_not_amounts(text: str, amounts: list[float]) -> None:
    assert [m.value["amount"] for m in find_amounts(text)] == amounts


@pytest.mark.parametrize(
    ("text", "amount"),
    [("המחיר: 80. תודה", 80.0), ("המחיר 80. תודה", 80.0), ("price: 250", 250.0), ('סה"כ 2) פריט', 2.0)],
)
def test_numbers_that_are_amounts_stay_amounts(text: str, amount: float) -> None:
    assert [m.value["amount"] for m in find_amounts(text)] == [amount]


@pytest.mark.parametrize("text", ["price on the 19th", "the rent is due 5pm", "amount 3rd"])
def test_a_number_glued_to_a_latin_word_is_not_an_amount(text: str) -> None:
    assert find_amounts(text) == []


# ---------------------------------------------------------------- VAT and period words in any order

VAT_CASES = [
    ('6,500 ש"ח לחודש בתוספת מע"מ', "month", "plus"),
    ('6,500 ש״ח לחודש + מע״מ', "month", "plus"),
    ('1,200 ש"ח לחודש כולל מע"מ', "month", "included"),
    ('450 ש"ח לשעה, לא כולל מע"מ', "hour", "plus"),
    ('4,500 ש"ח בתוספת מע"מ בתחילת כל רבעון', None, "plus"),
    ('1,200 ₪ (כולל מע"מ)', None, "included"),
    ('3,000 ₪ ללא מע"מ לחודש', "month", "plus"),
    ('2,950,000 ש"ח (שני מיליון תשע מאות וחמישים אלף ש"ח), כולל מע"מ', None, "included"),
    ("$100 per month plus VAT", "month", "plus"),
    ("$100 a month + VAT", "month", "plus"),
    ("£2,000 monthly, excluding VAT", "month", "plus"),
    ("USD 8,000 per year, inclusive of VAT", "year", "included"),
    ("€50 per hour (VAT included)", "hour", "included"),
    ("1,000 شيكل شهريا شامل الضريبة", "month", "included"),
    ("500 شيكل بالشهر غير شامل الضريبة", "month", "plus"),
    ("1,500 ₪ לחודש", "month", None),
    ("1,500 ₪ לחודש הבא", None, None),  # "next month" is not a period
]


@pytest.mark.parametrize(("text", "period", "vat"), VAT_CASES)
def test_vat_and_period(text: str, period: str | None, vat: str | None) -> None:
    first = find_amounts(text)[0]
    assert first.extra.get("period") == period
    assert first.extra.get("vat") == vat


# ---------------------------------------------------------------- overlap checks stay fast and right

def test_span_index_agrees_with_a_linear_scan() -> None:
    rng = random.Random(7)
    spans = [(s, s + rng.randint(1, 9)) for s in (rng.randint(0, 500) for _ in range(200))]
    index = SpanIndex(spans)
    for _ in range(2000):
        start = rng.randint(0, 510)
        end = start + rng.randint(1, 12)
        assert index.overlaps(start, end) == any(start < e and s < end for s, e in spans)


def test_span_index_add_keeps_non_overlapping_spans() -> None:
    rng = random.Random(11)
    index, held = SpanIndex(), []
    for _ in range(500):
        start = rng.randint(0, 2000)
        end = start + rng.randint(1, 6)
        brute = any(start < e and s < end for s, e in held)
        assert index.overlaps(start, end) == brute
        if not brute:
            index.add(start, end)
            held.append((start, end))


def test_select_spans_prefers_longer_then_earlier() -> None:
    assert select_spans([(0, 3), (2, 8), (9, 10), (9, 10), (7, 9)]) == [(2, 8), (9, 10)]


def test_many_amounts_in_one_text() -> None:
    text = "\n".join(f"פריט {i}: {1000 + i:,} ₪ לחודש בתוספת מע\"מ" for i in range(3000))
    found = find_amounts(text)
    assert [m.value["amount"] for m in found] == [float(1000 + i) for i in range(3000)]
    assert all(m.extra == {"period": "month", "vat": "plus"} for m in found)


# ---------------------------------------------------------------- find_all agrees

def test_find_all_with_the_fixes() -> None:
    text = 'היום שבו הזמנתי: 1. מזגן 2,500 ₪ לחודש בתוספת מע"מ, התקנה ביום חמישי ה-19'
    found = find_all(text, REF)
    assert [m.value for m in found["dates"]] == ["2026-11-19"]
    assert [(m.value["amount"], m.extra) for m in found["amounts"]] == [(2500.0, {"period": "month", "vat": "plus"})]
