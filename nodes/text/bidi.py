"""Turn right-to-left lines from visual order (as drawn on a PDF page) back into logical order.

PDF pages hold glyphs where they are drawn, left to right. For a Hebrew line that is the
*visual* order: Hebrew words reversed, while numbers and Latin words inside it still read
left to right. :func:`visual_to_logical` undoes that with the parts of the Unicode
bidirectional algorithm that matter for contracts (right-to-left paragraph level, numbers
joined by separators, Latin runs, neutrals, mirrored brackets): it finds the
left-to-right runs (level 2), reverses the line around them and mirrors the brackets
that were drawn mirrored.

:func:`is_visual_line` spots lines of plain text that were pasted in visual order (from
tools that extract PDFs without reordering): Hebrew final letters (ך ם ן ף ץ) then
stand at the start of words instead of at the end.
"""

from __future__ import annotations

import re

_MIRROR = str.maketrans("()[]{}<>«»", ")(][}{><»«")
_FINALS = "ךםןףץ"
_WORD = re.compile(r"[\u05d0-\u05ea]{2,}")

# Bidi classes, simplified.
_R, _L, _EN, _ES, _CS, _ET, _N = "R", "L", "EN", "ES", "CS", "ET", "N"
_CS_CHARS = frozenset(",.:/\u00a0")
_ES_CHARS = frozenset("+-")
_ET_CHARS = frozenset("#$%\u00b0\u20aa\u20ac\u00a3\u00a2\u00a5\u2030")


def _klass(ch: str) -> str:
    if "\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff":
        return _R
    if ch.isdigit():
        return _EN
    if ch in _CS_CHARS:
        return _CS
    if ch in _ES_CHARS:
        return _ES
    if ch in _ET_CHARS:
        return _ET
    if ch.isalpha():
        return _L
    return _N


def _ltr_runs(visual: str) -> list[tuple[int, int]]:
    """Return the ``[start, end)`` spans (visual indices) that display left to right."""
    classes = [_klass(c) for c in visual]
    n = len(visual)
    # W5: currency/percent signs touching a number belong to it.
    for i, k in enumerate(classes):
        if k == _ET:
            left = i > 0 and classes[i - 1] == _EN
            right = i + 1 < n and classes[i + 1] == _EN
            if left or right:
                classes[i] = _EN
    runs: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if classes[i] not in (_L, _EN):
            i += 1
            continue
        start = i
        has_l = classes[i] == _L
        last = i  # index of the last L/EN char in the run
        j = i + 1
        while j < n:
            k = classes[j]
            if k in (_L, _EN) and j == last + 1:
                has_l = has_l or k == _L
                last = j
                j += 1
                continue
            if k in (_L, _EN):
                gap = visual[last + 1:j]
                prev = classes[last]
                if has_l:
                    join = True  # neutrals between L and L (or a number that follows L) are L
                elif prev == _EN and k == _EN:
                    join = len(gap) == 1 and classes[last + 1] in (_CS, _ES)
                else:
                    join = False  # a number (acting as R) and a Latin word: the neutrals go RTL
                if not join:
                    break
                has_l = has_l or k == _L
                last = j
                j += 1
                continue
            if k == _R:
                break
            j += 1
        runs.append((start, last + 1))
        i = last + 1
    return runs


def visual_to_logical(visual: str) -> str:
    """Return the logical order of one right-to-left line given in visual order."""
    if not any(_klass(c) == _R for c in visual):
        return visual
    runs = _ltr_runs(visual)
    ends = {end: start for start, end in runs}
    out: list[str] = []
    i = len(visual)
    while i > 0:
        if i in ends:
            start = ends[i]
            out.append(visual[start:i])
            i = start
        else:
            out.append(visual[i - 1].translate(_MIRROR))
            i -= 1
    return "".join(out)


def is_visual_line(line: str) -> bool:
    """True when a Hebrew line looks reversed (words start with final letters)."""
    words = _WORD.findall(line)
    if len(words) < 2:
        return False
    starts = sum(1 for w in words if w[0] in _FINALS)
    ends = sum(1 for w in words if w[-1] in _FINALS)
    return starts >= 2 and starts > 2 * ends


def repair_visual_lines(text: str) -> tuple[str, int]:
    """Reorder the lines of ``text`` that are in visual order; return the text and how many."""
    lines = text.split("\n")
    fixed = 0
    for i, line in enumerate(lines):
        if is_visual_line(line):
            lines[i] = visual_to_logical(line)
            fixed += 1
    return ("\n".join(lines), fixed) if fixed else (text, 0)
