"""The durable store: a job outbox with idempotency keys, and a small key-value table.

One small layer over SQLite (the default, a file in the data dir, WAL mode) and PostgreSQL
(``TZOMET_DB_URL=postgresql://...``, through psycopg 3). It is generic: a *job* is a JSON
payload of some ``kind`` that a writer claims, runs and finishes; the store knows nothing
about Zoho.

Guarantees the callers rely on:

- :meth:`Store.enqueue` commits the job before it returns, so nothing accepted is lost.
- An idempotency key is unique per ``(kind, key)``: of several concurrent enqueues with the
  same key exactly one creates the job, across threads and processes (a unique index).
- :meth:`Store.claim` hands a due job to one writer only (a lease: ``locked_by`` and
  ``locked_until``). A job whose writer died is claimable again once its lease runs out,
  so queued and interrupted jobs resume after a restart.
- Every finishing call checks the lease owner, so a writer that lost its lease cannot
  overwrite the outcome recorded by the one that took over.

Job states: ``queued`` (waiting, maybe for a retry time), ``running`` (leased),
``succeeded``, ``failed`` (rejected; retrying cannot help) and ``dead`` (gave up after the
last attempt). A finished job keeps its outcome, not its payload (see :meth:`Store.finish`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TERMINAL = frozenset({"succeeded", "failed", "dead"})
STATUSES = frozenset({"queued", "running"}) | TERMINAL

#: the schema, as numbered migrations: each one's statements run once, in order, in one transaction
#: (``tz_schema`` records the versions applied; every statement is idempotent, so a database made
#: before the numbering upgrades cleanly). Append, never edit: a deployed database has the old ones.
MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "the job outbox and the key-value table", [
        """CREATE TABLE IF NOT EXISTS tz_jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        tenant TEXT,
        idempotency_key TEXT,
        request_hash TEXT,
        status TEXT NOT NULL,
        payload TEXT NOT NULL,
        progress TEXT NOT NULL DEFAULT '{}',
        result TEXT,
        http_status INTEGER,
        last_error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        next_attempt_at DOUBLE PRECISION NOT NULL,
        locked_by TEXT,
        locked_until DOUBLE PRECISION,
        created_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )""",
        "CREATE UNIQUE INDEX IF NOT EXISTS tz_jobs_key ON tz_jobs (kind, idempotency_key)",
        "CREATE INDEX IF NOT EXISTS tz_jobs_due ON tz_jobs (kind, status, next_attempt_at)",
        """CREATE TABLE IF NOT EXISTS tz_kv (
        k TEXT PRIMARY KEY,
        v TEXT NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL
    )""",
    ]),
    (2, "model versions", [
        """CREATE TABLE IF NOT EXISTS tz_models (
        tenant TEXT NOT NULL,
        action TEXT NOT NULL,
        version TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at DOUBLE PRECISION NOT NULL,
        promoted_at DOUBLE PRECISION,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        info TEXT NOT NULL,
        PRIMARY KEY (tenant, action, version)
    )""",
    ]),
    (3, "recorded decisions and their corrections", [
        """CREATE TABLE IF NOT EXISTS tz_decisions (
        request_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        action TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL,
        model_version TEXT NOT NULL,
        fields TEXT NOT NULL
    )""",
        "CREATE INDEX IF NOT EXISTS tz_decisions_tenant ON tz_decisions (tenant, at)",
        """CREATE TABLE IF NOT EXISTS tz_feedback (
        request_id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL,
        at DOUBLE PRECISION NOT NULL,
        correct TEXT NOT NULL
    )""",
    ]),
    (4, "shared rate limits", [
        """CREATE TABLE IF NOT EXISTS tz_rate (
        k TEXT PRIMARY KEY,
        tat DOUBLE PRECISION NOT NULL
    )""",
    ]),
    (5, "knowledge bases", [
        """CREATE TABLE IF NOT EXISTS tz_kb_docs (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        added_at DOUBLE PRECISION NOT NULL,
        info TEXT NOT NULL,
        chunks TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
    )""",
    ]),
    # the CRM account a job writes to, so a writer can leave an account that is busy (a slow org) aside
    (6, "job accounts", [
        "ALTER TABLE tz_jobs ADD COLUMN account TEXT NOT NULL DEFAULT 'default'",
    ]),
]
LATEST = MIGRATIONS[-1][0]

_COLUMNS = ("id, kind, tenant, idempotency_key, request_hash, status, payload, progress, result, http_status, "
            "last_error, attempts, max_attempts, next_attempt_at, locked_by, locked_until, created_at, updated_at, "
            "account")



def _switch_to_wal(conn: sqlite3.Connection, tries: int = 100) -> None:
    """``PRAGMA journal_mode=WAL``, retried: on a new file several connections opening at once may find
    it locked (SQLite answers that at once, without its busy timeout), which is no reason to fail."""
    for attempt in range(tries):
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == tries - 1:
                raise
            time.sleep(0.05)

class StoreError(RuntimeError):
    """The store cannot be reached or used; the message says why (never with data)."""


@dataclass
class Job:
    """One unit of work and what happened to it."""

    id: str
    kind: str
    tenant: str | None
    idempotency_key: str | None
    request_hash: str | None
    status: str
    payload: dict[str, Any]
    progress: dict[str, Any]
    result: dict[str, Any] | None
    http_status: int | None
    last_error: str | None
    attempts: int
    max_attempts: int
    next_attempt_at: float
    locked_by: str | None
    locked_until: float | None
    created_at: float
    updated_at: float
    #: the CRM account it writes to (``default``: the service-wide credentials)
    account: str = "default"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def terminal(self) -> bool:
        """Whether the job is finished for good (succeeded, failed or dead)."""
        return self.status in TERMINAL

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Job:
        (id_, kind, tenant, key, rhash, status, payload, progress, result, http_status, last_error, attempts,
         max_attempts, next_at, locked_by, locked_until, created, updated, account) = row
        return cls(
            id=id_, kind=kind, tenant=tenant, idempotency_key=key, request_hash=rhash, status=status,
            payload=json.loads(payload), progress=json.loads(progress or "{}"),
            result=json.loads(result) if result else None, http_status=http_status, last_error=last_error,
            attempts=int(attempts), max_attempts=int(max_attempts), next_attempt_at=float(next_at),
            locked_by=locked_by, locked_until=float(locked_until) if locked_until is not None else None,
            created_at=float(created), updated_at=float(updated), account=account or "default",
        )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class Store:
    """A job outbox and key-value table over SQLite or PostgreSQL; safe across threads and processes.

    Use :func:`open_store` to get the shared instance for a URL.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.backend = "postgresql" if url.startswith(("postgresql://", "postgres://")) else "sqlite"
        if self.backend == "sqlite" and not url.startswith("sqlite:///"):
            raise StoreError("TZOMET_DB_URL must start with sqlite:/// or postgresql://")
        self._local = threading.local()
        self._migrated = False
        self._migrate_lock = threading.Lock()
        self._pool: list[Any] = []
        self._pool_pid = os.getpid()
        self._pool_lock = threading.Lock()

    # --- connections ---------------------------------------------------------------------------
    def _connect(self) -> Any:
        if self.backend == "sqlite":
            path = Path(self.url.removeprefix("sqlite:///"))
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=True)
            _switch_to_wal(conn)
            # FULL: a job acknowledged to the caller survives a power cut, not just a crash.
            conn.execute("PRAGMA synchronous=FULL")
            # Deleted and overwritten content (a scrubbed payload) is zeroed, not left in free space.
            conn.execute("PRAGMA secure_delete=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            return conn
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is a declared dependency
            raise StoreError("PostgreSQL needs the psycopg package (pip install 'psycopg[binary]')") from exc
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {type(exc).__name__}") from None

    def _conn(self) -> Any:
        """This thread's connection (connections are not shared between threads or forks)."""
        pid = os.getpid()
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != pid:
            conn = self._connect()
            self._local.conn = conn
            self._local.pid = pid
        return conn

    def _drop_conn(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            # A broken connection may fail to close; it is dropped either way.
            with contextlib.suppress(Exception):
                conn.close()

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.backend == "postgresql" else sql

    @contextmanager
    def _borrow(self) -> Iterator[Any]:
        """A connection for one operation: SQLite's per thread, PostgreSQL's from a small pool."""
        if self.backend == "sqlite":
            conn = self._conn()
            try:
                yield conn
            except BaseException:
                self._drop_conn()
                raise
            return
        pid = os.getpid()
        with self._pool_lock:
            if self._pool_pid != pid:  # never reuse a connection inherited through fork
                self._pool, self._pool_pid = [], pid
            pooled = self._pool.pop() if self._pool else None
        conn = pooled if pooled is not None and not pooled.closed else self._connect()
        healthy = False
        try:
            yield conn
            healthy = True
        finally:
            keep = False
            if healthy and not conn.closed:
                with self._pool_lock:
                    if self._pool_pid == pid and len(self._pool) < 8:
                        self._pool.append(conn)
                        keep = True
            if not keep:
                with contextlib.suppress(Exception):
                    conn.close()
            if not healthy and (conn.closed or getattr(conn, "broken", False)):
                # The server went away (a restart, a failover): its siblings in the pool were cut too,
                # so the caller's retry connects afresh instead of borrowing another dead connection.
                self._drain_pool(pid)

    def _drain_pool(self, pid: int | None = None) -> None:
        """Close the pooled connections (only if they are process ``pid``'s, when it is given)."""
        with self._pool_lock:
            stale, self._pool = (self._pool, []) if pid is None or self._pool_pid == pid else ([], self._pool)
        for old in stale:
            with contextlib.suppress(Exception):
                old.close()

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        """A write transaction on a borrowed connection."""
        with self._borrow() as conn:
            if self.backend == "sqlite":
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            else:
                with conn.transaction():
                    yield conn

    def _run(self, sql: str, params: Sequence[Any] = (), *, fetch: str | None = None) -> Any:
        """Run one statement in its own transaction; ``fetch`` is ``one``, ``all`` or ``None``."""
        self.migrate()
        for attempt in (1, 2):
            try:
                if sql.startswith("SELECT"):
                    # A read needs no write lock; in autocommit mode it sees the latest commit.
                    with self._borrow() as conn:
                        cur = conn.execute(self._sql(sql), tuple(params))
                        return cur.fetchone() if fetch == "one" else cur.fetchall()
                with self._tx() as conn:
                    cur = conn.execute(self._sql(sql), tuple(params))
                    if fetch == "one":
                        return cur.fetchone()
                    if fetch == "all":
                        return cur.fetchall()
                    return cur.rowcount
            except (sqlite3.OperationalError, StoreError) as exc:
                if attempt == 2:
                    raise StoreError(f"store unavailable: {exc}") from None
            except Exception as exc:
                if not _is_pg_error(exc) or attempt == 2:
                    if _is_pg_error(exc):
                        raise StoreError(f"store unavailable: {type(exc).__name__}") from None
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def migrate(self) -> None:
        """Bring the schema to :data:`LATEST` when it is behind (every operation calls this; it costs a
        flag test once done). With ``TZOMET_DB_AUTO_UPGRADE=0`` it only checks, and an old schema is a
        :class:`StoreError` that says to run ``tzomet db upgrade``."""
        if self._migrated:
            return
        with self._migrate_lock:
            if self._migrated:
                return
            if os.environ.get("TZOMET_DB_AUTO_UPGRADE", "1").strip().lower() in ("0", "false", "no", "off"):
                current = self.schema_version()
                if current < LATEST:
                    raise StoreError(f"the store's schema is at version {current}, this version of Tzomet needs "
                                     f"{LATEST}: run `tzomet db upgrade`")
            else:
                self.upgrade()
            self._migrated = True

    def schema_version(self) -> int:
        """The highest migration applied (0 for an empty database)."""
        try:
            with self._borrow() as conn:
                # Read-only (several instances may ask at once): an empty database has no tz_schema yet.
                exists = ("SELECT to_regclass('tz_schema') IS NOT NULL" if self.backend == "postgresql" else
                          "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'tz_schema'")
                if not conn.execute(exists).fetchone()[0]:
                    return 0
                row = conn.execute("SELECT MAX(version) FROM tz_schema").fetchone()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store: {exc}") from None
        except Exception as exc:
            if _is_pg_error(exc):
                raise StoreError(f"cannot reach the PostgreSQL store: {type(exc).__name__}") from None
            raise
        return int(row[0]) if row and row[0] is not None else 0

    def upgrade(self) -> tuple[int, int]:
        """Apply the migrations this database lacks, in one transaction, serialised across processes;
        ``(version before, version after)``."""
        try:
            with self._tx() as conn:
                if self.backend == "postgresql":
                    # Several processes may start at once; serialise their migrations.
                    conn.execute("SELECT pg_advisory_xact_lock(72120001)")
                conn.execute("CREATE TABLE IF NOT EXISTS tz_schema (version INTEGER PRIMARY KEY, applied_at "
                             "DOUBLE PRECISION NOT NULL)")
                row = conn.execute("SELECT MAX(version) FROM tz_schema").fetchone()
                before = int(row[0]) if row and row[0] is not None else 0
                for version, _, statements in MIGRATIONS:
                    if version > before:
                        for statement in statements:
                            conn.execute(statement)
                        conn.execute(self._sql("INSERT INTO tz_schema (version, applied_at) VALUES (?, ?)"),
                                     (version, time.time()))
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the SQLite store: {exc}") from None
        except StoreError:
            raise
        except Exception as exc:
            if _is_pg_error(exc):
                raise StoreError(f"cannot prepare the PostgreSQL store: {type(exc).__name__}") from None
            raise
        return before, LATEST

    def ping(self) -> tuple[bool, str]:
        """``(True, "")`` when the store answers, else ``(False, reason)``."""
        try:
            self._run("SELECT 1", fetch="one")
            return True, ""
        except StoreError as exc:
            return False, str(exc)

    # --- jobs ----------------------------------------------------------------------------------
    def enqueue(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        tenant: str | None = None,
        max_attempts: int = 8,
        now: float | None = None,
    ) -> tuple[Job, bool]:
        """Commit a new queued job; return ``(job, created)``.

        With an ``idempotency_key`` already used for ``kind``, nothing is written and the
        existing job is returned with ``created=False``.
        """
        now = time.time() if now is None else now
        job_id = uuid.uuid4().hex
        sql = (f"INSERT INTO tz_jobs ({_COLUMNS}) "
               "VALUES (?,?,?,?,?,'queued',?,'{}',NULL,NULL,NULL,0,?,?,NULL,NULL,?,?,?) ON CONFLICT DO NOTHING")
        inserted = self._run(sql, (job_id, kind, tenant, idempotency_key, request_hash, _dumps(payload),
                                   max_attempts, now, now, now, str(payload.get("account") or "default")))
        if inserted:
            job = self.get(job_id)
            if job is None:  # pragma: no cover - we just committed it
                raise StoreError("the job vanished after it was written")
            self.notify(f"{kind}:queued")
            return job, True
        if idempotency_key is None:  # pragma: no cover - uuid4 collision
            raise StoreError("could not write the job")
        existing = self.get_by_key(kind, idempotency_key)
        if existing is None:  # pragma: no cover - the conflicting row cannot disappear
            raise StoreError("idempotency conflict without a job")
        return existing, False

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        row = self._run(f"SELECT {_COLUMNS} FROM tz_jobs WHERE id = ?", (job_id,), fetch="one")
        return Job.from_row(row) if row else None

    def get_by_key(self, kind: str, idempotency_key: str) -> Job | None:
        """The job of ``kind`` created with this idempotency key, or ``None``."""
        row = self._run(f"SELECT {_COLUMNS} FROM tz_jobs WHERE kind = ? AND idempotency_key = ?",
                        (kind, idempotency_key), fetch="one")
        return Job.from_row(row) if row else None

    def claim(self, kind: str, worker: str, lease_s: float, now: float | None = None,
              skip_accounts: Collection[str] = ()) -> Job | None:
        """Lease the next due job of ``kind`` to ``worker`` (counting an attempt), leaving aside the jobs
        of ``skip_accounts`` (accounts the worker is busy with); ``None`` if none is due."""
        now = time.time() if now is None else now
        skip = sorted(skip_accounts)
        pick = ("SELECT id FROM tz_jobs WHERE kind = ? AND ((status = 'queued' AND next_attempt_at <= ?) "
                "OR (status = 'running' AND locked_until < ?))"
                + (f" AND account NOT IN ({', '.join('?' * len(skip))})" if skip else "")
                + " ORDER BY next_attempt_at, created_at LIMIT 1")
        if self.backend == "postgresql":
            pick += " FOR UPDATE SKIP LOCKED"
        sql = (f"UPDATE tz_jobs SET status = 'running', locked_by = ?, locked_until = ?, attempts = attempts + 1, "
               f"updated_at = ? WHERE id = ({pick}) RETURNING {_COLUMNS}")
        row = self._run(sql, (worker, now + lease_s, now, kind, now, now, *skip), fetch="one")
        return Job.from_row(row) if row else None

    def save_progress(self, job_id: str, worker: str, progress: dict[str, Any]) -> bool:
        """Record what a running job has already done (so a retry skips it). False if the lease was lost."""
        return bool(self._run("UPDATE tz_jobs SET progress = ?, updated_at = ? WHERE id = ? AND locked_by = ?",
                              (_dumps(progress), time.time(), job_id, worker)))

    def finish(
        self,
        job_id: str,
        worker: str,
        status: str,
        *,
        result: dict[str, Any] | None = None,
        http_status: int | None = None,
        error: str | None = None,
        keep: dict[str, Any] | None = None,
    ) -> bool:
        """Record a terminal outcome (``succeeded``, ``failed`` or ``dead``). False if the lease was lost.

        A finished job keeps its outcome only (privacy): its payload is replaced by ``keep``
        (``{}`` by default; the caller names what its readers still need) and its progress is
        emptied. On SQLite the WAL is then checkpointed and truncated, so the replaced payload
        survives neither in the database file (``secure_delete``) nor in the ``-wal`` file.
        """
        if status not in TERMINAL:
            raise ValueError(f"not a terminal status: {status}")
        row = self._run(
            "UPDATE tz_jobs SET status = ?, result = ?, http_status = ?, last_error = ?, payload = ?, progress = '{}', "
            "locked_by = NULL, locked_until = NULL, updated_at = ? WHERE id = ? AND locked_by = ? RETURNING kind",
            (status, _dumps(result) if result is not None else None, http_status, error, _dumps(keep or {}),
             time.time(), job_id, worker), fetch="one",
        )
        if row:
            self.checkpoint()
            self.notify(f"{row[0]}:done")
        return bool(row)

    def checkpoint(self) -> bool:
        """Copy SQLite's WAL into the database file and truncate it; True when done (always on PostgreSQL).

        Best effort: it waits for readers (the busy timeout) and returns False, leaving the WAL for
        a later checkpoint, when it cannot complete. PostgreSQL keeps old row versions until
        (auto)vacuum reclaims them, which is not this call's business.
        """
        if self.backend != "sqlite":
            return True
        try:
            with self._borrow() as conn:
                busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        except sqlite3.Error:
            return False
        return not busy

    def retry_later(self, job_id: str, worker: str, *, at: float, error: str) -> bool:
        """Put a running job back in the queue until ``at``. False if the lease was lost."""
        return bool(self._run(
            "UPDATE tz_jobs SET status = 'queued', next_attempt_at = ?, last_error = ?, locked_by = NULL, "
            "locked_until = NULL, updated_at = ? WHERE id = ? AND locked_by = ?",
            (at, error, time.time(), job_id, worker),
        ))

    def defer(self, job_id: str, worker: str, *, at: float) -> bool:
        """Put a claimed job back until ``at`` without spending the attempt its claim counted (its CRM
        account's breaker is open). False if the lease was lost."""
        return bool(self._run(
            "UPDATE tz_jobs SET status = 'queued', next_attempt_at = ?, attempts = attempts - 1, locked_by = NULL, "
            "locked_until = NULL, updated_at = ? WHERE id = ? AND locked_by = ? AND attempts > 0",
            (at, time.time(), job_id, worker)))

    def jobs(self, *, tenant: str | None = None, kind: str | None = None, status: str | None = None,
             limit: int = 50) -> list[Job]:
        """Jobs, newest first, filtered by tenant, kind and status (an operator's view)."""
        sql = f"SELECT {_COLUMNS} FROM tz_jobs WHERE 1 = 1"
        params: list[Any] = []
        for column, value in (("tenant", tenant), ("kind", kind), ("status", status)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        rows = self._run(sql + " ORDER BY created_at DESC, id LIMIT ?", [*params, max(1, limit)], fetch="all")
        return [Job.from_row(row) for row in rows]

    def requeue(self, job_id: str) -> bool:
        """Put a ``dead`` job back in the queue, due now, with all its attempts again (``tzomet jobs retry``).
        False when there is no such dead job (a finished or failed job is not written again)."""
        row = self._run(
            "UPDATE tz_jobs SET status = 'queued', attempts = 0, next_attempt_at = ?, result = NULL, "
            "http_status = NULL, updated_at = ? WHERE id = ? AND status = 'dead' "
            "AND (http_status IS NULL OR http_status <> 410) RETURNING kind",
            (time.time(), time.time(), job_id), fetch="one")
        if row:
            self.notify(f"{row[0]}:queued")
        return bool(row)

    def discard(self, job_id: str, reason: str = "discarded by an operator") -> bool:
        """Give up a queued or dead job: ``dead`` with ``reason``, its payload dropped but for where it
        was going. False when there is no such job, or it is running or finished otherwise."""
        job = self.get(job_id)
        if job is None or job.status not in ("queued", "dead"):
            return False
        keep = kept(job.payload)
        return bool(self._run(
            "UPDATE tz_jobs SET status = 'dead', last_error = ?, result = ?, http_status = 410, payload = ?, "
            "progress = '{}', updated_at = ? WHERE id = ? AND status IN ('queued', 'dead')",
            (reason, _dumps({"detail": reason}), _dumps(keep), time.time(), job_id)))

    def release(self, worker: str, job_id: str | None = None) -> int:
        """Give back every job ``worker`` holds (a graceful shutdown), or only ``job_id``: queued again,
        due now, the attempt it had started not counted. Another process claims them without waiting
        for the lease to expire. Returns how many."""
        now = time.time()
        rows = self._run(
            "UPDATE tz_jobs SET status = 'queued', next_attempt_at = ?, attempts = attempts - 1, locked_by = NULL, "
            "locked_until = NULL, updated_at = ? WHERE status = 'running' AND locked_by = ? AND attempts > 0"
            + (" AND id = ?" if job_id else "") + " RETURNING kind",
            (now, now, worker, *([job_id] if job_id else [])), fetch="all")
        for kind in sorted({row[0] for row in rows}):
            self.notify(f"{kind}:queued")
        return len(rows)

    # --- waking other processes (PostgreSQL LISTEN/NOTIFY) ---------------------------------------
    def notify(self, payload: str) -> None:
        """Tell every process listening on this store (``NOTIFY tz_jobs``); nothing on SQLite, whose
        writers poll. Best effort: a lost notification costs one poll interval, never a job."""
        if self.backend != "postgresql":
            return
        with contextlib.suppress(StoreError):
            self._run("SELECT pg_notify('tz_jobs', ?)", (payload,), fetch="one")

    def notifications(self, stop: threading.Event, timeout: float = 1.0) -> Iterator[str]:
        """Yield the payloads of :meth:`notify` from any process until ``stop`` is set, on one
        dedicated connection (``LISTEN tz_jobs``). Raises :class:`StoreError` when PostgreSQL goes
        away (the caller reconnects); on SQLite it returns at once."""
        if self.backend != "postgresql":
            return
        self.migrate()
        conn = self._connect()
        try:
            conn.execute("LISTEN tz_jobs")
            while not stop.is_set():
                for note in conn.notifies(timeout=timeout):
                    yield note.payload
                    if stop.is_set():
                        return
        except StoreError:
            raise
        except Exception as exc:
            if _is_pg_error(exc):
                raise StoreError(f"lost the PostgreSQL listener: {type(exc).__name__}") from None
            raise
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def depth(self, kind: str | None = None) -> int:
        """How many jobs are waiting or running (of ``kind``, or of every kind)."""
        if kind is None:
            row = self._run("SELECT COUNT(*) FROM tz_jobs WHERE status IN ('queued', 'running')", fetch="one")
        else:
            row = self._run("SELECT COUNT(*) FROM tz_jobs WHERE kind = ? AND status IN ('queued', 'running')",
                            (kind,), fetch="one")
        return int(row[0]) if row else 0

    def purge(self, older_than: float) -> int:
        """Delete finished jobs last updated before ``older_than`` (epoch seconds); return how many."""
        return int(self._run("DELETE FROM tz_jobs WHERE status IN ('succeeded', 'failed', 'dead') AND updated_at < ?",
                             (older_than,)))

    # --- key-value -----------------------------------------------------------------------------
    def kv_get(self, key: str) -> Any:
        """The JSON value stored under ``key``, or ``None``."""
        row = self._run("SELECT v FROM tz_kv WHERE k = ?", (key,), fetch="one")
        return json.loads(row[0]) if row else None

    def kv_set(self, key: str, value: Any) -> None:
        """Store a JSON value under ``key`` (replacing any)."""
        self._run("INSERT INTO tz_kv (k, v, updated_at) VALUES (?, ?, ?) "
                  "ON CONFLICT (k) DO UPDATE SET v = excluded.v, updated_at = excluded.updated_at",
                  (key, _dumps(value), time.time()))

    def kv_delete(self, key: str, only_if: Any = None) -> None:
        """Delete ``key``; with ``only_if``, only while it still holds that value."""
        if only_if is None:
            self._run("DELETE FROM tz_kv WHERE k = ?", (key,))
        else:
            self._run("DELETE FROM tz_kv WHERE k = ? AND v = ?", (key, _dumps(only_if)))

    # --- rate limits shared by every worker and instance (nodes.core.auth) ------------------------
    def rate_take(self, key: str, now: float, cost_s: float, burst_s: float) -> float | None:
        """GCRA in one statement: advance ``key``'s theoretical arrival time by ``cost_s`` when that
        keeps it within ``burst_s`` of ``now`` (``None``: taken); else the seconds until it would."""
        greatest = "GREATEST" if self.backend == "postgresql" else "MAX"
        row = self._run(
            "INSERT INTO tz_rate (k, tat) SELECT ?, ? WHERE ? <= ? "
            f"ON CONFLICT (k) DO UPDATE SET tat = {greatest}(tz_rate.tat, ?) + ? "
            f"WHERE {greatest}(tz_rate.tat, ?) + ? <= ? RETURNING tat",
            (key, now + cost_s, cost_s, burst_s, now, cost_s, now, cost_s, now + burst_s), fetch="one")
        if row is not None:
            return None
        current = self._run("SELECT tat FROM tz_rate WHERE k = ?", (key,), fetch="one")
        tat = float(current[0]) if current else now
        return max(0.0, max(tat, now) + cost_s - now - burst_s)

    # --- knowledge bases (answer-question) -----------------------------------------------------
    def kb_put(self, tenant: str, doc_id: str, name: str, sha256: str, info: dict[str, Any],
               chunks: list[dict[str, Any]], added_at: float) -> None:
        """Store a document's chunks (replacing a document of the same id) and bump the tenant's revision."""
        self._run("INSERT INTO tz_kb_docs (tenant, id, name, sha256, added_at, info, chunks) VALUES (?,?,?,?,?,?,?) "
                  "ON CONFLICT (tenant, id) DO UPDATE SET name = excluded.name, sha256 = excluded.sha256, "
                  "added_at = excluded.added_at, info = excluded.info, chunks = excluded.chunks",
                  (tenant, doc_id, name, sha256, added_at, _dumps(info), _dumps(chunks)))
        self.kv_set(f"kb-revision:{tenant}", uuid.uuid4().hex)

    def kb_docs(self, tenant: str, doc_id: str | None = None, *, with_chunks: bool = False
                ) -> list[tuple[Any, ...]]:
        """``(id, name, sha256, added_at, info[, chunks])`` of a tenant's documents (one when ``doc_id``), oldest
        first; ``info`` and ``chunks`` decoded."""
        columns = "id, name, sha256, added_at, info" + (", chunks" if with_chunks else "")
        sql = f"SELECT {columns} FROM tz_kb_docs WHERE tenant = ?"
        params: list[Any] = [tenant]
        if doc_id is not None:
            sql += " AND id = ?"
            params.append(doc_id)
        rows = self._run(sql + " ORDER BY added_at, id", params, fetch="all")
        return [(*row[:4], json.loads(row[4]), *([json.loads(row[5])] if with_chunks else [])) for row in rows]

    def kb_delete(self, tenant: str, doc_id: str) -> bool:
        """Delete one of a tenant's documents; False when it has none of that id."""
        deleted = bool(self._run("DELETE FROM tz_kb_docs WHERE tenant = ? AND id = ?", (tenant, doc_id)))
        if deleted:
            self.kv_set(f"kb-revision:{tenant}", uuid.uuid4().hex)
        return deleted

    def kb_revision(self, tenant: str) -> str | None:
        """A token that changes whenever the tenant's knowledge base does (``None``: never had one)."""
        value = self.kv_get(f"kb-revision:{tenant}")
        return str(value) if value is not None else None

    # --- model versions (nodes.core.versions reads and writes them) ----------------------------
    def model_rows(self, tenant: str, action: str, version: str | None = None) -> list[tuple[Any, ...]]:
        """``(version, status, created_at, promoted_at, path, sha256, info)`` of a tenant's models of
        ``action`` (one ``version`` when given), newest first."""
        sql = ("SELECT version, status, created_at, promoted_at, path, sha256, info FROM tz_models "
               "WHERE tenant = ? AND action = ?")
        params: list[Any] = [tenant, action]
        if version is not None:
            sql += " AND version = ?"
            params.append(version)
        return list(self._run(sql + " ORDER BY created_at DESC, version DESC", params, fetch="all"))

    def model_add(self, tenant: str, action: str, version: str, path: str, sha256: str, info: dict[str, Any],
                  created_at: float) -> None:
        """Record a trained model as a candidate (again, if this version was trained before)."""
        self._run("INSERT INTO tz_models (tenant, action, version, status, created_at, path, sha256, info) "
                  "VALUES (?, ?, ?, 'candidate', ?, ?, ?, ?) ON CONFLICT (tenant, action, version) DO UPDATE SET "
                  "path = excluded.path, sha256 = excluded.sha256, info = excluded.info",
                  (tenant, action, version, created_at, path, sha256, _dumps(info)))

    def model_activate(self, tenant: str, action: str, version: str, now: float) -> bool:
        """Make ``version`` the active one (the one active before becomes ``retired``), in one transaction."""
        self.migrate()
        with self._tx() as conn:
            found = conn.execute(self._sql("SELECT 1 FROM tz_models WHERE tenant = ? AND action = ? AND version = ?"),
                                 (tenant, action, version)).fetchone()
            if not found:
                return False
            conn.execute(self._sql("UPDATE tz_models SET status = 'retired' WHERE tenant = ? AND action = ? "
                                   "AND status = 'active'"), (tenant, action))
            conn.execute(self._sql("UPDATE tz_models SET status = 'active', promoted_at = ? WHERE tenant = ? "
                                   "AND action = ? AND version = ?"), (now, tenant, action, version))
        return True

    # --- decisions and their corrections (nodes.core.decisions reads and writes them) --------------
    def decisions_add(self, rows: Sequence[tuple[str, str, str, float, float, str, dict[str, Any]]]) -> None:
        """Record answers ``(request_id, tenant, action, at, latency_ms, model_version, fields)`` in one
        transaction (a request id seen before keeps its first record)."""
        if not rows:
            return
        self.migrate()
        sql = self._sql("INSERT INTO tz_decisions (request_id, tenant, action, at, latency_ms, model_version, fields) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO NOTHING")
        with self._tx() as conn:
            for rid, tenant, action, at, ms, version, fields in rows:
                conn.execute(sql, (rid, tenant, action, at, ms, version, _dumps(fields)))

    def decisions(self, tenant: str, since: float, request_id: str | None = None
                  ) -> list[tuple[str, str, float, float, str, dict[str, Any], dict[str, Any] | None]]:
        """``(request_id, action, at, latency_ms, model_version, fields, correction or None)`` of a
        tenant's answers since ``since`` (or the one ``request_id``), oldest first."""
        sql = ("SELECT d.request_id, d.action, d.at, d.latency_ms, d.model_version, d.fields, f.correct "
               "FROM tz_decisions d LEFT JOIN tz_feedback f ON f.request_id = d.request_id AND f.tenant = d.tenant "
               "WHERE d.tenant = ?")
        params: list[Any] = [tenant]
        if request_id is not None:
            sql += " AND d.request_id = ?"
            params.append(request_id)
        else:
            sql += " AND d.at >= ?"
            params.append(since)
        rows = self._run(sql + " ORDER BY d.at", params, fetch="all")
        return [(r[0], r[1], float(r[2]), float(r[3]), r[4], json.loads(r[5]), json.loads(r[6]) if r[6] else None)
                for r in rows]

    def decision_by_text(self, tenant: str, digest: str) -> str | None:
        """The request id of the tenant's latest answer to the kept message whose SHA-256 is ``digest``."""
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            return None
        row = self._run("SELECT request_id FROM tz_decisions WHERE tenant = ? AND fields LIKE ? ORDER BY at DESC "
                        "LIMIT 1", (tenant, f'%"text_sha256":"{digest}"%'), fetch="one")
        return str(row[0]) if row else None

    def feedback_set(self, request_id: str, tenant: str, correct: dict[str, Any], at: float) -> None:
        """Record (or replace) the correction of one answer."""
        self._run("INSERT INTO tz_feedback (request_id, tenant, at, correct) VALUES (?, ?, ?, ?) "
                  "ON CONFLICT (request_id) DO UPDATE SET correct = excluded.correct, at = excluded.at",
                  (request_id, tenant, at, _dumps(correct)))

    def decisions_purge(self, older_than: float) -> int:
        """Delete answers (and their corrections) recorded before ``older_than``."""
        self._run("DELETE FROM tz_feedback WHERE request_id IN (SELECT request_id FROM tz_decisions WHERE at < ?)",
                  (older_than,))
        return int(self._run("DELETE FROM tz_decisions WHERE at < ?", (older_than,)))

    def close(self) -> None:
        """Close this thread's SQLite connection and the pooled PostgreSQL connections."""
        self._drop_conn()
        self._drain_pool()


def kept(payload: dict[str, Any]) -> dict[str, Any]:
    """What a finished (or discarded) job keeps of its payload: where it was written (``module``/``object``/
    ``board_id`` and ``account``), which ``GET /v1/jobs/<id>`` reports. Everything else (the record as sent,
    the note's text, the tasks) is dropped; the outcome, with the record as written for a replay's 200, is in
    its result."""
    return {k: payload[k] for k in ("module", "object", "board_id", "account") if payload.get(k)}


def _is_pg_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith("psycopg")


_STORES: dict[tuple[str, int], Store] = {}
_STORES_LOCK = threading.Lock()


def open_store(url: str) -> Store:
    """The shared :class:`Store` for ``url`` in this process (a new one after a fork)."""
    key = (url, os.getpid())
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            store = _STORES[key] = Store(url)
        return store
