"""The outbox writer every CRM action shares: one thread per process that executes queued writes.

A request commits its write as a job (:mod:`nodes.core.store`) and then waits, a bounded time,
for the outcome. The writer claims due jobs of its ``kind`` and runs each through the action's
``handle(job, save)`` — the CRM-specific part — which returns the result body, or raises:

- :class:`Rejected`: the CRM refused the record or the credentials: ``failed`` at once.
- :class:`Transient`: timeouts, connection errors, 429 and 5xx: back to ``queued`` with exponential
  backoff and full jitter (the CRM's ``Retry-After`` respected), ``dead`` after ``max_attempts``. A
  dead job keeps its payload, so an operator can put it back in the queue (``tzomet jobs retry``).

``save(progress)`` records what a job has already done (record written, note added), so a retry
never repeats it. A circuit breaker per CRM account (the job's ``account``) stops hammering an
account that keeps failing: after ``breaker_failures`` transient failures in a row its jobs wait
``breaker_cooldown_s`` (at most ``backoff_max_s``) without spending an attempt, and a 429's
``Retry-After`` holds all of the account's jobs that long, while other accounts' jobs go on.

One account's jobs run one at a time per process, in order, on that account's *lane* (a thread
started when the account has work and ended when it has been idle a while); up to ``lanes``
accounts are written side by side. The claiming thread leaves busy accounts' jobs in the queue, so
a CRM account that answers slowly or hangs until its timeout (an org in trouble) holds only its
own jobs, never another tenant's.

The writer is woken at once by its own process's requests and, on PostgreSQL, by every instance's
(``LISTEN tz_jobs``: a new job, a finished one its requests wait for, a job a stopping instance gave
back); polling every ``poll_interval_s`` remains for jobs whose retry comes due and as a safety net.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import queue
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from nodes.core.store import Job, Store, StoreError, kept

log = logging.getLogger("tzomet.outbox")

#: what a handler gets to record a running job's progress
Save = Callable[[dict[str, Any]], None]
Handler = Callable[[Job, Save], dict[str, Any]]


class Transient(Exception):
    """The CRM could not take the write now (timeout, connection, 429, 5xx): try again later."""

    def __init__(self, reason: str, retry_after: float | None = None, status: int = 502) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.status = reason, retry_after, status


class Rejected(Exception):
    """The CRM refused the write for good (a bad record: 422; bad credentials: 502)."""

    def __init__(self, status: int, reason: str, result: dict[str, Any]) -> None:
        super().__init__(reason)
        self.status, self.reason, self.result = status, reason, result


@dataclass(frozen=True)
class OutboxOptions:
    """Tuning of retries, waits and the breaker (a CRM action's options)."""

    wait_seconds: float = 10.0
    max_attempts: int = 20
    backoff_base_s: float = 2.0
    backoff_max_s: float = 300.0
    poll_interval_s: float = 1.0
    lease_s: float = 300.0
    retention_days: float = 30.0
    breaker_failures: int = 5
    breaker_cooldown_s: float = 30.0
    #: CRM accounts written side by side per process (one job at a time per account)
    lanes: int = 4

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> OutboxOptions:
        """Build from the action options, ignoring keys that are not the outbox's."""
        values: dict[str, Any] = {}
        for spec in fields(cls):
            raw = options.get(spec.name)
            if raw is None:
                continue
            try:
                values[spec.name] = max(1, int(raw)) if spec.type == "int" else max(0.0, float(raw))
            except (TypeError, ValueError):
                log.warning("option %s=%r is not a number; using the default %s", spec.name, raw, spec.default)
        return cls(**values)

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds until the next attempt after ``attempts`` failed ones (full jitter, capped)."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2 ** max(0, attempts - 1)))
        delay = random.uniform(ceiling / 2, ceiling)
        return max(delay, retry_after or 0.0)


class _Breaker:
    """Open for ``cooldown_s`` after ``failures`` transient failures in a row of one account."""

    def __init__(self, failures: int, cooldown_s: float) -> None:
        self.failures, self.cooldown_s = failures, cooldown_s
        self.count = 0
        self.open_until = 0.0

    def failed(self, now: float, retry_after: float | None) -> None:
        if retry_after is not None:  # the account is rate limited: all of its jobs wait as long as it says
            self.open_until = max(self.open_until, now + retry_after)
            return
        self.count += 1
        if self.count >= self.failures:
            self.open_until = now + self.cooldown_s

    def succeeded(self) -> None:
        self.count, self.open_until = 0, 0.0


def account_of(job: Job) -> str:
    """The CRM account a job writes to (its payload's ``account``; one account by default)."""
    return str(job.payload.get("account") or job.account or "default")


#: a lane whose account had no job for this long ends its thread
LANE_IDLE_S = 30.0


class _Lane:
    """The thread that runs one CRM account's jobs, one at a time (see the module docstring)."""

    def __init__(self, writer: Writer, account: str) -> None:
        self.writer, self.account = writer, account
        self.jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self.busy = False  # set by the claiming thread before it hands a job over, cleared when done
        self.thread = threading.Thread(target=self._run, name=f"tzomet-{writer.kind}-lane", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        writer = self.writer
        while True:
            try:
                job = self.jobs.get(timeout=LANE_IDLE_S)
            except queue.Empty:
                if writer._retire(self):
                    return
                continue
            if job is None:
                return
            try:
                if not writer._stop.is_set():  # on stopping, a job not started yet is given back
                    writer._execute_safely(job)
            finally:
                with writer._lanes_lock:
                    self.busy = False
                writer._notify()
                writer._wake.set()


class Writer:
    """Executes one kind of job of one store with one handler: a daemon thread claims due jobs and
    hands each to its account's lane."""

    def __init__(self, store: Store, kind: str, handle: Handler, options: OutboxOptions,
                 warm: Callable[[], None] | None = None) -> None:
        self.store = store
        self.kind = kind
        self.handle = handle
        self.options = options
        self.warm = warm
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self._last_purge = 0.0
        self._breakers: dict[str, _Breaker] = {}
        self._lanes: dict[str, _Lane] = {}
        self._lanes_lock = threading.Lock()

    # --- lifecycle ---
    def start(self) -> None:
        """Start the thread (idempotent); it first resumes whatever is already due."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"tzomet-{self.kind}-writer", daemon=True)
        self._thread.start()
        if self.store.backend == "postgresql" and not (self._listener and self._listener.is_alive()):
            self._listener = threading.Thread(target=self._listen, name=f"tzomet-{self.kind}-listener", daemon=True)
            self._listener.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current job (a graceful shutdown), then give back any job still held so
        another instance takes it at once; a job interrupted by a crash is resumed when its lease ends."""
        self._stop.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        for thread in (self._thread, self._listener):
            if thread is not None:
                thread.join(timeout)
        with self._lanes_lock:
            lanes = list(self._lanes.values())
            self._lanes.clear()
        for lane in lanes:
            lane.jobs.put(None)
        for lane in lanes:
            lane.thread.join(max(0.0, deadline - time.monotonic()))
        still_working = (self._thread is not None and self._thread.is_alive()) or \
            any(lane.thread.is_alive() for lane in lanes)
        self._thread = self._listener = None
        if still_working:  # giving its job back now could repeat a step; its lease ends instead
            log.warning("%s writer %s did not finish its job within %.0f s", self.kind, self.worker_id, timeout)
            return
        try:
            released = self.store.release(self.worker_id)
            if released:
                log.info("%s writer %s gave back %d job(s) on stopping", self.kind, self.worker_id, released)
        except StoreError as exc:  # their leases expire instead
            log.warning("%s writer could not give back its jobs: %s", self.kind, exc)

    @property
    def alive(self) -> bool:
        """Whether the thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Look for due jobs now (called after a request enqueued one)."""
        self._wake.set()

    # --- waiting for an outcome (request threads) ---
    def _notify(self) -> None:
        with self._changed:
            self._generation += 1
            self._changed.notify_all()

    def wait(self, job_id: str, timeout: float) -> Job | None:
        """Wait until the job is finished, or has failed once and is waiting to retry, or ``timeout``.

        Returns the job as last read (``None`` if it does not exist).
        """
        deadline = time.monotonic() + timeout
        while True:
            with self._changed:
                generation = self._generation
            job = self.store.get(job_id)
            if job is None or job.terminal or (job.status == "queued" and job.attempts >= 1):
                return job
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return job
            with self._changed:
                # Woken by this process's writer; the short timeout covers other processes' writers.
                if self._generation == generation:
                    self._changed.wait(timeout=min(remaining, 0.05))

    # --- the loop ---
    def _listen(self) -> None:
        """Turn other instances' notifications into wake-ups (PostgreSQL only); reconnect when lost."""
        while not self._stop.is_set():
            try:
                for payload in self.store.notifications(self._stop):
                    kind, _, event = payload.partition(":")
                    if kind == self.kind and event == "queued":
                        self._wake.set()
                    elif kind == self.kind and event == "done":
                        self._notify()
            except StoreError as exc:
                log.info("%s writer listens again after: %s", self.kind, exc)
            self._stop.wait(self.options.poll_interval_s)

    def _run(self) -> None:
        if self.warm is not None:
            try:
                self.warm()
            except Exception as exc:  # the CRM may be down at start; the first job initialises again
                log.info("%s warm-up deferred: %s", self.kind, getattr(exc, "reason", type(exc).__name__))
        while not self._stop.is_set():
            with self._lanes_lock:
                busy = {account for account, lane in self._lanes.items() if lane.busy}
            if len(busy) >= max(1, self.options.lanes):  # every lane is writing: wait for one to finish
                self._wake.wait(self.options.poll_interval_s)
                self._wake.clear()
                continue
            try:
                job = self.store.claim(self.kind, self.worker_id, self.options.lease_s, skip_accounts=busy)
            except StoreError as exc:
                log.warning("%s writer cannot claim jobs: %s", self.kind, exc)
                self._stop.wait(self.options.poll_interval_s)
                continue
            if job is None:
                self._wake.wait(self.options.poll_interval_s)
                self._wake.clear()
                self._purge()
                continue
            if not self._hand_over(job):  # its account got busy meanwhile (a job queued by an older version)
                with contextlib.suppress(StoreError):  # else its lease ends instead
                    self.store.defer(job.id, self.worker_id, at=time.time() + self.options.poll_interval_s)

    def _hand_over(self, job: Job) -> bool:
        """Give ``job`` to its account's lane (started if needed); False if that lane is busy."""
        account = account_of(job)
        with self._lanes_lock:
            lane = self._lanes.get(account)
            if lane is not None and lane.busy:
                return False
            if lane is None:
                lane = self._lanes[account] = _Lane(self, account)
            lane.busy = True
        lane.jobs.put(job)
        return True

    def _retire(self, lane: _Lane) -> bool:
        """End an idle lane (True), unless a job is being handed to it."""
        with self._lanes_lock:
            if lane.busy:
                return False
            if self._lanes.get(lane.account) is lane:
                del self._lanes[lane.account]
            return True

    def _execute_safely(self, job: Job) -> None:
        """Run one job on a lane; a job whose outcome the store could not take is given back once it answers."""
        try:
            self.execute(job)
        except StoreError as exc:
            log.warning("%s writer lost the store while finishing job %s: %s", self.kind, job.id, exc)
            while not self._stop.is_set():  # rather than wait out its lease
                try:
                    self.store.release(self.worker_id, job.id)
                    return
                except StoreError:
                    self._stop.wait(self.options.poll_interval_s)
        except Exception:  # never let one job stop the lane
            log.exception("%s writer failed on job %s", self.kind, job.id)

    def _purge(self) -> None:
        now = time.time()
        if now - self._last_purge < 3600:
            return
        self._last_purge = now
        try:
            removed = self.store.purge(now - self.options.retention_days * 86400)
            if removed:
                log.info("purged %d finished jobs older than %s days", removed, self.options.retention_days)
        except StoreError:
            pass

    def execute(self, job: Job) -> None:
        """Run one claimed job through the handler and record its outcome."""
        account = account_of(job)
        breaker = self._breakers.setdefault(account, _Breaker(
            self.options.breaker_failures, min(self.options.breaker_cooldown_s, self.options.backoff_max_s)))
        if breaker.open_until > time.time():  # this account keeps failing: wait without spending an attempt
            self.store.defer(job.id, self.worker_id, at=breaker.open_until)
            return

        def save(progress: dict[str, Any]) -> None:
            self.store.save_progress(job.id, self.worker_id, progress)

        try:
            result = self.handle(job, save)
        except Rejected as exc:
            self.store.finish(job.id, self.worker_id, "failed", result=exc.result, http_status=exc.status,
                              error=exc.reason, keep=kept(job.payload))
            log.info("%s job %s failed: %s", self.kind, job.id, exc.reason)
            breaker.succeeded()  # the CRM answered
            return
        except Transient as exc:
            breaker.failed(time.time(), exc.retry_after)
            self._retry_or_bury(job, exc.reason, exc.retry_after, exc.status)
            return
        except StoreError:
            raise
        except Exception as exc:
            log.exception("%s job %s hit an unexpected error", self.kind, job.id)
            self._retry_or_bury(job, f"unexpected error ({type(exc).__name__})", None, 502)
            return
        breaker.succeeded()
        self.store.finish(job.id, self.worker_id, "succeeded", result=result, http_status=200,
                          keep=kept(job.payload))
        log.info("%s job %s succeeded (%s, attempt %d)", self.kind, job.id, result.get("status"), job.attempts)

    def _retry_or_bury(self, job: Job, reason: str, retry_after: float | None, status: int) -> None:
        if job.attempts >= job.max_attempts:
            detail = f"gave up after {job.attempts} attempts: {reason}"
            # A dead job keeps its payload: `tzomet jobs retry` can put it back once the CRM is fixed.
            self.store.finish(job.id, self.worker_id, "dead", result={"detail": detail}, http_status=status,
                              error=reason, keep=job.payload)
            log.warning("%s job %s is dead after %d attempts: %s", self.kind, job.id, job.attempts, reason)
            return
        delay = self.options.backoff(job.attempts, retry_after)
        self.store.retry_later(job.id, self.worker_id, at=time.time() + delay, error=reason)
        log.info("%s job %s attempt %d failed (%s); retry in %.1fs", self.kind, job.id, job.attempts, reason, delay)


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def job_view(job: Job) -> dict[str, Any]:
    """A job as ``GET /v1/jobs/<id>`` and ``tzomet jobs`` show it: its state and outcome, never its payload.

    ``result`` is the 200 body for a succeeded job and ``{"detail", "errors"?}`` for a failed or dead one.
    """
    return {
        "job_id": job.id,
        "kind": job.kind,
        "status": job.status,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "last_error": job.last_error,
        "result": job.result,
        "module": job.payload.get("module") or (job.result or {}).get("module"),
        "created_at": _iso(job.created_at),
        "updated_at": _iso(job.updated_at),
        "next_attempt_at": _iso(job.next_attempt_at) if job.status == "queued" else None,
    }
