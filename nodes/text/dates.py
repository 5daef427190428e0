"""Find dates in Hebrew, Arabic and English text and resolve them to ``YYYY-MM-DD``.

Spans are found with our own patterns (``dateparser`` misreads Hebrew prefixes and "מחר
ב-10", and is slow to import, so it is not used):

* numeric, day first as written in Israel: ``15.1.2026``, ``15/01/26``, ``15-1-2026``;
  ISO ``2026-01-15``; day and month without a year (``15.1``, ``15/01``) only after a
  date word or preposition ("ב-15.1", "עד 15.1", "ליום שישי 23.10", "on 15/1") or, with
  ``/``, when both parts have two digits ("15/01") — so "1.5 מיליון", "3.5 שעות" and
  "24/7" are not dates;
* month names: Hebrew (with ב/ל prefixes, "בחודש", "שנת", abbreviations "בינו'"), English
  ("January 15, 2026", "15 Jan 2026", "Jan 15") and Arabic (Egyptian/Gulf يناير ... and
  Levantine كانون الثاني ... names);
* a month and a year without a day ("בינואר 2027", "in March 2027", "كانون الثاني 2027"):
  the first of that month, with ``extra["precision"] == "month"`` so a caller that needs a
  day can tell. A month without a year ("בינואר", "in March") is not a date;
* relative words, only when a ``reference`` date is given: היום/מחר/מחרתיים/אתמול, בעוד
  שבוע/שבועיים/X ימים, בשבוע הבא (= reference + 7 days), "ביום שני", "ביום ה'", today,
  tomorrow, next week, in 3 days, on Monday, اليوم, بكرة, غدا, بعد بكرة, الأسبوع القادم,
  يوم الخميس. A weekday means its next occurrence strictly after the reference; a
  weekday written right before a date ("ביום חמישי 19.11", "Tuesday 17/11") is that
  date's and adds nothing. "היום" and "اليوم" as "the day" of a clause ("היום שבו",
  "היום שהתקשרתי", "היום הבא", "اليوم اللي") are not today;
* a day of the month without a month, only with a ``reference``: "Thursday the 19th",
  "on the 19th", "by the 25th", "ביום חמישי ה-19", "ב-20 לחודש", "ה-5 לחודש הבא",
  "يوم الخميس الموافق 19", "19 الشهر الجاي" — the first such day on or after the
  reference (next month's when "next month" is written; with a weekday, the first of the
  next three such days that falls on it). A bare "the 19th" must be followed by a
  punctuation mark, the end or a word like "at"/"works"; "the 3rd floor", "the 19th
  century" and "the 5th of each month" are not dates. ``extra`` adds
  ``"month_inferred": True``.

A date without a year takes the reference year (today's when no reference is given)
and moves to the next year when it would fall more than a month before the reference.
Impossible dates (31.2) are dropped. ``extra`` is ``{"relative": bool}`` (plus
``"year_inferred": True`` when the year was not written).
"""

from __future__ import annotations

import datetime as dt
import re

from nodes.text.guard import compile_guarded

from .cache import text_cache
from .context import AR_LETTER, HE_LETTER, reference_context_before
from .match import Match, make_match, original_span, select_non_overlapping, select_spans
from .normalize import cached_normalize_map
from .numbers import parse_english_number, parse_hebrew_number

_HE_MONTHS: dict[str, int] = {
    "ינואר": 1, "פברואר": 2, "מרץ": 3, "מרס": 3, "אפריל": 4, "מאי": 5, "יוני": 6, "יולי": 7,
    "אוגוסט": 8, "ספטמבר": 9, "אוקטובר": 10, "נובמבר": 11, "דצמבר": 12,
    "ינו'": 1, "פבר'": 2, "פב'": 2, "מר'": 3, "אפר'": 4, "יונ'": 6, "יול'": 7, "אוג'": 8,
    "ספט'": 9, "אוק'": 10, "נוב'": 11, "דצמ'": 12, "דצ'": 12,
}
_EN_MONTHS: dict[str, int] = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_AR_MONTHS: dict[str, int] = {
    "يناير": 1, "فبراير": 2, "مارس": 3, "أبريل": 4, "ابريل": 4, "إبريل": 4, "مايو": 5,
    "يونيو": 6, "يونيه": 6, "يوليو": 7, "يوليه": 7, "أغسطس": 8, "اغسطس": 8, "سبتمبر": 9,
    "أكتوبر": 10, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
    "كانون الثاني": 1, "شباط": 2, "آذار": 3, "اذار": 3, "نيسان": 4, "أيار": 5, "ايار": 5,
    "حزيران": 6, "تموز": 7, "آب": 8, "اب": 8, "أيلول": 9, "ايلول": 9, "تشرين الأول": 10,
    "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الأول": 12, "كانون الاول": 12,
}


def _alt(words: dict[str, int]) -> str:
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True))


