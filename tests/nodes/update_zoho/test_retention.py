"""What a finished update-zoho job keeps: its outcome, never the note's text or the request as sent.

Real service, real SDK, the Zoho emulator over HTTP; the store's rows are read directly (sqlite3,
psycopg) and, on SQLite, the database file and its ``-wal`` file are read as bytes. Every store
test runs on SQLite and on a real throwaway PostgreSQL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.crm_jobs import FAST as CRM_FAST
from tests.zoho_emulator import EmulatorServer

FAST = {**CRM_FAST, "read_timeout_s": 3}
NOTE = "פגישה סודית ביותר NOTE-7f3a9c"
TASK = "להתקשר TASK-51be2d"
NAME = "Zxqvbnm-כהןלוי"
#: the answer a replay gives varies in these keys only (the request's own id and latency)
PER_REQUEST = {"meta", "request_id", "instance"}


@pytest.fixture
def zoho(serve: Callable[..., str], emulator: EmulatorServer, db_url: str | None) -> Callable[[], str]:
    """Start the service wired to the emulator on the test's store."""
    def start() -> str:
        return serve(db_url=db_url, zoho_client_id="client", zoho_client_secret="secret",
                     zoho_refresh_token="refresh", zoho_api_url=emulator.url, zoho_accounts_url=emulator.token_url,
                     options={"update-zoho": FAST})

    return start


def _post(url: str, body: dict[str, Any], key: str) -> requests.Response:
    return requests.post(f"{url}/v1/update-zoho", json=body, headers={"Idempotency-Key": key}, timeout=30)


def _answer(response: requests.Response) -> tuple[int, dict[str, Any]]:
    """Status and body without what differs per request."""
    return response.status_code, {k: v for k, v in response.json().items() if k not in PER_REQUEST}


def _rows(db_url: str | None, data_dir: Path) -> list[dict[str, Any]]:
    """Every job row as the database holds it, read without Tzomet's code."""
    sql = "SELECT id, status, payload, progress, result, last_error FROM tz_jobs"
    names = ("id", "status", "payload", "progress", "result", "last_error")
    if db_url is None:
        import sqlite3

        conn = sqlite3.connect(data_dir / "tzomet.db")
        try:
            return [dict(zip(names, row, strict=True)) for row in conn.execute(sql)]
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(db_url) as pg:
        return [dict(zip(names, row, strict=True)) for row in pg.execute(sql)]


def _sqlite_bytes(db_url: str | None, data_dir: Path) -> bytes:
    """The SQLite database file and its ``-wal`` file as bytes (empty on PostgreSQL)."""
    if db_url is not None:
        return b""
    files = [data_dir / "tzomet.db", data_dir / "tzomet.db-wal"]
    return b"".join(f.read_bytes() for f in files if f.exists())


def _job(url: str, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        job: dict[str, Any] = requests.get(f"{url}/v1/jobs/{job_id}", timeout=10).json()
        if job["status"] in {"succeeded", "failed", "dead"} or time.monotonic() > deadline:
            return job
        time.sleep(0.1)


def test_a_succeeded_job_keeps_its_outcome_once_and_no_note(zoho: Callable[[], str], db_url: str | None,
                                                             tmp_path: Path) -> None:
    url = zoho()
    body = {"record": {"Last_Name": NAME, "Email": "zxqvbnm@example.com"}, "note": {"content": NOTE},
            "task": {"subject": TASK}}
    first = _post(url, body, "retain-ok")
    assert first.status_code == 200, first.text
    job_id = first.json()["job_id"]
    assert _job(url, job_id)["status"] == "succeeded"

    raw = _sqlite_bytes(db_url, tmp_path / "data")
    for secret in (NOTE, TASK):
        assert secret.encode() not in raw
    # the replay's 200 returns the record as written, so the result holds it: once, and nowhere else
    assert raw.count(NAME.encode()) <= 1
    (row,) = _rows(db_url, tmp_path / "data")
    assert json.loads(row["payload"]) == {"module": "Leads"} and json.loads(row["progress"]) == {}
    text = json.dumps(row, ensure_ascii=False)
    assert NOTE not in text and TASK not in text and text.count(NAME) == 1
    assert json.loads(row["result"])["record"]["Last_Name"] == NAME

    replay = _post(url, body, "retain-ok")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert _answer(replay) == _answer(first)
    job = _job(url, job_id)
    assert job["module"] == "Leads" and job["result"]["note_id"] == first.json()["note_id"]


def test_a_failed_job_keeps_no_note_and_no_record_value(zoho: Callable[[], str], db_url: str | None,
                                                        tmp_path: Path) -> None:
    url = zoho()
    body = {"record": {"Last_Name": NAME, "Email": "not-an-email"}, "note": {"content": NOTE},
            "task": {"subject": TASK}}
    first = _post(url, body, "retain-bad")
    assert first.status_code == 422, first.text
    (row,) = _rows(db_url, tmp_path / "data")
    assert _job(url, row["id"])["status"] == "failed"

    raw = _sqlite_bytes(db_url, tmp_path / "data")
    for secret in (NOTE, TASK, NAME):
        assert secret.encode() not in raw
    (row,) = _rows(db_url, tmp_path / "data")
    assert json.loads(row["payload"]) == {"module": "Leads"} and json.loads(row["progress"]) == {}
    text = json.dumps(row, ensure_ascii=False)
    for secret in (NOTE, TASK, NAME, "not-an-email"):
        assert secret not in text

    replay = _post(url, body, "retain-bad")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert _answer(replay) == _answer(first)
    job = _job(url, row["id"])
    assert job["module"] == "Leads" and job["result"]["errors"][0]["loc"] == "record.Email"


def test_stale_sdk_dirs_of_gone_processes_are_removed_at_start(serve: Callable[..., str], emulator: EmulatorServer,
                                                               tmp_path: Path) -> None:
    sdk_root = tmp_path / "data" / "zoho-sdk"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        for pid in (gone.pid, alive.pid):
            (sdk_root / f"pid-{pid}").mkdir(parents=True)
            (sdk_root / f"pid-{pid}" / "Leads.json").write_text("{}")
        (sdk_root / "not-a-pid-dir").mkdir()

        url = serve(zoho_client_id="client", zoho_client_secret="secret", zoho_refresh_token="refresh",
                    zoho_api_url=emulator.url, zoho_accounts_url=emulator.token_url,
                    options={"update-zoho": FAST})
        answer = _post(url, {"record": {"Last_Name": "x", "Email": "x@example.com"}}, "retain-pid")
        assert answer.status_code == 200, answer.text

        assert not (sdk_root / f"pid-{gone.pid}").exists()
        assert (sdk_root / f"pid-{alive.pid}" / "Leads.json").exists()
        assert (sdk_root / f"pid-{os.getpid()}").is_dir() and (sdk_root / "not-a-pid-dir").is_dir()
    finally:
        alive.kill()
        alive.wait()
