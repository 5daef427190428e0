"""The standard contract fields, each with the span of text it came from.

Every rule looks at what a value is *introduced by* in its own clause: a date after
"נחתם ביום" is the signing date, after "החל מיום" the start, after "ועד ליום" the end; an
amount after "דמי השכירות" is the payment, after "פיקדון" / "ערבות בנקאית" the security
deposit, after "פיצוי מוסכם" or "ריבית" neither. When nothing introduces a value, the
field stays ``None``: a missing field is never guessed.

Dates and amounts come from the shared toolkit (:mod:`nodes.text`); durations and clauses
from :mod:`.clauses`.
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from nodes.text import Match
from nodes.text.guard import compile_guarded

from .clauses import AR_LETTERS, AR_MARK, AR_MARK_CHARS, Clauses, Duration, ar

QC = "\"'\u05f3\u05f4\u2019\u201c\u201d"
Q = f"[{QC}]"
HE = "\u05d0-\u05ea"
P = "[והבלמשכ]{0,2}"  # Hebrew one-letter prefixes


@dataclass
class Found:
    """A value and its evidence span (``confidence`` in 0..1)."""

    value: Any
    start: int
    end: int
    confidence: float


AR = AR_LETTERS
#: Arabic one-letter prefixes (and, so, with, to, like) before a cue word
AP = "[وفبلك]{0,2}"


def _ar_words(words: str) -> str:
    """Arabic cue words as a pattern part: whole words, each with its prefixes (see :func:`ar`)."""
    return rf"(?<![{AR}])(?=[{AR}]){AP}(?:{ar(words)})(?![{AR}])"


def _rx(pattern: str) -> re.Pattern[str]:
    return compile_guarded(pattern, re.IGNORECASE)


def _words_rx(he: str, en: str, arabic: str = "") -> re.Pattern[str]:
    """Hebrew words ``he`` (each may carry one-letter prefixes), English words ``en`` or Arabic
    words ``arabic`` (with their prefixes and vowel marks), as a case-insensitive pattern.

    The lookaheads only repeat what a match starts with (a Hebrew letter, a Latin letter), so
    the scan passes over every other position without trying each word there: such patterns
    are run on the window before every amount, and a long text may have many.
    """
    return _rx(rf"(?<![{HE}])(?=[{HE}]){P}(?:{he})|\b(?=[a-z])(?:{en})\b"
               + (f"|{_ar_words(arabic)}" if arabic else ""))


#: a letter: every cue word holds one, so a window without any has no cue
_LETTER = re.compile(r"[^\W\d_]")


# --- dates ----------------------------------------------------------------------------

#: what introduces a date; the lookaheads only repeat what a match starts with (see :func:`_words_rx`)
_DATE_CUES: dict[str, re.Pattern[str]] = {
    "sign": _rx(
        rf"(?<![{HE}])(?=[{HE}])(?:ש?נערכה|ש?נערך|ו?נחתמה|ו?נחתם|ש?נכרתה|ש?נכרת|ונערכה|ונערך|נחתמו|על\s+החתום|תאריך\s+(?:ה)?חתימה|מועד\s+החתימה|"
        rf"תאריך\s+(?:ה)?הסכם|תאריך\s+(?:ה)?חוזה|תאריך\s+(?:ה)?הנפקה|הונפקה|תאריך\s*:|"
        rf"תאריך\s+(?:ה)?(?:הרשמה|אישור|הזמנה|מילוי|קבלה)\s*:)|"
        r"\b(?=[a-z])(?:made\s+(?:and\s+entered\s+into\s+)?(?:as\s+of|on)|entered\s+into\s+(?:as\s+of|on)|"
        r"made|entered\s+into|dated|executed|signed|signature\s+date|date\s+of\s+(?:this\s+)?(?:agreement|signing)|"
        r"(?<!effective\s)(?<!start\s)(?<!end\s)(?<!commencement\s)(?<!expiry\s)(?<!due\s)date\s*[:|])|"
        + _ar_words("تحريرا|حرر|تحرر|حررت|وقع|وقعت|تم\\s+التوقيع|تاريخ\\s+التوقيع|تاريخ\\s+العقد|تاريخ\\s+الاتفاقية|"
                    "التاريخ(?=\\s*:)|تاريخ(?=\\s*:)")
    ),
    "start": _rx(
        rf"(?<![{HE}])(?=[{HE}]){P}(?:החל\s+מ(?:יום|תאריך)?|תקופת\s+\S+(?=\s*[:|]?\s*$)|תקופת\s+\S+\s*[:|]|ה?תחילת(?:ו|ה)?"
        rf"|תחילתה|תחילתו|יחל(?:ו)?|תחל|(?:תיכנס|ייכנס)\s+לתוק(?:ף|פו|פה)|[יתא]תחיל(?:ו)?(?:\s+ל[{HE}]+)?|"
        rf"נכנס\s+לתוקף|מועד\s+ה?תחילה|יום\s+ה?תחילה|מ(?:יום|תאריך)|ו?תחילתה|תחילת\s+העבודה|בתוקף\s+מ(?:יום)?|"
        rf"מתחיל(?:ה|ות|ים)?|(?:תאריך|מועד)\s+(?:ה)?(?:כניסה|התחלה)\s*:)|"
        r"\b(?=[a-z])(?:commenc\w*|start(?:ing|s)?(?:\s+date)?|effective\s+(?:from|as\s+of|on|date)|beginning(?:\s+on)?|"
        r"from|as\s+of|with\s+effect\s+from|(?:takes?|shall\s+take|will\s+take)\s+effect\s+(?:on|from|as\s+of)|begins?(?:\s+work)?\s+on)|"
        + _ar_words("تبدأ|يبدأ|تبدا|يبدا|اعتبارا\\s+من|ابتداء\\s+من|بدءا\\s+من|من\\s+تاريخ|تاريخ\\s+البدء|"
                    "يسري\\s+مفعوله\\s+من|يدخل\\s+حيز\\s+التنفيذ|الواقعة\\s+من|الممتدة\\s+من|للفترة\\s+من|لفترة\\s+من|"
                    "من\\s+يوم")
    ),
    "end": _rx(
        rf"(?<![{HE}])(?=[{HE}]){P}(?:עד\s+(?:ל)?(?:יום|תאריך)|עד|סיום|סיומ[הו]|סופ[הו]|לא\s+יאוחר\s+מ(?:יום)?|ו?יסתיים|ו?תסתיים|ו"
        rf"?מסתיים|ו?מסתיימת|תום|"
        rf"תפוג|יפוג|פקיעת|ותפקע|יפקע)|"
        r"\b(?=[a-z])(?:until|through|to|no\s+later\s+than|ending(?:\s+on)?|end(?:s|ing)?(?:\s+date)?|expir\w*|terminat"
        r"\w*\s+on|till)|"
        + _ar_words("تنتهي|ينتهي|حتى|لغاية|انتهاء|حتى\\s+تاريخ")
    ),
}
_TERM_WORDS = _rx(
    rf"(?<![{HE}]){P}(?:תקופ\w*|הסכם|ההסכם|חוזה|השכירות|שכירות|ההתקשרות|העסקה|ההעסקה|הביטוח|ביטוח|הפוליסה|"
    rf"פוליסה|ההלוואה|הלוואה|תוקף|העבודה|השירותים|המסירה)|"
    r"\b(?:term|agreement|period|lease|employment|coverage|policy|loan|engagement|services|contract)\b|"
    + _ar_words("مدة|المدة|مدته|مدتها|العقد|الاتفاق|الاتفاقية|الإيجار|الايجار|الخدمة|الخدمات|العمل|القرض|التأمين")
)
_PAYMENT_NEAR = _rx(
    rf"(?<![{HE}]){P}(?:ישולם|ישולמו|תשולם|תשולמנה|תשלום|תשלומים|לתשלום|ישלם|תשלם|שכר(?![הת])|יתרה|היתרה|יתרת|מקדמה)|"
    r"\b(?:pa(?:y|id)|payments?|due|balance|instal\w*)\b|"
    + _ar_words("يدفع|تدفع|دفع|الدفع|دفعة|يسدد|تسدد|تسديد|قسط|أقساط|اقساط")
)
#: what joins the two dates of a range; its white space is taken whole (what follows it never
#: starts with white space), so a long gap is read once, not once per way of splitting it
_RANGE_SEP = _rx(r"^\s*+(?:[-\u2013\u2014]|עד|ועד|ל-|to|until|through|till|حتى|وحتى|إلى|الى|ولغاية|لغاية)\s*+"
                 r"(?:ליום|יום|לתאריך|תאריך|تاريخ|ה-?)?\s*$")


def _last_cue(window: str) -> tuple[str, int] | None:
    """The date cue (sign/start/end) that ends closest to the end of ``window``."""
    if _LETTER.search(window) is None:
        return None
    best: tuple[str, int] | None = None
    for name, rx in _DATE_CUES.items():
        for m in rx.finditer(window):
            if best is None or m.end() > best[1] or (m.end() == best[1] and name == "end"):
                best = (name, m.end())
    return best


#: "between": where the parties begin (a date before it is in the heading)
_PARTIES_WORD = re.compile(rf"(?<![א-ת])(?:ל?בין|between)\b|(?<![{AR}])بين(?![{AR}])", re.IGNORECASE)


#: the heading of a letter's or a quote's acceptance block ("אישור הלקוח:", "AGREED AND ACCEPTED:",
#: "موافقة الزبون"): the date in it is when the agreement was made, whatever the letter is dated
_ACCEPTANCE = re.compile(
    rf"^[ \t]*(?:אישור\s+ה[{HE}]+|הסכמת\s+ה[{HE}]+|agreed\s+and\s+accepted|accepted\s+and\s+agreed|accepted\s+by|"
    rf"acceptance|agreed\b|reply\s+from|מאושר|מאשר|מאשרת|מסכים|מסכימה|موافقة|موافق|أوافق|اوافق|قبول)[^\n]{{0,30}}$",
    re.IGNORECASE | re.MULTILINE,
)
#: how far after an acceptance heading its date may be
ACCEPTANCE_SPAN = 600


#: a date of birth ("תאריך לידה:", "born on"): a person's, not the document's
_BIRTH = _rx(r"לידה|נולד|\bborn\b|\bbirth|الميلاد|مواليد")
#: a bare "from" right before a date that starts a range ("من 1.1.2025 حتى 31.12.2025")
_RANGE_FROM = _rx(r"(?:(?<![\u0621-\u064a])من|(?<![\u05d0-\u05ea])(?:מה?-?|בין(?:\s+התאריכים)?|בתאריכים)|\bfrom|"
                  r"\bbetween)\s*$")
#: a label over a range ("תאריכי הקייטנה:", "Dates:", "الفترة:")
_RANGE_LABEL = _rx(r"(?:תאריכי|תקופת|מועדי|\bdates?|\bperiod|\bterm|الفترة|فترة|مدة|تواريخ)[^\n:]{0,30}:\s*$")
#: what a cue's date is about when it is not the contract's period: an earlier meeting or letter ("בהמשך
#: לפגישתנו מיום", "your email of"), an offer's validity ("ההצעה בתוקף עד"), a delivery deadline
_NOT_THE_TERM = _rx(
    rf"(?<![{HE}])הנדון\s*:|(?<![{HE}])(?:הארכת|חידוש|תיקון|נספח\s+ל)\s*(?:[^\s.;]{{1,20}}\s+){{0,3}}?(?:מיום|מתאריך)|"
    rf"(?<![{HE}]){P}(?:פגיש|שיח|מכתב|הצע|מייל|פניי|הזמנ|בקש|התרא|ביקור|סיור)\S*\s+(?:[^\s.;]{{1,20}}\s+){{0,2}}?"
    rf"(?:מיום|מתאריך|מה-?|ביום)|(?<![{HE}])סימוכין\s*:|\b(?:our|your)\s+(?:ref|reference|e-?mail|letter|meeting|call|(?:purchase\s+)?order|quotation|quote|offer|invoice|proposal)\b|"
    r"\b(?:the|that|an?)\s+(?:[\w\-]+\s+){0,6}?dated\s*$|"
    rf"(?<![{HE}])ו?(?:ה?הצעה|הצעת\s+המחיר)\s+(?:\S+\s+)?בתוקף\s+(?:עד|ל)|"
    r"\b(?:offer|quotation|quote|proposal)\s+(?:is\s+|remains\s+|shall\s+remain\s+)?valid\s+(?:until|till|through)|"
    r"\bdelivery\s+(?:date|deadline)\s*:?\s*(?:no\s+later\s+than|by|until)?|"
    rf"(?<![{HE}])מועד\s+(?:ה)?(?:התקנה|אספקה|מסירה|ההתקנה|האספקה|המסירה)(?:\s+\S+)?\s*:?\s*(?:עד)?|"
    rf"(?<![{HE}])ו?(?:תחזיר|להחזיר|תשיב|להשיב|ימציא|תמציא|ימסור|תמסור|יסופק|תסופק|יעביר|תעביר)\S*\s+"
    rf"(?:\S+\s+){{0,3}}?עד"
)


def find_dates_fields(text: str, clauses: Clauses, dates: list[Match]) -> dict[str, Found | None]:
    """Pick signing, start and end dates from the dates of the text."""
    out: dict[str, Found | None] = {"signing_date": None, "start_date": None, "end_date": None}
    cands: dict[str, list[tuple[float, Found]]] = {"sign": [], "start": [], "end": []}
    for accepted in _ACCEPTANCE.finditer(text, len(text) // 3):
        first = next((d for d in dates if accepted.end() <= d.start < accepted.end() + ACCEPTANCE_SPAN
                      and not d.extra.get("relative")), None)
        if first is not None:
            cands["sign"].append((0.95, Found(first.value, first.start, first.end, 0.95)))
    n = len(text)
    # whether each clause (by its start) has a term word: read once per clause, not once per date in it
    term_clause: dict[int, bool] = {}

    def has_term_words(pos: int) -> bool:
        start = clauses.start_of(pos)
        if start not in term_clause:
            term_clause[start] = _TERM_WORDS.search(text[start:clauses.end_of(pos)]) is not None
        return term_clause[start]

    for i, d in enumerate(dates):
        if d.extra.get("relative"):
            continue
        _, window = clauses.before(d.start, 90)
        cue = _last_cue(window)
        prev = dates[i - 1] if i else None
        # "מיום X ועד יום Y" / "1.1.2026 - 31.12.2026": Y is the end when X is the start.
        nxt = dates[i + 1] if i + 1 < len(dates) else None
        if prev is not None and _RANGE_SEP.match(text[prev.end:d.start]):
            kind = "end"
            cue_end = len(window)
        elif nxt is not None and _RANGE_SEP.match(text[d.end:nxt.start]) and (
                _RANGE_FROM.search(window) or _RANGE_LABEL.search(window)):
            # "لمدة سنة واحدة، من 1.1.2025 حتى 31.12.2025": a period's first day, a bare "from" before it
            kind = "start"
            cue_end = len(window)
        elif cue is None:
            # A date in the heading (before the parties) is the signing date.
            if d.start < 500 and not _PARTIES_WORD.search(text[:d.start]) and not _BIRTH.search(window[-30:]):
                cands["sign"].append((0.6, Found(d.value, d.start, d.end, 0.6)))
            continue
        else:
            kind, cue_end = cue
            gap = len(window) - cue_end
            if gap > 45 or (kind == "end" and d.extra.get("precision") == "month" and gap > 8):
                continue  # a month alone ("to Customer in August 2025") ends the term only right after its cue
        if _NOT_THE_TERM.search(window[max(0, cue_end - 40):]):
            continue  # "בהמשך לפגישתנו מיום", "ההצעה בתוקף עד", "Delivery date: no later than": not the term
        conf = 0.9
        if kind in ("start", "end"):
            if not has_term_words(d.start):
                conf = 0.6
            payment = _PAYMENT_NEAR.search(window[cue_end - 60 if cue_end > 60 else 0:])
            if payment and kind == "end":
                continue  # "ישולם עד ליום ..." is a payment deadline
            if kind == "start" and re.fullmatch(r"\s*(?:from|as\s+of)\s*", window[-12:] or "", re.IGNORECASE) is None \
                    and window.strip().lower().endswith(("from", "as of")) and not has_term_words(d.start):
                continue
            if kind == "end" and window.strip().lower().endswith(("to", "till")) and (
                    prev is None or prev.end < d.start - 60):
                continue
        elif d.start > n * 0.6:
            conf = 0.8  # signature block date
        cands[kind].append((conf, Found(d.value, d.start, d.end, conf)))
    names = {"sign": "signing_date", "start": "start_date", "end": "end_date"}
    for kind, found in cands.items():
        if found:
            best = max(found, key=lambda cf: (cf[0], -cf[1].start))
            out[names[kind]] = best[1]
    return out


# --- durations: term and notice -------------------------------------------------------

_TERM_CUE = _rx(
    rf"(?<![{HE}])(?:ל?תקופ(?:ה|ת)\s+(?:של|בת|ה?שכירות|ה?הסכם|ה?חוזה|ה?התקשרות|ה?העסקה|ה?ביטוח|ה?פוליסה|ה?הלוואה|"
    rf"ה?שירותים|ה?הסכם\s+זה)|לתקופה|תקופת\s+\S+\s+(?:היא|תהיה|הינה|:)|[לב]משך|לתקופת|"
    rf"ו?(?:תימשך|יימשך|ימשך|תמשך)(?:\s+עד\s+ל?תום)?|"
    rf"(?:ה?שכירות|ה?הסכם|ה?התקשרות|ה?חוזה|ה?העסקה)\s+(?:היא|הינה|תהיה|תהא)(?=\s+ל))|"
    r"\b(?:remain|continue)s?\s+in\s+(?:full\s+)?(?:force|effect)\s+for\b|"
    r"\b(?:term\s+of|period\s+of|for\s+a\s+(?:term|period)\s+of|for\s+a\s+(?:fixed\s+)?term|duration\s+of|"
    r"(?:term|period)\s+(?:shall\s+be|is|will\s+be)|for)\b|\b(?:initial\s+)?term[ \t]*:|"
    + _ar_words("(?:ال)?مدة(?=\\s*:)|مدة\\s+(?:هذا|هذه)\\s+(?:العقد|الاتفاق|الاتفاقية|الإيجار)|لمدة|مدته|مدتها|"
                "مدة\\s+(?:العقد|الاتفاق|"
                "الاتفاقية|الإيجار|الايجار|العمل|القرض|الشراكة|الخدمة|الخدمات|الاشتراك|التأجير|الاستئجار)")
)
_TERM_STOP = _rx(
    rf"(?<![{HE}]){P}(?:הודעה|התראה|ניסיון|אופציה|אופציית|הארכה|להאריך|נוספ\w*|תוך|לפני|אחרי|לאחר|איחור|ריבית|"
    rf"תשלומים|תשלום|פיגור|מוקדמת|אחריות|תיקון|ליקוי\S*)|"
    r"\b(?:notice|probation\w*|option|extend\w*|extension|additional|renew\w*|within|prior|before|after|late|interest|"
    r"instal\w*|payments?|trial|warrant\w*|guarantee)\b|"
    + _ar_words("إشعار|اشعار|إنذار|انذار|تجربة|خيار|تمديد|إضافية|اضافية|أخرى|اخرى|خلال|قبل|بعد|تأخر|التأخر|تأخير|"
                "فائدة|دفع|يدفع|كفالة|ضمان|الضمان|يضمن|تضمن|الكفالة")
)
_NOTICE_BEFORE = _rx(
    r"(?:הודעה|התראה|בהודעה|בהתראה)\s+(?:\S+\s+){0,3}?(?:מוקדמת|מראש)|הודעה\s+מוקדמת|התראה\s+מוקדמת|"
    r"\b(?:prior|advance)\s+(?:written\s+)?notice|notice\s+(?:period\s+)?of|notice\s+period|notice\s+in\s+writing\s+of|"
    + _ar_words("إشعار|اشعار|إنذار|انذار|إخطار|اخطار") + r"\s+(?:\S+\s+){0,2}?"
    + ar("(?:مسبق|مسبقا|مسبقة|مدته|مدتها|قبل)")
)
_NOTICE_AFTER = _rx(
    rf"^[{QC}\s]*(?:s{Q}?\s+)?(?:(?:prior|advance)\s+)?(?:written\s+)?(?:prior\s+)?notice|^\s*(?:ימים\s+)?(?:\(\S+\)\s*)?"
    rf"(?:מראש|(?:של\s+)?הודעה\s+מוקדמת|הודעה\s+מראש|בהודעה\s+מוקדמת|התראה\s+מוקדמת)|"
    r"^\s*" + ar(r"(?:مسبقا|مسبق|قبل\s+(?:ال)?موعد|على\s+الأقل\s+مسبقا)")
)
_NOTICE_STOP = _rx(rf"(?<![{HE}]){P}(?:תוך|מקבלת|ממועד|מיום|לאחר)|\b(?:within|after|receipt|following)\b|"
                   + _ar_words("خلال|من\\s+تاريخ|بعد|استلام"))


#: "up to" right before a length: a limit ("לתקופה של עד שנתיים"), not the term
_UP_TO = _rx(r"(?:(?<![\u05d0-\u05ea])עד|\bup\s+to|(?<![\u0621-\u064a])حتى)\s+$")
#: "every"/"each" right before a term cue: a definition of a recurring period ("שנת הסכם – כל תקופה של 12 חודשים")
_EVERY = _rx(r"(?:(?<![\u05d0-\u05ea])[וב]?כל|\b(?:each|every|any)|(?<![\u0621-\u064a])كل)\s+$")


def find_term(text: str, clauses: Clauses, durations: list[Duration]) -> Found | None:
    """The contract's term in months, from "לתקופה של 12 חודשים" / "for a term of two years"."""
    for d in durations:
        months = d.months()
        if months is None or months != int(months):
            continue
        _, window = clauses.before(d.start, 80)
        cue = None
        for m in _TERM_CUE.finditer(window):
            cue = m
        if cue is None:
            continue
        between = window[cue.end():]
        before_cue = window[max(0, cue.start() - 40):cue.start()]
        if len(between) > 40 or _TERM_STOP.search(between) or _TERM_STOP.search(before_cue):
            continue
        if _EVERY.search(before_cue) or _UP_TO.search(between):
            continue  # "כל תקופה של 12 חודשים" defines a contract year, "לתקופה של עד שנתיים" a limit: not the term
        after = text[d.end:d.end + 25]
        if re.match(r"^\s*(?:נוספ|additional|further|أخرى|اخرى|إضافي|اضافي|after|thereafter|following|לאחר|אחרי|מתום|"
                    r"بعد)", after, re.IGNORECASE):
            continue  # another period, or one that follows the term ("for three (3) years after its termination")
        bare_for = cue.group(0).strip().lower() == "for"
        if bare_for and not re.search(r"\b(?:term|period|agreement|lease)\b", window, re.I):
            continue
        return Found(int(months), d.start, d.end, 0.9)
    return None


