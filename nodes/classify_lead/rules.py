"""The transparent rules layer: urgency and handoff signals with evidence spans.

Each rule is a named regular expression over normalised text (Hebrew, Arabic, English);
every match becomes a ``signal`` pointing into the original text, so a person can see
exactly why a message was marked urgent or handed to a human. Hebrew words take the
one-letter prefixes (ו ה ב ל מ ש כ) through ``_P``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Any, NamedTuple

from nodes.text.normalize import cached_normalize_map, span_to_original

_P = r"(?:[ובלמשהכ]{0,3}-?)"  # Hebrew prefixes before a word
_B = r"(?<![\w])"  # word start that works for Hebrew/Arabic letters too
_E = r"(?![\w])"


_AR_P = r"(?:[وفبلك]?(?:ال|ل)?)"  # Arabic conjunction/preposition prefixes


def _words(*alternatives: str, prefix: bool = True) -> str:
    """Whole-word alternatives; Hebrew ones may carry prefixes (``prefix=False``: Arabic ones)."""
    body = "|".join(by_first_letter(alternatives))
    return rf"{_B}{_P if prefix else _AR_P}(?:{body}){_E}"


_QUANTIFIERS = frozenset("*+?{")


def by_first_letter(alternatives: tuple[str, ...] | list[str], ignorecase: bool = False) -> list[str]:
    """The same alternation with the alternatives that start with one letter merged: ``ab|ac`` -> ``a(?:b|c)``.

    ``re`` tries every alternative at every position where a word may start; merged, it
    tries one per first letter, then only that letter's rest. The matches are the same:
    only alternatives that start with a literal uncased letter (Hebrew, Arabic) are merged,
    or, for a pattern compiled with IGNORECASE (``ignorecase=True``), with an ASCII letter
    in either case; two of them with different first letters never match at the same
    position, and the order is kept within a letter and around every alternative that is
    not merged.
    """
    out: list[str] = []
    run: dict[str, list[str]] = {}

    def flush() -> None:
        out.extend(first + (rests[0] if len(rests) == 1 else f"(?:{'|'.join(rests)})") for first, rests in run.items())
        run.clear()

    for alt in alternatives:
        first = alt[:1]
        mergeable = first.isalpha() and ((first.lower() == first.upper() and not first.isascii())
                                         or (ignorecase and first.isascii()))
        if len(alt) >= 2 and mergeable and alt[1] not in _QUANTIFIERS:
            run.setdefault(first.lower(), []).append(alt[1:])
        else:
            flush()
            out.append(alt)
    flush()
    return out


class Hit(NamedTuple):
    """A rule that fired: its type (the signal name) and the span in the original text."""

    type: str
    text: str
    start: int
    end: int


# --- urgency -------------------------------------------------------------------------

_NOT_URGENT = re.compile(
    r"(?:לא|אין|בלי)\s+(?:ממש\s+)?(?:דחוף|בוער|לחץ|מלחיץ|ממהר)"
    r"|\bnot\s+(?:urgent|in\s+a\s+hurry)|\bno\s+(?:rush|hurry)|\bwhenever\b|\bno\s+pressure"
    r"|(?:مش|مو|ما\s+في|مش\s+كثير)\s+(?:مستعجل|ضروري|عجلة)",
    re.IGNORECASE,
)

EXPLICIT_URGENCY = re.compile(
    _words(r"דחו+ף+", r"דחופה", r"בדחיפות", r"מיידי", r"מיידית", r"בהקדם(?:\s+האפשרי)?", r"בוער",
           r"כמה\s+שיותר\s+מהר", r"מהר\s+ככל\s+האפשר", r"עכשיו", r"מיד", r"תיכף", r"אסאפ", r"דחוףףף")
    + r"|\b(?:urgent(?:ly)?|asap|a\.s\.a\.p|immediately|right\s+now|right\s+away|as\s+soon\s+as\s+possible"
    r"|emergency|dachuf|dahuf)\b"
    r"|" + _words(r"مستعجل(?:ة)?", r"ضروري(?:ة)?", r"عاجل(?:ة)?", r"فورا?ً?", r"حالا?ً?", r"بسرعة",
                  r"بأسرع\s+وقت", r"هلق", r"هلأ", r"هسا", r"الآن", r"الان", prefix=False),
    re.IGNORECASE,
)

EMERGENCY = re.compile(
    _words(r"הצפה", r"הצפות", r"מוצף", r"מוצפת", r"מוצפים", r"שיטפון", r"פיצוץ\s+(?:צינור|בצינור)",
           r"צינור\s+(?:התפוצץ|פרוץ|שהתפוצץ)", r"התפוצץ", r"נזילה\s+(?:חזקה|ענקית|רצינית)", r"מים\s+בכל\s+הבית",
           r"שריפה", r"נשרף", r"עשן", r"ריח\s+(?:של\s+)?(?:גז|שריפה)", r"דליפת\s+גז", r"קצר\s+חשמלי",
           r"התחשמל(?:ה|תי)?", r"ניצוצות", r"נפצע(?:ה|תי)?", r"פציעה", r"פצוע(?:ה)?", r"מדמם(?:ת)?", r"דימום",
           r"כאבים\s+(?:חזקים|נוראיים|קשים|עזים)", r"כאב\s+(?:חזק|נוראי|עז|חד)", r"כאבי\s+תופת",
           r"לא\s+(?:יכול|יכולה|מצליח|מצליחה)\s+לנשום", r"קשיי\s+נשימה", r"קוצר\s+נשימה", r"התעלף", r"התעלפה",
           r"נתקע(?:ה|נו)?\s+במעלית", r"חום\s+גבוה", r"אלרגית?", r"בהלה", r"מד\"א",
           r"אמבולנס", r"חדר\s+מיון", r"מיון", r"פריצה", r"פרצו", r"נפל(?:ה)?\s+ו", r"שבר\s+ב",
           r"נחתכ(?:ה|תי)?", r"נחתך", r"חתך\s+עמוק", r"נדרס(?:ה)?", r"נפגע(?:ה)?\s+מרכב", r"התנפח(?:ה)?", r"נפיחות",
           r"תגובה\s+אלרגית", r"ננעל(?:תי|נו|ה)?\s+(?:מחוץ|בחוץ)", r"(?:התינוק|הילד|הילדה|התינוקת)\s+(?:בפנים|נעול)",
           r"כאב(?:ים|י)?\s+(?:\S+\s+){0,2}?(?:חזק(?:ים)?|נוראי(?:ים)?|עז(?:ים)?|בלתי\s+נסבל(?:ים)?|מטורפ(?:ים)?)",
           r"מים\s+(?:\S+\s+){0,2}?(?:מהתקרה|מהקיר|על\s+החשמל)", r"נוזל(?:ים)?\s+מים\s+מהתקרה", r"פיצוץ",
           r"התמוטט(?:ה)?", r"איבד(?:ה)?\s+הכרה", r"מחוסר\s+הכרה")
    + r"|\b(?:flood(?:ed|ing)?|burst\s+pipe|pipe\s+burst|fire|smoke|gas\s+leak|smell\s+(?:of\s+)?gas|injur(?:ed|y)"
    r"|bleeding|severe\s+pain|terrible\s+pain|chest\s+pain|can'?t\s+breathe|short\s+of\s+breath|unconscious"
    r"|ambulance|electrocuted|sparks|break-?in|broke\s+in|pouring|allergic\s+reaction|swelling"
    r"|locked\s+out|hit\s+by\s+a\s+car|run\s+over|collapsed|passed\s+out|fainted|(?:bad|deep)\s+cut"
    r"|(?:severe|terrible|unbearable|excruciating)\s+(?:\w+\s+)?pain)\b"
    r"|" + _words(r"فيضان", r"غرق(?:ت|ان)?", r"تسرب\s+(?:مي|ماء|مياه|غاز)", r"حريق", r"نار", r"دخان",
                  r"ريحة\s+غاز", r"نزيف", r"بينزف", r"إصابة", r"اصابة", r"مصاب(?:ة)?", r"ألم\s+شديد", r"الم\s+شديد",
                  r"وجع\s+(?:قوي|كثير|شديد)", r"طوارئ", r"اسعاف", r"إسعاف", r"مش\s+قادر\s+اتنفس",
                  r"ما\s+بقدر\s+اتنفس", r"كهربا", r"تسريب\s+(?:مي|ماء|مياه|غاز)",
                  r"(?:مي|ماي|مية|ميه)\s+نازل(?:ة)?", r"نازل(?:ة)?\s+من\s+السقف", r"حساسية\s+قوية", r"انجرح(?:ت)?",
                  r"وقع(?:ت)?\s+و", r"انقطعت\s+الكهربا", r"انحبس(?:ت)?", prefix=False),
    re.IGNORECASE,
)

#: An accident is an emergency (a person must take over) unless the message says nobody was hurt; then it
#: is still urgent ("accident"), unless it did not happen today. An injury, pain or fire in the same
#: message is an emergency through EMERGENCY anyway.
ACCIDENT = re.compile(
    _words(r"תאונ(?:ה|ת\s+דרכים)") + r"|\baccident\b|" + _words(r"حادث", prefix=False),
    re.IGNORECASE,
)
ACCIDENT_UNHURT = re.compile(
    _words(r"לא\s+נפגע(?:תי|נו|ה|תם)?", r"אף\s+אחד\s+לא\s+נפגע", r"אין\s+נפגעים", r"בלי\s+נפגעים",
           r"(?:אני|אנחנו|כולם|כולנו|הכל|הכול)\s+(?:ב)?בסדר")
    + r"|\b(?:(?:no\s*one|nobody)\s+(?:was\s+|got\s+)?(?:hurt|injured)|no\s+injuries"
    r"|(?:i'?m|i\s+am|we'?re|we\s+are|everyone\s+is|everybody\s+is)\s+(?:fine|ok|okay|alright|all\s+right))\b"
    r"|" + _words(r"ما\s+حدا\s+(?:ت|ا)?نصاب", r"ما\s+في\s+(?:اصابات|إصابات)", r"بدون\s+(?:اصابات|إصابات)",
                  r"الحمد\s*لله\s+(?:كلنا\s+|كلو\s+)?(?:بخير|منيح|مناح|سليم)", prefix=False),
    re.IGNORECASE,
)
ACCIDENT_PAST = re.compile(
    _words(r"אתמול", r"שלשום", r"[בל]שבוע\s+שעבר", r"[בל]חודש\s+שעבר",
           r"לפני\s+(?:יומיים|שבוע|שבועיים|חודש|חודשיים|כמה\s+ימים|\d+\s+ימים)",
           r"(?:ה)?תביעה\s+(?:על|בגין|של)\s+(?:ה)?תאונ")  # a claim is filed after the accident
    + r"|\b(?:yesterday|last\s+(?:week|month|night)|\d+\s+days\s+ago|a\s+few\s+days\s+ago"
    r"|claim\s+(?:for|on|about|from)\s+(?:the|my|our)\s+accident)\b"
    r"|" + _words(r"مبارح", r"امبارح", r"إمبارح", r"(?:الأسبوع|الاسبوع|الشهر)\s+(?:الماضي|اللي\s+فات)",
                  r"قبل\s+(?:يومين|اسبوع|أسبوع|شهر|كم\s+يوم)", prefix=False),
    re.IGNORECASE,
)

DEADLINE = re.compile(
    _words(r"היום", r"הערב", r"הלילה", r"מחר", r"עד\s+מחר", r"מחרתיים", r"עד\s+סוף\s+היום", r"בבוקר\s+מחר")
    + r"|\b(?:today|tonight|tomorrow|by\s+(?:the\s+)?end\s+of\s+(?:the\s+)?day|eod|this\s+evening)\b"
    r"|" + _words(r"اليوم", r"الليلة", r"بكرة", r"بكرا", r"بكره", r"غدا", r"غداً", r"بعد\s+بكرة", prefix=False),
    re.IGNORECASE,
)

#: a legal matter the customer faces: a hearing, a summons, an objection or an answer that is due
LEGAL_MATTER = re.compile(
    _words(r"דיון", r"זימון", r"זומנתי", r"זימנו", r"זימן", r"שימוע", r"חקירה", r"ועדה\s+רפואית", r"בית\s+(?:ה)?משפט",
           r"בית\s+(?:ה)?דין", r"הוצאה\s+לפועל", r"הוצל\"פ", r"כתב\s+הגנה", r"כתב\s+תביעה", r"התנגדות", r"ערעור",
           r"ערר", r"להישפט", r"פינוי", r"צו\s+\S+", r"עיקול", r"תביעה\s+קטנה", r"תביעה")
    + r"|\b(?:(?:a|the|my|our|court|next)\s+hearing|summons|summoned|court|tribunal|appeal|objection|eviction"
    r"|deposition|interrogation|subpoena"
    r"|lawsuit|(?:file|filed)\s+suit)\b"
    r"|" + _words(r"جلسة", r"الجلسة", r"محكمة", r"المحكمة", r"دعوى", r"استدعاء", r"اعتراض", r"الاعتراض", r"استئناف",
                  r"إخلاء", r"اخلاء", r"حجز", r"دائرة\s+الإجراء", r"دائرة\s+الاجراء", r"تحقيق", prefix=False),
    re.IGNORECASE,
)
#: when it is: a date, a weekday, "within 20 days", "next Monday" (with :data:`LEGAL_MATTER`: a legal deadline)
_HE_DAYS = r"(?:ראשון|שני|שלישי|רביעי|חמישי|שישי)"
_HE_MONTHS = r"(?:ינואר|פברואר|מרץ|מרס|אפריל|מאי|יוני|יולי|אוגוסט|ספטמבר|אוקטובר|נובמבר|דצמבר)"
_EN_DAYS = r"(?:monday|tuesday|wednesday|thursday|friday|sunday)"
_AR_DAYS = r"(?:الاحد|الأحد|الاثنين|التنين|الثلاثاء|التلات|الاربعاء|الأربعاء|الاربعا|الخميس|الجمعة|السبت)"
DATED = re.compile(
    rf"(?:תוך|בתוך|עוד|יש\s+לי)\s+\d+\s*(?:יום|ימים|ימי)|\d+\s*(?:יום|ימים)\s+(?:להגיש|להשיב|לערער|מ)"
    rf"|(?:ביום|עד\s+יום|ליום|יום)\s+{_HE_DAYS}|{_HE_DAYS}\s+הבא|ב-?\d{{1,2}}\s+(?:ב|ל){_HE_MONTHS}"
    rf"|ב-?\d{{1,2}}\s+לחודש|(?<![\d/.])ב-?\d{{1,2}}[./]\d{{1,2}}(?![\d/.]\d)"
    rf"|\b(?:within\s+\d+|\d+\s+days|next\s+{_EN_DAYS}|on\s+{_EN_DAYS}|by\s+{_EN_DAYS}|on\s+the\s+\d{{1,2}}(?:st|nd|rd|th))\b"
    rf"|(?:خلال|بعد|عندي|ضل)\s+[\d\u0660-\u0669]+\s*(?:يوم|ايام|أيام)|يوم\s+{_AR_DAYS}|{_AR_DAYS}\s+الجاي|لحد\s+يوم",
    re.IGNORECASE,
)

# --- handoff -------------------------------------------------------------------------

HUMAN_REQUEST = re.compile(
    r"(?:לדבר|לשוחח|לתקשר|מדבר|שיחה|אפשר|רוצה|צריך|צריכה|תן\s+לי|תני\s+לי|תנו\s+לי|מבקש|מבקשת|תביאו|תעבירו)\s+"
    r"(?:\S+\s+){0,2}?(?:עם\s+)?[הל]?(?:נציג|נציגה|בן\s*אדם|בנאדם|מנהל|מנהלת|אחראי|אחראית"
    r"|מישהו\s+(?:אמיתי|אנושי|ממשי)|אדם\s+אמיתי|מישהו\s+מהצוות)(?![\w])"
    r"(?!\s+(?:חשבונות|עבודה|פרויקט|פרויקטים|תיקים|נכסים|ה?מוצר|אתר|מכירות|ביטוח))"
    r"|(?:שמישהו|מישהו|שבן\s+אדם|שנציג)\s+(?:\S+\s+){0,2}?(?:יחזור|יתקשר|ידבר|יענה)\s+(?:אליי|אלי|איתי)"
    # "אני רוצה שאבי עצמו יתקשר אליי": a named person, himself
    r"|(?:רוצה|מבקש|מבקשת|צריך|צריכה)\s+ש\S+\s+(?:עצמו|עצמה|בעצמו|בעצמה)\s+(?:יתקשר|תתקשר|יחזור|תחזור|ידבר|תדבר)"
    r"|(?:לדבר|לשוחח)\s+עם\s+(?:ה?(?:רופא|רופאה|בעלים)|ד\"ר|דוקטור|בעל(?:ת)?\s+העסק|עו\"ד|עורכ?ת?\s+הדין|ה?סוכנ?ת?)"
    r"(?:\s+\S+)?\s*(?:עצמו|עצמה|בעצמו|בעצמה|ישירות|,?\s*לא\s+עם)"
    r"|\b(?:ledaber|ledabber)\s+(?:\w+\s+){0,2}?(?:bnadam|ben\s+adam|natzig|natsig|nazig|menahel)\b"
    r"|תעביר(?:ו|י)?\s+אותי\s+ל|" + _words(r"נציג\s+אנושי", r"נציג\s+בבקשה", r"בן\s+אדם\s+(?:אמיתי|בבקשה)",
                                           r"לא\s+(?:רוצה|רוצה\s+לדבר\s+עם|מדבר\s+עם)\s+(?:בוט|רובוט|מכונה)",
                                           r"די\s+(?:עם\s+)?(?:ה)?בוט", r"מענה\s+אנושי", r"נציג\s+שירות")
    + r"|\b(?:(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|your\s+|some\s+)?"
    r"(?:human|person|real\s+person|agent|representative|manager|supervisor|someone\s+real|owner)"
    r"|real\s+(?:person|human)|human\s+(?:please|agent|being)|not\s+a\s+(?:bot|robot)|customer\s+service\s+rep"
    r"|representative)\b"
    r"|(?:بدي|بدّي|اريد|أريد|ممكن)\s+(?:\S+\s+){0,2}?(?:ال|لل|ل)?(?:موظف|مسؤول|مدير|انسان|إنسان|شخص\s+حقيقي"
    r"|حد\s+من\s+الشركة|حدا\s+(?:من\s+عندكم|من\s+الشركة|حقيقي|بشري))(?![\w])"
    r"|(?:مش|ما\s+بدي)\s+(?:\S+\s+)?(?:روبوت|بوت)"
    # "بدي احكي مع الدكتور خالد ... مش مع السكرتيرة": the doctor, the owner, the lawyer, not the front desk
    r"|(?:بدي|بدّي|اريد|أريد)\s+(?:احكي|أحكي|اتكلم|أتكلم|اتواصل|أتواصل)\s+مع\s+(?:ال)?(?:دكتور|دكتورة|طبيب|طبيبة|"
    r"صاحب|صاحبة|محامي|محامية|وكيل|مدير|مديرة)"
    r"|مش\s+مع\s+(?:ال)?(?:سكرتيرة|سكرتير|موظفة|موظف)",
    re.IGNORECASE,
)

LEGAL_THREAT = re.compile(
    r"(?:אתבע|נתבע|אתבעו|אגיש|נגיש|נפתח|אפתח)\s+(?:\S+\s+){0,3}?(?:אתכם|אותכם|אותך|נגדכם|נגדך|תביעה|תלונה\s+ב)"
    r"|תביע(?:ה|ות)\s+(?:\S+\s+)?נגדכם|(?:אתבע|נתבע)\s*(?:$|[!.\s])"
    r"|" + _words(r"עורך\s+הדין\s+שלי", r"עו\"ד\s+שלי", r"עורכת\s+הדין\s+שלי", r"(?:ה)?עורך\s+דין\s+שלי",
                  r"מכתב\s+התראה", r"תביעות?\s+קטנות", r"הגנת\s+הצרכן", r"הרשות\s+להגנת\s+הצרכן",
                  r"(?:תלונה|אתלונן|נתלונן|להתלונן|אפנה|נפנה|פונה|אדווח|נדווח|לדווח)\s+(?:\S+\s+){0,3}?[לב]משרד\s+הבריאות",
                  r"רשות\s+שוק\s+ההון", r"המפקח\s+על\s+הביטוח", r"נציב(?:ות)?\s+תלונות",
                  r"לשכת\s+עורכי\s+הדין", r"ניפגש\s+בבית\s+(?:ה)?משפט", r"ניפגש\s+בבית\s+הדין",
                  r"אפנה\s+ל(?:עורך\s+דין|עו\"ד|בית\s+משפט|משטרה|רשויות)", r"נקיטת\s+הליכים", r"הליכים\s+משפטיים",
                  r"צעדים\s+משפטיים", r"(?:א|נ)נקוט\s+(?:ב)?(?:הליכים|צעדים)", r"לקוח(?:נו|ותינו)",
                  r"עורכת?\s+(?:ה)?דין\s+(?:\S+\s+){0,3}?(?:מטפל(?:ת)?|מטפלים|תטפל|יטפל)",
                  r"(?:מגיש|מגישה|אגיש)\s+(?:\S+\s+){0,2}?תלונה\s+(?:ל|ב)(?:משטרה|רשות|משרד|לשכת|איגוד|הסתדרות)")
    + r"|\b(?:(?:i|we)(?:'ll|\s+will)\s+sue|sue\s+you|suing\s+you|my\s+(?:lawyer|attorney)|legal\s+action"
    r"|small\s+claims|consumer\s+protection|see\s+you\s+in\s+court|report\s+you\s+to|lawsuit\s+against\s+you"
    r"|(?:complain\w*|report\w*|writ\w+|go(?:ing)?|turn\w*|escalat\w+)\s+(?:\S+\s+){0,3}?to\s+the\s+ministry\s+of\s+health"
    r"|fil(?:e|ing)\s+a\s+(?:formal\s+)?complaint\s+(?:with|to|against)"
    r"|(?:contact|call|hire)(?:ing)?\s+(?:a|my)\s+lawyer|(?:take|taking|drag|dragging)\s+(?:you|this|them)\s+to\s+court"
    r"|(?:i(?:'ll|\s+will)|we(?:'ll|\s+will))\s+go\s+to\s+court)\b"
    r"|(?:رح|راح|سوف|سأ)\s*(?:\S+\s+){0,2}?(?:اشتكي|أشتكي|ارفع\s+(?:عليكم\s+)?قضية|اتوجه|أتوجه|اقدم\s+شكوى"
    r"|أقدم\s+شكوى)"
    r"|" + _words(r"محاميي?\s+(?:تبعي|الخاص)", r"المحامي\s+تبعي", r"حماية\s+المستهلك", r"قضية\s+عليكم",
                  r"دعوى\s+(?:ضدكم|عليكم)", r"(?:شكوى|اشتكي|أشتكي|بشتكي|اتوجه|أتوجه|بتوجه|احكي)\s+(?:\S+\s+){0,3}?"
                  r"(?:ل|ع|عند\s+)?وزارة\s+الصحة", r"المحكمة", prefix=False),
    re.IGNORECASE,
)

PUBLIC_REVIEW_THREAT = re.compile(
    r"(?:אפרסם|נפרסם|אכתוב|נכתוב|אעלה|אשתף|אדאג\s+ש|אספר|אפיץ|מפרס[םמ](?:ת|ים)?|לפרס[םמ]|כותב(?:ת)?|מעלה"
    r"|אחשוף|לחשוף|אתלונן)\s+(?:\S+\s+){0,5}?"
    r"(?:ביקורת|review|פוסט|ו?[בל]ה?(?:פייסבוק|פייס|גוגל|רשת|רשתות|אינסטגרם|טיקטוק|קבוצ|זאפ)|בכל\s+מקום|לכולם"
    r"|עליכם|בתקשורת)"
    r"|" + _words(r"ביקורת\s+(?:שלילית|רעה|גרועה|קטלנית|בגוגל|בפייסבוק)", r"כוכב\s+אחד", r"1\s+כוכב",
                  r"כולם\s+ידעו", r"כלבוטק", r"לתקשורת", r"לעיתונות", r"ברשתות\s+החברתיות", r"שיימינג")
    + r"|\b(?:(?:bad|negative|terrible|1[- ]star|one[- ]star)\s+review|(?:i(?:'ll|\s+will)|going\s+to)\s+"
    r"(?:post|write|leave|share|tell)\b.{0,40}?\b(?:review|facebook|google|yelp|trustpilot|instagram|tiktok"
    r"|everyone|online)|tell\s+everyone|trustpilot|yelp|go\s+public|the\s+media|the\s+press)\b"
    r"|(?:رح|راح|سوف)\s*(?:\S+\s+){0,2}?(?:انشر|أنشر|اكتب|أكتب|افضح|أفضح)|تقييم\s+(?:سيء|سلبي)"
    r"|\b(?:review|reviews)\s+(?:b|be)?(?:google|facebook)|" + _words(
        r"على\s+الفيسبوك", r"ع\s*الفيس", prefix=False),
    re.IGNORECASE,
)

#: a review promised kindly ("נשאיר לכם ביקורת בגוגל בשמחה", "I'll leave you a 5-star review"): praise in the
#: sentence of a review makes it no threat
KIND_REVIEW = re.compile(
    r"בשמחה|חיובית|מחמיאה|מעולה|ממליצ|המלצה\s+חמה|5\s*כוכבים|חמישה\s+כוכבים"
    r"|\b(?:happily|gladly|glad\s+to|5[- ]stars?|five[- ]stars?|positive|glowing|great\s+review|good\s+review)\b"
    r"|بكل\s+سرور|(?:ا|إ)يجابي|5\s*نجوم|خمس\s+نجوم",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^.!?\n]+")

#: someone else's words, quoted: 'my landlord said "I'll sue you" haha', 'השכן אמר "אני אתבע אותם"' — a threat
#: inside them is not the customer's own
REPORTED_SPEECH = re.compile(
    r"(?:\b(?:said|says|told\s+(?:me|us|him|her)|wrote|threatened|was\s+like)"
    r"|(?<![\u05d0-\u05ea])(?:אמר|אמרה|אמרו|כתב|כתבה|כתבו|איים|איימה|צעק|צעקה)"
    r"|(?<![\u0621-\u064a])(?:قال|قالت|قالو|قالوا|حكى|حكت|حكيت|كتب|كتبت|هدد|هددت))"
    r"\s*:?\s*[\"\u201c\u201d\u05f4\u00ab']([^\"\u201c\u201d\u05f4\u00bb\n]{1,160})[\"\u201c\u201d\u05f4\u00bb']",
    re.IGNORECASE,
)

_STRONG_ANGER = re.compile(
    _words(r"נמאס(?:\s+לי)?", r"חוצפה", r"חצופים", r"חצוף", r"גנבים", r"גנבת", r"רמאים", r"רמאות", r"נוכלים",
           r"נוכלות", r"שקרנים", r"בושה(?:\s+וחרפה)?", r"תתביישו", r"אין\s+לכם\s+בושה", r"ביזיון", r"מבזה",
           r"מזלזלים", r"זלזול", r"מחפיר", r"שערורי(?:ה|יה)", r"מזעזע", r"זבל", r"אפסים", r"עלובים", r"מטומטמים",
           r"אידיוטים", r"דפוקים", r"מחורבן", r"מחורבנת", r"על\s+הפנים", r"עושקים", r"עושק", r"הונאה",
           r"לעזאזל", r"כוס\s+\S+", r"יא\s+בני\s+זונות", r"בני\s+זונות", r"חארות", r"חרא", r"מניאקים",
           r"הכי\s+גרוע", r"לא\s+ייאמן", r"מקצוע\s+של\s+חרא", r"עצבים", r"עצבני(?:ת)?", r"כועס(?:ת)?",
           r"מתוסכל(?:ת)?", r"רתוח(?:ה)?", r"רותח(?:ת)?", r"זועם", r"זועמת", r"נשבר\s+לי", r"גניבה", r"גונבים",
           r"נורמליים", r"ניצלתם", r"ניצול", r"לא\s+מאמינ(?:ה|ים)?", r"אין\s+לי\s+מילים", r"הולכים\s+לשמוע\s+ממני",
           r"לא\s+מעניין\s+אותי", r"ממש\s+לא\s+בסדר", r"לא\s+נורמלי", r"זה\s+לא\s+שירות", r"קרקס", r"מתעללים",
           r"עם\s+מי\s+אני\s+מדבר", r"פעם\s+אחרונה", r"לא\s+אשלם", r"נוכל(?:ים)?", r"מבישה?")
    + r"|\b(?:ridiculous|unacceptable|disgusting|disgrace(?:ful)?|scam(?:mers)?|thie(?:f|ves)|liars?|worst"
    r"|furious|fed\s+up|pathetic|outrageous|incompetent|wtf|damn|f\*+k|fuck(?:ing)?|shit(?:ty)?|bullshit|angry"
    r"|sick\s+(?:and\s+tired|of)|not\s+ok(?:ay)?|money\s+back|rip-?off|robbery|shame\s+on\s+you|joke)\b"
    r"|" + _words(r"حرامي(?:ة)?", r"نصابين", r"نصاب", r"نصب", r"زهقت", r"قرفت", r"قرف", r"مش\s+معقول", r"عيب\s+عليكم",
                  r"وقحين", r"وقاحة", r"اسوأ", r"أسوأ", r"كذابين", r"كذب", r"سرقة", r"حرام\s+عليكم", r"مهزلة",
                  r"معصب(?:ة)?", r"زعلان(?:ة)?", prefix=False),
    re.IGNORECASE,
)
_EXCLAIM = re.compile(r"[!?]{3,}|!{2,}")
_SHOUT = re.compile(r"\b[A-Z]{3,}(?:\s+[A-Z]{2,}){2,}\b")

LEAD_HINTS = {
    "budget": re.compile(r"תקציב|\bbudget\b|ميزانية", re.IGNORECASE),
    "purchase_intent": re.compile(
        _words(r"מעוניי?ן", r"מעוניינת", r"מעונינים", r"רוצה\s+להזמין", r"רוצה\s+לקנות", r"להצטרף", r"לסגור",
               r"הצעת\s+מחיר", r"כמה\s+(?:זה\s+)?(?:עולה|עולים|יעלה)", r"מה\s+המחיר", r"מחיר", r"לשכור", r"לרכוש")
        + r"|\b(?:interested|quote|pricing|price|how\s+much|buy|purchase|hire|sign\s+up)\b"
        r"|" + _words(r"مهتم(?:ة)?", r"بدي\s+اشتري", r"كم\s+السعر", r"قديش", r"اديش", r"سعر", r"عرض\s+سعر",
                      prefix=False),
        re.IGNORECASE),
    "just_browsing": re.compile(
        _words(r"רק\s+בודק(?:ת)?", r"רק\s+שואל(?:ת)?", r"בעתיד", r"מתישהו", r"לא\s+בטוח(?:ה)?\s+ש", r"אולי\s+בהמשך")
        + r"|\b(?:just\s+(?:looking|browsing|curious|asking)|maybe\s+later|someday|not\s+sure\s+yet)\b",
        re.IGNORECASE),
}


# --- running the rules ---------------------------------------------------------------
#
# Most messages are written in one script, and most of every rule's alternatives (its
# Hebrew, Arabic and English parts) cannot match a message without letters of their own
# script. So each rule is split at its top-level ``|`` into parts, each part is tagged
# with the script every one of its matches must contain (found from the parsed
# pattern), and a message is scanned only with the parts that can match it, in their
# original order. Dropping alternatives that cannot match anywhere changes nothing a
# regular expression finds, and it saves most of the scanning. ``tests`` check the tags.

#: characters that tell a script is present (with IGNORECASE, "[a-z]" also covers "K", "ſ", "ı" and "İ")
SCRIPTS: dict[str, re.Pattern[str]] = {
    "he": re.compile(r"[\u05d0-\u05ea]"),
    "ar": re.compile(r"[\u0600-\u06ff]"),
    "en": re.compile(r"[a-z]", re.IGNORECASE),
}


def _script_chars(script: str) -> Callable[[int], bool]:
    pattern = SCRIPTS[script]
    return lambda code: pattern.match(chr(code)) is not None


def _structure(source: str) -> Iterator[tuple[int, str, int]]:
    """``(index, character, group depth after it)`` of each ``(``, ``)`` and ``|`` of ``source`` that is
    regex syntax (not escaped, not in a character class)."""
    depth, i, in_class = 0, 0, False
    while i < len(source):
        ch = source[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
            if source[i + 1:i + 2] == "^":
                i += 1
            if source[i + 1:i + 2] == "]":  # a "]" first in a class is a literal
                i += 1
        elif ch in "()|":
            depth += {"(": 1, ")": -1, "|": 0}[ch]
            yield i, ch, depth
        i += 1


def split_alternatives(source: str) -> list[str]:
    """``source`` split at its top-level ``|`` (not inside a group or a character class)."""
    parts: list[str] = []
    start = 0
    for i, ch, depth in _structure(source):
        if ch == "|" and depth == 0:
            parts.append(source[start:i])
            start = i + 1
    parts.append(source[start:])
    return parts


_WORD_LIST = re.compile(r"\\b\(\?:(?P<body>.*)\)\\b\Z", re.DOTALL)


def merge_word_list(source: str, flags: int) -> str:
    """A part ``\\b(?:a|b|...)\\b`` compiled with IGNORECASE, its alternatives merged by :func:`by_first_letter`.

    Any other source comes back as it is (``\\b(?:a)\\s+(?:b)\\b`` is not one list: its group closes early).
    """
    m = _WORD_LIST.match(source)
    if not m or not flags & re.IGNORECASE or any(depth < 0 for _, _, depth in _structure(m["body"])):
        return source
    return rf"\b(?:{'|'.join(by_first_letter(split_alternatives(m['body']), ignorecase=True))})\b"


def _parse(source: str, flags: int) -> tuple[Any, Any] | None:
    """``(sre constants, parsed pattern)``, or ``None`` when this Python's regex internals differ."""
    try:
        from re import _constants as sre  # type: ignore[attr-defined]
        from re import _parser  # type: ignore[attr-defined]

        return sre, _parser.parse(source, flags)
    except Exception:
        return None


