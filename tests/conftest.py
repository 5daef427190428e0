"""Shared fixtures: the real app served over real HTTP on loopback.

``serve(**overrides)`` starts ``create_app`` on a free 127.0.0.1 port in a thread
(werkzeug's threaded server) with ``load_settings(env={}, data_dir=<tmp>, models_dir=MODELS_DIR, **overrides)``
and returns its base URL; ``serve.stop(url)`` stops one early (e.g. to test a restart),
the rest stop at teardown. ``base_url`` is one shared server with default settings.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, make_server

from nodes.core.config import load_settings
from server import create_app

#: the shipped model, trained once per machine and shared by every test, worker and subprocess (the file
#: name is the model's version, so a stale one is never read); nothing is written inside the checkout
MODELS_DIR = Path(os.environ.setdefault("TZOMET_MODELS_DIR", str(Path(tempfile.gettempdir()) / "tzomet-test-models")))

#: the modules that take longest, sent to the workers first (``make test`` runs ``--dist loadscope
#: --no-loadscope-reorder``: a module is one unit of work on one worker, in this order, so the n8n
#: module starts its one n8n once and no worker is left with a long module at the end)
SLOW_FIRST = (
    "tests/test_workflows_n8n.py",
    "tests/test_packaging.py",
    "tests/core/test_hardening_server.py",
    "tests/nodes/update_zoho/test_update_zoho_restart.py",
    "tests/nodes/classify_lead/test_classify_lead.py",
    "tests/nodes/update_zoho/test_update_zoho.py",
    "tests/text/test_hardening_text.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the modules of :data:`SLOW_FIRST` first, in that order; the rest keep theirs."""
    rank = {path: i for i, path in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


class _Servers:
    """Starts and stops live servers for one test (or one session)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.running: dict[str, tuple[BaseWSGIServer, threading.Thread]] = {}

    def __call__(self, env: dict[str, str] | None = None, **overrides: Any) -> str:
        overrides.setdefault("data_dir", self.data_dir)
        overrides.setdefault("models_dir", MODELS_DIR)
        settings = load_settings(env=env or {}, **overrides)
        app = create_app(settings)
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        # polled every 50 ms, so that stopping it takes that long, not serve_forever's default 0.5 s
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{httpd.server_port}"
        self.running[url] = (httpd, thread)
        return url

    def stop(self, url: str) -> None:
        httpd, thread = self.running.pop(url)
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)

    def stop_all(self) -> None:
        for url in list(self.running):
            self.stop(url)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """A factory of live servers, each with its own settings (see module docstring)."""
    servers = _Servers(tmp_path / "data")
    yield servers
    servers.stop_all()


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One live server with default settings (no keys), shared by the session."""
    servers = _Servers(tmp_path_factory.mktemp("shared-data"))
    yield servers()
    servers.stop_all()
