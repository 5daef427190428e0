"""update-monday's part of the outbox (:mod:`nodes.core.outbox`): how one queued write reaches Monday.

:class:`MondayHandler` finds the item by the write's key column, then its phone and email columns, changes
it or creates it (with the key in the key column, so a retry after a timed-out create finds it), then
posts the update (comment), saving each step as the job's progress. A job names its account, never its
token: ``default`` (``MONDAY_TOKEN``) or ``env:NAME`` (a tenant's ``token_env`` option).
"""

from __future__ import annotations

from typing import Any

from nodes.core.crm import Runtime, Runtimes, account_token
from nodes.core.outbox import Rejected, Save
from nodes.core.store import Job

from .monday_client import MondayClient, MondayConfig

KIND = "update-monday"
DEFAULT_API_URL = "https://api.monday.com/v2"


class MondayHandler:
    """Executes update-monday jobs; one client per account."""

    def __init__(self, settings: Any, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        self._clients: dict[tuple[str, str], MondayClient] = {}

    def client(self, account: str) -> MondayClient:
        token = account_token(account, self.settings.monday_token)
        if not token:
            raise Rejected(502, "no Monday token", {"detail": f"Monday is not configured for account {account!r}: "
                                                              "set MONDAY_TOKEN (or the tenant's token_env)"})
        if (account, token) not in self._clients:
            self._clients[(account, token)] = MondayClient(MondayConfig(
                token=token, api_url=self.settings.monday_api_url or DEFAULT_API_URL,
                connect_timeout_s=float(self.options.get("connect_timeout_s", 5)),
                read_timeout_s=float(self.options.get("read_timeout_s", 30))))
        return self._clients[(account, token)]

    def __call__(self, job: Job, save: Save) -> dict[str, Any]:
        payload = job.payload
        client = self.client(str(payload.get("account") or "default"))
        board = str(payload["board_id"])
        progress = dict(job.progress)
        if "record_id" not in progress:
            done = client.upsert(board, payload["name"], payload["record"],
                                 [tuple(pair) for pair in payload.get("lookups") or []])
            progress.update(record_id=done.record_id, action=done.action, matched_on=done.matched_on)
            save(progress)
        warnings = list(payload.get("warnings") or [])
        if payload.get("update") and "update_id" not in progress:
            try:
                progress["update_id"] = client.comment(progress["record_id"], payload["update"])
            except Rejected as exc:
                if exc.status != 422:
                    raise
                progress["update_id"] = None
                warnings.append(f"the update was not added: {exc.result.get('detail')}")
            save(progress)
        return {"status": "inserted" if progress.get("action") == "insert" else "updated", "board_id": board,
                "record_id": progress["record_id"], "matched_on": progress.get("matched_on"),
                "update_id": progress.get("update_id"), "name": payload["name"], "record": payload["record"],
                "warnings": warnings}


RUNTIMES = Runtimes(KIND, MondayHandler, lambda settings: (settings.monday_api_url,))


def runtime_for(settings: Any) -> Runtime:
    """This process's runtime for ``settings`` (its writer started on first use)."""
    return RUNTIMES.get(settings)


def shutdown_runtimes() -> None:
    """Stop every writer of this process."""
    RUNTIMES.shutdown()
