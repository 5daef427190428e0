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
    # renewed unless someone objects, without the word "automatically"
    ("בתום התקופה יחודש ההסכם לשנה נוספת וחוזר חלילה, אלא אם אחד הצדדים יודיע על רצונו שלא להאריכו.", True),
    ("The agreement will be extended for further periods of one year unless either party objects in writing.", True),
    ("يتجدد العقد لسنة أخرى ما لم يعترض أحد الطرفين خطياً.", True),
    # it ends with its term, said outright
    ("If the option is not exercised, the lease shall expire at the end of the term.", False),
    ("לא נמסרה הודעת מימוש – יסתיים ההסכם בתום התקופה.", False),
    ("ينتهي العقد بانتهاء مدته دون حاجة لإشعار.", False),
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


@pytest.mark.parametrize(("text", "days"), [
    ("5.1 המנוי יתחדש מעצמו, אלא אם הודיע המנוי בכתב לפחות שבועיים לפני מועד החידוש.", 14),
    ("3.2 It renews each year unless a party notifies the other at least two (2) months before the anniversary.", 60),
    ("4.3 השוכר רשאי לסיים את השכירות בהודעה בכתב שתימסר 90 יום לפחות לפני המועד שנקבע בה לסיום.", 90),
    ("3.2 ההסכם יוארך בשנה נוספת, אלא אם הודיע צד לרעהו חודשיים מראש על רצונו שלא להאריכו.\n"
     "8.1 הספק לא יחליף את מנהל הפרויקט ללא הודעה מוקדמת של 30 יום.", 60),
])
def test_notice_before_the_renewal_or_the_date_set_for_the_end(text: str, days: int) -> None:
    assert extract(text)["fields"]["notice_period_days"].value == days


@pytest.mark.parametrize(("text", "months"), [
    ("1.4 \"שנת חוזה\" – כל תקופה של 12 חודשים.\n3.1 תקופת ההסכם הראשונה תהיה בת 24 חודשים.", 24),
    ("3.1 תקופת השירות תחל במועד ההתקנה ותימשך עד תום 18 חודשים ממנו.", 18),
    ("7.1 Each party keeps the other's information confidential during this Agreement and for three (3) years "
     "after its end.", None),
    ("5.2 עובד רשאי לצבור ימי חופשה לתקופה של עד שנתיים.", None),
])
def test_what_is_and_is_not_the_term(text: str, months: int | None) -> None:
    term = extract(text)["fields"]["term_months"]
    assert (term.value if term else None) == months


def test_arabic_parties_split_at_and_between_and_first_party() -> None:
    text = ("عقد خدمات\n\nبين:    شركة النور للتجارة م.ض.\n        رقم الشركة: 514578962\n"
            "        من شارع الجليل 12، عكا\n        (ويُشار إليها فيما يلي بـ \"المزوّد\")\n"
            "                                   طرف أول؛\n"
            "وبين:   شركة الساحل للبناء م.ض.\n        رقم الشركة: 513377853\n        من المنطقة الصناعية، طمرة\n"
            "        (ويُشار إليها فيما يلي بـ \"الزبون\")\n                                   طرف ثانٍ؛\n\n"
            "تمهيد\nحيث إن المزوّد يقدّم خدمات؛\n")
    parties = {p.id_number: p.name for p in extract(text)["parties"]}
    assert parties == {"514578962": "شركة النور للتجارة م.ض.", "513377853": "شركة الساحل للبناء م.ض."}


def test_the_notice_that_ends_it_before_the_notice_not_to_renew() -> None:
    text = ("2.2 The Agreement renews from year to year unless a party notifies the other of its wish not to renew at "
            "least ninety (90) days before the end of the term.\n"
            "5.1 Either party may terminate this Agreement at any time by giving one calendar month's written notice.\n"
            "6.1 The supplier shall not replace the account manager without 30 days' prior notice, except on "
            "termination.\n")
    assert extract(text)["fields"]["notice_period_days"].value == 30


