"""Find money amounts: digits or number words with a currency, or a bare number right
after a price word ("המחיר 1,500", "amount: 300").

``value`` is ``{"amount": float, "currency": "ILS"|"USD"|"EUR"|"GBP"|None}``; ``extra`` may
hold ``period`` (``month``/``year``/``week``/``hour``/``quarter``, only when a period word
follows the amount — never guessed) and ``vat`` (``plus``/``included``). Period and VAT
words are read in either order and across a short parenthesis: "6,500 ש"ח לחודש בתוספת
מע"מ", "$100 per month plus VAT", "1,200 ₪ (כולל מע"מ)", "2,950,000 ש"ח (שני מיליון ...
ש"ח), כולל מע"מ"; "לחודש הבא" ("next month") is not a period.

Not amounts: phone numbers, dates, percentages, IDs, years, durations ("30 ימים"), bare
numbers without a currency or a price word, numbers glued to a Latin word ("19th", "5pm")
and the numbers of a list ("מחירון:\n1. מזגן", "Price list: 1) installation 2) ...").

Overlap checks use sorted spans (:class:`.match.SpanIndex`), so a long text with many
amounts costs O(n log n), not O(n²).
"""

from __future__ import annotations

import re

from nodes.text.guard import compile_guarded

from .context import HE_LETTER, HE_PREFIX, id_context_before
from .dates import absolute_date_spans
from .match import Match, SpanIndex, make_match
from .normalize import cached_normalize_map
from .numbers import (
    EN_NUMBER_PHRASE,
    HE_NUMBER_PHRASE,
    is_last_number_word,
    parse_english_number,
    parse_hebrew_number,
)
from .phones import find_phones

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
_AR_CUR = r"(?:شيكل|شيقل|شواكل|شيكلات|ريال|دولار|يورو|جنيه\s+استرليني|ش\.\s?ج\.?)(?![\u0620-\u064a])"
_EN_CUR = r"(?:\b(?:NIS|ILS|USD|EUR|GBP|shekels?|dollars?|bucks|euros?|pounds?|sterling)\b)"
_CUR_AFTER = rf"(?:₪|\$|€|£|{_HE_CUR}|{_AR_CUR}|{_EN_CUR})"

#: the first character of every currency above (case-insensitive patterns read lowercase too)
_CURRENCY_FIRST = "[₪$€£שדיאלشريدجNIUEGSDBP]"
#: what a number with its currency after it must go on with: a multiplier, or a currency's
#: first letter (after a space or a dash): a cheap test that fails most numbers early
_MULT_OR_CUR_NEXT = (
    r"(?=[KkMm]|\s?(?:אלף|מיליון|מליון|thousand|million|mil|bn|billion|ألف|آلاف|الف|الاف|مليون)"
    rf"|\s?-?\s?{_CURRENCY_FIRST})"
)
_AMOUNT = compile_guarded(
    rf"(?=[\d₪$€£UNIEGunieg])(?:(?P<cur1>{_SYM_BEFORE})\s?{_NUM_START}(?P<num1>{_NUM})(?P<mult1>{_MULT})?"
    rf"|{_NUM_START}(?P<num2>{_NUM}){_MULT_OR_CUR_NEXT}(?P<mult2>{_MULT})?\s?-?\s?(?P<cur2>{_CUR_AFTER}))",
    re.IGNORECASE,
)
#: any currency, before or after a number (what every match of ``_AMOUNT`` holds)
_ANY_CURRENCY = compile_guarded(rf"(?={_CURRENCY_FIRST})(?:{_SYM_BEFORE}|{_CUR_AFTER})", re.IGNORECASE)
# Amounts in words are found from their currency backwards: currencies are rare, number
# words at every word start would make a left-to-right scan slow.
# Only a currency after a letter and white space can close number words: the regex reads
# that first, so a text full of currencies after digits costs a scan, not a loop.
_WORD_CURRENCY = compile_guarded(
    rf"(?<=[^\W\d_])\s+(?P<cur>(?=[שדיאל₪nuegsdbpi])(?:(?P<he>{_HE_CUR}|₪)|(?:US\s+)?(?P<en>{_EN_CUR})))",
    re.IGNORECASE,
)
_HE_WORDS_BEFORE = compile_guarded(rf"(?<![{HE_LETTER}])[בלו]?-?(?P<words>{HE_NUMBER_PHRASE})\s+$")
_EN_WORDS_BEFORE = compile_guarded(rf"(?P<words>{EN_NUMBER_PHRASE})\s+$", re.IGNORECASE)
_WORDS_WINDOW = 120

