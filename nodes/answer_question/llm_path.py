"""answer-question's LLM path: a written answer, constrained to the retrieved passages.

With the ``llm`` or ``hybrid`` engine, the passages the local retrieval found go to the LLM with
the question; it answers in the customer's language, one to three sentences, each citing the
passage it comes from — or says the passages do not answer (``answered: false``, a person takes
over). An answer citing a passage it was not given is refused. The question goes out through
:func:`nodes.engine.llm.ask` (personal data redacted); the passages are the business's own
documents and go out as they are. The LLM fails → the local answer, and ``meta.llm.error`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodes.core.config import Settings
from nodes.engine.llm import LLMResult, Prompt, ask

from .answer import Passage

PROMPT = Prompt.load(Path(__file__).parent / "prompts" / "answer.md")
_LANGUAGES = {"he": "Hebrew", "ar": "Arabic", "en": "English", "mixed": "the customer's language"}
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "required": ["answered", "sentences"],
    "properties": {
        "answered": {"type": "boolean"},
        "sentences": {"type": "array", "maxItems": 5, "items": {
            "type": "object", "additionalProperties": False, "required": ["text", "passage"],
            "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 600},
                           "passage": {"type": "integer", "minimum": 1, "maximum": 10}}}},
    },
}


@dataclass
class Written:
    """The LLM's answer: its text and the passages it cites (best first), or not answered."""

    answered: bool
    text: str
    cited: list[Passage]


def ask_answer(question: str, passages: list[Passage], language: str, settings: Settings,
               options: dict[str, Any], tenant: str | None, engine: str) -> LLMResult:
    """Ask the LLM to answer ``question`` from ``passages`` in ``language``."""
    numbered = "\n\n".join(f"[{i}] ({p.document}{' > ' + p.heading if p.heading else ''})\n{p.text}"
                           for i, p in enumerate(passages, 1))
    system = PROMPT.render(language=_LANGUAGES.get(language, "Hebrew"), passages=numbered)
    return ask(settings, options, PROMPT, system, question, SCHEMA, name="answer", tenant=tenant,
               action="answer-question", engine=engine)


def written(result: LLMResult, passages: list[Passage]) -> Written | None:
    """What the LLM answered, placeholders put back; ``None`` when it failed or cited what it was not given."""
    if result.answer is None:
        return None
    data = result.answer.data
    sentences = data.get("sentences") or []
    if not data.get("answered") or not sentences:
        return Written(False, "", [])
    if any(not 1 <= int(s["passage"]) <= len(passages) for s in sentences):
        return None
    cited: list[Passage] = []
    for s in sentences:
        passage = passages[int(s["passage"]) - 1]
        if passage not in cited:
            cited.append(passage)
    text = " ".join(result.restore(str(s["text"])).strip() for s in sentences)
    return Written(True, " ".join(text.split()), cited)