def required_script(source: str, flags: int) -> str | None:
    """The script every match of ``source`` must contain a letter of, or ``None``."""
    parsed = _parse(source, flags)
    if parsed is None:
        return None  # never skip a part
    sre, tree = parsed

    def needs(items: Any, chars: Callable[[int], bool]) -> bool:
        for op, av in items:
            if op is sre.LITERAL and chars(av):
                return True
            if op is sre.IN and av and all(
                    (kind is sre.LITERAL and chars(v)) or (kind is sre.RANGE and all(map(chars, range(v[0], v[1] + 1))))
                    for kind, v in av):
                return True
            if op is sre.SUBPATTERN and needs(av[3], chars):
                return True
            if op is sre.BRANCH and all(needs(alt, chars) for alt in av[1]):
                return True
            if op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1 and needs(av[2], chars):
                return True
        return False

    for script in SCRIPTS:
        if needs(tree, _script_chars(script)):
            return script
    return None


def literal_options(source: str, flags: int) -> list[list[str]]:
    """Lists of strings such that every match of ``source`` contains one string of each list.

    Taken from the parsed pattern (compare with the same flags): runs of plain characters
    and character sets of plain characters that a match cannot skip, and for an
    alternation the union of what each alternative requires. Empty when nothing is known.
    """
    parsed = _parse(source, flags)
    if parsed is None:
        return []
    sre, tree = parsed
    best = _most_selective

    def leading(items: Any) -> str:
        """The characters every match of ``items`` starts with."""
        out = []
        for op, av in items:
            if op is not sre.LITERAL:
                break
            out.append(chr(av))
        return "".join(out)

    def of_sequence(items: Any) -> list[list[str]]:
        options: list[list[str]] = []
        run: list[str] = []
        for op, av in [*items, (None, None)]:
            if op is sre.LITERAL:
                run.append(chr(av))
                continue
            if run:
                options.append(["".join(run)])
                # a run then an alternation, as by_first_letter() writes them: the run and each
                # alternative's own first characters together
                inner = av[3] if op is sre.SUBPATTERN else [(op, av)] if op is sre.BRANCH else []
                if len(inner) == 1 and inner[0][0] is sre.BRANCH:
                    joined: list[str] = []
                    for alt in inner[0][1][1]:
                        own = best([["".join(run) + leading(alt)], *of_sequence(alt)])
                        joined += own or []
                    options.append(joined)
                run = []
            found: list[str] | None = None
            if op is sre.SUBPATTERN:
                found = best(of_sequence(av[3]))
            elif op is sre.BRANCH:
                each = [best(of_sequence(alt)) for alt in av[1]]
                found = None if any(e is None for e in each) else [lit for e in each for lit in e or []]
            elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT) and av[0] >= 1:
                found = best(of_sequence(av[2]))
            elif op is sre.IN and av and all(kind is sre.LITERAL for kind, _ in av):
                found = [chr(v) for _, v in av]
            if found:
                options.append(found)
        return options

    return of_sequence(tree)


