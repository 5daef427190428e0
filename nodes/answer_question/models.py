"""Requests and responses of ``POST /v1/answer-question`` and ``POST /v1/knowledge``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from nodes.core.node import OutputModel, StrictModel

#: the longest question read (a WhatsApp message with its greeting fits many times over)
MAX_QUESTION_CHARS = 2000


class AnswerQuestionInput(StrictModel):
    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS,
                          description="The customer's question as they wrote it.")
    language: Literal["he", "ar", "en"] | None = Field(
        default=None, description="The language to answer in (the LLM engine); the question's own by default.")
    max_passages: int = Field(default=3, ge=1, le=10, description="How many citations to return at most.")
    min_confidence: float | None = Field(
        default=None, ge=0, le=1,
        description="Below this confidence the question is handed over instead of answered (default: the "
                    "tenant's option, else 0.6).")

    @field_validator("question")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the question is empty")
        return value


class Citation(OutputModel):
    document: str = Field(description="The document's name as it was added.")
    heading: str = Field(description="Its heading path, outermost first (' > ' between levels).")
    quote: str = Field(description="The quoted text, verbatim.")
    span: list[int] = Field(description="[start, end) of the quote in the document's text.")


class Handoff(OutputModel):
    required: bool
    reasons: list[str]


class AnswerQuestionOutput(OutputModel):
    answer: str = Field(description="The answer ('' when not answered).")
    answered: bool
    confidence: float
    language: str = Field(description="The question's language: he, ar, en or mixed.")
    citations: list[Citation] = Field(description="What the answer is taken from, best first.")
    handoff: Handoff
    hint: str | None = Field(default=None, description="What to do when the knowledge base is empty.")


class KnowledgeInput(StrictModel):
    document: str = Field(min_length=1, max_length=200, description="The document's name, e.g. price-list.pdf; "
                          "adding the same name again replaces it.")
    content_base64: str | None = Field(default=None, min_length=1, description="The file's bytes, base64.")
    text: str | None = Field(default=None, min_length=1, description="Or the document as text (Markdown reads "
                                                                     "its headings, lists and tables).")
    content_type: str | None = Field(default=None, max_length=200,
                                     description="application/pdf, the DOCX type, text/html, text/markdown or "
                                                 "text/plain; by the name's ending when absent.")

    @field_validator("document")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the document needs a name")
        return value.strip()

    @model_validator(mode="after")
    def _one_body(self) -> KnowledgeInput:
        if (self.content_base64 is None) == (self.text is None):
            raise ValueError("give exactly one of content_base64 and text")
        return self


class KnowledgeOutput(OutputModel):
    id: str
    document: str
    sha256: str
    added_at: str
    media_type: str
    chars: int
    chunks: int
    dense: bool = Field(description="Whether its passages were embedded (meaning-based retrieval).")
    dense_pending: bool = Field(default=False, description="A long document is stored at once and embedded in "
                                "the background: its words answer now, its meaning when this turns false.")
    replaced: bool = Field(description="Whether a document of the same name was replaced.")