@pytest.mark.parametrize(("text", "value"), [
    ("4.2 בתום תקופת השימוש יסתיים הסכם זה מאליו ללא צורך בהודעה.", False),
    ("3.3 Upon the expiry of the Term this Agreement shall automatically end.", False),
    ("3.2 Thereafter the agency shall continue in force automatically for an unlimited period.", True),
])
def test_renewal_said_the_other_way_round(text: str, value: bool) -> None:
    assert extract(text)["fields"]["auto_renewal"].value is value


def test_dates_ranges_hourly_pay_and_law_in_other_words() -> None:
    he = extract("2.1 השכירות היא לתקופה המתחילה ביום 1.5.2026 ומסתיימת ביום 30.4.2027.")["fields"]
    assert he["start_date"].value == "2026-05-01" and he["term_months"].value == 12
    arabic = ("1. يستأجر المستأجر المعدّة للفترة الواقعة من 01/06/2026 حتى 30/11/2026 شاملةً.\n"
              "3. يدفع المستأجر أجراً قدره 75 شيكل عن كل ساعة عمل.\n"
              "8. يخضع هذا العقد للقوانين السارية في دولة إسرائيل.\n")
    f = extract(arabic)["fields"]
    assert f["start_date"].value == "2026-06-01" and f["term_months"].value == 6
    assert f["payment_amount"].value == {"amount": 75.0, "currency": "ILS", "period": "hour", "vat": None}
    assert f["governing_law"].value == "دولة إسرائيل"


def test_parties_under_a_heading_and_after_kull_min() -> None:
    en = ("SERVICES AGREEMENT\n\nPARTIES\n\n(1) Orion Systems Ltd., Company No. 514785962, of 5 Hamasger St., "
          "Tel Aviv (the \"Supplier\"); and\n\n(2) Mr. Dan Peretz, ID No. 039337746, of Haifa (the \"Client\").\n\n"
          "BACKGROUND\nA. The Client needs services.\n")
    assert {p.id_number: p.name for p in extract(en)["parties"]} == {
        "514785962": "Orion Systems Ltd.", "039337746": "Dan Peretz"}
    ar_text = ("عقد\n\nبين كلّ من:\n(1) شركة الكرمل للتجارة م.ض، شركة رقم 513377853\n"
               "    (ويشار إليها فيما يلي بـ \"المؤجرة\")\n\n(2) السيد سامي حداد، رقم هوية 039337746\n"
               "    (ويشار إليه فيما يلي بـ \"المستأجر\")\n\nحيث إن المؤجرة تملك معدات؛\n")
    names = {p.id_number: p.name for p in extract(ar_text)["parties"]}
    assert names["513377853"] == "شركة الكرمل للتجارة م.ض"


def test_parties_as_the_columns_of_a_table() -> None:
    text = ("הסכם שכירות מחסן\n\n+-----------+--------------+--------------+\n"
            "|           | המשכיר       | השוכרת       |\n+-----------+--------------+--------------+\n"
            "| שם מלא    | יגאל רוזן    | מירב חן      |\n| מס' ת.ז.  | 039337746    | 024426868    |\n"
            "| טלפון     | 052-1112233  | 054-3332211  |\n+-----------+--------------+--------------+\n\n"
            "1. המושכר\n1.1 מחסן מס' 4.\n")
    parties = {p.id_number: (p.name, p.role) for p in extract(text)["parties"]}
    assert parties["039337746"] == ("יגאל רוזן", "המשכיר")
    assert parties["024426868"] == ("מירב חן", "השוכרת")  # alone, 024426868 could be a Jerusalem phone


def test_a_persons_number_under_their_business_name_is_theirs() -> None:
    text = ("הצדדים להסכם:\n\nשם: חברת אלון בע\"מ\nח.פ.: 514785962\n(להלן: \"המזמינה\")\n\n"
            "שם: רון כהן\nשם העסק: \"ירוק עד\" – גינון\nת.ז./ע.מ.: 039337746\n(להלן: \"הקבלן\")\n\n"
            "הואיל והמזמינה מעוניינת בשירות;\n")
    assert {p.id_number: p.name for p in extract(text)["parties"]}["039337746"] == "רון כהן"