def _most_selective(options: list[list[str]]) -> list[str] | None:
    """The list whose shortest string is longest (fewest strings on a tie), or ``None`` for no lists."""
    return max(options, key=lambda lits: (min(map(len, lits)), -len(lits))) if options else None


def required_literals(source: str, flags: int) -> list[str] | None:
    """Strings one of which every match of ``source`` contains (the most selective such list), or ``None``."""
    return _most_selective(literal_options(source, flags))


#: the non-ASCII characters that IGNORECASE matches to ASCII letters, folded to them
FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_FOLDED = re.compile("[\u0130\u0131\u017f\u212a]")


def fold(text: str) -> str:
    """``text`` lower-cased so that it contains ``s.lower()`` wherever IGNORECASE finds an ASCII ``s``."""
    return (text.translate(FOLD) if _FOLDED.search(text) else text).lower()


@dataclass(frozen=True)
class Probe:
    """What deciding which parts of the rules can match needs to know about one message."""

    norm: str
    #: the scripts whose letters occur in ``norm``
    scripts: frozenset[str]
    #: ``norm`` case-folded the way IGNORECASE compares letters (it may be longer than ``norm``)
    folded: str

    @classmethod
    def of(cls, norm: str) -> Probe:
        scripts = frozenset(name for name, pattern in SCRIPTS.items() if pattern.search(norm))
        return cls(norm, scripts, fold(norm) if "en" in scripts else norm)


