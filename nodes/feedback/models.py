"""Request and response of ``POST /v1/feedback``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from nodes.core.node import OutputModel, StrictModel


class Correction(StrictModel):
    """What the answer should have been (give at least one field)."""

    category: str | None = Field(default=None, min_length=1, max_length=100)
    handoff: bool | None = None
    urgency: Literal["high", "normal", "low"] | None = None

    @model_validator(mode="after")
    def _something(self) -> Correction:
        if self.category is None and self.handoff is None and self.urgency is None:
            raise ValueError("give at least one of category, handoff, urgency")
        return self


class FeedbackInput(StrictModel):
    request_id: str | None = Field(
        default=None, min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
        description="meta.request_id (or the X-Request-Id header) of the answer being corrected")
    text: str | None = Field(
        default=None, min_length=1, max_length=10_000,
        description="instead of request_id, the message itself (its latest answer is corrected); only for a "
                    "tenant that keeps message bodies (store_bodies)")
    correct: Correction

    @model_validator(mode="after")
    def _one_way_to_name_the_answer(self) -> FeedbackInput:
        if (self.request_id is None) == (self.text is None):
            raise ValueError("give the answer's request_id, or the message's text (not both)")
        return self


class FeedbackOutput(OutputModel):
    request_id: str
    action: str
    decided: dict[str, Any] = Field(description="what the answer said: category, confidence, urgency, handoff")
    correct: dict[str, Any]