@pytest.mark.parametrize(("text", "days"), [
    ("4.2 ההורה רשאי להפסיק את ההשתתפות בהודעה מוקדמת בכתב של חודש וחצי.", 45),
    ("3.2 يحق لكل طرف إنهاء العقد بإشعار خطي قبل ثلاثين يومًا على الأقل من انتهاء الفترة السارية.", 30),
    ("6.2 Either party may terminate this Agreement on a year and a half's written notice.", 548),
])
def test_lengths_written_other_ways(text: str, days: int) -> None:
    assert extract(text)["fields"]["notice_period_days"].value == days


def test_the_law_is_not_the_law_of_evidence_and_a_deposit_may_be_paid_in_cash() -> None:
    text = ("7.2 הבורר יהיה כפוף לדין המהותי, אך לא לסדרי הדין ולדיני הראיות.\n7.3 על הסכם זה יחול הדין הישראלי.\n"
            "4.1 במעמד החתימה יפקיד השוכר סך של 2,000 ₪ (אלפיים ש\"ח) במזומן, כפיקדון להבטחת התחייבויותיו.\n")
    f = extract(text)["fields"]
    assert f["governing_law"].value == "הדין הישראלי"
    assert f["security_deposit"].value == {"amount": 2000.0, "currency": "ILS"}


def test_a_summary_of_terms_and_a_roll_over() -> None:
    text = ("MEMBERSHIP AGREEMENT\n\n  Start Date:             1 May 2026\n"
            "  Initial Term:           three (3) months\n\n"
            "2.2 At the end of the Initial Term the Membership rolls over on a monthly basis.\n\n"
            "Signature: ______          Date: 20/04/26\n")
    f = extract(text)["fields"]
    assert f["signing_date"].value == "2026-04-20" and f["start_date"].value == "2026-05-01"
    assert f["term_months"].value == 3 and f["auto_renewal"].value is True
    lease = extract("2.2 בתום התקופה, ואם איש לא הודיע אחרת, תימשך השכירות מחודש לחודש באותם תנאים.")["fields"]
    assert lease["auto_renewal"].value is True


def test_parties_in_columns_aligned_with_spaces_and_a_partnership() -> None:
    text = ("הסכם מכר\n\nפרטי הצדדים:\n\n                 המוכר                          הקונה\n"
            "שם מלא:          יגאל רוזן                      מירב חן\n"
            "ת.ז.:            039337746                      02442686-8\n"
            "כתובת:           רח' הגפן 3, חדרה               רח' הזית 5, עפולה\n\n1. הממכר\n1.1 רכב.\n")
    parties = {p.id_number: (p.name, p.role) for p in extract(text)["parties"]}
    assert parties["039337746"] == ("יגאל רוזן", "המוכר")
    assert parties["024426868"] == ("מירב חן", "הקונה")
    quote = ("פרטי הלקוח\nשם: קפה השדרה – שותפות רשומה\nמס' שותפות: 55-034218-2\nכתובת: שד' רגר 1, באר שבע\n\n"
             "1. העבודה\n1.1 עיצוב.\n")
    found = {p.id_number: (p.name, p.id_type) for p in extract(quote)["parties"]}
    assert found["550342182"] == ("קפה השדרה – שותפות רשומה", "other")


def test_law_before_its_verb_and_the_laws_in_force() -> None:
    assert extract("7. הדין הישראלי יחול על הסכם זה.")["fields"]["governing_law"].value == "הדין הישראלי"
    arabic = extract("9. تخضع هذه الاتفاقية لأحكام القوانين السارية في دولة إسرائيل.")["fields"]["governing_law"]
    assert arabic.value == "القوانين السارية في دولة إسرائيل"
    english = extract("This agreement shall be governed by the laws of the Kingdom of the Netherlands.")
    assert english["fields"]["governing_law"].value == "Kingdom of the Netherlands"