#: a length of time before the term ends or renews ("90 ימים לפני תום התקופה", "שבועיים לפני מועד החידוש",
#: "60 days before the expiry", "two months before the relevant anniversary"), a few words between: a notice
#: period when the clause speaks of giving notice (:data:`_NOTIFY`)
_BEFORE_END = _rx(
    r"^\s*(?:לפחות\s+|at\s+least\s+|على\s+الأقل\s+)?(?:לפני|קודם\s+ל|before|prior\s+to|"
    + ar("قبل") + r")\s+(?:[^\s.;:]+\s+){0,4}?(?:[והלמב]{0,2}(?:תום|סיום|פקיעת|חידוש|הארכת)|"
    r"(?:end|expiry|expiration|renewal|anniversary|the\s+event)\b|(?:מועד\s+)?ה?אירוע|"
    + ar("(?:ال)?(?:انتهاء|نهاية|تجديد)") + ")"
)
_NOTIFY = _rx(
    rf"(?<![{HE}]){P}(?:הודיע|יודיע|להודיע|הודעה|הודעת|התראה)|\b(?:notif\w*|notice)\b|"
    + _ar_words("إشعار|اشعار|أشعر|يشعر|إخطار|اخطار|أبلغ|يبلغ|يخطر|تخطر|أخطر|بإخطار")
)
#: "قبل شهرين على الأقل من انتهاء الفترة": the "before" written ahead of the length, the end after it
_AR_BEFORE = re.compile(ar("قبل") + r"\s*$")
_AR_FROM_END = re.compile(r"^\s*(?:" + ar(r"على\s+الأقل") + r"\s+)?" + ar(r"من\s+(?:تاريخ\s+)?(?:انتهاء|نهاية)"))
#: a notice about exercising an option ("הודעה על רצונו לממש את האופציה 60 ימים לפני תום") is not the notice
#: that ends the contract or stops its renewal
_OPTION_EXERCISE = _rx(
    rf"(?<![{HE}]){P}(?:לממש|מימוש|ממש)\s+(?:\S+\s+){{0,2}}?ה?אופצי|\bexercis\w*\s+(?:\w+\s+){{0,3}}?options?\b|"
    + _ar_words("ممارسة|استعمال|استخدام") + r"\s+(?:\S+\s+){0,2}?" + ar("(?:ال)?خيار")
)
#: what the notice that matters is about: ending the contract ...
_ENDING = _rx(
    rf"(?<![{HE}]){P}(?:לסיים|סיום|לסיומ\S*|לידי\s+סיום|לבטל|ביטול|להפסיק|הפסקת|לצאת\s+מ)|"
    r"\b(?:terminat\w*|cancel\w*|end\s+(?:this|the))\b|"
    + _ar_words("إنهاء|انهاء|فسخ|إلغاء|الغاء")
)
#: how far before a notice its clause says it ends the contract
_ENDING_BEFORE = 200
#: ... or not renewing it, which gives way to a notice that ends it ("not to renew … sixty (60) days before the
#: end" and "terminate … for convenience … one calendar month's notice": the month)
_NOT_RENEWING = _rx(
    rf"(?<![{HE}]){P}(?:ש?לא\s+להארי[כך]|ש?לא\s+לחדש|אי\s+חידוש|אי\s+הארכ\S*)|"
    r"\b(?:not\s+to\s+renew|non-?renewal|not\s+renew|not\s+be\s+renewed)\b|"
    + _ar_words("عدم\\s+التجديد|عدم\\s+تجديد")
)


