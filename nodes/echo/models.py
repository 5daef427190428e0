"""echo's input and output: the text, and the text back."""

from __future__ import annotations

from pydantic import Field

from nodes.core.node import OutputModel, StrictModel


class EchoInput(StrictModel):
    text: str = Field(min_length=1, max_length=10_000)


class EchoOutput(OutputModel):
    text: str
