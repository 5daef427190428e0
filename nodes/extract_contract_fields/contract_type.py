"""Which kind of contract a text is, from the words in its title and body."""

from __future__ import annotations

import re

HE = "\u05d0-\u05ea"

_KEYWORDS: dict[str, tuple[str, ...]] = {
    "lease": ("שכירות", "השוכר", "המשכיר", "המושכר", "מושכר", "דמי השכירות", "lease", "tenant", "landlord",
              "premises", "lessee", "lessor", "rent"),
    "employment": ("העסקה", "הסכם עבודה", "המעסיק", "המעביד", "העובד", "שכר", "חופשה שנתית", "employment",
                   "employee", "employer", "salary", "vacation"),
    "service": ("שירותים", "נותן השירותים", "הספק", "הלקוח", "ייעוץ", "קבלן", "service", "services",
                "consultant", "contractor", "client", "supplier", "provider", "deliverables"),
    "nda": ("סודיות", "מידע סודי", "אי גילוי", "confidential", "confidentiality", "non-disclosure", "nda",
            "disclosing party", "receiving party"),
    "sale": ("מכר", "המוכר", "הקונה", "רכב", "הממכר", "הרוכש", "sale", "purchase", "seller", "buyer",
             "vehicle", "purchaser"),
    "loan": ("הלוואה", "ההלוואה", "המלווה", "הלווה", "פירעון", "loan", "lender", "borrower", "repayment"),
    "insurance": ("ביטוח", "פוליסה", "הפוליסה", "המבוטח", "המבטח", "פרמיה", "insurance", "policy", "insured",
                  "insurer", "premium", "policyholder"),
}
_TITLES: dict[str, str] = {
    "lease": r"הסכם\s+שכירות|חוזה\s+שכירות|שכירות\s+בלתי\s+מוגנת|lease\s+agreement|tenancy\s+agreement|\blease\b",
    "employment": r"הסכם\s+(?:העסקה|עבודה)|חוזה\s+(?:העסקה|עבודה)|employment\s+(?:agreement|contract)",
    "service": r"(?:הסכם|חוזה)\s+(?:ל?שירות(?:ים|י)?|ייעוץ|ל?מתן\s+שירותים|התקשרות|קבלנות)|"
               r"service[s]?\s+agreement|consulting\s+agreement",
    "nda": r"(?:הסכם|התחייבות)\s+(?:ל?שמירת\s+)?סודיות|non-disclosure|confidentiality\s+agreement|\bnda\b",
    "sale": r"(?:הסכם|חוזה)\s+(?:מכר|מכירת|רכישת)|זכרון\s+דברים\s+למכירת|sale\s+agreement|purchase\s+agreement|"
            r"bill\s+of\s+sale",
    "loan": r"(?:הסכם|חוזה)\s+הלוואה|loan\s+agreement",
    "insurance": r"פוליס[הת]|תנאי\s+הביטוח|רשימת\s+הביטוח|insurance\s+policy|policy\s+schedule",
}
_TITLE_RX = {k: re.compile(v, re.IGNORECASE) for k, v in _TITLES.items()}
_WORD_RX = {
    k: re.compile(
        "|".join(rf"(?<![{HE}A-Za-z])[והבלמש]?{re.escape(w)}(?![{HE}A-Za-z])" for w in words), re.IGNORECASE
    )
    for k, words in _KEYWORDS.items()
}


def detect_contract_type(text: str) -> tuple[str, float]:
    """Return ``(type, confidence)``; ``("other", ...)`` when no kind stands out."""
    title = text[:300]
    for kind, rx in _TITLE_RX.items():
        if rx.search(title):
            return kind, 0.95
    body = text[:20000]
    scores = {k: len(rx.findall(body)) for k, rx in _WORD_RX.items()}
    best = max(scores, key=lambda k: scores[k])
    total = sum(scores.values())
    if scores[best] < 3 or total == 0:
        return "other", 0.5
    return best, round(min(0.9, 0.4 + scores[best] / total / 2), 2)
