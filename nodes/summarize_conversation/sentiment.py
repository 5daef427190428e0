"""Lexicon-based sentiment for Hebrew, Arabic and English messages.

Each message scores the sum of its lexicon hits (``data/sentiment_*.tsv``: a weight per
term, phrases matched on the text, single words on tokens and on tokens without their
Hebrew one-letter prefixes, emoji as characters). A negator up to two tokens before a
word flips its sign. The score is squashed to -1..1 with ``tanh(sum / 2)``.

``overall`` is the mean score of the customer's messages that hit the lexicon (all
messages when the customer said nothing scored): above 0.15 positive, below -0.15
negative. ``trend`` compares the mean of the later half of those scored messages with the
earlier half: a rise above 0.4 is improving, a fall below -0.4 worsening.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from nodes import text as tt
from nodes.summarize_conversation.summary import strip_prefix

_DATA = Path(__file__).parent / "data"


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


NEGATORS = _wordset(
    "לא אין בלי אינו אינה ללא not no never dont didnt isnt wasnt doesnt wont cant couldnt ما "
    "مش مو لا ليس بدون "
)
POSITIVE_AT = 0.15
NEGATIVE_AT = -0.15
TREND_AT = 0.4


@dataclass(frozen=True)
class Lexicon:
    """Word weights, phrase weights (with a space) and emoji weights."""

    words: dict[str, float]
    phrases: tuple[tuple[str, float], ...]
    emoji: tuple[tuple[str, float], ...]


def _read_tsv(path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, _, weight = line.partition("\t")
        out[term.strip().lower()] = float(weight)
    return out


@cache
def lexicon() -> Lexicon:
    """Load the lexicons once per process."""
    words: dict[str, float] = {}
    phrases: list[tuple[str, float]] = []
    for lang in ("he", "ar", "en"):
        for term, weight in _read_tsv(_DATA / f"sentiment_{lang}.tsv").items():
            if " " in term:
                phrases.append((term, weight))
            else:
                words[term] = weight
    emoji = tuple(_read_tsv(_DATA / "sentiment_emoji.tsv").items())
    return Lexicon(words, tuple(phrases), emoji)


@cache
def _emoji_chars() -> re.Pattern[str]:
    """Matches any character that an emoji of the lexicon starts with."""
    return re.compile("[" + "".join(sorted({re.escape(ch[0]) for ch, _ in lexicon().emoji})) + "]")


def _token_text(tok: object) -> str:
    return str(getattr(tok, "text", tok))


_APOSTROPHE = re.compile(r"(\w)['’](t)\b", re.I)


def score_text(text: str, words: Sequence[str] | None = None) -> tuple[float, int]:
    """Return ``(score in -1..1, number of lexicon hits)`` for one message.

    ``words`` are the message's toolkit tokens when the caller already has them.
    """
    lex = lexicon()
    low = text.lower()
    total = 0.0
    hits = 0
    for phrase, weight in lex.phrases:
        if phrase in low:
            total += weight
            hits += 1
    if _emoji_chars().search(low):  # most messages have no character an emoji starts with
        for ch, weight in lex.emoji:
            n = low.count(ch)
            if n:
                total += weight * min(n, 3)
                hits += 1
    if words is None:
        words = [_token_text(t) for t in tt.tokens(text)]
    toks = [_APOSTROPHE.sub(r"\1\2", w.lower()) if "'" in w or "’" in w else w.lower() for w in words]
    for i, tok in enumerate(toks):
        found: float | None = lex.words.get(tok)
        if found is None:
            stripped = strip_prefix(tok)
            found = lex.words.get(stripped) if stripped != tok else None
        if found is None:
            continue
        weight = found
        if any(t in NEGATORS for t in toks[max(0, i - 2) : i]):
            weight = -weight * 0.8
        total += weight
        hits += 1
    if "!!" in text and total < 0:
        total -= 0.5
    return math.tanh(total / 2), hits


def overall_and_trend(scored: Sequence[tuple[float, int]]) -> tuple[str, str, float]:
    """Overall label, trend label and mean score from per-message ``(score, hits)``."""
    values = [s for s, hits in scored if hits]
    if not values:
        return "neutral", "stable", 0.0
    mean = sum(values) / len(values)
    overall = "positive" if mean > POSITIVE_AT else "negative" if mean < NEGATIVE_AT else "neutral"
    trend = "stable"
    if len(values) >= 2:
        half = len(values) // 2
        early = values[:half] if len(values) % 2 == 0 else values[: half + 1]
        late = values[half:]
        delta = sum(late) / len(late) - sum(early) / len(early)
        if delta > TREND_AT:
            trend = "improving"
        elif delta < -TREND_AT:
            trend = "worsening"
    return overall, trend, round(mean, 3)
