"""What every CRM action (update-zoho, update-hubspot) shares: the parts of the request envelope, and
the exactly-once path of a write — idempotency key, queueing in the outbox, a bounded wait, the answer.

A write is committed as a job before anything is sent to the CRM; the same key with the same request
replays the first outcome (``Idempotent-Replayed: true``), with another request it is a 422. The request
is hashed as sent (without the other actions' ``meta``, which differs each time a workflow re-runs
them), so a config change cannot turn a replay into a conflict.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from nodes.core.node import Context, Node, NodeError, OutputModel, Reply, StrictModel
from nodes.core.outbox import Handler, OutboxOptions, Writer
from nodes.core.store import Job, Store, StoreError, open_store

log = logging.getLogger("tzomet.crm")

REPLAYED = "Idempotent-Replayed"

Channel = Literal["whatsapp", "web_form", "email", "sms", "phone_call", "facebook", "instagram", "other"]


class NoteIn(StrictModel):
    """A note attached to the record."""

    title: str | None = Field(default=None, max_length=120)
    content: str = Field(min_length=1, max_length=32_000)


class TaskIn(StrictModel):
    """A task linked to the record."""

    subject: str = Field(min_length=1, max_length=255)
    due_date: dt.date | None = Field(default=None, description="YYYY-MM-DD")
    priority: Literal["High", "Normal", "Low"] = "Normal"


class ContactIn(BaseModel):
    """Who the record is about, when it is not (only) in the classification."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, max_length=200)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    company: str | None = Field(default=None, max_length=200)
    channel: Channel | None = Field(default=None, description="where the lead came from (becomes the lead source)")


class FromIn(StrictModel):
    """Outputs of the other actions to map into a record through a mapping profile."""

    classification: dict[str, Any] | None = Field(default=None, description="classify-lead output")
    summary: dict[str, Any] | None = Field(default=None, description="summarize-conversation output")
    contract: dict[str, Any] | None = Field(default=None, description="extract-contract-fields output")
    contact: ContactIn | None = None
    channel: Channel | None = Field(default=None, description="where the lead came from (as contact.channel)")


def account_for(options: Mapping[str, Any]) -> str:
    """The CRM account a tenant's writes go to: ``env:NAME`` for its ``token_env`` option, else ``default``
    (the service-wide token). A job carries this name, never the token."""
    return f"env:{options['token_env']}" if options.get("token_env") else "default"


def account_token(account: str, default_token: str | None) -> str | None:
    """The token of ``account`` (read from its environment variable when the job runs), or ``None``."""
    if account.startswith("env:"):
        return os.environ.get(account[4:]) or None
    return default_token or None


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def idempotency_key(given: str | None, ctx: Context) -> str | None:
    """The write's key: ``idempotency_key`` in the body or the ``Idempotency-Key`` header (they must agree)."""
    header = _header(ctx.headers or {}, "Idempotency-Key")
    header = header.strip() if header else None
    if header and len(header) > 255:
        raise NodeError(422, "The Idempotency-Key header is too long.",
                        errors=[{"loc": "Idempotency-Key", "msg": "at most 255 characters"}])
    if header and given and header != given:
        raise NodeError(422, "The Idempotency-Key header and idempotency_key differ.",
                        errors=[{"loc": "idempotency_key", "msg": "differs from the Idempotency-Key header"}])
    return given or header or None


@dataclass
class Upserted:
    """What a CRM client's upsert did: the record's id, ``insert`` or ``update``, and what it was found by
    (``None`` for an insert)."""

    record_id: str
    action: str  # insert | update
    matched_on: str | None


def record_key(tenant: str | None, key: str | None) -> str:
    """What a write carries into the CRM record's own unique key field (``tzomet_key``), so that a retry
    after a create whose answer was lost finds the record instead of creating a twin: the tenant and
    the idempotency key, or — for a write sent without one — a key of its own (its retries are one job)."""
    return f"{tenant or '-'}:{key}" if key else f"{tenant or '-'}:write-{uuid.uuid4().hex}"


