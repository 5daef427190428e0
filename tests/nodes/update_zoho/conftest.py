"""Fixtures the update-zoho tests share: each store backend, a Zoho emulator, and writers stopped after a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nodes.update_zoho.writer import shutdown_runtimes
from tests.zoho_emulator import EmulatorServer
from tests.zoho_emulator.pgtemp import database_url_or_skip


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str | None:
    """``None`` (the default SQLite store in the data dir) or a throwaway PostgreSQL's URL."""
    return None if request.param == "sqlite" else database_url_or_skip()


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A Zoho-compatible emulator over HTTP, for one test."""
    emu = EmulatorServer().start()
    yield emu
    emu.stop()


@pytest.fixture(autouse=True)
def _stop_writers() -> Iterator[None]:
    """Stop the in-process writers a test started, so the next test's server starts its own."""
    yield
    shutdown_runtimes()
