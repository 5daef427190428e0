"""What a node (one action) is: the contract between the framework and every action.

A node is a small object with a name, pydantic ``Input`` and ``Output`` models and a
``run(input, ctx) -> Output`` method. Everything HTTP (routes, batch, schema, OpenAPI,
auth, errors, metrics) and the CLI come from the registry (:mod:`nodes.core.registry`):
a node never deals with Flask.

``ctx`` (:class:`Context`) is read-only and the node's own for one call. A node that wants
to say more than its output (which model version answered, a 202 status, a response
header) returns a :class:`Reply` around it. ``Output`` models do *not* declare ``meta``:
the runner adds it to every successful output (and to the published output schema) from
the node's class attributes and its :class:`Reply`, so it is filled in one place.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field

from nodes.core.config import Settings


class StrictModel(BaseModel):
    """Base for request models: unknown fields are an error that names the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class OutputModel(BaseModel):
    """Base for response models."""

    model_config = ConfigDict(extra="forbid")


class Meta(OutputModel):
    """Provenance of one output: which engine and model produced it, and how fast."""

    request_id: str
    engine: str = Field(description="local, llm or hybrid")
    model: str
    model_version: str
    latency_ms: float
    llm: dict[str, Any] | None = Field(
        default=None, description="only when an LLM was asked: model, tokens_in, tokens_out, latency_ms and "
                                  "prompt, or error (why the local engine answered instead)")


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


TIME_BUDGET_TYPE = "urn:tzomet:problem:time-budget"


class Deadline:
    """The time budget of one request, started when it is created.

    Cooperative: Python cannot stop a running function, so the long loops (pages,
    paragraphs, messages, patterns) call :meth:`check` and the request ends with a 422
    problem once the budget is spent.
    """

    __slots__ = ("_ends", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Deadline:
        """A deadline of ``settings.request_budget_s`` (the default settings' when ``None``)."""
        return cls((settings or Settings()).request_budget_s)

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g} s, {self.remaining():.3f} s left)"

    def remaining(self) -> float:
        """Seconds left (0 once expired)."""
        return max(0.0, self._ends - time.monotonic())

    def expired(self) -> bool:
        """Whether the budget is spent."""
        return time.monotonic() >= self._ends

    def check(self) -> None:
        """Raise a 422 :class:`NodeError` once the budget is spent; return at once otherwise."""
        if time.monotonic() >= self._ends:
            raise NodeError(
                422,
                f"The request took longer than the {self.seconds:g} s budget (TZOMET_REQUEST_BUDGET_S) and was "
                "stopped; send a shorter document or fewer custom fields.",
                title="Time budget exceeded",
                type_=TIME_BUDGET_TYPE,
            )


@dataclass(frozen=True)
class Context:
    """What a node may know about the call it is serving; read-only, one per call.

    ``settings`` is the process configuration (a :class:`nodes.core.config.Settings`;
    ``settings.action_options(name, tenant)`` gives a tenant's options), ``tenant`` the
    tenant name (``None`` when no keys are configured), ``now`` the time the request
    arrived, ``headers`` the request headers (case-insensitive over HTTP, e.g.
    ``Idempotency-Key``), ``deadline`` the request's time budget
    (``settings.request_budget_s``, from when the context was made; the actions it calls
    share it).
    """

    #: 32 random hex digits, like ``uuid4().hex`` (without building a UUID on every request)
    request_id: str = field(default_factory=lambda: os.urandom(16).hex())
    settings: Any = None
    tenant: str | None = None
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    #: a ``Mapping[str, str]``, or werkzeug's case-insensitive ``Headers`` over HTTP
    headers: Any = field(default_factory=dict)
    #: given when calls share one budget (the items of a batch); made from ``settings`` otherwise
    deadline: Deadline = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.deadline is None:
            object.__setattr__(self, "deadline", Deadline.from_settings(self.settings))

    def options(self, action: str) -> dict[str, Any]:
        """The options of ``action`` for this call's tenant (empty without settings)."""
        return self.settings.action_options(action, self.tenant) if self.settings is not None else {}