#: a trial period's clause ("במהלך תקופת הניסיון", "during the probation period", "خلال فترة التجربة")
_PROBATION = _rx(rf"(?<![{HE}]){P}(?:ניסיון|נסיון)(?![{HE}])|\bprobation\w*|\btrial\s+period|"
                 + _ar_words("التجربة|تجربة"))


#: the time after the trial period ("לאחר תקופת הניסיון", "after the probation period"): ordinary employment
_AFTER_PROBATION = _rx(r"(?:לאחר|אחרי|בתום|מתום|\bafter|\bfollowing|بعد|عقب)\s+(?:\S+\s+){0,2}?"
                       r"(?:ה?ניסיון|ה?נסיון|probation|trial|التجربة|تجربة)")


def find_notice(text: str, clauses: Clauses, durations: list[Duration]) -> Found | None:
    """The notice period in days, from "בהודעה מוקדמת של 60 יום" / "30 days' prior written notice": the first
    notice whose clause is about ending the contract, else the first whose clause is about not renewing it,
    else the first notice (a notice to exercise an option is none)."""
    first: Found | None = None
    not_renewing: Found | None = None
    probation: Found | None = None
    # what each clause is about, read once per clause: a clause may hold thousands of notices
    about: dict[int, str] = {}
    for found in _notices(text, clauses, durations):
        start = clauses.start_of(found.start)
        if start not in about:
            clause = text[start:clauses.end_of(found.start)]
            about[start] = "option" if _OPTION_EXERCISE.search(clause) else \
                "probation" if _PROBATION.search(clause) and not _AFTER_PROBATION.search(clause) else \
                "not renewing" if _NOT_RENEWING.search(clause) else ""
        if about[start] == "option":
            continue
        if about[start] == "probation":  # the notice during a trial period stands only when no other does
            probation = probation or found
            continue
        if about[start] == "not renewing":
            not_renewing = not_renewing or found
        elif _ENDING.search(text, max(start, found.start - _ENDING_BEFORE), found.start):
            return found  # the ending is said before the notice, in its clause ("may terminate … by giving …")
        first = first or found
    return not_renewing or first or probation


