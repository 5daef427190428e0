"""Text normalisation for matching Hebrew, Arabic and English business text.

``normalize`` produces a cleaned copy of a message that the finders (phones, ids,
amounts, dates, ...) run their patterns on; ``normalize_map`` additionally returns,
for every character of the cleaned text, the index of the original character it came
from, so that every span found in the cleaned text can be mapped back to the text the
caller passed in.

What is done, character by character (never across characters, which keeps the map
simple and exact):

* bidi controls (LRM, RLM, ALM, embeddings, overrides, isolates), zero-width spaces and
  the BOM are removed;
* geresh variants (׳ ' ’ ‘ ` ´) become ``'`` and gershayim variants (״ " “ ” „) become ``"``;
* Hebrew niqqud and cantillation marks are removed, maqaf (U+05BE) and the Unicode
  dashes become ``-``;
* Arabic tashkeel (harakat, tanween, shadda, sukun, superscript alef, Quranic marks)
  and tatweel are removed; the Arabic percent, decimal and thousands signs become
  ``%``, ``.`` and ``,``;
* Arabic-Indic and Eastern Arabic-Indic digits become ASCII digits;
* NBSP, thin and other Unicode spaces become a plain space;
* anything else goes through NFKC (presentation forms, full-width digits, ligatures).

Case is kept: callers lowercase where they need to.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from .cache import text_cache

_REMOVE = frozenset(
    [0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x061C, 0x2060, 0xFEFF, 0x00AD, 0x0640]
    + list(range(0x202A, 0x202F))
    + list(range(0x2066, 0x206A))
    # Hebrew points and cantillation; U+05BE maqaf, U+05C0 paseq, U+05C3 sof pasuq and
    # U+05C6 nun hafukha are punctuation and handled separately.
    + [c for c in range(0x0591, 0x05C8) if c not in (0x05BE, 0x05C0, 0x05C3, 0x05C6)]
    # Arabic tashkeel and Quranic annotation marks.
    + list(range(0x0610, 0x061B))
    + list(range(0x064B, 0x0660))
    + [0x0670]
    + list(range(0x06D6, 0x06DD))
    + list(range(0x06DF, 0x06E5))
    + [0x06E7, 0x06E8]
    + list(range(0x06EA, 0x06EE))
)

_REPLACE: dict[str, str] = {
    # geresh
    "\u05f3": "'", "\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'", "\u02bc": "'",
    # gershayim
    "\u05f4": '"', "\u201c": '"', "\u201d": '"', "\u201e": '"',
    # maqaf and dashes
    "\u05be": "-", "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2212": "-",
    # Arabic punctuation with an ASCII twin that matters for numbers
    "\u066a": "%", "\u066b": ".", "\u066c": ",",
    # spaces
    "\u00a0": " ", "\u202f": " ", "\u205f": " ", "\u3000": " ", "\u1680": " ",
}
for _cp in range(0x2000, 0x200B):
    _REPLACE[chr(_cp)] = " "
for _i in range(10):
    _REPLACE[chr(0x0660 + _i)] = str(_i)
    _REPLACE[chr(0x06F0 + _i)] = str(_i)


@lru_cache(maxsize=4096)
def _convert(ch: str) -> str:
    """Return the replacement for one non-ASCII character ('' when it is removed)."""
    if ord(ch) in _REMOVE:
        return ""
    if ch in _REPLACE:
        return _REPLACE[ch]
    folded = unicodedata.normalize("NFKC", ch)
    if folded == ch:
        return ch
    # NFKC may produce characters we strip or replace (e.g. Hebrew presentation forms
    # carrying a dagesh, Arabic ligatures carrying tashkeel).
    out = []
    for c in folded:
        if ord(c) in _REMOVE:
            continue
        out.append(_REPLACE.get(c, c))
    return "".join(out)


@text_cache
def cached_normalize_map(text: str) -> tuple[str, Sequence[int]]:
    """Cached :func:`normalize_map` for the finders, which all normalise the same text.

    The index is a ``range`` when no character moved (most texts), else an ``array`` of
    ints: compact either way. It is shared between callers: never change it.
    """
    return _normalize_map(text)


#: every character :func:`_convert` changes other than by NFKC
_SPECIAL = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_REMOVE | {ord(k) for k in _REPLACE})) + "]")


def _unchanged(text: str) -> bool:
    """Whether no character of ``text`` changes: a quick test for most messages.

    A string that is already NFKC has no character that NFKC alone would change (a
    character NFKC changes cannot occur in normalised text), so only the explicit
    removals and replacements are left to look for.
    """
    if text.isascii():
        return "`" not in text
    return unicodedata.is_normalized("NFKC", text) and _SPECIAL.search(text) is None


def _normalize_map(text: str) -> tuple[str, Sequence[int]]:
    if _unchanged(text):
        return text, range(len(text))
    return _normalize_map_by_char(text)


def _normalize_map_by_char(text: str) -> tuple[str, Sequence[int]]:
    """:func:`_normalize_map` without the quick test: every distinct character is looked at."""
    changes: dict[str, str] = {}
    for ch in set(text):
        if ch.isascii() and ch != "`":
            continue
        rep = _convert(ch)
        if rep != ch:
            changes[ch] = rep
    if not changes:
        return text, range(len(text))
    if all(len(rep) == 1 for rep in changes.values()):
        table: dict[str, str | int | None] = dict(changes)
        return text.translate(str.maketrans(table)), range(len(text))
    if all(len(rep) <= 1 for rep in changes.values()):
        return _removed_by_translate(text, changes)
    # the runs between changed characters are copied whole (their index is a range), so the
    # work follows the changed characters, not the length of the text
    changed = re.compile("[" + "".join(re.escape(ch) for ch in changes) + "]")
    out: list[str] = []
    index = array("L")
    last = 0
    for m in changed.finditer(text):
        i = m.start()
        if i > last:
            out.append(text[last:i])
            index.extend(range(last, i))
        found = changes[m.group()]
        if found:
            out.append(found)
            index.extend([i] * len(found))
        last = i + 1
    if last < len(text):
        out.append(text[last:])
        index.extend(range(last, len(text)))
    return "".join(out), index


def _removed_by_translate(text: str, changes: dict[str, str]) -> tuple[str, Sequence[int]]:
    """The map when every change is a removal or one character for one, computed over the code
    points with numpy: a text full of bidi marks costs a few passes, not a step per mark."""
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    removed = np.zeros(len(codes), dtype=bool)
    for ch, rep in changes.items():
        at = codes == ord(ch)
        if rep:
            codes[at] = ord(rep)
        else:
            removed |= at
    kept = np.flatnonzero(~removed)
    norm = codes[kept].tobytes().decode("utf-32-le", "surrogatepass")
    return norm, array("L", kept.astype(np.dtype(f"u{array('L').itemsize}")).tobytes())


def normalize_map(text: str) -> tuple[str, list[int]]:
    """Normalise ``text`` and map every output character back to the input.

    Returns ``(normalised, index)`` where ``index[i]`` is the position in ``text`` of the
    character that produced ``normalised[i]``. ``len(index) == len(normalised)``.
    """
    norm, index = cached_normalize_map(text)
    return norm, list(index)


def normalize(text: str) -> str:
    """Return the normalised form of ``text`` used for matching (see module docstring)."""
    return cached_normalize_map(text)[0]


def span_to_original(index: Sequence[int], start: int, end: int, original_length: int) -> tuple[int, int]:
    """Map a ``[start, end)`` span of normalised text back to the original text.

    The end maps to one past the original index of the last normalised character, so
    characters removed *inside* the span (bidi marks, niqqud) stay inside it while
    removed characters just outside it stay outside.
    """
    if start >= end:
        pos = index[start] if start < len(index) else original_length
        return pos, pos
    return index[start], index[end - 1] + 1
