"""The HTTP face of Tzomet: routing, auth, errors, request ids and metrics.

No business logic lives here: every action comes from the node registry
(:mod:`nodes`), and :mod:`nodes.core.runner` runs it. Every error, from any layer,
leaves as ``application/problem+json``; nothing produces an HTML page or a stack trace.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, Request, Response, request
from gunicorn import util as gunicorn_util
from gunicorn.workers.gthread import ThreadWorker
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wsgi import get_content_length

from nodes.core import registry
from nodes.core.auth import Authenticator, presented_key
from nodes.core.config import Settings, load_settings
from nodes.core.metrics import observe, render
from nodes.core.node import Context, Node, NodeError, Route
from nodes.core.problems import PROBLEM_CONTENT_TYPE, Problem
from nodes.core.runner import batch_items, execute_batch, execute_json, validate, validate_json
from nodes.core.schemas import node_schemas, openapi_document

log = logging.getLogger("tzomet")
access_log = logging.getLogger("tzomet.access")

_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")
_ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_JSON_TYPES = ("application/json",)
_JSON_UTF8 = "application/json; charset=utf-8"


def _json(body: Any, status: int = 200, content_type: str = "application/json") -> Response:
    return Response(json.dumps(body, ensure_ascii=False, separators=(",", ":")), status=status,
                    content_type=f"{content_type}; charset=utf-8")


#: where a request's :class:`_Call` lives in the WSGI environ
_CALL = "tzomet.call"


class _Call:
    """What the server tracks about one request, for headers, metrics and the access log."""

    __slots__ = ("body", "metric", "request_id", "status", "tenant")

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.metric = "other"
        self.status = 500
        self.tenant: str | None = None
        self.body: bytes | None = None

    @property
    def body_hash(self) -> str | None:
        return None if self.body is None else hashlib.sha256(self.body).hexdigest()[:16]


def _call(req: Request) -> _Call:
    call: _Call = req.environ[_CALL]
    return call


def _request_id() -> str | None:
    call = request.environ.get(_CALL)
    return call.request_id if call else None


class _Tracked:
    """WSGI middleware around the Flask app: request id, metrics and the access log.

    It does what ``before_request``/``after_request`` hooks would, for every response
    (problems included), at a fraction of their cost. Views find the :class:`_Call` in
    ``request.environ`` and set its ``metric`` label and ``tenant``.
    """

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        sent = environ.get("HTTP_X_REQUEST_ID")
        call = environ[_CALL] = _Call(sent if sent and _REQUEST_ID.fullmatch(sent) else os.urandom(16).hex())

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            call.status = int(status[:3])
            headers.append(("X-Request-ID", call.request_id))
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            return self.wsgi_app(environ, start)
        finally:
            elapsed = time.perf_counter() - started
            observe(call.metric, call.status, elapsed)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request_id=%s method=%s route=%s status=%d ms=%.1f tenant=%s body_sha256=%s",
                    call.request_id, environ.get("REQUEST_METHOD"), call.metric, call.status, elapsed * 1000,
                    call.tenant or "-", call.body_hash or "-",
                )


def _free(cost: int) -> None:
    """The rate-limit charge of a caller without a tenant (auth off): nothing to take."""


def _problem_response(problem: Problem) -> Response:
    response = _json(problem.body(_request_id()), problem.status, PROBLEM_CONTENT_TYPE)
    for key, value in problem.headers.items():
        response.headers[key] = value
    return response


def _is_json(mimetype: str) -> bool:
    return mimetype in _JSON_TYPES or mimetype.endswith("+json")


def _read_exactly(stream: Any, length: int) -> bytes:
    """Read ``length`` bytes from a WSGI input; 400 when the client sends fewer."""
    body: bytes = stream.read(length) if length else b""
    if len(body) < length:  # a short read: carry on until Content-Length bytes or the end
        parts, size = [body], len(body)
        while size < length and (chunk := stream.read(length - size)):
            parts.append(chunk)
            size += len(chunk)
        if size < length:
            raise Problem(400, f"The body ended after {size} of its {length} bytes (Content-Length).")
        body = b"".join(parts)
    return body


def _mimetype(req: Request) -> str:
    """The request's media type, lower case, without parameters ("" when none)."""
    sent: str = req.environ.get("CONTENT_TYPE", "")
    if sent in _JSON_TYPES:  # what n8n and most clients send: no need to parse it
        return sent
    return (req.mimetype or "").lower()


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

    ``settings`` defaults to :func:`nodes.core.config.load_settings` (the environment).
    ``workers`` is the number of processes serving (rate limits are shared among them).
    """
    settings = settings or load_settings()
    app = Flask("tzomet")
    app.config["TZOMET_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.wsgi_app = _Tracked(app.wsgi_app)  # type: ignore[method-assign]
    auth = Authenticator(settings, workers)

    #: the /v1/ collections that answer GET (discovery, and what the nodes' own routes serve)
    get_only = {"nodes"} | {route.path.split("/")[2] for name in registry.names()
                            for route in registry.get(name).routes() if route.path.startswith("/v1/")}

    def routable(name: str) -> bool:
        return registry.exists(name) and (not registry.hidden(name) or settings.enable_echo)

    def context(call: _Call, req: Request) -> Context:
        return Context(request_id=call.request_id, settings=settings, tenant=call.tenant, headers=req.headers)

    def caller(call: _Call, req: Request, action: str) -> Callable[[int], None]:
        """Authenticate and authorise; remember the tenant on ``call``.

        Returns the function that takes rate-limit tokens for this caller: one per action run,
        so a batch takes one per item once its size is known.
        """
        tenant = auth.authenticate(req.headers)
        if tenant is None:
            return _free
        auth.authorize(tenant, action)
        call.tenant = tenant.name
        key = presented_key(req.headers) or ""
        return functools.partial(auth.charge, tenant, hashlib.sha256(key.encode()).hexdigest()[:16])

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
            problem.headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or [])
        return _problem_response(problem)

    @app.errorhandler(Exception)
    def _crash(exc: Exception) -> Response:
        log.exception("unhandled error request_id=%s", _request_id())
        return _problem_response(Problem(500, "Internal error; it was logged with this request id."))

    def read_body(call: _Call, req: Request, max_bytes: int) -> bytes:
        """Read the whole body (Content-Length or chunked); 413 past ``max_bytes``.

        Under gunicorn a client that stops sending for ``settings.body_timeout_s`` gets a 408
        (gunicorn then closes the connection: the rest of the body never came); bad chunked
        framing is a 400, whichever server parses it.
        """
        # One byte of slack: werkzeug silently truncates a chunked body at the limit, so a
        # body that reaches max_bytes + 1 is how we know it was too large. (It is also the
        # limit req.files / req.form check.)
        req.max_content_length = max_bytes + 1
        sock = req.environ.get("gunicorn.socket")
        if sock is not None:  # each wait for more of the body; gunicorn clears it for the next request
            sock.settimeout(settings.body_timeout_s)
        def too_large() -> Problem:
            return Problem(413, f"The body is larger than this route accepts ({max_bytes} bytes).")

        try:
            length = get_content_length(req.environ)
            if length is not None:  # the common case: read exactly that, straight from the server
                if length > max_bytes:
                    raise too_large()
                body = _read_exactly(req.environ["wsgi.input"], length)
            else:
                chunks: list[bytes] = []
                size = 0
                stream = req.stream
                while chunk := stream.read(64 * 1024):
                    size += len(chunk)
                    if size > max_bytes:
                        raise too_large()
                    chunks.append(chunk)
                body = b"".join(chunks)
        except RequestEntityTooLarge:
            raise too_large() from None
        except TimeoutError:
            raise Problem(408, f"The client sent no more of the body for {settings.body_timeout_s:g} seconds; "
                               "the server stopped waiting.") from None
        except Problem:
            raise
        except Exception as err:  # what the server's own parser found in the framing (werkzeug, gunicorn)
            log.info("unreadable body request_id=%s: %s", call.request_id, type(err).__name__)
            raise Problem(400, f"The body could not be read: its framing is malformed ({type(err).__name__}, "
                               "e.g. a bad chunk size in a chunked body).") from None
        req._cached_data = body  # so req.files / req.form parse what we read
        call.body = body
        return body

    def action_input(call: _Call, req: Request, node: Node) -> tuple[Any, float]:
        """Return the validated ``node.Input`` for the request and when validation started."""
        mimetype = _mimetype(req)
        limit = settings.max_upload_bytes if node.extra_content_types else settings.max_body_bytes
        if _is_json(mimetype):
            body = read_body(call, req, limit)
            started = time.perf_counter()
            parsed = validate_json(node, body)  # one pass; None: find out exactly what is wrong
            return (validate(node, _parse_json(body)) if parsed is None else parsed), started
        if mimetype in node.extra_content_types:
            body = read_body(call, req, limit)
            try:
                data = node.parse_body(mimetype, body, req)
            except NodeError as err:
                raise Problem.from_node_error(err) from None
            started = time.perf_counter()
            return validate(node, data), started
        accepted = ", ".join(("application/json", *node.extra_content_types))
        raise Problem(415, f"Content-Type {mimetype or 'none'} is not accepted by {node.name}; "
                           f"send one of: {accepted}.")

    def checked(call: _Call, req: Request, action: str, route: str) -> tuple[Node, Callable[[int], None]]:
        """Resolve the action for ``route``; 404/405, 401 and 403 problems are raised here.

        Returns the node and the caller's rate-limit charge (see ``caller``), not yet taken.
        """
        ok = routable(action)
        call.metric = route if ok else "unknown"
        if not ok:
            if action in get_only and route == action:
                raise Problem(405, f"/v1/{action} answers GET only.", headers={"Allow": "GET"})
            raise Problem(404, f"No action called {action!r}. GET /v1/nodes lists the actions.")
        if req.method != "POST":
            raise Problem(405, f"Call /v1/{route} with POST.", headers={"Allow": "POST"})
        charge = caller(call, req, action)
        return registry.get(action), charge

    #: node routes on an action's own path (``GET /v1/knowledge`` beside ``POST /v1/knowledge``), by method
    same_path: dict[tuple[str, str], Callable[..., Response]] = {}

    @app.route("/v1/<action>", methods=_ANY_METHOD)
    def run_action(action: str) -> Response:
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        view = same_path.get((req.method, action))
        if view is not None:  # werkzeug prefers this rule to the node's own on the same path
            return view()
        call = _call(req)
        node, charge = checked(call, req, action, action)
        charge(1)
        parsed, started = action_input(call, req, node)
        body, reply = execute_json(node, parsed, context(call, req), started)
        response = Response(body, reply.status, content_type=_JSON_UTF8)
        if reply.headers:
            response.headers.update(reply.headers)
        return response

    @app.route("/v1/<action>/batch", methods=_ANY_METHOD)
    def run_batch(action: str) -> Response:
        req: Request = request._get_current_object()  # type: ignore[attr-defined]
        call = _call(req)
        node, charge = checked(call, req, action, f"{action}/batch")
        mimetype = _mimetype(req)
        if not _is_json(mimetype):
            raise Problem(415, f"Content-Type {mimetype or 'none'} is not accepted by the batch route; "
                               "send application/json.")
        limit = settings.max_upload_bytes if node.extra_content_types else settings.max_body_bytes
        items = batch_items(_parse_json(read_body(call, req, limit)), settings.max_batch_items)
        charge(len(items))  # one token per item, before any of them runs
        return _json(execute_batch(node, items, context(call, req)))

    # A rule per routable action too: werkzeug matches a static path without a regex, and
    # this runs on every call. /v1/<action> still answers every other name (404, 405).
    for name in registry.names(include_hidden=True):
        if routable(name):
            app.add_url_rule(f"/v1/{name}", f"action:{name}", functools.partial(run_action, name),
                             methods=_ANY_METHOD)
            app.add_url_rule(f"/v1/{name}/batch", f"batch:{name}", functools.partial(run_batch, name),
                             methods=_ANY_METHOD)

    @app.get("/v1/nodes")
    def list_nodes() -> Response:
        _call(request).metric = "nodes"
        return _json({"nodes": [
            {
                "name": name,
                "title": registry.get(name).title,
                "description": registry.get(name).description,
                "url": f"/v1/{name}",
                "batch_url": f"/v1/{name}/batch",
                "input_schema": f"/v1/nodes/{name}/schema#/input",
                "output_schema": f"/v1/nodes/{name}/schema#/output",
                "schema_url": f"/v1/nodes/{name}/schema",
                "content_types": ["application/json", *registry.get(name).extra_content_types],
            }
            for name in registry.names()
        ]})

    @app.get("/v1/nodes/<action>/schema")
    def node_schema(action: str) -> Response:
        _call(request).metric = "schema"
        if action not in registry.names():
            raise Problem(404, f"No action called {action!r}. GET /v1/nodes lists the actions.")
        return _json(node_schemas(action))

    def node_route(action: str, route: Route) -> Callable[..., Response]:
        """The view of an extra route a node declares: auth for its action, then its handler."""

        def view(**params: str) -> Response:
            req: Request = request._get_current_object()  # type: ignore[attr-defined]
            call = _call(req)
            call.metric = route.metric
            caller(call, req, action)(1)
            try:
                return _json(route.handler(context(call, req), **params))
            except NodeError as err:
                raise Problem.from_node_error(err) from None

        return view

    for name in registry.names():
        for route in registry.get(name).routes():
            view = node_route(name, route)
            app.add_url_rule(route.path, f"route:{name}:{route.method}:{route.path}", view, methods=[route.method])
            if route.path.count("/") == 2 and "<" not in route.path:
                same_path[(route.method, route.path.split("/")[2])] = view

    @app.get("/openapi.json")
    def openapi() -> Response:
        _call(request).metric = "openapi"
        return _json(openapi_document())

    @app.get("/")
    def index() -> Response:
        _call(request).metric = "index"
        return _json({"name": "tzomet", "nodes": "/v1/nodes", "openapi": "/openapi.json",
                      "health": "/healthz", "ready": "/readyz", "metrics": "/metrics"})

    @app.get("/healthz")
    def healthz() -> Response:
        _call(request).metric = "healthz"
        return _json({"status": "ok"})

    @app.get("/readyz")
    def readyz() -> Response:
        _call(request).metric = "readyz"
        reasons: dict[str, str] = {}
        for name in registry.names():
            try:
                node = registry.get(name)
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
        return _json({"status": "ready", "nodes": registry.names()})

    @app.get("/metrics")
    def metrics() -> Response:
        _call(request).metric = "metrics"
        body, content_type = render(lambda: _outbox_depth(settings))
        return Response(body, content_type=content_type)

    return app


class _Captured:
    """Stands in for a client socket while gunicorn writes one of its own error pages: keeps the bytes."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0  # "non-blocking": gunicorn writes straight away

    def sendall(self, data: bytes) -> None:
        self.data += data


class TzometWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's threaded (gthread) worker, with three changes.

    - Its own errors are problem+json too. gunicorn answers a request it cannot parse (a bad
      request line or header, a URI or headers too large, ...) itself, before the app runs,
      with an HTML page. Here gunicorn still decides the status and logs as usual; only the
      body it would send is replaced by an RFC 9457 one.
    - A connection that will not be reused is closed off the main thread. gunicorn closes it
      gracefully (it half-closes, then waits up to 2 s for the client to close) on the thread
      that accepts and dispatches every connection, so each client that keeps its end open
      (a stalled upload answered 408, say) froze the whole worker for 2 s in turn.
    - An answer to a request whose body could not be read (408, or 400 for bad framing)
      says ``Connection: close``: gunicorn closes such a connection, but announced keep-alive.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # No thread starts before the first close, so creating it before the fork is safe.
        self._closer = ThreadPoolExecutor(max_workers=self.cfg.threads, thread_name_prefix="close")

    def handle_request(self, req: Any, conn: Any) -> bool:
        announced = req.should_close  # read when the answer's headers are written, after the app ran
        req.should_close = lambda: announced() or bool(getattr(req.body, "failed", False))
        keep_alive: bool = super().handle_request(req, conn)
        return keep_alive

    def finish_request(self, conn: Any, fs: Future[Any]) -> None:
        if fs.cancelled() or fs.exception() is not None or fs.result():  # kept alive, deferred or failed
            super().finish_request(conn, fs)
            return
        self.nr_conns -= 1  # what gunicorn does for a connection it closes, but the close is not waited for
        self._closer.submit(conn.close, True)

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)
        status_line = captured.data.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
        status = int(status_line[1]) if len(status_line) == 3 and status_line[1].isdigit() else 500
        reason = status_line[2] if status != 500 else "Internal Server Error"
        detail = (f"{reason}: {exc}"[:300] if status < 500
                  else "Internal error; it was logged.")
        request_id = os.urandom(16).hex()
        body = json.dumps(Problem(status, detail, title=reason).body(request_id),
                          ensure_ascii=False, separators=(",", ":")).encode()
        head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
                f"Content-Type: {PROBLEM_CONTENT_TYPE}; charset=utf-8\r\nContent-Length: {len(body)}\r\n"
                f"X-Request-ID: {request_id}\r\n\r\n")
        try:
            gunicorn_util.write_nonblock(client, head.encode("latin-1") + body)
        except OSError:
            self.log.debug("Failed to send error message.")


def _outbox_depth(settings: Settings) -> int:
    """Writes waiting in every node's outbox (only nodes this process has loaded)."""
    return sum(node.outbox_depth(settings) for node in registry.built())
