"""Custom fields an agency asks for per request (or per tenant): regex patterns and/or
keywords, typed as string, date, amount, number or boolean.

A pattern's first group (or the whole match) is the value. After a keyword, the value is
read from the rest of its line: the first date or amount for those types, the first
number for ``number``, the text up to a comma or the end of the line for ``string``;
``boolean`` is true when a keyword is present.

Patterns were checked when the request was validated (:func:`.patterns.check_pattern`)
and run with a time limit (:func:`.patterns.search`).
"""

from __future__ import annotations

import re
from typing import Any

from nodes.core.limits import Deadline
from nodes.text import Match

from .fields import Found
from .models import CustomField
from .patterns import PATTERN_TIMEOUT_S, search

_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")


def _typed(kind: str, raw: str, start: int, dates: list[Match], amounts: list[Match]) -> Found | None:
    end = start + len(raw)
    if kind == "date":
        for d in dates:
            if start <= d.start < end + 1:
                return Found(d.value, d.start, d.end, 0.8)
        return None
    if kind == "amount":
        for a in amounts:
            if start <= a.start < end + 1:
                return Found(dict(a.value), a.start, a.end, 0.8)
        return None
    if kind == "number":
        m = _NUMBER.search(raw)
        if not m:
            return None
        s = m.group(0).replace(",", "")
        value: Any = float(s) if "." in s else int(s)
        return Found(value, start + m.start(), start + m.end(), 0.8)
    if kind == "boolean":
        return Found(True, start, end, 0.7)
    lead = len(raw) - len(raw.lstrip(" \t:-\u2013|"))
    value = raw[lead:].rstrip(" \t:-\u2013|.,;")
    if not value:
        return None
    return Found(value, start + lead, start + lead + len(value), 0.75)


def extract_custom(
    text: str, fields: list[CustomField], dates: list[Match], amounts: list[Match], deadline: Deadline,
) -> tuple[dict[str, Found | None], list[str]]:
    """Return ``{name: Found | None}`` for each custom field, and warnings.

    Each pattern runs for at most :data:`~.patterns.PATTERN_TIMEOUT_S` (less when the
    request's ``deadline`` is nearer): one that runs longer leaves its field ``None`` with
    a warning naming the field. ``deadline`` is checked before every field.
    """
    out: dict[str, Found | None] = {}
    warnings: list[str] = []
    for f in fields:
        deadline.check()
        found: Found | None = None
        try:
            found = _find(text, f, dates, amounts, deadline)
        except TimeoutError:
            deadline.check()  # stopped by the request's budget, not the pattern's own limit
            warnings.append(f"Custom field {f.name!r}: a pattern ran longer than {PATTERN_TIMEOUT_S:g} s over "
                            "this text and was stopped; the field is left empty.")
        out[f.name] = found
    return out, warnings


def _find(text: str, f: CustomField, dates: list[Match], amounts: list[Match], deadline: Deadline) -> Found | None:
    """The value of one custom field: its first pattern that yields one, else its first keyword."""
    for pattern in f.patterns:
        m = search(pattern, text, min(PATTERN_TIMEOUT_S, deadline.remaining()))
        if m:
            g = 1 if m.re.groups and m.group(1) is not None else 0
            found = _typed(f.type, m.group(g), m.start(g), dates, amounts)
            if found:
                return found
    for kw in f.keywords:
        m = re.search(re.escape(kw).replace(r"\ ", r"\s+"), text, re.IGNORECASE)
        if not m:
            continue
        if f.type == "boolean":
            return Found(True, m.start(), m.end(), 0.7)
        line_end = text.find("\n", m.end())
        line_end = len(text) if line_end == -1 else line_end
        rest_end = min(line_end, m.end() + 120)
        rest = text[m.end():rest_end]
        if f.type == "string":
            rest = re.split(r"[,;(]|\.\s", rest, maxsplit=1)[0]
        found = _typed(f.type, rest, m.end(), dates, amounts)
        if found:
            return found
    return None
