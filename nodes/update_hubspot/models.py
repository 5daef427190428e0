"""Request and response models of update-hubspot: update-zoho's envelope, with HubSpot's objects."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from nodes.core.crm import FromIn, NoteIn, TaskIn
from nodes.core.node import OutputModel, StrictModel

_PROPERTY = re.compile(r"^[a-z][a-z0-9_]{0,99}$")


class UpdateHubspotInput(StrictModel):
    """Create or update one HubSpot contact or deal (found by email, phone or the write's key), with a note
    and tasks associated to it."""

    object: Literal["contacts", "deals"] = "contacts"
    record: dict[str, Any] | None = Field(
        None, description="HubSpot property internal name -> value (direct form); wins over mapped values")
    from_: FromIn | None = Field(default=None, alias="from", description="mapped form: other actions' outputs")
    mapping: str = Field("default", min_length=1, max_length=100, description="mapping profile name")
    note: NoteIn | None = None
    task: TaskIn | None = None
    tasks: list[TaskIn] | None = Field(None, max_length=20, description="more tasks associated to the record")
    idempotency_key: str | None = Field(None, min_length=1, max_length=255,
                                        description="or the Idempotency-Key header")
    dry_run: bool = False

    @field_validator("record")
    @classmethod
    def _names(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        if len(value) > 200:
            raise ValueError("at most 200 properties")
        bad = [k for k in value if not _PROPERTY.match(k)]
        if bad:
            raise ValueError(f"not HubSpot property internal names: {', '.join(sorted(bad)[:5])}")
        wrong = [k for k, v in value.items() if v is not None and not isinstance(v, str | int | float | bool)]
        if wrong:
            raise ValueError(f"a property value is text, a number or a boolean: {', '.join(sorted(wrong)[:5])}")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> UpdateHubspotInput:
        if not self.record and self.from_ is None:
            raise ValueError("give record (HubSpot property names) or from (other actions' outputs)")
        return self


class UpdateHubspotOutput(OutputModel):
    """200: the write (or dry run) result. 202: ``status`` ``queued`` with ``job_id`` and ``reason``."""

    status: Literal["inserted", "updated", "dry_run", "queued"]
    object: str | None = None
    record_id: str | None = None
    matched_on: str | None = Field(default=None, description="email, phone or tzomet_key: how it was found")
    note_id: str | None = None
    task_id: str | None = Field(default=None, description="the first task's id")
    task_ids: list[str | None] = Field(default_factory=list, description="every task's id, in order")
    record: dict[str, Any] | None = Field(default=None, description="the properties sent (or to be sent)")
    job_id: str | None = Field(default=None, description="GET /v1/jobs/<job_id> reports the write")
    reason: str | None = Field(default=None, description="why the write was queued")
    warnings: list[str] = Field(default_factory=list)
