"""The writer's own name, phones and e-mails (``contact``), read the ways people give them."""

from __future__ import annotations

import json

import pytest

from nodes.classify_lead.contact import contact_fields, find_name
from nodes.classify_lead.training import DATA_DIR


@pytest.mark.parametrize(("text", "name"), [
    # labelled or said outright
    ("שם מלא: יעל ברק\nטלפון: 050-1112233", "יעל ברק"),
    ("Contact person - Noam Adler\nCompany: Adler Ltd", "Noam Adler"),
    ("الاسم: سلمى حداد\nالهاتف: 052-4445566", "سلمى حداد"),
    ("שלום, קוראים לי תמר ואני מחפשת מטפלת", "תמר"),
    ("Hi! My name is Dr. Anna Roth, I'd like a quote", "Anna Roth"),
    # a closing line and a name on the next
    ("אשמח להצעת מחיר.\nבברכה,\nעו\"ד גיל שמש\nשמש ושות'", "גיל שמש"),
    ("Please call me back.\nKind regards,\nSarah Klein\n054-3332211", "Sarah Klein"),
    ("ارجو الرد باسرع وقت\nمع تحياتي\nنادر عيسى", "نادر عيسى"),
    # introduced, signed beside the message or its phone: only a known first name
    ("היי זה עידו, אפשר לקבוע תור למחר?", "עידו"),
    ("hey its ben, can u come today", "ben"),
    ("مرحبا معك ابو خالد، بدي اسأل عن السعر", "ابو خالد"),
    ("Noa here 👋 is the workshop still on?", "Noa"),
    ("כמה עולה הובלה לחיפה? תודה, רוני", "רוני"),
    ("can you send the menu? - Ella", "Ella"),
    ("צריך טכנאי למזגן. שירה 052-7778899", "שירה"),
    ("Dan 0541239876 need a quote for the roof", "Dan"),
    ("بدي موعد للفحص 0509876543 رامي", "رامي"),
    ("אני צריכה לבטל את התור של מחר. ד\"ר אורנה פז", "אורנה פז"),
    # no name: a word that is none, someone else, a closing that is not a name
    ("אני מעוניינת בפרטים על הקורס", None),
    ("I'm interested in the 3-room flat", None),
    ("انا بدي اعرف قديش السعر", None),
    ("תודה מראש!", None),
    ("אני רוצה לדבר עם משה בבקשה", None),
    ("Name: \nPhone: 052-1234567", None),
    ("Sent from my iPhone", None),
    # session 12, second round
    ("כאן שירה מהמשרד, אפשר הצעת מחיר?", "שירה"),
    ("עידו פה 🙂 יש לכם מקום מחר?", "עידו"),
    ("אפשר שולחן לארבעה בשמונה על השם אלון?", "אלון"),
    ("המספר של השכן שלי 050-1234567, הוא יפתח לכם. אני זמינה כאן. נועה", "נועה"),
    ("First and last name: Tamar Golan\nMobile: 0521234567", "Tamar Golan"),
    ("Hi, I'm Noa's dad, she'll miss practice today", None),
    ("אשמח לפרטים.\nכל טוב,\nדני רון", "דני רון"),
    ("תודה!\n\nנשלח מה-iPhone שלי", None),
    ("رجاء الاتصال بي بخصوص الفاتورة رقم 4412390 على الرقم 04-6541298", None),
])
def test_the_writers_name(text: str, name: str | None) -> None:
    assert find_name(text) == name


def test_the_fuller_writing_of_the_same_name_wins() -> None:
    text = "שלום, אני דורית מהחשבונות, רציתי לשאול על החשבונית.\nתודה,\nדורית אלון"
    assert find_name(text) == "דורית אלון"


@pytest.mark.parametrize(("text", "emails"), [
    ("my email is dana.levi at gmail.com thanks", ["dana.levi@gmail.com"]),
    ("כתבו לי: yossi [at] walla [dot] co [dot] il", ["yossi@walla.co.il"]),
    ("I work at google.com as an engineer", []),
    ("שלחתי לכם מייל ל-office@clinic.co.il ולא ענו. המייל שלי noa@gmail.com", ["noa@gmail.com"]),
    ("Your contact info@shop.com bounced. Write me at sam@x.io", ["sam@x.io"]),
    ("Your email: ROTEM@GMAIL.COM", ["rotem@gmail.com"]),
])
def test_the_writers_emails(text: str, emails: list[str]) -> None:
    assert contact_fields(text, None)["emails"] == emails


def test_the_contact_sets_hold_their_floor() -> None:
    """160 messages (he/ar/en) by a helper who saw none of the rules, split in two: the first half was read
    while writing them (names 0.23 → 1.00 recall); the second was scored unread (0.21 → 0.74 recall at 0.88
    precision, e-mails 0.75 → 1.00), then read for a second round (0.95 at 0.97). Floors a little under."""
    from nodes.classify_lead.eval import evaluate
    from nodes.core import registry

    node = registry.get("classify-lead")
    seen = evaluate(node, DATA_DIR / "contact_eval.jsonl")
    unseen = evaluate(node, DATA_DIR / "contact_heldout.jsonl")
    assert seen["n"] == unseen["n"] == 80
    assert seen["name_recall"] >= 0.95 and seen["name_precision"] >= 0.95, json.dumps(seen["errors"],
                                                                                      ensure_ascii=False)
    assert unseen["name_recall"] >= 0.9 and unseen["name_precision"] >= 0.93
    assert unseen["emails_recall"] >= 0.95 and unseen["phones_recall"] >= 0.95


def test_the_third_contact_set_holds_its_floor() -> None:
    """90 more by another helper, written after the first round and never read: names 0.26 → 0.83 → 0.89
    recall at 0.78 → 0.98 → 0.96 precision over the session's two rounds, e-mails 0.83 → 1.00. Floors a
    little under."""
    from nodes.classify_lead.eval import evaluate
    from nodes.core import registry

    report = evaluate(registry.get("classify-lead"), DATA_DIR / "contact_heldout2.jsonl")
    assert report["n"] == 90
    assert report["name_recall"] >= 0.85 and report["name_precision"] >= 0.93 and report["no_name_right"] >= 0.94
    assert report["emails_recall"] >= 0.95 and report["phones_recall"] >= 0.95
