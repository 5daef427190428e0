"""PostgreSQL going away under a running service: what needs the store says 503 and recovers when
it returns; what does not need it goes on; an accepted write is never lost."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import MODELS_DIR
from tests.service import Service
from tests.zoho_emulator import EmulatorServer
from tests.zoho_emulator.pgtemp import TempPostgres, find_binaries


@pytest.fixture
def own_cluster() -> Iterator[TempPostgres]:
    """A PostgreSQL of this test's own, since the test stops it."""
    bindir = find_binaries()
    if bindir is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("PostgreSQL is required under CI")
        pytest.skip("PostgreSQL server binaries not found")
    cluster = TempPostgres(bindir).start()
    yield cluster
    cluster.stop()


def _eventually(check: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.2)


def test_postgresql_going_away_mid_run(own_cluster: TempPostgres, tmp_path: Path) -> None:
    emulator = EmulatorServer().start()
    config = tmp_path / "tzomet.json"
    config.write_text(json.dumps({"actions": {"update-zoho": {
        "wait_seconds": 2, "poll_interval_s": 0.2, "backoff_base_s": 0.2, "backoff_max_s": 0.5, "max_attempts": 1000,
        "connect_timeout_s": 1, "read_timeout_s": 3}}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "TZOMET_"))}
    env.update({"TZOMET_DB_URL": own_cluster.new_database(), "TZOMET_CONFIG": str(config),
                "TZOMET_MODELS_DIR": str(MODELS_DIR), "TZOMET_DATA_DIR": str(tmp_path / "data"),
                "ZOHO_CLIENT_ID": "c", "ZOHO_CLIENT_SECRET": "s", "ZOHO_REFRESH_TOKEN": "r",
                "ZOHO_API_URL": emulator.url, "ZOHO_ACCOUNTS_URL": emulator.token_url})
    service = Service(env, tmp_path / "serve.log").start()
    url = service.url

    def write(i: int) -> requests.Response:
        return requests.post(f"{url}/v1/update-zoho", timeout=30, json={
            "record": {"Last_Name": f"שם {i}", "Email": f"pg{i}@example.co.il"}, "idempotency_key": f"pg-{i}"})

    try:
        assert write(0).status_code == 200
        emulator.stop()
        queued = write(1)  # accepted while Zoho is down: it waits in PostgreSQL
        assert queued.status_code == 202, queued.text
        job_id = queued.json()["job_id"]

        own_cluster.pause()
        refused = write(2)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert "store" in refused.json()["detail"]
        assert requests.get(f"{url}/readyz", timeout=30).status_code == 503
        assert requests.get(f"{url}/healthz", timeout=10).status_code == 200
        lead = requests.post(f"{url}/v1/classify-lead", json={"text": "שלום, אני צריך עורך דין לתביעה"}, timeout=30)
        assert lead.status_code == 200, lead.text  # the analysis actions do not need the store
        job = requests.get(f"{url}/v1/jobs/{job_id}", timeout=30)
        assert job.status_code == 503 and job.headers["Content-Type"].startswith("application/problem+json")

        own_cluster.resume()
        emulator.start()
        _eventually(lambda: requests.get(f"{url}/readyz", timeout=30).status_code == 200)
        again = write(2)
        assert again.status_code in (200, 202), again.text
        _eventually(lambda: requests.get(f"{url}/v1/jobs/{job_id}", timeout=30).json().get("status") == "succeeded")
    finally:
        service.stop()
        emulator.stop()
    emails = sorted(r["Email"] for r in emulator.records("Leads"))
    assert emails == [f"pg{i}@example.co.il" for i in range(3)]


def test_a_restarted_server_leaves_no_dead_connection_in_the_pool(own_cluster: TempPostgres) -> None:
    """Every pooled connection is cut when PostgreSQL restarts; the first operation after it must not
    borrow one dead connection after another until it gives up."""
    from nodes.core.store import Store

    store = Store(own_cluster.new_database())
    store.migrate()
    with store._borrow(), store._borrow(), store._borrow(), store._borrow():
        pass  # four connections now wait in the pool
    assert len(store._pool) == 4
    own_cluster.pause()
    own_cluster.resume()
    assert store.ping() == (True, "")
    job, created = store.enqueue("update-zoho", {"module": "Leads"}, idempotency_key="after-restart")
    assert created and store.get(job.id) is not None
    store.close()
