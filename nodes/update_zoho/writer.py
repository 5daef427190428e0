"""update-zoho's part of the outbox (:mod:`nodes.core.outbox`): how one queued write reaches Zoho.

:class:`ZohoHandler` upserts the record (keyed by the duplicate check fields), then adds the note
and the tasks, saving each step's id as the job's progress so a retry never repeats it, and turns
the SDK's errors into the outbox's: Zoho's rejection (422-like) or refused credentials are
:class:`~nodes.core.outbox.Rejected`; timeouts, connection errors, 429 and 5xx are
:class:`~nodes.core.outbox.Transient` (Zoho's ``Retry-After`` respected).

All SDK calls of one Zoho org happen one at a time, on its lane of the writer (the SDK's advice); a dry run's
metadata read is the only other caller and takes the client's lock.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodes.core.outbox import OutboxOptions, Rejected, Save, Transient, Writer
from nodes.core.store import Job, Store, open_store
from nodes.update_zoho.mapping import check_record

log = logging.getLogger("tzomet.zoho")

KIND = "update-zoho"
#: the custom field that makes a timed-out insert's retry find its record (see :meth:`ZohoHandler.keyed`)
KEY_FIELD = "Tzomet_Key"
NO_KEY_FIELD = ("has no email or phone to be found by, and {module} has no unique field {field}: if Zoho's answer "
                "is lost after it stored the record, the retry creates a second one (docs/update-zoho.md, "
                "Exactly once)")


@dataclass(frozen=True)
class ZohoOptions:
    """How the Zoho client connects and what it reads ahead (``actions.update-zoho`` options)."""

    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    fields_ttl_s: float = 3600.0
    warm_modules: tuple[str, ...] = ("Leads",)
    #: a unique single-line custom field that carries each job's id (``""``: none)
    key_field: str = KEY_FIELD

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ZohoOptions:
        """Build from the action options, ignoring keys that are not the client's."""
        values: dict[str, Any] = {}
        for name, default in cls.__dataclass_fields__.items():
            raw = options.get(name)
            if raw is None:
                continue
            try:
                if name == "warm_modules":
                    values[name] = tuple(str(m) for m in raw)
                elif name == "key_field":
                    values[name] = str(raw)
                else:
                    values[name] = max(0.0, float(raw))
            except (TypeError, ValueError):
                log.warning("update-zoho option %s=%r is not valid; using the default %s", name, raw, default.default)
        return cls(**values)


#: a tenant's own Zoho org: the names of the variables holding its secrets, and where it is
ACCOUNT_KEYS = ("client_id_env", "client_secret_env", "refresh_token_env", "dc", "api_url", "accounts_url")


def account_of_options(options: dict[str, Any]) -> str:
    """The Zoho account a tenant's writes go to: ``default`` (the ``ZOHO_*`` variables), or, with a
    ``client_id_env`` option, ``env:`` and the names of its variables and its data centre — never a secret."""
    if not options.get("client_id_env"):
        return "default"
    return "env:" + json.dumps({k: options.get(k) for k in ACCOUNT_KEYS if options.get(k)}, sort_keys=True)


def missing_variables(account: str) -> list[str]:
    """The variables a tenant account names that are not set (empty for ``default``)."""
    if not account.startswith("env:"):
        return []
    spec = json.loads(account[4:])
    names = [spec.get(k) for k in ("client_id_env", "client_secret_env", "refresh_token_env")]
    return [str(n) if n else f"<{k}>" for n, k in zip(names, ("client_id_env", "client_secret_env",
                                                               "refresh_token_env"), strict=True)
            if not n or not os.environ.get(str(n))]


