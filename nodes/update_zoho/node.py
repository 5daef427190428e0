"""The update-zoho action: exactly-once Zoho CRM upserts, durable while Zoho is down."""

from __future__ import annotations

import logging
import re
from typing import Any

from nodes.core.crm import CrmNode, answer, queue_write
from nodes.core.node import Context, NodeError, Reply, Route
from nodes.core.outbox import job_view
from nodes.core.store import StoreError
from nodes.update_zoho.mapping import DEFAULT_DUPLICATE_CHECK, MappingError, check_record, map_sources, profile
from nodes.update_zoho.models import UpdateZohoInput, UpdateZohoOutput
from nodes.update_zoho.writer import KIND, account_of_options, missing_variables, runtime_for, shutdown_runtimes

log = logging.getLogger("tzomet.zoho")

MISSING_CREDENTIALS = (
    "Zoho is not configured: set ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET and ZOHO_REFRESH_TOKEN (a Zoho self-client "
    "with the ZohoCRM.modules.ALL and ZohoCRM.settings.ALL scopes); ZOHO_DC picks the data center. "
    "A dry_run works without them."
)
_JOB_ID = re.compile(r"^[0-9a-f]{32}$")


def get_job(settings: Any, job_id: str, tenant: str | None) -> dict[str, Any] | None:
    """The public view of job ``job_id`` (``GET /v1/jobs/<job_id>``), or ``None`` if ``tenant`` has none.

    A job belongs to the tenant whose call queued it: another tenant's job is ``None``
    (404), as if it did not exist.

    ``{"job_id", "status", "attempts", "last_error", "result", ...}``; ``result`` is the 200
    body for a succeeded job and ``{"detail", "errors"?}`` for a failed or dead one.
    Raises :class:`NodeError` 503 when the store is unavailable.
    """
    if not isinstance(job_id, str) or not _JOB_ID.match(job_id):
        return None
    try:
        job = runtime_for(settings).store.get(job_id)
    except StoreError:
        raise NodeError(503, "The job store is unavailable; try again shortly.") from None
    if job is None or job.tenant != tenant:  # any CRM action's job (update-zoho, update-hubspot)
        return None
    return job_view(job)


