"""Request and response models of ``summarize-conversation`` (the published JSON Schemas)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from nodes.core.node import OutputModel, StrictModel

#: the most messages one request may carry (as a list or parsed from a transcript)
MAX_MESSAGES = 20_000


class MessageIn(StrictModel):
    """One message of a conversation given as a list."""

    author: str = Field(default="", max_length=200, description="display name or phone of the sender")
    role: Literal["customer", "agent", "bot"] | None = Field(
        default=None, description="who wrote it; inferred from the conversation when omitted"
    )
    text: str = Field(min_length=1, max_length=50_000)
    timestamp: dt.datetime | None = Field(default=None, description="ISO 8601")

    @field_validator("text")
    @classmethod
    def _text_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must contain more than whitespace")
        return value


class SummarizeInput(StrictModel):
    """Either ``messages`` or ``transcript`` (a raw WhatsApp export), not both."""

    messages: list[MessageIn] | None = Field(default=None, min_length=1, max_length=MAX_MESSAGES)
    transcript: str | None = Field(
        default=None,
        min_length=1,
        max_length=10 * 1024 * 1024,
        description="a WhatsApp chat export (Android or iOS; Hebrew, Arabic or English locale)",
    )
    customer_name: str | None = Field(
        default=None, min_length=1, max_length=200, description="the participant who is the customer"
    )
    language: Literal["auto", "he", "ar", "en"] = "auto"
    max_sentences: int | None = Field(
        default=None, ge=1, le=10, description="sentences in `summary` (default 3, or the tenant's)"
    )

    @field_validator("transcript")
    @classmethod
    def _not_both(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and info.data.get("messages") is not None:
            raise ValueError("give either `messages` or `transcript`, not both")
        if value is not None and not value.strip():
            raise ValueError("transcript is empty")
        return value


class ActionItem(OutputModel):
    """A commitment made in the conversation."""

    owner: Literal["agent", "customer", "unknown"]
    text: str
    due: str | None = Field(description="YYYY-MM-DD")


class DateEntity(OutputModel):
    text: str
    value: str = Field(description="YYYY-MM-DD")


class AmountEntity(OutputModel):
    text: str
    value: float
    currency: str


class Entities(OutputModel):
    dates: list[DateEntity]
    amounts: list[AmountEntity]
    phones: list[str]
    emails: list[str]


class Sentiment(OutputModel):
    overall: Literal["positive", "neutral", "negative"]
    trend: Literal["improving", "stable", "worsening"]
    score: float = Field(description="mean lexicon score of the customer's messages, -1..1")


class Handoff(OutputModel):
    required: bool
    reasons: list[str]


class Stats(OutputModel):
    messages: int
    participants: int
    first_at: str | None
    last_at: str | None
    first_response_seconds: float | None = Field(
        description="from the customer's first message to the business's first (human) reply"
    )
    system_lines: int = Field(description="system lines of the export that were skipped")
    media_omitted: int = Field(description="media-only messages that were skipped")
    format: Literal["messages", "android", "ios"]
    date_order: Literal["DMY", "MDY", "YMD"] | None


class Participant(OutputModel):
    name: str
    role: Literal["customer", "agent", "bot"]
    messages: int


class Customer(OutputModel):
    """Which participant was taken as the customer, and how that was decided."""

    name: str | None
    phone: str | None = Field(description="E.164, when the customer's name is a phone number")
    source: Literal["customer_name", "roles", "inferred", "none"]
    confidence: float


class SummarizeOutput(OutputModel):
    summary: str
    language: Literal["he", "ar", "en", "mixed"]
    key_points: list[str]
    customer_requests: list[str]
    action_items: list[ActionItem]
    open_questions: list[str]
    entities: Entities
    sentiment: Sentiment
    category: str
    urgency: Literal["high", "normal", "low"]
    handoff: Handoff
    stats: Stats
    customer: Customer
    participants: list[Participant]
