"""Contact details of the sender: name, phones and e-mails, from the text and the sender field.

Phones and e-mails come from the shared text toolkit; only the name lives here. A name is read where
people give their own, in three strengths of cue:

* **labelled or said outright** — a form's field ("שם: …", "איש קשר: …", "Your name: …", "الاسم الكامل: …"),
  "שמי …", "קוראים לי …", "my name is …", "name's …", "اسمي …", and a closing line followed by a line that is
  only a name ("בברכה,\\nיוסי לוי", "Thanks,\\nGreg Stein\\n054-…"), and a title closing the message ("… ד״ר נחום
  גרינברג");
* **introduced** — "אני …", "זה …", "כאן …", "this is …", "it's …", "… here", "معك …", "انا …";
* **signed beside the message** — "תודה, מיכל" or "- Jenny" at its end, a name right before or after a phone
  at its start or end ("אבי 054-…", "Rami 0524… pls call", "… 0527734019 סיגל").

The last two are taken only when the first word is a known first name (``data/first_names.txt``), a
kunya ("ابو رامي", "ام محمد"), or a capitalised English word that is not a common one — so "אני מעוניינת",
"I'm interested", "انا بدي" and "תודה מראש" are no names. Titles (עו״ד, ד״ר, Dr., Mrs., المحامي) are left
out. A name is up to three words and ends where the text does — at punctuation, a line break, a number or a
word that is no name ("ואני", "from", "מהבניין"); when nothing ends it within three words, only its first
word is taken ("זה אורית אפשר לקבוע" → "אורית"). Of the names found, the strongest cue wins, and among
names starting alike the longest ("אני עו״ד רונן אשכנזי ממשרד…" and "בכבוד רב,\\nעו״ד רונן אשכנזי").
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from nodes.classify_lead.models import Sender
from nodes.text import find_emails, find_phones

FIRST_NAMES = Path(__file__).with_name("data") / "first_names.txt"

_Q = "\"'\u05f3\u05f4\u2019\u201d"
_LETTER = "A-Za-z\u05d0-\u05ea\u0621-\u064a"
#: one word of a name: letters, with an apostrophe (ג'ני, O'Neil) or a hyphen (Ben-David) inside
_WORD = re.compile(rf"[{_LETTER}](?:[{_LETTER}]|[{_Q}\-](?=[{_LETTER}]))*")
_TITLE = re.compile(
    rf"(?:עו[{_Q}]?ד|עוה[{_Q}]?ד|ד[{_Q}]ר|דר[{_Q}]|פרופ[{_Q}]?|גב[{_Q}]|גברת|הרב|המהנדס|המהנדסת|"
    r"Dr|Mr|Mrs|Ms|Miss|Prof|Adv|Rabbi|المحامي|المحامية|الدكتور|الدكتورة|د|السيد|السيدة|الأستاذ|الاستاذ|"
    r"الاستاذة|الأستاذة|المهندس|المهندسة)\.?(?=\s)",
    re.IGNORECASE,
)
_KUNYA = frozenset(["ابو", "أبو", "ام", "أم", "אבו", "אום"])
#: words that end a name or are none (checked case-folded; Hebrew also without a leading ו)
_NOT_NAME_WORDS = """
אני את אתה אנחנו הוא היא זה זאת זו כאן פה רוצה רציתי רוצים צריך צריכה צריכים אפשר מעוניין מעוניינת מעוניינים
מחפש מחפשת פונה פונים כותב כותבת מתקשר מתקשרת גר גרה של שלי שלנו עם על אם כי גם רק כבר עוד לא כן היום מחר אתמול
בבקשה תודה שלום היי הי הלו בוקר ערב צהריים טוב טובה אבל או כמו איך מה מתי למה כמה איפה יש אין היה הייתי אשמח נשמח
מתעניין מתעניינת מנהל מנהלת אמא אבא בעלי אשתי הבן הבת ילד ילדה השכן השכנה שוב מאוד ממש סתם חבר חברה לקוח לקוחה
נשלח נשלחה מרחוב ברחוב רחוב דירה דירת בניין מספר טלפון נייד מייל פלאפון רב מראש שבת חג שמח נעים רבה הרבה ביותר לכם לך לי
from and the a an i i'm im me my mine here there at in of on to for with about please pls plz can could would will
need needs want wants looking interested calling writing trying just your you we us our is was am are be been again
call text thanks thank hi hello hey dear regards best cheers sorry also still not no yes ok okay sent iphone android
galaxy mobile phone email tel cell apt apartment flat floor mom mum dad wife husband son daughter friend neighbour
neighbor customer client manager team office whom whoever concern sir madam good morning evening love xoxo
من في على عن مع الى إلى بدي بدنا انا أنا احنا هون هنا اللي هاد هاي هذا هذه بس كمان ممكن لو شو قديش وين كيف ليش
اليوم بكرا بكرة امبارح مرحبا مرحباً اهلا أهلا شكرا شكراً يعطيك العافية صباح مسا مساء الخير النور رقم تلفون هاتف جوال
ساكن ساكنة بشتغل بشتغلك زبون زبونة حضرة السادة المحترمين جزيلا جزيلاً تحياتي الاحترام والتقدير إخوان اخوان
"""
_NOT_NAME = frozenset(_NOT_NAME_WORDS.split())
#: common capitalised English words that open a sentence and are no names
_NOT_NAME_EN_WORDS = """
this that these those it its there here what when where which who why how hi hello hey dear thanks thank sorry
please yes no ok okay good great best kind warm many regards sent from the a an my our your we i me
monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
september october november december can could would will should just also
"""
_NOT_NAME_EN = frozenset(_NOT_NAME_EN_WORDS.split())

_CLOSING = (r"תודה(?:\s+רבה)?(?:\s+מראש)?|בתודה|בברכה|בברכת\s+\S+|בכבוד\s+רב|להתראות|כל\s+טוב|יום\s+טוב|"
            r"thanks(?:\s+(?:a\s+lot|so\s+much|again))?|thank\s+you|(?:(?:best|kind|warm)\s+)?regards|best|cheers|"
            r"sincerely|yours(?:\s+(?:truly|sincerely))?|all\s+the\s+best|best\s+wishes|take\s+care|"
            r"و?شكر[اًا]*(?:\s+جزيل[اًا]*)?|مع\s+(?:الشكر|تحياتي|التحية|خالص\s+التحية)|تحياتي|مع\s+الاحترام")
#: (pattern, strength, whether the first word must be a known name, whether it signs the message off): the
#: name starts where the match ends. White space is read one way ("*+"): read every way, a long run of it
#: costs time quadratic in its length
_CUES: list[tuple[re.Pattern[str], int, bool, bool]] = [
    (re.compile(r"(?:^|\n)[^\S\n]*+(?:שם(?:\s+(?:מלא|פרטי))?|איש(?:ת)?\s+(?:ה)?קשר|(?:your\s+|full\s+|first\s+and\s+last\s+|first\s+|last\s+)?name|"
                r"contact(?:\s+(?:person|name))?|الاسم(?:\s+الكامل)?|اسم)[^\S\n]*+[:：\-–][^\S\n]*+",
                re.IGNORECASE), 3, False, False),
    (re.compile(r"(?:שמי|קוראים\s+לי|השם\s+שלי(?:\s+(?:הוא|זה))?|\bmy\s+name\s+is|\bmy\s+name's|\bname's|"
                r"اسمي|انا\s+اسمي)\s++", re.IGNORECASE), 3, False, False),
    (re.compile(rf"(?:^|\n)[^\S\n]*+(?:{_CLOSING})[^\S\n]*+[,،!.]?[^\S\n]*+\n(?:[^\S\n]*+\n)?[^\S\n]*+",
                re.IGNORECASE), 2, False, False),
    (re.compile(rf"(?<![{_LETTER}])(?:אני|זה|זאת|זו|כאן|מדבר|מדברת|על\s+(?:ה)?שם|this\s+is|it'?s|i\s+am|i'm|im|"
                rf"معك|معاك|"
                rf"انا|أنا|هون)\s++", re.IGNORECASE), 1, True, False),
    (re.compile(rf"(?<![{_LETTER}])(?:{_CLOSING})[^\S\n]*+[,،][^\S\n]*+|(?:^|\s)[-–—][^\S\n]*+", re.IGNORECASE),
     1, True, True),
]
#: a name introduced after it: "Katie here", "מלכה פה", "ام خالد هون"
_HERE = re.compile(rf"\b([A-Z][a-z]+(?:[ \t][A-Z][a-z]+)?)[ \t]{{1,3}}here\b|"
                   rf"(?:^|(?<=[\s,.!]))([{_LETTER}]{{2,20}}(?:[ \t][{_LETTER}]{{2,20}})?)[ \t]{{1,3}}"
                   rf"(?:פה|כאן|هون|هنا)(?![{_LETTER}])")
#: the last words of a message, after the end of a sentence: a name signing it ("… בוואטסאפ הזה. רוני")
_LAST_NAME = re.compile(rf"(?:^|[.!?\n])[ \t]*([{_LETTER}][^\n.!?]{{0,40}})$")
#: what may stand between a name and a phone beside it
_BESIDE = re.compile(r"^[\s,:\-–]*$")
#: what may follow the last word of a message: white space, closing punctuation, an emoji or two
_TRAILING_JUNK = frozenset(" \t\r\n.!,\u200f\u200e\ufe0f🙏👍😊🙂❤🌸👋")


@lru_cache(maxsize=1)
def _first_names() -> frozenset[str]:
    try:
        lines = FIRST_NAMES.read_text(encoding="utf-8").splitlines()
    except OSError:
        return frozenset()
    return frozenset(w.strip().casefold() for w in lines if w.strip() and not w.startswith("#"))


def _is_stop(word: str) -> bool:
    low = word.casefold()
    if low in _NOT_NAME:
        return True
    if len(low) > 2 and low[0] in "וو" and low[1:] in _NOT_NAME:
        return True  # "ואני", "ורציתי", "ومهتمة"
    return low.startswith(("מה", "ממ")) and len(low) >= 4  # "מהגן", "ממשרד": from somewhere


def _known(word: str) -> bool:
    low = word.casefold()
    if low in _first_names():
        return True
    return word[:1].isupper() and word[1:].islower() and low not in _NOT_NAME_EN and low not in _NOT_NAME


#: common words that are also first names and, closing a message, are still the word ("…, שבת שלום")
_CLOSING_WORDS = frozenset(["שלום", "לי", "טובה", "will"])


def _message_end(text: str) -> int:
    """Where the message's last word ends: only white space, punctuation and emoji after it."""
    end = len(text)
    while end and text[end - 1] in _TRAILING_JUNK:
        end -= 1
    return end