class UpdateZohoNode(CrmNode):
    """Upsert a Zoho CRM record (direct or mapped from other actions), with a note and tasks."""

    name = "update-zoho"
    title = "Update Zoho CRM"
    description = (
        "Create or update a Zoho CRM record (Leads, Contacts, Deals, Accounts) from Zoho field names or from "
        "classify-lead / summarize-conversation / extract-contract-fields outputs, with a note and a task. "
        "Exactly once per idempotency key; queued and retried (202) while Zoho is down or rate limiting."
    )
    Input = UpdateZohoInput
    Output = UpdateZohoOutput
    engine = "local"
    model = "zohocrmsdk8-0"
    model_version = "7.0.0"

    # --- framework hooks (the rest come from CrmNode) ---
    def runtime(self, settings: Any) -> Any:
        return runtime_for(settings)

    def stop_writers(self) -> None:
        shutdown_runtimes()

    def routes(self) -> list[Route]:
        """``GET /v1/jobs/<job_id>``: where a queued write stands."""
        return [Route("GET", "/v1/jobs/<job_id>", self._job, metric="jobs",
                      summary="Where a queued update-zoho write stands"),
                Route("POST", "/v1/jobs/<job_id>/retry", self._retry, metric="jobs_retry",
                      summary="Put a dead update-zoho write back in the queue")]

    @staticmethod
    def _job(ctx: Context, job_id: str) -> dict[str, Any]:
        job = get_job(ctx.settings, job_id, ctx.tenant)
        if job is None:
            raise NodeError(404, f"No job {job_id!r}.")
        return job

    @staticmethod
    def _retry(ctx: Context, job_id: str) -> dict[str, Any]:
        job = get_job(ctx.settings, job_id, ctx.tenant)
        if job is None:
            raise NodeError(404, f"No job {job_id!r}.")
        try:
            requeued = runtime_for(ctx.settings).store.requeue(job_id)
        except StoreError:
            raise NodeError(503, "The job store is unavailable; try again shortly.") from None
        if not requeued:
            raise NodeError(409, f"Job {job_id} is {job['status']}: only a dead job can be put back in the queue.")
        writer = runtime_for(ctx.settings).writer
        if writer is not None:
            writer.wake()
        return get_job(ctx.settings, job_id, ctx.tenant) or {}

    # --- the action ---
    def run(self, data: UpdateZohoInput, ctx: Context) -> UpdateZohoOutput | Reply:
        settings = ctx.settings
        options = ctx.options(KIND)
        module = data.module
        payload = self._payload(data, options)

        if data.dry_run:
            return self._dry_run(payload, settings)

        runtime = runtime_for(settings)
        account = account_of_options(options)
        missing = missing_variables(account)
        if missing:
            raise NodeError(503, f"This tenant's Zoho account is not configured: set {', '.join(missing)}.",
                            title="Zoho is not configured")
        if runtime.writer is None or (account == "default" and runtime.client is None):
            raise NodeError(503, MISSING_CREDENTIALS, title="Zoho is not configured")
        if account != "default":
            payload["account"] = account
        runtime.writer.start()  # no-op when running; restarts a writer that was stopped

        job, created = queue_write(ctx, KIND, payload, data, data.idempotency_key, runtime.store, runtime.writer,
                                   options)
        return answer(job, UpdateZohoOutput, "Zoho", {"module": module}, replayed=not created)

    # --- helpers ---
    @staticmethod
    def _payload(data: UpdateZohoInput, options: dict[str, Any]) -> dict[str, Any]:
        module = data.module
        record: dict[str, Any] = {}
        warnings: list[str] = []
        prof: dict[str, Any] = {}
        try:
            prof = profile(data.mapping, options)
        except MappingError as exc:
            if data.from_ is not None:
                raise NodeError(422, str(exc), errors=[{"loc": exc.loc, "msg": exc.msg}]) from None
        if data.from_ is not None:
            sources = data.from_.model_dump(exclude_none=True)
            record, warnings = map_sources(module, sources, prof)
        if data.record:
            record.update(data.record)
        if not record:
            raise NodeError(422, "Nothing to write: the mapping produced no fields.",
                            errors=[{"loc": "from", "msg": "no field could be mapped"}])
        configured = options.get("duplicate_check_fields")
        default_dup = (configured.get(module) if isinstance(configured, dict) else None) or \
            DEFAULT_DUPLICATE_CHECK[module]
        dup = list(data.duplicate_check_fields or default_dup)
        return {
            "module": module,
            "record": record,
            "mapped": data.from_ is not None,
            "fallback_field": prof.get("fallback_field", "Description") if prof else "Description",
            "duplicate_check_fields": dup,
            "note": data.note.model_dump(mode="json") if data.note else None,
            "tasks": [t.model_dump(mode="json") for t in ([data.task] if data.task else []) + (data.tasks or [])],
            "warnings": warnings,
        }

    @staticmethod
    def _dry_run(payload: dict[str, Any], settings: Any) -> UpdateZohoOutput:
        module = payload["module"]
        record = payload["record"]
        warnings = list(payload["warnings"])
        runtime = runtime_for(settings)
        if runtime.client is None:
            warnings.append("not checked against the org's fields: Zoho credentials are not configured")
        else:
            from nodes.update_zoho.zoho_sdk import ZohoError

            try:
                fields = runtime.client.fields(module)
                record, checked = check_record(module, record, fields, mapped=payload["mapped"],
                                               fallback_field=payload["fallback_field"])
                warnings.extend(checked)
            except ZohoError as exc:
                warnings.append(f"not checked against the org's fields: {exc.reason}")
        return UpdateZohoOutput(status="dry_run", module=module, record=record,
                                duplicate_check_fields=payload["duplicate_check_fields"], warnings=warnings)
