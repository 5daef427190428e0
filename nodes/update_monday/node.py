"""The update-monday action: exactly-once Monday.com board items, durable while Monday is down.

The same envelope as update-zoho (``record`` in the board's column ids or the mapped form ``from``,
``idempotency_key``, ``dry_run``) with ``board_id``, the item's ``name`` and ``update`` (a comment on the
item) for the note; the same answers (200 inserted/updated, 202 queued with a ``job_id``). Which column is
the phone, the email, the status, the long text and the write's key is the tenant's ``columns`` option.
"""

from __future__ import annotations

from typing import Any

from nodes.core.crm import CrmNode, account_for, account_token, answer, idempotency_key, queue_write, record_key
from nodes.core.mapping import MappingError, map_sources, profile
from nodes.core.node import Context, NodeError, Reply

from .models import UpdateMondayInput, UpdateMondayOutput
from .writer import KIND, runtime_for, shutdown_runtimes

#: the board's columns for each logical value (a tenant's ``columns`` option overrides any of them)
DEFAULT_COLUMNS = {"phone": "phone", "email": "email", "status": "status", "text": "long_text",
                   "key": "tzomet_key"}
#: the mapping profile: logical values kept under their own names, then laid on the board's columns
PROFILE: dict[str, Any] = {
    "fields": {"first_name": "first_name", "last_name": "last_name", "phone": "phone", "email": "email",
               "company": None, "channel": None, "temperature": None, "category": "category", "urgency": None,
               "lead_score": None, "description": "description"},
    "name_field": {"Deals": "name"},
    "channel_values": {}, "temperature_values": {}, "defaults": {},
    "placeholder_name": "ליד {source} {contact}",
    "labels": {"category": "קטגוריה", "urgency": "דחיפות", "temperature": "טמפרטורה", "lead_score": "ציון ליד",
               "handoff": "נדרש נציג", "key_points": "נקודות עיקריות", "customer_requests": "בקשות הלקוח",
               "action_items": "משימות", "contract": "חוזה", "parties": "צדדים", "source": "מקור",
               "unknown_source": "חדש", "no_contact": "ללא פרטי קשר"},
}
MISSING = ("Monday is not configured: set MONDAY_TOKEN (a personal API token, or the tenant's token_env) and "
           "MONDAY_BOARD_ID (or the request's board_id). A dry_run works without them.")


def columns_of(options: dict[str, Any]) -> dict[str, str]:
    """The board's column ids for phone, email, status, long text and the key."""
    configured = options.get("columns")
    return {**DEFAULT_COLUMNS, **(configured if isinstance(configured, dict) else {})}


class UpdateMondayNode(CrmNode):
    """Create or change an item on a Monday board (direct or mapped from other actions), with an update."""

    name = "update-monday"
    title = "Update Monday.com"
    description = (
        "Create or change an item on a Monday.com board from the board's column ids or from classify-lead / "
        "summarize-conversation / extract-contract-fields outputs, with an update (comment) on it. Exactly once "
        "per idempotency key; queued and retried (202) while Monday is down or rate limiting."
    )
    Input = UpdateMondayInput
    Output = UpdateMondayOutput
    engine = "local"
    model = "monday-graphql"
    model_version = "2024-10"

    def runtime(self, settings: Any) -> Any:
        return runtime_for(settings)

    def stop_writers(self) -> None:
        shutdown_runtimes()

    def run(self, data: UpdateMondayInput, ctx: Context) -> Reply:
        options = ctx.options(KIND)
        columns = columns_of(options)
        name, record, warnings = self._item(data, columns)
        board = data.board_id or str(options.get("board_id") or ctx.settings.monday_board_id or "")
        if data.dry_run:
            return Reply(UpdateMondayOutput(status="dry_run", board_id=board or None, name=name, record=record,
                                            warnings=warnings))
        account = account_for(options)
        if not account_token(account, ctx.settings.monday_token) or not board:
            raise NodeError(503, MISSING, title="Monday is not configured")
        key = idempotency_key(data.idempotency_key, ctx)
        scoped = record_key(ctx.tenant, key)
        if columns.get("key"):
            record = {**record, columns["key"]: scoped}
        lookups = [(columns["key"], scoped)] if columns.get("key") else []
        for logical in ("phone", "email"):
            value = record.get(columns[logical])
            text = value.get(logical) if isinstance(value, dict) else value
            if text:
                lookups.append((columns[logical], str(text)))
        payload = {"board_id": board, "account": account, "name": name, "record": record, "lookups": lookups,
                   "update": self._update(data, warnings), "warnings": warnings}
        runtime = runtime_for(ctx.settings)
        runtime.writer.start()
        job, created = queue_write(ctx, KIND, payload, data, key, runtime.store, runtime.writer, options)
        return answer(job, UpdateMondayOutput, "Monday", {"board_id": board}, replayed=not created)

    @staticmethod
    def _update(data: UpdateMondayInput, warnings: list[str]) -> str | None:
        """The update's text: ``update``, else update-zoho's note (title, then text); tasks listed under it
        (a Monday item has no tasks of its own), so the shipped workflows' bodies work unchanged."""
        parts = [data.update] if data.update else []
        if data.note is not None and not data.update:
            parts.append(f"{data.note.title}\n{data.note.content}" if data.note.title else data.note.content)
        tasks = ([data.task] if data.task else []) + (data.tasks or [])
        if tasks:
            parts.append("\n".join(f"☐ {t.subject}" + (f" ({t.due_date.isoformat()})" if t.due_date else "")
                                   for t in tasks))
            warnings.append(f"Monday items have no tasks: {len(tasks)} listed in the update")
        return "\n\n".join(parts) or None

    @staticmethod
    def _item(data: UpdateMondayInput, columns: dict[str, str]) -> tuple[str, dict[str, Any], list[str]]:
        """The item's name and column values (Monday's formats), and warnings."""
        record: dict[str, Any] = {}
        warnings: list[str] = []
        name = data.name
        if data.from_ is not None:
            role = "Deals" if data.from_.contract else "Leads"  # a contract names the item after itself
            try:
                logical, warnings = map_sources(role, data.from_.model_dump(exclude_none=True),
                                                profile("default", {}, PROFILE))
            except MappingError as exc:
                raise NodeError(422, str(exc), errors=[{"loc": exc.loc, "msg": exc.msg}]) from None
            full = " ".join(str(logical[k]) for k in ("first_name", "last_name") if logical.get(k))
            name = name or logical.get("name") or full or None
            if logical.get("phone"):
                record[columns["phone"]] = {"phone": str(logical["phone"]), "countryShortName": "IL"}
            if logical.get("email"):
                record[columns["email"]] = {"email": str(logical["email"]), "text": str(logical["email"])}
            if logical.get("category") and columns.get("status"):
                record[columns["status"]] = {"label": str(logical["category"])}
            if logical.get("description") and columns.get("text"):
                record[columns["text"]] = {"text": str(logical["description"])}
        if data.record:
            record.update(data.record)
        if not name:
            raise NodeError(422, "The item needs a name: give name, or a contact's name in from.",
                            errors=[{"loc": "name", "msg": "field required"}])
        return name, record, warnings