def request_hash(data: BaseModel) -> str:
    """A hash of the request as sent, without its key and without the ``meta`` of mapped outputs."""
    sent = data.model_dump(mode="json", by_alias=True, exclude={"idempotency_key"})
    for source in (sent.get("from") or {}).values():
        if isinstance(source, dict):
            source.pop("meta", None)
    return hashlib.sha256(json.dumps(sent, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def queue_write(ctx: Context, kind: str, payload: dict[str, Any], data: BaseModel, given_key: str | None,
                store: Store, writer: Writer, options: Mapping[str, Any]) -> tuple[Job, bool]:
    """Commit the write as a job (or find the one this key already made), wake the writer and wait up to
    ``wait_seconds`` for its outcome; ``(job as last read, created)``."""
    key = idempotency_key(given_key, ctx)
    scoped = f"{ctx.tenant or '-'}:{key}" if key else None
    digest = request_hash(data)
    max_attempts = options.get("max_attempts", writer.options.max_attempts)
    try:
        job, created = store.enqueue(
            kind, payload, idempotency_key=scoped, request_hash=digest, tenant=ctx.tenant,
            max_attempts=max(1, int(max_attempts)) if isinstance(max_attempts, int | float) else 20)
    except StoreError:
        log.error("%s could not queue a write: store unavailable (request_id=%s)", kind, ctx.request_id)
        raise NodeError(503, "The job store is unavailable, so the write was not accepted; try again.") from None
    if not created and job.request_hash != digest:
        raise NodeError(422, "This idempotency key was already used for a different request.",
                        errors=[{"loc": "idempotency_key",
                                 "msg": "already used with a different body; use a new key for a new write"}])
    if created:
        writer.wake()
    wait = options.get("wait_seconds", writer.options.wait_seconds)
    wait = float(wait) if isinstance(wait, int | float) else writer.options.wait_seconds
    try:
        final = writer.wait(job.id, max(0.0, wait)) or job
    except StoreError:
        final = job
    return final, created


def answer(job: Job, output: Callable[..., OutputModel], crm: str, where: dict[str, Any], *,
           replayed: bool) -> Reply:
    """The reply for a job: its result (200), its failure (the problem it recorded), or 202 queued.

    ``output`` is the action's output model; ``where`` the fields a queued answer carries (``module``, ``object``).
    """
    headers = {REPLAYED: "true"} if replayed else {}
    if job.status == "succeeded" and job.result:
        fields = getattr(output, "model_fields", {})
        return Reply(output(**{k: v for k, v in job.result.items() if k in fields}, job_id=job.id), headers=headers)
    if job.status in {"failed", "dead"}:
        result = job.result or {}
        status = job.http_status or 502
        detail = str(result.get("detail") or job.last_error or "The write failed.")
        errors = result.get("errors") if status == 422 else None
        raise NodeError(status, f"{detail} (job {job.id})", errors=errors, headers=headers)
    if job.attempts >= 1 and job.last_error:
        reason = f"{job.last_error}; the write is queued and will be retried"
    else:
        reason = f"{crm} is slow to answer; the write is queued and continues in the background"
    return Reply(output(status="queued", **where, job_id=job.id, reason=reason), status=202, headers=headers)


def outbox_ready(runtime: Callable[[], Any]) -> tuple[bool, str]:
    """``/readyz`` for a CRM action: its store answers and, when it has one, its writer runs (the CRM being
    down is what the outbox is for, so it does not count). ``runtime()`` gives ``.store`` and ``.writer``."""
    try:
        current = runtime()
        ok, reason = current.store.ping()
    except StoreError as exc:
        return False, f"store unreachable: {exc}"
    if not ok:
        return False, "store unreachable: " + reason
    if current.writer is not None and not current.writer.alive:
        return False, "the outbox writer is not running"
    return True, ""


class Runtime:
    """A CRM action in one process: its store and its outbox writer."""

    def __init__(self, store: Store, writer: Writer) -> None:
        self.store, self.writer = store, writer


class Runtimes:
    """Each configuration's :class:`Runtime` in this process, made (and its writer started) on first use."""

    def __init__(self, kind: str, handler: Callable[[Any, dict[str, Any]], Handler],
                 key: Callable[[Any], tuple[Any, ...]]) -> None:
        self.kind, self.handler, self.key = kind, handler, key
        self._held: dict[tuple[Any, ...], Runtime] = {}
        self._lock = threading.Lock()

    def get(self, settings: Any) -> Runtime:
        key = (*self.key(settings), settings.database_url, str(settings.data_dir), os.getpid())
        runtime = self._held.get(key)
        if runtime is not None:
            return runtime
        with self._lock:
            runtime = self._held.get(key)
            if runtime is None:
                options = settings.action_options(self.kind, None)
                store = open_store(settings.database_url)
                writer = Writer(store, self.kind, self.handler(settings, options), OutboxOptions.from_options(options))
                writer.start()
                runtime = self._held[key] = Runtime(store, writer)
        return runtime

    def shutdown(self) -> None:
        """Stop every writer this process started."""
        with self._lock:
            held = list(self._held.values())
            self._held.clear()
        for runtime in held:
            runtime.writer.stop()


class CrmNode(Node):
    """The framework hooks every CRM action has, from its :meth:`runtime` (``.store``, ``.writer``): open
    the store and start the writer after the fork, readiness, the outbox gauge, stopping the writers. The
    action's job kind in the outbox is its name."""

    def runtime(self, settings: Any) -> Any:
        """This process's runtime for ``settings`` (made, its writer started, on first use)."""
        raise NotImplementedError

    def stop_writers(self) -> None:
        """Stop every writer this process started."""
        raise NotImplementedError

    def load(self, settings: Any) -> None:
        """Open the store and start this process's writer (after gunicorn's fork). Idempotent."""
        self.runtime(settings)

    def ready(self, settings: Any) -> tuple[bool, str]:
        """Ready when the store answers and this process's writer runs."""
        return outbox_ready(lambda: self.runtime(settings))

    def outbox_depth(self, settings: Any) -> int:
        """How many of this action's writes are queued or running (the ``/metrics`` gauge); 0 if unknown."""
        try:
            return int(self.runtime(settings).store.depth(self.name))
        except StoreError:
            return 0

    def shutdown(self) -> None:
        self.stop_writers()