def _notices(text: str, clauses: Clauses, durations: list[Duration]) -> Iterator[Found]:
    """Every length of time the text gives as a notice, in order."""
    for d in durations:
        _, window = clauses.before(d.start, 90)
        cue = None
        for m in _NOTICE_BEFORE.finditer(window):
            cue = m
        ok = False
        if cue is not None:
            between = window[cue.end():]
            ok = len(between) <= 45 and not _NOTICE_STOP.search(between)
        if not ok:
            ok = bool(_NOTICE_AFTER.match(text[d.end:d.end + 40]))
        if not ok and (_BEFORE_END.match(text[d.end:d.end + 60]) or (
                _AR_FROM_END.match(text[d.end:d.end + 40]) and _AR_BEFORE.search(text[max(0, d.start - 12):d.start]))):
            ok = _NOTIFY.search(clauses.before(d.start, 160)[1]) is not None
        if ok:
            yield Found(d.days(), d.start, d.end, 0.85)


# --- money ----------------------------------------------------------------------------

_MONEY_CUES: dict[str, re.Pattern[str]] = {
    "payment": _words_rx(
        r"דמי\s+ה?שכירות|דמי\s+שכירות|דמי\s+ה?ביטוח|דמי\s+ה?ניהול|דמי\s+ה?שירות|דמי\s+ה?ייעוץ|"
        r"דמי\s+ה?מנוי|דמי\s+ה?טיפול|דמי\s+ה?שימוש|ה?שכר|משכורת|ה?תמורה|תמורת|מחיר|ה?מחיר|ישלם|תשלם|ישלמו|ישולם|"
        r"ישולמו|ה?תשלום|דמי\s+ה?השתתפות|פרמי\w*|סכום\s+ה?הלוואה|קרן\s+ה?הלוואה|ה?הלוואה|סך\s+ה?הלוואה|ילווה|מלווה\s+ל|"
        r"סכום\s+ה?קרן|ה?עלות|ה?מחיר\s+ה?כולל|עלות\s+ה?שירות|ריטיינר|ה?תעריף(?=\s*:)|ה?שכירות(?=\s*:)|כסף(?=\s*:)|משלמים|משלם|משלמת|הלווה\s+ל|סה[\"'״”]כ|היקף\s+ה?הזמנה|סכום\s+ה?הזמנה",
        r"rent\w*|fees?|salary|wages?|price|consideration|premium|loan(?:\s+amount)?|principal|pay(?:s|able)?|"
        r"compensation|retainer|remuneration|hourly\s+rate|rate(?=\s*:)|amount\s+of\s+the\s+loan|lend|purchase\s+price|base\s+salary|"
        r"(?:net\s+|total\s+)?order\s+(?:value|total)|total\s+(?:price|amount|due)|"
        r"total(?=\s*(?:\([^()\n]{0,40}\))?\s*:?\s*(?:EUR|USD|NIS|ILS|GBP|€|\$|₪)?\s*\d)",
        r"بدل\s+(?:ال)?(?:إيجار|ايجار|الخدمة|الخدمات|الصيانة|الأتعاب)|أجرة|اجرة|الأجرة|الاجرة|أتعاب|الأتعاب|راتب|الراتب|"
        r"ثمن|الثمن|سعر|السعر|قيمة\s+القرض|مبلغ\s+القرض|القرض|يقرض|تقرض|يدفع|تدفع|المقابل|مقابل|الرسوم\s+الشهرية|رسوما\s+شهرية|رسوم\s+شهرية|أجرا|أجر|اجرا|اجر|"
        r"الأجر|الاجر|رسوم\s+(?:\S+\s+){0,2}?(?:شهرية|سنوية)(?:\s+ثابتة)?|المجموع(?:\s+الكلي)?|المبلغ\s+(?:ال)?(?:إجمالي|اجمالي)|(?:ال)?(?:إيجار|ايجار)(?=\s*:)",
    ),
    "deposit": _words_rx(
        r"פיקדון|פקדון|ערבות|ערבון|בטוחה|בטוחות|ביטחון|בטחון|שטר\s+חוב|שטר\s+ביטחון",
        r"deposit|guarantee|security|promissory\s+note|shtar\s+chov",
        r"تأمين\s+نقدي|التأمين\s+النقدي|كتأمين|تأمينا|مبلغ\s+(?:ال)?تأمين|كفالة|الكفالة|ضمان|عربون|العربون|وديعة|"
        r"الوديعة",
    ),
    "other": _words_rx(
        r"פיצוי|פיצויים|קנס|ריבית|איחור|פיגור|השתתפות\s+עצמית|גבול\s+ה?אחריות|סכום\s+ה?ביטוח|תקרת|תקרה|"
        r"הוצאות|ארנונה|חשמל|מים|בונוס|מענק|עמלה|עמלת|הנחה|החזר|אגרה|מקדמה|מקדמת|יתרת|יתרה|דמי\s+ביטול|"
        r"לא\s+יעלה\s+על|עד\s+לסך|שווי|ערך\s+ה?רכב|נזק|הפרה|חוב|שעות\s+נוספות|הבראה|נסיעות|ביגוד|"
        r"יחויב\w*\s+(?:ב)?(?:תעריף|מחיר)|יתומחר\w*",
        r"penalt\w*|liquidated|damages|interest|late|deductible|limit\w*|cap|expenses?|reimburs\w*|bonus|"
        r"commission|discount|fine|overtime|advance|balance|not\s+exceed\w*|up\s+to|value|worth|breach|insured\s+sum|"
        r"sum\s+insured|coverage\s+of|travel|(?:charged|billed|invoiced)\s+(?:separately\s+)?(?:at|by)",
        r"غرامة|تعويض|تعويضا|فائدة|تأخير|التأخر|رسوم|مصاريف|نفقات|خصم|عمولة|دفعة\s+أولى|مقدمة|الرصيد|المتبقي|"
        r"لا\s+يتجاوز|حتى\s+مبلغ|قيمة\s+السيارة|ضرر|أضرار|(?:تحاسب|يحاسب)\s+(?:ب)?(?:سعر|مبلغ)",
    ),
}
_PERIOD_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("month", _rx(rf"(?<![{HE}]){P}(?:חודשי(?:ים|ת|ות)?|לחודש|חודשית)(?![{HE}])|"
                  r"\b(?:monthly|per\s+month|a\s+month|each\s+month)\b|"
                  + _ar_words("شهري|شهرية|شهريا|الشهري|الشهرية|في\\s+الشهر|لكل\\s+شهر|بالشهر"))),
    ("year", _rx(rf"(?<![{HE}]){P}(?:שנתי(?:ים|ת|ות)?|לשנה)(?![{HE}])|"
                 r"\b(?:annual(?:ly)?|yearly|per\s+(?:year|annum)|a\s+year)\b|"
                 + _ar_words("سنوي|سنوية|سنويا|السنوي|السنوية|في\\s+السنة|لكل\\s+سنة"))),
    ("quarter", _rx(rf"(?<![{HE}]){P}(?:רבעוני(?:ים|ת)?|לרבעון|ברבעון)(?![{HE}])|\b(?:quarterly|per\s+quarter)\b")),
    ("week", _rx(rf"(?<![{HE}]){P}(?:שבועי(?:ים|ת)?|לשבוע)(?![{HE}])|\b(?:weekly|per\s+week)\b")),
    ("hour", _rx(rf"(?<![{HE}]){P}(?:לשעה|שעתי(?:ים|ת)?|לשעת|לכל\s+שעה|לכל\s+שעת)(?![{HE}])|"
                 r"\b(?:hourly|per\s+hour|an\s+hour)\b|"
                 + _ar_words("عن\\s+كل\\s+ساعة|لكل\\s+ساعة|للساعة|بالساعة|في\\s+الساعة"))),
)
#: money paid ahead and taken off the price ("عربون ... يُخصم من الثمن", "ינוכה מהתמורה"): an advance, not security
_ADVANCE = _rx(r"(?:يخصم|تخصم|يُخصم|تُخصم)\s+من\s+(?:ال)?(?:ثمن|مبلغ|سعر)|"
               r"ינוכה\s+מ|יקוזז\s+מ|על\s+חשבון\s+ה?(?:תמורה|מחיר)|"
               r"\b(?:deducted\s+from|credited\s+against|on\s+account\s+of)\s+the\s+(?:price|fee|total)")
