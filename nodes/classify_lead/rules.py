"""The transparent rules layer: urgency and handoff signals with evidence spans.

Each rule is a named regular expression over normalised text (Hebrew, Arabic, English);
every match becomes a ``signal`` pointing into the original text, so a person can see
exactly why a message was marked urgent or handed to a human. Hebrew words take the
one-letter prefixes (ו ה ב ל מ ש כ) through ``_P``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nodes.text.normalize import normalize_map, span_to_original

_P = r"(?:[ובלמשהכ]{0,3}-?)"  # Hebrew prefixes before a word
_B = r"(?<![\w])"  # word start that works for Hebrew/Arabic letters too
_E = r"(?![\w])"


_AR_P = r"(?:[وفبلك]?(?:ال|ل)?)"  # Arabic conjunction/preposition prefixes


def _words(*alternatives: str, prefix: bool = True) -> str:
    """Whole-word alternatives; Hebrew ones may carry prefixes (``prefix=False``: Arabic ones)."""
    body = "|".join(alternatives)
    return rf"{_B}{_P if prefix else _AR_P}(?:{body}){_E}"


@dataclass(frozen=True)
class Hit:
    """A rule that fired: its type (the signal name) and the span in the original text."""

    type: str
    text: str
    start: int
    end: int


# --- urgency -------------------------------------------------------------------------

_NOT_URGENT = re.compile(
    r"(?:לא|אין|בלי)\s+(?:ממש\s+)?(?:דחוף|בוער|לחץ|מלחיץ|ממהר)"
    r"|\bnot\s+(?:urgent|in\s+a\s+hurry)|\bno\s+(?:rush|hurry)|\bwhenever\b|\bno\s+pressure"
    r"|(?:مش|مو|ما\s+في|مش\s+كثير)\s+(?:مستعجل|ضروري|عجلة)",
    re.IGNORECASE,
)

EXPLICIT_URGENCY = re.compile(
    _words(r"דחו+ף+", r"דחופה", r"בדחיפות", r"מיידי", r"מיידית", r"בהקדם(?:\s+האפשרי)?", r"בוער",
           r"כמה\s+שיותר\s+מהר", r"מהר\s+ככל\s+האפשר", r"עכשיו", r"מיד", r"תיכף", r"אסאפ", r"דחוףףף")
    + r"|\b(?:urgent(?:ly)?|asap|a\.s\.a\.p|immediately|right\s+now|right\s+away|as\s+soon\s+as\s+possible"
    r"|emergency|dachuf|dahuf)\b"
    r"|" + _words(r"مستعجل(?:ة)?", r"ضروري(?:ة)?", r"عاجل(?:ة)?", r"فورا?ً?", r"حالا?ً?", r"بسرعة",
                  r"بأسرع\s+وقت", r"هلق", r"هلأ", r"هسا", r"الآن", r"الان", prefix=False),
    re.IGNORECASE,
)

EMERGENCY = re.compile(
    _words(r"הצפה", r"הצפות", r"מוצף", r"מוצפת", r"מוצפים", r"שיטפון", r"פיצוץ\s+(?:צינור|בצינור)",
           r"צינור\s+(?:התפוצץ|פרוץ|שהתפוצץ)", r"התפוצץ", r"נזילה\s+(?:חזקה|ענקית|רצינית)", r"מים\s+בכל\s+הבית",
           r"שריפה", r"נשרף", r"עשן", r"ריח\s+(?:של\s+)?(?:גז|שריפה)", r"דליפת\s+גז", r"קצר\s+חשמלי",
           r"התחשמל(?:ה|תי)?", r"ניצוצות", r"נפצע(?:ה|תי)?", r"פציעה", r"פצוע(?:ה)?", r"מדמם(?:ת)?", r"דימום",
           r"כאבים\s+(?:חזקים|נוראיים|קשים|עזים)", r"כאב\s+(?:חזק|נוראי|עז|חד)", r"כאבי\s+תופת",
           r"לא\s+(?:יכול|יכולה|מצליח|מצליחה)\s+לנשום", r"קשיי\s+נשימה", r"קוצר\s+נשימה", r"התעלף", r"התעלפה",
           r"תאונ(?:ה|ת\s+דרכים)", r"נתקע(?:ה|נו)?\s+במעלית", r"חום\s+גבוה", r"אלרגית?", r"בהלה", r"מד\"א",
           r"אמבולנס", r"חדר\s+מיון", r"מיון", r"פריצה", r"פרצו", r"נפל(?:ה)?\s+ו", r"שבר\s+ב",
           r"נחתכ(?:ה|תי)?", r"נחתך", r"חתך\s+עמוק", r"נדרס(?:ה)?", r"נפגע(?:ה)?\s+מרכב", r"התנפח(?:ה)?", r"נפיחות",
           r"תגובה\s+אלרגית", r"ננעל(?:תי|נו|ה)?\s+(?:מחוץ|בחוץ)", r"(?:התינוק|הילד|הילדה|התינוקת)\s+(?:בפנים|נעול)",
           r"כאב(?:ים|י)?\s+(?:\S+\s+){0,2}?(?:חזק(?:ים)?|נוראי(?:ים)?|עז(?:ים)?|בלתי\s+נסבל(?:ים)?|מטורפ(?:ים)?)",
           r"מים\s+(?:\S+\s+){0,2}?(?:מהתקרה|מהקיר|על\s+החשמל)", r"נוזל(?:ים)?\s+מים\s+מהתקרה", r"פיצוץ",
           r"התמוטט(?:ה)?", r"איבד(?:ה)?\s+הכרה", r"מחוסר\s+הכרה")
    + r"|\b(?:flood(?:ed|ing)?|burst\s+pipe|pipe\s+burst|fire|smoke|gas\s+leak|smell\s+(?:of\s+)?gas|injur(?:ed|y)"
    r"|bleeding|severe\s+pain|terrible\s+pain|chest\s+pain|can'?t\s+breathe|short\s+of\s+breath|unconscious"
    r"|accident|ambulance|electrocuted|sparks|break-?in|broke\s+in|pouring|allergic\s+reaction|swelling"
    r"|locked\s+out|hit\s+by\s+a\s+car|run\s+over|collapsed|passed\s+out|fainted|(?:bad|deep)\s+cut"
    r"|(?:severe|terrible|unbearable|excruciating)\s+(?:\w+\s+)?pain)\b"
    r"|" + _words(r"فيضان", r"غرق(?:ت|ان)?", r"تسرب\s+(?:مي|ماء|مياه|غاز)", r"حريق", r"نار", r"دخان",
                  r"ريحة\s+غاز", r"نزيف", r"بينزف", r"إصابة", r"اصابة", r"مصاب(?:ة)?", r"ألم\s+شديد", r"الم\s+شديد",
                  r"وجع\s+(?:قوي|كثير|شديد)", r"حادث", r"طوارئ", r"اسعاف", r"إسعاف", r"مش\s+قادر\s+اتنفس",
                  r"ما\s+بقدر\s+اتنفس", r"كهربا", r"تسريب\s+(?:مي|ماء|مياه|غاز)",
                  r"(?:مي|ماي|مية|ميه)\s+نازل(?:ة)?", r"نازل(?:ة)?\s+من\s+السقف", r"حساسية\s+قوية", r"انجرح(?:ت)?",
                  r"وقع(?:ت)?\s+و", r"انقطعت\s+الكهربا", r"انحبس(?:ت)?", prefix=False),
    re.IGNORECASE,
)

DEADLINE = re.compile(
    _words(r"היום", r"הערב", r"הלילה", r"מחר", r"עד\s+מחר", r"מחרתיים", r"עד\s+סוף\s+היום", r"בבוקר\s+מחר")
    + r"|\b(?:today|tonight|tomorrow|by\s+(?:the\s+)?end\s+of\s+(?:the\s+)?day|eod|this\s+evening)\b"
    r"|" + _words(r"اليوم", r"الليلة", r"بكرة", r"بكرا", r"بكره", r"غدا", r"غداً", r"بعد\s+بكرة", prefix=False),
    re.IGNORECASE,
)

# --- handoff -------------------------------------------------------------------------

HUMAN_REQUEST = re.compile(
    r"(?:לדבר|לשוחח|לתקשר|מדבר|שיחה|אפשר|רוצה|צריך|צריכה|תן\s+לי|תני\s+לי|תנו\s+לי|מבקש|מבקשת|תביאו|תעבירו)\s+"
    r"(?:\S+\s+){0,2}?(?:עם\s+)?[הל]?(?:נציג|נציגה|בן\s*אדם|בנאדם|מנהל|מנהלת|אחראי|אחראית"
    r"|מישהו\s+(?:אמיתי|אנושי|ממשי)|אדם\s+אמיתי|מישהו\s+מהצוות)(?![\w])"
    r"(?!\s+(?:חשבונות|עבודה|פרויקט|פרויקטים|תיקים|נכסים|ה?מוצר|אתר|מכירות|ביטוח))"
    r"|(?:שמישהו|מישהו|שבן\s+אדם|שנציג)\s+(?:\S+\s+){0,2}?(?:יחזור|יתקשר|ידבר|יענה)\s+(?:אליי|אלי|איתי)"
    r"|\b(?:ledaber|ledabber)\s+(?:\w+\s+){0,2}?(?:bnadam|ben\s+adam|natzig|natsig|nazig|menahel)\b"
    r"|תעביר(?:ו|י)?\s+אותי\s+ל|" + _words(r"נציג\s+אנושי", r"נציג\s+בבקשה", r"בן\s+אדם\s+(?:אמיתי|בבקשה)",
                                           r"לא\s+(?:רוצה|רוצה\s+לדבר\s+עם|מדבר\s+עם)\s+(?:בוט|רובוט|מכונה)",
                                           r"די\s+(?:עם\s+)?(?:ה)?בוט", r"מענה\s+אנושי", r"נציג\s+שירות")
    + r"|\b(?:(?:speak|talk|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|the\s+|your\s+|some\s+)?"
    r"(?:human|person|real\s+person|agent|representative|manager|supervisor|someone\s+real|owner)"
    r"|real\s+(?:person|human)|human\s+(?:please|agent|being)|not\s+a\s+(?:bot|robot)|customer\s+service\s+rep"
    r"|representative)\b"
    r"|(?:بدي|بدّي|اريد|أريد|ممكن)\s+(?:\S+\s+){0,2}?(?:موظف|مسؤول|مدير|انسان|إنسان|شخص\s+حقيقي|حد\s+من\s+الشركة)"
    r"|(?:مش|ما\s+بدي)\s+(?:\S+\s+)?(?:روبوت|بوت)",
    re.IGNORECASE,
)

LEGAL_THREAT = re.compile(
    r"(?:אתבע|נתבע|אתבעו|אגיש|נגיש|נפתח|אפתח)\s+(?:\S+\s+){0,3}?(?:אתכם|אותכם|אותך|נגדכם|נגדך|תביעה|תלונה\s+ב)"
    r"|תביע(?:ה|ות)\s+(?:\S+\s+)?נגדכם|(?:אתבע|נתבע)\s*(?:$|[!.\s])"
    r"|" + _words(r"עורך\s+הדין\s+שלי", r"עו\"ד\s+שלי", r"עורכת\s+הדין\s+שלי", r"(?:ה)?עורך\s+דין\s+שלי",
                  r"מכתב\s+התראה", r"תביעות?\s+קטנות", r"הגנת\s+הצרכן", r"הרשות\s+להגנת\s+הצרכן",
                  r"משרד\s+הבריאות", r"רשות\s+שוק\s+ההון", r"המפקח\s+על\s+הביטוח", r"נציב(?:ות)?\s+תלונות",
                  r"לשכת\s+עורכי\s+הדין", r"ניפגש\s+בבית\s+(?:ה)?משפט", r"ניפגש\s+בבית\s+הדין",
                  r"אפנה\s+ל(?:עורך\s+דין|עו\"ד|בית\s+משפט|משטרה|רשויות)", r"נקיטת\s+הליכים", r"הליכים\s+משפטיים",
                  r"צעדים\s+משפטיים", r"(?:א|נ)נקוט\s+(?:ב)?(?:הליכים|צעדים)", r"לקוח(?:נו|ותינו)",
                  r"עורכת?\s+(?:ה)?דין\s+(?:\S+\s+){0,3}?(?:מטפל(?:ת)?|מטפלים|תטפל|יטפל)",
                  r"(?:מגיש|מגישה|אגיש)\s+(?:\S+\s+){0,2}?תלונה\s+(?:ל|ב)(?:משטרה|רשות|משרד|לשכת|איגוד|הסתדרות)")
    + r"|\b(?:(?:i|we)(?:'ll|\s+will)\s+sue|sue\s+you|suing\s+you|my\s+(?:lawyer|attorney)|legal\s+action"
    r"|small\s+claims|consumer\s+protection|see\s+you\s+in\s+court|report\s+you\s+to|lawsuit\s+against\s+you"
    r"|ministry\s+of\s+health|fil(?:e|ing)\s+a\s+(?:formal\s+)?complaint\s+(?:with|to|against)"
    r"|(?:contact|call|hire)(?:ing)?\s+(?:a|my)\s+lawyer|court)\b"
    r"|(?:رح|راح|سوف|سأ)\s*(?:\S+\s+){0,2}?(?:اشتكي|أشتكي|ارفع\s+(?:عليكم\s+)?قضية|اتوجه|أتوجه|اقدم\s+شكوى"
    r"|أقدم\s+شكوى)"
    r"|" + _words(r"محاميي?\s+(?:تبعي|الخاص)", r"المحامي\s+تبعي", r"حماية\s+المستهلك", r"قضية\s+عليكم",
                  r"دعوى\s+(?:ضدكم|عليكم)", r"وزارة\s+الصحة", r"المحكمة", prefix=False),
    re.IGNORECASE,
)

PUBLIC_REVIEW_THREAT = re.compile(
    r"(?:אפרסם|נפרסם|אכתוב|נכתוב|אעלה|אשתף|אדאג\s+ש|אספר|אפיץ|מפרס[םמ](?:ת|ים)?|לפרס[םמ]|כותב(?:ת)?|מעלה"
    r"|אחשוף|לחשוף|אתלונן)\s+(?:\S+\s+){0,5}?"
    r"(?:ביקורת|review|פוסט|בפייסבוק|בפייס|בגוגל|ברשת|ברשתות|באינסטגרם|בטיקטוק|בקבוצ|בזאפ|בכל\s+מקום|לכולם"
    r"|עליכם|בתקשורת)"
    r"|" + _words(r"ביקורת\s+(?:שלילית|רעה|גרועה|קטלנית|בגוגל|בפייסבוק)", r"כוכב\s+אחד", r"1\s+כוכב",
                  r"כולם\s+ידעו", r"כלבוטק", r"לתקשורת", r"לעיתונות", r"ברשתות\s+החברתיות", r"שיימינג")
    + r"|\b(?:(?:bad|negative|terrible|1[- ]star|one[- ]star)\s+review|(?:i(?:'ll|\s+will)|going\s+to)\s+"
    r"(?:post|write|leave|share|tell)\b.{0,40}?\b(?:review|facebook|google|yelp|trustpilot|instagram|tiktok"
    r"|everyone|online)|tell\s+everyone|trustpilot|yelp|go\s+public|the\s+media|the\s+press)\b"
    r"|(?:رح|راح|سوف)\s*(?:\S+\s+){0,2}?(?:انشر|أنشر|اكتب|أكتب|افضح|أفضح)|تقييم\s+(?:سيء|سلبي)"
    r"|\b(?:review|reviews)\s+(?:b|be)?(?:google|facebook)|" + _words(
        r"على\s+الفيسبوك", r"ع\s*الفيس", prefix=False),
    re.IGNORECASE,
)

_STRONG_ANGER = re.compile(
    _words(r"נמאס(?:\s+לי)?", r"חוצפה", r"חצופים", r"חצוף", r"גנבים", r"גנבת", r"רמאים", r"רמאות", r"נוכלים",
           r"נוכלות", r"שקרנים", r"בושה(?:\s+וחרפה)?", r"תתביישו", r"אין\s+לכם\s+בושה", r"ביזיון", r"מבזה",
           r"מזלזלים", r"זלזול", r"מחפיר", r"שערורי(?:ה|יה)", r"מזעזע", r"זבל", r"אפסים", r"עלובים", r"מטומטמים",
           r"אידיוטים", r"דפוקים", r"מחורבן", r"מחורבנת", r"על\s+הפנים", r"עושקים", r"עושק", r"הונאה",
           r"לעזאזל", r"כוס\s+\S+", r"יא\s+בני\s+זונות", r"בני\s+זונות", r"חארות", r"חרא", r"מניאקים",
           r"הכי\s+גרוע", r"לא\s+ייאמן", r"מקצוע\s+של\s+חרא", r"עצבים", r"עצבני(?:ת)?", r"כועס(?:ת)?",
           r"מתוסכל(?:ת)?", r"רתוח(?:ה)?", r"רותח(?:ת)?", r"זועם", r"זועמת", r"נשבר\s+לי", r"גניבה", r"גונבים",
           r"נורמליים", r"ניצלתם", r"ניצול", r"לא\s+מאמינ(?:ה|ים)?", r"אין\s+לי\s+מילים", r"הולכים\s+לשמוע\s+ממני",
           r"לא\s+מעניין\s+אותי", r"ממש\s+לא\s+בסדר", r"לא\s+נורמלי", r"זה\s+לא\s+שירות", r"קרקס", r"מתעללים",
           r"עם\s+מי\s+אני\s+מדבר", r"פעם\s+אחרונה", r"לא\s+אשלם", r"נוכל(?:ים)?", r"מבישה?")
    + r"|\b(?:ridiculous|unacceptable|disgusting|disgrace(?:ful)?|scam(?:mers)?|thie(?:f|ves)|liars?|worst"
    r"|furious|fed\s+up|pathetic|outrageous|incompetent|wtf|damn|f\*+k|fuck(?:ing)?|shit(?:ty)?|bullshit|angry"
    r"|sick\s+(?:and\s+tired|of)|not\s+ok(?:ay)?|money\s+back|rip-?off|robbery|shame\s+on\s+you|joke)\b"
    r"|" + _words(r"حرامي(?:ة)?", r"نصابين", r"نصاب", r"نصب", r"زهقت", r"قرفت", r"قرف", r"مش\s+معقول", r"عيب\s+عليكم",
                  r"وقحين", r"وقاحة", r"اسوأ", r"أسوأ", r"كذابين", r"كذب", r"سرقة", r"حرام\s+عليكم", r"مهزلة",
                  r"معصب(?:ة)?", r"زعلان(?:ة)?", prefix=False),
    re.IGNORECASE,
)
_EXCLAIM = re.compile(r"[!?]{3,}|!{2,}")
_SHOUT = re.compile(r"\b[A-Z]{3,}(?:\s+[A-Z]{2,}){2,}\b")

LEAD_HINTS = {
    "budget": re.compile(r"תקציב|\bbudget\b|ميزانية", re.IGNORECASE),
    "purchase_intent": re.compile(
        _words(r"מעוניי?ן", r"מעוניינת", r"מעונינים", r"רוצה\s+להזמין", r"רוצה\s+לקנות", r"להצטרף", r"לסגור",
               r"הצעת\s+מחיר", r"כמה\s+(?:זה\s+)?(?:עולה|עולים|יעלה)", r"מה\s+המחיר", r"מחיר", r"לשכור", r"לרכוש")
        + r"|\b(?:interested|quote|pricing|price|how\s+much|buy|purchase|hire|sign\s+up)\b"
        r"|" + _words(r"مهتم(?:ة)?", r"بدي\s+اشتري", r"كم\s+السعر", r"قديش", r"اديش", r"سعر", r"عرض\s+سعر",
                      prefix=False),
        re.IGNORECASE),
    "just_browsing": re.compile(
        _words(r"רק\s+בודק(?:ת)?", r"רק\s+שואל(?:ת)?", r"בעתיד", r"מתישהו", r"לא\s+בטוח(?:ה)?\s+ש", r"אולי\s+בהמשך")
        + r"|\b(?:just\s+(?:looking|browsing|curious|asking)|maybe\s+later|someday|not\s+sure\s+yet)\b",
        re.IGNORECASE),
}


def _scan(pattern: re.Pattern[str], kind: str, norm: str, index: list[int], text: str,
          skip: list[tuple[int, int]] | None = None) -> list[Hit]:
    hits = []
    for m in pattern.finditer(norm):
        if skip and any(s <= m.start() < e for s, e in skip):
            continue
        start, end = span_to_original(index, m.start(), m.end(), len(text))
        raw = text[start:end]
        # trim the whitespace a pattern may have swallowed at its edges
        lead = len(raw) - len(raw.lstrip())
        trail = len(raw) - len(raw.rstrip())
        hits.append(Hit(kind, text[start + lead:end - trail], start + lead, end - trail))
    return hits


@dataclass
class RuleResult:
    """Everything the rules found in one message."""

    hits: list[Hit]
    anger_score: int

    def has(self, kind: str) -> bool:
        """Whether a signal of ``kind`` fired."""
        return any(h.type == kind for h in self.hits)


def apply_rules(text: str) -> RuleResult:
    """Run every rule over ``text``; spans point into ``text`` as given."""
    norm, index = normalize_map(text)
    negated = [(m.start(), m.end()) for m in _NOT_URGENT.finditer(norm)]
    hits: list[Hit] = []
    hits += _scan(EXPLICIT_URGENCY, "explicit_urgency", norm, index, text, negated)
    hits += _scan(EMERGENCY, "emergency", norm, index, text)
    hits += _scan(DEADLINE, "deadline", norm, index, text)
    hits += _scan(HUMAN_REQUEST, "human_request", norm, index, text)
    hits += _scan(LEGAL_THREAT, "legal_threat", norm, index, text)
    hits += _scan(PUBLIC_REVIEW_THREAT, "public_review_threat", norm, index, text)
    anger = _scan(_STRONG_ANGER, "anger", norm, index, text)
    anger_score = 2 * len(anger)
    loud = _scan(_EXCLAIM, "anger", norm, index, text) + _scan(_SHOUT, "anger", norm, index, text)
    anger_score += len(loud)
    if anger_score >= 2:
        hits += anger + loud
    for kind, pattern in LEAD_HINTS.items():
        hits += _scan(pattern, kind, norm, index, text)
    if negated:
        hits += [Hit("not_urgent", *_orig(text, index, s, e)) for s, e in negated]
    hits.sort(key=lambda h: (h.start, h.end))
    return RuleResult(hits, anger_score)


def _orig(text: str, index: list[int], start: int, end: int) -> tuple[str, int, int]:
    s, e = span_to_original(index, start, end, len(text))
    return text[s:e], s, e
