"""A local Zoho CRM v8 emulator for tests, benchmarks and trying the flow without a Zoho account.

``create_app()`` builds the Flask app; :class:`EmulatorServer` runs it on loopback in a
thread and can be stopped and started again on the same port with the same records
(a real "Zoho is unreachable" outage). From a shell: ``python -m tests.zoho_emulator --port 8090``.
"""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server

from .app import EmulatorState, create_app, default_fields

__all__ = ["EmulatorServer", "EmulatorState", "create_app", "default_fields"]


class EmulatorServer:
    """The emulator served by werkzeug in a background thread on ``host``:``port``."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, state: EmulatorState | None = None) -> None:
        self.host = host
        self.port = port
        self.state = state or EmulatorState()
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8090`` (the API base and the accounts host)."""
        return f"http://{self.host}:{self.port}"

    @property
    def token_url(self) -> str:
        """What ``ZOHO_ACCOUNTS_URL`` should be set to."""
        return f"{self.url}/oauth/v2/token"

    def start(self) -> EmulatorServer:
        """Start serving (again, on the same port after :meth:`stop`). Returns ``self``."""
        server = make_server(self.host, self.port, create_app(self.state), threaded=True)
        self.port = server.server_port
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="zoho-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; the port refuses connections until :meth:`start` is called again."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def records(self, module: str = "Leads") -> list[dict[str, Any]]:
        """The records the emulator holds for ``module``."""
        with self.state.lock:
            return [dict(r) for r in self.state.records.get(module, {}).values()]

    def configure(self, **switches: Any) -> None:
        """Set switches (``down``, ``latency_ms``, ``throttle_next``, ...) directly on the state."""
        unknown = set(switches) - set(self.state.DEFAULTS)
        if unknown:
            raise ValueError(f"unknown switches: {sorted(unknown)}")
        with self.state.lock:
            self.state.config.update(switches)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
