"""update-hubspot's part of the outbox (:mod:`nodes.core.outbox`): how one queued write reaches HubSpot.

:class:`HubSpotHandler` upserts the contact or deal (:meth:`HubSpotClient.upsert`), then creates the
note and the tasks associated to it, saving each step's id as the job's progress so that a retry never
repeats it. A job names its account, never its token: ``default`` (``HUBSPOT_TOKEN``) or ``env:NAME``
(a tenant's ``token_env`` option: the token is read from that environment variable when the job runs).
"""

from __future__ import annotations

from typing import Any

from nodes.core.crm import Runtime, Runtimes, account_token
from nodes.core.outbox import Rejected, Save
from nodes.core.store import Job

from .hubspot_client import HubSpotClient, HubSpotConfig

KIND = "update-hubspot"
PRIORITIES = {"High": "HIGH", "Normal": "MEDIUM", "Low": "LOW"}


class HubSpotHandler:
    """Executes update-hubspot jobs; one client per account, made on first use."""

    def __init__(self, settings: Any, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        self._clients: dict[tuple[str, str], HubSpotClient] = {}

    def client(self, account: str) -> HubSpotClient:
        token = account_token(account, self.settings.hubspot_token)
        if not token:
            raise Rejected(502, "no HubSpot token", {"detail": f"HubSpot is not configured for account {account!r}: "
                                                               "set HUBSPOT_TOKEN (or the tenant's token_env)"})
        key = (account, token)
        if key not in self._clients:
            self._clients[key] = HubSpotClient(HubSpotConfig(
                token=token, api_url=self.settings.hubspot_api_url,
                key_property=str(self.options.get("key_property", "tzomet_key") or ""),
                connect_timeout_s=float(self.options.get("connect_timeout_s", 5)),
                read_timeout_s=float(self.options.get("read_timeout_s", 30))))
        return self._clients[key]

    def __call__(self, job: Job, save: Save) -> dict[str, Any]:
        payload = job.payload
        kind = str(payload["object"])
        client = self.client(str(payload.get("account") or "default"))
        progress = dict(job.progress)
        warnings = list(payload.get("warnings") or [])
        if "record_id" not in progress:
            key = payload.get("key") if client.config.key_property else None
            done = client.upsert(kind, payload["record"], key)
            progress.update(record_id=done.record_id, action=done.action, matched_on=done.matched_on)
            save(progress)
        target = [(kind, str(progress["record_id"]))]
        steps: list[tuple[str, str, dict[str, str]]] = []
        note = payload.get("note")
        if note:
            body = f"<b>{note['title']}</b><br>{note['content']}" if note.get("title") else note["content"]
            steps.append(("notes", "note_id", {"hs_timestamp": client.timestamp(), "hs_note_body": body}))
        for i, task in enumerate(payload.get("tasks") or []):
            props = {"hs_timestamp": client.timestamp(), "hs_task_subject": task["subject"],
                     "hs_task_priority": PRIORITIES.get(task.get("priority") or "Normal", "MEDIUM"),
                     "hs_task_status": "NOT_STARTED"}
            if task.get("due_date"):
                props["hs_timestamp"] = f"{task['due_date']}T09:00:00Z"
            steps.append(("tasks", _task_key(i), props))
        for step, key_name, props in steps:
            if key_name in progress:
                continue
            try:
                progress[key_name] = client.create(step, props, associate=target)
            except Rejected as exc:
                if exc.status != 422:
                    raise
                progress[key_name] = None
                warnings.append(f"the {step[:-1]} was not added: {exc.result.get('detail')}")
            save(progress)
        task_ids = [progress.get(_task_key(i)) for i in range(len(payload.get("tasks") or []))]
        return {"status": "inserted" if progress.get("action") == "insert" else "updated", "object": kind,
                "record_id": str(progress["record_id"]), "matched_on": progress.get("matched_on"),
                "note_id": progress.get("note_id"), "task_id": task_ids[0] if task_ids else None,
                "task_ids": task_ids, "record": payload["record"], "warnings": warnings}


def _task_key(index: int) -> str:
    return "task_id" if index == 0 else f"task_id.{index}"


RUNTIMES = Runtimes(KIND, HubSpotHandler, lambda settings: (settings.hubspot_api_url,))


def runtime_for(settings: Any) -> Runtime:
    """This process's runtime for ``settings`` (its writer started on first use)."""
    return RUNTIMES.get(settings)


def shutdown_runtimes() -> None:
    """Stop every writer of this process."""
    RUNTIMES.shutdown()
