"""Tokens, Hebrew prefix stripping and sentence splitting."""

from __future__ import annotations

import re

from .normalize import cached_normalize_map

_TOKEN = re.compile(
    r"\d+(?:[.,:/\-]\d+)*"  # numbers stay whole: 1,500  050-1234567  12.11.2026  10:30
    r"|[^\W\d_]+(?:['\"][^\W\d_]+)*'?"  # words, incl. acronyms ש"ח, בע"מ and geresh צ'יפס, ינו'
)
_HEBREW_WORD = re.compile(r"^[\u05d0-\u05ea'\"]+$")
# Longest first: a two-letter combination is tried before its first letter.
_PREFIXES = (
    "וה", "וב", "ול", "ומ", "וש", "וכ", "שה", "שב", "של", "שמ", "מה", "כש", "לה", "בה",
    "ו", "ה", "ב", "ל", "מ", "ש", "כ",
)
_PREFIXES_SORTED = tuple(sorted(set(_PREFIXES), key=len, reverse=True))
MIN_STEM = 3


def tokens(text: str) -> list[str]:
    """Split ``text`` into normalised word and number tokens (Latin lowercased).

    Numbers with internal separators stay one token; punctuation and emoji are dropped.
    """
    norm, _ = cached_normalize_map(text)
    return [t.lower() for t in _TOKEN.findall(norm)]


def tokens_of_normalized(norm: str, start: int = 0, end: int | None = None) -> list[str]:
    """:func:`tokens` of ``norm[start:end]``, for text that is already normalised.

    Equal to ``tokens(original[a:b])`` when ``norm[start:end]`` is what that part of the
    original text normalises to (e.g. a span of :func:`sentence_spans_normalized`).
    """
    return [t.lower() for t in _TOKEN.findall(norm, start, len(norm) if end is None else end)]


def strip_prefix(token: str) -> str:
    """Strip a Hebrew one- or two-letter prefix (ו ה ב ל מ ש כ and combinations).

    Only when at least 3 letters remain; non-Hebrew tokens are returned unchanged. This
    is lossy ("שלום" → "לום"): match the lexicon against both the token and the result.
    """
    if not _HEBREW_WORD.match(token):
        return token
    for prefix in _PREFIXES_SORTED:
        if token.startswith(prefix) and sum(ch.isalpha() for ch in token[len(prefix):]) >= MIN_STEM:
            return token[len(prefix):]
    return token


#: the end of a sentence: a run of end marks (and closing quotes) before white space, or line
#: breaks. A run is only read from its first mark, and whole: read from every mark of a long
#: run not followed by white space ("....x"), it cost time quadratic in the run
_BOUNDARY = re.compile(r"(?<![.!?…؟])[.!?…؟]++[\"')\]»]*+(?=\s|$)|\n+")
_ABBREVIATION_BEFORE = re.compile(
    r"(?:^|[^\w])(?:(?:\w\.)+\w|mr|mrs|ms|dr|prof|st|no|vs|etc|inc|jr|sr|e\.g|i\.e|approx|"
    r"מס|עמ|רח|ד\"ר|פרופ|גב|מר)$",
    re.IGNORECASE,
)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` spans of the sentences of ``text``.

    Splits after ``. ! ? … ؟`` followed by whitespace and at newlines; never inside numbers
    (1.5, 12.11.2026) or after abbreviations (ת.ז., ח.פ., בע"מ, Mr., Dr., e.g.).
    Spans index the original text and exclude surrounding whitespace.
    """
    norm, index = cached_normalize_map(text)
    return [(index[s], index[e - 1] + 1) for s, e in sentence_spans_normalized(norm)]


def sentence_spans_normalized(norm: str) -> list[tuple[int, int]]:
    """:func:`split_sentences` on already normalised text: spans index ``norm`` itself."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(norm):
        if m.group(0)[0] == ".":
            head = norm[max(0, m.start() - 12):m.start()]
            if len(m.group(0)) == 1 and _ABBREVIATION_BEFORE.search(head):
                continue
        spans.append((start, m.end() if m.group(0)[0] != "\n" else m.start()))
        start = m.end()
    spans.append((start, len(norm)))
    result: list[tuple[int, int]] = []
    for s, e in spans:
        while s < e and norm[s].isspace():
            s += 1
        while e > s and norm[e - 1].isspace():
            e -= 1
        if s < e:
            result.append((s, e))
    return result