#: the price words (Hebrew with their prefixes, English, Arabic)
_KEYWORDS = (
    rf"(?:(?<![{HE_LETTER}]){HE_PREFIX}(?:מחיר|סכום|תשלום|עלות|תקציב|שכר|משכורת|שכירות|דמי|"
    r"תמורה|התמורה|סה\"כ|סך\s+הכל|סך\s+של|פיקדון|ערבות|מקדמה)|"
    r"\b(?:price|amount|cost|budget|fee|total|rent|salary|deposit|payment)|"
    r"(?<![\u0620-\u064a])(?:ال)?(?:مبلغ|سعر|تكلفة|ثمن|دفعة))"
)
#: a price word right before the number the search ends at
_KEYWORD_BEFORE = compile_guarded(rf"{_KEYWORDS}(?P<gap>[^\d\n]{{0,12}}?)$", re.IGNORECASE)
#: a price word and the gap to the number after it: where the bare numbers worth reading
#: start (the first letters first, a cheap test at each position of a long text)
_KEYWORD_THEN_DIGIT = compile_guarded(
    rf"(?=[והבלמשכסתעפדpacbftrsdاسمتثد]){_KEYWORDS}[^\d\n]{{0,12}}?(?=\d)", re.IGNORECASE
)
_BARE_NUMBER = compile_guarded(rf"(?=\d){_NUM_START}(?P<num>{_NUM})(?P<mult>{_MULT})?", re.IGNORECASE)
_KEYWORD_WINDOW = 30
_BAD_GAP = compile_guarded(r"מס'|מספר|\bno\.|number|#|שנת|\byear|%", re.IGNORECASE)
_UNIT_AFTER = compile_guarded(
    r"\s?(?:%|אחוז|ימי|ימים|יום|חודשים|חודש|שנים|שנה|שעות|שעה|דקות|ק\"ג|קילו|גרם|מטר|מ\"ר|"
    r"days?|months?|years?|hours?|minutes?|kg|km|sqm|m2|percent|יח'|יחידות|units?|"
    r"pcs|items?|يوم|أيام|ايام|شهر|أشهر|سنة|سنوات)(?![A-Za-z\u05d0-\u05ea\u0620-\u064a])",
    re.IGNORECASE,
)
_PERIOD = compile_guarded(
    r"(?:-\s*|/\s*|per\s+|a\s+|an\s+|each\s+)?"
    r"(?:(?P<month>לחודש|בחודש|חודשי(?:ת|ים)?|לח'|monthly|months?|mo\b|p/m|شهريا|شهري|في\s+الشهر|بالشهر)|"
    r"(?P<year>לשנה|בשנה|שנתי(?:ת|ים)?|yearly|years?|yr\b|annually|annum|p\.a\.|سنويا|سنوي|في\s+السنة|بالسنة)|"
    r"(?P<week>לשבוע|בשבוע|שבועי(?:ת)?|weekly|weeks?|اسبوعيا|أسبوعيا)|"
    r"(?P<hour>לשעה|בשעה|שעתי|hourly|hours?|hr\b|بالساعة|للساعة)|"
    r"(?P<quarter>לרבעון|ברבעון|רבעוני(?:ת)?|quarterly|quarters?))"
    r"(?!\s*(?:הבא|הקרוב|הבאה|next))",
    re.IGNORECASE,
)
_MAAM = r"מע[\"']?מ"
_VAT = compile_guarded(
    rf"(?P<plus>(?:\+|פלוס|ו?בתוספת|ו?בצירוף|לא\s+כולל(?:\s+ה)?|אינו\s+כולל(?:\s+ה)?|ללא|לפני)\s*{_MAAM}"
    r"|(?:\+|plus)\s*(?:applicable\s+)?vat\b|(?:excl\.?|excluding|exclusive\s+of|before|ex\.?)\s+vat\b"
    r"|(?:\+|بالإضافة\s+إلى|بالاضافة\s+الى|غير\s+شامل|بدون|قبل)\s*(?:ال)?ضريبة)"
    rf"|(?P<included>(?:כולל(?:\s+ה)?|לאחר|אחרי)\s*{_MAAM}"
    r"|(?:incl\.?|including|inclusive\s+of|with)\s+vat\b|vat\s+(?:included|inclusive)\b"
    r"|(?:شامل|شاملة|مع|بعد)\s*(?:ال)?ضريبة)",
    re.IGNORECASE,
)
#: what may stand between an amount and its VAT and period words
_GAP = compile_guarded(r"[\s,)]*")
#: a short parenthesis after an amount: "(חמשת אלפים ש"ח)", "(כולל מע"מ)", "(per month)"
_PAREN = compile_guarded(r"\((?P<inner>[^()\n]{0,80})\)")
_YEAR = compile_guarded(r"^(?:19|20)\d\d$")
_HAS_DIGIT = compile_guarded(r"\d")


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
    """VAT and period words after an amount, in either order and across a short parenthesis.

    "6,500 ש"ח לחודש בתוספת מע"מ", "$100 per month plus VAT", "1,200 ₪ (כולל מע"מ)",
    "2,950,000 ש"ח (שני מיליון ... ש"ח), כולל מע"מ".
    """
    extra: dict[str, str] = {}
    pos = end
    for _ in range(4):
        pos = _GAP.match(norm, pos).end()  # type: ignore[union-attr]
        m = _VAT.match(norm, pos) if "vat" not in extra else None
        if m:
            extra["vat"] = "plus" if m.group("plus") else "included"
            pos = m.end()
            continue
        m = _PERIOD.match(norm, pos) if "period" not in extra else None
        if m and m.lastgroup:
            extra["period"] = m.lastgroup
            pos = m.end()
            continue
        m = _PAREN.match(norm, pos)
        if m:
            inner = m.group("inner")
            if not _HAS_DIGIT.search(inner):  # another amount's words are its own
                for key, value in _extra_after(inner, 0).items():
                    extra.setdefault(key, value)
            pos = m.end()
            continue
        break
    return extra


