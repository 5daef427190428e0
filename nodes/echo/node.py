"""The echo node: returns its input, so the benchmark can measure the framework's own cost."""

from __future__ import annotations

from nodes.core.node import Context, Node
from nodes.echo.models import EchoInput, EchoOutput


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
