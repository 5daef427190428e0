"""Request and response models of update-monday: update-zoho's envelope, with a board and its columns."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from nodes.core.crm import FromIn, NoteIn, TaskIn
from nodes.core.node import OutputModel, StrictModel

_COLUMN = re.compile(r"^[A-Za-z0-9_]{1,100}$")


class UpdateMondayInput(StrictModel):
    """Create or change one item on a Monday board (found by the write's key, phone or email column), with
    an update (a comment) on it."""

    board_id: str | None = Field(None, pattern=r"^\d{1,20}$",
                                 description="the board (default: the tenant's board_id option, else MONDAY_BOARD_ID)")
    name: str | None = Field(None, min_length=1, max_length=255, description="the item's name")
    record: dict[str, Any] | None = Field(
        None, description="column id -> value in Monday's format (direct form); wins over mapped values")
    from_: FromIn | None = Field(default=None, alias="from", description="mapped form: other actions' outputs")
    update: str | None = Field(None, min_length=1, max_length=20_000, description="an update (comment) on the item")
    note: NoteIn | None = Field(None, description="update-zoho's note: becomes the update (title, then text)")
    task: TaskIn | None = Field(None, description="Monday items have no tasks: listed in the update")
    tasks: list[TaskIn] | None = Field(None, max_length=20, description="listed in the update too")
    idempotency_key: str | None = Field(None, min_length=1, max_length=255,
                                        description="or the Idempotency-Key header")
    dry_run: bool = False

    @field_validator("record")
    @classmethod
    def _columns(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return value
        if len(value) > 100:
            raise ValueError("at most 100 columns")
        bad = [k for k in value if not _COLUMN.match(k)]
        if bad:
            raise ValueError(f"not Monday column ids: {', '.join(sorted(bad)[:5])}")
        return value

    @model_validator(mode="after")
    def _one_form(self) -> UpdateMondayInput:
        if not self.record and not self.name and self.from_ is None:
            raise ValueError("give record (Monday column ids) and a name, or from (other actions' outputs)")
        return self


class UpdateMondayOutput(OutputModel):
    """200: the write (or dry run) result. 202: ``status`` ``queued`` with ``job_id`` and ``reason``."""

    status: Literal["inserted", "updated", "dry_run", "queued"]
    board_id: str | None = None
    record_id: str | None = Field(default=None, description="the item's id")
    matched_on: str | None = Field(default=None, description="the column that found an existing item")
    update_id: str | None = None
    name: str | None = None
    record: dict[str, Any] | None = Field(default=None, description="the column values sent (or to be sent)")
    job_id: str | None = Field(default=None, description="GET /v1/jobs/<job_id> reports the write")
    reason: str | None = Field(default=None, description="why the write was queued")
    warnings: list[str] = Field(default_factory=list)