def test_entered_into_as_of_is_the_signing_and_a_heading_names_its_clause() -> None:
    f = extract("This Agreement is entered into as of March 3, 2025 by and between A Ltd. and B Ltd.\n"
                "2. Term. Nine (9) months, from 1 April 2025 to 31 December 2025.\n")["fields"]
    assert f["signing_date"].value == "2025-03-03" and f["start_date"].value == "2025-04-01"
    assert f["term_months"].value == 9


def test_what_a_date_is_about_when_it_is_not_the_period() -> None:
    f = extract("בהמשך לפגישתנו מיום 3.2.2025, להלן תנאי ההתקשרות.\n"
                "1. ההתקשרות תחל ביום 1.3.2025.\n"
                "2. מועד התקנה משוער: עד 20.3.2025.\n"
                "ההצעה בתוקף עד ליום 15.2.2025.\n")["fields"]
    assert f["start_date"].value == "2025-03-01" and f["end_date"] is None
    glued = extract("1. ההתקשרות תחל ביום 1.3.2025.\nוההצעה בתוקף עד ליום 15.2.2025.\n")["fields"]
    assert glued["end_date"] is None  # "ו" glued to the offer
    arabic = extract("1. يسري هذا التكليف لمدة سنة واحدة، من 1.2.2025 حتى 31.1.2026.")["fields"]
    assert arabic["start_date"].value == "2025-02-01" and arabic["end_date"].value == "2026-01-31"


def test_an_amount_in_a_currency_beats_a_bare_number_and_the_rental_is_no_salary() -> None:
    f = extract("4. תנאי תשלום: שוטף + 30.\n5. תעריף: 290 ₪ לשעת עבודה בתוספת מע\"מ.\n")["fields"]
    paid = f["payment_amount"].value
    assert (paid["amount"], paid["currency"], paid["period"]) == (290.0, "ILS", "hour")
    rent = extract("2. תקופת ההשכרה תחל ביום 4.5.2025 ותסתיים ביום 6.5.2025.")["fields"]
    assert rent["end_date"].value == "2025-05-06"
    arabic = extract("5. يدفع الزبون مبلغ 1,900 شيكل جديد شهريًا.")["fields"]["payment_amount"]
    assert arabic.value["period"] == "month"
    quote = extract("1. עבודות גבס – 4,000 ₪\n2. צבע – 2,500 ₪\nסה\"כ לפני מע\"מ: 6,500 ₪\n")["fields"]
    assert quote["payment_amount"].value["amount"] == 6500.0


def test_a_dealer_number_label_is_not_a_name() -> None:
    text = ("NOA LEVI DESIGN\nLicensed Dealer No. 058391723\n\nQuote for Orbit Labs Ltd.\n\n"
            "For the Client:\nOrbit Labs Ltd.\nCompany No. 51-374860-8\n")
    names = {p.name for p in extract(text)["parties"]}
    assert "NOA LEVI DESIGN" in names and not any("Dealer" in n for n in names)


def test_a_letters_dates_said_as_ordinals_forms_and_ranges() -> None:
    arabic = extract("التاريخ: الثالث من نيسان 2025\n\n1. المدة: ثلاثة أشهر، من 1/5/2025 حتى 31/7/2025.\n"
                     "2. الإيجار: 3,100 شيكل شهريًا.\n")["fields"]
    assert arabic["signing_date"].value == "2025-04-03" and arabic["start_date"].value == "2025-05-01"
    assert arabic["term_months"].value == 3 and arabic["payment_amount"].value["amount"] == 3100.0
    form = extract("שם הילד: יונתן לוי   תאריך לידה: 3.2.2021\n"
                   "1. הצהרון פועל בין התאריכים 1.9.2025 ל-30.6.2026.\n"
                   "2. הציוד יסופק לגן עד 25.8.2025.\n"
                   "תאריך ההרשמה: 10.6.2025\n")["fields"]
    assert form["signing_date"].value == "2025-06-10" and form["start_date"].value == "2025-09-01"
    assert form["end_date"].value == "2026-06-30"