class Rule:
    """A named pattern, scanned with only those of its parts that can match the message.

    A part can match only when its script's letters are in the message and, when the
    part requires one of some strings (:func:`required_literals`), when one of them is in
    the message too: checked with the message's 3-grams, without scanning it. Each part
    is compiled on its own; when several can match, their matches are merged exactly as
    the alternation of them would find them (:meth:`spans`).
    """

    def __init__(self, kind: str, pattern: re.Pattern[str]) -> None:
        self.kind = kind
        self.pattern = pattern
        flags = pattern.flags
        self.parts: list[tuple[str | None, re.Pattern[str], frozenset[str] | None, tuple[str, ...]]] = []
        for part in split_alternatives(pattern.pattern):
            part = merge_word_list(part, flags)
            parsed = _parse(part, flags)
            if parsed is not None and parsed[1].getwidth()[0] == 0:
                raise ValueError(f"a part of rule {kind} can match the empty string: {part!r}")
            literals = {fold(lit) for lit in required_literals(part, flags) or ()}
            starts = frozenset(lit[:3] for lit in literals if len(lit) >= 3) if literals else None
            short = tuple(sorted(lit for lit in literals if len(lit) < 3))
            self.parts.append((required_script(part, flags), re.compile(part, flags), starts, short))
        self._alone: RuleSet | None = None

    def spans(self, probe: Probe) -> list[tuple[int, int]]:
        """The spans of ``pattern.finditer(probe.norm)``, scanning only with the parts that can match.

        (One rule on its own, with the selection :class:`RuleSet` makes for all rules in :func:`apply_rules`.)
        """
        if self._alone is None:
            self._alone = RuleSet([self])
        return merged_spans(self._alone.live(probe)[0], probe.norm)


