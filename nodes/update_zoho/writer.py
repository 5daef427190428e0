"""The outbox writer: one thread per process that executes queued Zoho writes.

A request commits its write as a job (see :mod:`nodes.core.store`) and then waits, a bounded
time, for the outcome. The writer claims due jobs and runs them through the Zoho adapter. It is
woken at once by its own process's requests and, on PostgreSQL, by every instance's (``LISTEN
tz_jobs``: a new job, a finished one its requests wait for, a job a stopping instance gave
back); polling every ``poll_interval_s`` remains for jobs whose retry comes due and as a safety
net. It records the outcome:

- Zoho's rejection (422-like) or refused credentials: ``failed`` at once.
- Timeouts, connection errors, 429 and 5xx: back to ``queued`` with exponential backoff and
  full jitter (Zoho's ``Retry-After`` respected), ``dead`` after ``max_attempts``.
- Steps already done (record written, note added) are saved as the job's progress, so a
  retry never repeats them; the upsert itself is keyed by the duplicate check fields.

All SDK calls of a process happen on this one thread (the SDK's advice); a dry run's
metadata read is the only other caller and takes the client's lock.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodes.core.store import Job, Store, StoreError, open_store
from nodes.update_zoho.mapping import check_record

log = logging.getLogger("tzomet.zoho")

KIND = "update-zoho"


@dataclass(frozen=True)
class WriterOptions:
    """Tuning of retries, waits and timeouts (``actions.update-zoho`` options)."""

    wait_seconds: float = 10.0
    max_attempts: int = 20
    backoff_base_s: float = 2.0
    backoff_max_s: float = 300.0
    poll_interval_s: float = 1.0
    lease_s: float = 300.0
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    fields_ttl_s: float = 3600.0
    retention_days: float = 30.0
    warm_modules: tuple[str, ...] = ("Leads",)

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> WriterOptions:
        """Build from the action options, ignoring keys that are not options of the writer."""
        values: dict[str, Any] = {}
        for name, default in cls.__dataclass_fields__.items():
            if name in options and options[name] is not None:
                raw = options[name]
                try:
                    if name == "warm_modules":
                        values[name] = tuple(str(m) for m in raw)
                    elif name == "max_attempts":
                        values[name] = max(1, int(raw))
                    else:
                        values[name] = max(0.0, float(raw))
                except (TypeError, ValueError):
                    log.warning("update-zoho option %s=%r is not a number; using the default %s",
                                name, raw, default.default)
        return cls(**values)

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds until the next attempt after ``attempts`` failed ones (full jitter, capped)."""
        ceiling = min(self.backoff_max_s, self.backoff_base_s * (2 ** max(0, attempts - 1)))
        delay = random.uniform(ceiling / 2, ceiling)
        return max(delay, retry_after or 0.0)


