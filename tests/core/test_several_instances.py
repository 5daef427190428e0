"""Several instances on one PostgreSQL: three `tzomet serve --workers 2` share one outbox.

5,000 update-zoho writes (10% of them repeating an earlier idempotency key) are spread over the
three; one instance is killed with SIGKILL while the outbox drains and started again. Every
record reaches the Zoho emulator exactly once and every job ends ``succeeded``.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import random
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import requests

from nodes.core.store import Store
from tests.conftest import MODELS_DIR
from tests.service import Service
from tests.zoho_emulator import EmulatorServer
from tests.zoho_emulator.pgtemp import database_url_or_skip

WRITES = 5000
REPEATED = WRITES // 10


def _bodies() -> list[dict[str, Any]]:
    """4,500 distinct writes and 500 repeats of earlier ones (same key, same body), shuffled."""
    unique = [{"record": {"Last_Name": f"לקוח {i}", "Email": f"lead{i}@scale.example"},
               "idempotency_key": f"scale-{i}"} for i in range(WRITES - REPEATED)]
    rng = random.Random(7)
    bodies = unique + [dict(rng.choice(unique)) for _ in range(REPEATED)]
    rng.shuffle(bodies)
    return bodies


def test_5000_writes_over_three_instances_one_killed_mid_drain_land_exactly_once(tmp_path: Path) -> None:
    db_url = database_url_or_skip()
    emulator = EmulatorServer().start()
    config = tmp_path / "tzomet.json"
    config.write_text(json.dumps({"actions": {"update-zoho": {
        "wait_seconds": 0, "lease_s": 3, "poll_interval_s": 0.5, "backoff_base_s": 0.2, "backoff_max_s": 1,
        "max_attempts": 1000}}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "TZOMET_"))}
    env.update({"TZOMET_DB_URL": db_url, "TZOMET_CONFIG": str(config), "TZOMET_MODELS_DIR": str(MODELS_DIR),
                "TZOMET_DATA_DIR": str(tmp_path / "data"), "ZOHO_CLIENT_ID": "c", "ZOHO_CLIENT_SECRET": "s",
                "ZOHO_REFRESH_TOKEN": "r", "ZOHO_API_URL": emulator.url, "ZOHO_ACCOUNTS_URL": emulator.token_url})
    services = [Service(env, tmp_path / f"serve-{i}.log") for i in range(3)]
    store = Store(db_url)
    statuses: Counter[int] = Counter()
    lock = threading.Lock()
    sent = [0]
    try:
        for service in services:
            service.start()
        bodies = _bodies()

        def send(i: int) -> None:
            # n8n's retry: a connection refused by a dead instance, or an answer cut off as it was killed,
            # is sent again to the next one (the idempotency key makes the resend safe)
            for attempt in range(60):
                target = services[(i + attempt) % 3].url
                try:
                    r = requests.post(f"{target}/v1/update-zoho", json=bodies[i], timeout=30)
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError):
                    time.sleep(0.05)
                    continue
                if r.status_code == 503:  # an instance still starting
                    time.sleep(0.1)
                    continue
                with lock:
                    statuses[r.status_code] += 1
                    sent[0] += 1
                return
            raise AssertionError(f"write {i} was never accepted")

        killed = threading.Event()

        def kill_mid_drain() -> None:
            while sent[0] < WRITES * 0.4:
                time.sleep(0.05)
            assert store.depth("update-zoho") > 0  # the outbox is draining, not empty
            services[0].kill()
            killed.set()
            services[0].start()

        killer = threading.Thread(target=kill_mid_drain)
        killer.start()
        with cf.ThreadPoolExecutor(12) as pool:
            list(pool.map(send, range(WRITES)))
        killer.join()
        assert killed.is_set()

        deadline = time.monotonic() + 240
        while store.depth("update-zoho") and time.monotonic() < deadline:
            time.sleep(0.5)
        assert store.depth("update-zoho") == 0, "the outbox did not drain"
    finally:
        for service in services:
            service.stop()
        emulator.stop()

    assert set(statuses) <= {200, 202}, statuses
    assert sum(statuses.values()) == WRITES
    emails = Counter(r.get("Email") for r in emulator.records("Leads"))
    assert len(emails) == WRITES - REPEATED
    assert max(emails.values()) == 1, [e for e, n in emails.items() if n > 1][:5]
    jobs = store._run("SELECT status, COUNT(*) FROM tz_jobs WHERE kind = 'update-zoho' GROUP BY status",
                      fetch="all")
    assert dict(jobs) == {"succeeded": WRITES - REPEATED}
    upserts = sum(n for route, n in emulator.state.calls.items() if route.endswith("/upsert"))
    print(f"statuses {dict(statuses)}; {upserts} upserts for {WRITES - REPEATED} records "
          f"(a repeat is a job the killed instance had started)")