_D = r"(?P<d>[0-3]?\d)"
#: white space with at most one comma in it, read one way: the white space before the comma
#: and after it are taken whole (nothing after them starts with white space), so a long run of
#: spaces after a month name costs one pass, not one for every way of splitting it in two
_COMMA = r"\s*+(?:,\s*+)?"
_Y4 = r"(?P<y>(?:19|20)\d\d)(?!\d)"

_HE_MONTH_DATE = compile_guarded(
    rf"(?=\d)(?<![\d.,/:]){_D}(?!\d)\s*(?:[בלה]\s?-?\s*)?(?:(?:[בל]|ה)?חודש\s+)?"
    rf"(?P<m>{_alt(_HE_MONTHS)})(?![{HE_LETTER}])"
    rf"(?:{_COMMA}(?:[בל]?-?\s?(?:שנת\s+)?){_Y4})?"
)
_EN_MONTH_FIRST = compile_guarded(
    rf"(?=[JFMASONDjfmasond])\b(?P<m>{_alt(_EN_MONTHS)})\.?\s+(?:the\s+)?{_D}(?:st|nd|rd|th)?\b(?![.:/]\d)"
    rf"(?:{_COMMA}{_Y4})?",
    re.IGNORECASE,
)
_EN_DAY_FIRST = compile_guarded(
    rf"(?=\d)(?<![\d.,/:]){_D}(?:st|nd|rd|th)?\s+(?:day\s+of\s+|of\s+)?(?P<m>{_alt(_EN_MONTHS)})\b\.?"
    rf"(?:{_COMMA}{_Y4})?",
    re.IGNORECASE,
)
_AR_MONTH_DATE = compile_guarded(
    rf"(?=\d)(?<![\d.,/:]){_D}(?!\d)\s*(?:من\s+)?(?:شهر\s+)?[بل]?(?P<m>{_alt(_AR_MONTHS)})(?![{AR_LETTER}])"
    rf"(?:{_COMMA}(?:سنة\s+|عام\s+)?{_Y4})?"
)
#: the days of a month as Arabic ordinals, as contracts write them ("الخامس من آذار 2025")
_AR_UNITS = ["الحادي", "الثاني", "الثالث", "الرابع", "الخامس", "السادس", "السابع", "الثامن", "التاسع"]
_AR_ORDINAL_DAYS: dict[str, int] = {
    "الأول": 1, "الاول": 1, **{w: k + 2 for k, w in enumerate(_AR_UNITS[1:])}, "العاشر": 10,
    **{f"{w} عشر": k + 11 for k, w in enumerate(_AR_UNITS)},
    "العشرين": 20, **{f"{w} والعشرين": k + 21 for k, w in enumerate(_AR_UNITS)},
    "الثلاثين": 30, "الحادي والثلاثين": 31,
}
_AR_ORDINAL_DATE = compile_guarded(
    rf"(?<![{AR_LETTER}])(?:(?:في|يوم|بتاريخ)\s+)?(?P<od>{_alt(_AR_ORDINAL_DAYS)})\s+(?:من\s+)?(?:شهر\s+)?[بل]?"
    rf"(?P<m>{_alt(_AR_MONTHS)})(?![{AR_LETTER}])(?:{_COMMA}(?:سنة\s+|عام\s+)?{_Y4})?"
)
_ISO = compile_guarded(
    r"(?=\d)(?<![\d.,/:])(?<!\d-)(?P<y>(?:19|20)\d\d)(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?![\d]|[.,/-]\d)"
)
_DMY = compile_guarded(
    r"(?=\d)(?<![\d.,/:])(?<!\d-)(?P<d>\d{1,2})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?!\d|[.,/:-]\d)"
)
_DM = compile_guarded(r"(?=\d)(?<![\d.,/:])(?<!\d-)(?P<d>\d{1,2})(?P<sep>[./])(?P<m>\d{1,2})(?!\d|[.,/:-]\d)")
_DATE_PREPOSITION = compile_guarded(
    rf"(?:(?<![{HE_LETTER}])(?:[ובלמה]|מה|עד|עד\s+ה|עד\s+ל|החל\s+מ|תאריך|בתאריך|מתאריך|לתאריך|"
    rf"[ובלמה]?יום\s+[א-ו]'|[ובלמה]?יום\s+\S+)\s?-?\s?|"
    r"\b(?:on|until|till|by|from|date|due|dated|before|after|since)\s+|"
    rf"(?<![{AR_LETTER}])(?:في|حتى|من|بتاريخ|تاريخ|يوم|لغاية)\s+)$",
    re.IGNORECASE,
)
_NOT_A_DATE_AFTER = compile_guarded(
    r"\s?(?:%|₪|\$|€|ש\"ח|שח(?![\u05d0-\u05ea])|שקל|אחוז|מיליון|אלף|[KkM]\b|ק\"ג|kg|ליטר|מ\"ר|"
    r"שעות|שעה|דקות|hours?|minutes?|years?|שנים|km|ק\"מ|million|thousand|mb|gb)",
    re.IGNORECASE,
)

