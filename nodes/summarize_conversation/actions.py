"""Customer requests, commitments (action items) and unanswered customer questions.

An action item is a sentence, not a question, in which someone commits to do something:
a first-person future verb ("אשלח", "נחזור אליך", "I'll send", "سأرسل") is the speaker's
own commitment; a staff member in the third person ("השמאי יגיע ביום רביעי", "the
technician will come") is the business's; the business asking the customer to act
("תשלחי צילום", "please sign", "ابعتلي") is the customer's. The due date is the first date
the toolkit finds in the sentence, resolved against the message's own date; "עד הצהריים",
"tonight" and the like mean that same day.

An open question is a customer question after which the business never wrote again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nodes import text as tt
from nodes.summarize_conversation.summary import REQUEST_CUES, Sentence, words_of
from nodes.text.guard import compile_guarded

MAX_ITEMS = 10


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_HE_FIRST = _wordset(
    "אשלח נשלח אבדוק נבדוק אוודא נוודא אחזור נחזור אתקשר נתקשר אצור ניצור אעדכן נעדכן אעביר "
    "נעביר אכין נכין אסדר נסדר אטפל נטפל אגיע נגיע אזמין נזמין אקבע נקבע אתאם נתאם אוציא נוציא "
    "אחזיר נחזיר אזכה נזכה אבטל נבטל אשריין נשריין אאשר נאשר אביא נביא אתקין נתקין אשלם נשלם "
    "אמלא נמלא אחתום נחתום אפקיד נפקיד אבוא נבוא אברר נברר אוסיף נוסיף אדבר נדבר אכתוב נכתוב "
    "אבצע נבצע אחליף נחליף אתקן נתקן אעלה נעלה אפנה נפנה ארשום נרשום אדאג נדאג אעבור נעבור "
    "אקפיץ נקפיץ אספק נספק אמסור נמסור אאסוף נאסוף אגיש נגיש אפיק נפיק "
)
_HE_THIRD = _wordset(
    "יגיע יגיעו יתקשר יתקשרו יחזור יחזרו ייצור יצרו יישלח ישלח יעדכן יעדכנו יבדוק יבדקו יטפל "
    "יטפלו יתקין יתקינו יבוצע תבוצע יועבר תועבר יזוכה תזוכה יוחזר תוחזר יטופל תטופל יתוקן "
    "תתוקן יוחלף יסופק תסופק יימסר תימסר ימסור יאסוף יאספו תישלח תיסגר ייסגר יצא תצא "
)
#: second person / imperative, or the feminine third person ("הטכנאית תגיע")
_HE_YOU = _wordset(
    "תשלח תשלחי תשלחו שלח שלחי שלחו תעביר תעבירי תעבירו העבר העבירי תמלא תמלאי תמלאו מלא מלאי "
    "תביא תביאי תביאו הבא הביאי תגיע תגיעי תגיעו תאשר תאשרי תאשרו אשרי תחתום תחתמי תחתמו חתמי "
    "תצלם תצלמי תצלמו צלם צלמי תעדכן תעדכני תעדכנו עדכן עדכני תבדוק תבדקי תבדקו בדוק בדקי "
    "תתקשר תתקשרי תתקשרו התקשר התקשרי תחזור תחזרי תחזרו תשלם תשלמי תשלמו תעלה תעלי תכין תכיני "
    "תוריד תורידי תפנה תפני פנה פני תרשום תרשמי תצרף תצרפי צרף צרפי "
)
_STAFF = _wordset(
    "נציג נציגה טכנאי טכנאית שליח שליחה מתקין מתקינה שמאי שמאית רופא רופאה מנהל מנהלת מישהו "
    "מישהי צוות מהנדס מהנדסת יועץ יועצת אחראי אחראית סוכן סוכנת הוא היא הם הן חשבונית חבילה "
    "הזמנה משלוח החזר זיכוי כסף הצעה מסמך חוזה "
)
_NEG = _wordset(
    "לא אל בלי not don't won't can't never ما مش لا لن "
)
_EN_FIRST = compile_guarded(
    r"\b(i'?ll|i will|we'?ll|we will|i'?m going to|i am going to|we'?re going to|we are going to|let me"
    r"|i can send|we can send)\s+(?!not\b)\w+",
    re.I,
)
_EN_THIRD = compile_guarded(
    r"\b(?i:he|she|they|it|the \w+|your \w+|our \w+)\s+(?i:will|'ll|is going to|are going to)\s+"
    r"(?!not\b)(?:be )?\w+|\b[A-Z][a-z]+ (?:will|'ll) (?!not\b)\w+"
)
_EN_YOU = compile_guarded(
    r"^(please\s+)?(kindly\s+)?(send|fill|sign|confirm|bring|call|pay|upload|share|forward|reply|check)\b"
    r"|\bplease\s+(send|fill|sign|confirm|bring|call|pay|upload|share|forward|reply|check)\b"
    r"|\byou('ll| will)? need to\b",
    re.I,
)
_AR_FIRST = compile_guarded(
    r"سأ\w+|سن\w{3,}|(رح|راح|ح) ?(ا|أ|ن)\w{2,}|ببعت\w*|بنبعت\w*|بنرجع\w*|برجع\w*|بتصل\w*|بنتصل\w*|بنحكي\w*"
    r"|سوف \w+",
)
_AR_THIRD = compile_guarded(r"(رح|راح|ح) ?(ي|ت)\w{2,}|بيجي|بتيجي|بيوصل|بتوصل|سيصل|ستصل|سيتم|سيقوم|ستقوم")
_AR_YOU = compile_guarded(r"ابعتلي|ابعثلي|ابعتلنا|ابعثلنا|أرسل|ارسل|ابعث|ابعت|الرجاء|رجاء|ياريت تبعت|تبعتلي")
_SAME_DAY = compile_guarded(
    r"עד הצהריים|בצהריים|עד הערב|הערב|עד סוף היום|בהמשך היום|תוך שעה|עוד שעה|בשעה הקרובה|בשעות הקרובות"
    r"|היום|עכשיו|תוך \d+ דקות|\btoday\b|\bnow\b|right away|in \d+ minutes"
    r"|tonight|this (afternoon|evening)|end of (the )?day|within the hour|in an hour"
    r"|اليوم|الليلة|بعد الظهر|خلال ساعة",
    re.I,
)
_QUESTION_WORDS = compile_guarded(
    r"^(מה|מתי|איך|כמה|האם|למה|איפה|מי|יש לכם|אפשר|what|when|how|where|why|who|is|are|can|could|do|does"
    r"|will|هل|متى|كيف|وين|قديش|كم|ليش|شو|ايش|فيه|في عندكم)\b",
    re.I,
)


@dataclass
class Item:
    """An action item before it becomes output."""

    owner: str
    text: str
    due: str | None


def is_question(s: Sentence) -> bool:
    """Whether a sentence asks something."""
    text = s.text.strip()
    return "?" in text or "؟" in text or bool(_QUESTION_WORDS.match(text))


#: every word that can make a Hebrew commitment (the loop below needs one of them)
_HE_VERBS = _HE_FIRST | _HE_THIRD | _HE_YOU


def _he_owner(words: list[str], speaker_side: str) -> str | None:
    if _HE_VERBS.isdisjoint(words) and _HE_VERBS.isdisjoint(
        w[1:] for w in words if len(w) > 3 and w[0] in "וש"
    ):
        return None  # no commitment verb at all: most sentences
    for i, w in enumerate(words):
        base = w[1:] if len(w) > 3 and w[0] in "וש" else w
        prev = words[i - 1] if i else ""
        if prev in _NEG:
            continue
        if base in _HE_FIRST:
            return speaker_side
        prev_base = prev[1:] if len(prev) > 3 and prev[0] == "ה" else prev
        third_subject = prev_base in _STAFF or (prev.startswith("ה") and len(prev) > 3)
        if base in _HE_THIRD or (base in _HE_YOU and third_subject):
            return "agent" if speaker_side == "agent" else "unknown"
        if base in _HE_YOU and speaker_side == "agent":
            return "customer"
    return None


_LATIN = re.compile(r"[A-Za-z]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_CLAUSE = re.compile(r"[,،;]\s*")


def _statement(s: Sentence) -> str:
    """The parts of ``s`` that are not a question ("אשלח הצעה במייל, מה הכתובת?" keeps the first)."""
    if not is_question(s):
        return s.text
    clauses = [c for c in _CLAUSE.split(s.text) if c.strip()]
    return ", ".join(c for c in clauses if "?" not in c and "؟" not in c and not _QUESTION_WORDS.match(c))


def owner_of(s: Sentence) -> str | None:
    """Who committed to act in ``s`` (``None``: no commitment)."""
    text = _statement(s)
    if not text:
        return None
    side = "customer" if s.role == "customer" else "agent"
    owner = _he_owner(s.words if text == s.text else words_of(text), side)
    if owner:
        return owner
    # the English patterns need Latin letters and the Arabic ones Arabic letters: most
    # sentences have only one script, so most of these searches are skipped
    en = _LATIN.search(text) is not None
    ar = _ARABIC.search(text) is not None
    if (en and _EN_FIRST.search(text)) or (ar and _AR_FIRST.search(text)):
        return side
    if (en and _EN_THIRD.search(text)) or (ar and _AR_THIRD.search(text)):
        return "agent" if side == "agent" else "unknown"
    if side == "agent" and ((en and _EN_YOU.search(text)) or (ar and _AR_YOU.search(text))):
        return "customer"
    return None


def due_of(s: Sentence) -> str | None:
    """The first date in ``s`` (relative ones against its message's date), or the same day."""
    # "עד ינואר 2027" names a month, not a day to put in a calendar
    dates = [d for d in tt.find_dates(s.text, reference=s.msg.ref) if d.extra.get("precision") != "month"]
    if dates:
        return str(dates[0].value)
    if _SAME_DAY.search(s.text):
        return s.msg.ref.isoformat()
    return None


def action_items(sentences: Sequence[Sentence]) -> list[Item]:
    """Commitments by either side, in order, without repeats."""
    items: list[Item] = []
    seen: set[str] = set()
    for s in sentences:
        if len(s.text) < 6:
            continue
        owner = owner_of(s)
        if owner is None:
            continue
        key = " ".join(sorted(s.tokens)) or s.text
        if key in seen:
            continue
        seen.add(key)
        items.append(Item(owner, _clip(s.text), due_of(s)))
    return items[-MAX_ITEMS:]


def _clip(text: str, limit: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool(a) and bool(b) and len(a & b) / len(a | b) >= 0.6


def customer_requests(sentences: Sequence[Sentence], limit: int = 8) -> list[str]:
    """What the customer asked for: request phrasing or substantive questions."""
    out: list[Sentence] = []
    for s in sentences:
        if len(out) >= limit:
            break  # later sentences cannot change the first ``limit``
        if s.role != "customer" or len(s.tokens) < 2:
            continue
        if not (REQUEST_CUES.search(s.text) or is_question(s)):
            continue
        if any(_similar(s.tokens, o.tokens) for o in out):
            continue
        out.append(s)
    return [_clip(s.text) for s in out]


def open_questions(sentences: Sequence[Sentence], limit: int = 8) -> list[str]:
    """Customer questions after which the business never wrote again."""
    responders = {"agent"} if any(s.role == "agent" for s in sentences) else {"bot"}
    last_reply = -1
    for s in sentences:
        if s.role in responders:
            last_reply = s.order
    out: list[Sentence] = []
    for s in sentences:
        if len(out) >= limit:
            break
        if s.role != "customer" or s.order < last_reply or len(s.tokens) < 2 or not is_question(s):
            continue
        if any(_similar(s.tokens, o.tokens) for o in out):
            continue
        out.append(s)
    return [_clip(s.text) for s in out]
