"""Contact details of the sender: name, phones and e-mails, from the text and the sender field.

Phones and e-mails come from the shared text toolkit; only the name patterns live here.
"""

from __future__ import annotations

import re
from typing import Any

from nodes.classify_lead.models import Sender
from nodes.classify_lead.rules import fold, literal_options
from nodes.text import find_emails, find_phones

_NAME_WORD = r"[A-Za-z\u05d0-\u05ea\u0621-\u064a][A-Za-z\u05d0-\u05ea\u0621-\u064a'\"׳-]{1,20}"
_NAME = rf"(?P<name>{_NAME_WORD}(?:[ \t]{_NAME_WORD}){{0,2}})"
#: White space is read one way in each: a label starts after the last line break before it
#: (blank lines before that one change nothing), and the break before a signed name is the
#: first one after the closing word. Read every way, a long run of line breaks cost time
#: quadratic (the label) or cubic (the signature) in its length.
_PATTERNS = [
    re.compile(rf"(?:^|\n)[^\S\n]*(?:שם(?:\s+מלא)?|full\s+name|name|الاسم)\s*[:：]\s*{_NAME}", re.IGNORECASE),
    re.compile(rf"(?:שמי|קוראים\s+לי|השם\s+שלי\s+(?:הוא|זה)?|my\s+name\s+is|this\s+is|i\s+am|i'm|اسمي|انا\s+اسمي)"
               rf"\s+{_NAME}", re.IGNORECASE),
    re.compile(rf"(?:בברכה|תודה(?:\s+רבה)?|regards|best|thanks|cheers|مع\s+الشكر|شكرا)(?:\s*+,)?[^\S\n]*\n\s*+{_NAME}"
               rf"\s*$", re.IGNORECASE),
]
#: words that follow "I am"/"my name is" and are not names
_NOT_NAMES = {
    "interested", "looking", "writing", "trying", "calling", "not", "a", "an", "the", "very", "so", "still",
    "מעוניין", "מעוניינת", "רוצה", "צריך", "צריכה", "פונה", "כותב", "כותבת", "לא", "מאוד", "from",
    "here", "sorry", "happy", "going", "also", "just", "unable", "available", "your", "customer",
}
_TRAILING = {"ואני", "ורציתי", "רציתי", "מ", "and", "from", "i", "ו", "و", "من", "אני", "מה", "והייתי", "ורוצה",
             "רוצה", "מעוניין", "מעוניינת", "וצריך", "צריך", "בבקשה", "please", "את", "ה"}


def _clean(name: str) -> str | None:
    words = name.split()
    while words and words[-1].lower() in _TRAILING:
        words.pop()
    if not words or words[0].lower() in _NOT_NAMES:
        return None
    return " ".join(words)


#: per pattern, lists of strings such that its every match contains one of each list (case-folded):
#: a cheap test before the search
_NEEDS = [sorted((tuple(fold(lit) for lit in option) for option in literal_options(p.pattern, p.flags)), key=len)
          for p in _PATTERNS]  # shortest lists first: ":" or "\n" rule most messages out at once


def find_name(text: str) -> str | None:
    """A name the writer gives for themselves ("שמי דנה כהן", "Name: John"), or ``None``."""
    folded = fold(text)
    has = folded.__contains__
    for pattern, needs in zip(_PATTERNS, _NEEDS, strict=True):
        if not all(any(map(has, option)) for option in needs):
            continue
        m = pattern.search(text)
        if m:
            name = _clean(m.group("name"))
            if name:
                return name
    return None


def contact_fields(text: str, sender: Sender | None) -> dict[str, Any]:
    """The fields of :class:`Contact`: the sender's own name, E.164 phones and e-mails first, then
    those in the text, de-duplicated (plain data, part of the node's Built output)."""
    phones: list[str] = []
    emails: list[str] = []
    if sender and sender.phone:
        phones += [m.value for m in find_phones(sender.phone)]
    if sender and sender.email:
        emails += [m.value for m in find_emails(sender.email)]
    phones += [m.value for m in find_phones(text)]
    emails += [m.value for m in find_emails(text)]
    name = (sender.name.strip() if sender and sender.name and sender.name.strip() else None) or find_name(text)
    return {"name": name, "phones": list(dict.fromkeys(phones)), "emails": list(dict.fromkeys(emails))}