def test_a_notice_of_one_bare_month_and_renewals_said_with_and() -> None:
    he = extract("7. ביטול ייעשה בהודעה בכתב, חודש מראש.\n8. ההרשמה לשנה זו בלבד ואינה מתחדשת אוטומטית.\n")
    assert he["fields"]["notice_period_days"].value == 30 and he["fields"]["auto_renewal"].value is False
    ar = extract("5. يحق لكل طرف إنهاء الاتفاق بإشعار مسبق مدته شهر، ولا تتجدد الشروط تلقائيًا.\n"
                 "9. تكون المحاكم المختصة في مدينة حيفا صاحبة الصلاحية الحصرية.\n")["fields"]
    assert ar["notice_period_days"].value == 30 and ar["auto_renewal"].value is False
    assert ar["jurisdiction"].value == "حيفا"


def test_references_to_other_documents_are_not_this_ones_dates() -> None:
    f = extract("Date: May 20, 2025\nYour purchase order PO-11 dated May 2, 2025 is confirmed.\n"
                "The NDA between us dated January 5, 2025 remains in effect.\n"
                "This agreement takes effect on 1 June 2025. Place of jurisdiction is Utrecht.\n")["fields"]
    assert f["signing_date"].value == "2025-05-20" and f["start_date"].value == "2025-06-01"
    assert f["jurisdiction"].value == "Utrecht"


def test_a_name_in_the_parenthesis_with_its_number_and_an_arabic_tz() -> None:
    he = extract("בהמשך לשיחתנו אני מסכם את התנאים שסיכמנו לליווי שלך (דנה לוי, ת.ז. 031547821, להלן: \"הלקוחה\") "
                 "על ידי משרדי (עו\"ד משה כהן, עוסק מורשה 035566165).")["parties"]
    assert ("דנה לוי", "031547821") in {(p.name, p.id_number) for p in he}
    assert "035566165" in {p.id_number for p in he}  # an osek's number in parentheses, though 03… reads as a phone
    ar = extract("من: سامي خوري، ت.ز. 031547821\nإلى: لينا زعبي، ت.ز. 025592197\n")["parties"]
    assert {p.id_number for p in ar} == {"031547821", "025592197"}


def test_terms_and_renewals_said_plainly() -> None:
    he = extract("2.1 השכירות היא לשלושה חודשים – מה-1.5.2026 עד ה-31.7.2026.\n"
                 "2.2 אחרי זה ההסכם ממשיך מעצמו כל פעם לעוד שלושה חודשים, אלא אם אחד מאיתנו מודיע לשני.\n")["fields"]
    assert he["start_date"].value == "2026-05-01" and he["end_date"].value == "2026-07-31"
    assert he["term_months"].value == 3 and he["auto_renewal"].value is True
    work = extract("3.1 העובד יתחיל לעבוד ביום 3.5.2026 ושכרו יהיה 42 ₪ ברוטו לכל שעת עבודה.")["fields"]
    assert work["start_date"].value == "2026-05-03" and work["payment_amount"].value["period"] == "hour"
    ends = extract("2.3 לא מומשה האופציה – יבוא הסכם זה לידי סיום בתום תקופת השכירות.")["fields"]
    assert ends["auto_renewal"].value is False
    en = extract("This subscription shall commence on 01/04/2026 and shall remain in force for one (1) year.")
    assert en["fields"]["term_months"].value == 12


def test_an_advance_off_the_price_is_no_deposit_and_an_osek_in_english() -> None:
    f = extract("4.1 عربون بمبلغ 8,000 شيكل يُدفع عند التوقيع ويُخصم من الثمن الإجمالي.\n"
                "5. يودع الطرف الثاني شيك ضمان بقيمة 3,000 شيكل.\n")["fields"]
    assert f["security_deposit"].value["amount"] == 3000.0
    parties = extract("| PROVIDER | CUSTOMER |\n| Cool Air Ltd. | Dana Levi |\n"
                      "| Company No. 515339208 | Osek Murshe No. 028002715 |\n")["parties"]
    assert "028002715" in {p.id_number for p in parties}


