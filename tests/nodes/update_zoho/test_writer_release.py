"""The writer gives back what it holds: on a graceful stop, and after the store failed while it
recorded an outcome — so the job is written again within moments, not after its lease (300 s)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from nodes.core.outbox import OutboxOptions, Writer
from nodes.core.store import Store, StoreError
from nodes.update_zoho.writer import KIND, ZohoHandler
from nodes.update_zoho.zoho_sdk import ZohoClient, ZohoConfig
from tests.zoho_emulator import EmulatorServer

PAYLOAD = {"module": "Leads", "record": {"Last_Name": "כהן", "Email": "release@example.co.il"}, "mapped": False,
           "fallback_field": "Description", "duplicate_check_fields": ["Email"], "note": None, "tasks": [],
           "warnings": []}


class BlinkingStore(Store):
    """A real SQLite store that fails once when a job's outcome is recorded (the database blinking)."""

    failures = 1

    def finish(self, *args: Any, **kwargs: Any) -> bool:
        if self.failures:
            self.failures -= 1
            raise StoreError("store unavailable: connection lost")
        return super().finish(*args, **kwargs)


def _client(emulator: EmulatorServer, store: Store, tmp_path: Path) -> ZohoClient:
    return ZohoClient(ZohoConfig(client_id="c", client_secret="s", refresh_token="r", api_url=emulator.url,
                                 accounts_url=emulator.token_url, resource_dir=tmp_path / "sdk"), store)


def test_a_job_whose_outcome_was_lost_is_given_back_not_left_leased(emulator: EmulatorServer,
                                                                     tmp_path: Path) -> None:
    store = BlinkingStore(f"sqlite:///{tmp_path / 'store.db'}")
    writer = Writer(store, KIND, ZohoHandler(_client(emulator, store, tmp_path)),
                    OutboxOptions(poll_interval_s=0.1, lease_s=300))
    job, _ = store.enqueue(KIND, PAYLOAD)
    writer.start()
    try:
        deadline = time.monotonic() + 20
        while (current := store.get(job.id)) is not None and current.status != "succeeded":
            assert time.monotonic() < deadline, current
            time.sleep(0.05)
    finally:
        writer.stop()
    assert current is not None and current.attempts == 1  # the lost attempt was given back, not counted
    assert [r["Email"] for r in emulator.records("Leads")] == ["release@example.co.il"]  # upserted twice, once


def test_a_stopped_writer_leaves_nothing_leased(emulator: EmulatorServer, tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    emulator.configure(latency_ms=600)
    writer = Writer(store, KIND, ZohoHandler(_client(emulator, store, tmp_path)),
                    OutboxOptions(poll_interval_s=0.1, lease_s=300))
    jobs = [store.enqueue(KIND, {**PAYLOAD, "record": {"Last_Name": "x", "Email": f"s{i}@example.co.il"}})[0]
            for i in range(3)]
    writer.start()
    time.sleep(0.3)  # the first write is under way
    writer.stop()
    states = [store.get(j.id) for j in jobs]
    assert all(s is not None and s.status in ("succeeded", "queued") for s in states), states
    other = store.claim(KIND, "another-instance", lease_s=30)  # at once, nothing waits for a lease
    assert other is not None or all(s.status == "succeeded" for s in states if s)