_WEEKDAYS_HE = {
    "ראשון": 6, "שני": 0, "שלישי": 1, "רביעי": 2, "חמישי": 3, "שישי": 4, "שבת": 5,
    "א'": 6, "ב'": 0, "ג'": 1, "ד'": 2, "ה'": 3, "ו'": 4, "ש'": 5,
}
_WEEKDAYS_EN = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5, "sunday": 6,
}
_WEEKDAYS_AR = {
    "الاثنين": 0, "الإثنين": 0, "الثلاثاء": 1, "الأربعاء": 2, "الاربعاء": 2, "الخميس": 3,
    "الجمعة": 4, "السبت": 5, "الأحد": 6, "الاحد": 6,
}
_DAY_OFFSETS = {
    "היום": 0, "מחר": 1, "מחרתיים": 2, "אתמול": -1, "שלשום": -2,
    "today": 0, "tonight": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1, "yesterday": -1,
    "day after tomorrow": 2, "the day after tomorrow": 2,
    "اليوم": 0, "الليلة": 0, "بكرة": 1, "بكره": 1, "بكرا": 1, "غدا": 1, "غد": 1,
    "بعد بكرة": 2, "بعد بكره": 2, "بعد بكرا": 2, "بعد غد": 2,
    "امبارح": -1, "مبارح": -1, "أمس": -1, "امس": -1, "البارحة": -1,
}

_HE_HE = rf"(?<![{HE_LETTER}])"
_HE_END = rf"(?![{HE_LETTER}])"
_AR_START = rf"(?<![{AR_LETTER}])"
_AR_END = rf"(?![{AR_LETTER}])"
_HE_COUNT = r"\d{1,3}|[\u05d0-\u05ea]+(?:\s+ו?[\u05d0-\u05ea]+)?"
_EN_COUNT = r"\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|thirty"

