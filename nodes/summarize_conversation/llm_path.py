"""summarize-conversation's LLM path: a free-text summary in the customer's language.

The local engine can only quote the conversation's own sentences; an LLM can write what
happened. With the ``llm`` or ``hybrid`` engine (``Settings.engine_for``) the summary comes
from the LLM — in both, since the local engine cannot write one of its own — and everything
else (key points, requests, action items, entities, sentiment, category, handoff) stays the
local engine's. The LLM fails → the local summary, and ``meta.llm.error`` says why.

The conversation goes out as ``Customer:`` / ``Business:`` / ``Bot:`` lines (no display
names), its last :data:`MAX_CHARS` characters when it is longer, through
:func:`nodes.engine.llm.ask` (personal data redacted, the authors' names too; placeholders
the answer keeps are put back).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nodes.core.config import Settings
from nodes.engine.llm import LLMResult, Prompt, ask
from nodes.summarize_conversation.conversation import Msg

PROMPT = Prompt.load(Path(__file__).parent / "prompts" / "summary.md")
#: characters of the conversation sent (its end: where it stands now), about 3,000 tokens
MAX_CHARS = 12_000
_ROLES = {"customer": "Customer", "agent": "Business", "bot": "Bot"}
_LANGUAGES = {"he": "Hebrew", "ar": "Arabic", "en": "English", "mixed": "the customer's language"}
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["summary"],
    "properties": {"summary": {"type": "string", "minLength": 1, "maxLength": 1500}},
}


def ask_summary(msgs: list[Msg], language: str, settings: Settings, options: dict[str, Any],
                tenant: str | None, engine: str) -> LLMResult:
    """The LLM's summary of ``msgs`` in ``language``."""
    lines = [f"{_ROLES.get(m.role, 'Customer')}: {m.text}" for m in msgs]
    text = "\n".join(lines)[-MAX_CHARS:]
    names = sorted({m.author for m in msgs if m.author})
    return ask(settings, options, PROMPT, PROMPT.render(language=_LANGUAGES.get(language, "Hebrew")), text, SCHEMA,
               name="conversation_summary", names=names, tenant=tenant, action="summarize-conversation",
               engine=engine)


def summary_of(result: LLMResult) -> str | None:
    """The summary the LLM wrote, its placeholders put back; ``None`` when it failed."""
    if result.answer is None:
        return None
    return " ".join(result.restore(str(result.answer.data["summary"])).split()) or None