def merged_spans(live: list[re.Pattern[str]], norm: str) -> list[tuple[int, int]]:
    """The spans ``finditer`` of the alternation of ``live`` (in order) finds in ``norm``."""
    if len(live) == 1:
        return [m.span() for m in live[0].finditer(norm)]
    if not live:
        return []
    # From ``pos``, the leftmost match of any part, the first part in order on a tie, then on
    # from its end (no part matches the empty string).
    found: list[tuple[int, int]] = []
    pos = 0
    nexts = [compiled.search(norm) for compiled in live]
    while True:
        best = None
        for i, m in enumerate(nexts):
            if m is not None and m.start() < pos:
                m = nexts[i] = live[i].search(norm, pos)
            if m is not None and (best is None or m.start() < best.start()):
                best = m
        if best is None:
            return found
        found.append(best.span())
        pos = best.end()


class RuleSet:
    """All the rules' parts, indexed by the 3-grams they need, to find the live ones of a message at once."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.parts: list[tuple[int, re.Pattern[str]]] = []
        scripts: list[str | None] = []
        index: dict[str, list[int]] = {}
        self.short: list[tuple[str, int]] = []
        free = []
        for r, rule in enumerate(rules):
            for script, compiled, starts, short in rule.parts:
                pid = len(self.parts)
                self.parts.append((r, compiled))
                scripts.append(script)
                if starts is None:
                    free.append(pid)
                    continue
                for gram in starts:
                    index.setdefault(gram, []).append(pid)
                self.short += [(lit, pid) for lit in short]
        self.index = {gram: tuple(pids) for gram, pids in index.items()}
        self.free = frozenset(free)
        self.allowed = {
            frozenset(present): frozenset(pid for pid, script in enumerate(scripts)
                                          if script is None or script in present)
            for n in range(len(SCRIPTS) + 1) for present in combinations(SCRIPTS, n)
        }

    def grams_in(self, folded: str) -> list[tuple[int, ...]]:
        """The index's entries for the 3-grams of ``folded``, each once, in order of first occurrence."""
        get = self.index.get
        found: dict[str, tuple[int, ...]] = {}
        for i in range(len(folded) - 2):
            gram = folded[i:i + 3]
            pids = get(gram)
            if pids is not None:
                found.setdefault(gram, pids)
        return list(found.values())

    def live(self, probe: Probe) -> list[list[re.Pattern[str]]]:
        """Per rule, its parts that can match the message, in order."""
        folded = probe.folded
        pids = set(self.free)
        for found in self.grams_in(folded):
            pids.update(found)
        pids.update(pid for lit, pid in self.short if lit in folded)
        pids &= self.allowed[probe.scripts]
        per_rule: list[list[re.Pattern[str]]] = [[] for _ in self.rules]
        for pid in sorted(pids):
            r, compiled = self.parts[pid]
            per_rule[r].append(compiled)
        return per_rule