def test_labelled_parties_under_bein_and_the_court_under_a_label() -> None:
    f = extract("שנערך ונחתם ביום 3.3.2025, בין:\n\nהמוכר: יוסי לוי, ת\"ז 031547821, רח' הגפן 3, חיפה\n"
                "הקונה: דנה קורן, ת\"ז 240325407, רח' הזית 5, עכו\n\n- סמכות השיפוט: בתי המשפט בחיפה בלבד.\n")
    assert {p.id_number for p in f["parties"]} == {"031547821", "240325407"}
    assert f["fields"]["jurisdiction"].value == "חיפה"


def test_arabic_laws_places_notices_and_yearly_fees() -> None:
    f = extract("1. يدفع المقاول تعويضاً قدره 300 ش.ج عن كل يوم تأخير.\n"
                "2. الأتعاب السنوية المتفق عليها هي 24,000 ش.ج.\n"
                "3. يحق للطرفين إنهاء العقد بإشعار خطي مدته 21 يوماً.\n"
                "4. يسري على هذا العقد القانون المعمول به في إسرائيل، "
                "وتختص محكمة الصلح في كفار سابا بالنظر في أي خلاف.\n")
    fields = f["fields"]
    assert fields["payment_amount"].value["amount"] == 24000.0 and fields["payment_amount"].value["period"] == "year"
    assert fields["notice_period_days"].value == 21 and fields["jurisdiction"].value == "كفار سابا"
    assert fields["governing_law"].value == "القانون المعمول به في إسرائيل"


def test_the_letter_it_extends_is_not_its_start_and_a_total_in_capitals() -> None:
    f = extract("הנדון: הארכת הסכם השכירות מיום 1.1.2023\n\n2. ההסכם יוארך בשנה, מיום 1.1.2026 ועד יום 31.12.2026.\n")
    assert f["fields"]["start_date"].value == "2026-01-01"
    en = extract("Item  Qty  Amount EUR\nTiles  40  3,000.00\n      TOTAL (FCA Milan)   EUR 9,480.00\n")
    assert en["fields"]["payment_amount"].value["amount"] == 9480.0


def test_a_quotes_total_when_its_table_names_the_currency_in_its_header() -> None:
    he = extract("| # | תיאור | כמות | מחיר ליחידה ₪ | סה\"כ |\n| 1 | ריצוף | 20 | 150 | 3,000 |\n"
                 "|   |       |      | סה\"כ לפני מע\"מ | 3,000 |\n|   |       |      | סה\"כ לתשלום | 3,540 |\n")
    assert he["fields"]["payment_amount"].value == {"amount": 3000.0, "currency": "ILS", "period": "one_time",
                                                    "vat": None}
    en = extract("Pos | Description | Qty | Amount EUR\n1 | Valve | 10 | 1,200.00\n"
                 "  | TOTAL ORDER VALUE (VAT exempt) |  | 1,200.00\n")
    assert en["fields"]["payment_amount"].value["currency"] == "EUR"


def test_forms_and_letters_said_plainly_round_five() -> None:
    he = extract("3. כסף: 2,900 ש\"ח לחודש.\nתאריך כניסה   :  01/12/2025\n"
                 "4.3 ההסכם מסתיים בתום שנת הפעילות ואינו מתחדש.\n"
                 "הדין החל על הסכם זה הוא דין ישראל. מחלוקת תתברר בבית המשפט לתביעות קטנות בחיפה.\n")["fields"]
    assert he["payment_amount"].value["amount"] == 2900.0 and he["start_date"].value == "2025-12-01"
    assert he["auto_renewal"].value is False and he["governing_law"].value == "דין ישראל"
    assert he["jurisdiction"].value == "חיפה"
    ar = extract("1. تبدأ فترة التأجير في 01/10/2025.\n\nالتاريخ: 24.9.2025\n")["fields"]
    assert ar["signing_date"].value == "2025-09-24"
    en = extract("2. Timing. I will begin work on Aug. 1, 2025.\n"
                 "2.3 The free trial made available to Customer in August 2025 is not part of the term.\n")["fields"]
    assert en["start_date"].value == "2025-08-01" and en["end_date"] is None


