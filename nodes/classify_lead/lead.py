"""Lead temperature and score: how promising a message is as a sale.

Transparent arithmetic over the category and the signals, documented in
docs/classify-lead.md: prospects (sales_inquiry, appointment) get a temperature;
everyone gets a 0..100 score.
"""

from __future__ import annotations

from typing import Any, Literal

from nodes.classify_lead.rules import RuleResult

PROSPECT_CATEGORIES = {"sales_inquiry", "appointment"}
_BASE = {"sales_inquiry": 50, "appointment": 45, "support": 25, "billing": 20, "cancellation": 10,
         "complaint": 10, "other": 5, "spam": 0}


def lead_fields(category: str, confidence: float, urgency: str, rules: RuleResult,
                contact: dict[str, Any]) -> dict[str, Any]:
    """The fields of :class:`Lead`: a 0..100 score, a temperature only for prospects (plain data);
    ``contact`` holds the fields of :class:`Contact`."""
    if category == "spam":
        return {"temperature": None, "score": 0}
    score = float(_BASE.get(category, 20))
    if category in PROSPECT_CATEGORIES:
        score += 15 if rules.has("purchase_intent") else 0
        score += 10 if rules.has("budget") else 0
        score += 10 if contact["phones"] or contact["emails"] else 0
        score += 5 if contact["name"] else 0
        score += 10 if urgency == "high" else 0
        score -= 25 if rules.has("just_browsing") else 0
        score *= 0.6 + 0.4 * confidence
    score = max(0.0, min(100.0, score))
    temperature: Literal["hot", "warm", "cold"] | None = None
    if category in PROSPECT_CATEGORIES:
        temperature = "hot" if score >= 70 else "warm" if score >= 40 else "cold"
    return {"temperature": temperature, "score": round(score)}