#: what makes an amount the total of the one before it in its clause
_IN_TOTAL = _rx(r"(?:أي\s+)?ما\s+مجموعه|بمجموع|(?:ו)?בסך\s+הכל|(?:ו)?בסה[\"'\u05f4]כ|סך\s+כולל\s+של|\bin\s+total\b|"
                r"\btotal(?:l?ing)\b|\ba\s+total\s+of\b")
#: how long a line above an amount may be to be its heading ("2. Membership fee", "ביטחון")
_HEADING_CHARS = 45
_PAREN_AFTER = re.compile(r"^\s*\([^()\n]{0,80}\)")
#: words between an amount and its period word that are neither: the currency's adjective ("שקלים חדשים",
#: "شيكل جديد") and gross or net ("38 ₪ ברוטו לכל שעת עבודה")
_NOT_A_PERIOD = re.compile(r"^\s*(?:חדשים|חדשות|جديد|جديدة|الجديد|ברוטו|נטו|gross|net)(?=\s)", re.IGNORECASE)
#: a deposit named right after its amount: "כפיקדון", "as a security deposit", "كتأمين نقدي"
_DEPOSIT_AFTER = _rx(
    rf"\s*\)?\s*(?:\([^()\n]{{0,60}}\)\s*)?(?:[^\s.;()]{{1,30}},?\s+){{0,2}}?(?:[{HE}]{{0,2}}(?:כפיקדון|כפקדון|כערבון|כערבות|כבטוחה|"
    rf"לביטחון)|"
    r"as\s+(?:a\s+)?(?:security\s+)?(?:deposit|guarantee|security)|"
    + ar("(?:كتأمين|كضمان|ككفالة|كعربون|كوديعة|تأمينا)") + ")"
)


class _MoneyCues:
    """Every money cue (payment/deposit/other) of a text, found in one pass per kind on first use.

    An amount's cue is the one that ends closest to the amount within the clause text before
    it; a contract of thousands of amounts looks each one up here instead of searching its
    window three times.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.ends: list[int] | None = None
        self.cues: list[tuple[int, int, int, str]] = []  # (end, -start, -kind order, kind), sorted

    def nearest(self, lo: int, pos: int) -> tuple[str, int] | None:
        """``(kind, end - lo)`` of the cue inside ``[lo, pos)`` that ends last; on a tie the one
        that starts first, then the first kind of ``_MONEY_CUES``."""
        if self.ends is None:
            order = {name: k for k, name in enumerate(_MONEY_CUES)}
            self.cues = sorted((m.end(), -m.start(), -order[name], name) for name, rx in _MONEY_CUES.items()
                               for m in rx.finditer(self.text))
            self.ends = [cue[0] for cue in self.cues]
        # from the right, the first cue that starts inside the window is the best one
        for i in range(bisect_right(self.ends, pos) - 1, -1, -1):
            end, neg_start, _, name = self.cues[i]
            if end <= lo:
                break
            if -neg_start >= lo:
                return name, end - lo
        return None


def _period(text: str, clauses: Clauses, amount: Match, twin: Match | None) -> str:
    period = amount.extra.get("period") or (twin.extra.get("period") if twin else None)
    if period:
        return str(period)
    end = twin.end if twin else amount.end
    paren = _PAREN_AFTER.match(text[end:end + 90])
    if paren:
        end += paren.end()
    # "3,200 شيكل جديد شهريًا", "שקלים חדשים לחודש", "38 ₪ ברוטו לכל שעת עבודה": the period word after them
    after = _NOT_A_PERIOD.sub("", text[end:end + 40], count=1)[:25]
    _, before = clauses.before(amount.start, 45)
    best: tuple[int, str] | None = None
    for name, rx in _PERIOD_WORDS:
        m = rx.match(after.lstrip(" ,-\u2013")) if after.strip() else None
        if m:
            return name
        for bm in rx.finditer(before):
            dist = len(before) - bm.end()
            if best is None or dist < best[0]:
                best = (dist, name)
    return best[1] if best else "one_time"


def find_money(text: str, clauses: Clauses, amounts: list[Match]) -> tuple[Found | None, Found | None, list[str]]:
    """Pick the payment and the security deposit; also return warnings about them."""
    warnings: list[str] = []
    payment: Found | None = None
    deposit: Found | None = None
    skip: set[int] = set()
    cues = _MoneyCues(text)
    for i, a in enumerate(amounts):
        if i in skip:
            continue
        value = a.value if isinstance(a.value, dict) else {}
        if value.get("amount") is None:
            continue
        # "5,000 ש"ח (חמשת אלפים ש"ח)": the amount in words repeats the one in digits.
        twin = None
        if i + 1 < len(amounts):
            nxt = amounts[i + 1]
            gap = text[a.end:nxt.start]
            if len(gap) <= 4 and "(" in gap + " " and nxt.value.get("amount") == value["amount"]:
                twin = nxt
                skip.add(i + 1)
        lo, _ = clauses.before(a.start, 160)
        cue = cues.nearest(lo, a.start)
        if cue is None and lo > 0 and text[lo - 1] == "\n":  # the heading on the line above names it
            heading = text.rfind("\n", 0, lo - 1) + 1
            line = text[heading:lo]
            if lo - heading <= _HEADING_CHARS and "|" not in line and not any(
                    ch.isdigit() for ch in line.split(" ", 1)[-1]):  # a heading, not a table's header row
                above = cues.nearest(heading, lo)
                cue = (above[0], 0) if above else None
        if _DEPOSIT_AFTER.match(text, (twin or a).end):  # "6,400 شيكل كتأمين", "5,000 ₪ as a deposit"
            cue = ("deposit", a.start - lo)
        if cue is None:
            continue
        kind, cue_end = cue
        if kind == "other":
            continue
        conf = 0.9 if a.start - lo - cue_end <= 60 else 0.7
        currency = value.get("currency")
        if kind == "payment" and payment is not None and currency and payment.value["currency"] and \
                clauses.start_of(a.start) == clauses.start_of(payment.start) and \
                _IN_TOTAL.search(text, max(0, a.start - 30), a.start):
            # "500 ש.ج للدونم في السنة، أي ما مجموعه 9,000 شيكل سنوياً": the total of the same payment
            payment = None
        # a payment in a currency beats a bare number a payment word is near ("שוטף + 45", "30 יום"): the bare
        # one stands only when no amount in a currency follows
        if kind == "payment" and (payment is None or (not payment.value["currency"] and currency)):
            period = _period(text, clauses, a, twin)
            # the amount finder reads VAT after the amount, its period word and a parenthesis
            vat: str | None = a.extra.get("vat") or (twin.extra.get("vat") if twin else None)
            payment = Found({"amount": value["amount"], "currency": currency, "period": period, "vat": vat},
                            a.start, a.end, conf if currency else 0.6)
            others = {
                o.value.get("currency") for o in amounts
                if o is not a and o is not twin and clauses.start_of(o.start) == clauses.start_of(a.start)
                and o.value.get("currency") and abs(o.start - a.end) < 60
            }
            if currency and others - {currency}:
                warnings.append(
                    f"The payment is stated in two currencies ({currency} and "
                    f"{', '.join(sorted(others - {currency}))}); "
                    "check which one is binding."
                )
        elif kind == "deposit" and deposit is None and not _ADVANCE.search(
                text, clauses.start_of(a.start), min(clauses.end_of(a.start), a.end + 200)):
            deposit = Found({"amount": value["amount"], "currency": currency}, a.start, a.end, conf)
        if payment is not None and payment.value["currency"] and deposit is not None:
            break  # the amounts after these change nothing
    if payment is None or not payment.value["currency"]:
        payment = _table_total(text, amounts) or payment
    return payment, deposit, warnings


#: a quote's total ("סה"כ לפני מע"מ: | 18,450", "TOTAL (FCA Sassuolo) 12,480.00", "المجموع: 9,300"): the word,
#: then its label up to the number on its line; and what says the total is before VAT or after it
_TOTAL_WORD = re.compile(r"סה[\"'\u05f4\u201d]כ|סך\s+הכל|\btotal\b|المجموع|الإجمالي|الاجمالي", re.IGNORECASE)
_TOTAL_NUMBER = re.compile(r"[^\d\n]{0,120}?(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{3,7}(?:\.\d{1,2})?)(?![\d%])")
#: total words read at most (a quote has a few)
_MAX_TOTALS = 20
_BEFORE_VAT = re.compile(r"לפני\s+מע|ללא\s+מע|before\s+(?:VAT|tax)|excl|net\b|قبل\s+(?:ال)?ضريبة|بدون\s+(?:ال)?ضريبة",
                         re.IGNORECASE)
_WITH_VAT = re.compile(r"כולל\s+מע|incl|with\s+VAT|شامل|مع\s+(?:ال)?ضريبة|לתשלום", re.IGNORECASE)
#: a currency written in a table's header or a total's line
_CURRENCY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ILS", re.compile(r"₪|ש[\"'\u05f4]ח|שקל|\bNIS\b|\bILS\b|شيكل|ش\.ج|شاقل")),
    ("EUR", re.compile(r"€|\bEUR\b|euro|יורו|يورو", re.IGNORECASE)),
    ("USD", re.compile(r"\$|\bUSD\b|dollar|דולר|دولار", re.IGNORECASE)),
)
#: how far above a total its table's header (with the currency) may be
_HEADER_REACH = 2500


def _table_total(text: str, amounts: list[Match]) -> Found | None:
    """A quote's total when its prices stand in a table without a currency: the total row (the one before
    VAT when there are two), its currency from that row, else from the lines above it (the table's header:
    "מחיר ליחידה ₪", "Amount EUR"), else the currency of the text's other amounts."""
    rows: list[tuple[re.Match[str], str]] = []  # (the number, the label before it)
    for word in itertools.islice(_TOTAL_WORD.finditer(text), _MAX_TOTALS):
        number = _TOTAL_NUMBER.match(text, word.end())
        if number is not None:
            label = text[word.start():number.start("num")]
            if not _WITH_VAT.search(label):
                rows.append((number, label))
    if not rows:
        return None
    row, _ = next(((m, label) for m, label in rows if _BEFORE_VAT.search(label)), rows[0])
    line_start = text.rfind("\n", 0, row.start()) + 1
    line_end = text.find("\n", row.end())
    line = text[line_start:len(text) if line_end == -1 else line_end]
    above = text[max(0, line_start - _HEADER_REACH):line_start]
    currency = None
    for scope in (line, above):
        found = [(m.start(), name) for name, rx in _CURRENCY_WORDS for m in rx.finditer(scope)]
        if found:
            currency = max(found)[1]  # the nearest above the total
            break
    if currency is None:
        known = [a.value.get("currency") for a in amounts if isinstance(a.value, dict) and a.value.get("currency")]
        currency = max(set(known), key=known.count) if known else None
    if currency is None:
        return None
    amount = float(row.group("num").replace(",", ""))
    return Found({"amount": amount, "currency": currency, "period": "one_time", "vat": None},
                 row.start("num"), row.end("num"), 0.7)


