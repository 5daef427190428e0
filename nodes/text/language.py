"""Language detection by script: Hebrew, Arabic or English (Latin) letters.

Latin words inside Hebrew or Arabic text are usually brand and product names
("iPhone", "Zoom", "WhatsApp"), so when RTL letters are present, Latin letters count at
a tenth of their weight unless the Latin part contains English function words ("the",
"and", "I", "please" ...), which means someone is actually writing English.
"""

from __future__ import annotations

import re

from .normalize import normalize

_LATIN_WORD = re.compile(r"[A-Za-z]+")
_EN_FUNCTION_WORDS = frozenset({
    "the", "a", "an", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "from",
    "is", "are", "was", "were", "be", "been", "am", "i", "you", "he", "she", "we", "they", "it",
    "my", "your", "our", "their", "this", "that", "these", "those", "please", "hi", "hello",
    "thanks", "thank", "would", "like", "want", "need", "can", "could", "will", "not", "no", "yes",
    "do", "does", "did", "have", "has", "had", "me", "us",
})

BRAND_WEIGHT = 0.1
MIXED_SHARE = 0.25
MIXED_MIN_LETTERS = 3


#: the letters of each script, as code point ranges (they do not overlap)
SCRIPT_LETTERS: dict[str, tuple[tuple[int, int], ...]] = {
    "he": ((0x05D0, 0x05EA), (0x05F0, 0x05F2)),
    "ar": ((0x0620, 0x064A), (0x066E, 0x06D3), (0x06FA, 0x06FF)),
    "en": ((0x41, 0x5A), (0x61, 0x7A), (0x00C0, 0x024F)),
}
_GROUPS = tuple(SCRIPT_LETTERS.values())
#: runs of Hebrew, Arabic or Latin letters, one group per script: one pass over the text, one string
#: per word rather than per letter
_RUNS = re.compile("|".join("([" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in ranges) + "]+)"
                            for ranges in _GROUPS))


def script_counts(text: str) -> dict[str, int]:
    """Count Hebrew, Arabic and Latin letters in ``text``."""
    runs = _RUNS.findall(text)
    if not runs:
        return {"he": 0, "ar": 0, "en": 0}
    he, ar, en = zip(*runs, strict=True)
    return {"he": len("".join(he)), "ar": len("".join(ar)), "en": len("".join(en))}


def detect_language(text: str) -> str:
    """Return ``"he"``, ``"ar"``, ``"en"``, ``"mixed"`` or ``"unknown"`` for ``text``.

    ``unknown`` when the text has no letters; ``mixed`` when the second script holds at
    least 25% of the (weighted) letters and at least 3 letters.
    """
    norm = normalize(text)
    counts = script_counts(norm)
    weights = {k: float(v) for k, v in counts.items()}
    if counts["en"] and counts["he"] + counts["ar"] >= MIXED_MIN_LETTERS:
        words = [w.lower() for w in _LATIN_WORD.findall(norm)]
        function_words = sum(1 for w in words if w in _EN_FUNCTION_WORDS)
        if function_words < 2:
            weights["en"] *= BRAND_WEIGHT
    total = sum(weights.values())
    if total == 0:
        return "unknown"
    ranked = sorted(weights.items(), key=lambda kv: kv[1], reverse=True)
    (first, _), (second, second_weight) = ranked[0], ranked[1]
    if second_weight / total >= MIXED_SHARE and counts[second] >= MIXED_MIN_LETTERS:
        return "mixed"
    return first
