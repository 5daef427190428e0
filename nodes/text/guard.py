"""Regular expressions that refuse, at once, the places a match cannot start at.

Python's ``re`` tries a pattern at every position of the text. A pattern that starts with a
look-behind, a word boundary or a case-insensitive alternation of words enters its whole
alternation at each position before it fails, and a finder that searches a 2-million-character
contract with twenty such patterns spends seconds failing. :func:`compile_guarded` computes the
characters a match can start with, from the parsed pattern, and puts them in front as a
look-ahead (``(?=[…])``): a position that cannot start a match then fails on one character
test. The guard is only ever a necessary condition, so the matches are the same.
"""

from __future__ import annotations

import re
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_CATEGORY = {
    c.CATEGORY_DIGIT: r"\d", c.CATEGORY_NOT_DIGIT: r"\D",
    c.CATEGORY_SPACE: r"\s", c.CATEGORY_NOT_SPACE: r"\S",
    c.CATEGORY_WORD: r"\w", c.CATEGORY_NOT_WORD: r"\W",
}
#: zero-width items: a match's first character is what comes after them
_ZERO_WIDTH = {c.AT, c.ASSERT, c.ASSERT_NOT}
_REPEATS = {c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)}


#: guarded pattern -> the pattern as written (for :func:`original`)
_ORIGINAL: dict[str, str] = {}
_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")


class _Any(Exception):
    """A match may start with any character (or with none): no guard helps."""


def _char(code: int, ignorecase: bool) -> str:
    """One literal for the guard's class; the guard is compiled under the pattern's flags, so
    under IGNORECASE it matches every case of it anyway (both are written for the reader)."""
    ch = chr(code)
    chars = {ch, ch.lower(), ch.upper()} if ignorecase else {ch}
    return "".join(re.escape(x) for x in sorted(chars) if len(x) == 1)


def _first(items: Any, ignorecase: bool, out: list[str]) -> bool:
    """Add to ``out`` the class pieces a match of ``items`` can start with; return whether
    ``items`` can match the empty string (then what follows may start the match too)."""
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue
        if op is c.LITERAL:
            out.append(_char(av, ignorecase))
            return False
        if op is c.IN:
            for kind, value in av:
                if kind is c.LITERAL:
                    out.append(_char(value, ignorecase))
                elif kind is c.RANGE:
                    lo, hi = value
                    out.append(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
                elif kind is c.CATEGORY and value in _CATEGORY:
                    out.append(_CATEGORY[value])
                else:
                    raise _Any  # a negated class or an unusual category
            return False
        if op is c.BRANCH:
            empty = False
            for alternative in av[1]:
                empty = _first(alternative, ignorecase, out) or empty
            if not empty:
                return False
            continue
        if op is c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if (add_flags | del_flags) & c.SRE_FLAG_IGNORECASE:
                raise _Any  # "(?i:…)" inside: the guard, under the pattern's own flags, would not match alike
            if not _first(sub, ignorecase, out):
                return False
            continue
        if op is getattr(c, "ATOMIC_GROUP", None):
            if not _first(av, ignorecase, out):
                return False
            continue
        if op in _REPEATS:
            low, _high, item = av
            if not _first(item, ignorecase, out) and low > 0:
                return False
            continue
        raise _Any  # ANY, NOT_LITERAL, a back-reference, a conditional group
    return True


def first_chars(pattern: str, flags: int = 0) -> str | None:
    """The body of a character class holding every character a match of ``pattern`` can
    start with, or ``None`` when that is any character (or the pattern can match nothing)."""
    try:
        parsed = _parser.parse(pattern, flags)
        out: list[str] = []
        if _first(parsed, bool(parsed.state.flags & re.IGNORECASE), out):
            return None
    except (_Any, re.error, AttributeError, TypeError, ValueError):
        return None
    body = "".join(dict.fromkeys(out))
    if any(broad in body for broad in (r"\D", r"\S", r"\W")):
        return None  # nearly every character: the guard would cost more than it saves
    return body or None


def compile_guarded(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)`` with a look-ahead in front that rejects, on one character
    test, every position a match cannot start at (see the module docstring)."""
    body = first_chars(pattern, flags)
    if body is None or pattern.startswith("(?="):
        return re.compile(pattern, flags)
    inline = _INLINE_FLAGS.match(pattern)  # "(?i)" must stay first
    head, rest = (inline.group(), pattern[inline.end():]) if inline else ("", pattern)
    end = "\n)" if (flags | _parser.parse(pattern, flags).state.flags) & re.VERBOSE else ")"
    guarded = f"{head}(?=[{body}])(?:{rest}{end}"
    _ORIGINAL[guarded] = pattern
    return re.compile(guarded, flags)


def original(pattern: str) -> str:
    """The pattern as written, before :func:`compile_guarded` put its guard in front."""
    return _ORIGINAL.get(pattern, pattern)
