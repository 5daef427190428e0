"""A WSGI app served on loopback in a thread, stopped and started again on the same port (an outage that
keeps the app's state): the base of the CRM emulators."""

from __future__ import annotations

import threading
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server


class LoopbackServer:
    """Serves :meth:`app` on ``host``:``port`` (a free port until the first start). An emulator keeps its
    state in :attr:`state`: its switches' ``DEFAULTS``, the ``config`` set over them, and a ``lock``."""

    name = "emulator"
    state: Any

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def app(self) -> Any:
        """The WSGI app to serve (built at each start, over state kept by the subclass)."""
        raise NotImplementedError

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:8090``."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> Any:
        """Start serving (again, on the same port after :meth:`stop`). Returns ``self``."""
        server = make_server(self.host, self.port, self.app(), threaded=True)
        self.port = server.server_port
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=self.name, daemon=True)
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

    def configure(self, **switches: Any) -> None:
        """Set emulator switches (``down``, ``latency_ms``, ...) directly on the state; an unknown one is an error."""
        unknown = set(switches) - set(self.state.DEFAULTS)
        if unknown:
            raise ValueError(f"unknown switches: {sorted(unknown)}")
        with self.state.lock:
            self.state.config.update(switches)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