_RELATIVE_HE = compile_guarded(
    "(?=[ולשמהאבתעי])(?:" + "|".join([
        rf"{_HE_HE}[ולשמ]{{0,2}}(?P<he_day>מחרתיים|מחר|היום|אתמול|שלשום){_HE_END}",
        rf"{_HE_HE}ו?(?:ב|תוך\s+)עוד\s+(?P<he_span>יומיים|שבועיים|שבוע|חודשיים|חודש){_HE_END}",
        rf"{_HE_HE}ו?(?:ב|תוך\s+)עוד\s+(?P<he_n>{_HE_COUNT})\s+(?P<he_unit>ימים|יום|שבועות|חודשים){_HE_END}",
        rf"{_HE_HE}[ובל]?-?(?:ה)?שבוע\s+(?:הבא|הקרוב){_HE_END}",
        rf"{_HE_HE}(?:[ובל]|עד\s+)?(?:ה)?יום\s+(?P<he_wd>ראשון|שני|שלישי|רביעי|חמישי|שישי|שבת|[א-ו]')"
        rf"(?:{_HE_END}|(?<='))(?:\s+(?:הבא|הקרוב))?",
        rf"{_HE_HE}[ו]?[בל](?P<he_sat>שבת){_HE_END}(?:\s+(?:הבאה|הקרובה))?",
    ]) + ")"
)
_RELATIVE_EN = compile_guarded(
    "|".join([
        r"(?=[tdyTDY])\b(?P<en_day>(?:the\s+)?day\s+after\s+tomorrow|today|tonight|tomorrow|tmrw|tmr|yesterday)\b",
        rf"(?=[iI])\bin\s+(?P<en_n>{_EN_COUNT})\s+(?P<en_unit>days?|weeks?|months?)\b",
        r"(?=[nN])\bnext\s+week\b",
        r"(?=[ontcmwfsONTCMWFS])\b(?:(?:on|next|this|coming)\s+)?(?P<en_wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    ]),
    re.IGNORECASE,
)
_RELATIVE_AR = compile_guarded(
    "|".join([
        rf"{_AR_START}و?(?P<ar_day>بعد\s+بكرة|بعد\s+بكره|بعد\s+بكرا|بعد\s+غد|اليوم|الليلة|بكرة|بكره|بكرا|غدا|"
        rf"امبارح|مبارح|أمس|امس|البارحة){_AR_END}",
        rf"{_AR_START}(?:ال)?(?:أسبوع|اسبوع|جمعة)\s+(?:ال)?(?:قادم|جاي|مقبل|جاية){_AR_END}",
        rf"{_AR_START}(?:يوم\s+)?(?P<ar_wd>الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|الأحد|الاحد){_AR_END}",
    ])
)
_HAS_HE = compile_guarded(r"[\u05d0-\u05ea]")
_HE_RELATIVE_HINT = compile_guarded(r"מחר|היום|אתמול|שלשום|עוד|שבוע|יום|שבת")
_HAS_AR = compile_guarded(r"[\u0620-\u064a]")
_HAS_LATIN = compile_guarded(r"[A-Za-z]")
_HAS_DIGIT = compile_guarded(r"\d")
#: a letter: every date preposition holds one
_LETTER = compile_guarded(r"[^\W\d_]")


#: a month and a year without a day: "בינואר 2027", "in March 2027", "كانون الثاني 2027"
# Both start at a letter of their script (a cheap test at each position of a long text): a
# match that began at the white space or hyphen before a month name now begins at the month,
# and only the month's start (m0) and the end are read.
_HE_MONTH_YEAR = compile_guarded(
    rf"(?=[{HE_LETTER}])(?<![{HE_LETTER}\d])(?:[ובלמה]{{0,2}}-?\s?|עד\s+|החל\s+מ-?)?(?:(?:[בל]|ה)?חודש\s+)?"
    rf"(?P<m0>(?P<m>{_alt(_HE_MONTHS)}))(?![{HE_LETTER}]){_COMMA}(?:[בל]?-?\s?(?:שנת\s+)?){_Y4}"
)
_EN_MONTH_YEAR = compile_guarded(
    rf"(?=[JFMASONDjfmasond])\b(?P<m0>(?P<m>{_alt(_EN_MONTHS)}))\.?,?\s+(?:of\s+)?{_Y4}",
    re.IGNORECASE,
)
_AR_MONTH_YEAR = compile_guarded(
    rf"(?=[{AR_LETTER}]){_AR_START}(?:(?:في|من|حتى|لغاية)\s+)?(?:شهر\s+)?[بل]?(?P<m0>(?P<m>{_alt(_AR_MONTHS)}))(?![{AR_LETTER}])"
    rf"{_COMMA}(?:سنة\s+|عام\s+)?{_Y4}"
)
_YEAR_HINT = compile_guarded(r"(?<![\d./])(?<!\d-)(?:19|20)\d\d(?!\d)")  # not the year of 24.6.2027
#: two numbers joined by a date separator: the numeric patterns need one
_NUMERIC_HINT = compile_guarded(r"\d[./-]\d")

#: a day of the month without a month: "Thursday the 19th", "on the 19th", "ביום חמישי ה-19",
#: "ה-19 לחודש (הבא)", "يوم الخميس الموافق 19", "19 الشهر الجاي"
_EN_WD = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues|tue|wed|thurs|thur|thu|fri|sat|sun"
)
_EN_WD_ABBR = {
    "mon": "monday", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday", "thu": "thursday",
    "thur": "thursday", "thurs": "thursday", "fri": "friday", "sat": "saturday", "sun": "sunday",
}
_EN_DAY_OF_MONTH = compile_guarded(
    rf"(?=[a-zA-Z])\b(?:(?:(?:on|next|this|coming)\s+)?(?P<en_wd>{_EN_WD})\.?,?\s+(?:the\s+)?"
    r"|(?P<en_prep>on|by|until|till|before|after|from|since|due|starting|ending|for)\s+the\s+"
    r"|(?P<en_bare>the)\s+)"
    r"(?P<d>[0-3]?\d)(?:st|nd|rd|th)\b(?![.:/]\d)"
    r"(?!\s+(?:of\s+)?(?:each|every)\b)"
    r"(?:\s+of\s+(?:(?P<next>next|the\s+next|the\s+coming)|this|the)\s+month\b)?",
    re.IGNORECASE,
)
_EN_ORDINAL_HINT = compile_guarded(r"\d(?:st|nd|rd|th)\b", re.IGNORECASE)
#: what may follow a bare "the 19th" for it to be a date
_EN_BARE_ORDINAL_OK = compile_guarded(
    r"[ \t]*(?:$|\n|[.,;:!?)\-\u2013])|\s+@|\s+\d|\s+(?:at|or|and|between|from|to|till|until|in\s+the|"
    r"morning|afternoon|evening|works?|is|would|could|should|then|please|if|ok|okay|instead|for)\b",
    re.IGNORECASE,
)
#: "on the 3rd floor": an ordinal before one of these nouns is not a day
_EN_ORDINAL_NOUN = compile_guarded(
    r"\s+(?:floor|time|times|century|place|grade|row|anniversary|birthday|edition|option|attempt|person|one|ones|"
    r"item|payment|installment|instalment|page|line|chapter|street|avenue|round|generation|level|quarter|half|"
    r"year|week|day|month|hour|minute|lesson|session|visit|child|kid|son|daughter|house|building|door|seat|"
    r"class|stage|step|phase|order|invoice)s?\b",
    re.IGNORECASE,
)
_HE_DAY_OF_MONTH = compile_guarded(
    rf"{_HE_HE}(?:[ובל]|עד\s+)?(?:ה)?יום\s+(?P<he_wd>ראשון|שני|שלישי|רביעי|חמישי|שישי|שבת|[א-ו]')(?:{_HE_END}|(?<='))"
    rf"{_COMMA}(?:ה|ב-?ה)\s?-?\s?(?P<d>[0-3]?\d)(?![\d.,/:'\"%]|\s?-?\s?(?:ב|ל)?(?:שעה|שעות|דקות))"
    rf"(?:\s+(?:ל|ב)חודש(?:\s+(?P<next>הבא|הקרוב))?{_HE_END})?"
    rf"|{_HE_HE}(?:[ובה]|עד\s+ה?|מה|החל\s+מה)\s?-?\s?(?<![\d.,/:])(?P<d2>[0-3]?\d)\s+לחודש"
    rf"(?:\s+(?P<next2>הבא|הקרוב))?{_HE_END}"
)
_HE_DAY_OF_MONTH_HINT = compile_guarded(rf"לחודש|יום\s+\S+{_COMMA}(?:ה|בה)\s?-?\s?\d")
_AR_DAY_OF_MONTH = compile_guarded(
    rf"{_AR_START}(?:يوم\s+)?(?P<ar_wd>الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|الأحد|الاحد)"
    rf"{_COMMA}(?P<ar_mwafiq>الموافق\s+)?(?P<d>[0-3]?\d)(?![\d.,/:])(?!\s*(?:ص|م|الصبح|الصباح|المسا|مساء|صباحا)(?![{AR_LETTER}]))"
    rf"|{_AR_START}(?:يوم\s+|ب|في\s+)?(?<![\d.,/:])(?P<d3>[0-3]?\d)\s+(?:من\s+)?(?:ال|هال)شهر"
    rf"(?:\s+(?P<next3>الجاي|القادم|المقبل|الجاية))?(?![{AR_LETTER}])"
)
_AR_DAY_OF_MONTH_HINT = compile_guarded(
    r"الشهر|هالشهر|الموافق|الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|الأحد|الاحد"
)

#: after "היום": the day of a clause ("היום שבו", "היום שהתקשרתי", "היום של החתונה", "היום
#: הבא"), not today. A ש-word that is a weekday, a number or a verb whose root starts with ש
#: ("היום שלחתי", "היום שילמתי", "היום שני") still means today.
_HE_SH_WORDS = (
    "שני|שלישי|שישי|שבת|שלוש|שלושה|שתיים|שתי|שש|שישה|שבע|שבעה|שמונה|שעה|שעתיים|שוב|שם|שנה|"
    "שלחתי|שלחנו|שלחת|שלחה|שלחו|שלח|שילמתי|שילמנו|שילמת|שילמה|שילמו|שילם|שולם|שולמה|שולמו|"
    "שמעתי|שמענו|שמעו|שמע|שאלתי|שאלנו|שאלו|שאל|שכחתי|שכחנו|שכחו|שכח|שמתי|שמנו|שמו|שברתי|שברנו|שבר|"
    "שוחחתי|שוחחנו|שיניתי|שינינו|שינו|שכרתי|שכרנו|שמרתי|שמרנו|שתיתי|שטפתי|שיחקתי|שיחקנו|שיפצתי|שיפצנו|שיפצו|"
    "שריינתי|שריינו|שחררתי|שחררנו|שיחררתי|שוחרר|שוחררה|שלפתי|שקלתי|שקלנו|שמחתי|שמחנו|שיתפתי|שיתפנו|"
    "שדרגתי|שדרגנו|שודרג|שיבצתי|שיבצנו|שובץ|שובצה|שכנעתי|שוריין|שופץ|שונה|שונו|שינה"
)
_HE_THE_DAY_AFTER = compile_guarded(
    rf"\s+(?:(?!(?:{_HE_SH_WORDS}){_HE_END})ש[{HE_LETTER}]|"
    rf"ה(?:בא|קודם|אחרון|ראשון|שני|שלישי|רביעי|חמישי|שישי|שביעי|הוא|המיוחד|הגדול|המיועד|המדובר|הנ\"ל|הנל){_HE_END})"
)
_AR_THE_DAY_AFTER = compile_guarded(
    rf"\s+(?:الذي|اللي|إللي|الي|اللى|يلي|التالي|اللاحق|السابق|الأول|الاول|الأخير|الاخير|الثاني|نفسه|ذاته|المحدد"
    rf"|المتفق|الموعود)(?![{AR_LETTER}])"
)


def _year(y: str | None, reference: dt.date) -> tuple[int, bool]:
    if y is None:
        return reference.year, True
    n = int(y)
    if len(y) == 2:
        n += 2000 if n < 70 else 1900
    return n, False


def _make_date(day: int, month: int, year: int, inferred: bool, reference: dt.date) -> dt.date | None:
    try:
        value = dt.date(year, month, day)
    except ValueError:
        if not inferred:
            return None
        value = None
    if inferred:
        floor = reference - dt.timedelta(days=31)
        # Feb 29 needs a leap year: look a few years ahead.
        for y in range(year, year + 5):
            try:
                cand = dt.date(y, month, day)
            except ValueError:
                continue
            if cand >= floor:
                return cand
        return value
    return value


def _add_months(d: dt.date, months: int) -> dt.date:
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    for day in range(d.day, 27, -1):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    return dt.date(year, month, min(d.day, 28))


def _next_weekday(reference: dt.date, weekday: int) -> dt.date:
    delta = (weekday - reference.weekday()) % 7 or 7
    return reference + dt.timedelta(days=delta)


def _count(token: str) -> int | None:
    token = token.strip().lower()
    if token.isdigit():
        return int(token)
    if token in ("a", "an"):
        return 1
    n = parse_english_number(token)
    if n is None:
        n = parse_hebrew_number(token)
    return int(n) if n is not None and n == int(n) and n > 0 else None


def _resolve_relative(m: re.Match[str], reference: dt.date) -> dt.date | None:
    # groups of another alternative or another pattern are absent or None: read them with .get
    g = m.groupdict()
    if day := g.get("he_day"):
        return reference + dt.timedelta(days=_DAY_OFFSETS[day])
    if day := g.get("en_day"):
        return reference + dt.timedelta(days=_DAY_OFFSETS[re.sub(r"\s+", " ", day.lower())])
    if day := g.get("ar_day"):
        return reference + dt.timedelta(days=_DAY_OFFSETS[re.sub(r"\s+", " ", day)])
    if span := g.get("he_span"):
        if span.startswith("חודש"):
            return _add_months(reference, 2 if span == "חודשיים" else 1)
        return reference + dt.timedelta(days={"יומיים": 2, "שבוע": 7, "שבועיים": 14}[span])
    for n_key, unit_key in (("he_n", "he_unit"), ("en_n", "en_unit")):
        if count := g.get(n_key):
            n = _count(count)
            if n is None:
                return None
            unit = str(g.get(unit_key) or "").lower()
            if unit.startswith(("חודש", "month")):
                return _add_months(reference, n)
            days = 7 * n if unit.startswith(("שבוע", "week")) else n
            return reference + dt.timedelta(days=days)
    if wd := g.get("he_wd"):
        return _next_weekday(reference, _WEEKDAYS_HE[wd])
    if g.get("he_sat"):
        return _next_weekday(reference, 5)
    if wd := g.get("en_wd"):
        return _next_weekday(reference, _WEEKDAYS_EN[wd.lower()])
    if wd := g.get("ar_wd"):
        return _next_weekday(reference, _WEEKDAYS_AR[wd])
    # "next week" / "בשבוע הבא" / "الأسبوع القادم"
    return reference + dt.timedelta(days=7)


def _month_number(name: str, table: dict[str, int]) -> int:
    key = re.sub(r"\s+", " ", name).lower().rstrip(".")
    return table[key]


def find_dates(text: str, reference: dt.date | None = None) -> list[Match]:
    """Find dates in ``text``; ``value`` is ``"YYYY-MM-DD"``.

    Relative words ("מחר", "next week") and days of the month without a month ("the
    19th", "ביום חמישי ה-19") are resolved against ``reference`` and skipped when it is
    ``None``. A month with a year but no day ("בינואר 2027", "in March 2027") is the first
    of that month with ``extra["precision"] == "month"``. See the module docstring.
    """
    return list(_find_dates(text, reference))


#: an absolute date as written, before it is resolved: (start, end, day, month, year or
#: None when not written, month precision) with ``start``/``end`` in the normalised text
_Raw = tuple[int, int, int, int, int | None, bool]


@text_cache
def _absolute(text: str) -> tuple[_Raw, ...]:
    """The absolute (numeric and month-name) dates of ``text``, unresolved.

    Shared by :func:`find_dates` with and without a reference and by the amount finder
    (which needs only their spans), so each text is scanned once.
    """
    norm, _ = cached_normalize_map(text)
    digit, he, latin, ar = _scripts(text)
    if not digit:
        return ()
    found: list[_Raw] = []
    for has_script, pattern, table in (
        (he, _HE_MONTH_DATE, _HE_MONTHS),
        (latin, _EN_MONTH_FIRST, _EN_MONTHS),
        (latin, _EN_DAY_FIRST, _EN_MONTHS),
        (ar, _AR_MONTH_DATE, _AR_MONTHS),
    ):
        if not has_script:
            continue
        for m in pattern.finditer(norm):
            if m.group("m") == "may" or m.group("m") == "mar":
                continue  # lowercase "may"/"mar" are usually words, not months
            y = m.group("y")
            found.append((m.start(), m.end(), int(m.group("d")), _month_number(m.group("m"), table),
                          int(y) if y else None, False))
    if ar:
        for m in _AR_ORDINAL_DATE.finditer(norm):
            y = m.group("y")
            day = _AR_ORDINAL_DAYS.get(" ".join(m.group("od").split()))
            if day is not None:
                found.append((m.start("od"), m.end(), day, _month_number(m.group("m"), _AR_MONTHS),
                              int(y) if y else None, False))
    if _YEAR_HINT.search(norm):
        for has_script, pattern, table in (
            (he, _HE_MONTH_YEAR, _HE_MONTHS),
            (latin, _EN_MONTH_YEAR, _EN_MONTHS),
            (ar, _AR_MONTH_YEAR, _AR_MONTHS),
        ):
            if not has_script:
                continue
            for m in pattern.finditer(norm):
                if m.group("m") == "may" or m.group("m") == "mar":
                    continue
                found.append((m.start("m0"), m.end(), 1, _month_number(m.group("m"), table), int(m.group("y")), True))
    if _NUMERIC_HINT.search(norm) is None:
        return tuple(found)
    for m in _ISO.finditer(norm):
        if m.start() > 0 and norm[m.start() - 1].isalpha() and norm[m.start() - 1].isascii():
            continue
        found.append((m.start(), m.end(), int(m.group("d")), int(m.group("m")), int(m.group("y")), False))
    for m in _DMY.finditer(norm):
        if m.start() > 0 and norm[m.start() - 1].isascii() and norm[m.start() - 1].isalpha():
            continue
        if reference_context_before(norm, m.start()) or _NOT_A_DATE_AFTER.match(norm, m.end()):
            continue
        year, _ = _year(m.group("y"), _ANY_DAY)
        found.append((m.start(), m.end(), int(m.group("d")), int(m.group("m")), year, False))
    for m in _DM.finditer(norm):
        d, mo = m.group("d"), m.group("m")
        if m.start() > 0 and norm[m.start() - 1].isascii() and norm[m.start() - 1].isalpha():
            continue
        if _NOT_A_DATE_AFTER.match(norm, m.end()) or reference_context_before(norm, m.start()):
            continue
        # the words that make "4.2" a date stand before it on its own line: after the previous line's "ביום
        # 29.2.2028", a clause numbered "4.2" is no date
        lo = max(0, m.start() - 20, norm.rfind("\n", 0, m.start()) + 1)
        context = _LETTER.search(norm, lo, m.start()) is not None and (
            _DATE_PREPOSITION.search(norm[lo:m.start()]) is not None
        )
        if not context and not (m.group("sep") == "/" and len(d) == 2 and len(mo) == 2):
            continue
        found.append((m.start(), m.end(), int(d), int(mo), None, False))
    return tuple(found)


def absolute_date_spans(text: str) -> list[tuple[int, int]]:
    """The spans (in ``text``) of the dates :func:`find_dates` finds without a reference.

    What the amount finder must not read as money; cheaper than building the matches.
    """
    if not _absolute(text):
        return []
    _, index = cached_normalize_map(text)
    today = dt.date.today()
    spans = [
        original_span(text, index, start, end)
        for start, end, day, month, year, _ in _absolute(text)
        if _make_date(day, month, today.year if year is None else year, year is None, today) is not None
    ]
    return select_spans(spans)


@text_cache
def _scripts(text: str) -> tuple[bool, bool, bool, bool]:
    """Whether the normalised ``text`` has digits, Hebrew, Latin and Arabic letters."""
    norm, _ = cached_normalize_map(text)
    return (_HAS_DIGIT.search(norm) is not None, _HAS_HE.search(norm) is not None,
            _HAS_LATIN.search(norm) is not None, _HAS_AR.search(norm) is not None)


#: any date: ``_year`` needs a reference only for a year that is not written
_ANY_DAY = dt.date(2000, 1, 1)


def _day_of_month(reference: dt.date, day: int, weekday: int | None, next_month: bool) -> dt.date | None:
    """Day ``day`` of next month, or the first such day on or after ``reference``.

    With a weekday ("Thursday the 19th") the first of the next three such days that falls
    on it wins; when none does, the first such day.
    """
    first: dt.date | None = None
    seen = 0
    start = 1 if next_month else 0
    for k in range(start, start + 14):
        years, month0 = divmod(reference.month - 1 + k, 12)
        try:
            cand = dt.date(reference.year + years, month0 + 1, day)
        except ValueError:
            continue
        if cand < reference:
            continue
        if next_month or weekday is None or cand.weekday() == weekday:
            return cand
        first = first or cand
        seen += 1
        if seen == 3:
            break
    return first


def _day_of_month_match(m: re.Match[str], norm: str, reference: dt.date) -> dt.date | None:
    """Resolve a match of one of the day-of-month patterns (``None``: not a date)."""
    g = m.groupdict()
    day = int(g.get("d") or g.get("d2") or g.get("d3") or 0)
    if not 1 <= day <= 31:
        return None
    weekday: int | None = None
    if g.get("en_wd"):
        weekday = _WEEKDAYS_EN[_EN_WD_ABBR.get(g["en_wd"].lower().rstrip("."), g["en_wd"].lower().rstrip("."))]
    elif g.get("he_wd"):
        weekday = _WEEKDAYS_HE[g["he_wd"]]
    elif g.get("ar_wd"):
        weekday = _WEEKDAYS_AR[g["ar_wd"]]
    if g.get("en_bare") and not _EN_BARE_ORDINAL_OK.match(norm, m.end()):
        return None  # "the 3rd one", "the 19th century"
    if g.get("en_prep") and _EN_ORDINAL_NOUN.match(norm, m.end()):
        return None  # "on the 3rd floor"
    if g.get("ar_wd") and not g.get("ar_mwafiq") and day <= 12:
        return None  # "الخميس 10" is more likely an hour than a date
    return _day_of_month(reference, day, weekday, bool(g.get("next") or g.get("next2") or g.get("next3")))


@text_cache
def _find_dates(text: str, reference: dt.date | None) -> tuple[Match, ...]:
    norm, index = cached_normalize_map(text)
    ref = reference or dt.date.today()
    candidates: list[tuple[float, Match]] = []

    def add(start: int, end: int, value: dt.date | None, extra: dict[str, object]) -> None:
        if value is not None:
            candidates.append((1.0, make_match("date", text, index, start, end, value.isoformat(), extra)))

    absolute = _absolute(text)
    for start, end, day, month, year, month_only in absolute:
        if year is None:
            add(start, end, _make_date(day, month, ref.year, True, ref), {"relative": False, "year_inferred": True})
        elif month_only:
            add(start, end, _make_date(day, month, year, False, ref), {"relative": False, "precision": "month"})
        else:
            add(start, end, _make_date(day, month, year, False, ref), {"relative": False})

    if reference is not None:
        digit, he, latin, ar = _scripts(text)
        date_starts = frozenset(start for start, *_ in absolute)
        for script, pattern in ((he and _HE_RELATIVE_HINT.search(norm) is not None, _RELATIVE_HE),
                                (latin, _RELATIVE_EN), (ar, _RELATIVE_AR)):
            if script:
                for m in pattern.finditer(norm):
                    if _not_today(m, norm) or _weekday_of_date(m, norm, date_starts):
                        continue
                    add(m.start(), m.end(), _resolve_relative(m, reference), {"relative": True})
        if digit:
            for script, hint, pattern in ((he, _HE_DAY_OF_MONTH_HINT, _HE_DAY_OF_MONTH),
                                          (latin, _EN_ORDINAL_HINT, _EN_DAY_OF_MONTH),
                                          (ar, _AR_DAY_OF_MONTH_HINT, _AR_DAY_OF_MONTH)):
                if script and hint.search(norm):
                    for m in pattern.finditer(norm):
                        add(m.start(), m.end(), _day_of_month_match(m, norm, reference),
                            {"relative": True, "month_inferred": True})

    return tuple(select_non_overlapping(candidates))


_WEEKDAY_GROUPS = ("he_wd", "en_wd", "ar_wd")
_WEEKDAY_TO_DATE = compile_guarded(r"[\s,]*(?:ה\s?-?\s?|the\s+|الموافق\s+)?")


def _weekday_of_date(m: re.Match[str], norm: str, date_starts: frozenset[int]) -> bool:
    """Whether a weekday match names the weekday of the date written right after it
    ("ביום חמישי 19.11", "on Monday, 16/11/2026"): then the date says which day it is.

    ``date_starts`` are the starts of the absolute dates (a set: a text with many weekdays
    and many dates is not compared pair by pair).
    """
    if not date_starts or not any(g in m.re.groupindex and m.group(g) for g in _WEEKDAY_GROUPS):
        return False
    gap_end = _WEEKDAY_TO_DATE.match(norm, m.end()).end()  # type: ignore[union-attr]
    return gap_end in date_starts


def _not_today(m: re.Match[str], norm: str) -> bool:
    """Whether "היום"/"اليوم" here is "the day" of a clause ("היום שבו", "اليوم اللي"), not today."""
    day = m.group("he_day") if "he_day" in m.re.groupindex else None
    if day == "היום":
        return _HE_THE_DAY_AFTER.match(norm, m.end()) is not None
    day = m.group("ar_day") if "ar_day" in m.re.groupindex else None
    if day == "اليوم":
        return _AR_THE_DAY_AFTER.match(norm, m.end()) is not None
    return False
