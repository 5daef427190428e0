"""Find email addresses (ASCII local part and domain; Hebrew text may be glued around)."""

from __future__ import annotations

import re

from .match import Match, make_match
from .normalize import cached_normalize_map

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-])"
    r"[A-Za-z0-9_%+\-](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
    r"@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9])"
)


def find_emails(text: str) -> list[Match]:
    """Find email addresses in ``text``; ``value`` is the lowercased address."""
    norm, index = cached_normalize_map(text)
    if "@" not in norm:
        return []
    return [
        make_match("email", text, index, m.start(), m.end(), m.group(0).lower())
        for m in _EMAIL.finditer(norm)
    ]
