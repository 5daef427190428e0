"""Find money amounts: digits or number words with a currency, or a bare number right
after a price word ("המחיר 1,500", "amount: 300").

``value`` is ``{"amount": float, "currency": "ILS"|"USD"|"EUR"|"GBP"|None}``; ``extra`` may
hold ``period`` (``month``/``year``/``week``/``hour``/``quarter``, only when a period word
follows the amount — never guessed) and ``vat`` (``plus``/``included``).

Not amounts: phone numbers, dates, percentages, IDs, years, durations ("30 ימים") and bare
numbers without a currency or a price word.
"""

from __future__ import annotations

import re

from .context import HE_LETTER, HE_PREFIX, id_context_before
from .match import Match, make_match, overlaps_any
from .normalize import cached_normalize_map
from .numbers import EN_NUMBER_PHRASE, HE_NUMBER_PHRASE, parse_english_number, parse_hebrew_number

_NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d+)?)(?!\d|[.,/:]\d)"
_NUM_START = r"(?<![\d.,/:])"
_MULT = (
    r"(?:[Kk](?![A-Za-z])|M(?![A-Za-z])|\s?(?:אלף|מיליון|מליון)(?![" + HE_LETTER + r"])|"
    r"\s?(?:thousand|million|mil|bn|billion)\b|\s?(?:ألف|آلاف|الف|الاف|مليون)(?![\u0620-\u064a]))"
)
_SYM_BEFORE = r"(?:US\$|₪|\$|€|£|\b(?:NIS|ILS|USD|EUR|GBP)\b)"
_HE_CUR = (
    r"(?:שקלים\s+חדשים|שקל\s+חדש|שקלים|שקל|ש\"ח|ש''ח|ש'ח|ש\.ח\.?|שח|ש\s?\"\s?ח|"
    r"דולרים|דולר|יורו|אירו|ליש\"ט|לירות\s+שטרלינג)(?![" + HE_LETTER + r"])"
)
_AR_CUR = r"(?:شيكل|شيقل|شواكل|شيكلات|ريال|دولار|يورو|جنيه\s+استرليني)(?![\u0620-\u064a])"
_EN_CUR = r"(?:\b(?:NIS|ILS|USD|EUR|GBP|shekels?|dollars?|bucks|euros?|pounds?|sterling)\b)"
_CUR_AFTER = rf"(?:₪|\$|€|£|{_HE_CUR}|{_AR_CUR}|{_EN_CUR})"

_AMOUNT = re.compile(
    rf"(?=[\d₪$€£UNIEGunieg])(?:(?P<cur1>{_SYM_BEFORE})\s?{_NUM_START}(?P<num1>{_NUM})(?P<mult1>{_MULT})?"
    rf"|{_NUM_START}(?P<num2>{_NUM})(?P<mult2>{_MULT})?\s?-?\s?(?P<cur2>{_CUR_AFTER}))",
    re.IGNORECASE,
)
# Amounts in words are found from their currency backwards: currencies are rare, number
# words at every word start would make a left-to-right scan slow.
_WORD_CURRENCY = re.compile(rf"(?=[שדיאל₪nuegsdbpi])(?:(?P<he>{_HE_CUR}|₪)|(?:US\s+)?(?P<en>{_EN_CUR}))", re.IGNORECASE)
_HE_WORDS_BEFORE = re.compile(rf"(?<![{HE_LETTER}])[בלו]?-?(?P<words>{HE_NUMBER_PHRASE})\s+$")
_EN_WORDS_BEFORE = re.compile(rf"(?P<words>{EN_NUMBER_PHRASE})\s+$", re.IGNORECASE)
_WORDS_WINDOW = 120