_RULE_NOT_URGENT = Rule("not_urgent", _NOT_URGENT)
_RULES = [Rule(kind, pattern) for kind, pattern in (
    ("explicit_urgency", EXPLICIT_URGENCY), ("emergency", EMERGENCY), ("deadline", DEADLINE),
    ("human_request", HUMAN_REQUEST), ("legal_threat", LEGAL_THREAT), ("public_review_threat", PUBLIC_REVIEW_THREAT),
)]
_THREATS = [r for r in _RULES if r.kind in ("legal_threat", "public_review_threat")]
_REVIEW_THREAT = next(r for r in _RULES if r.kind == "public_review_threat")
_RULE_ANGER = Rule("anger", _STRONG_ANGER)
_RULES_LOUD = [Rule("anger", _EXCLAIM), Rule("anger", _SHOUT)]
_RULES_LEAD = [Rule(kind, pattern) for kind, pattern in LEAD_HINTS.items()]
_RULES_ACCIDENT = [Rule("emergency", ACCIDENT), Rule("unhurt", ACCIDENT_UNHURT), Rule("past", ACCIDENT_PAST)]
_RULE_LEGAL, _RULE_DATED = Rule("legal_deadline", LEGAL_MATTER), Rule("dated", DATED)
_RULE_DEADLINE = next(r for r in _RULES if r.kind == "deadline")
ALL_RULES = [_RULE_NOT_URGENT, *_RULES, _RULE_ANGER, *_RULES_LOUD, *_RULES_LEAD, *_RULES_ACCIDENT, _RULE_LEGAL,
             _RULE_DATED]
