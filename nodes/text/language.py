"""Language detection by script: Hebrew, Arabic or English (Latin) letters, or ``mixed``.

The rule, in order:

1. Letters are counted per script (Hebrew, Arabic, Latin) — not those of web and e-mail
   addresses ("israelpost-il.delivery-pay.com"): a Hebrew message with a link in it is Hebrew.
2. Inside Hebrew or Arabic text, a Latin word written like a name — a capital letter
   ("iPhone", "Zoom", "WhatsApp", "SEO") or a digit ("4G") — is a brand or product and
   counts at a tenth of its letters; an ordinary lowercase word ("app", "sync", "invoice",
   "upgrade") is English carried in the sentence and counts in full. With two English
   function words ("the", "and", "I", "please", ...) every Latin word counts in full.
3. ``mixed`` when the second script holds at least 25% of the weighted letters (and at
   least 3 letters); else the first script.
4. A text in Latin letters only is Hebrew when at least three of its words, and a fifth of
   them, are common Hebrew words as typed in Latin letters ("shalom ani rotze lekabel"),
   and Arabic when as many are Arabizi ("marhaba bade a3ref"); otherwise English.
"""

from __future__ import annotations

import re

from .normalize import normalize

_LATIN_WORD = re.compile(r"[A-Za-z]+")
#: a link, an e-mail or a bare domain: an address, in no language (each starts only where a token does, so a
#: long run of letters is scanned once, not once per letter)
_ADDRESS = re.compile(
    r"(?:https?://|www\.)\S+|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?<![\w.-])[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info"
    r"|biz|io|app|co|il|me|ly"
    r"|shop|store|online|site|xyz|top)\b(?:/\S*)?",
    re.IGNORECASE,
)
_EN_FUNCTION_WORDS = frozenset({
    "the", "a", "an", "and", "or", "but", "to", "of", "in", "on", "at", "for", "with", "from",
    "is", "are", "was", "were", "be", "been", "am", "i", "you", "he", "she", "we", "they", "it",
    "my", "your", "our", "their", "this", "that", "these", "those", "please", "hi", "hello",
    "thanks", "thank", "would", "like", "want", "need", "can", "could", "will", "not", "no", "yes",
    "do", "does", "did", "have", "has", "had", "me", "us",
})

#: Hebrew words as people type them in Latin letters (transliterated chat)
_HE_IN_LATIN = frozenset({
    "shalom", "ani", "ata", "at", "ze", "zeh", "zot", "ma", "ken", "lo", "toda", "todah", "bevakasha", "efshar",
    "rotze", "rotza", "rotsa", "rotse", "rotzah", "lekabel", "likboa", "yesh", "ein", "li", "lecha", "lach", "shel",
    "et", "ha", "be", "le", "ve", "kvar", "mamash", "ahrei", "acharei", "lifnei", "tor", "yom", "shavua", "hodesh",
    "shana", "ech", "eich", "eize", "eizeh", "lama", "matai", "shelachem", "shelcha", "sheli", "hayom", "mahar",
    "etmol", "beseder", "sababa", "meod", "harbe", "kama", "ole", "oleh", "tsarich", "tzarich", "tsricha",
    "tzricha", "rishon", "sheni", "shlishi", "shishi", "shabat", "shekel", "shekalim",
})
#: Arabic as typed in Latin letters and digits (Arabizi; the digits 2, 3, 7 inside words count too)
_AR_IN_LATIN = frozenset({
    "marhaba", "mar7aba", "ahlan", "shu", "sho", "kif", "keef", "bade", "badi", "biddi", "baddi", "inshallah",
    "yalla", "habibi", "shukran", "ana", "inta", "inti", "hada", "hay", "mish", "mesh", "kteer", "ktir",
    "bkra", "bukra", "lesh", "leish", "wen", "fi", "el", "w", "ya", "tamam", "mumkin", "momken",
})
_LATIN_ONLY_WORDS = 3
_LATIN_ONLY_SHARE = 0.2
_ARABIZI_DIGITS = re.compile(r"[a-z][2379]|[2379][a-z]")
#: a word of a Latin-only text, digits and apostrophes included ("a3ref", "likbo'a")
_LATIN_TOKEN = re.compile(r"[A-Za-z0-9']+")

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
_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for ranges in _GROUPS for lo, hi in ranges)
#: everything that is not a letter of the three scripts
_NOT_LETTERS = re.compile(f"[^{_CLASS}]+")
#: each letter to a digit naming its script ("1" Hebrew, "2" Arabic, "3" Latin)
_SCRIPT_MARK = {cp: str(i + 1) for i, ranges in enumerate(_GROUPS) for lo, hi in ranges for cp in range(lo, hi + 1)}


def script_counts(text: str) -> dict[str, int]:
    """Count Hebrew, Arabic and Latin letters in ``text`` (a few passes in C, whatever its length:
    the non-letters are cut out, each letter becomes its script's mark, the marks are counted)."""
    marks = _NOT_LETTERS.sub("", text).translate(_SCRIPT_MARK)
    return {"he": marks.count("1"), "ar": marks.count("2"), "en": marks.count("3")}


def _brand_like(word: str) -> bool:
    """A Latin word written like a name or a product: a capital letter, or a digit."""
    return any(ch.isupper() or ch.isdigit() for ch in word)


def _latin_script_language(norm: str) -> str:
    """Hebrew or Arabic typed in Latin letters (rule 4), else English."""
    words = [w.lower() for w in _LATIN_TOKEN.findall(norm) if any(ch.isalpha() for ch in w)]
    if len(words) < _LATIN_ONLY_WORDS:
        return "en"
    if sum(1 for w in words if w in _EN_FUNCTION_WORDS) >= max(2, len(words) // 4):
        return "en"
    need = max(_LATIN_ONLY_WORDS, _LATIN_ONLY_SHARE * len(words))
    he = sum(1 for w in words if w in _HE_IN_LATIN)
    ar = sum(1 for w in words if w in _AR_IN_LATIN or _ARABIZI_DIGITS.search(w))
    if he >= need and he >= ar:
        return "he"
    if ar >= need:
        return "ar"
    return "en"


def detect_language(text: str) -> str:
    """Return ``"he"``, ``"ar"``, ``"en"``, ``"mixed"`` or ``"unknown"`` for ``text`` (see the
    module docstring for the rule)."""
    norm = _ADDRESS.sub(" ", normalize(text))
    counts = script_counts(norm)
    weights = {k: float(v) for k, v in counts.items()}
    if counts["en"] and counts["he"] + counts["ar"] >= MIXED_MIN_LETTERS:
        words = _LATIN_WORD.findall(norm)
        function_words = sum(1 for w in words if w.lower() in _EN_FUNCTION_WORDS)
        if function_words < 2:
            brands = sum(len(w) for w in words if _brand_like(w))
            weights["en"] -= (1 - BRAND_WEIGHT) * brands
    total = sum(weights.values())
    if total == 0:
        return "unknown"
    ranked = sorted(weights.items(), key=lambda kv: kv[1], reverse=True)
    (first, _), (second, second_weight) = ranked[0], ranked[1]
    if second_weight / total >= MIXED_SHARE and counts[second] >= MIXED_MIN_LETTERS:
        return "mixed"
    if first == "en" and not counts["he"] and not counts["ar"]:
        return _latin_script_language(norm)
    return first
