"""What a node (one action) is.

A node is a small object with a name, pydantic ``Input`` and ``Output`` models and a
``run(input, context)`` method. Everything HTTP (routes, batch, schema, OpenAPI, auth,
errors, metrics) and the CLI come from the registry in :mod:`nodes` — a node never
deals with Flask.

``Output`` models do *not* declare ``meta``: the framework adds it to every successful
output (and to the published output schema), so it is filled in one place.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field


class StrictModel(BaseModel):
    """Base for request models: unknown fields are an error that names the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class OutputModel(BaseModel):
    """Base for response models."""

    model_config = ConfigDict(extra="forbid")


class Built(dict[str, Any]):
    """An output a node assembled itself as JSON-ready data in the shape of its ``Output`` model.

    The HTTP path (:func:`nodes.runner.execute_json`) serialises it as it is: validating
    what the node has just built, field by field, costs a small action more than any of
    its own steps in a busy server. :func:`nodes.runner.execute` (the CLI, batches, the
    evals) still validates it into the model, and the node's tests check the HTTP output
    equals the validated model's. Only for outputs whose every value the node computes
    from checked data; anything else returns the model.
    """

    __slots__ = ()


class Meta(OutputModel):
    """Provenance of one output: which engine and model produced it, and how fast."""

    request_id: str
    engine: str = Field(description="local, llm or hybrid")
    model: str
    model_version: str
    latency_ms: float


class NodeError(Exception):
    """An error a node raises to answer with a problem+json.

    ``status`` is the HTTP status (422 for input the schema allowed but the node cannot
    use, 415 for an unsupported file type, 502/503/504 for upstreams). ``errors`` is a list
    of ``{"loc": "field.path", "msg": "..."}`` for validation-like problems.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        type_: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title
        self.errors = errors
        self.headers = headers or {}
        self.type = type_


@dataclass
class Context:
    """What a node may know about the call it is serving.

    ``settings`` is the tenant-resolved configuration (a :class:`nodes.config.Settings`),
    ``tenant`` the tenant name (``None`` when no keys are configured), ``now`` the time
    the request arrived. A node may set ``engine``/``model``/``model_version`` to say
    what produced this particular output; otherwise the node's defaults are used.
    ``headers`` holds the request headers (case-insensitive over HTTP, e.g. ``Idempotency-Key``);
    ``response_headers`` lets a node add headers to its answer; ``status`` lets a node
    answer 200 with another success status (e.g. 202 for a queued write).
    """

    #: 32 random hex digits, like ``uuid4().hex`` (without building a UUID on every request)
    request_id: str = field(default_factory=lambda: os.urandom(16).hex())
    settings: Any = None
    tenant: str | None = None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    headers: Any = field(default_factory=dict)  # Mapping[str, str] or werkzeug Headers (case-insensitive)
    engine: str | None = None
    model: str | None = None
    model_version: str | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    status: int = 200
    with_meta: bool = True


class Node:
    """Base class of every action.

    Subclasses set the class attributes and implement :meth:`run`. Optional hooks:
    :meth:`load` (load models once per process, called lazily and by ``/readyz``),
    :meth:`ready` (``(True, "")`` or ``(False, reason)``), :meth:`parse_body` (accept
    content types other than JSON), :meth:`evaluate` (score on gold data).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    Input: ClassVar[type[StrictModel]]
    Output: ClassVar[type[OutputModel]]
    #: content types besides JSON that :meth:`parse_body` understands
    extra_content_types: ClassVar[tuple[str, ...]] = ()
    #: request body limit in bytes for this action (``None``: the server default)
    max_body_bytes: ClassVar[int | None] = None
    engine: ClassVar[str] = "local"
    model: ClassVar[str] = "rules"
    model_version: ClassVar[str] = "0"

    def load(self, settings: Any) -> None:
        """Load models or connect to what the node needs. Idempotent."""

    def ready(self, settings: Any) -> tuple[bool, str]:
        """Whether the node can serve; ``(False, reason)`` makes ``/readyz`` answer 503."""
        return True, ""

    def parse_body(self, content_type: str, body: bytes, form: Any = None) -> dict[str, Any]:
        """Turn a non-JSON body of one of :attr:`extra_content_types` into input data.

        Raises :class:`NodeError` when the body cannot be used.
        """
        raise NodeError(415, f"{self.name} accepts application/json only")

    def run(self, data: Any, ctx: Context) -> OutputModel | Built:
        """Compute the output for one validated input. Raise :class:`NodeError` on failure."""
        raise NotImplementedError

    def evaluate(self, data_path: str | None = None) -> dict[str, Any]:
        """Score the node on its gold data; return a report dictionary."""
        raise NotImplementedError(f"{self.name} has no evaluation")
