"""Run one action on already-parsed input: validate, run, attach ``meta``.

The HTTP server and the CLI both call :func:`execute`, so an action behaves the same
in-process and over HTTP.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pydantic import ValidationError

from nodes.base import Context, Meta, Node, NodeError
from nodes.problems import Problem

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


def execute(node: Node, data: Any, ctx: Context, loc_prefix: str = "") -> dict[str, Any]:
    """Validate ``data``, run ``node`` and return the JSON-ready output with ``meta``.

    Raises :class:`Problem` for bad input or a node failure.
    """
    started = time.perf_counter()
    parsed = validate(node, data, loc_prefix)
    node.load(ctx.settings)
    try:
        output = node.run(parsed, ctx)
    except NodeError as err:
        raise Problem.from_node_error(err) from None
    body: dict[str, Any] = output.model_dump(mode="json")
    if ctx.with_meta:
        body["meta"] = Meta(
            request_id=ctx.request_id,
            engine=ctx.engine or node.engine,
            model=ctx.model or node.model,
            model_version=ctx.model_version or node.model_version,
            latency_ms=round((time.perf_counter() - started) * 1000, 3),
        ).model_dump()
    return body


def execute_batch(node: Node, data: Any, ctx_factory: Any) -> dict[str, Any]:
    """Run a batch ``{"items": [...]}``; one bad item never fails the others.

    ``ctx_factory()`` returns a fresh :class:`Context` per item. Raises :class:`Problem`
    only when the envelope itself is wrong.
    """
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
    elif len(items) > MAX_BATCH_ITEMS:
        errors.append({"loc": "items", "msg": f"at most {MAX_BATCH_ITEMS} items per batch, got {len(items)}"})
    if errors:
        raise Problem(422, "The batch envelope is invalid: " + ", ".join(e["loc"] for e in errors) + ".",
                      errors=errors)
    results: list[dict[str, Any]] = []
    for i, item in enumerate(items or []):
        ctx = ctx_factory()
        try:
            results.append({"ok": True, "output": execute(node, item, ctx)})
        except Problem as problem:
            results.append({"ok": False, "error": problem.body(ctx.request_id)})
        except Exception:  # one broken item never fails the batch
            log.exception("batch item %d failed request_id=%s", i, ctx.request_id)
            crash = Problem(500, "This item could not be processed; it was logged with the request id.")
            results.append({"ok": False, "error": crash.body(ctx.request_id)})
    return {"results": results}