class _Reader:
    """Names read from one text; ``closes`` is where its last word ends."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.closes = _message_end(text)

    def last_word_name(self, word: re.Match[str]) -> bool:
        """A first name that is also a common word ("שלי", "Ben") is a name when it signs the message off."""
        low = word.group(0).casefold()
        return word.end() >= self.closes and low in _first_names() and low not in _CLOSING_WORDS

    def read(self, pos: int, need_known: bool, end: int | None = None,
             closing: bool = False) -> tuple[str, int] | None:
        """The name starting at ``pos`` (titles skipped) and where it starts, or ``None`` (see the module
        docstring for where a name ends). ``closing``: a name signing the message off, which may be a common
        word too ("תודה, שלי")."""
        text = self.text
        limit = min(len(text), end if end is not None else pos + 120)
        while True:
            title = _TITLE.match(text, pos, limit)
            if not title:
                break
            pos = title.end()
            while pos < limit and text[pos] in " \t":
                pos += 1
        words: list[re.Match[str]] = []
        at = pos
        ended = False
        while len(words) < 3:
            m = _WORD.match(text, at, limit)
            if m is None or (_is_stop(m.group(0)) and not (closing and not words and self.last_word_name(m))):
                ended = True
                break
            if re.search(r"['’]s$", m.group(0)):
                ended = True  # "I'm Liat's mom": someone else's
                break
            if words and words[0].group(0)[:1].isupper() and not m.group(0)[:1].isupper():
                ended = True  # "Karen from", "Josh thanks": an English name's words are capitalised
                break
            words.append(m)
            gap = m.end()
            while gap < limit and text[gap] in " \t":
                gap += 1
            if gap == m.end() or gap == limit:
                ended = True  # punctuation, a line break, a digit or the end
                break
            at = gap
        if not words:
            return None
        first = words[0].group(0)
        kunya = first in _KUNYA and len(words) >= 2
        if need_known and not (kunya or _known(first)):
            return None
        if not ended:
            words = words[:2] if kunya else words[:1]
        if len(first) < 2:  # a first word that is no name never got here (the loop above stops at it)
            return None
        return text[words[0].start():words[-1].end()], words[0].start()

    def candidates(self) -> list[tuple[int, str, int]]:
        """``(strength, name, where)`` for every name the cues find."""
        text = self.text
        found: list[tuple[int, str, int]] = []
        for pattern, strength, need_known, closing in _CUES:
            for m in pattern.finditer(text):
                read = self.read(m.end(), need_known, closing=closing)
                if read:
                    found.append((strength, read[0], read[1]))
        for m in _HERE.finditer(text):
            group = 1 if m.group(1) else 2
            read = self.read(m.start(group), True, m.end(group))
            if read:
                found.append((1, read[0], read[1]))
        for title in _TITLE.finditer(text):  # a title closing the message: its writer signing
            read = self.read(title.start(), False)
            before = text[max(0, title.start() - 200):title.start()].rstrip()[-1:]
            if read and read[1] + len(read[0]) >= self.closes and before in ("", "\n", ".", "!", ",", "?"):
                found.append((2, read[0], read[1]))
        last = _LAST_NAME.search(text, max(0, self.closes - 60), self.closes)
        if last:
            read = self.read(last.start(1), True, self.closes, closing=True)
            if read and read[1] + len(read[0]) >= self.closes:
                found.append((1, read[0], read[1]))
        phones = find_phones(text)
        for phone in phones[:1] + phones[-1:] if len(phones) > 1 else phones:
            found += self.beside_phone(phone.start, phone.end)
        return found

    def beside_phone(self, start: int, end: int) -> list[tuple[int, str, int]]:
        """A name written right before or after the phone at ``start:end``, when the two open the message
        ("Rami 0524… pls call", "ام محمد ٠٥٤…") or close it ("… אבי 054-…", "… 0527734019 סיגל")."""
        text = self.text
        head = text[max(0, start - 80):start]
        offset = max(0, start - 80)
        out: list[tuple[int, str, int]] = []
        cut = max(head.rfind("\n"), head.rfind("."), head.rfind("?"), head.rfind("!"), head.rfind(",")) + 1
        opens = not text[:offset + cut].strip()
        words = list(_WORD.finditer(text, offset + cut, start))
        opens = opens and len(words) <= 3  # the name, at most three words, then the phone
        if words and _BESIDE.match(text[words[-1].end():start]) and (end >= self.closes or opens):
            first = words[-1]
            if len(words) >= 2 and (words[-2].group(0) in _KUNYA or (
                    words[-2].group(0)[:1].isupper() and first.group(0)[:1].isupper())):
                first = words[-2]  # "ام محمد", "Dana Weiss"
            if opens and words[0].start() != first.start():
                first = words[0]  # the message opens with the name: all of it
            read = self.read(first.start(), True, words[-1].end(), closing=True)
            if read:
                out.append((1, read[0], read[1]))
        after = end
        while after < len(text) and after < end + 10 and text[after] in " \t\r\n,:-–":
            after += 1
        read = self.read(after, True, closing=True)
        if read and read[1] + len(read[0]) >= self.closes:
            out.append((1, read[0], read[1]))
        return out


def find_name(text: str) -> str | None:
    """The name the writer gives for themselves ("שמי דנה כהן", "Name: John", "תודה, מיכל"), or ``None``."""
    found = _Reader(text).candidates()
    if not found:
        return None
    best = max(found, key=lambda c: (c[0], -c[2]))
    # the same person written more fully elsewhere ("אני רונן …" and the signature "רונן אשכנזי")
    fuller = [c[1] for c in found if c[1].split()[0] == best[1].split()[0] and len(c[1]) > len(best[1])]
    return max(fuller, key=len) if fuller else best[1]


#: right before an address: it is the business's, written to or quoted ("שלחתי לכם … ל-jobs@…", "Your contact
#: info@… bounced", "ارسلتلكم ايميل على info@…"), not the writer's
_THEIRS = re.compile(
    r"(?:שלחתי|שלחנו|כתבתי|פניתי)\s+(?:\S+\s+){0,1}(?:לכם|אליכם|לך|אלייך)|לכתובת\s+(?:ה\S+\s+)?שלכם|"
    r"\byour\s+(?:e-?mail|contact|address|mail(?:box)?|inbox)(?!\s*[:：\-–])|\b(?:sent|emailed|wrote|mailed)\s+(?:\w+\s+){0,3}?to\b|"
    r"ارسلت\s*ل?كم|أرسلت\s*ل?كم|ارسلتلكم|أرسلتلكم|بعتت\s*ل?كم|بعتلكم|بعتتلكم|ايميلكم|إيميلكم|بريدكم",
    re.IGNORECASE,
)


def _writers(text: str, found: list[Any]) -> list[str]:
    """The values of ``found`` (e-mails) but those the text says are the business's."""
    keep = []
    for m in found:
        before = text[max(0, m.start - 60):m.start]
        sentence = re.split(r"[.!?\n]", before)[-1]
        if not _THEIRS.search(sentence):
            keep.append(m.value)
    return keep


def contact_fields(text: str, sender: Sender | None) -> dict[str, Any]:
    """The fields of :class:`Contact`: the sender's own name, E.164 phones and e-mails first, then
    those in the text (but an address the text says is the business's), de-duplicated (plain data, part of
    the node's Built output)."""
    phones: list[str] = []
    emails: list[str] = []
    if sender and sender.phone:
        phones += [m.value for m in find_phones(sender.phone)]
    if sender and sender.email:
        emails += [m.value for m in find_emails(sender.email)]
    phones += [m.value for m in find_phones(text)]
    emails += _writers(text, find_emails(text))
    name = (sender.name.strip() if sender and sender.name and sender.name.strip() else None) or find_name(text)
    return {"name": name, "phones": list(dict.fromkeys(phones)), "emails": list(dict.fromkeys(emails))}
