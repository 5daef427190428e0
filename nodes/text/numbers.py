"""Numbers written in words: Hebrew (masculine, feminine and construct forms, with the
ו- "and" prefix) and English.

``HE_NUMBER_PHRASE`` / ``EN_NUMBER_PHRASE`` are regex fragments that match a run of
number words (for use inside larger patterns); :func:`parse_hebrew_number` and
:func:`parse_english_number` turn such a run into a number.

Examples: "חמשת אלפים" → 5000, "שישים ושמונה אלף" → 68000, "אלף וחמש מאות" → 1500,
"מיליון וחצי" → 1500000, "שלושה עשר" → 13, "two hundred and fifty thousand" → 250000.
"""

from __future__ import annotations

import re

_HE_UNITS: dict[str, int] = {
    "אחד": 1, "אחת": 1,
    "שניים": 2, "שנים": 2, "שתיים": 2, "שתים": 2, "שני": 2, "שתי": 2,
    "שלוש": 3, "שלושה": 3, "שלושת": 3, "שלש": 3, "שלשה": 3,
    "ארבע": 4, "ארבעה": 4, "ארבעת": 4,
    "חמש": 5, "חמישה": 5, "חמשה": 5, "חמשת": 5,
    "שש": 6, "שישה": 6, "ששה": 6, "ששת": 6,
    "שבע": 7, "שבעה": 7, "שבעת": 7,
    "שמונה": 8, "שמונת": 8,
    "תשע": 9, "תשעה": 9, "תשעת": 9,
}
_HE_TEN = {"עשר": 10, "עשרה": 10, "עשרת": 10}
_HE_TENS: dict[str, int] = {
    "עשרים": 20, "שלושים": 30, "שלשים": 30, "ארבעים": 40, "חמישים": 50, "חמשים": 50,
    "שישים": 60, "ששים": 60, "שבעים": 70, "שמונים": 80, "תשעים": 90,
}
_HE_HUNDREDS = {"מאה": 100, "מאתיים": 200, "מאתים": 200}
_HE_HUNDRED_MULT = {"מאות": 100}
_HE_THOUSAND = {"אלף": 1000, "אלפים": 1000}
_HE_MILLION = {"מיליון": 1_000_000, "מליון": 1_000_000, "מיליארד": 1_000_000_000}
_HE_HALF = {"חצי": 0.5}

HE_NUMBER_WORDS: dict[str, float] = {
    **_HE_UNITS, **_HE_TEN, **_HE_TENS, **_HE_HUNDREDS, **_HE_HUNDRED_MULT, **_HE_THOUSAND,
    "אלפיים": 2000, **_HE_MILLION, **_HE_HALF,
}

_he_alt = "|".join(sorted(HE_NUMBER_WORDS, key=len, reverse=True))
# A run of Hebrew number words; each may carry the ו- prefix ("ושמונה"), the first may
# not be "חצי" on its own.
HE_NUMBER_PHRASE = (
    rf"(?:(?:{_he_alt})(?![\u05d0-\u05ea]))(?:\s+ו?-?(?:{_he_alt})(?![\u05d0-\u05ea]))*"
)

_EN_ONES: dict[str, int] = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "a": 1,
}
_EN_TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_EN_SCALES: dict[str, int] = {"thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_en_words = [w for w in _EN_ONES if w != "a"] + list(_EN_TENS) + ["hundred", *list(_EN_SCALES)]
_en_alt = "|".join(sorted(_en_words, key=len, reverse=True))
EN_NUMBER_PHRASE = (
    rf"\b(?:a\s+(?:hundred|thousand|million)|(?:{_en_alt}))\b"
    rf"(?:(?:\s+and\s+|\s+|-)(?:{_en_alt})\b)*"
)

_SPLIT = re.compile(r"[\s\-]+")
_EN_WORDS = frozenset(_en_words)


def is_last_number_word(word: str) -> bool:
    """Whether ``word`` can end a run of number words: a Hebrew one, maybe after a ב/ל/ו
    prefix and a hyphen ("ושמונה", "ב-חמישה"), or an English one ("thousand").

    The cheap test before searching a text backwards for a whole run
    (:data:`HE_NUMBER_PHRASE`, :data:`EN_NUMBER_PHRASE`)."""
    if word.lower() in _EN_WORDS:
        return True
    if word[:1] in "בלו":
        word = word[1:]
    return word.removeprefix("-") in HE_NUMBER_WORDS


def _he_word(token: str) -> str | None:
    """Return the dictionary form of a Hebrew number word, dropping a ו- prefix."""
    if token in HE_NUMBER_WORDS:
        return token
    if token.startswith("ו") and token[1:] in HE_NUMBER_WORDS:
        return token[1:]
    return None


def parse_hebrew_number(phrase: str) -> float | None:
    """Parse a run of Hebrew number words; ``None`` when a word is not a number word."""
    words = [w for w in _SPLIT.split(phrase.strip()) if w and w != "ו"]
    total = 0.0
    current = 0.0
    last_scale = 1.0
    seen = False
    i = 0
    while i < len(words):
        w = _he_word(words[i])
        if w is None:
            return None
        seen = True
        nxt = _he_word(words[i + 1]) if i + 1 < len(words) else None
        if w in _HE_UNITS:
            unit = _HE_UNITS[w]
            if nxt in _HE_TEN and nxt != "עשרת":
                current += unit + 10
                i += 2
                continue
            if nxt in _HE_HUNDRED_MULT:
                current += unit * 100
                i += 2
                continue
            current += unit
        elif w in _HE_TEN:
            current += 10
        elif w in _HE_TENS:
            current += _HE_TENS[w]
        elif w in _HE_HUNDREDS:
            current += _HE_HUNDREDS[w]
        elif w in _HE_HUNDRED_MULT:
            current = (current or 1) * 100
        elif w == "אלפיים":
            total += 2000
            last_scale = 1000
        elif w in _HE_THOUSAND:
            total += (current or 1) * 1000
            current = 0
            last_scale = 1000
        elif w in _HE_MILLION:
            scale = _HE_MILLION[w]
            total += (current or 1) * scale
            current = 0
            last_scale = scale
        elif w in _HE_HALF:
            current += 0.5 * last_scale if last_scale > 1 else 0.5
        i += 1
    if not seen:
        return None
    return total + current


def parse_english_number(phrase: str) -> float | None:
    """Parse a run of English number words ("two hundred and fifty thousand")."""
    words = [w for w in _SPLIT.split(phrase.strip().lower()) if w and w != "and"]
    if not words:
        return None
    total = 0.0
    current = 0.0
    for w in words:
        if w in _EN_ONES:
            current += _EN_ONES[w]
        elif w in _EN_TENS:
            current += _EN_TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _EN_SCALES:
            total += (current or 1) * _EN_SCALES[w]
            current = 0
        else:
            return None
    return total + current
