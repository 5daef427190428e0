"""What each answer decided, per tenant: for the pilot report and for people's corrections.

An action that has something to report (classify-lead: its category, confidence, urgency and
handoff) returns it from :meth:`nodes.core.node.Node.decision`; the runner hands it here for every
single HTTP request. A record holds the request id, the tenant (``default`` without keys), the
action, the time, the latency, the model version and those fields — never the message, never a
name or a phone. Records are written by a background thread of each process in batches (at most
:data:`FLUSH_S` seconds later), so answering never waits on the store, and deleted after
:data:`RETENTION_DAYS` days. A tenant's ``record_decisions = false`` option turns it off.

A correction (``POST /v1/feedback``) is kept beside its record, by request id.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import threading
import time
from typing import Any

from nodes.core.store import StoreError, open_store

FLUSH_S = 0.5
RETENTION_DAYS = 180
DEFAULT_TENANT = "default"
log = logging.getLogger("tzomet")

_Row = tuple[str, str, str, float, float, str, dict[str, Any]]


class DecisionLog:
    """The records waiting to be written, per store URL, and the thread that writes them."""

    def __init__(self) -> None:
        self._pending: dict[str, list[_Row]] = {}
        self._lock = threading.Lock()
        self._pid = 0
        self._wake = threading.Event()
        self._purged_at = 0.0

    def add(self, url: str, row: _Row) -> None:
        with self._lock:
            if self._pid != os.getpid():  # a forked worker starts its own thread (and drops the parent's rows)
                self._pid, self._pending = os.getpid(), {}
                threading.Thread(target=self._loop, name="tzomet-decisions", daemon=True).start()
            self._pending.setdefault(url, []).append(row)

    def flush(self) -> None:
        """Write every pending record now."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for url, rows in pending.items():
            try:
                store = open_store(url)
                store.decisions_add(rows)
                if time.time() - self._purged_at > 3600:
                    self._purged_at = time.time()
                    store.decisions_purge(time.time() - RETENTION_DAYS * 86400)
            except StoreError as err:  # the report misses these answers; the answers themselves went out
                log.warning("%d decisions not recorded: %s", len(rows), err)

    def _loop(self) -> None:
        while True:
            self._wake.wait(FLUSH_S)
            self.flush()


LOG = DecisionLog()
atexit.register(LOG.flush)


def text_digest(text: str) -> str:
    """How a kept message is found again by its text (``store_bodies``): the SHA-256 of its UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record(settings: Any, tenant: str | None, action: str, request_id: str, latency_ms: float,
           model_version: str, fields: dict[str, Any]) -> None:
    """Queue one answer's record (see the module docstring)."""
    if settings is None or settings.action_options(action, tenant).get("record_decisions") is False:
        return
    LOG.add(settings.database_url,
            (request_id, tenant or DEFAULT_TENANT, action, time.time(), round(latency_ms, 3), model_version, fields))