class Writer:
    """Executes update-zoho jobs of one store with one Zoho client, on a daemon thread."""

    def __init__(self, store: Store, client: Any, options: WriterOptions) -> None:
        self.store = store
        self.client = client
        self.options = options
        self.worker_id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._changed = threading.Condition()
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._listener: threading.Thread | None = None
        self._last_purge = 0.0

    # --- lifecycle ---
    def start(self) -> None:
        """Start the thread (idempotent); it first resumes whatever is already due."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="tzomet-zoho-writer", daemon=True)
        self._thread.start()
        if self.store.backend == "postgresql" and not (self._listener and self._listener.is_alive()):
            self._listener = threading.Thread(target=self._listen, name="tzomet-zoho-listener", daemon=True)
            self._listener.start()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current job (a graceful shutdown), then give back any job still held so
        another instance takes it at once; a job interrupted by a crash is resumed when its lease ends."""
        self._stop.set()
        self._wake.set()
        for thread in (self._thread, self._listener):
            if thread is not None:
                thread.join(timeout)
        still_working = self._thread is not None and self._thread.is_alive()
        self._thread = self._listener = None
        if still_working:  # giving its job back now could repeat a step; its lease ends instead
            log.warning("update-zoho writer %s did not finish its job within %.0f s", self.worker_id, timeout)
            return
        try:
            released = self.store.release(self.worker_id)
            if released:
                log.info("update-zoho writer %s gave back %d job(s) on stopping", self.worker_id, released)
        except StoreError as exc:  # their leases expire instead
            log.warning("update-zoho writer could not give back its jobs: %s", exc)

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
                    if kind == KIND and event == "queued":
                        self._wake.set()
                    elif kind == KIND and event == "done":
                        self._notify()
            except StoreError as exc:
                log.info("update-zoho writer listens again after: %s", exc)
            self._stop.wait(self.options.poll_interval_s)

    def _run(self) -> None:
        try:
            self.client.warm(list(self.options.warm_modules))
        except Exception as exc:  # Zoho may be down at start; the first job initialises again
            log.info("zoho warm-up deferred: %s", getattr(exc, "reason", type(exc).__name__))
        orphaned = False  # a job of ours whose outcome could not be recorded is still leased to us
        while not self._stop.is_set():
            try:
                if orphaned:  # we hold no job in hand now: give it back rather than wait out its lease
                    self.store.release(self.worker_id)
                    orphaned = False
                job = self.store.claim(KIND, self.worker_id, self.options.lease_s)
            except StoreError as exc:
                log.warning("zoho writer cannot claim jobs: %s", exc)
                self._stop.wait(self.options.poll_interval_s)
                continue
            if job is None:
                self._wake.wait(self.options.poll_interval_s)
                self._wake.clear()
                self._purge()
                continue
            try:
                self.execute(job)
            except StoreError as exc:  # given back once the store answers again (or its lease ends)
                log.warning("zoho writer lost the store while finishing job %s: %s", job.id, exc)
                orphaned = True
            except Exception:  # never let one job stop the writer
                log.exception("zoho writer failed on job %s", job.id)
            self._notify()

    def _purge(self) -> None:
        now = time.time()
        if now - self._last_purge < 3600:
            return
        self._last_purge = now
        try:
            removed = self.store.purge(now - self.options.retention_days * 86400)
            if removed:
                log.info("purged %d finished update-zoho jobs older than %s days", removed,
                         self.options.retention_days)
        except StoreError:
            pass

    def execute(self, job: Job) -> None:
        """Run one claimed job and record its outcome."""
        from nodes.update_zoho.zoho_sdk import ZohoAuthError, ZohoRejected, ZohoTransient

        payload = job.payload
        module = str(payload.get("module") or "Leads")
        progress = dict(job.progress)
        warnings: list[str] = list(payload.get("warnings") or [])
        try:
            if "record_id" not in progress:
                fields = self.client.fields(module)
                record, checked = check_record(module, payload.get("record") or {}, fields,
                                               mapped=bool(payload.get("mapped")),
                                               fallback_field=payload.get("fallback_field"))
                result = self.client.upsert(module, record, list(payload.get("duplicate_check_fields") or []))
                progress.update(record_id=result.record_id, action=result.action,
                                duplicate_field=result.duplicate_field, record=record, warnings=checked)
                self.store.save_progress(job.id, self.worker_id, progress)
            warnings.extend(progress.get("warnings") or [])
            tasks = _tasks(payload)
            steps: list[tuple[str, str, dict[str, Any]]] = []
            if payload.get("note"):
                steps.append(("note", "note_id", payload["note"]))
            for i, spec in enumerate(tasks):
                steps.append(("task", _task_key(i), spec))
            for step, key, spec in steps:
                if key in progress:
                    continue
                try:
                    if step == "note":
                        progress[key] = self.client.add_note(module, progress["record_id"], spec.get("title"),
                                                             spec["content"])
                    else:
                        task = {"Subject": spec["subject"], "Priority": spec.get("priority") or "Normal"}
                        if spec.get("due_date"):
                            task["Due_Date"] = spec["due_date"]
                        progress[key] = self.client.add_task(module, progress["record_id"], task)
                except ZohoRejected as exc:
                    progress[key] = None
                    progress.setdefault("warnings", []).append(
                        f"the {step} was not added: {'; '.join(e['msg'] for e in exc.errors)}")
                    warnings.append(progress["warnings"][-1])
                self.store.save_progress(job.id, self.worker_id, progress)
            task_ids = [progress.get(_task_key(i)) for i in range(len(tasks))]
            body = {
                "status": "inserted" if progress.get("action") == "insert" else "updated",
                "module": module,
                "record_id": progress["record_id"],
                "duplicate_field": progress.get("duplicate_field"),
                "note_id": progress.get("note_id"),
                "task_id": task_ids[0] if task_ids else None,
                "task_ids": task_ids,
                "record": progress.get("record"),
                "duplicate_check_fields": payload.get("duplicate_check_fields"),
                "warnings": warnings,
            }
            self.store.finish(job.id, self.worker_id, "succeeded", result=body, http_status=200,
                              keep=_kept(payload))
            log.info("update-zoho job %s succeeded (%s, attempt %d)", job.id, body["status"], job.attempts)
        except ZohoRejected as exc:
            body = {"detail": f"Zoho rejected the {module} record ({exc.reason})", "errors": exc.errors,
                    "code": exc.code}
            self.store.finish(job.id, self.worker_id, "failed", result=body, http_status=422, error=exc.reason,
                              keep=_kept(payload))
            log.info("update-zoho job %s failed: %s", job.id, exc.code)
        except ZohoAuthError as exc:
            self.store.finish(job.id, self.worker_id, "failed", result={"detail": exc.reason}, http_status=502,
                              error=exc.reason, keep=_kept(payload))
            log.warning("update-zoho job %s failed: %s", job.id, exc.reason)
        except ZohoTransient as exc:
            self._retry_or_bury(job, exc.reason, exc.retry_after, 504 if exc.timeout else 502)
        except StoreError:
            raise
        except Exception as exc:
            log.exception("update-zoho job %s hit an unexpected error", job.id)
            self._retry_or_bury(job, f"unexpected error ({type(exc).__name__})", None, 502)

    def _retry_or_bury(self, job: Job, reason: str, retry_after: float | None, status: int) -> None:
        if job.attempts >= job.max_attempts:
            detail = f"gave up after {job.attempts} attempts: {reason}"
            self.store.finish(job.id, self.worker_id, "dead", result={"detail": detail}, http_status=status,
                              error=reason, keep=_kept(job.payload))
            log.warning("update-zoho job %s is dead after %d attempts: %s", job.id, job.attempts, reason)
            return
        delay = self.options.backoff(job.attempts, retry_after)
        self.store.retry_later(job.id, self.worker_id, at=time.time() + delay, error=reason)
        log.info("update-zoho job %s attempt %d failed (%s); retry in %.1fs", job.id, job.attempts, reason, delay)


