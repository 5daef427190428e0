"""Find dates in Hebrew, Arabic and English text and resolve them to ``YYYY-MM-DD``.

Spans are found with our own patterns (``dateparser`` misreads Hebrew prefixes and "מחר
ב-10", and is slow to import, so it is not used):

* numeric, day first as written in Israel: ``15.1.2026``, ``15/01/26``, ``15-1-2026``;
  ISO ``2026-01-15``; day and month without a year (``15.1``, ``15/01``) only after a
  date word or preposition ("ב-15.1", "עד 15.1", "on 15/1") or, with ``/``, when both parts
  have two digits ("15/01") — so "1.5 מיליון", "3.5 שעות" and "24/7" are not dates;
* month names: Hebrew (with ב/ל prefixes, "בחודש", "שנת", abbreviations "בינו'"), English
  ("January 15, 2026", "15 Jan 2026", "Jan 15") and Arabic (Egyptian/Gulf يناير ... and
  Levantine كانون الثاني ... names);
* relative words, only when a ``reference`` date is given: היום/מחר/מחרתיים/אתמול, בעוד
  שבוע/שבועיים/X ימים, בשבוע הבא (= reference + 7 days), "ביום שני", "ביום ה'", today,
  tomorrow, next week, in 3 days, on Monday, اليوم, بكرة, غدا, بعد بكرة, الأسبوع القادم,
  يوم الخميس. A weekday means its next occurrence strictly after the reference.

A date without a year takes the reference year (today's when no reference is given)
and moves to the next year when it would fall more than a month before the reference.
Impossible dates (31.2) are dropped. ``extra`` is ``{"relative": bool}`` (plus
``"year_inferred": True`` when the year was not written).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from .context import AR_LETTER, HE_LETTER, reference_context_before
from .match import Match, make_match, select_non_overlapping
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
_Y4 = r"(?P<y>(?:19|20)\d\d)(?!\d)"

_HE_MONTH_DATE = re.compile(
    rf"(?=\d)(?<![\d.,/:]){_D}(?!\d)\s*(?:[בלה]\s?-?\s*)?(?:(?:[בל]|ה)?חודש\s+)?"
    rf"(?P<m>{_alt(_HE_MONTHS)})(?![{HE_LETTER}])"
    rf"(?:\s*,?\s*(?:[בל]?-?\s?(?:שנת\s+)?){_Y4})?"
)
_EN_MONTH_FIRST = re.compile(
    rf"(?=[JFMASONDjfmasond])\b(?P<m>{_alt(_EN_MONTHS)})\.?\s+(?:the\s+)?{_D}(?:st|nd|rd|th)?\b(?![.:/]\d)"
    rf"(?:\s*,?\s*{_Y4})?",
    re.IGNORECASE,
)
_EN_DAY_FIRST = re.compile(
    rf"(?=\d)(?<![\d.,/:]){_D}(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{_alt(_EN_MONTHS)})\b\.?"
    rf"(?:\s*,?\s*{_Y4})?",
    re.IGNORECASE,
)
_AR_MONTH_DATE = re.compile(
    rf"(?=\d)(?<![\d.,/:]){_D}(?!\d)\s*(?:من\s+)?(?:شهر\s+)?[بل]?(?P<m>{_alt(_AR_MONTHS)})(?![{AR_LETTER}])"
    rf"(?:\s*,?\s*(?:سنة\s+|عام\s+)?{_Y4})?"
)
_ISO = re.compile(
    r"(?=\d)(?<![\d.,/:])(?<!\d-)(?P<y>(?:19|20)\d\d)(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})"
    r"(?![\d]|[.,/-]\d)"
)
_DMY = re.compile(
    r"(?=\d)(?<![\d.,/:])(?<!\d-)(?P<d>\d{1,2})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})(?!\d|[.,/:-]\d)"
)
_DM = re.compile(r"(?=\d)(?<![\d.,/:])(?<!\d-)(?P<d>\d{1,2})(?P<sep>[./])(?P<m>\d{1,2})(?!\d|[.,/:-]\d)")
_DATE_PREPOSITION = re.compile(
    rf"(?:(?<![{HE_LETTER}])(?:[ובלמה]|מה|עד|עד\s+ה|עד\s+ל|החל\s+מ|תאריך|בתאריך|מתאריך|לתאריך|"
    rf"יום\s+[א-ו]'|יום\s+\S+)\s?-?\s?|"
    r"\b(?:on|until|till|by|from|date|due|dated|before|after|since)\s+|"
    rf"(?<![{AR_LETTER}])(?:في|حتى|من|بتاريخ|تاريخ|يوم|لغاية)\s+)$",
    re.IGNORECASE,
)
_NOT_A_DATE_AFTER = re.compile(
    r"^\s?(?:%|₪|\$|€|ש\"ח|שח(?![\u05d0-\u05ea])|שקל|אחוז|מיליון|אלף|[KkM]\b|ק\"ג|kg|ליטר|מ\"ר|"
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

_RELATIVE_HE = re.compile(
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
_RELATIVE_EN = re.compile(
    "|".join([
        r"(?=[tdyTDY])\b(?P<en_day>(?:the\s+)?day\s+after\s+tomorrow|today|tonight|tomorrow|tmrw|tmr|yesterday)\b",
        rf"(?=[iI])\bin\s+(?P<en_n>{_EN_COUNT})\s+(?P<en_unit>days?|weeks?|months?)\b",
        r"(?=[nN])\bnext\s+week\b",
        r"(?=[ontcmwfsONTCMWFS])\b(?:(?:on|next|this|coming)\s+)?(?P<en_wd>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    ]),
    re.IGNORECASE,
)
_RELATIVE_AR = re.compile(
    "|".join([
        rf"{_AR_START}و?(?P<ar_day>بعد\s+بكرة|بعد\s+بكره|بعد\s+بكرا|بعد\s+غد|اليوم|الليلة|بكرة|بكره|بكرا|غدا|"
        rf"امبارح|مبارح|أمس|امس|البارحة){_AR_END}",
        rf"{_AR_START}(?:ال)?(?:أسبوع|اسبوع|جمعة)\s+(?:ال)?(?:قادم|جاي|مقبل|جاية){_AR_END}",
        rf"{_AR_START}(?:يوم\s+)?(?P<ar_wd>الاثنين|الإثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|السبت|الأحد|الاحد){_AR_END}",
    ])
)
_HAS_HE = re.compile(r"[\u05d0-\u05ea]")
_HE_RELATIVE_HINT = re.compile(r"מחר|היום|אתמול|שלשום|עוד|שבוע|יום|שבת")
_HAS_AR = re.compile(r"[\u0620-\u064a]")
_HAS_LATIN = re.compile(r"[A-Za-z]")
_HAS_DIGIT = re.compile(r"\d")


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


_GROUPS = ("he_day", "en_day", "ar_day", "he_span", "he_n", "he_unit", "en_n", "en_unit", "he_wd", "he_sat",
           "en_wd", "ar_wd")


def _resolve_relative(m: re.Match[str], reference: dt.date) -> dt.date | None:
    g: dict[str, str] = {key: "" for key in _GROUPS} | {k: v or "" for k, v in m.groupdict().items()}
    if g["he_day"]:
        return reference + dt.timedelta(days=_DAY_OFFSETS[g["he_day"]])
    if g["en_day"]:
        return reference + dt.timedelta(days=_DAY_OFFSETS[re.sub(r"\s+", " ", g["en_day"].lower())])
    if g["ar_day"]:
        return reference + dt.timedelta(days=_DAY_OFFSETS[re.sub(r"\s+", " ", g["ar_day"])])
    if g["he_span"]:
        span = g["he_span"]
        if span.startswith("חודש"):
            return _add_months(reference, 2 if span == "חודשיים" else 1)
        return reference + dt.timedelta(days={"יומיים": 2, "שבוע": 7, "שבועיים": 14}[span])
    for n_key, unit_key in (("he_n", "he_unit"), ("en_n", "en_unit")):
        if g[n_key]:
            n = _count(g[n_key])
            if n is None:
                return None
            unit = g[unit_key].lower()
            if unit.startswith(("חודש", "month")):
                return _add_months(reference, n)
            days = 7 * n if unit.startswith(("שבוע", "week")) else n
            return reference + dt.timedelta(days=days)
    if g["he_wd"]:
        return _next_weekday(reference, _WEEKDAYS_HE[g["he_wd"]])
    if g["he_sat"]:
        return _next_weekday(reference, 5)
    if g["en_wd"]:
        return _next_weekday(reference, _WEEKDAYS_EN[g["en_wd"].lower()])
    if g["ar_wd"]:
        return _next_weekday(reference, _WEEKDAYS_AR[g["ar_wd"]])
    # "next week" / "בשבוע הבא" / "الأسبوع القادم"
    return reference + dt.timedelta(days=7)


def _month_number(name: str, table: dict[str, int]) -> int:
    key = re.sub(r"\s+", " ", name).lower().rstrip(".")
    return table[key]


def find_dates(text: str, reference: dt.date | None = None) -> list[Match]:
    """Find dates in ``text``; ``value`` is ``"YYYY-MM-DD"``.

    Relative words ("מחר", "next week") are resolved against ``reference`` and skipped when
    it is ``None``. See the module docstring for the formats understood.
    """
    return list(_find_dates(text, reference))


@lru_cache(maxsize=32)
def _find_dates(text: str, reference: dt.date | None) -> tuple[Match, ...]:
    norm, index = cached_normalize_map(text)
    ref = reference or dt.date.today()
    candidates: list[tuple[float, Match]] = []

    def add(start: int, end: int, value: dt.date | None, relative: bool, inferred: bool = False) -> None:
        if value is None:
            return
        extra: dict[str, bool] = {"relative": relative}
        if inferred:
            extra["year_inferred"] = True
        candidates.append((1.0, make_match("date", text, index, start, end, value.isoformat(), extra)))

    has_digit = _HAS_DIGIT.search(norm) is not None
    if has_digit:
        for has_script, pattern, table in (
            (_HAS_HE, _HE_MONTH_DATE, _HE_MONTHS),
            (_HAS_LATIN, _EN_MONTH_FIRST, _EN_MONTHS),
            (_HAS_LATIN, _EN_DAY_FIRST, _EN_MONTHS),
            (_HAS_AR, _AR_MONTH_DATE, _AR_MONTHS),
        ):
            if not has_script.search(norm):
                continue
            for m in pattern.finditer(norm):
                if m.group("m") == "may" or m.group("m") == "mar":
                    continue  # lowercase "may"/"mar" are usually words, not months
                year, inferred = _year(m.group("y"), ref)
                value = _make_date(int(m.group("d")), _month_number(m.group("m"), table), year, inferred, ref)
                add(m.start(), m.end(), value, False, inferred)
        for m in _ISO.finditer(norm):
            if m.start() > 0 and norm[m.start() - 1].isalpha() and norm[m.start() - 1].isascii():
                continue
            add(m.start(), m.end(), _make_date(int(m.group("d")), int(m.group("m")), int(m.group("y")),
                                               False, ref), False)
        for m in _DMY.finditer(norm):
            if m.start() > 0 and norm[m.start() - 1].isascii() and norm[m.start() - 1].isalpha():
                continue
            if reference_context_before(norm, m.start()) or _NOT_A_DATE_AFTER.match(norm[m.end():]):
                continue
            year, inferred = _year(m.group("y"), ref)
            add(m.start(), m.end(), _make_date(int(m.group("d")), int(m.group("m")), year, False, ref), False)
        for m in _DM.finditer(norm):
            d, mo = m.group("d"), m.group("m")
            before = norm[max(0, m.start() - 20):m.start()]
            if m.start() > 0 and norm[m.start() - 1].isascii() and norm[m.start() - 1].isalpha():
                continue
            if _NOT_A_DATE_AFTER.match(norm[m.end():]) or reference_context_before(norm, m.start()):
                continue
            context = _DATE_PREPOSITION.search(before) is not None
            if not context and not (m.group("sep") == "/" and len(d) == 2 and len(mo) == 2):
                continue
            year, inferred = _year(None, ref)
            add(m.start(), m.end(), _make_date(int(d), int(mo), year, True, ref), False, True)

    if reference is not None:
        for has_script, pattern in ((_HE_RELATIVE_HINT, _RELATIVE_HE), (_HAS_LATIN, _RELATIVE_EN),
                                    (_HAS_AR, _RELATIVE_AR)):
            if has_script.search(norm):
                for m in pattern.finditer(norm):
                    add(m.start(), m.end(), _resolve_relative(m, reference), True)

    return tuple(select_non_overlapping(candidates))