class ZohoHandler:
    """Executes one update-zoho job with its account's Zoho client (see the module docstring)."""

    def __init__(self, client: Any, settings: Any = None, zoho: ZohoOptions | None = None,
                 store: Store | None = None) -> None:
        self.client = client
        self.settings, self.zoho, self.store = settings, zoho or ZohoOptions(), store

    def client_for(self, account: str) -> Any:
        """The default client, or a tenant org's (its secrets read from its variables when the job runs)."""
        if account == "default" or not account.startswith("env:"):
            if self.client is None:
                raise Rejected(502, "Zoho is not configured", {"detail": "Zoho is not configured: set ZOHO_CLIENT_ID, "
                                                                         "ZOHO_CLIENT_SECRET and ZOHO_REFRESH_TOKEN"})
            return self.client
        missing = missing_variables(account)
        if missing:
            raise Rejected(502, "Zoho account not configured",
                           {"detail": f"the tenant's Zoho account needs {', '.join(missing)} set"})
        from nodes.update_zoho.zoho_sdk import ZohoConfig, client_for

        spec = json.loads(account[4:])
        config = ZohoConfig(
            client_id=os.environ[spec["client_id_env"]], client_secret=os.environ[spec["client_secret_env"]],
            refresh_token=os.environ[spec["refresh_token_env"]], dc=str(spec.get("dc") or "us"),
            api_url=spec.get("api_url"), accounts_url=spec.get("accounts_url"),
            connect_timeout_s=self.zoho.connect_timeout_s, read_timeout_s=self.zoho.read_timeout_s,
            fields_ttl_s=self.zoho.fields_ttl_s, resource_dir=Path(self.settings.data_dir) / "zoho-sdk")
        assert self.store is not None
        return client_for(config, self.store)

    def keyed(self, job_id: str, module: str, record: dict[str, Any], duplicate_check: list[str],
              fields: dict[str, Any], warnings: list[str]) -> tuple[dict[str, Any], list[str]]:
        """The record and duplicate check fields the upsert sends.

        Zoho stores a record and its answer can still be lost (a timeout): the job's retry then
        upserts again and finds the record by its duplicate check fields. With no email or phone
        there is nothing to find it by — so when the module has the unique field ``key_field``
        (``Tzomet_Key``), the record carries the job's id in it and the upsert checks it last.
        Without that field such a record gets a warning instead.
        """
        name = self.zoho.key_field
        if name and getattr(fields.get(name), "unique", False):
            return {**record, name: job_id}, [*duplicate_check, name]
        if not any(record.get(f) not in (None, "") for f in duplicate_check):
            warnings.append(NO_KEY_FIELD.format(module=module, field=name or "(key_field is off)"))
        return record, duplicate_check

    def __call__(self, job: Job, save: Save) -> dict[str, Any]:
        from nodes.update_zoho.zoho_sdk import ZohoAuthError, ZohoRejected, ZohoTransient

        payload = job.payload
        client = self.client_for(str(payload.get("account") or "default"))
        module = str(payload.get("module") or "Leads")
        progress = dict(job.progress)
        warnings: list[str] = list(payload.get("warnings") or [])
        try:
            if "record_id" not in progress:
                fields = client.fields(module)
                record, checked = check_record(module, payload.get("record") or {}, fields,
                                               mapped=bool(payload.get("mapped")),
                                               fallback_field=payload.get("fallback_field"))
                record, dup = self.keyed(job.id, module, record, list(payload.get("duplicate_check_fields") or []),
                                         fields, checked)
                result = client.upsert(module, record, dup)
                progress.update(record_id=result.record_id, action=result.action,
                                duplicate_field=result.duplicate_field, record=record, warnings=checked)
                save(progress)
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
                        progress[key] = client.add_note(module, progress["record_id"], spec.get("title"),
                                                             spec["content"])
                    else:
                        task = {"Subject": spec["subject"], "Priority": spec.get("priority") or "Normal"}
                        if spec.get("due_date"):
                            task["Due_Date"] = spec["due_date"]
                        progress[key] = client.add_task(module, progress["record_id"], task)
                except ZohoRejected as exc:
                    progress[key] = None
                    progress.setdefault("warnings", []).append(
                        f"the {step} was not added: {'; '.join(e['msg'] for e in exc.errors)}")
                    warnings.append(progress["warnings"][-1])
                save(progress)
        except ZohoRejected as exc:
            raise Rejected(422, exc.code, {"detail": f"Zoho rejected the {module} record ({exc.reason})",
                                           "errors": exc.errors, "code": exc.code}) from None
        except ZohoAuthError as exc:
            raise Rejected(502, exc.reason, {"detail": exc.reason}) from None
        except ZohoTransient as exc:
            raise Transient(exc.reason, exc.retry_after, 504 if exc.timeout else 502) from None
        task_ids = [progress.get(_task_key(i)) for i in range(len(tasks))]
        return {
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
    options: OutboxOptions


_RUNTIMES: dict[tuple[Any, ...], Runtime] = {}
_RUNTIMES_LOCK = threading.Lock()


def _zoho_ready(settings: Any) -> bool:
    return bool(settings.zoho_client_id and settings.zoho_client_secret and settings.zoho_refresh_token)


def _tenant_accounts(settings: Any) -> bool:
    """Whether any tenant writes to its own Zoho org (a ``client_id_env`` option)."""
    return any(settings.action_options(KIND, t.name).get("client_id_env") for t in settings.tenants)


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
        action_options = settings.action_options(KIND, None)
        options, zoho = OutboxOptions.from_options(action_options), ZohoOptions.from_options(action_options)
        store = open_store(settings.database_url)
        client = writer = None
        if _zoho_ready(settings):
            from nodes.update_zoho.zoho_sdk import ZohoConfig, client_for

            config = ZohoConfig(
                client_id=settings.zoho_client_id, client_secret=settings.zoho_client_secret,
                refresh_token=settings.zoho_refresh_token, dc=settings.zoho_dc, api_url=settings.zoho_api_url,
                accounts_url=settings.zoho_accounts_url, connect_timeout_s=zoho.connect_timeout_s,
                read_timeout_s=zoho.read_timeout_s, fields_ttl_s=zoho.fields_ttl_s,
                resource_dir=Path(settings.data_dir) / "zoho-sdk",
            )
            client = client_for(config, store)
        if client is not None or _tenant_accounts(settings):
            zoho_client = client
            writer = Writer(store, KIND, ZohoHandler(client, settings, zoho, store), options,
                            warm=(lambda: zoho_client.warm(list(zoho.warm_modules))) if zoho_client else None)
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
