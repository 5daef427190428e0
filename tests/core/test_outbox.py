"""The outbox every CRM action shares, on a real SQLite store: one account's outage does not hold up
another's jobs, a 429 holds its account for its Retry-After, and the operator's commands."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nodes.cli import main as cli
from nodes.core.outbox import OutboxOptions, Rejected, Save, Transient, Writer
from nodes.core.store import Job, Store


class Accounts:
    """A handler writing to two CRM accounts: ``down`` ones fail (an outage, or a 429 with Retry-After)."""

    def __init__(self) -> None:
        self.down: dict[str, float | None] = {}
        self.calls: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    def __call__(self, job: Job, save: Save) -> dict[str, Any]:
        account = job.payload["account"]
        with self.lock:
            self.calls.append((account, time.monotonic()))
        if job.payload.get("bad"):
            raise Rejected(422, "bad record", {"detail": "bad record"})
        if account in self.down:
            raise Transient(f"{account} is down", self.down[account], 503)
        return {"status": "inserted", "record_id": job.id}


def _writer(tmp_path: Path, handler: Accounts, **options: Any) -> tuple[Store, Writer]:
    store = Store(f"sqlite:///{tmp_path / 'store.db'}")
    opts = OutboxOptions(**{"poll_interval_s": 0.05, "backoff_base_s": 0.05, "backoff_max_s": 0.1,
                            "max_attempts": 1000, **options})
    return store, Writer(store, "crm", handler, opts)


def _wait(store: Store, job_ids: list[str], seconds: float = 10) -> list[Job]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        jobs = [store.get(j) for j in job_ids]
        if all(j is not None and j.terminal for j in jobs):
            break
        time.sleep(0.02)
    return [j for j in (store.get(i) for i in job_ids) if j is not None]


def test_an_account_that_keeps_failing_does_not_hold_up_the_others(tmp_path: Path) -> None:
    handler = Accounts()
    handler.down["clinic"] = None
    store, writer = _writer(tmp_path, handler, breaker_failures=3, breaker_cooldown_s=60, backoff_max_s=5)
    failing = [store.enqueue("crm", {"account": "clinic"})[0].id for _ in range(5)]
    healthy = [store.enqueue("crm", {"account": "agency"})[0].id for _ in range(5)]
    writer.start()
    try:
        done = _wait(store, healthy, seconds=5)
        assert [j.status for j in done] == ["succeeded"] * 5
    finally:
        writer.stop()  # the clinic's lane may be between a claim and its call: count once it has stopped
    clinic_calls = [c for c in handler.calls if c[0] == "clinic"]
    assert len(clinic_calls) <= 4  # three failures open its breaker; its jobs wait, spending nothing
    attempts = sum(j.attempts for j in (store.get(i) for i in failing) if j)
    assert attempts == len(clinic_calls)


def test_an_account_that_hangs_holds_only_its_own_lane(tmp_path: Path) -> None:
    """A slow account's call (an org hanging until the client's timeout) runs on its own lane: the
    other accounts' jobs are written meanwhile, and the slow account's jobs stay one at a time, in order."""
    release = threading.Event()
    running: list[str] = []

    class Hanging(Accounts):
        def __call__(self, job: Job, save: Save) -> dict[str, Any]:
            if job.payload["account"] == "clinic":
                running.append(job.id)
                release.wait(10)
            return super().__call__(job, save)

    handler = Hanging()
    store, writer = _writer(tmp_path, handler)
    clinic = [store.enqueue("crm", {"account": "clinic"})[0].id for _ in range(3)]
    writer.start()
    try:
        deadline = time.monotonic() + 5
        while not running and time.monotonic() < deadline:
            time.sleep(0.01)
        others = [store.enqueue("crm", {"account": a})[0].id for a in ("agency", "shop") * 5]
        writer.wake()
        done = _wait(store, others, seconds=5)
        assert [j.status for j in done] == ["succeeded"] * 10  # while the clinic's first call still hangs
        assert running == clinic[:1] and store.get(clinic[1]).status == "queued"  # type: ignore[union-attr]
        release.set()
        assert [j.status for j in _wait(store, clinic)] == ["succeeded"] * 3
        assert running == clinic  # one at a time, in the order queued
    finally:
        release.set()
        writer.stop()


def test_lanes_bound_how_many_accounts_are_written_at_once(tmp_path: Path) -> None:
    release = threading.Event()
    started: list[str] = []

    class Slow(Accounts):
        def __call__(self, job: Job, save: Save) -> dict[str, Any]:
            started.append(job.payload["account"])
            release.wait(10)
            return super().__call__(job, save)

    store, writer = _writer(tmp_path, Slow(), lanes=2)
    ids = [store.enqueue("crm", {"account": f"a{i}"})[0].id for i in range(4)]
    writer.start()
    try:
        time.sleep(0.5)
        assert len(started) == 2
        release.set()
        assert [j.status for j in _wait(store, ids)] == ["succeeded"] * 4
    finally:
        release.set()
        writer.stop()


def test_a_429_holds_its_account_for_its_retry_after(tmp_path: Path) -> None:
    handler = Accounts()
    handler.down["clinic"] = 0.6
    store, writer = _writer(tmp_path, handler, backoff_max_s=5)
    jobs = [store.enqueue("crm", {"account": "clinic"})[0].id for _ in range(3)]
    writer.start()
    try:
        time.sleep(0.3)
        assert len(handler.calls) == 1  # the first was throttled; the others wait with it
        handler.down.clear()
        assert [j.status for j in _wait(store, jobs)] == ["succeeded"] * 3
        assert handler.calls[1][1] - handler.calls[0][1] >= 0.55
    finally:
        writer.stop()


def test_a_dead_job_is_retried_and_a_discarded_one_is_not(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handler = Accounts()
    handler.down["clinic"] = None
    store = Store(f"sqlite:///{tmp_path / 'data' / 'tzomet.db'}")
    writer = Writer(store, "crm", handler, OutboxOptions(poll_interval_s=0.05, backoff_base_s=0.01,
                                                         backoff_max_s=0.02, breaker_failures=100))
    dead_id = store.enqueue("crm", {"account": "clinic", "record": {"Last_Name": "כהן"}}, tenant="acme",
                            max_attempts=2)[0].id
    writer.start()
    try:
        (dead,) = _wait(store, [dead_id])
        assert dead.status == "dead" and dead.payload["record"] == {"Last_Name": "כהן"}
        monkeypatch.setenv("TZOMET_DATA_DIR", str(tmp_path / "data"))
        listed = CliRunner().invoke(cli, ["jobs", "list", "--status", "dead"])
        assert listed.exit_code == 0 and json.loads(listed.output)["job_id"] == dead_id
        assert "כהן" not in listed.output  # the view never shows the payload
        handler.down.clear()
        assert CliRunner().invoke(cli, ["jobs", "retry", dead_id]).exit_code == 0
        writer.wake()
        (done,) = _wait(store, [dead_id])
        assert done.status == "succeeded" and done.attempts == 1 and "record" not in done.payload
        assert CliRunner().invoke(cli, ["jobs", "retry", dead_id]).exit_code != 0  # only dead jobs

        handler.down["clinic"] = None
        gone_id = store.enqueue("crm", {"account": "clinic", "record": {"Last_Name": "לוי"}}, max_attempts=1)[0].id
        _wait(store, [gone_id])
        assert CliRunner().invoke(cli, ["jobs", "discard", gone_id]).exit_code == 0
        gone = store.get(gone_id)
        assert gone is not None and gone.status == "dead" and gone.payload == {"account": "clinic"}
        assert not store.requeue(gone_id)  # nothing left to write
        shown = CliRunner().invoke(cli, ["jobs", "show", gone_id])
        assert "discarded by an operator" in shown.output
    finally:
        writer.stop()


def test_a_rejected_write_fails_at_once_and_keeps_nothing(tmp_path: Path) -> None:
    handler = Accounts()
    store, writer = _writer(tmp_path, handler)
    job_id = store.enqueue("crm", {"account": "agency", "bad": True, "record": {"Email": "x"}})[0].id
    writer.start()
    try:
        (job,) = _wait(store, [job_id])
        assert job.status == "failed" and job.http_status == 422 and job.payload == {"account": "agency"}
    finally:
        writer.stop()
