"""The HTTP face of Tzomet: routing, auth, errors, request ids and metrics.

No business logic lives here: every action comes from the node registry
(:mod:`nodes`), and :func:`nodes.runner.execute` runs it. Every error, from any layer,
leaves as ``application/problem+json``; nothing produces an HTML page or a stack trace.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
import uuid
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

import nodes
from nodes.auth import Authenticator, presented_key
from nodes.base import Context, NodeError
from nodes.config import Settings, load_settings
from nodes.metrics import observe, render
from nodes.problems import PROBLEM_CONTENT_TYPE, Problem
from nodes.runner import execute, execute_batch
from nodes.schemas import node_schemas, openapi_document

log = logging.getLogger("tzomet")
access_log = logging.getLogger("tzomet.access")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
_ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_JSON_TYPES = ("application/json",)


def _json(body: Any, status: int = 200, content_type: str = "application/json") -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status,
                    content_type=f"{content_type}; charset=utf-8")


def _problem_response(problem: Problem) -> Response:
    rid = getattr(g, "request_id", None)
    response = _json(problem.body(rid), problem.status, PROBLEM_CONTENT_TYPE)
    for key, value in problem.headers.items():
        response.headers[key] = value
    return response


def _is_json(mimetype: str) -> bool:
    return mimetype in _JSON_TYPES or mimetype.endswith("+json")


def _parse_json(body: bytes) -> Any:
    """Decode a JSON body; raise a 400 :class:`Problem` saying what is wrong with it."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise Problem(400, f"The body is not valid UTF-8 (byte {err.start}).") from None
    if not text.strip():
        raise Problem(400, "The body is empty; send a JSON object.")

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    try:
        return json.loads(text, parse_constant=no_constants)
    except json.JSONDecodeError as err:
        raise Problem(400, f"The body is not valid JSON: {err.msg} at line {err.lineno} column {err.colno}.") from None
    except (ValueError, RecursionError) as err:
        raise Problem(400, f"The body is not valid JSON: {err}.") from None


