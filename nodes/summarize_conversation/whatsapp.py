"""Parse WhatsApp chat exports (Android and iOS; Hebrew, Arabic and English locales).

Android writes ``12.11.2026, 09:14 - Name: text`` (or ``11/5/26, 2:14 PM - ...``), iOS
writes ``[3.11.2026, 20:05:11] Name: text``. Both may put bidi marks (U+200E/U+200F) before
the bracket, inside the date (Arabic locale) or before names, use Arabic-Indic digits and
the Arabic comma, and use a narrow no-break space before AM/PM. A line that does not start
with a header continues the previous message. System lines (encryption notice, joins,
number changes, deleted messages, missed calls) and media placeholders are counted but
are not messages. Day-month vs month-day order is inferred from the whole file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from nodes.text.guard import compile_guarded

#: bidi controls and the BOM: invisible, only in the way of parsing
_BIDI = "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_CLEAN = str.maketrans(
    {
        **{c: None for c in _BIDI},
        "\u202f": " ",
        "\u00a0": " ",
        "\u2007": " ",
        "\u066c": ",",  # Arabic thousands separator
        "\u066b": ".",  # Arabic decimal separator
        **{chr(0x0660 + i): str(i) for i in range(10)},
        **{chr(0x06F0 + i): str(i) for i in range(10)},
    }
)

_DATE = r"(?P<d1>\d{1,4})\s?[./\-]\s?(?P<d2>\d{1,2})\s?[./\-]\s?(?P<d3>\d{1,4})"
_TIME = r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?"
_GERSH = "[\"״”'׳]{1,2}"
_AM = rf"[Aa]\.?\s?[Mm]\.?|לפנה{_GERSH}צ|לפני הצהריים|בבוקר|ص|صباحا|صباحًا"
_PM = rf"[Pp]\.?\s?[Mm]\.?|אחה{_GERSH}צ|אחר הצהריים|בערב|בלילה|م|مساء|مساءً"
_AMPM = rf"(?:\s*(?:(?P<am>{_AM})|(?P<pm>{_PM})))?"
#: the white space between the date and the time, with at most one comma, read one way (its
#: parts taken whole): a long run of spaces after a date cost one try per way of splitting it
_COMMA = r"\s*+(?:[,،]\s*+)?"
_ANDROID = compile_guarded(rf"^\s*{_DATE}{_COMMA}{_TIME}{_AMPM}\s*[-–—]\s?(?P<rest>.*)$", re.S)
_IOS = compile_guarded(rf"^\s*\[{_DATE}{_COMMA}{_TIME}{_AMPM}\s*\]\s?(?P<rest>.*)$", re.S)
_AUTHOR = compile_guarded(r"^(?P<author>[^:\n]{1,80}?):(?:\s|$)(?P<text>.*)$", re.S)

#: notices recognised by how they start (any locale)
_SYSTEM_START = compile_guarded(
    "|".join(
        [
            r"(this message was deleted|you deleted this message|ההודעה (הזו |הזאת )?נמחקה|מחקת את ההודעה (הזו|הזאת)"
            r"|تم حذف هذه الرسالة|لقد حذفت هذه الرسالة|حذفت هذه الرسالة)\.?$",
            r"missed (voice|video) call|שיחה (קולית|וידאו|בווידאו) שלא נענתה|مكالمة (صوتية|فيديو) فائتة",
            r"waiting for this message|ממתין להודעה|بانتظار هذه الرسالة|في انتظار هذه الرسالة",
            r"(your )?security code (with .* )?changed|קוד האבטחה|رمز الأمان",
            r"(you )?(created|changed) (the )?(group|subject|this group)|(you )?blocked this|(you )?unblocked",
            r"this business (uses|is now|works with)|this chat is with a business|העסק הזה (משתמש|עובד)"
            r"|הצ'אט הזה הוא עם עסק|هذه الدردشة مع نشاط تجاري",
        ]
    ),
    re.I,
)
#: notices recognised by a phrase anywhere in a short line (any locale)
_SYSTEM_ANY = compile_guarded(
    r"end-to-end encrypted|מוצפנות מקצה|مشفرة تمام|secure service from meta|שירות מאובטח של meta"
    r"|خدمة آمنة من meta|changed (their|his|her) phone number|changed to \+?\d|את מספר הטלפון"
    r"|رقم هاتف|disappearing messages|ההודעות הזמניות|הודעות נעלמות|الرسائل المؤقتة|ذاتية الاختفاء"
    r"|את הקבוצה|(נושא|שם|סמל|תיאור) הקבוצה|חסמת|ביטלת את החסימה|المجموعة|قمت بحظر|ألغيت حظر"
    r"|is a contact\.?$|הוא איש קשר\.?$",
    re.I,
)
#: the longest line a notice can be
_SYSTEM_MAX_CHARS = 400


#: every match of ``_SYSTEM_ANY`` contains one of these (lower-cased)
_SYSTEM_ANY_NEEDLES = (
    "encrypted", "מוצפנות מקצה", "مشفرة تمام", "meta", "phone number", "changed to", "את מספר הטלפון",
    "رقم هاتف", "disappearing messages", "ההודעות הזמניות", "הודעות נעלמות", "الرسائل المؤقتة",
    "ذاتية الاختفاء", "הקבוצה", "חסמת", "ביטלת את החסימה", "المجموعة", "قمت بحظر", "ألغيت حظر",
    "is a contact", "הוא איש קשר",
)


def is_system(text: str) -> bool:
    """Whether a line (or a message's text) is a WhatsApp notice rather than a message."""
    if _SYSTEM_START.match(text):
        return True
    if len(text) >= _SYSTEM_MAX_CHARS:
        return False
    low = text.lower()
    return any(n in low for n in _SYSTEM_ANY_NEEDLES) and bool(_SYSTEM_ANY.search(text))


#: weaker cues, trusted only on a line without an author or an iOS notice (starts with U+200E)
_SYSTEM_LOOSE = compile_guarded(
    r"\b(added|removed|left|joined|changed)\b|הוסיף|הוסיפה|הסיר|הסירה|יצא|יצאה|הצטרף|הצטרפה|"
    r"أضاف|أضافت|غادر|غادرت|انضم|انضمت|أزال",
    re.I,
)
_MEDIA_WORDS = (
    r"image|video|audio|sticker|gif|document|contact card|photo|voice message|"
    r"התמונה|תמונה|הסרטון|סרטון|השמע|קובץ השמע|הקלטה|ההקלטה|המדבקה|מדבקה|המסמך|מסמך|כרטיס איש הקשר|gif|"
    r"الصورة|صورة|الفيديو|فيديو|الصوت|ملف صوتي|الملصق|ملصق|المستند|مستند|بطاقة جهة الاتصال"
)
_MEDIA_LINE = compile_guarded(
    "|".join(
        [
            r"^<[^<>\n]{3,60}>$",  # <Media omitted>, <המדיה לא נכללה>, <تم استبعاد الوسائط>
            rf"^.{{0,80}}\b({_MEDIA_WORDS})\s+(omitted|הושמט|הושמטה|הושמטו|محذوف|محذوفة|مستبعد|مستبعدة)$",
            rf"^(omitted|הושמט|הושמטה|تم استبعاد|تم حذف)\s+({_MEDIA_WORDS})$",
            r"^<attached: [^>]+>$|^<מצורף: [^>]+>$|^<مرفق: [^>]+>$",
            r"^\S+\.(jpg|jpeg|png|webp|gif|mp4|opus|ogg|m4a|mp3|pdf|docx?|xlsx?|vcf)"
            r" \((file attached|קובץ מצורף|ملف مرفق)\)$",
            r"^null$",
            r"^(view once|צפייה חד-פעמית|عرض مرة واحدة) .{0,30}$",
        ]
    ),
    re.I,
)
_MEDIA_MAX_CHARS = 160
_LRM_AFTER_NAME = compile_guarded(r"\]\s?[^:\]]{1,80}?:\s?[\u200e\u200f]")
#: the edited mark at the end of a message, with the white space before it: a match starts only
#: where a run of white space does (else every space of a long run was tried as a start)
_EDITED = compile_guarded(r"(?<!\s)\s*<(this message was edited|ההודעה נערכה|تم تعديل هذه الرسالة)>\s*$", re.I)

SUPPORTED_FORMATS = (
    "Android: '12.11.2026, 09:14 - Name: text' or '11/5/26, 2:14 PM - Name: text'; "
    "iOS: '[3.11.2026, 20:05:11] Name: text' or '[11/5/26, 2:14:05 PM] Name: text' "
    "(Hebrew, Arabic or English locale; 24-hour or 12-hour clock)"
)


@dataclass
class ParsedMessage:
    """One message of an export: who, when (local time as written) and what."""

    author: str
    text: str
    timestamp: dt.datetime | None
    role: str | None = None


@dataclass
class ParsedChat:
    """The messages of an export, and what was skipped on the way."""

    messages: list[ParsedMessage] = field(default_factory=list)
    format: str = "android"
    date_order: str | None = None
    system_lines: int = 0
    media_omitted: int = 0
    header_lines: int = 0


@dataclass
class _Raw:
    d: tuple[int, int, int]
    h: int
    mi: int
    s: int
    rest: str
    lrm: bool
    lines: list[str]


#: any character :func:`clean` changes (most lines have none, and ``translate`` is slow)
_NEEDS_CLEAN = compile_guarded("[" + "".join(re.escape(chr(c)) for c in _CLEAN) + "]")


def clean(text: str) -> str:
    """Remove bidi controls, map Arabic-Indic digits to ASCII and odd spaces to spaces."""
    return text.translate(_CLEAN) if _NEEDS_CLEAN.search(text) else text


def _header(line: str, dirty: bool = True) -> tuple[re.Match[str], str] | None:
    """The header match of ``line`` and its format; ``dirty=False``: ``line`` needs no :func:`clean`."""
    cleaned = clean(line) if dirty else line
    # a header starts with a digit or "[" (after bidi marks); most lines of a long export
    # are headers, so this cheap check mostly saves time on continuation lines
    head = cleaned.lstrip()[:1]
    if not head or not (head == "[" or head.isdigit()):
        return None
    m = _IOS.match(cleaned) if head == "[" else _ANDROID.match(cleaned)
    if m is None:
        return None
    return m, ("ios" if head == "[" else "android")


def _hour(h: int, am: bool, pm: bool) -> int:
    if pm and h < 12:
        return h + 12
    if am and h == 12:
        return 0
    return h


def _date_order(raws: list[_Raw], separators: set[str]) -> str:
    """Decide DMY/MDY/YMD from the values in the file (and the chronology when ambiguous)."""
    if raws and all(r.d[0] > 31 for r in raws):
        return "YMD"
    if any(r.d[0] > 12 for r in raws if r.d[0] <= 31):
        return "DMY"
    if any(r.d[1] > 12 for r in raws):
        return "MDY"

    def steps_back(order: str) -> int:
        prev: tuple[int, ...] | None = None
        back = 0
        for r in raws:
            day, month = (r.d[0], r.d[1]) if order == "DMY" else (r.d[1], r.d[0])
            key = (r.d[2], month, day, r.h, r.mi)
            if prev is not None and key < prev:
                back += 1
            prev = key
        return back

    dmy, mdy = steps_back("DMY"), steps_back("MDY")
    if dmy != mdy:
        return "DMY" if dmy < mdy else "MDY"
    # en-US writes M/D/YY; every other locale we serve writes the day first
    two_digit_year = raws and raws[0].d[2] < 100
    return "MDY" if separators == {"/"} and two_digit_year else "DMY"


def _timestamp(r: _Raw, order: str) -> dt.datetime | None:
    a, b, c = r.d
    if order == "YMD":
        y, mo, d = a, b, c
    elif order == "MDY":
        mo, d, y = a, b, c
    else:
        d, mo, y = a, b, c
    if y < 100:
        y += 2000
    try:
        return dt.datetime(y, mo, d, r.h, r.mi, r.s)
    except ValueError:
        return None


#: every media placeholder contains one of these (lower-cased); a line without any is not one
_MEDIA_NEEDLES = ("<", "omitted", "attached", "null", "view once", "הושמט", "מצורף", "צפייה חד",
                  "محذوف", "مستبعد", "استبعاد", "حذف", "مرفق", "عرض مرة")


def is_media(text: str) -> bool:
    """Whether a line is a media placeholder (in any supported locale)."""
    text = text.strip()
    if len(text) > _MEDIA_MAX_CHARS:
        return False
    low = text.lower()
    return any(n in low for n in _MEDIA_NEEDLES) and bool(_MEDIA_LINE.match(text))


def parse(transcript: str) -> ParsedChat:
    """Parse a WhatsApp export. Lines before the first header are ignored.

    Returns a :class:`ParsedChat`; ``header_lines == 0`` means nothing looked like an export.
    """
    chat = ParsedChat()
    raws: list[_Raw] = []
    separators: set[str] = set()
    formats: dict[str, int] = {"android": 0, "ios": 0}
    text = transcript.replace("\r\n", "\n").replace("\r", "\n")
    # most exports have no character to clean at all: then no line needs looking at
    dirty = _NEEDS_CLEAN.search(text) is not None
    for line in text.split("\n"):
        found = _header(line, dirty)
        if found is None:
            if raws:
                raws[-1].lines.append(clean(line) if dirty else line)
            continue
        m, fmt = found
        formats[fmt] += 1
        am, pm = m.group("am") is not None, m.group("pm") is not None
        h = int(m.group("h"))
        if h > 23 or int(m.group("mi")) > 59 or ((am or pm) and h > 12):
            if raws:
                raws[-1].lines.append(clean(line) if dirty else line)
            continue
        date_text = m.group(0)[: m.end("d3")]
        separators.update(ch for ch in "./-" if ch in date_text)
        rest = m.group("rest")
        # iOS marks notices and media with U+200E right after "Name: "
        lrm = fmt == "ios" and bool(_LRM_AFTER_NAME.search(line))
        raws.append(
            _Raw(
                d=(int(m.group("d1")), int(m.group("d2")), int(m.group("d3"))),
                h=_hour(h, am, pm),
                mi=int(m.group("mi")),
                s=int(m.group("s") or 0),
                rest=rest,
                lrm=lrm,
                lines=[],
            )
        )
    chat.header_lines = len(raws)
    if not raws:
        return chat
    chat.format = "ios" if formats["ios"] > formats["android"] else "android"
    order = _date_order(raws, separators)
    chat.date_order = order
    for r in raws:
        ts = _timestamp(r, order)
        rest = r.rest.strip()
        who = _AUTHOR.match(rest)
        if who is None:
            chat.system_lines += 1
            continue
        author = who.group("author").strip()
        first = who.group("text").strip()
        if len(author.split()) >= 3 and (is_system(author) or _SYSTEM_LOOSE.search(author)):
            # 'X changed the subject from "a: b"': a notice whose text holds a colon
            chat.system_lines += 1
            continue
        if is_system(first) or (r.lrm and len(first) < 160 and _SYSTEM_LOOSE.search(first)):
            chat.system_lines += 1
            continue
        body_lines = [first, *r.lines]
        kept = [ln for ln in body_lines if not is_media(ln)]
        body = _EDITED.sub("", "\n".join(kept)).strip()
        if not body:
            chat.media_omitted += 1
            continue
        chat.messages.append(ParsedMessage(author=author, text=body, timestamp=ts))
    return chat
