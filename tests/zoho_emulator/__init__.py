"""A local Zoho CRM v8 emulator for tests, benchmarks and trying the flow without a Zoho account.

``create_app()`` builds the Flask app; :class:`EmulatorServer` runs it on loopback in a
thread and can be stopped and started again on the same port with the same records
(a real "Zoho is unreachable" outage). From a shell: ``python -m tests.zoho_emulator --port 8090``.
"""

from __future__ import annotations

from typing import Any

from tests.loopback import LoopbackServer

from .app import EmulatorState, create_app, default_fields

__all__ = ["EmulatorServer", "EmulatorState", "create_app", "default_fields"]


class EmulatorServer(LoopbackServer):
    """The emulator served by werkzeug in a background thread on ``host``:``port``."""

    name = "zoho-emulator"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: EmulatorState | None = None) -> None:
        super().__init__(host, port)
        self.state = state or EmulatorState()

    def app(self) -> Any:
        return create_app(self.state)

    @property
    def token_url(self) -> str:
        """What ``ZOHO_ACCOUNTS_URL`` should be set to."""
        return f"{self.url}/oauth/v2/token"

    def records(self, module: str = "Leads") -> list[dict[str, Any]]:
        """The records the emulator holds for ``module``."""
        with self.state.lock:
            return [dict(r) for r in self.state.records.get(module, {}).values()]