# --- renewal, jurisdiction, law --------------------------------------------------------

_RENEW_VERB = (
    r"(?:יתחדש|תתחדש|יתחדשו|יחודש|תחודש|יוארך|תוארך|יוארכו|יתארך|תתארך|מתחדש|מתחדשת|יחודשו|חידוש|הארכה|ויתחדש|ות"
    r"תחדש|ויוארך|ותוארך|ממשיך|ממשיכה|ממשיכים|ימשיך|תמשיך)"
)
_RENEW_AUTO = r"(?:(?:ב)?אופן\s+)?(?:אוטומטי|אוטומטית|מאליו|מאליה|מעצמו|מעצמה)"
_AR_RENEW_VERB = ar("(?:يتجدد|تتجدد|يجدد|تجدد|يمدد|تمدد|يتمدد|تجديد|تمديد|يتم\\s+تجديده|يتم\\s+تجديدها|"
                    "يتم\\s+تمديده|يتم\\s+تمديدها)")
_AR_RENEW_AUTO = ar("(?:تلقائيا|تلقائي|بشكل\\s+تلقائي|بصورة\\s+تلقائية|من\\s+تلقاء\\s+نفسه|من\\s+تلقاء\\s+نفسها)")
_RENEW_NEG = _rx(
    rf"(?<![{HE}])ו?(?:לא|אינו|אינה|ללא|אין)\s+(?:[^\s,.;\-\u2013\u2014]+\s+){{0,3}}?{_RENEW_VERB}\s+(?:\S+\s+){{0,3}}?{_RENEW_AUTO}|"
    rf"(?<![{HE}])ו?(?:לא|אינו|אינה|ללא|אין)\s+(?:\S+\s+){{0,2}}?{_RENEW_AUTO}|"
    rf"(?<![{HE}])ו?(?:אינו|אינה|לא)\s+(?:מתחדש|מתחדשת|יתחדש|תתחדש|יחודש|תחודש)(?=\s*(?:[.,;]|$))|"
    rf"(?<![{HE}])ו?(?:לא|אינו|אינה)\s+(?:\S+\s+){{0,2}}?{_RENEW_VERB}\s+(?:\S+\s+){{0,2}}?(?:אלא|רק|למעט)\s|"
    rf"(?<![{HE}])(?:לא|אין|אינו|אינה)\s+(?:\S+\s+){{0,4}}?(?:כדי\s+)?(?:להאריך|לחדש)\s+(?:\S+\s+){{0,4}}?{_RENEW_AUTO}|"
    rf"(?<![{AR}])(?:لا|لن)\s+(?:\S+\s+){{0,2}}?{_AR_RENEW_VERB}\s+(?:\S+\s+){{0,3}}?" + ar("(?:إلا|الا)") + r"\s|"
    r"\b(?:not|no|never)\s+(?:\w+\s+){0,3}?(?:automatic(?:ally)?\s+)?(?:renew\w*|auto-renew\w*|extend\w*)"
    r"(?:\s+automatically)?|\bno\s+automatic\s+renewal|"
    rf"(?<![{AR}])[وف]?(?:لا|لن|دون|بدون)\s+(?:\S+\s+){{0,2}}?{_AR_RENEW_VERB}\s+(?:\S+\s+){{0,4}}?{_AR_RENEW_AUTO}|"
    rf"(?<![{AR}])(?:دون|بدون)\s+{_AR_RENEW_VERB}\s+{_AR_RENEW_AUTO}"
)
_RENEW_POS = _rx(
    rf"(?<![{HE}]){_RENEW_VERB}\s+(?:\S+\s+){{0,5}}?{_RENEW_AUTO}|{_RENEW_AUTO}\s+(?:\S+\s+){{0,2}}?{_RENEW_VERB}|"
    r"\b(?:automatically|auto(?:matic)?-?)\s*(?:be\s+)?(?:renew\w*|extend\w*)|\b(?:renew\w*|extend\w*)\s+automatically|"
    r"\bautomatic\s+renewal|"
    r"\bcontinue\w*\s+(?:in\s+(?:full\s+)?(?:force|effect)\s+)?(?:thereafter\s+)?from\s+(year|month)\s+to\s+(?:year|month)|"
    r"\b(?:renew\w*|continue\w*|extend\w*)\s+for\s+(?:successive|consecutive)\s+|"
    r"\bcontinue\w*\s+(?:in\s+(?:full\s+)?(?:force|effect)\s+)?automatically|\broll(?:s|ed)?\s+over\b|"
    rf"(?<![{HE}])(?:ימשיך|יימשך|ימשכו|תמשיך|תימשך|תמשך|יימשכו|יעמוד|יעמדו)\s+(?:\S+\s+){{0,3}}?(?:משנה\s+לשנה|מתקופה\s+לתקופה|מחודש\s+לחודש)|"
    rf"(?<![{AR}])[وف]?{_AR_RENEW_VERB}\s+(?:\S+\s+){{0,5}}?{_AR_RENEW_AUTO}|"
    # renewed unless someone objects ("יוארך ההסכם בשנה נוספת וכך הלאה, אלא אם הודיע"), without "automatically"
    rf"(?<![{HE}])(?:יתחדש|תתחדש|יחודש|תחודש|יוארך|תוארך|יתארך|תתארך|ויתחדש|ותתחדש|ויוארך|ותוארך)\s+"
    rf"(?:[^\s.;]{{1,40}}\s+){{0,12}}?אלא\s+אם|"
    r"\b(?:shall|will)\s+(?:be\s+)?(?:renewed|extended|renew|extend)\s+(?:[^\s.;]{1,40}\s+){0,12}?unless\b|"
    rf"(?<![{AR}])[وف]?(?:يتجدد|تتجدد|يجدد|تجدد|يمدد|تمدد|يتمدد)\s+(?:[^\s.;]{{1,40}}\s+){{0,12}}?"
    + ar("(?:ما\\s+لم|إلا\\s+إذا|الا\\s+اذا)")
)
#: the contract ends when its term does, said outright ("תסתיים השכירות בתום תקופת השכירות", "this Agreement shall
#: expire at the end of the Initial Term"): no automatic renewal, when nothing says it renews
_ENDS_WITH_TERM = _rx(
    rf"(?<![{HE}])ו?(?:יפקע|תפקע|יסתיים|תסתיים|מסתיים|מסתיימת|פוקע|פוקעת|יגיע\s+לסיומו|תגיע\s+לסיומה)\s+(?:[^\s.;]{{1,40}}\s+){{0,3}}?(?:ב|עם\s+)תום|"
    rf"(?<![{HE}])(?:ב|עם\s+)תום\s+(?:[^\s.;]{{1,40}}\s+){{0,3}}?ו?(?:יפקע|תפקע|יסתיים|תסתיים)\s|"
    rf"(?<![{HE}])(?:יבוא|תבוא|יגיע|תגיע)\s+(?:[^\s.;]{{1,40}}\s+){{0,3}}?(?:לידי\s+)?(?:סיום|סיומו|סיומה|לסיומו|לסיומה)\s+"
    rf"(?:ב|עם\s+)תום|"
    r"\b(?:at|upon|on)\s+the\s+(?:end|expiry|expiration)\s+of\s+(?:[^\s.;]{1,40}\s+){0,4}?(?:shall|will)\s+(?:\w+\s+)?"
    r"(?:expire|terminate|end)\b|"
    r"\b(?:shall|will)\s+(?:\w+\s+){0,2}?(?:expire|terminate|end)\s+(?:\w+\s+){0,2}?(?:at|on|upon)\s+(?:the\s+)?"
    r"(?:end|expiry|expiration)\s+of|"
    rf"(?<![{AR}])[وف]?" + ar("(?:ينتهي|تنتهي)") + r"\s+(?:[^\s.;]{1,40}\s+){0,3}?"
    + ar("(?:ب|عند\\s+|في\\s+)?(?:انتهاء|نهاية)")
)


