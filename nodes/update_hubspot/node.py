"""The update-hubspot action: exactly-once HubSpot upserts, durable while HubSpot is down.

The same envelope as update-zoho (``record`` in HubSpot's property names or the mapped form ``from``,
``note``, ``task``/``tasks``, ``idempotency_key``, ``dry_run``) with ``object`` (``contacts`` or
``deals``); the same answers (200 inserted/updated, 202 queued with a ``job_id``). The write goes
through the shared outbox (:mod:`nodes.core.outbox`), its HubSpot part in :mod:`.writer`.
"""

from __future__ import annotations

import logging
from typing import Any

from nodes.core.crm import CrmNode, account_for, account_token, answer, idempotency_key, queue_write, record_key
from nodes.core.mapping import MappingError, map_sources, profile
from nodes.core.node import Context, NodeError, Reply

from .models import UpdateHubspotInput, UpdateHubspotOutput
from .writer import KIND, runtime_for, shutdown_runtimes

log = logging.getLogger("tzomet.hubspot")

#: HubSpot's words for the logical values of a mapping profile (see nodes.core.mapping)
DEFAULT_PROFILE: dict[str, Any] = {
    "fields": {"first_name": "firstname", "last_name": "lastname", "phone": "phone", "email": "email",
               "company": "company", "channel": None, "temperature": None, "category": None, "urgency": None,
               "lead_score": None, "description": "message", "amount": "amount"},
    "name_field": {"Deals": "dealname"},
    "channel_values": {},
    "temperature_values": {},
    "fallback_field": "message",
    "placeholder_name": "ליד {source} {contact}",
    "defaults": {"Deals": {"pipeline": "default", "dealstage": "appointmentscheduled"}},
    "labels": {
        "category": "קטגוריה", "urgency": "דחיפות", "temperature": "טמפרטורה", "lead_score": "ציון ליד",
        "handoff": "נדרש נציג", "key_points": "נקודות עיקריות", "customer_requests": "בקשות הלקוח",
        "action_items": "משימות", "contract": "חוזה", "parties": "צדדים", "source": "מקור",
        "unknown_source": "חדש", "no_contact": "ללא פרטי קשר",
    },
}
MISSING_TOKEN = ("HubSpot is not configured: set HUBSPOT_TOKEN (a private app's access token with the "
                 "crm.objects.contacts and crm.objects.deals read/write scopes), or the tenant's token_env. "
                 "A dry_run works without it.")
_ROLE = {"contacts": "Contacts", "deals": "Deals"}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class UpdateHubspotNode(CrmNode):
    """Upsert a HubSpot contact or deal (direct or mapped from other actions), with a note and tasks."""

    name = "update-hubspot"
    title = "Update HubSpot"
    description = (
        "Create or update a HubSpot contact or deal from HubSpot property names or from classify-lead / "
        "summarize-conversation / extract-contract-fields outputs, with a note and tasks associated to it. "
        "Exactly once per idempotency key; queued and retried (202) while HubSpot is down or rate limiting."
    )
    Input = UpdateHubspotInput
    Output = UpdateHubspotOutput
    engine = "local"
    model = "hubspot-api-client"
    model_version = "12"

    def runtime(self, settings: Any) -> Any:
        return runtime_for(settings)

    def stop_writers(self) -> None:
        shutdown_runtimes()

    def run(self, data: UpdateHubspotInput, ctx: Context) -> Reply:
        options = ctx.options(KIND)
        record, warnings = self._record(data, options)
        if data.dry_run:
            return Reply(UpdateHubspotOutput(status="dry_run", object=data.object, record=record, warnings=warnings))
        account = account_for(options)
        if not account_token(account, ctx.settings.hubspot_token):
            raise NodeError(503, MISSING_TOKEN, title="HubSpot is not configured")
        key = idempotency_key(data.idempotency_key, ctx)
        payload = {
            "object": data.object, "account": account, "record": record, "warnings": warnings,
            # the record's own unique key in HubSpot (tzomet_key): a retry's second create is a 409, not a twin
            "key": record_key(ctx.tenant, key),
            "note": data.note.model_dump(mode="json") if data.note else None,
            "tasks": [t.model_dump(mode="json") for t in ([data.task] if data.task else []) + (data.tasks or [])],
        }
        runtime = runtime_for(ctx.settings)
        runtime.writer.start()
        job, created = queue_write(ctx, KIND, payload, data, key, runtime.store, runtime.writer, options)
        return answer(job, UpdateHubspotOutput, "HubSpot", {"object": data.object}, replayed=not created)

    @staticmethod
    def _record(data: UpdateHubspotInput, options: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
        record: dict[str, Any] = {}
        warnings: list[str] = []
        if data.from_ is not None:
            try:
                prof = profile(data.mapping, options, DEFAULT_PROFILE)
            except MappingError as exc:
                raise NodeError(422, str(exc), errors=[{"loc": exc.loc, "msg": exc.msg}]) from None
            if data.object == "deals" and prof["fields"].get("description") == "message":
                prof["fields"]["description"] = "description"  # a deal's text property
            record, warnings = map_sources(_ROLE[data.object], data.from_.model_dump(exclude_none=True), prof)
        if data.record:
            record.update(data.record)
        record = {k: _text(v) for k, v in record.items() if v is not None and v != ""}
        if not record:
            raise NodeError(422, "Nothing to write: the mapping produced no properties.",
                            errors=[{"loc": "from", "msg": "no property could be mapped"}])
        return record, warnings