#: a list item's number: "1. ", "2) ", "(3) "
_MARKER_AFTER = compile_guarded(r"[.)](?:\s|$)")
_BULLETS = " \t(-*\u2022\u00b7\u25cf>"
_LIST_NUMBER = compile_guarded(r"(?<![\d.,])(\d+)[.)](?=\s|$)")


class _ListNumbers:
    """Where each number written as a list item's ("3. ", "3) ") last stands in a text.

    Found in one pass on first use, so that looking for the next item's number after each
    of many numbers does not search the rest of the text each time.
    """

    def __init__(self, norm: str) -> None:
        self.norm = norm
        self.last: dict[str, int] | None = None

    def after(self, number: int, pos: int) -> bool:
        """Whether ``number`` stands as a list item's number at or after ``pos``."""
        if self.last is None:
            self.last = {m.group(1): m.start() for m in _LIST_NUMBER.finditer(self.norm)}
        return self.last.get(str(number), -1) >= pos


def _list_marker(norm: str, start: int, end: int, numbers: _ListNumbers) -> bool:
    """Whether the bare number at ``[start, end)`` numbers a list item ("1. ", "2) ", "(3)")."""
    num = norm[start:end]
    if not num.isdigit() or len(num) > 2 or not _MARKER_AFTER.match(norm, end):
        return False
    # back over the spaces before the number (to ``j``), then over bullets to the line start:
    # only the characters between the number and the last other character are read
    j = start
    while j > 0 and norm[j - 1] in " \t":
        j -= 1
    k = j
    while k > 0 and norm[k - 1] in _BULLETS:
        k -= 1
    if k == 0 or norm[k - 1] == "\n" or norm[j - 1] == "(":
        return True  # at the start of a line (after bullets), or "(3)"
    colon = norm[j - 1] == ":"
    if norm[end] == ")":
        return colon or numbers.after(int(num) + 1, end)
    return colon and (num == "1" or numbers.after(int(num) + 1, end))