def find_auto_renewal(text: str) -> Found | None:
    """True for "יתחדש אוטומטית" / "renews automatically" / "יוארך … אלא אם הודיע", False when the contract says it
    does not, or (weaker, only when nothing says it renews) that it ends when its term does."""
    neg = _RENEW_NEG.search(text)
    pos = None
    for m in _RENEW_POS.finditer(text):
        if neg and neg.start() <= m.start() < neg.end() + 5:
            continue
        pre = text[max(0, m.start() - 20):m.start()]
        if re.search(rf"(?<![{HE}])(?:לא|ללא|אין|אינו|אינה)\s+(?:\S+\s+)?$|\b(?:not|no)\s+(?:\w+\s+)?$|"
                     rf"(?<![{AR}])(?:لا|لن|دون|بدون)\s+(?:\S+\s+)?$", pre, re.I):
            continue
        pos = m
        break
    if neg and (pos is None or neg.start() < pos.start()):
        return Found(False, neg.start(), neg.end(), 0.85)
    if pos:
        return Found(True, pos.start(), pos.end(), 0.85)
    ends = _ENDS_WITH_TERM.search(text)
    if ends:
        return Found(False, ends.start(), ends.end(), 0.7)
    return None


_COURT = _rx(
    rf"(?<![{HE}]){P}(?:בתי|בית)[\s\-]+(?:ה)?(?:משפט|דין)|\b(?:courts?|tribunals?)\b|"
    + _ar_words("محاكم|المحاكم|محكمة|المحكمة")
)
_JURIS_CLAUSE = _rx(
    r"סמכות|שיפוט|יתברר|יתבררו|תתברר|ידונו|יידון|ידון|תידון|מוסמכ|ייחודית|בלעדית|מחלוקת|סכסוך|"
    r"\b(?:jurisdiction|venue|exclusive|competent|submit|disputes?)\b|"
    + _ar_words("تختص|يختص|صلاحية|الصلاحية|اختصاص|الاختصاص|النظر|نزاع|النزاع|خلاف|الخلاف|المختصة")
)
#: words after an Arabic court word that are not its place ("المحاكم المختصة في حيفا")
_AR_COURT_WORDS = frozenset(["المختصة", "مدينة", "بمدينة", "المختص", "المركزية", "المركزي", "الصلح", "اللوائية",
                             "اللوائي", "المحلية", "العمل", "للعمل", "لشؤون", "الإسرائيلية", "الاسرائيلية", "القطرية",
                             "القطري"])
#: the first words of two-word places ("أم الفحم", "كفار سابا", "باقة الغربية", "رأس العين")
_AR_TWO_WORD_PLACES = frozenset(["أم", "ام", "كفار", "كفر", "رأس", "راس", "بيت", "دالية", "عين", "تل", "بئر",
                                 "كريات", "ريشون", "جسر", "مجد", "دير", "نتسيرت", "معالوت", "رمات", "بني", "بات",
                                 "بيتح", "بتاح"])
_AR_PLACE_STOP = frozenset(["دون", "وحدها", "وحده", "بالنظر", "صلاحية", "الصلاحية", "الحصرية", "صاحبة", "صاحب",
                            "الاختصاص", "اختصاص", "حصرا", "حصريا", "فقط", "في",
                            "أي", "اي", "كل", "هي", "هو", "التي", "الذي", "ذات", "بشأن"])
_HE_STOP = frozenset(
    [
        "בלבד", "ולא", "לא", "בכל", "בעניין", "בקשר", "אשר", "תהא", "יהיה", "תהיה", "יהיו", "לשם", "הינה",
        "היא", "והם", "בלעדית", "הבלעדית", "הייחודית", "ייחודית", "בנוגע", "הנוגע", "בשל", "לכל", "על",
        "עם", "ביחס", "לפי", "בהתאם", "לדון", "והצדדים", "הצדדים", "וכל", "כל", "שבו", "שבה", "ולהם", "להם",
        "ועל", "לגבי", "או", "מכל", "מוסמכים", "ובלעדית", "הבלעדית", "והבלעדית", "היחידה", "שיפוט", "סמכות",
        "בלעדיות",
    ]
)
_EN_PLACE = compile_guarded(
    r"\b(?:of|in|at|for|located\s+in|sitting\s+in|situated\s+in)\s+(?:the\s+)?(?:city\s+of\s+|district\s+of\s+)?"
    r"(?P<place>[A-Z][\w'\-]*(?:[\s\-]+(?:[A-Z][\w'\-]*|of|on|upon))*)"
)
#: the words of a place are split only at white space (with any hyphens after it): a hyphen
#: before the white space belongs to the word, so there is one way to read the words and a
#: failed match cannot try every split of "A- A- A- ..." (which took seconds on 60 characters)
_EN_COURT_BEFORE = compile_guarded(
    r"(?:the\s+)?(?P<place>[A-Z][\w'\-]*(?:\s[\s\-]*[A-Z][\w'\-]*)*?)\s+"
    r"(?:District|Magistrates?'?|Magistrate's|Regional\s+Labou?r|Labou?r|Small\s+Claims)\s+$"
)
_HE_ADJ = re.compile(rf"^(?:ה[{HE}]+|המוסמך|המוסמכים|המחוזי|השלום|לעבודה|האזורי|הישראליים|לתביעות|קטנות|"
                     rf"לענייני|לעניני|משפחה)$")


def find_jurisdiction(text: str, clauses: Clauses) -> Found | None:
    """The court city or district "as written" ("תל אביב-יפו", "מחוז מרכז", "Tel Aviv-Jaffa")."""
    label = re.search(
        rf"(?:מקום|סמכות)\s+(?:ה)?שיפוט\s*:\s*(?P<place>[{HE}][{HE}\s\-{QC}]{{1,30}}?)\s*(?:[\n,.;]|$)", text
    )
    label = label or re.search(
        r"(?:place\s+of\s+jurisdiction|jurisdiction|venue)(?:\s*:|\s+(?:is|shall\s+be))\s*"
        r"(?P<place>[A-Z][\w'\-]*(?:[ \t]+[A-Z][\w'\-]*){0,3}?)"
        r"\s*(?:[\n,.;(]|$)", text, re.IGNORECASE)
    if label:
        court = _COURT.match(text, label.start("place"))
        if court and (found := _hebrew_place(text, court.end())):
            return found
        place = label.group("place").strip()
        return Found(place, label.start("place"), label.start("place") + len(place), 0.8)
    # whether each clause (by its start) speaks of jurisdiction: read once per clause, not once per
    # court word in it (a long clause full of court words would be read over and over)
    jurisdiction_clause: dict[int, bool] = {}
    for m in _COURT.finditer(text):
        start = clauses.start_of(m.start())
        if start not in jurisdiction_clause:
            clause = text[start:clauses.end_of(m.start())]
            jurisdiction_clause[start] = _JURIS_CLAUSE.search(clause) is not None
        if not jurisdiction_clause[start]:
            continue
        tail_start = m.end()
        tail = text[tail_start:tail_start + 90]
        if m.group(0)[0].isascii():
            em = _EN_PLACE.match(tail.lstrip(" ,")) or _EN_PLACE.search(tail[:60])
            if em:
                offset = tail_start + (len(tail) - len(tail.lstrip(" ,")) if _EN_PLACE.match(tail.lstrip(" ,")) else 0)
                place = em.group("place").rstrip(" -")
                place = re.sub(r"\s+(?:of|on|upon)$", "", place)
                if place.lower() in ("the", "any", "such"):
                    continue
                start = offset + em.start("place")
                return Found(" ".join(place.split()), start, start + len(place), 0.85)
            bm = _EN_COURT_BEFORE.search(text[max(0, m.start() - 60):m.start()])
            if bm:
                start = max(0, m.start() - 60) + bm.start("place")
                return Found(bm.group("place"), start, start + len(bm.group("place")), 0.8)
            continue
        found = _arabic_place(text, tail_start) if "\u0621" <= m.group(0)[-1] <= "\u064a" else \
            _hebrew_place(text, tail_start)
        if found:
            return found
    return None


