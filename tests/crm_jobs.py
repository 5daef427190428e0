"""What every CRM action's tests share: fast outbox options and waiting for a queued write over HTTP
(``GET /v1/jobs/<id>``)."""

from __future__ import annotations

import time
from typing import Any

import requests

#: outbox options that let a test see retries in a second: short backoff, polling and client timeouts
FAST = {"backoff_base_s": 0.2, "backoff_max_s": 0.6, "poll_interval_s": 0.1, "wait_seconds": 5,
        "connect_timeout_s": 1, "read_timeout_s": 2}


def wait_job(url: str, job_id: str, timeout: float = 20) -> dict[str, Any]:
    """The job once it is finished (succeeded, failed or dead), or as it stands after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        job = requests.get(f"{url}/v1/jobs/{job_id}", timeout=10).json()
        if job["status"] in {"succeeded", "failed", "dead"} or time.monotonic() > deadline:
            return dict(job)
        time.sleep(0.1)
