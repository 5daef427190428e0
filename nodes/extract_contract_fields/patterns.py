"""A client's own regular expressions (custom-field patterns): checked first, then run under a time limit.

A pattern runs over the whole contract, and one that backtracks exponentially (``(a+)+$``
over 35 letters) holds a worker for minutes. Two defences:

* :func:`check_pattern`, a validator of the request model, rejects (422 naming the
  pattern) what does not compile and every repetition that can match the same text in
  many ways: a repeated group holding a quantifier of variable length (``(a+)+``,
  ``(a*)*``, ``(.*a){10}``) or alternatives that may start alike (``(a|aa)+``).
  Possessive quantifiers (``a++``) and atomic groups (``(?>...)``) never give text back,
  so they may stand inside a repetition.
* :func:`search` runs the pattern in the ``regex`` engine, which can stop a match after a
  timeout: what the check lets through (say ``a*a*a*b``, polynomial) still ends in time.

Patterns are Python (``re``) syntax; the ``regex`` engine runs them in its
``re``-compatible mode (``VERSION0``), case-insensitive and multi-line.
"""

from __future__ import annotations

import re
from functools import lru_cache
from re import _constants as sre  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

import regex

FLAGS = re.IGNORECASE | re.MULTILINE
#: the longest one pattern may run over one contract
PATTERN_TIMEOUT_S = 1.0
_REGEX_FLAGS = regex.IGNORECASE | regex.MULTILINE | regex.VERSION0

_HINT = ("; write the repetition out (e.g. \\d{1,2}[./]\\d{1,2}[./] for (\\d{1,2}[./]){2}) or make the inner part "
         "possessive (\\w++) or atomic ((?>...))")


def check_pattern(pattern: str) -> str:
    """Return ``pattern`` when it is safe to run; raise ``ValueError`` saying why it is not."""
    try:
        tree = _parser.parse(pattern, FLAGS)
    except re.error as err:
        raise ValueError(f"invalid regex: {err}") from None
    problem = _ambiguity(tree, repeated=False)
    if problem:
        raise ValueError(f"the pattern can backtrack without end: {problem}{_HINT}")
    try:
        compile_pattern(pattern)
    except regex.error as err:
        raise ValueError(f"invalid regex: {err}") from None
    return pattern


@lru_cache(maxsize=512)
def compile_pattern(pattern: str) -> Any:
    """The pattern compiled by the ``regex`` engine (cached: tenants reuse their patterns)."""
    return regex.compile(pattern, _REGEX_FLAGS)


def search(pattern: str, text: str, timeout: float) -> Any:
    """The first match of ``pattern`` in ``text`` or ``None``; ``TimeoutError`` after ``timeout`` seconds."""
    return compile_pattern(pattern).search(text, timeout=timeout)


def _ambiguity(items: Any, *, repeated: bool) -> str | None:
    """What in the parsed ``items`` can match one text in many ways, or ``None``.

    ``repeated``: the items are inside a repetition that may run more than once.
    """
    for op, av in items:
        found: str | None = None
        if op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, body = av
            if repeated and low != high:
                return "a quantifier inside a repeated group"
            found = _ambiguity(body, repeated=repeated or high > 1)
        elif op is sre.POSSESSIVE_REPEAT:
            found = _ambiguity(av[2], repeated=False)
        elif op is sre.ATOMIC_GROUP:
            found = _ambiguity(av, repeated=False)
        elif op is sre.SUBPATTERN:
            found = _ambiguity(av[3], repeated=repeated)
        elif op is sre.BRANCH:
            if repeated and not _distinct_first_letters(av[1]):
                return "alternatives inside a repeated group that can start with the same character"
            found = next((f for alt in av[1] if (f := _ambiguity(alt, repeated=repeated))), None)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            found = _ambiguity(av[1], repeated=repeated)
        elif op is sre.GROUPREF_EXISTS:
            found = _ambiguity(av[1], repeated=repeated) or (av[2] and _ambiguity(av[2], repeated=repeated))
        if found:
            return found
    return None


def _distinct_first_letters(alternatives: list[Any]) -> bool:
    """Whether every alternative starts with a literal character, each a different one (ignoring case)."""
    firsts: set[str] = set()
    for alt in alternatives:
        if not alt or alt[0][0] is not sre.LITERAL:
            return False
        first = chr(alt[0][1]).casefold()
        if first in firsts:
            return False
        firsts.add(first)
    return True
