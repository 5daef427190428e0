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
    request_id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$",
                            description="meta.request_id (or the X-Request-Id header) of the answer being corrected")
    correct: Correction


class FeedbackOutput(OutputModel):
    request_id: str
    action: str
    decided: dict[str, Any] = Field(description="what the answer said: category, confidence, urgency, handoff")
    correct: dict[str, Any]
