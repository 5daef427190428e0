"""echo: a trivial action the benchmark uses to measure the framework's own cost.

Routed only when ``TZOMET_ENABLE_ECHO=1`` and never listed in discovery.
"""

from nodes.core.registry import register

register("echo", "nodes.echo.node:EchoNode", hidden=True, order=0)
