"""A real restart: `tzomet serve` (gunicorn, 2 workers) is stopped with writes queued while
Zoho is down, then started again; every queued write lands exactly once.

Runs on SQLite and on a real throwaway PostgreSQL (skipped with the reason when PostgreSQL
is not installed, except under CI=true).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import MODELS_DIR
from tests.service import Service
from tests.zoho_emulator import EmulatorServer
from tests.zoho_emulator.pgtemp import database_url_or_skip

SECRET = "s3cr3t-client-secret-value"
REFRESH = "1000.r3fr3sh-token-value"




@pytest.fixture(params=["sqlite", "postgresql"])
def service_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[dict[str, str], EmulatorServer]]:
    emulator = EmulatorServer().start()
    config = tmp_path / "tzomet.json"
    config.write_text(json.dumps({"actions": {"update-zoho": {
        "backoff_base_s": 0.2, "backoff_max_s": 0.5, "poll_interval_s": 0.2, "wait_seconds": 0.1,
        "connect_timeout_s": 1, "read_timeout_s": 3, "max_attempts": 1000, "lease_s": 30,
    }}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "TZOMET_"))}
    env.update({
        "TZOMET_DATA_DIR": str(tmp_path / "data"), "TZOMET_CONFIG": str(config),
        "TZOMET_MODELS_DIR": str(MODELS_DIR),  # the shared trained model: no training at each start
        "ZOHO_CLIENT_ID": "client", "ZOHO_CLIENT_SECRET": SECRET, "ZOHO_REFRESH_TOKEN": REFRESH,
        "ZOHO_API_URL": emulator.url, "ZOHO_ACCOUNTS_URL": emulator.token_url,
    })
    if request.param == "postgresql":
        env["TZOMET_DB_URL"] = database_url_or_skip()
    yield env, emulator
    emulator.stop()


def test_restart_with_queued_jobs_executes_each_once(service_env: tuple[dict[str, str], EmulatorServer],
                                                      tmp_path: Path) -> None:
    env, emulator = service_env
    log = tmp_path / "service.log"
    service = Service(env, log).start()
    try:
        warm = requests.post(f"{service.url}/v1/update-zoho", json={"record": {"Last_Name": "Warm"}}, timeout=30)
        assert warm.status_code in (200, 202), warm.text
        if warm.status_code == 202:  # the first write (a token, the SDK's start) took longer than wait_seconds
            _wait_for(service.url, [warm.json()["job_id"]])
        emulator.stop()  # Zoho unreachable
        bodies: list[dict[str, Any]] = [
            {"record": {"Last_Name": f"שם{i}", "Email": f"r{i}@example.co.il"}, "idempotency_key": f"restart-{i}",
             "note": {"content": f"הערה {i}"}}
            for i in range(6)
        ]
        queued = [requests.post(f"{service.url}/v1/update-zoho", json=b, timeout=30) for b in bodies]
        assert [q.status_code for q in queued] == [202] * 6, [q.text for q in queued]
        job_ids = [q.json()["job_id"] for q in queued]
    finally:
        service.stop()

    emulator.start()
    service = Service(env, log).start()  # same data dir / database, new processes
    try:
        jobs = _wait_for(service.url, job_ids)
        assert [j["status"] for j in jobs] == ["succeeded"] * 6, jobs
        replays = [requests.post(f"{service.url}/v1/update-zoho", json=b, timeout=30) for b in bodies]
        assert all(r.status_code == 200 and r.headers.get("Idempotent-Replayed") == "true" for r in replays)
        assert [r.json()["record_id"] for r in replays] == [j["result"]["record_id"] for j in jobs]
    finally:
        service.stop()

    emails = [r.get("Email") for r in emulator.records("Leads")]
    for i in range(6):
        assert emails.count(f"r{i}@example.co.il") == 1
    assert len(emulator.records("Notes")) == 6
    upserts = sum(n for route, n in emulator.state.calls.items() if route.endswith("/upsert"))
    assert upserts == 7  # the warm-up and each queued write once
    text = log.read_text()
    assert SECRET not in text and REFRESH not in text
    assert "example.co.il" not in text and "הערה" not in text  # no message bodies in the logs


def _wait_for(url: str, job_ids: list[str], seconds: float = 60) -> list[dict[str, Any]]:
    """The jobs once all have succeeded, or as they stand after ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        jobs = [requests.get(f"{url}/v1/jobs/{j}", timeout=10).json() for j in job_ids]
        if all(j["status"] == "succeeded" for j in jobs) or time.monotonic() > deadline:
            return jobs
        time.sleep(0.2)
