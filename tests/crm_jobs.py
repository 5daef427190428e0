"""Waiting for a queued CRM write over HTTP (``GET /v1/jobs/<id>``), for every CRM action's tests."""

from __future__ import annotations

import time
from typing import Any

import requests


def wait_job(url: str, job_id: str, timeout: float = 20) -> dict[str, Any]:
    """The job once it is finished (succeeded, failed or dead), or as it stands after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        job = requests.get(f"{url}/v1/jobs/{job_id}", timeout=10).json()
        if job["status"] in {"succeeded", "failed", "dead"} or time.monotonic() > deadline:
            return dict(job)
        time.sleep(0.1)
