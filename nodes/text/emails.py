"""Find email addresses (ASCII local part and domain; Hebrew text may be glued around).

Also those spelled out against spam harvesters: "dana [at] gmail [dot] com", "nour.designs at gmail.com". A
plain " at " counts only when the address cannot be a sentence ("I work at google.com"): its local part has a
dot, an underscore or a digit, or its domain is a mailbox provider's.
"""

from __future__ import annotations

import re

from .match import Match, make_match
from .normalize import cached_normalize_map

_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+])(?<![A-Za-z0-9._%+]-)"  # "ל-dana@…": a hyphen glued to a Hebrew prefix is not in it
    r"[A-Za-z0-9_%+](?:[A-Za-z0-9._%+\-]{0,62}[A-Za-z0-9_%+\-])?"
    r"@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24}"
    r"(?![A-Za-z0-9\-]|\.[A-Za-z0-9])"
)


_AT = r"(?:\s*[\[({]\s*(?:at|@)\s*[\])}]\s*|\s+at\s+)"
_DOT = r"(?:\s*[\[({]\s*dot\s*[\])}]\s*|\s+dot\s+|\.)"
_SPELLED = re.compile(
    rf"(?<![A-Za-z0-9._%+\-])(?P<local>[A-Za-z0-9_%+](?:[A-Za-z0-9._%+\-]{{0,62}}[A-Za-z0-9_%+\-])?){_AT}"
    rf"(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,61}}[A-Za-z0-9])?(?:{_DOT}[A-Za-z0-9](?:[A-Za-z0-9\-]{{0,61}}"
    rf"[A-Za-z0-9])?){{0,3}}{_DOT}[A-Za-z]{{2,24}})(?![A-Za-z0-9\-]|\.[A-Za-z0-9])",
    re.IGNORECASE,
)
_MAILBOXES = frozenset(["gmail", "walla", "hotmail", "yahoo", "outlook", "icloud", "protonmail", "proton", "live",
                        "netvision", "bezeqint", "012", "zahav", "msn", "aol", "gmx", "mail", "me"])


def _spelled(norm: str) -> list[re.Match[str]]:
    folded = norm.lower()
    if " at " not in folded and "at]" not in folded and "at)" not in folded and "at}" not in folded and \
            "@]" not in folded and "@)" not in folded:
        return []
    out = []
    for m in _SPELLED.finditer(norm):
        between = norm[m.end("local"):m.start("domain")]
        plain = not re.search(r"[\[({]", between)
        domain = re.split(r"\W+", m.group("domain").lower().strip())[0]
        if plain and not (re.search(r"[._\d]", m.group("local")) or domain in _MAILBOXES):
            continue  # "I work at google.com" is a sentence, not an address
        out.append(m)
    return out


def find_emails(text: str) -> list[Match]:
    """Find email addresses in ``text`` (spelled-out ones too); ``value`` is the lowercased address."""
    norm, index = cached_normalize_map(text)
    found = [make_match("email", text, index, m.start(), m.end(), m.group(0).lower())
             for m in (_EMAIL.finditer(norm) if "@" in norm else ())]  # most messages hold no "@" at all
    for m in _spelled(norm):
        domain = re.sub(_DOT, ".", m.group("domain"), flags=re.IGNORECASE)
        found.append(make_match("email", text, index, m.start(), m.end(), f"{m.group('local')}@{domain}".lower()))
    return sorted(found, key=lambda f: f.start) if len(found) > 1 else found
