"""A trivial action used by the benchmark to measure the framework's own cost.

It is only routed when ``TZOMET_ENABLE_ECHO=1`` and never listed in discovery.
"""

from __future__ import annotations

from pydantic import Field

from nodes.base import Context, Node, OutputModel, StrictModel


class EchoInput(StrictModel):
    text: str = Field(min_length=1, max_length=10_000)


class EchoOutput(OutputModel):
    text: str


class EchoNode(Node):
    name = "echo"
    title = "Echo"
    description = "Returns its input (benchmark baseline)."
    Input = EchoInput
    Output = EchoOutput
    model = "echo"
    model_version = "1"

    def run(self, data: EchoInput, ctx: Context) -> EchoOutput:
        return EchoOutput(text=data.text)
