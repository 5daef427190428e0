"""The conversation as the node sees it, and who in it is the customer.

When neither ``customer_name`` nor roles say who the customer is, each participant is
scored on what they write: the business side greets formally, offers, quotes prices,
confirms and apologises; the customer asks, wants, ordered, paid. Starting the chat and
being saved as a bare phone number count for the customer (a business's phone shows its
customers as numbers); a business-like display name ("בע״מ", "מרפאה", "Support") counts
against. The participant with the highest score is the customer.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass

from nodes import text as tt
from nodes.text.guard import compile_guarded


@dataclass
class Msg:
    """One message: who wrote it, in which role, when, and what."""

    index: int
    author: str
    role: str
    text: str
    timestamp: dt.datetime | None
    #: the date relative dates in this message are resolved against
    ref: dt.date


# Matched on lower-cased text without IGNORECASE (Hebrew and Arabic have no case; the
# English cues are lower case): a case-insensitive scan of these alternations is ~1.5x slower.
_BUSINESS_CUES = compile_guarded(
    "|".join(
        [
            r"נשמח|בשמחה|איך (אפשר|אוכל|נוכל) לעזור|במה (אפשר|אוכל|נוכל) לעזור|תודה (שפנית|על פנייתך|שפניתם)",
            r"פנייתך|פנייתכם|המחיר|הצעת מחיר|קבעתי לך|קבענו לך|שריינתי|שריינו|אישרנו|מאושר|נציג|נציגה",
            r"הזמנתך|ההזמנה שלך|אצלנו|שלנו|אנחנו|נחזור אלי|אחזור אלי|זמינים|יש לנו|מספר ההזמנה|מצטערים",
            r"מתנצלים|מתנצלת|מתנצל|בברכה|הצוות|המשלוח שלך|מחכים לך|לשירותך|שמי .{2,20} מ|כאן .{2,20} מ",
            r"(?:how (can|may) i help|thanks? (you )?for (contacting|reaching)|\bwe (can|have|offer|will|'ll)\b)",
            r"(?:\bour\b|your order|the price|it costs|\bcosts\b|booked you|confirmed|apologi[sz]e|sorry for)",
            r"(?:kind regards|\bteam\b)|كيف (ممكن|بقدر|بنقدر|اقدر|نقدر) (ا|ن)?ساعد|أهلا وسهلا|اهلا وسهلا|السعر",
            r"بنقدر|عنا|عندنا|متوفر|حجزنا|حجزتلك|تم تأكيد|نعتذر|بعتذر|طلبك|منتظرينك|تواصلك",
        ]
    ),
)
_CUSTOMER_CUES = compile_guarded(
    "|".join(
        [
            r"[?؟]|רציתי|אני רוצה|מעוניין|מעוניינת|כמה עולה|כמה זה עולה|מה המחיר|אפשר לקבל|אפשר לקבוע",
            r"יש לכם|אשמח לקבל|הזמנתי|שילמתי|קיבלתי|הבן שלי|הבת שלי|בעלי|אשתי|הדירה שלי|הרכב שלי",
            r"אני צריך|אני צריכה|עדיין לא|מתי תגיעו|מתי יגיע|ראיתי (את )?המודעה|הפניה מ|המליצו לי",
            r"(?:i'?d like|i would like|\bi want\b|\bi need\b|how much|do you\b|can i\b|my order|i ordered|i paid)",
            r"(?:interested)|بدي|أريد|اريد|قديش|كم سعر|عندكم|ممكن|طلبت|دفعت|محتاج|حابب",
            # the same in Arabizi ("bidi as2al", "addesh bitkallef", "3indkom")
            r"\bbidd?i\b|\bbadd?i\b|\b2?add?esh\b|\b3[ae]?nd?kom\b|\bmomken\b|\bmumkin\b|\bbidna\b",
        ]
    ),
)
#: a sender pitching to the business it writes to — a vendor, a marketer, a phisher ("I came across your
#: business", "we help studios get…", "your WhatsApp Business account"): the one who writes in, as a customer does
_PITCH_CUES = compile_guarded(
    "|".join(
        [
            r"(?:ראיתי|ראינו|נתקלתי|נתקלנו)\s+(?:את\s+|ב)?(?:ה)?עסק|לבעל(?:/ת)?\s+העסק|לבעלי\s+(?:ה)?עסק|"
            r"עוזרים\s+לעסקים|לקוחות\s+חדשים\s+בחודש|ביקורות(?:\s+\S+){0,2}\s+בגוגל|העמוד\s+הראשון\s+בגוגל|"
            r"קידום\s+(?:אתרים|אורגני)|חשבון\s+הוואטסאפ\s+העסקי\s+שלכם|ביקורות\s+5\s+כוכבים|העלאת\s+(?:ה)?דירוג|"
            r"(?:מופיע|מופיעה|מופיעים)\s+בגוגל",
            r"came across (?:your|you)|noticed (?:that )?your|your (?:whatsapp )?business account|"
            r"we help (?:\w+ ){0,2}(?:businesses|studios|clinics|owners|brands|shops|salons)|would you be open to|"
            r"new (?:members|customers|clients|calls) (?:a|per) month|google reviews|verify your business|"
            r"love what you'?re doing|(?<!\d)\d{1,7}k (?:real )?followers|we'?ve worked with \d+\+? \w+|"
            r"first page of google",
            r"نساعد المصالح|زبائن جدد كل شهر|تقييمات جوجل|حسابك التجاري|(?:شفنا|شفت|رأينا) (?:مصلحتك|صفحتك)",
            # a phisher's warning to the business: its profile or account about to be suspended
            r"your (?:business )?(?:profile|account|page|listing)[^.\n]{0,40}(?:will be|has been) (?:suspended|blocked|"
            r"disabled|restricted|removed)|"
            r"(?:سيتم|سوف يتم) (?:تعطيل|إيقاف|ايقاف|تعليق|حظر|حذف)\w* (?:حسابك|صفحتك|نهائيا)|"
            r"(?:قدم|قدّم|لتقديم) (?:اعتراض|طعن)|will be (?:permanently )?(?:deleted|removed|disabled)|"
            r"(?:החשבון|העמוד|הדף) (?:העסקי )?שלכם (?:ייחסם|יושעה|ייסגר|יוסר)|קוד האימות|לאמת את (?:העסק|החשבון)|"
            r"complete (?:the )?verification|verification (?:fee|link|code)|login code|sms code|reply yes to|"
            r"to keep your (?:listing|page|account|profile) active|submit an appeal|"
            r"تأكيد بياناتك|رمز التحقق",
        ]
    ),
    re.I,
)
#: how much each pitch (up to three) says its author is the one writing in
PITCH_WEIGHT = 1.5
_BUSINESS_NAME = compile_guarded(
    r"בע[\"״”']מ|שירות|מרפא|סטודיו|קליניק|משרד|חנות|צוות|סוכנות|ביטוח|מוסך|עו[\"״]ד|רו[\"״]ח|גלריה|מספרה|מסעדה"
    r"|מכון|אולם|אחוזת|גן ילדים|חברת|מרכז|קבוצת|פתרונות|הפקות|שיווק|נדל[\"״]ן|אינסטלציה|מיזוג|הובלות|צילום|עיצוב"
    r"|ייעוץ|מעבדת|מעבדה|רהיטי|נגרות|חשמל|מוקד|קייטרינג|פיזיותרפיה|שיעורים|אקדמיה|בית ספר|ד[\"״]ר|מסגרות"
    r"|\b(support|service|services|ltd|inc|llc|clinic|studio|shop|store|team|agency|office|co|catering|realty"
    r"|boutique|kitchen|billing|crm|pro|group|center|centre|salon|dental|dr)\b"
    r"|شركة|عيادة|محل|مركز|مكتب|خدمة|معرض|مطعم|صالون|د\.|[|]",
    re.I,
)
_BOT_NAME = compile_guarded(r"\bbot\b|בוט|بوت|אוטומטי|automated|auto.?reply", re.I)
#: matched on lower-cased text (see the cues above)
_BOT_TEXT = compile_guarded(
    r"הודעה אוטומטית|מענה אוטומטי|this is an automated|automatic reply|auto-reply|رد آلي|رسالة تلقائية"
)
SAMPLE_MESSAGES = 60
_PHONE_NAME = re.compile(r"^\+?[\d\s\-()]{7,20}$")


def is_phone_name(name: str) -> bool:
    """Whether a display name is a bare phone number."""
    return bool(_PHONE_NAME.match(name.strip()))


def name_key(name: str) -> str:
    """A comparable form of a participant name (no bidi marks, case or extra spaces)."""
    from nodes.summarize_conversation.whatsapp import clean

    cleaned = clean(name).casefold()
    if is_phone_name(cleaned):
        return re.sub(r"\D", "", cleaned)[-9:]
    return " ".join(cleaned.split())


def find_author(authors: list[str], wanted: str) -> str | None:
    """The author matching ``wanted`` exactly, else by containment; ``None`` if none does."""
    key = name_key(wanted)
    keys = {a: name_key(a) for a in authors}
    for a, k in keys.items():
        if k == key:
            return a
    close = [a for a, k in keys.items() if key and k and (key in k or k in key)]
    return close[0] if len(close) == 1 else None


def is_bot(author: str, texts: list[str]) -> bool:
    """A participant is a bot by name, or when most of what it writes is an auto-reply."""
    if _BOT_NAME.search(author):
        return True
    n = len(texts)
    hits = 0
    for i, t in enumerate(texts):
        if _BOT_TEXT.search(t.lower()):
            hits += 1
            if hits * 2 > n:
                return True
        elif (hits + n - i - 1) * 2 <= n:
            return False  # too few texts left to make a majority
    return False


def customer_scores(authors: list[str], texts_by_author: dict[str, list[str]], first_author: str
                    ) -> dict[str, float]:
    """How much each author writes like a customer (higher) rather than a business."""
    scores: dict[str, float] = {}
    for a in authors:
        # a participant's first messages show how they write; the rest only cost time
        texts = texts_by_author.get(a, [])[:SAMPLE_MESSAGES]
        n = max(len(texts), 1)
        lowered = [t.lower() for t in texts]
        cust = sum(min(len(_CUSTOMER_CUES.findall(t)), 2) for t in lowered) / n
        biz = sum(min(len(_BUSINESS_CUES.findall(t)), 2) for t in lowered) / n
        pitches = sum(len(_PITCH_CUES.findall(t)) for t in lowered)
        score = cust - biz + PITCH_WEIGHT * min(pitches, 3)
        if a == first_author:
            score += 0.4
        if is_phone_name(a):
            score += 0.7
        if _BUSINESS_NAME.search(a):
            score -= 1.5
        scores[a] = score
    return scores


def _side(author: str, which: int) -> str:
    """The part of "Dana - Clinic" before (0) or after (-1) its dash."""
    return author.split(" - ")[which].strip()


def infer_customer(authors: list[str], texts_by_author: dict[str, list[str]], first_author: str,
                   business_names: list[str] | None = None) -> tuple[str | None, float]:
    """Return ``(customer author or None, confidence 0..1)``."""
    business = {name_key(b) for b in business_names or []}
    candidates = [a for a in authors if name_key(a) not in business
                  and not is_bot(a, texts_by_author.get(a, []))]
    if not candidates:
        return None, 0.0
    if len(candidates) == 1:
        only = candidates[0]
        if len(authors) == 1 and _BUSINESS_NAME.search(only):
            return None, 0.0
        return only, 0.9 if len(authors) > 1 else 0.5
    # "Clinic - Dana" and "Clinic - Eli", or "Dana - Clinic" and "Eli - Clinic": staff of one business
    # share the business's name, before or after the dash
    sides = Counter(side for a in candidates if " - " in a for side in {_side(a, 0), _side(a, -1)})
    staff = {a for a in candidates if " - " in a and (sides[_side(a, 0)] > 1 or sides[_side(a, -1)] > 1)}
    if staff and len(staff) < len(candidates):
        candidates = [a for a in candidates if a not in staff]
        if len(candidates) == 1:
            return candidates[0], 0.9
    scores = customer_scores(candidates, texts_by_author, first_author)
    ranked = sorted(candidates, key=lambda a: scores[a], reverse=True)
    margin = scores[ranked[0]] - scores[ranked[1]]
    return ranked[0], round(1 / (1 + math.exp(-3 * margin)), 3)


def phone_of(name: str) -> str | None:
    """The E.164 phone of a display name that is a phone number."""
    if not is_phone_name(name):
        return None
    found = tt.find_phones(name)
    return str(found[0].value) if found else None
