"""Request and response models of update-zoho (the single source of its JSON Schemas)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from nodes.core.crm import Channel, ContactIn, FromIn, NoteIn, TaskIn
from nodes.core.node import OutputModel, StrictModel

__all__ = ["Channel", "ContactIn", "FromIn", "NoteIn", "TaskIn", "UpdateZohoInput", "UpdateZohoOutput"]

Module = Literal["Leads", "Contacts", "Deals", "Accounts"]
_API_NAME = r"^[A-Za-z][A-Za-z0-9_]{0,99}$"


class UpdateZohoInput(StrictModel):
    """Create or update one Zoho CRM record (upsert), with an optional note and task."""

    module: Module = "Leads"
    record: dict[str, Any] | None = Field(
        None, description="Zoho field API name -> value (direct form); wins over mapped values")
    from_: FromIn | None = Field(default=None, alias="from", description="mapped form: other actions' outputs")
    mapping: str = Field("default", min_length=1, max_length=100, description="mapping profile name")
    duplicate_check_fields: list[str] | None = Field(
        None, min_length=1, max_length=10, description="fields that identify an existing record, in order")
    note: NoteIn | None = None
    task: TaskIn | None = None
    tasks: list[TaskIn] | None = Field(
        None, max_length=20,
        description="more tasks linked to the record (e.g. one per action item of a conversation summary)")
    idempotency_key: str | None = Field(
        None, min_length=1, max_length=255, description="or the Idempotency-Key header")
    dry_run: bool = False

    @field_validator("record")
    @classmethod
    def _record_keys(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        import re

        if value is None:
            return value
        if len(value) > 200:
            raise ValueError("at most 200 fields")
        bad = [k for k in value if not re.match(_API_NAME, k)]
        if bad:
            raise ValueError(f"not Zoho field API names: {', '.join(sorted(bad)[:5])}")
        return value

    @field_validator("duplicate_check_fields")
    @classmethod
    def _dup_names(cls, value: list[str] | None) -> list[str] | None:
        import re

        if value is not None:
            bad = [k for k in value if not re.match(_API_NAME, k)]
            if bad:
                raise ValueError(f"not Zoho field API names: {', '.join(bad[:5])}")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> UpdateZohoInput:
        if not self.record and self.from_ is None:
            raise ValueError("give record (Zoho field API names) or from (other actions' outputs)")
        return self


class UpdateZohoOutput(OutputModel):
    """200: the write (or dry run) result. 202: ``status`` ``queued`` with ``job_id`` and ``reason``."""

    status: Literal["inserted", "updated", "dry_run", "queued"]
    module: str | None = None
    record_id: str | None = None
    duplicate_field: str | None = Field(default=None, description="the field that matched an existing record")
    note_id: str | None = None
    task_id: str | None = Field(default=None, description="the first task's id")
    task_ids: list[str | None] = Field(
        default_factory=list, description="every task's id, in order (`task` first, then `tasks`); null if refused")
    record: dict[str, Any] | None = Field(default=None, description="the fields sent (or, for a dry run, to be sent)")
    job_id: str | None = Field(default=None, description="GET /v1/jobs/<job_id> reports the write")
    reason: str | None = Field(default=None, description="why the write was queued")
    duplicate_check_fields: list[str] | None = None
    warnings: list[str] = Field(default_factory=list)
