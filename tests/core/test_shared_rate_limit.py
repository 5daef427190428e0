"""One tenant limit across instances: three `tzomet serve --workers 2` on one PostgreSQL admit the
limit, not each worker's share of it times six."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

import requests

from nodes.core.config import hash_key
from tests.service import Service
from tests.zoho_emulator.pgtemp import database_url_or_skip

LIMIT = 120  # a minute: one every half second after the burst


def test_a_tenant_limit_holds_across_three_instances_of_two_workers(tmp_path: Path) -> None:
    url = database_url_or_skip()
    config = tmp_path / "tenants.toml"
    config.write_text(f'[[tenants]]\nname = "acme"\nkeys = ["{hash_key("k-acme")}"]\n'
                      f'rate_limit_per_minute = {LIMIT}\n', encoding="utf-8")
    env = {**os.environ, "TZOMET_DB_URL": url, "TZOMET_CONFIG": str(config), "TZOMET_ENABLE_ECHO": "1",
           "TZOMET_DATA_DIR": str(tmp_path / "data")}
    services = [Service(env, tmp_path / f"serve-{i}.log") for i in range(3)]
    try:
        for service in services:
            service.start()
        statuses: Counter[int] = Counter()
        lock = threading.Lock()

        def send(i: int) -> None:
            target = services[i % 3].url
            r = requests.post(f"{target}/v1/echo", json={"text": "x"}, headers={"X-API-Key": "k-acme"}, timeout=30)
            with lock:
                statuses[r.status_code] += 1

        started = time.monotonic()
        threads = [threading.Thread(target=send, args=(i,)) for i in range(2 * LIMIT)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.monotonic() - started
    finally:
        for service in services:
            service.stop()
    expected = LIMIT + elapsed * LIMIT / 60  # the burst, and what refilled while it ran
    assert set(statuses) <= {200, 429}, statuses
    print(f"admitted {statuses[200]} of {2 * LIMIT} in {elapsed:.2f} s; expected {expected:.1f}")
    assert abs(statuses[200] - expected) <= 0.02 * LIMIT + 1, (statuses, elapsed)
