"""Find phone numbers and normalise them to E.164 with ``phonenumbers``.

Candidates are runs of digit groups joined by single separators (space, ``-``, ``.``,
parentheses), optionally starting with ``+`` or ``00``. A run that is not one phone
number is split at its separators, longest valid prefix first, so "050-1234567
052-7654321" gives two phones. "Possible" numbers (right length for the country) are
accepted: unallocated blocks fail ``is_valid_number`` but are still somebody's number.

For Israel (the default region) a national number must start with the trunk ``0``
(05X, 07X, 02/03/04/08/09) or be a 1-800/1-700/1-599 style service number, a number
written ``972...`` without ``+`` must have 11-12 digits, and anything with ``+``/``00``
is international. This is what keeps ID numbers (9 digits not starting with 0), years,
amounts and order numbers out.
"""

from __future__ import annotations

import re
from itertools import accumulate

import phonenumbers

from .cache import text_cache
from .context import id_context_before, reference_context_before
from .match import Match, make_match
from .normalize import cached_normalize_map

#: A candidate: at most eight digit chunks (the first of at most 4 digits, the others of at
#: most 5), joined by nothing or by what may stand between the groups of a written number
#: (a ")", one separator, a "("), and not followed by more of a number. Each chunk takes
#: all the digits it can (possessive) and each joint is taken whole or not at all (atomic
#: group), so a failed match backs off one chunk at a time: a long run of digits costs a
#: few steps, not every way of cutting it into chunks. The ")" closing a chunk is never
#: given back to the joint, as the greedy ``\)?`` of the plain pattern (which backtracked
#: exponentially) preferred: the candidates are the same. A candidate is tried only where
#: seven digits follow with at most a joint between each two (a phone has seven), so a text
#: dense with short numbers is not read candidate by candidate in Python.
_CANDIDATE = re.compile(
    r"(?=[+(\d])(?<![A-Za-z0-9_+*#/.,])(?=\+?(?:[\s\-.()]{0,5}\d){7})"
    r"(?P<num>(?:\+|00)?\s?\(?\d{1,4}+(?:(?>\)?+(?:[ \-.]|\s?-\s?|\)\s?)?\(?(?=\d))\d{1,5}+){0,7}\)?)"
    r"(?![\d%]|[.,:/]\d)"
)
_GROUP = re.compile(r"\+?\(?\d+\)?")
#: seven digits somewhere (stops at the seventh, where counting them all built a string per digit)
_SEVEN_DIGITS = re.compile(r"(?:\D*\d){7}")
_DATE_LIKE = re.compile(r"^\d{1,2}([./-])\d{1,2}\1(?:\d{2}|\d{4})$|^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[./]\d{1,2}$")
_PLATE_LIKE = re.compile(r"^\d{2,3}-\d{2,3}-\d{2,3}$")
_IL_SERVICE = re.compile(r"^1(?:800|801|700|599|809|212|222|255)\d{6}$")
#: the most digits :func:`_parse` accepts: "00" and a 15-digit international number
_MAX_DIGITS = 17


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _parse(candidate: str, region: str) -> str | None:
    """Return the E.164 form of ``candidate`` when it is a possible phone number."""
    digits = _digits(candidate)
    stripped = candidate.lstrip("( ")
    international = stripped.startswith(("+", "00"))
    if international:
        if stripped.startswith("00"):
            digits = digits[2:]
        if not 8 <= len(digits) <= 15:
            return None
        # "+972-050-..." keeps the national trunk 0 by mistake.
        if digits.startswith("9720"):
            digits = "972" + digits[4:]
        text = "+" + digits
    elif region == "IL":
        if digits.startswith("972") and len(digits) in (11, 12):
            text = "+" + digits
        elif (digits.startswith("0") and len(digits) in (9, 10) and digits[1] != "0") or _IL_SERVICE.match(
            digits
        ):
            text = digits
        else:
            return None
    else:
        if not 7 <= len(digits) <= 15:
            return None
        text = candidate
    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    if region == "IL" and not international and num.country_code != 972:
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def _looks_like_other_number(candidate: str) -> bool:
    core = candidate.strip()
    return bool(_DATE_LIKE.match(core) or _PLATE_LIKE.match(core))


def find_phones(text: str, region: str = "IL") -> list[Match]:
    """Find phone numbers in ``text``; ``value`` is the E.164 string.

    ``extra`` holds ``{"formatted": bool}`` — whether the number was written with
    separators or an international prefix (a strong sign it is a phone).
    """
    return list(_find_phones(text, region))


#: a piece of a candidate that parses: its span in the candidate, E.164 form, whether it
#: was written formatted, and its digit count
_Piece = tuple[int, int, str, bool, int]


@text_cache
def _find_phones(text: str, region: str) -> tuple[Match, ...]:
    # Cached: the ID, amount and redaction finders all need the phones of the same text.
    norm, index = cached_normalize_map(text)
    found: list[Match] = []
    if _SEVEN_DIGITS.match(norm) is None:  # every phone has at least 7 digits: skip the scan
        return ()
    # the pieces of each candidate, by its text: a candidate that recurs (a list of the same
    # extension, or a hostile "1-1-1-…") is split and parsed once
    splits: dict[str, tuple[_Piece, ...]] = {}
    for m in _CANDIDATE.finditer(norm):
        raw = m.group("num")
        pieces = splits.get(raw)
        if pieces is None:
            pieces = splits[raw] = _split(raw, region)
        base = m.start("num")
        for s, e, e164, formatted, digits in pieces:
            start, end = base + s, base + e
            if not formatted and (
                (digits <= 9 and id_context_before(norm, start) is not None) or reference_context_before(norm, start)
            ):
                continue  # an unformatted piece is one group: nothing shorter to try in its place
            found.append(make_match("phone", text, index, start, end, e164, {"formatted": formatted}))
    return tuple(found)


def _split(raw: str, region: str) -> tuple[_Piece, ...]:
    """The phones in one candidate: its digit groups, cut longest valid prefix first.

    What stands before the candidate is not read here: the caller drops the unformatted
    pieces that follow an ID or reference word.
    """
    if sum(ch.isdigit() for ch in raw) < 7:
        return ()
    groups = [(g.start(), g.end()) for g in _GROUP.finditer(raw)]
    # the digits of the groups before each group: a run of groups is counted, not read
    before = list(accumulate((sum(ch.isdigit() for ch in raw[s:e]) for s, e in groups), initial=0))
    pieces: list[_Piece] = []
    i = 0
    while i < len(groups):
        taken = False
        for j in range(len(groups), i, -1):
            digits = before[j] - before[i]
            if digits < 7:
                break  # and fewer groups have fewer digits
            if digits > _MAX_DIGITS:
                continue
            s, e = groups[i][0], groups[j - 1][1]
            if raw[s] != "+" and s > 0 and raw[s - 1] == "+":
                s -= 1
            piece = raw[s:e]
            if _looks_like_other_number(piece):
                continue
            e164 = _parse(piece, region)
            if e164 is None:
                continue
            lead = 1 if piece.startswith("(") and ")" not in piece else 0
            pieces.append((s + lead, e, e164, not piece.isdigit(), digits))
            i = j
            taken = True
            break
        if not taken:
            i += 1
    return tuple(pieces)
