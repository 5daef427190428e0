"""Unit tests of the pieces of extract-contract-fields: bidi repair, durations, field rules."""

from __future__ import annotations

import pytest

from nodes.extract_contract_fields.clauses import find_durations
from nodes.extract_contract_fields.node import extract
from nodes.text.bidi import is_visual_line, visual_to_logical


def _visual(logical: str) -> str:
    """Build the visual order of an RTL line with the same rules (reference: python-bidi)."""
    bidi = pytest.importorskip("bidi")
    # python-bidi keeps the bracket characters; a PDF page shows them mirrored.
    shown: str = bidi.get_display(logical, base_dir="R")
    return shown.translate(str.maketrans("()[]", ")(]["))


@pytest.mark.parametrize("line", [
    "ויסתיים ביום 30.11.2027.",
    "טלפון: 03-1234567, נייד 050-7654321.",
    'חברת ABC Ltd. בע"מ, ח.פ. 514567890, דוא"ל info@abc.co.il.',
    "הריבית: 4.5% לשנה (פריים + 1.5%).",
    'בין: ישראל ישראלי, ת.ז. 031547821, מרחוב הרצל 5, תל-אביב (להלן: "המשכיר")',
])
def test_visual_to_logical_round_trip(line: str) -> None:
    assert visual_to_logical(_visual(line)) == line


def test_visual_line_detection() -> None:
    assert is_visual_line("םיכסמ םידדצה ןיב םכסה")
    assert not is_visual_line("הסכם בין הצדדים מסכים")


@pytest.mark.parametrize(("text", "days", "months"), [
    ("60 יום", 60, None), ("שנים עשר (12) חודשים", 360, 12), ("שנתיים", 730, 24),
    ("thirty (30) days' notice", 30, None), ("one month's notice", 30, 1), ("שנה אחת", 365, 12),
])
def test_durations(text: str, days: int, months: int | None) -> None:
    d = find_durations(text)[0]
    assert d.days() == days
    assert d.months() == months


def test_words_and_hebrew_month_names() -> None:
    text = ("הסכם מכר\nשנערך ונחתם ביום 28 בחודש אוקטובר שנת 2026\n"
            "התמורה תהיה שישים ושמונה אלף שקלים חדשים, שתשולם במזומן.")
    f = extract(text)["fields"]
    assert f["signing_date"].value == "2026-10-28"
    assert f["payment_amount"].value["amount"] == 68000
    assert f["payment_amount"].value["period"] == "one_time"


def test_penalties_and_interest_are_not_payments() -> None:
    text = "בגין כל הפרה ישלם הצד המפר פיצוי מוסכם בסך 50,000 ש\"ח. הריבית תהיה 4,000 ש\"ח."
    f = extract(text)["fields"]
    assert f["payment_amount"] is None and f["security_deposit"] is None


def test_payment_deadline_is_not_end_date() -> None:
    text = "הקונה ישלם את יתרת התמורה עד ליום 10.2.2026."
    assert extract(text)["fields"]["end_date"] is None


def test_option_and_notice_are_not_the_term() -> None:
    text = "לשוכר אופציה להאריך ב-12 חודשים נוספים. כל צד רשאי לסיים בהודעה מוקדמת של 3 חודשים."
    f = extract(text)["fields"]
    assert f["term_months"] is None
    assert f["notice_period_days"].value == 90


@pytest.mark.parametrize(("text", "value"), [
    ("ההסכם יתחדש באופן אוטומטי לשנה נוספת.", True),
    ("ההסכם לא יתחדש באופן אוטומטי.", False),
    ("This Agreement shall automatically renew for one year.", True),
    ("This Agreement will not renew automatically.", False),
])
def test_auto_renewal(text: str, value: bool) -> None:
    assert extract(text)["fields"]["auto_renewal"].value is value


@pytest.mark.parametrize(("text", "place"), [
    ("סמכות השיפוט הבלעדית תהא לבתי המשפט המוסמכים בבאר שבע בלבד.", "באר שבע"),
    ("סמכות השיפוט נתונה לבית משפט השלום בראשון לציון.", "ראשון לציון"),
    ("The competent courts of Tel Aviv-Jaffa shall have exclusive jurisdiction.", "Tel Aviv-Jaffa"),
])
def test_jurisdiction(text: str, place: str) -> None:
    assert extract(text)["fields"]["jurisdiction"].value == place


def test_thirty_pages_is_fast() -> None:
    import time

    from nodes.extract_contract_fields.eval import DATA

    text = (DATA / "contracts" / "he01_lease_residential.txt").read_text(encoding="utf-8")
    big = text + ("\n" + "ההוראות הכלליות של הסכם זה יחולו על כל נספחיו, כמפורט להלן בסעיף זה. " * 20) * 60
    extract(big)
    started = time.perf_counter()
    extract(big)
    assert (time.perf_counter() - started) < 1.0  # the bench (bench/bench_extract.py) measures the real target