def _word_before(norm: str, lo: int, end: int) -> bool:
    """Whether ``norm[lo:end]`` ends with a number word and then white space, as a run of
    number words does before its currency: the cheap test before searching for the run."""
    j = end
    while j > lo and norm[j - 1].isspace():
        j -= 1
    k = j
    while k > lo and (norm[k - 1].isalpha() or norm[k - 1] == "-"):
        k -= 1
    return lo < j < end and k < j and is_last_number_word(norm[k:j])


def find_amounts(text: str) -> list[Match]:
    """Find money amounts in ``text`` (see module docstring for what counts)."""
    norm, index = cached_normalize_map(text)
    if not _HAS_DIGIT.search(norm) and not _WORD_CURRENCY.search(norm):
        return []
    # phones and dates (original offsets) and the amounts taken so far (normalised offsets)
    blocked = SpanIndex([*((m.start, m.end) for m in find_phones(text)), *absolute_date_spans(text)])
    spans = SpanIndex()
    found: list[Match] = []
    list_numbers = _ListNumbers(norm)

    def add(start: int, end: int, amount: float | None, currency: str | None) -> None:
        if amount is None:
            return
        if spans.overlaps(start, end) or blocked.overlaps(index[start], index[end - 1] + 1):
            return
        value = {"amount": amount, "currency": currency}
        found.append(make_match("amount", text, index, start, end, value, _extra_after(norm, end)))
        spans.add(start, end)

    # every amount in digits has a currency beside it: a text without one skips the scan
    for m in _AMOUNT.finditer(norm) if _ANY_CURRENCY.search(norm) else ():
        if m.group("num1") is not None:
            amount = _to_float(m.group("num1")) * _multiplier(m.group("mult1"))
            add(m.start(), m.end(), amount, _currency(m.group("cur1")))
        elif m.group("num2") is not None:
            amount = _to_float(m.group("num2")) * _multiplier(m.group("mult2"))
            add(m.start("num2"), m.end(), amount, _currency(m.group("cur2")))

    for c in _WORD_CURRENCY.finditer(norm):
        cur = c.start("cur")
        lo = max(0, cur - _WORDS_WINDOW)
        if not _word_before(norm, lo, cur):
            continue  # the number words must end right before the currency (skips the search)
        if c.group("he"):
            w = _HE_WORDS_BEFORE.search(norm, lo, cur)
            if w:
                add(w.start("words"), c.end(), parse_hebrew_number(w.group("words")), _currency(c.group("he")))
        else:
            w = _EN_WORDS_BEFORE.search(norm, lo, cur)
            if w:
                add(w.start("words"), c.end(), parse_english_number(w.group("words")), _currency(c.group("en")))

    # bare numbers count only after a price word: the price words are found first, in one
    # pass, and only the number each one leads to is read (a text dense with numbers and
    # poor in price words costs a scan, not a search per number)
    for p in _KEYWORD_THEN_DIGIT.finditer(norm):
        bare = _BARE_NUMBER.match(norm, p.end())
        if bare is None or spans.overlaps(bare.start(), bare.end()):
            continue
        after = norm[bare.end():bare.end() + 1]
        if after.isascii() and after.isalpha():
            continue  # "19th", "5pm", "4x4"
        if blocked.overlaps(index[bare.start("num")], index[bare.end() - 1] + 1):
            continue  # part of a phone or a date (checked again by ``add``; this skips the search)
        lo = max(0, bare.start() - _KEYWORD_WINDOW)
        k = _KEYWORD_BEFORE.search(norm, lo, bare.start())  # the price word nearest in the window
        if k is None:
            continue
        num = bare.group("num")
        if _BAD_GAP.search(k.group("gap")) or _UNIT_AFTER.match(norm, bare.end()):
            continue
        if not bare.group("mult") and _list_marker(norm, bare.start("num"), bare.end("num"), list_numbers):
            continue
        if not bare.group("mult") and _YEAR.match(num):
            continue
        if id_context_before(norm, bare.start("num")) is not None:
            continue
        amount = _to_float(num) * _multiplier(bare.group("mult"))
        add(bare.start("num"), bare.end(), amount, None)

    found.sort(key=lambda x: x.start)
    return found