def _arabic_place(text: str, pos: int) -> Found | None:
    """Read "محاكم الناصرة" / "المحاكم المختصة في حيفا" after a court word: skip the court's own
    words, then take the place (one or two words, up to a word that is not part of it)."""
    tokens = list(re.finditer(rf"[{AR}{AR_MARK_CHARS}\-]+|[,.;:()\n\u060c]", text[pos:pos + 80]))
    plain = [AR_MARK.sub("", t.group(0)) for t in tokens]
    i = 0
    while i < len(tokens) and (plain[i] in _AR_COURT_WORDS or plain[i] == "في"):
        i += 1
    words: list[re.Match[str]] = []
    for t, w in zip(tokens[i:i + 3], plain[i:i + 3], strict=True):
        if not re.match(f"[{AR}]", w) or w in _AR_PLACE_STOP or w in _AR_COURT_WORDS:
            break
        words.append(t)
    if not words or len(plain[i]) < 3:
        return None
    if len(words) > 1 and not plain[i + 1].startswith("ال") and plain[i] not in _AR_TWO_WORD_PLACES:
        words = words[:1]  # "الناصرة دون": one word; "أم الفحم", "باقة الغربية": two
    start, end = pos + words[0].start(), pos + words[-1].end()
    return Found(" ".join(text[start:end].split()), start, end, 0.8)


def _hebrew_place(text: str, pos: int) -> Found | None:
    """Read "המוסמכים בתל אביב-יפו" after a court word: skip adjectives, take the ב-place."""
    # A single line break inside a paragraph is a hard wrap, not the end of the name.
    segment = re.sub(r"\n(?![ \t]*(?:\n|\d|[-\u2022*]))", " ", text[pos:pos + 100])
    tokens = list(re.finditer(rf"[{HE}A-Za-z{QC}\-]+|[,.;:()\n]", segment))
    i = 0
    while i < len(tokens) and _HE_ADJ.match(tokens[i].group(0)) and tokens[i].group(0) not in _HE_STOP:
        i += 1
    if i >= len(tokens):
        return None
    first = tokens[i].group(0)
    skip = 0
    if first in ("של", "שב", "אשר"):
        i += 1
        if i >= len(tokens):
            return None
        first = tokens[i].group(0)
    if first.startswith("ב") and len(first) > 2 and first not in _HE_STOP:
        skip = 1
    elif first.startswith("שב") and len(first) > 3:
        skip = 2
    elif tokens[i - 1].group(0) in ("של",) if i else False:
        skip = 0
    else:
        return None
    words: list[re.Match[str]] = []
    for t in tokens[i:i + 5]:
        w = t.group(0)
        if not re.match(rf"[{HE}A-Za-z]", w) or w in _HE_STOP or (words and w.startswith("ו") and w != "ויפו"):
            break
        if words and w.startswith("ב") and w[1:] not in ("אר",) and w not in ("באר",) and words[-1].group(0) != "מחוז":
            break
        words.append(t)
    if not words:
        return None
    start = pos + words[0].start() + skip
    end = pos + words[-1].end()
    place = text[start:end]
    if place.startswith("עיר "):
        start += 4
        place = place[4:]
    if place.startswith("-"):
        start += 1
        place = place[1:]
    if len(place) < 2:
        return None
    return Found(" ".join(place.split()), start, end, 0.85)


_LAW_HE = _rx(
    rf"(?:יחולו|יחול|יחולו\s+אך\s+ורק|חלים|יחלו|כפוף|כפופ\w*|יפורש|ויפורש|יפורשו|ייקבעו|הדין\s+החל|החוק\s+החל|"
    rf"הדין\s+ה?חל\s+על)[^.;\n]{{0,80}}?(?<![{HE}])(?P<law>(?:ו?ל?)(?:דיני|חוקי)\s+(?!ה?(?:ראיות|בוררות|פרוצדורה|סדרי))"
    rf"(?:מדינת\s+)?[{HE}{QC}\-]+|"
    rf"(?:ה)?(?:דין|חוק|משפט)\s+ה[{HE}]+(?:י|ית)(?![{HE}])|דין\s+(?:ישראל|מדינת\s+[{HE}]+))|"
    # the law first, then the verb: "הדין הישראלי יחול על הסכם זה", "דיני מדינת ישראל בלבד יחולו על"
    rf"(?<![{HE}])(?P<law2>(?:דיני|חוקי)\s+(?:מדינת\s+)?[{HE}{QC}\-]+|(?:ה)?(?:דין|חוק|משפט)\s+ה[{HE}]+(?:י|ית))"
    rf"(?:\s+(?:בלבד|הוא\s+ש|הם\s+ש))?\s+(?:יחול|יחולו|יחלו|חל|חלים|ש?יחול)\s+על"
)
_LAW_EN = _rx(
    r"(?:governed\s+by|construed\s+(?:in\s+accordance\s+with|under)|governing\s+law|applicable\s+law|subject\s+to)"
    r"[^.;\n]{0,40}?(?:the\s+)?(?:laws?\s+of\s+(?:the\s+)?(?P<place>(?-i:(?:State\s+of\s+)?[A-Z][\w\-]*"
    r"(?:\s+(?:and\s+|of\s+(?:the\s+)?)?[A-Z][\w\-]*)*))|(?P<adj>(?-i:[A-Z][a-z]+)\s+law))"
    r"|(?P<adj2>(?-i:[A-Z][a-z]+)\s+law)\s+(?:applies|shall\s+apply|will\s+apply|governs)"
)


_LAW_AR = _rx(
    ar("(?:تسري|يسري|تطبق|يطبق|تنطبق|ينطبق|يخضع|تخضع|يحكم|تحكم|التطبيق\\s*:)") + r"[^.;\n]{0,60}?"
    + ar("(?:ل?قوانين|ل?القوانين|ل?قانون|ل?القانون)") + r"\s+(?:"
    + ar("(?:ال)?(?:سارية|ساري|نافذة|نافذ|معمول\\s+بها|معمول\\s+به)\\s+في") + r"\s+)?(?P<law>"
    + ar("(?:دولة\\s+)?(?:إسرائيل|اسرائيل)|(?:ال)?(?:إسرائيلي|اسرائيلي|الإسرائيلية|الاسرائيلية)") + ")"
)


#: "القوانين السارية في" right before the place of a law (:data:`_LAW_AR`)
_AR_LAWS_IN_FORCE = re.compile(
    "(?<![" + AR + "])ل?(?P<laws>" + ar("(?:ال)?قوانين\\s+(?:ال)?(?:سارية|نافذة|معمول\\s+بها)\\s+في|"
                                          "(?:ال)?قانون\\s+(?:ال)?(?:ساري|نافذ|معمول\\s+به)\\s+في") + r")\s+$")


def find_governing_law(text: str) -> Found | None:
    """The governing law "as written" ("מדינת ישראל", "הדין הישראלי", "State of Israel", "دولة إسرائيل")."""
    m = _LAW_HE.search(text)
    if m:
        group = "law" if m.group("law") else "law2"
        law = m.group(group)
        start = m.start(group)
        sm = re.match(r"ו?ל?(?:דיני|חוקי)\s+", law)
        if sm:
            start += sm.end()
            law = law[sm.end():]
        elif law.startswith("ל"):
            start += 1
            law = law[1:]
        law = law.rstrip("-")
        return Found(" ".join(law.split()), start, start + len(law), 0.85)
    m = _LAW_AR.search(text)
    if m:
        start = m.start("law")
        # "القوانين السارية في دولة إسرائيل": the laws in force there, as written (with the bare place,
        # "لقوانين دولة إسرائيل", the place says it all)
        in_force = _AR_LAWS_IN_FORCE.search(text, max(m.start(), start - 40), start)
        if in_force:
            start = in_force.start("laws")
        law = text[start:m.end("law")]
        return Found(" ".join(law.split()), start, m.end("law"), 0.85)
    m = _LAW_EN.search(text)
    if m:
        group = next(g for g in ("place", "adj", "adj2") if m.group(g))
        law = m.group(group)
        return Found(" ".join(law.split()), m.start(group), m.start(group) + len(law), 0.85)
    return None