def create_app(settings: Settings | None = None, *, workers: int = 1) -> Flask:
    """Return the Flask application serving every registered action.

    ``settings`` defaults to :func:`nodes.config.load_settings` (the environment).
    ``workers`` is the number of processes serving (rate limits are shared among them).
    """
    settings = settings or load_settings()
    app = Flask("tzomet")
    app.config["TZOMET_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    auth = Authenticator(settings, workers)

    def routable(name: str) -> bool:
        return nodes.exists(name) and (name not in nodes.HIDDEN or settings.enable_echo)

    def context(tenant: str | None) -> Context:
        return Context(request_id=g.request_id, settings=settings, tenant=tenant,
                       headers=dict(request.headers))

    def caller(action: str) -> str | None:
        """Authenticate and authorise; return the tenant name."""
        tenant = auth.authenticate(request.headers)
        if tenant is not None:
            key = presented_key(request.headers) or ""
            auth.authorize(tenant, action, hashlib.sha256(key.encode()).hexdigest()[:16])
            g.tenant = tenant.name
            return tenant.name
        return None

    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if _REQUEST_ID.match(sent) else uuid.uuid4().hex
        g.metric = "other"
        g.tenant = None

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = getattr(g, "request_id", "")
        elapsed = time.perf_counter() - getattr(g, "started", time.perf_counter())
        observe(getattr(g, "metric", "other"), response.status_code, elapsed)
        access_log.info(
            "request_id=%s method=%s route=%s status=%d ms=%.1f tenant=%s body_sha256=%s",
            getattr(g, "request_id", "-"), request.method, getattr(g, "metric", "other"),
            response.status_code, elapsed * 1000, getattr(g, "tenant", None) or "-",
            getattr(g, "body_hash", "-"),
        )
        return response

    @app.errorhandler(Problem)
    def _problem(problem: Problem) -> Response:
        return _problem_response(problem)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        code = exc.code or 500
        detail = {
            404: "No such route. GET /v1/nodes lists the actions; GET /openapi.json describes every route.",
            413: f"The body is larger than this route accepts ({request.max_content_length or 0} bytes).",
        }.get(code, exc.description or "")
        problem = Problem(code, detail)
        if code == 405:
            problem.headers["Allow"] = ", ".join(exc.valid_methods or []) if hasattr(exc, "valid_methods") else ""
        return _problem_response(problem)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        log.exception("unhandled error request_id=%s", getattr(g, "request_id", "-"))
        return _problem_response(Problem(500, "Internal error; it was logged with this request id."))

    def read_body(max_bytes: int) -> bytes:
        """Read the whole body (Content-Length or chunked); 413 past ``max_bytes``."""
        too_large = Problem(413, f"The body is larger than this route accepts ({max_bytes} bytes).")
        # One byte of slack: werkzeug silently truncates a chunked body at the limit, so a
        # body that reaches max_bytes + 1 is how we know it was too large.
        request.max_content_length = max_bytes + 1
        chunks: list[bytes] = []
        size = 0
        try:
            while chunk := request.stream.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise too_large
                chunks.append(chunk)
        except RequestEntityTooLarge:
            raise too_large from None
        body = b"".join(chunks)
        request._cached_data = body  # so request.files / request.form parse what we read
        g.body_hash = hashlib.sha256(body).hexdigest()[:16]
        return body

    def action_input(node: nodes.Node) -> Any:
        mimetype = (request.mimetype or "").lower()
        uploads = bool(node.extra_content_types)
        limit = settings.max_upload_bytes if uploads else settings.max_body_bytes
        if _is_json(mimetype):
            return _parse_json(read_body(limit))
        if mimetype in node.extra_content_types:
            body = read_body(limit)
            return node.parse_body(mimetype, body, request)
        accepted = ", ".join(("application/json", *node.extra_content_types))
        shown = mimetype or "none"
        raise Problem(415, f"Content-Type {shown} is not accepted by {node.name}; send one of: {accepted}.")

    @app.route("/v1/<action>", methods=_ANY_METHOD)
    def run_action(action: str) -> Response:
        g.metric = action if routable(action) else "unknown"
        if not routable(action):
            if action in ("nodes", "jobs"):
                raise Problem(405, f"/v1/{action} answers GET only.", headers={"Allow": "GET"})
            raise Problem(404, f"No action called {action!r}. GET /v1/nodes lists the actions.")
        if request.method != "POST":
            raise Problem(405, f"Call {action} with POST.", headers={"Allow": "POST"})
        tenant = caller(action)
        node = nodes.get(action)
        try:
            data = action_input(node)
        except NodeError as err:
            raise Problem.from_node_error(err) from None
        ctx = context(tenant)
        body = execute(node, data, ctx)
        response = _json(body, ctx.status)
        response.headers.update(ctx.response_headers)
        return response

    @app.route("/v1/<action>/batch", methods=_ANY_METHOD)
    def run_batch(action: str) -> Response:
        g.metric = f"{action}/batch" if routable(action) else "unknown"
        if not routable(action):
            raise Problem(404, f"No action called {action!r}. GET /v1/nodes lists the actions.")
        if request.method != "POST":
            raise Problem(405, f"Call {action}/batch with POST.", headers={"Allow": "POST"})
        tenant = caller(action)
        node = nodes.get(action)
        mimetype = (request.mimetype or "").lower()
        if not _is_json(mimetype):
            raise Problem(415, f"Content-Type {mimetype or 'none'} is not accepted by the batch route; "
                               "send application/json.")
        limit = settings.max_upload_bytes if node.extra_content_types else settings.max_body_bytes
        data = _parse_json(read_body(limit))
        return _json(execute_batch(node, data, lambda: context(tenant)))

    @app.get("/v1/nodes")
    def list_nodes() -> Response:
        g.metric = "nodes"
        return _json({"nodes": [
            {
                "name": name,
                "title": nodes.get(name).title,
                "description": nodes.get(name).description,
                "url": f"/v1/{name}",
                "batch_url": f"/v1/{name}/batch",
                "input_schema": f"/v1/nodes/{name}/schema#/input",
                "output_schema": f"/v1/nodes/{name}/schema#/output",
                "schema_url": f"/v1/nodes/{name}/schema",
                "content_types": ["application/json", *nodes.get(name).extra_content_types],
            }
            for name in nodes.names()
        ]})

    @app.get("/v1/nodes/<action>/schema")
    def node_schema(action: str) -> Response:
        g.metric = "schema"
        if action not in nodes.names():
            raise Problem(404, f"No action called {action!r}. GET /v1/nodes lists the actions.")
        return _json(node_schemas(action))

    @app.get("/v1/jobs/<job_id>")
    def get_job(job_id: str) -> Response:
        g.metric = "jobs"
        caller("update-zoho")
        if not nodes.exists("update-zoho"):
            raise Problem(404, "No job store: update-zoho is not installed.")
        job = nodes.get("update-zoho").get_job(settings, job_id)  # type: ignore[attr-defined]
        if job is None:
            raise Problem(404, f"No job {job_id!r}.")
        return _json(job)

    @app.get("/openapi.json")
    def openapi() -> Response:
        g.metric = "openapi"
        return _json(openapi_document())

    @app.get("/")
    def index() -> Response:
        g.metric = "index"
        return _json({"name": "tzomet", "nodes": "/v1/nodes", "openapi": "/openapi.json",
                      "health": "/healthz", "ready": "/readyz", "metrics": "/metrics"})

    @app.get("/healthz")
    def healthz() -> Response:
        g.metric = "healthz"
        return _json({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Response:
        g.metric = "readyz"
        reasons: dict[str, str] = {}
        for name in nodes.names():
            try:
                node = nodes.get(name)
                node.load(settings)
                ok, reason = node.ready(settings)
            except Exception as exc:  # a node that cannot even load is not ready; say why
                log.exception("node %s failed to load", name)
                ok, reason = False, f"failed to load: {type(exc).__name__}"
            if not ok:
                reasons[name] = reason
        if reasons:
            detail = "; ".join(f"{k}: {v}" for k, v in reasons.items())
            raise Problem(503, f"Not ready: {detail}")
        return _json({"status": "ready", "nodes": nodes.names()})

    @app.get("/metrics")
    def metrics() -> Response:
        g.metric = "metrics"
        body, content_type = render(lambda: _outbox_depth(settings))
        return Response(body, content_type=content_type)

    return app


def _outbox_depth(settings: Settings) -> int:
    if not nodes.exists("update-zoho"):
        return 0
    depth: int = nodes.get("update-zoho").outbox_depth(settings)  # type: ignore[attr-defined]
    return depth
