"""Run one action: validate, run, attach ``meta``.

The CLI and the batch route call :func:`execute` on parsed JSON; a single HTTP call takes
the same steps on the raw body (:func:`validate_json`, :func:`execute_json`), so an action
behaves the same in-process and over HTTP, with the input parsed once and the output
serialised once.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pydantic import ValidationError
from pydantic_core import to_json

from nodes.core import decisions, registry
from nodes.core.node import Context, Node, NodeError, OutputModel, Reply
from nodes.core.problems import Problem
from nodes.text import forget_texts

#: the published batch schema's maximum (``Settings.max_batch_items`` may lower it)
MAX_BATCH_ITEMS = 100
log = logging.getLogger("tzomet")


def validate(node: Node, data: Any, loc_prefix: str = "") -> Any:
    """Return ``node.Input`` built from ``data``; raise a 422 :class:`Problem` naming each bad field."""
    if not isinstance(data, dict):
        where = loc_prefix or "body"
        raise Problem(422, f"{where} must be a JSON object.",
                      errors=[{"loc": where, "msg": "expected a JSON object"}])
    try:
        return node.Input.model_validate(data)
    except ValidationError as err:
        raise Problem.from_validation(err, loc_prefix) from None


def validate_json(node: Node, body: bytes) -> Any | None:
    """Return ``node.Input`` validated straight from a raw JSON body, or ``None``.

    One pass in pydantic-core, without building the intermediate Python objects. ``None``
    means "take the careful path": :func:`validate` on the body parsed by the caller, which
    answers exactly what is wrong (400 for the JSON, 422 naming each bad field). Bodies that
    mention NaN or Infinity take it too: pydantic would accept those constants, JSON does not.
    """
    if b"NaN" in body or b"Infinity" in body:
        return None
    try:
        return node.Input.__pydantic_validator__.validate_json(body)
    except ValidationError:
        return None


def run(node: Node, parsed: Any, ctx: Context) -> Reply:
    """Run ``node`` on validated input; its output as a :class:`Reply`. Raises :class:`Problem`."""
    node.load(ctx.settings)
    try:
        answer = node.run(parsed, ctx)
    except NodeError as err:
        raise Problem.from_node_error(err) from None
    return answer if isinstance(answer, Reply) else Reply(answer)


def meta(node: Node, ctx: Context, reply: Reply, started: float) -> dict[str, Any]:
    """The fields of :class:`nodes.core.node.Meta`: what the node reported, else its defaults."""
    return {
        "request_id": ctx.request_id,
        "engine": reply.engine or node.engine,
        "model": reply.model or node.model,
        "model_version": reply.model_version or node.model_version,
        "latency_ms": round((time.perf_counter() - started) * 1000, 3),
        **reply.meta_extra,
    }


def call(action: str, data: Any, ctx: Context) -> OutputModel:
    """Run another action in-process, as a node may (through the registry): its validated output.

    Raises :class:`Problem` for bad input or a failure of that action.
    """
    node = registry.get(action)
    return run(node, validate(node, data), ctx).output


def execute(node: Node, data: Any, ctx: Context, loc_prefix: str = "") -> dict[str, Any]:
    """Validate ``data``, run ``node`` and return the JSON-ready output with ``meta``.

    Raises :class:`Problem` for bad input or a node failure.
    """
    started = time.perf_counter()
    try:
        reply = run(node, validate(node, data, loc_prefix), ctx)
    finally:
        forget_texts()  # no customer text stays in the finders' cache past its request
    body: dict[str, Any] = reply.output.model_dump(mode="json")
    body["meta"] = meta(node, ctx, reply, started)
    return body


def execute_json(node: Node, parsed: Any, ctx: Context, started: float) -> tuple[bytes, Reply]:
    """Run ``node`` on validated input; its output with ``meta`` as JSON (UTF-8), and its :class:`Reply`.

    The HTTP form of :func:`execute`: the output is serialised once, by pydantic-core, and
    ``meta`` (timed from ``started``) is appended to it. Raises :class:`Problem` for a node failure.
    """
    try:
        reply = run(node, parsed, ctx)
    finally:
        forget_texts()  # no customer text stays in the finders' cache past its request
    body: bytes = reply.output.__pydantic_serializer__.to_json(reply.output)
    head = meta(node, ctx, reply, started)
    fields = node.decision(reply.output)
    if fields is not None:
        if ctx.settings is not None and ctx.settings.stores_bodies(ctx.tenant):  # the tenant's choice, off by default
            text = node.body(parsed)
            if text:
                fields = {**fields, "text": text, "text_sha256": decisions.text_digest(text)}
        decisions.record(ctx.settings, ctx.tenant, node.name, ctx.request_id, head["latency_ms"],
                         str(head["model_version"]), fields)
    tail = to_json(head)
    return (b'{"meta":' if body == b"{}" else body[:-1] + b',"meta":') + tail + b"}", reply


def batch_items(data: Any, max_items: int = MAX_BATCH_ITEMS) -> list[Any]:
    """The items of a batch body ``{"items": [...]}`` (at most ``max_items``); raise a 422 :class:`Problem`
    when the envelope is wrong."""
    if not isinstance(data, dict):
        raise Problem(422, "The batch body must be a JSON object with an items list.",
                      errors=[{"loc": "body", "msg": "expected a JSON object"}])
    unknown = sorted(set(data) - {"items"})
    errors = [{"loc": k, "msg": "unknown field (not in the input schema)"} for k in unknown]
    items = data.get("items")
    if not isinstance(items, list):
        errors.append({"loc": "items", "msg": "field required: a list of requests"})
    elif not items:
        errors.append({"loc": "items", "msg": "at least one item is required"})
    elif len(items) > max_items:
        errors.append({"loc": "items", "msg": f"at most {max_items} items per batch, got {len(items)}"})
    if errors or not isinstance(items, list):
        raise Problem(422, "The batch envelope is invalid: " + ", ".join(e["loc"] for e in errors) + ".",
                      errors=errors)
    return items


def execute_batch(node: Node, items: list[Any], ctx: Context) -> dict[str, Any]:
    """Run each of a batch's ``items`` (from :func:`batch_items`) in order; one bad item never fails the others.

    The items are one request: they share ``ctx`` (its request id and its time budget, so
    the batch as a whole stops when the budget is spent, each item after that answering
    the time-budget problem).
    """
    results: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        try:
            results.append({"ok": True, "output": execute(node, item, ctx)})
        except Problem as problem:
            results.append({"ok": False, "error": problem.body(ctx.request_id)})
        except Exception:  # one broken item never fails the batch
            log.exception("batch item %d failed request_id=%s", i, ctx.request_id)
            crash = Problem(500, "This item could not be processed; it was logged with the request id.")
            results.append({"ok": False, "error": crash.body(ctx.request_id)})
    return {"results": results}
