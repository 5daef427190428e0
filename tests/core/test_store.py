"""The durable job store on real SQLite files and a real throwaway PostgreSQL."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from nodes.core.store import Store, StoreError, open_store
from tests.zoho_emulator.pgtemp import database_url_or_skip


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Store:
    url = f"sqlite:///{tmp_path / 'store.db'}" if request.param == "sqlite" else database_url_or_skip()
    return Store(url)


def test_enqueue_commits_and_reads_back(store: Store) -> None:
    job, created = store.enqueue("k", {"a": "שלום"}, idempotency_key="key-1", request_hash="h", tenant="t1")
    assert created and job.status == "queued" and job.attempts == 0
    again = Store(store.url).get(job.id)  # a second connection sees the commit
    assert again is not None and again.payload == {"a": "שלום"} and again.tenant == "t1"


def test_same_key_never_creates_twice_even_concurrently(store: Store) -> None:
    results: list[tuple[str, bool]] = []
    lock = threading.Lock()

    def enqueue() -> None:
        job, created = Store(store.url).enqueue("k", {"n": 1}, idempotency_key="same")
        with lock:
            results.append((job.id, created))

    threads = [threading.Thread(target=enqueue) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({job_id for job_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert store.depth("k") == 1


def test_claim_is_exclusive_and_lease_protects_the_outcome(store: Store) -> None:
    job, _ = store.enqueue("k", {})
    first = store.claim("k", "w1", lease_s=30)
    assert first is not None and first.id == job.id and first.attempts == 1 and first.status == "running"
    assert store.claim("k", "w2", lease_s=30) is None  # leased
    assert not store.finish(job.id, "w2", "succeeded", result={})  # not w2's job
    assert store.finish(job.id, "w1", "succeeded", result={"ok": True}, http_status=200)
    done = store.get(job.id)
    assert done is not None and done.status == "succeeded" and done.result == {"ok": True} and done.payload == {}
    assert store.depth("k") == 0


@pytest.mark.parametrize("status", ["succeeded", "failed", "dead"])
def test_a_finished_job_keeps_only_what_the_caller_names(store: Store, status: str) -> None:
    job, _ = store.enqueue("k", {"module": "Leads", "note": "סוד"})
    assert store.claim("k", "w1", lease_s=30) is not None
    assert store.save_progress(job.id, "w1", {"record": {"Email": "secret@example.com"}})
    assert store.finish(job.id, "w1", status, result={"detail": "x"}, keep={"module": "Leads"})
    done = store.get(job.id)
    assert done is not None and done.payload == {"module": "Leads"} and done.progress == {}
    assert done.result == {"detail": "x"} and store.checkpoint()


def test_expired_lease_is_claimed_again(store: Store) -> None:
    job, _ = store.enqueue("k", {})
    assert store.claim("k", "dead-worker", lease_s=0.05) is not None
    time.sleep(0.1)
    again = store.claim("k", "w2", lease_s=30)
    assert again is not None and again.id == job.id and again.attempts == 2
    assert not store.save_progress(job.id, "dead-worker", {"x": 1})
    assert store.save_progress(job.id, "w2", {"x": 1})
    assert store.get(job.id).progress == {"x": 1}  # type: ignore[union-attr]


def test_retry_later_waits_until_due(store: Store) -> None:
    job, _ = store.enqueue("k", {})
    store.claim("k", "w", lease_s=30)
    assert store.retry_later(job.id, "w", at=time.time() + 0.2, error="Zoho answered 503")
    assert store.claim("k", "w", lease_s=30) is None
    queued = store.get(job.id)
    assert queued is not None and queued.status == "queued" and queued.last_error == "Zoho answered 503"
    time.sleep(0.25)
    assert store.claim("k", "w", lease_s=30) is not None


def test_claims_oldest_due_first_and_purges_finished(store: Store) -> None:
    a, _ = store.enqueue("k", {"n": "a"}, now=time.time() - 10)
    b, _ = store.enqueue("k", {"n": "b"})
    first = store.claim("k", "w", lease_s=30)
    assert first is not None and first.id == a.id
    store.finish(a.id, "w", "dead", error="gave up")
    assert store.purge(time.time() + 1) == 1
    assert store.get(a.id) is None and store.get(b.id) is not None


def test_kv_roundtrip_and_conditional_delete(store: Store) -> None:
    store.kv_set("t", {"access_token": "a"})
    store.kv_set("t", {"access_token": "b"})
    assert store.kv_get("t") == {"access_token": "b"}
    store.kv_delete("t", only_if={"access_token": "a"})
    assert store.kv_get("t") == {"access_token": "b"}
    store.kv_delete("t", only_if={"access_token": "b"})
    assert store.kv_get("t") is None


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'wal.db'}")
    assert store.ping() == (True, "")
    import sqlite3

    with sqlite3.connect(tmp_path / "wal.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_unreachable_store_says_so() -> None:
    with pytest.raises(StoreError):
        Store("mysql://nope")
    ok, reason = Store("postgresql://nobody@127.0.0.1:1/none").ping()
    assert not ok and "PostgreSQL" in reason


def test_open_store_is_shared_per_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert open_store(url) is open_store(url)


# --- model versions and recorded answers (the same SQL on both backends) ------------------

def test_model_versions_promote_and_roll_back(store: Store, tmp_path: Path) -> None:
    from nodes.core import versions

    artefact = tmp_path / "m.joblib"
    for n in (1, 2):
        artefact.write_bytes(f"model {n}".encode())
        versions.record(store, "acme", "classify-lead", f"v{n}", artefact, {"rows": n, "labels": {"a": n}})
        versions.promote(store, "acme", "classify-lead", f"v{n}")
        time.sleep(0.01)
    assert [(v.version, v.status) for v in versions.versions(store, "acme", "classify-lead")] == [
        ("v2", "active"), ("v1", "retired")]
    assert versions.rollback(store, "acme", "classify-lead").version == "v1"
    assert versions.active(store, "acme", "classify-lead").version == "v1"  # type: ignore[union-attr]
    assert versions.versions(store, "other", "classify-lead") == []
    with pytest.raises(versions.VersionError):
        versions.promote(store, "other", "classify-lead", "v1")


def test_recorded_answers_and_their_corrections(store: Store) -> None:
    now = time.time()
    store.decisions_add([(f"r{i}", "acme", "classify-lead", now - i, 1.5, "v1", {"category": "billing"})
                         for i in range(3)] + [("r9", "other", "classify-lead", now, 2.0, "v1", {"category": "spam"})])
    store.decisions_add([("r0", "acme", "classify-lead", now, 9.9, "v9", {"category": "changed"})])  # first one kept
    store.feedback_set("r1", "acme", {"category": "support"}, now)
    store.feedback_set("r1", "acme", {"category": "cancellation"}, now)  # the latest wins
    rows = store.decisions("acme", now - 60)
    assert [r[0] for r in rows] == ["r2", "r1", "r0"] and rows[2][5] == {"category": "billing"}
    assert rows[1][6] == {"category": "cancellation"} and rows[0][6] is None
    assert store.decisions("other", 0.0, "r1") == [] and len(store.decisions("acme", 0.0, "r1")) == 1
    assert store.decisions_purge(now - 0.5) == 2 and [r[0] for r in store.decisions("acme", 0.0)] == ["r0"]


def test_a_shared_rate_limit_admits_its_burst_then_one_per_interval(store: Store) -> None:
    now = 1_000_000.0
    admitted = [store.rate_take("key:a", now, 1.0, 60.0) is None for _ in range(65)]
    assert admitted.count(True) == 60 and admitted[:60] == [True] * 60
    assert store.rate_take("key:a", now, 1.0, 60.0) == 1.0  # one interval to wait
    assert store.rate_take("key:a", now + 1.0, 1.0, 60.0) is None  # and then one more
    assert store.rate_take("key:b", now, 1.0, 60.0) is None  # another key has its own
    assert store.rate_take("key:c", now, 61.0, 60.0) == 1.0  # more than the burst: never all at once


def test_the_schema_is_versioned_and_upgraded_by_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from nodes.cli import main as cli
    from nodes.core.store import LATEST

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("TZOMET_DB_URL", url)
    monkeypatch.setenv("TZOMET_DB_AUTO_UPGRADE", "0")
    with pytest.raises(StoreError, match="run `tzomet db upgrade`"):
        Store(url).kv_get("x")  # an empty database is not upgraded behind the operator's back
    status = CliRunner().invoke(cli, ["db", "status"])
    assert status.exit_code == 0 and '"schema_version": 0' in status.output
    done = CliRunner().invoke(cli, ["db", "upgrade"])
    assert done.exit_code == 0 and f'"to": {LATEST}' in done.output and "shared rate limits" in done.output
    assert Store(url).kv_get("x") is None  # now it serves
    again = CliRunner().invoke(cli, ["db", "upgrade"])
    assert '"applied": []' in again.output


def test_a_stopping_worker_gives_its_jobs_back_uncounted(store: Store) -> None:
    job, _ = store.enqueue("k", {})
    assert store.claim("k", "w1", lease_s=300) is not None
    assert store.claim("k", "w2", lease_s=300) is None  # leased for five minutes
    assert store.release("w2") == 0  # nothing of w2's
    assert store.release("w1") == 1
    again = store.claim("k", "w2", lease_s=300)  # at once, not after the lease
    assert again is not None and again.id == job.id and again.attempts == 1


def test_a_claim_leaves_busy_accounts_aside_and_one_job_is_given_back(store: Store) -> None:
    clinic, _ = store.enqueue("crm", {"account": "env:clinic"}, now=1.0)
    agency, _ = store.enqueue("crm", {}, now=2.0)
    assert clinic.account == "env:clinic" and agency.account == "default"
    first = store.claim("crm", "w1", 60, now=3.0, skip_accounts={"env:clinic"})
    assert first is not None and first.id == agency.id  # the older job waits: its account is busy
    assert store.claim("crm", "w1", 60, now=3.0, skip_accounts={"env:clinic", "default"}) is None
    second = store.claim("crm", "w1", 60, now=3.0)
    assert second is not None and second.id == clinic.id
    assert store.release("w1", clinic.id) == 1  # only that one
    back, held = store.get(clinic.id), store.get(agency.id)
    assert back is not None and back.status == "queued" and back.attempts == 0
    assert held is not None and held.status == "running"


def test_instances_wake_each_other_through_postgresql(tmp_path: Path) -> None:
    url = database_url_or_skip()
    listener, other = Store(url), Store(url)  # two instances' stores
    heard: list[str] = []
    stop = threading.Event()
    listening = threading.Event()

    def listen() -> None:
        listening.set()
        for payload in listener.notifications(stop, timeout=0.1):
            heard.append(payload)

    thread = threading.Thread(target=listen)
    thread.start()
    listening.wait()
    deadline = time.monotonic() + 10
    while not heard and time.monotonic() < deadline:  # LISTEN is issued once the thread runs
        other.notify("probe:queued")
        time.sleep(0.1)
    job, _ = other.enqueue("k", {})
    assert other.claim("k", "w1", lease_s=30) is not None
    assert other.finish(job.id, "w1", "succeeded", result={})
    deadline = time.monotonic() + 10
    while "k:done" not in heard and time.monotonic() < deadline:
        time.sleep(0.05)
    stop.set()
    thread.join(5)
    assert "k:queued" in heard and "k:done" in heard
    assert heard.index("k:queued") < heard.index("k:done")


def test_sqlite_has_no_listener_and_needs_none(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    assert list(store.notifications(threading.Event())) == []
    store.notify("k:queued")  # a no-op, not an error


def test_instances_starting_at_once_migrate_once() -> None:
    from nodes.core.store import LATEST, MIGRATIONS

    url = database_url_or_skip()
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def boot() -> None:
        try:
            start.wait()
            Store(url).kv_get("x")  # the first operation upgrades the schema
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=boot) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = Store(url)
    assert store.schema_version() == LATEST
    rows = store._run("SELECT version FROM tz_schema ORDER BY version", fetch="all")
    assert [r[0] for r in rows] == [m[0] for m in MIGRATIONS]
    assert store.upgrade() == (LATEST, LATEST)  # run again: nothing to do


def test_knowledge_base_documents_per_tenant(store: Store) -> None:
    assert store.kb_revision("acme") is None and store.kb_docs("acme") == []
    chunks = [{"text": "ניקוי אבנית: 290 ₪", "heading": "מחירון", "start": 0, "end": 18, "kind": "row"}]
    store.kb_put("acme", "d1", "מחירון.md", "h1", {"chunks": 1}, chunks, 1.0)
    first = store.kb_revision("acme")
    store.kb_put("acme", "d1", "מחירון.md", "h2", {"chunks": 1}, chunks, 2.0)  # replaced, not added
    assert store.kb_revision("acme") != first
    (row,) = store.kb_docs("acme", with_chunks=True)
    assert row[:5] == ("d1", "מחירון.md", "h2", 2.0, {"chunks": 1}) and row[5] == chunks
    assert store.kb_docs("other") == [] and not store.kb_delete("other", "d1")  # tenants apart
    assert store.kb_delete("acme", "d1") and store.kb_docs("acme") == []
