"""Request and response models of classify-lead (the source of its JSON Schemas)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from nodes.core.node import OutputModel, StrictModel

DEFAULT_CATEGORIES: tuple[str, ...] = (
    "complaint", "cancellation", "billing", "appointment", "support", "sales_inquiry", "spam", "other",
)
Channel = Literal["whatsapp", "web_form", "email", "sms", "phone_call", "facebook", "instagram", "other"]
HandoffReason = Literal["human_request", "legal_threat", "public_review_threat", "emergency", "anger",
                        "misled", "low_confidence"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must contain more than whitespace")
    return value


class Sender(StrictModel):
    """Who sent the message, as the channel reports it."""

    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=320)


class CategorySpec(StrictModel):
    """An ad-hoc label for this request: a name, what it means, and a few example messages."""

    name: str = Field(min_length=1, max_length=64, pattern=r"^[^\s].*$")
    description: str = Field(default="", max_length=1000)
    examples: list[str] = Field(default_factory=list, max_length=50)

    @field_validator("examples")
    @classmethod
    def _examples_not_blank(cls, value: list[str]) -> list[str]:
        for item in value:
            if not item.strip() or len(item) > 2000:
                raise ValueError("each example must be 1..2000 characters and not blank")
        return value


class ClassifyLeadInput(StrictModel):
    """One incoming message to classify."""

    text: str = Field(min_length=1, max_length=10_000, description="The message, as the customer wrote it.")
    channel: Channel = "other"
    sender: Sender | None = None
    categories: list[CategorySpec] | None = Field(
        default=None, min_length=2, max_length=50,
        description="Replace the default labels for this request (few-shot by similarity).",
    )
    language: Literal["auto", "he", "ar", "en"] = "auto"

    _check_text = field_validator("text")(_not_blank)

    @field_validator("categories")
    @classmethod
    def _unique_category_names(cls, value: list[CategorySpec] | None) -> list[CategorySpec] | None:
        if value:
            names = [c.name.strip().lower() for c in value]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"duplicate category names: {', '.join(dupes)}")
        return value


class Handoff(OutputModel):
    """Whether a person must take over, and why."""

    required: bool
    reasons: list[HandoffReason]


class Lead(OutputModel):
    """How promising the message is as a sale."""

    temperature: Literal["hot", "warm", "cold"] | None = Field(
        description="Only for prospects (sales_inquiry, appointment); null otherwise.")
    score: int = Field(ge=0, le=100)


class Contact(OutputModel):
    """Contact details found in the message or given as the sender."""

    name: str | None
    phones: list[str] = Field(description="E.164, e.g. +972521234567")
    emails: list[str]


class Signal(OutputModel):
    """One piece of evidence: a rule that fired or a detail found, with its span in ``text``."""

    type: str
    text: str
    start: int
    end: int


class ClassifyLeadOutput(OutputModel):
    """The classification of one message."""

    category: str
    confidence: float = Field(ge=0, le=1)
    scores: dict[str, float]
    urgency: Literal["high", "normal", "low"]
    handoff: Handoff
    lead: Lead
    language: Literal["he", "ar", "en", "mixed", "unknown"]
    contact: Contact
    signals: list[Signal]
