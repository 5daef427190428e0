"""Clause boundaries and durations: the contract-specific text units the field rules use.

Contracts come hard-wrapped (from PDFs), so a clause is not a line: it ends at a full stop
or semicolon followed by whitespace (not after abbreviations such as ת.ז. or Ltd.), at a
blank line, or where a numbered clause ("4.", "4.2") starts a line.

Durations ("12 חודשים", "שנים עשר (12) חודשים", "twelve (12) months", "שנתיים", "60 יום")
are contract vocabulary the shared toolkit does not cover.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from nodes.text import parse_english_number, parse_hebrew_number
from nodes.text.guard import compile_guarded
from nodes.text.numbers import EN_NUMBER_PHRASE, HE_NUMBER_PHRASE

_END = re.compile(r"[.;](?=\s)|\n[ \t]*\n|\n(?=[ \t]*\d{1,2}(?:\.\d{1,2})*[.)]?\s)")
_ABBREV = frozenset({"ltd", "inc", "no", "mr", "ms", "mrs", "dr", "co", "corp", "st", "nos", "p.o", "u.s", "e.g", "i.e",
                     "vs", "etc", "art", "sec", "מס'", "רח'", "גב'", "עו\"ד"})


#: a numbered clause's heading of one to three words, before its full stop
_HEADING = re.compile(r"[ \t]{0,8}\d{1,2}(?:\.\d{1,2})*[.)]?[ \t]+[^\W\d][^\s.;:]{0,20}(?:[ \t]+[^\s.;:]{1,20}){0,2}")


class Clauses:
    """Clause boundaries of one text; :meth:`start_of` / :meth:`end_of` find the clause of a position."""

    def __init__(self, text: str) -> None:
        self.text = text
        bounds = [0]
        for m in _END.finditer(text):
            if m.group(0) == ".":
                ws = max(text.rfind(" ", 0, m.start()), text.rfind("\n", 0, m.start()))
                token = text[ws + 1:m.start()]
                if "." in token or token.lower() in _ABBREV or (len(token) == 1 and token.isalpha()):
                    continue
                # a clause's heading on its own line's start ("2. Term. Six (6) months, from …", "4. תקופה. …")
                # belongs to the clause it names
                # (looked for in the 60 characters before the stop only: a long line has no heading)
                reach = max(0, m.start() - 60)
                newline = text.rfind("\n", reach, m.start())
                line_start = newline + 1 if newline != -1 else (0 if reach == 0 else -1)
                if line_start >= 0 and text[m.end():m.end() + 1] == " " \
                        and _HEADING.fullmatch(text, line_start, m.start()):
                    continue
            bounds.append(m.end())
        # A short line (a heading, a "label: value" row) ends its clause; long lines are hard wraps.
        pos = text.find("\n")
        line_start = 0
        while pos != -1:
            if pos - line_start < 45:
                bounds.append(pos + 1)
            line_start = pos + 1
            pos = text.find("\n", line_start)
        bounds.append(len(text))
        self.bounds = sorted(set(bounds))

    def start_of(self, pos: int) -> int:
        """Start of the clause that holds ``pos``."""
        return self.bounds[max(0, bisect_right(self.bounds, pos) - 1)]

    def end_of(self, pos: int) -> int:
        """End of the clause that holds ``pos``."""
        i = bisect_right(self.bounds, pos)
        return self.bounds[i] if i < len(self.bounds) else len(self.text)

    def before(self, pos: int, limit: int = 200) -> tuple[int, str]:
        """``(offset, text)`` of the clause text before ``pos`` (at most ``limit`` characters)."""
        lo = max(self.start_of(pos), pos - limit)
        return lo, self.text[lo:pos]

    def after(self, pos: int, limit: int = 200) -> str:
        """The clause text after ``pos`` (at most ``limit`` characters)."""
        return self.text[pos:min(self.end_of(pos), pos + limit)]


@dataclass(frozen=True)
class Duration:
    """A length of time written in a contract."""

    start: int
    end: int
    number: float
    unit: str  # day | week | month | year

    def days(self) -> int:
        """The duration in days (a month counts 30, a year 365)."""
        return round(self.number * {"day": 1, "week": 7, "month": 30, "year": 365}[self.unit])

    def months(self) -> float | None:
        """The duration in months (None for days and weeks)."""
        if self.unit == "month":
            return self.number
        if self.unit == "year":
            return self.number * 12
        return None


_QC = "\"'\u05f3\u05f4\u2019\u201c\u201d"
_Q = f"[{_QC}]"
_UNITS: dict[str, tuple[str, float]] = {
    # word: (unit, multiplier of the number; 0 means the word itself is the count)
    "ימים": ("day", 1), "יום": ("day", 1), "ימי": ("day", 1), "days": ("day", 1), "day": ("day", 1),
    "שבועות": ("week", 1), "שבוע": ("week", 1), "weeks": ("week", 1), "week": ("week", 1),
    "חודשים": ("month", 1), "חודש": ("month", 1), "חודשי": ("month", 1), "months": ("month", 1),
    "month": ("month", 1),
    "שנים": ("year", 1), "שנה": ("year", 1), "שנות": ("year", 1), "years": ("year", 1), "year": ("year", 1),
    # Arabic (its tanween, "يوماً", is read after the word)
    "يوم": ("day", 1), "يوما": ("day", 1), "أيام": ("day", 1), "ايام": ("day", 1),
    "أسبوع": ("week", 1), "اسبوع": ("week", 1), "أسابيع": ("week", 1), "اسابيع": ("week", 1),
    "شهر": ("month", 1), "شهرا": ("month", 1), "أشهر": ("month", 1), "اشهر": ("month", 1), "شهور": ("month", 1),
    "سنة": ("year", 1), "سنوات": ("year", 1), "سنين": ("year", 1), "عام": ("year", 1), "عاما": ("year", 1),
    "أعوام": ("year", 1),
}
_DUALS: dict[str, tuple[str, float]] = {
    "יומיים": ("day", 2), "שבועיים": ("week", 2), "חודשיים": ("month", 2), "שנתיים": ("year", 2),
    "يومان": ("day", 2), "يومين": ("day", 2), "أسبوعان": ("week", 2), "أسبوعين": ("week", 2),
    "اسبوعين": ("week", 2), "شهران": ("month", 2), "شهرين": ("month", 2), "سنتان": ("year", 2),
    "سنتين": ("year", 2), "عامان": ("year", 2), "عامين": ("year", 2),
    # half a year: six months ("לחצי שנה", "for half a year", "لمدة نصف سنة")
    "חצי שנה": ("month", 6), "half a year": ("month", 6), "نصف سنة": ("month", 6),
}
#: Arabic letters (a character class's range), and the vowel marks and tanween that may follow any letter
#: of a word ("يُجدد", "شهراً")
AR_LETTERS = "\u0621-\u064a"
AR_MARK_CHARS = "\u064b-\u0652\u0670"
AR_MARK = re.compile(f"[{AR_MARK_CHARS}]")
AR_MARKS = f"[{AR_MARK_CHARS}]*"


def ar(words: str) -> str:
    """An Arabic alternation ``words`` that also matches them written with vowel marks or tanween: the
    marks may follow any letter (each letter and its marks a group, so a quantifier after a letter still
    applies to the letter)."""
    return re.sub(f"([{AR_LETTERS}])", lambda m: f"(?:{m.group(1)}{AR_MARKS})", words)
#: Arabic number words a duration is written with ("اثني عشر شهراً"), marks removed
AR_NUMBERS: dict[str, int] = {
    "واحد": 1, "واحدة": 1, "اثنين": 2, "اثنتين": 2, "اثنان": 2, "ثلاثة": 3, "ثلاث": 3, "أربعة": 4, "اربعة": 4,
    "أربع": 4, "خمسة": 5, "خمس": 5, "ستة": 6, "ست": 6, "سبعة": 7, "سبع": 7, "ثمانية": 8, "ثماني": 8, "تسعة": 9,
    "تسع": 9, "عشرة": 10, "عشر": 10, "أحد عشر": 11, "احد عشر": 11, "اثني عشر": 12, "اثنا عشر": 12,
    "اثنتي عشرة": 12, "خمسة عشر": 15, "عشرين": 20, "عشرون": 20, "أربعة وعشرين": 24, "اربعة وعشرين": 24,
    "ثلاثين": 30, "ثلاثون": 30, "ستة وثلاثين": 36, "ستة وثلاثون": 36, "أربعة وعشرون": 24, "اربعة وعشرون": 24,
    "خمسة وأربعين": 45, "خمسة واربعين": 45, "خمسة وأربعون": 45, "خمسة واربعون": 45, "ستين": 60, "ستون": 60,
    "تسعين": 90,
}
_AR_NUM = "|".join(ar(w).replace(" ", r"\s+") for w in sorted(AR_NUMBERS, key=len, reverse=True))
_NUM = rf"(?:\d{{1,4}}|{HE_NUMBER_PHRASE}|{EN_NUMBER_PHRASE}|{_AR_NUM})"
#: the units as a pattern; an Arabic unit may carry its tanween inside ("يومًا") as well as after ("يوماً")
_unit_alt = ar("|".join(sorted(_UNITS, key=len, reverse=True)))
_dual_alt = "|".join(_DUALS)
_DURATION = compile_guarded(
    rf"(?<![\w\u05d0-\u05ea])(?:[לבמו]-?)?(?P<num>{_NUM})"
    rf"(?:\s*\(\s*(?P<num2>{_NUM})\s*\))?\s*-?\s*(?:(?:calendar|business|working|full|consecutive)\s+)?"
    rf"(?P<unit>{_unit_alt}){AR_MARKS}(?:{_Q}s?)?(?![\w\u05d0-\u05ea])"
    rf"|(?<![\w\u05d0-\u05ea])(?:[לבמו]-?)?(?P<half>חודש|שנה|שבוע|month|year|week)\s+(?:וחצי|and\s+a\s+half)"
    rf"(?![\w\u05d0-\u05ea])"
    rf"|(?<![\w\u05d0-\u05ea])(?:[לבמו]-?)?(?P<dual>{_dual_alt})(?![\w\u05d0-\u05ea])"
    rf"|(?<![\w\u05d0-\u05ea])(?:[לבמו]-?)?(?P<single>שנה|חודש|שבוע|יום)\s+(?:אחת|אחד)(?![\w\u05d0-\u05ea])"
    rf"|(?<![\w\u05d0-\u05ea])(?P<ar_single>سنة|شهر|أسبوع|اسبوع|يوم|عام){AR_MARKS}\s+واحد{AR_MARKS}ة?{AR_MARKS}"
    rf"(?![\w\u05d0-\u05ea])"
    rf"|(?<![\w\u05d0-\u05ea])(?P<bare_pre>של|of\s+(?:one|a))\s+(?P<bare>חודש|שבוע|שנה|month|week|year)(?![\w\u0"
    rf"5d0-\u05ea])(?!\s+(?:וחצי|and\s+a\s+half))"
    # a bare month said in advance ("חודש מראש", "a week in advance"), or as a notice's length ("مدته شهر")
    rf"|(?<![\w\u05d0-\u05ea])(?P<ahead>חודש|שבוע|month|week)(?=\s+(?:ימים\s+)?(?:מראש|in\s+advance))"
    rf"|(?<![\w])(?:مدته|مدتها)\s+(?P<ar_bare>شهر|أسبوع|اسبوع|سنة){AR_MARKS}(?![\w])",
    re.IGNORECASE,
)


_UNIT_WORD = compile_guarded(
    rf"(?:{_unit_alt}|{_dual_alt}|אחת|אחד|واحدة|واحد){AR_MARKS}(?![\w\u05d0-\u05ea])", re.IGNORECASE
)


def _number(token: str) -> float | None:
    token = token.strip()
    if token.isdigit():
        return float(token)
    plain = " ".join(AR_MARK.sub("", token).split())
    if plain in AR_NUMBERS:
        return float(AR_NUMBERS[plain])
    if re.search(r"[\u05d0-\u05ea]", token):
        return parse_hebrew_number(token)
    return parse_english_number(token)


def find_durations(text: str) -> list[Duration]:
    """Find lengths of time ("12 חודשים", "שנתיים", "thirty (30) days", "של חודש")."""
    out: list[Duration] = []
    seen: set[int] = set()
    for unit in _UNIT_WORD.finditer(text):
        # The big number-word pattern only runs just before a unit word (fast on long texts).
        lo = max(0, unit.start() - 60)
        for m in _DURATION.finditer(text, lo, min(len(text), unit.end() + 16)):  # "… and a half"
            if m.end() < unit.end() or m.start() in seen:
                continue
            seen.add(m.start())
            _add(out, m)
    out.sort(key=lambda d: d.start)
    return out


def _add(out: list[Duration], m: re.Match[str]) -> None:
    """Append the duration that ``m`` (a match of ``_DURATION``) describes."""
    if m.group("dual"):
        unit, n = _DUALS[m.group("dual")]
        out.append(Duration(m.start("dual"), m.end(), n, unit))
        return
    if m.group("half"):  # "חודש וחצי", "a year and a half"
        out.append(Duration(m.start("half"), m.end(), 1.5, _UNITS[m.group("half").lower()][0]))
        return
    if m.group("single"):
        out.append(Duration(m.start("single"), m.end(), 1, _UNITS[m.group("single")][0]))
        return
    if m.group("ar_single"):
        out.append(Duration(m.start("ar_single"), m.end(), 1, _UNITS[m.group("ar_single")][0]))
        return
    for group in ("bare", "ahead", "ar_bare"):  # one unit: "של חודש", "חודש מראש", "مدته شهر"
        if m.group(group):
            out.append(Duration(m.start(group), m.end(), 1, _UNITS[m.group(group).lower()][0]))
            return
    count = _number(m.group("num2")) if m.group("num2") else None
    if count is None:
        count = _number(m.group("num"))
    if count is None or count <= 0:
        return
    unit = _UNITS[AR_MARK.sub("", m.group("unit")).lower()][0]
    out.append(Duration(m.start("num"), m.end(), count, unit))
