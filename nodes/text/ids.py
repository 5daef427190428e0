"""Find Israeli identification numbers: Teudat Zehut, company (ח.פ.), amuta (ע"ר), registered partnership
(שותפות רשומה), osek murshe (ע.מ.) and passport numbers; and foreign companies' register numbers by their register's
name (German HRB/HRA, Dutch KvK, French RCS, an Italian Partita IVA / Registro Imprese number, a US EIN or a US
state's file number, a UK company number), as ``foreign``.

The type comes from the nearest context word in the ~25 characters before the number
(see :mod:`.context`). Without one, only 9-digit numbers are reported: 51xxxxxxx is a
company, 58xxxxxxx an amuta, anything else an Israeli ID. Check digits are verified
with ``python-stdnum`` (``il.idnr`` for IDs and osek numbers, ``il.hp`` for companies
and amutot) and reported in ``extra["valid"]`` — an ID with a wrong check digit is still
reported, so a form can ask the customer to re-check it.

Numbers that :func:`find_phones` reports are never IDs unless an ID context word
precedes them and they were written without separators.
"""

from __future__ import annotations

import bisect
import re

from stdnum.il import hp, idnr

from .context import id_context_before, reference_context_before
from .match import Match, make_match
from .normalize import cached_normalize_map
from .phones import find_phones

_NUMBER = re.compile(
    r"(?=\d)(?<![A-Za-z0-9_+*#/.,\-])"
    r"(?P<num>\d{9}|\d{5,8}(?:-\d)?|\d{2}-\d{6}-\d|\d{2}-\d{7}|\d{2,3}-\d{3}-\d{3,4}|\d{3} \d{3} \d{3})"
    r"(?![\d%]|[.,/]\d|-\d)"
)
_PASSPORT = re.compile(r"(?<![A-Za-z0-9])(?P<num>[A-Z]{0,2}\d{6,9})(?![A-Za-z0-9])", re.IGNORECASE)

#: foreign company registers, by the register's own name: the value keeps the register where the number
#: means nothing without it (a German court's HRB, the Dutch KvK, a French RCS city), else the number alone
_FOREIGN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?P<reg>HR[AB])[ \t]?(?P<num>\d{1,6}(?:[ \t]?[A-Z]{1,2}\b)?)(?![\d])"), "{reg} {num}"),
    (re.compile(r"\b(?P<reg>KvK)\)?(?:-?nummer)?(?:[ \t]+under)?[ \t]*(?:No\.?|Number|nr\.?)?[ \t]*:?[ \t]*"
                r"(?P<num>\d{8})(?!\d)",
                re.IGNORECASE), "KvK {num}"),
    # an Italian company's VAT / register number ("Partita IVA / Reg. Imprese Modena: 03518260364")
    (re.compile(r"\b(?:Partita[ \t]+IVA|P\.[ \t]?IVA|Codice[ \t]+Fiscale|Reg(?:istro)?\.?[ \t]+Imprese)[^:\n\d]{0,30}:?"
                r"[ \t]*(?:IT)?(?P<num>\d{11})(?!\d)", re.IGNORECASE), "{num}"),
    # a US state's file number ("Delaware file number 7391024")
    (re.compile(r"\b(?:file|entity)[ \t]+(?:number|no\.?)[ \t]*:?[ \t]*(?P<num>\d{6,8})(?!\d)", re.IGNORECASE),
     "{num}"),
    (re.compile(r"\b(?P<reg>RCS[ \t]+[A-Z][\w\-]+)[ \t]+(?:[AB][ \t]+)?(?P<num>\d{3}[ \t]?\d{3}[ \t]?\d{3})(?!\d)"),
     "{reg} {num}"),
    (re.compile(r"\b(?:EIN|Employer\s+Identification\s+(?:No\.?|Number))[ \t]*:?[ \t]*(?P<num>\d{2}-\d{7})(?!\d)"),
     "{num}"),
    # a UK company number: eight digits (or two letters and six); an Israeli one has nine
    (re.compile(r"\b(?:Company|Registration|Reg\.)[ \t]+(?:No\.?|Number)[ \t]*:?[ \t]*"
                r"(?P<num>\d{8}|[A-Z]{2}\d{6})(?![\d\-])", re.IGNORECASE), "{num}"),
]
_DIGIT = re.compile(r"\d")
#: between two IDs of one list: a comma, ";" or "and", then at most two words ("שלי", "של אשתי")
_LIST_GAP = re.compile(r"\s*(?:[,;]|\s(?:and|ו|و))\s*(?:[^\W\d_]+\s+){0,2}[:\-]?\s*", re.IGNORECASE)
_PASSPORT_HINT = re.compile(r"דרכון|passport|جواز", re.IGNORECASE)
_HP_TYPES = frozenset({"company", "amuta", "partnership"})
#: the types whose numbers carry the check digit (an עוסק מורשה's number is its owner's ID)
_CHECKED_TYPES = frozenset({"israeli_id", "company", "amuta", "partnership", "osek"})


