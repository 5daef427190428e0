"""Tzomet's shared Hebrew/Arabic/English text toolkit.

Every finder takes the text as the caller has it (bidi marks, niqqud, Arabic-Indic
digits and all), works on a normalised copy, and returns :class:`Match` objects whose
``start``/``end`` index the *original* text, with ``match.text == text[start:end]``.

What the finders compute from a text is shared through one small cache, bounded in bytes
and keyed by a digest of the text (:mod:`.cache`); :func:`forget_texts` empties it.
"""

from __future__ import annotations

import datetime as dt

from . import cache
from .dates import find_dates
from .emails import find_emails
from .ids import find_ids
from .language import detect_language
from .match import Match, select_non_overlapping
from .money import find_amounts
from .normalize import normalize, normalize_map
from .numbers import parse_english_number, parse_hebrew_number
from .phones import find_phones
from .redact import redact
from .tokens import split_sentences, strip_prefix, tokens

__all__ = [
    "Match",
    "detect_language",
    "find_all",
    "find_amounts",
    "find_dates",
    "find_emails",
    "find_ids",
    "find_phones",
    "forget_texts",
    "normalize",
    "normalize_map",
    "parse_english_number",
    "parse_hebrew_number",
    "redact",
    "split_sentences",
    "strip_prefix",
    "tokens",
]


def forget_texts() -> None:
    """Forget every text the finders hold (normalised copies, matches, phone numbers).

    Call it after each request, so that no customer text stays in memory past its request.
    """
    cache.clear()


_KEYS = {"email": "emails", "phone": "phones", "id": "ids", "amount": "amounts", "date": "dates"}


def _priority(m: Match) -> float:
    """Who wins when two kinds claim the same characters."""
    if m.kind == "email":
        return 100
    if m.kind == "id" and m.extra.get("context"):
        return 95  # "ת.ז. 031234567": the context word beats the phone reading
    if m.kind == "phone":
        return 90
    if m.kind == "date":
        return 80
    if m.kind == "amount" and m.value.get("currency"):
        return 70
    if m.kind == "id":
        return 60
    return 50


def find_all(text: str, reference: dt.date | None = None) -> dict[str, list[Match]]:
    """Run every finder and return ``{"phones", "emails", "ids", "amounts", "dates"}``.

    No two returned matches overlap: an email beats anything inside it, an ID named by a
    context word beats a phone, a phone beats a date, a date beats an amount, an amount
    with a currency beats an ID without context.
    """
    candidates = [
        *find_emails(text),
        *find_phones(text),
        *find_ids(text),
        *find_dates(text, reference),
        *find_amounts(text),
    ]
    chosen = select_non_overlapping((_priority(m), m) for m in candidates)
    result: dict[str, list[Match]] = {key: [] for key in _KEYS.values()}
    for m in chosen:
        result[_KEYS[m.kind]].append(m)
    return result