def _kept(payload: dict[str, Any]) -> dict[str, Any]:
    """What a finished job keeps of its payload: the module, which ``GET /v1/jobs/<id>`` reports.

    Everything else (the record as sent, the note's text, the tasks) is dropped when the job
    finishes; the outcome, with the record as written for a replay's 200, is in its result.
    """
    return {"module": payload["module"]} if payload.get("module") else {}


def _tasks(payload: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's tasks in order (jobs queued by older versions carry one ``task``)."""
    return list(payload.get("tasks") or ([payload["task"]] if payload.get("task") else []))


def _task_key(index: int) -> str:
    """Where a task's id is kept in a job's progress (the first one as ``task_id``, as before)."""
    return "task_id" if index == 0 else f"task_id.{index}"


@dataclass
class Runtime:
    """What update-zoho needs in one process for one configuration: the store and the writer."""

    store: Store
    writer: Writer | None
    client: Any
    options: WriterOptions


_RUNTIMES: dict[tuple[Any, ...], Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def _zoho_ready(settings: Any) -> bool:
    return bool(settings.zoho_client_id and settings.zoho_client_secret and settings.zoho_refresh_token)


def runtime_for(settings: Any) -> Runtime:
    """The runtime of ``settings`` in this process: created (and its writer started) on first use."""
    key = (settings.database_url, settings.zoho_client_id, settings.zoho_refresh_token, settings.zoho_dc,
           settings.zoho_api_url, settings.zoho_accounts_url, str(settings.data_dir), os.getpid())
    runtime = _RUNTIMES.get(key)
    if runtime is not None:
        return runtime
    with _RUNTIMES_LOCK:
        runtime = _RUNTIMES.get(key)
        if runtime is not None:
            return runtime
        options = WriterOptions.from_options(settings.action_options(KIND, None))
        store = open_store(settings.database_url)
        client = writer = None
        if _zoho_ready(settings):
            from nodes.update_zoho.zoho_sdk import ZohoConfig, client_for

            config = ZohoConfig(
                client_id=settings.zoho_client_id, client_secret=settings.zoho_client_secret,
                refresh_token=settings.zoho_refresh_token, dc=settings.zoho_dc, api_url=settings.zoho_api_url,
                accounts_url=settings.zoho_accounts_url, connect_timeout_s=options.connect_timeout_s,
                read_timeout_s=options.read_timeout_s, fields_ttl_s=options.fields_ttl_s,
                resource_dir=Path(settings.data_dir) / "zoho-sdk",
            )
            client = client_for(config, store)
            writer = Writer(store, client, options)
            writer.start()
        runtime = _RUNTIMES[key] = Runtime(store=store, writer=writer, client=client, options=options)
        return runtime


def shutdown_runtimes() -> None:
    """Stop every writer of this process (tests use it between servers)."""
    with _RUNTIMES_LOCK:
        runtimes = list(_RUNTIMES.values())
        _RUNTIMES.clear()
    for runtime in runtimes:
        if runtime.writer is not None:
            runtime.writer.stop()