class _Spans:
    """Disjoint spans already read as an ID, by start: whether a new one overlaps them in log time (a long
    text may hold thousands of numbers)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end)  # the spans that start before ``end``: only the last may reach
        return i > 0 and self.ends[i - 1] > start

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


def _has_passport_word(norm: str) -> bool:
    """``_PASSPORT_HINT.search(norm)``, with plain substring tests (a case-insensitive
    alternation with Hebrew in it is slow to scan)."""
    return "דרכון" in norm or "جواز" in norm or "passport" in norm.lower()


def _check(id_type: str, digits: str) -> bool:
    if id_type in _HP_TYPES:
        # Older company numbers do not start with 5; they use the same check digit.
        return hp.is_valid(digits) or idnr.is_valid(digits)
    return idnr.is_valid(digits)


def _type_without_context(digits: str) -> str:
    if digits.startswith("51"):
        return "company"
    if digits.startswith("58"):
        return "amuta"
    return "israeli_id"


def find_ids(text: str) -> list[Match]:
    """Find identification numbers in ``text``.

    ``value`` is the digit string (left-padded to 9 for Israeli numbers; a passport
    keeps its letters, uppercased); ``extra`` is ``{"id_type", "valid", "context"}`` where
    ``context`` says whether a context word named the type.
    """
    norm, index = cached_normalize_map(text)
    if _DIGIT.search(norm) is None:
        return []  # every ID has digits
    # phones are in text order and do not overlap: their starts and ends are both sorted
    phones = find_phones(text)
    phone_starts = [m.start for m in phones]
    phone_ends = [m.end for m in phones]
    found: list[Match] = []
    taken = _Spans()

    for m in _PASSPORT.finditer(norm) if _has_passport_word(norm) else ():
        if not any(ch.isalpha() for ch in m.group("num")):
            continue
        if id_context_before(norm, m.start("num")) != "passport":
            continue
        found.append(
            make_match("id", text, index, m.start("num"), m.end("num"), m.group("num").upper(),
                       {"id_type": "passport", "valid": True, "context": True})
        )
        taken.add(m.start("num"), m.end("num"))

    for pattern, shape in _FOREIGN:
        for m in pattern.finditer(norm):
            start, end = m.start("reg") if "reg" in pattern.groupindex else m.start("num"), m.end("num")
            if taken.overlaps(start, end):
                continue
            parts = {k: " ".join(v.split()) for k, v in m.groupdict().items() if v}
            found.append(make_match("id", text, index, start, end, shape.format(**parts),
                                    {"id_type": "foreign", "valid": True, "context": True}))
            taken.add(start, end)

    listed: tuple[int, str] | None = None  # where the last ID named by a context word ended, and its type
    for m in _NUMBER.finditer(norm):
        start, end = m.start("num"), m.end("num")
        if taken.overlaps(start, end):
            continue
        raw = m.group("num")
        digits = "".join(ch for ch in raw if ch.isdigit())
        context = id_context_before(norm, start)
        from_list = (context is None and listed is not None and _LIST_GAP.fullmatch(norm, listed[0], start)
                     is not None and not reference_context_before(norm, start))
        if from_list and listed is not None:
            context = listed[1]  # "ת.ז. של הילד 246599260, שלי 29932488-9": the next one of a list
        o_start, o_end = index[start], index[end - 1] + 1
        # the first phone that overlaps the number, if any
        first = bisect.bisect_right(phone_ends, o_start)
        if first < bisect.bisect_left(phone_starts, o_end) and (
            context is None or phones[first].extra.get("formatted", False)
        ) and not (context in _CHECKED_TYPES and len(digits) <= 9 and _check(context, digits.zfill(9))):
            continue  # a phone — unless an ID word names it and its check digit is right ("ת"ז 077 635 266")
        if context is None:
            if len(raw) != 9 or not raw.isdigit() or reference_context_before(norm, start):
                continue
            id_type = _type_without_context(digits)
        else:
            id_type = context
            if len(digits) > 9:
                continue
        if id_type == "passport":
            value = digits
            valid = 6 <= len(digits) <= 9
        else:
            value = digits.zfill(9)
            valid = _check(id_type, value)
            if from_list and not valid:
                continue  # named by the list alone: only with its check digit right
        found.append(
            make_match("id", text, index, start, end, value,
                       {"id_type": id_type, "valid": valid, "context": context is not None})
        )
        listed = (end, id_type) if context is not None else None
    found.sort(key=lambda x: x.start)
    return found