_KEYWORD_BEFORE = re.compile(
    rf"(?:(?<![{HE_LETTER}]){HE_PREFIX}(?:מחיר|סכום|תשלום|עלות|תקציב|שכר|משכורת|שכירות|דמי|"
    r"תמורה|התמורה|סה\"כ|סך\s+הכל|סך\s+של|פיקדון|ערבות|מקדמה)|"
    r"\b(?:price|amount|cost|budget|fee|total|rent|salary|deposit|payment)|"
    r"(?<![\u0620-\u064a])(?:ال)?(?:مبلغ|سعر|تكلفة|ثمن|دفعة))"
    r"(?P<gap>[^\d\n]{0,12}?)$",
    re.IGNORECASE,
)
_BARE_NUMBER = re.compile(rf"(?=\d){_NUM_START}(?P<num>{_NUM})(?P<mult>{_MULT})?", re.IGNORECASE)
_KEYWORD_WINDOW = 30
_BAD_GAP = re.compile(r"מס'|מספר|\bno\.|number|#|שנת|\byear|%", re.IGNORECASE)
_UNIT_AFTER = re.compile(
    r"^\s?(?:%|אחוז|ימי|ימים|יום|חודשים|חודש|שנים|שנה|שעות|שעה|דקות|ק\"ג|קילו|גרם|מטר|מ\"ר|"
    r"days?|months?|years?|hours?|minutes?|kg|km|sqm|m2|percent|יח'|יחידות|units?|"
    r"pcs|items?|يوم|أيام|ايام|شهر|أشهر|سنة|سنوات)(?![A-Za-z\u05d0-\u05ea\u0620-\u064a])",
    re.IGNORECASE,
)
_PERIOD = re.compile(
    r"^[\s,]*(?:\+\s*מע\"מ\s*|plus\s+vat\s*|כולל\s+מע\"מ\s*)?(?:-\s*|/\s*|per\s+|a\s+|an\s+|each\s+)?"
    r"(?:(?P<month>לחודש|בחודש|חודשי(?:ת|ים)?|לח'|months?|mo\b|monthly|p/m|شهريا|شهري|في\s+الشهر|بالشهر)|"
    r"(?P<year>לשנה|בשנה|שנתי(?:ת|ים)?|years?|yr\b|annually|yearly|annum|p\.a\.|سنويا|سنوي|في\s+السنة|بالسنة)|"
    r"(?P<week>לשבוע|בשבוע|שבועי(?:ת)?|weeks?|weekly|اسبوعيا|أسبوعيا)|"
    r"(?P<hour>לשעה|בשעה|שעתי|hours?|hr\b|hourly|بالساعة|للساعة)|"
    r"(?P<quarter>לרבעון|ברבעון|רבעוני(?:ת)?|quarters?|quarterly))"
    r"(?!\s*(?:הבא|הקרוב|הבאה|next))",
    re.IGNORECASE,
)
_VAT = re.compile(
    r"^[\s,]*(?:(?P<plus>\+\s*מע\"מ|פלוס\s+מע\"מ|לא\s+כולל\s+מע\"מ|plus\s+vat|\+\s*vat|excl\.?\s+vat)|"
    r"(?P<included>כולל\s+מע\"מ|incl\.?\s+vat|including\s+vat))",
    re.IGNORECASE,
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_HAS_DIGIT = re.compile(r"\d")


def _currency(token: str | None) -> str | None:
    if not token:
        return None
    t = token.strip().lower()
    if t.startswith(("us$", "$", "usd", "dollar", "buck", "דולר", "دولار")):
        return "USD"
    if t.startswith(("€", "eur", "יורו", "אירו", "يورو")):
        return "EUR"
    if t.startswith(("£", "gbp", "pound", "sterling", "ליש", "לירות", "جنيه")):
        return "GBP"
    return "ILS"


def _multiplier(token: str | None) -> float:
    if not token:
        return 1.0
    t = token.strip().lower()
    if t in ("k", "אלף", "thousand", "ألف", "آلاف", "الف", "الاف"):
        return 1000.0
    if t in ("bn", "billion"):
        return 1e9
    return 1e6


def _to_float(num: str) -> float:
    return float(num.replace(",", ""))


def _extra_after(norm: str, end: int) -> dict[str, str]:
    tail = norm[end:end + 40]
    extra: dict[str, str] = {}
    vat = _VAT.match(tail)
    if vat:
        extra["vat"] = "plus" if vat.group("plus") else "included"
    period = _PERIOD.match(tail)
    if period and period.lastgroup:
        extra["period"] = period.lastgroup
    return extra


def find_amounts(text: str) -> list[Match]:
    """Find money amounts in ``text`` (see module docstring for what counts)."""
    from .dates import find_dates
    from .phones import find_phones

    norm, index = cached_normalize_map(text)
    if not _HAS_DIGIT.search(norm) and not _WORD_CURRENCY.search(norm):
        return []
    blocked = [(m.start, m.end) for m in find_phones(text)]
    blocked += [(m.start, m.end) for m in find_dates(text)]
    found: list[Match] = []
    spans: list[tuple[int, int]] = []

    def add(start: int, end: int, amount: float | None, currency: str | None) -> None:
        if amount is None:
            return
        o_start, o_end = index[start], index[end - 1] + 1
        if overlaps_any(o_start, o_end, blocked) or overlaps_any(start, end, spans):
            return
        value = {"amount": amount, "currency": currency}
        found.append(make_match("amount", text, index, start, end, value, _extra_after(norm, end)))
        spans.append((start, end))

    for m in _AMOUNT.finditer(norm):
        if m.group("num1") is not None:
            amount = _to_float(m.group("num1")) * _multiplier(m.group("mult1"))
            add(m.start(), m.end(), amount, _currency(m.group("cur1")))
        elif m.group("num2") is not None:
            amount = _to_float(m.group("num2")) * _multiplier(m.group("mult2"))
            add(m.start("num2"), m.end(), amount, _currency(m.group("cur2")))

    for c in _WORD_CURRENCY.finditer(norm):
        lo = max(0, c.start() - _WORDS_WINDOW)
        if c.group("he"):
            w = _HE_WORDS_BEFORE.search(norm, lo, c.start())
            if w:
                add(w.start("words"), c.end(), parse_hebrew_number(w.group("words")), _currency(c.group("he")))
        else:
            w = _EN_WORDS_BEFORE.search(norm, lo, c.start())
            if w:
                add(w.start("words"), c.end(), parse_english_number(w.group("words")), _currency(c.group("en")))

    for m in _BARE_NUMBER.finditer(norm):
        if overlaps_any(m.start(), m.end(), spans):
            continue
        k = _KEYWORD_BEFORE.search(norm, max(0, m.start() - _KEYWORD_WINDOW), m.start())
        if k is None:
            continue
        num = m.group("num")
        if _BAD_GAP.search(k.group("gap")) or _UNIT_AFTER.match(norm[m.end():]):
            continue
        if not m.group("mult") and _YEAR.match(num):
            continue
        if id_context_before(norm, m.start("num")) is not None:
            continue
        amount = _to_float(num) * _multiplier(m.group("mult"))
        add(m.start("num"), m.end(), amount, None)

    found.sort(key=lambda x: x.start)
    return found