_RULE_SET = RuleSet(ALL_RULES)
_ACCIDENT, _UNHURT, _PAST = _RULES_ACCIDENT


def _hits(kind: str, spans: list[tuple[int, int]], index: Sequence[int] | None, text: str,
          skip: list[tuple[int, int]] | None = None) -> list[Hit]:
    hits = []
    for start, end in spans:
        if skip and any(s <= start < e for s, e in skip):
            continue
        if index is not None:
            start, end = span_to_original(index, start, end, len(text))
        raw = text[start:end]
        # trim the whitespace a pattern may have swallowed at its edges
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        hits.append(Hit(kind, text[start + lead:end - trail], start + lead, end - trail))
    return hits


@dataclass
class RuleResult:
    """Everything the rules found in one message."""

    hits: list[Hit]
    anger_score: int

    def __post_init__(self) -> None:
        self.kinds = frozenset(h.type for h in self.hits)

    def has(self, kind: str) -> bool:
        """Whether a signal of ``kind`` fired."""
        return kind in self.kinds


def apply_rules(text: str) -> RuleResult:
    """Run every rule over ``text``; spans point into ``text`` as given."""
    norm, index = cached_normalize_map(text)
    # spans in an unchanged text need no mapping
    mapping = None if norm is text or (len(norm) == len(text) and norm == text) else index
    live = _RULE_SET.live(Probe.of(norm))
    spans = {rule: merged_spans(parts, norm) if parts else [] for rule, parts in zip(ALL_RULES, live, strict=True)}
    negated = spans[_RULE_NOT_URGENT]
    hits: list[Hit] = []
    quoted = [m.span(1) for m in REPORTED_SPEECH.finditer(norm)] if any(spans[r] for r in _THREATS) else []
    kind = [m.span() for m in _SENTENCE.finditer(norm) if KIND_REVIEW.search(m.group())] \
        if spans[_REVIEW_THREAT] else []
    for rule in _RULES:
        if spans[rule]:  # explicit urgency does not count where "not urgent" was said, nor a threat someone else made
            skip = negated if rule is _RULES[0] else quoted if rule in _THREATS else None
            if rule is _REVIEW_THREAT:  # nor a review promised kindly
                skip = [*quoted, *kind]
            hits += _hits(rule.kind, spans[rule], mapping, text, skip)
    if spans[_ACCIDENT] and not spans[_PAST]:
        hits += _hits("accident" if spans[_UNHURT] else "emergency", spans[_ACCIDENT], mapping, text)
    # a hearing, a summons, an answer due — with a date, a weekday or "within 20 days" in the message
    if spans[_RULE_LEGAL] and (spans[_RULE_DATED] or spans[_RULE_DEADLINE]):
        hits += _hits("legal_deadline", spans[_RULE_LEGAL][:1], mapping, text)
    anger_score = 2 * len(spans[_RULE_ANGER]) + sum(len(spans[rule]) for rule in _RULES_LOUD)
    if anger_score >= 2:
        for rule in (_RULE_ANGER, *_RULES_LOUD):
            hits += _hits("anger", spans[rule], mapping, text)
    for rule in _RULES_LEAD:
        if spans[rule]:
            hits += _hits(rule.kind, spans[rule], mapping, text)
    if negated:
        hits += [Hit("not_urgent", *_orig(text, index, s, e)) for s, e in negated]
    hits.sort(key=lambda h: (h.start, h.end))
    return RuleResult(hits, anger_score)


def _orig(text: str, index: Sequence[int], start: int, end: int) -> tuple[str, int, int]:
    s, e = span_to_original(index, start, end, len(text))
    return text[s:e], s, e