def test_round_six_trial_notices_events_fees_and_forms() -> None:
    he = extract("2.2 במהלך תקופת הניסיון ניתן לסיים את ההעסקה בהודעה מוקדמת של 5 ימים.\n"
                 "2.3 לאחר תקופת הניסיון, כל צד רשאי לסיים את ההעסקה בהודעה מוקדמת בכתב של שבועיים.\n")["fields"]
    assert he["notice_period_days"].value == 14
    event = extract("ביטול ללא חיוב – בהודעה בכתב עד 10 יום לפני מועד האירוע.")["fields"]
    assert event["notice_period_days"].value == 10
    renews = extract("אם אף אחד מאיתנו לא הודיע אחרת, ההסכם ממשיך אוטומטית מחודש לחודש.")["fields"]
    assert renews["auto_renewal"].value is True
    ar = extract("3.1 يدفع المودع رسوم تخزين شهرية ثابتة بمبلغ 2,800 ش.ج.\n"
                 "6. القانون الواجب التطبيق: قانون دولة إسرائيل.\n")["fields"]
    assert ar["payment_amount"].value["amount"] == 2800.0 and ar["payment_amount"].value["period"] == "month"
    assert ar["governing_law"].value == "دولة إسرائيل"
    en = extract("1.1 The Lender shall lend the Borrower EUR 500,000.\n"
                 "5. As security, the Borrower shall deliver a promissory note in the amount of EUR 500,000.\n")
    assert en["fields"]["security_deposit"].value == {"amount": 500000.0, "currency": "EUR"}


def test_a_members_full_name_on_a_form_is_a_party() -> None:
    text = ("YOGA STUDIO | Owner: Dana Meir | Osek Murshe No. 307300335\n\nMEMBER DETAILS\n\n"
            "Full name: Rachel Goldberg\nID no.: 046598348\nMobile: 052-8830176\n")
    assert ("Rachel Goldberg", "046598348") in {(p.name, p.id_number) for p in extract(text)["parties"]}


def test_round_seven_plain_words_headings_and_totals() -> None:
    he = extract("תוספת להסכם\n\nשנערכה ונחתמה בחיפה ביום 3 ביולי 2025\n\n"
                 "כמה זה עולה\nעל הסל הקבוע משלמים לי 5,100 ₪ לחודש לפני מע\"מ.\n\n"
                 "לכמה זמן\nמתחילים מה-1 לספטמבר 2025, לחצי שנה. אם אף אחד מאיתנו לא אומר אחרת – ממשיכים אוטומטית.\n\n"
                 "אם יש בעיה\nאם יש מחלוקת – הולכים לבית משפט השלום בכפר סבא.\n")["fields"]
    assert he["signing_date"].value == "2025-07-03" and he["payment_amount"].value["amount"] == 5100.0
    assert he["auto_renewal"].value is True and he["jurisdiction"].value == "כפר סבא"
    en = extract("2. Membership fee\nILS 1,450 per month + VAT.\n\n3. Security deposit\nILS 1,450, paid on signing.\n\n"
                 "Reply from: Shira\nAgreed.\nDate: 4/9/2025\n")["fields"]
    assert en["payment_amount"].value["amount"] == 1450.0 and en["security_deposit"].value["amount"] == 1450.0
    assert en["signing_date"].value == "2025-09-04"
    form = extract("תאריכי הקייטנה:             6.7.2025 – 24.7.2025\n")["fields"]
    assert form["start_date"].value == "2025-07-06" and form["end_date"].value == "2025-07-24"
    ar = extract("4. الأجرة: 500 ش.ج للدونم في السنة، أي ما مجموعه 9,000 شيكل جديد سنوياً.\nتحريراً في 15/9/2025\n")
    assert ar["fields"]["payment_amount"].value["amount"] == 9000.0
    assert ar["fields"]["signing_date"].value == "2025-09-15"
