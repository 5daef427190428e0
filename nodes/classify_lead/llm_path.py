"""classify-lead's LLM path: the category from an OpenAI-compatible LLM, personal data redacted.

The engine of a tenant (``Settings.engine_for``) decides when it is asked:

* ``local`` — never;
* ``llm`` — every message (the local engine answers when the LLM fails);
* ``hybrid`` — only when the local category's confidence is below the tenant option
  ``llm_threshold`` (default :data:`DEFAULT_LLM_THRESHOLD`).

The call itself — redaction (phones, emails, IDs, IBANs, cards, bank accounts, plates, the
sender's name; off only by an explicit ``redact_pii = false``), the client, the audit line —
is :func:`nodes.engine.llm.ask`. The prompt is ``prompts/classify.md`` with the labels (the
default ones or the tenant's own, with their descriptions); the answer must follow a JSON
schema whose ``category`` is one of those labels. Urgency, handoff, contact details and
signals stay the local engine's, so a failing LLM changes nothing but the category.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodes.core.config import Settings
from nodes.engine.llm import LLMAnswer, LLMResult, Prompt, ask

#: below this local confidence a hybrid tenant asks the LLM
DEFAULT_LLM_THRESHOLD = 0.6
PROMPT = Prompt.load(Path(__file__).parent / "prompts" / "classify.md")
#: what the default labels mean (the API contract's table), for the prompt
DEFAULT_MEANINGS = {
    "complaint": "dissatisfaction, anger, accusation, threat of legal action or public review",
    "cancellation": "end a subscription, policy, contract, membership or order (not an appointment)",
    "billing": "invoices, receipts, charges, payments, refunds, payment methods",
    "appointment": "book, move, confirm or cancel a meeting, visit, call or treatment slot",
    "support": "an existing customer needs help or status on an existing order, case, policy or treatment",
    "sales_inquiry": "a prospect asks about buying, hiring, prices, availability or a quote",
    "spam": "unsolicited promotion, vendor pitch, scam or phishing",
    "other": "anything else: thanks, greetings, wrong number, job applications",
}


def wanted(engine: str, confidence: float, options: dict[str, Any]) -> bool:
    """Whether this message goes to the LLM (see the module docstring)."""
    if engine == "llm":
        return True
    return engine == "hybrid" and confidence < float(options.get("llm_threshold", DEFAULT_LLM_THRESHOLD))


def ask_category(text: str, labels: dict[str, str], names: list[str], settings: Settings, options: dict[str, Any],
                 tenant: str | None, engine: str) -> LLMResult:
    """The LLM's category of ``text`` among ``labels`` (name -> meaning)."""
    schema = {
        "type": "object", "additionalProperties": False, "required": ["category", "confidence"],
        "properties": {"category": {"enum": list(labels)},
                       "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
    }
    listing = "\n".join(f"- {name}: {meaning}" if meaning else f"- {name}" for name, meaning in labels.items())
    return ask(settings, options, PROMPT, PROMPT.render(labels=listing), text, schema, name="lead_category",
               names=names, tenant=tenant, action="classify-lead", engine=engine)


def blend(scores: dict[str, float], answer: LLMAnswer) -> dict[str, float]:
    """The local probabilities moved toward the LLM's label by its confidence (they still sum to 1)."""
    weight = float(answer.data["confidence"])
    chosen = str(answer.data["category"])
    return {k: (1 - weight) * v + (weight if k == chosen else 0.0) for k, v in scores.items()}
