"""Context words that say what a nearby number is (ID, company number, order number ...).

Shared by the phone, ID and amount finders so that they agree on what a number is.
All patterns run on normalised text (see :mod:`.normalize`).
"""

from __future__ import annotations

import re

from nodes.text.guard import compile_guarded

# Letters that can be glued to a Hebrew word as a prefix (ו ה ב ל מ ש כ).
HE_PREFIX = "[והבלמשכ]{0,2}"
HE_LETTER = "\u05d0-\u05ea"
AR_LETTER = "\u0620-\u064a"

# id_type -> alternation of context words (normalised text, case-insensitive).
_ID_WORDS: dict[str, str] = {
    "israeli_id": (
        r"ת\.?\s?ז\.?|ת\"ז|ת'ז|תעודת\s+זהות|תעודת\s+הזהות|מספר\s+זהות|מס'\s*זהות|זהות|"
        r"\bI\.?D\.?(?:\s+(?:no\.?|number|#))?|\bidentity\s+(?:no\.?|number)|teudat\s+zehut|"
        # "رقم هويتي"، "هويته": "my/his ID" too
        r"رقم\s+(?:ال)?هوي(?:تها|تنا|تي|ته|تك|تو|ة)|بطاقة\s+(?:ال)?هوية|(?:ال)?هوي(?:تها|تنا|تي|ته|تك|تو|ة)|"
        # "ت.ز.": Israeli Arabic for ת.ז.
        r"ت\.\s?ز\.?"
    ),
    "company": (
        r"ח\.\s?פ\.?|ח\"פ|ח'פ|חברה|מספר\s+חברה|בע\"מ|בע'מ|"
        r"\bcompany\s+(?:no\.?|number|reg(?:istration)?\.?(?:\s+no\.?)?)|\bltd\.?|\breg\.?\s+no\.?|"
        r"\bregistration\s+(?:no\.?|number)|رقم\s+(?:ال)?شركة|(?:ال)?شركة|"
        # "ح.ف." and "م.ض.": Israeli Arabic for ח.פ. and בע"מ
        r"ح\.\s?ف\.?|م\.\s?ض\.?"
    ),
    "amuta": r"ע\.\s?ר\.?|ע\"ר|ע'ר|עמותה|עמותת|\bnon[- ]?profit|\bngo\b|رقم\s+(?:ال)?جمعية|جمعية",
    "osek": (
        r"ע\.\s?מ\.?|ע\"מ|עוסק\s+מורשה|עוסק\s+פטור|עוסק|\bvat\s+(?:no\.?|number|id)|"
        r"\bdealer\s+(?:no\.?|number)|\bosek\s+(?:murshe|patur)(?:\s+(?:no\.?|number))?|"
        r"\b(?:licensed|authori[sz]ed)\s+dealer(?:\s+(?:no\.?|number))?|رقم\s+(?:ال)?مشتغل|مشتغل\s+مرخص|مشغل\s+مرخص|عوسي?ك\s+مو?رشي?ه"
    ),
    "passport": r"דרכון|\bpassport(?:\s+(?:no\.?|number|#))?|جواز\s+(?:ال)?سفر|جواز",
    # a registered partnership's number (55…), checked like a company's
    "partnership": r"שותפות(?:\s+רשומה)?|מס'\s*שותפות|\b(?:registered\s+)?partnership(?:\s+(?:no\.?|number))?|"
                   r"رقم\s+(?:ال)?شراكة|شراكة\s+مسجلة",
}

_ID_CONTEXT = compile_guarded(
    "|".join(
        f"(?P<{name}>(?<![{HE_LETTER}{AR_LETTER}A-Za-z]){HE_PREFIX if name != 'passport' else ''}(?:{words}))"
        for name, words in _ID_WORDS.items()
    ),
    re.IGNORECASE,
)

# Words that make the following number an order/invoice/reference number, never a
# phone, an ID or an amount.
_REFERENCE_CONTEXT = compile_guarded(
    r"(?:(?:(?<![" + HE_LETTER + r"])" + HE_PREFIX + r"(?:הזמנה|הזמנת|חשבונית|אסמכתא|אסמכתה|קבלה|משלוח|"
    r"פוליסה|פוליסת|תיק|מספר\s+לקוח|מנוי|קריאה|פנייה|פניה|מק\"ט|מקט|סניף|גרסה|גירסה)|"
    r"\b(?:order|invoice|receipt|ref(?:erence)?|tracking|policy|ticket|case|customer|"
    r"sku|booking|confirmation|version|ver|build)|"
    r"(?<![" + AR_LETTER + r"])(?:ال)?(?:طلب|فاتورة|طلبية))"
    r"(?:\s*(?:מס'|מספר|מס\.|no\.?|number|nr\.?|رقم))?[\s:.#\-]*|[#№]\s*)$",
    re.IGNORECASE,
)

CONTEXT_WINDOW = 25

#: every context word holds a letter, and a reference may be a "#" or "№" alone: a window
#: without any of these has no context (checked before the patterns, which try every position)
_LETTER = compile_guarded(r"[^\W\d_]")
_LETTER_OR_NUMBER_SIGN = compile_guarded(r"[^\W\d_]|[#№]")


def id_context_before(norm: str, start: int, window: int = CONTEXT_WINDOW) -> str | None:
    """Return the ID type named by the nearest context word ending before ``start``.

    Looks at the ``window`` characters before ``start`` in normalised text; the context
    word closest to the number wins. ``None`` when no context word is there.
    """
    lo = max(0, start - window)
    if _LETTER.search(norm, lo, start) is None:
        return None
    segment = norm[lo:start]
    best: tuple[int, str] | None = None
    for m in _ID_CONTEXT.finditer(segment):
        name = m.lastgroup
        if name is None:
            continue
        # a digit between the word and the number means the word belongs to that digit
        if any(ch.isdigit() for ch in segment[m.end():]):
            continue
        if best is None or m.end() >= best[0]:
            best = (m.end(), name)
    return best[1] if best else None


def reference_context_before(norm: str, start: int) -> bool:
    """True when the number at ``start`` follows an order/invoice/reference word."""
    lo = max(0, start - CONTEXT_WINDOW)
    if _LETTER_OR_NUMBER_SIGN.search(norm, lo, start) is None:
        return False
    return _REFERENCE_CONTEXT.search(norm[lo:start]) is not None
