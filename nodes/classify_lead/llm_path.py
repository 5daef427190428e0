"""classify-lead's LLM path: the category from an OpenAI-compatible LLM, personal data redacted.

The engine of a tenant (``Settings.engine_for``) decides when it is asked:

* ``local`` — never;
* ``llm`` — every message (the local engine answers when the LLM fails);
* ``hybrid`` — only when the local category's confidence is below the tenant option
  ``llm_threshold`` (default :data:`DEFAULT_LLM_THRESHOLD`).

Before anything leaves the machine the text goes through :func:`nodes.text.redact.redact_pii`
(phones, emails, IDs, IBANs, cards, bank accounts, plates, and the sender's name): only a tenant's
explicit ``redact_pii = false`` turns that off. The prompt is ``prompts/classify.md`` with the
labels (the default ones or the tenant's own, with their descriptions); the answer must follow a
JSON schema whose ``category`` is one of those labels. Urgency, handoff, contact details and
signals stay the local engine's, so a failing LLM changes nothing but the category.

One audit line per call on the ``tzomet.llm`` logger: tenant, action, engine, model, the kinds
and counts of what was redacted, a hash of the text, tokens, latency and the outcome — no text.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodes.core.config import Settings
from nodes.engine.llm import LLMAnswer, LLMConfig, LLMUnavailable, Prompt, client_for
from nodes.text.redact import redact_pii

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
audit = logging.getLogger("tzomet.llm")


@dataclass(frozen=True)
class LLMCategory:
    """What the LLM said, or why it said nothing (``answer`` is then ``None``)."""

    answer: LLMAnswer | None
    error: str | None = None

    def meta(self) -> dict[str, Any]:
        """``meta.llm``: model, tokens, latency and prompt version; or the error."""
        if self.answer is None:
            return {"error": self.error, "prompt": PROMPT.version}
        a = self.answer
        return {"model": a.model, "tokens_in": a.tokens_in, "tokens_out": a.tokens_out,
                "latency_ms": a.latency_ms, "prompt": PROMPT.version}


def config_for(settings: Settings, options: dict[str, Any]) -> LLMConfig:
    """The LLM of a tenant's options (``llm_base_url``, ``llm_model``, ``llm_api_key_env``,
    ``llm_timeout_s``), else the service's ``TZOMET_LLM_*``."""
    key_env = options.get("llm_api_key_env")
    return LLMConfig(
        base_url=str(options.get("llm_base_url") or settings.llm_base_url),
        model=str(options.get("llm_model") or settings.llm_model),
        api_key=settings.llm_keys.get(str(key_env)) if key_env else settings.llm_api_key,
        timeout_s=float(options.get("llm_timeout_s") or settings.llm_timeout_s),
    )


def wanted(engine: str, confidence: float, options: dict[str, Any]) -> bool:
    """Whether this message goes to the LLM (see the module docstring)."""
    if engine == "llm":
        return True
    return engine == "hybrid" and confidence < float(options.get("llm_threshold", DEFAULT_LLM_THRESHOLD))


def ask(text: str, labels: dict[str, str], names: list[str], settings: Settings, options: dict[str, Any],
        tenant: str | None, engine: str) -> LLMCategory:
    """The LLM's category of ``text`` among ``labels`` (name -> meaning)."""
    redacted = redact_pii(text, names) if options.get("redact_pii", True) is not False else None
    sent = redacted.text if redacted is not None else text
    schema = {
        "type": "object", "additionalProperties": False, "required": ["category", "confidence"],
        "properties": {"category": {"enum": list(labels)},
                       "confidence": {"type": "number", "minimum": 0, "maximum": 1}},
    }
    listing = "\n".join(f"- {name}: {meaning}" if meaning else f"- {name}" for name, meaning in labels.items())
    config = config_for(settings, options)
    result: LLMCategory
    try:
        result = LLMCategory(client_for(config).answer(PROMPT.render(labels=listing), sent, schema, "lead_category"))
    except LLMUnavailable as err:
        result = LLMCategory(None, err.reason)
    a = result.answer
    audit.info(
        "tenant=%s action=classify-lead engine=%s model=%s redacted=%s text_sha256=%s tokens_in=%s tokens_out=%s "
        "ms=%s outcome=%s",
        tenant or "-", engine, config.model,
        ",".join(f"{k}:{v}" for k, v in sorted(redacted.kinds.items())) if redacted else "off",
        hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16],
        a.tokens_in if a else 0, a.tokens_out if a else 0, a.latency_ms if a else 0, result.error or "ok",
    )
    return result


def blend(scores: dict[str, float], answer: LLMAnswer) -> dict[str, float]:
    """The local probabilities moved toward the LLM's label by its confidence (they still sum to 1)."""
    weight = float(answer.data["confidence"])
    chosen = str(answer.data["category"])
    return {k: (1 - weight) * v + (weight if k == chosen else 0.0) for k, v in scores.items()}