@dataclass(frozen=True)
class Reply:
    """An output and what the node reports about it; ``run`` may return one instead of the bare output.

    ``model``/``model_version``/``engine`` say what produced this output when it is not
    the node's default (a tenant's model, a per-request label set); the runner puts them
    in ``meta``. ``status`` answers another success status (202 for a queued write) and
    ``headers`` adds response headers.
    """

    output: OutputModel
    model: str | None = None
    model_version: str | None = None
    engine: str | None = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    #: more ``meta`` fields (``llm`` when an LLM was asked)
    meta_extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    """An extra HTTP route a node serves (``GET /v1/jobs/<job_id>`` for update-zoho).

    ``handler(ctx, **path_params)`` returns the JSON body, or raises :class:`NodeError`
    (404 when there is nothing to show *this* caller). The caller is authenticated and
    authorised for the node's action first; ``metric`` labels it in ``/metrics``.
    """

    method: str
    path: str
    handler: Callable[..., dict[str, Any]]
    metric: str
    summary: str = ""


class Node:
    """Base class of every action.

    Subclasses set the class attributes and implement :meth:`run`. Optional hooks:
    :meth:`load` (load models once per process, called lazily and by ``/readyz``),
    :meth:`ready` (``(True, "")`` or ``(False, reason)``), :meth:`parse_body` (accept
    content types other than JSON), :meth:`evaluate` (score on gold data), :meth:`train`
    (fit a model from data), :meth:`routes` (extra HTTP routes), :meth:`commands` (extra
    CLI commands), :meth:`outbox_depth` (writes waiting, for ``/metrics``) and
    :meth:`shutdown` (stop background workers) and :meth:`preload` (models shared by the
    server's workers).
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

    def preload(self, settings: Any) -> None:
        """Load what every server worker can share, once, in the server's main process before it
        forks the workers (they start ready, and share the pages). Read-only data only: no
        thread, connection or open file may be started here. Idempotent; nothing by default.
        """

    def ready(self, settings: Any) -> tuple[bool, str]:
        """Whether the node can serve; ``(False, reason)`` makes ``/readyz`` answer 503."""
        return True, ""

    def parse_body(self, content_type: str, body: bytes, form: Any = None) -> dict[str, Any]:
        """Turn a non-JSON body of one of :attr:`extra_content_types` into input data.

        Raises :class:`NodeError` when the body cannot be used.
        """
        raise NodeError(415, f"{self.name} accepts application/json only")

    def run(self, data: Any, ctx: Context) -> OutputModel | Reply:
        """Compute the output for one validated input. Raise :class:`NodeError` on failure."""
        raise NotImplementedError

    def evaluate(self, data_path: str | None = None, **options: Any) -> dict[str, Any]:
        """Score the node on its gold data; return a report dictionary. ``options`` are the node's own
        (``kb_dir`` for answer-question); a node ignores the ones it does not know."""
        raise NotImplementedError(f"{self.name} has no evaluation")

    def train(self, data_path: str | None = None, out: str | None = None, settings: Any = None) -> dict[str, Any]:
        """Fit the node's model on ``data_path`` (its shipped data by default), write it to ``out``.

        Returns a report (model version, where it was written, rows). Raises ``ValueError``
        for unusable data.
        """
        raise NotImplementedError(f"{self.name} has no trainable model")

    def decision(self, output: Any) -> dict[str, Any] | None:
        """What ``output`` decided, for the pilot report and corrections (:mod:`nodes.core.decisions`):
        plain fields, never customer text. ``None``: nothing to record."""
        return None

    def body(self, data: Any) -> str | None:
        """The customer's message a decision was about (``data`` the validated input), recorded beside it
        only for a tenant that turned ``store_bodies`` on. ``None``: this action has none to keep."""
        return None

    def routes(self) -> list[Route]:
        """Extra HTTP routes this node serves besides ``POST /v1/<name>`` and its batch route."""
        return []

    def commands(self) -> list[Any]:
        """Extra ``tzomet`` commands (``click.Command`` objects) this node adds."""
        return []

    def outbox_depth(self, settings: Any) -> int:
        """How many writes this node holds queued or running (summed into ``/metrics``)."""
        return 0

    def shutdown(self) -> None:
        """Stop this node's background workers (at process exit, and between tests)."""
