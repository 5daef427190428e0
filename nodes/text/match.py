"""The :class:`Match` record every finder returns, and helpers to build and merge them."""

from __future__ import annotations

import bisect
import itertools
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .normalize import span_to_original


@dataclass(frozen=True)
class Match:
    """One thing found in a text.

    ``text`` is always exactly ``original_text[start:end]`` (the evidence a person can
    check); ``value`` is the normalised value (E.164 phone, lowercased email, digits,
    ``{"amount", "currency"}``, ``"YYYY-MM-DD"``); ``extra`` holds kind-specific details.
    """

    kind: str
    text: str
    start: int
    end: int
    value: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def overlaps(self, other: Match) -> bool:
        """True when the two spans share at least one character."""
        return self.start < other.end and other.start < self.end


def make_match(
    kind: str,
    original: str,
    index: Sequence[int],
    start: int,
    end: int,
    value: Any,
    extra: dict[str, Any] | None = None,
) -> Match:
    """Build a :class:`Match` from a span of the *normalised* text."""
    o_start, o_end = original_span(original, index, start, end)
    return Match(kind, original[o_start:o_end], o_start, o_end, value, dict(extra or {}))


def original_span(original: str, index: Sequence[int], start: int, end: int) -> tuple[int, int]:
    """The span of ``original`` that the normalised span ``[start, end)`` came from (as in a
    :class:`Match` made by :func:`make_match`)."""
    o_start, o_end = span_to_original(index, start, end, len(original))
    # Diacritics removed by normalisation right after the last letter belong to it.
    while o_end < len(original) and o_end > o_start and unicodedata.category(original[o_end]) == "Mn":
        o_end += 1
    return o_start, o_end


class SpanIndex:
    """Spans ``[start, end)`` that answer "does this span overlap any of them?" in O(log n).

    Built from any spans (they may overlap each other); :meth:`add` inserts a span that
    overlaps none of those already held (check with :meth:`overlaps` first).
    """

    __slots__ = ("_reach", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]] = ()) -> None:
        ordered = sorted(spans)
        self._starts = [s for s, _ in ordered]
        #: the furthest end among the spans up to each position
        self._reach = list(itertools.accumulate((e for _, e in ordered), max))

    def overlaps(self, start: int, end: int) -> bool:
        """True when ``[start, end)`` shares a character with a held span."""
        i = bisect.bisect_left(self._starts, end)
        return i > 0 and self._reach[i - 1] > start

    def add(self, start: int, end: int) -> None:
        """Hold ``[start, end)``, which must not overlap a held span."""
        i = bisect.bisect_left(self._starts, start)
        self._starts.insert(i, start)
        self._reach.insert(i, end)


def select_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """:func:`select_non_overlapping` for equal-priority plain spans: longer wins, then earlier."""
    starts: list[int] = []
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda se: (se[0] - se[1], se[0])):
        i = bisect.bisect_left(starts, start)
        if (i > 0 and kept[i - 1][1] > start) or (i < len(kept) and kept[i][0] < end):
            continue
        starts.insert(i, start)
        kept.insert(i, (start, end))
    return kept


def select_non_overlapping(candidates: Iterable[tuple[float, Match]]) -> list[Match]:
    """Keep the highest-priority matches that do not overlap; return them in text order.

    Ties are broken by length (longer wins), then by position.
    """
    ordered = sorted(candidates, key=lambda pm: (-pm[0], -(pm[1].end - pm[1].start), pm[1].start))
    starts: list[int] = []
    kept: list[Match] = []
    for _, m in ordered:
        i = bisect.bisect_left(starts, m.start)
        if i > 0 and kept[i - 1].end > m.start:
            continue
        if i < len(kept) and kept[i].start < m.end:
            continue
        starts.insert(i, m.start)
        kept.insert(i, m)
    return kept
