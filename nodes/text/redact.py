"""Replace personal data with numbered placeholders ([PHONE_1], [EMAIL_1], [ID_1], ...).

Covers phones, emails, ID numbers (valid check digit, or named by a context word),
IBANs (checked with ``stdnum.iban``), card numbers (13-19 digits, Luhn-valid), bank
account numbers after a bank-account word, Israeli licence plates (12-345-67,
123-45-678), and street addresses led by a street word (רחוב, רח', שד', Street, St., شارع).
The same value always gets the same placeholder within one text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from stdnum import iban, luhn

from .emails import find_emails
from .ids import find_ids
from .match import Match, make_match, select_non_overlapping
from .normalize import cached_normalize_map
from .phones import find_phones

_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){11,30}(?![A-Za-z0-9])")
_CARD = re.compile(r"(?<![\d.,\-])\d(?:[ -]?\d){12,18}(?![\d]|[.,\-]\d)")
_PLATE = re.compile(r"(?<![\d\-.])(?:\d{2}-\d{3}-\d{2}|\d{3}-\d{2}-\d{3})(?![\d]|-\d)")
_ACCOUNT = re.compile(
    r"(?=[בלמוחbaرحا])"  # the first letters of the words below: a cheap test at each position
    r"(?:(?<![\u05d0-\u05ea])[בלמו]?(?:חשבון(?:\s+בנק)?|ח-ן|ח\"ן)|\b(?:bank\s+)?account(?:\s+(?:no\.?|number))?|"
    r"(?<![\u0620-\u064a])(?:رقم\s+)?(?:ال)?حساب)"
    r"(?:\s*(?:מס'|מספר|no\.?|#))?[\s:.#\-]*(?P<num>\d{4,12}(?:-\d{1,6})?)(?![\d]|[.,/]\d)",
    re.IGNORECASE,
)

_PLACEHOLDER_RE = re.compile(r"\[[A-Z]+_\d+\]")
_PLACEHOLDER = {
    "email": "EMAIL", "phone": "PHONE", "id": "ID", "iban": "IBAN", "card": "CARD",
    "plate": "PLATE", "account": "ACCOUNT", "address": "ADDRESS",
}
_PRIORITY = {"email": 7, "iban": 6, "card": 5, "phone": 4, "id": 3, "account": 2, "plate": 1, "address": 0}
#: a street address where a street word says so: "רחוב הרצל 12", "רח' ויצמן 5א", "שד' רוטשילד 22",
#: "12 Herzl Street", "Herzl St. 12", "شارع الجليل 7" (the street word, one to three words, the number)
_ADDRESS = re.compile(
    r"(?<![\u05d0-\u05ea])[בל]?(?:רחוב|רח[\'׳]|שדרות|שד[\'׳]|סמטת)\s*[\u05d0-\u05ea\"'׳״\-]+"
    r"(?:\s+[\u05d0-\u05ea\"'׳״\-]+){0,2}\s+\d{1,4}(?:[א-ת](?![\u05d0-\u05ea]))?(?!\d)|"
    r"\b\d{1,4}\s+(?:[A-Z][a-z]+\s+){1,3}(?:St(?:reet)?|R(?:oa)?d|Ave(?:nue)?|Blvd|Boulevard|Lane|Way)\b\.?|"
    r"\b(?:[A-Z][a-z]+\s+){1,3}(?:St(?:reet)?|R(?:oa)?d|Ave(?:nue)?|Blvd|Boulevard)\.?\s+\d{1,4}\b|"
    r"(?<![\u0620-\u064a])[بل]?(?:شارع|ش\.)\s*[\u0620-\u064a]+(?:\s+[\u0620-\u064a]+){0,2}(?:\s+\d{1,4}(?!\d))?"
)


def _other_pii(text: str) -> list[Match]:
    norm, index = cached_normalize_map(text)
    found: list[Match] = []
    for m in _IBAN.finditer(norm):
        compact = re.sub(r"[ -]", "", m.group(0))
        if iban.is_valid(compact):
            found.append(make_match("iban", text, index, m.start(), m.end(), compact))
    for m in _CARD.finditer(norm):
        digits = re.sub(r"\D", "", m.group(0))
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits) and len(set(digits)) > 1:
            found.append(make_match("card", text, index, m.start(), m.end(), digits))
    for m in _PLATE.finditer(norm):
        found.append(make_match("plate", text, index, m.start(), m.end(), m.group(0).replace("-", "")))
    for m in _ACCOUNT.finditer(norm):
        found.append(make_match("account", text, index, m.start("num"), m.end("num"), m.group("num")))
    for m in _ADDRESS.finditer(norm):
        found.append(make_match("address", text, index, m.start(), m.end(), m.group(0)))
    return found


def redact(text: str) -> tuple[str, list[Match]]:
    """Return ``text`` with personal data replaced, and the matches that were replaced.

    Placeholders are ``[KIND_n]`` with ``n`` counting distinct values of that kind in order
    of first appearance. The returned matches index the original ``text``.
    """
    redacted, chosen, _ = _redact(text)
    return redacted, chosen


@dataclass(frozen=True)
class Redacted:
    """A text ready to leave the machine, and how to put its personal data back."""

    text: str
    #: placeholder -> the original text it stands for (kept in memory for this call only)
    originals: dict[str, str]
    #: kind -> number of distinct values replaced (for the audit line: what, never which)
    kinds: dict[str, int]

    def restore(self, value: str) -> str:
        """``value`` (e.g. the LLM's answer) with every placeholder of this text put back."""
        return _PLACEHOLDER_RE.sub(lambda m: self.originals.get(m.group(), m.group()), value)


def redact_pii(text: str, names: Sequence[str] = ()) -> Redacted:
    """:func:`redact`, and then every occurrence of ``names`` (people the local engine found in
    the text, at least 2 characters) as ``[NAME_n]``; with what :meth:`Redacted.restore` needs."""
    redacted, chosen, labels = _redact(text)
    originals = {placeholder: next(m.text for m in chosen if (m.kind, str(m.value)) == key)
                 for key, placeholder in labels.items()}
    kinds: dict[str, int] = {}
    for kind, _ in labels:
        kinds[kind] = kinds.get(kind, 0) + 1
    for name in sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True):
        if name in redacted:
            kinds["name"] = kinds.get("name", 0) + 1
            placeholder = f"[NAME_{kinds['name']}]"
            originals[placeholder] = name
            redacted = redacted.replace(name, placeholder)
    return Redacted(redacted, originals, kinds)


def _redact(text: str) -> tuple[str, list[Match], dict[tuple[str, str], str]]:
    candidates = [*find_emails(text), *find_phones(text), *_other_pii(text)]
    candidates += [m for m in find_ids(text) if m.extra.get("valid") or m.extra.get("context")]
    chosen = select_non_overlapping((_PRIORITY[m.kind], m) for m in candidates)
    labels: dict[tuple[str, str], str] = {}
    counters: dict[str, int] = {}
    out: list[str] = []
    pos = 0
    for m in chosen:
        key = (m.kind, str(m.value))
        if key not in labels:
            name = _PLACEHOLDER[m.kind]
            counters[name] = counters.get(name, 0) + 1
            labels[key] = f"[{name}_{counters[name]}]"
        out.append(text[pos:m.start])
        out.append(labels[key])
        pos = m.end
    out.append(text[pos:])
    return "".join(out), chosen, labels
