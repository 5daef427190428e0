"""An OpenAI-compatible chat server for tests: the real HTTP of ``POST /v1/chat/completions``,
answers chosen by the test, and the faults an LLM endpoint has.

``fault`` is one of: ``None`` (answer), ``"timeout"`` (answer after ``delay`` seconds),
``"429"`` / ``"500"`` (that status, ``Retry-After: 0`` on 429), ``"malformed"`` (a body that is
not JSON), ``"schema"`` (a JSON answer whose category is not a label), ``"cut"`` (a body cut
mid-way: fewer bytes than its Content-Length), ``"json_mode_only"`` (400 naming
``response_format`` for structured output; answers in JSON mode). ``fail_first`` makes only
the first N requests fail. Every request body and its headers are kept in ``received``.

The answer is ``answer(user_text, labels)`` — by default the first label — with confidence 0.9;
asked for a ``summary`` (the schema requires one), it is ``summary(user_text)``; asked to answer a
question from passages (the schema requires ``sentences``), it is ``qa(user_text, system_prompt)``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


class LLMDouble:
    """One server on a free loopback port; ``url`` ends with ``/v1``."""

    def __init__(self, answer: Callable[[str, list[str]], str] | None = None,
                 summary: Callable[[str], str] | None = None,
                 qa: Callable[[str, str], dict[str, Any]] | None = None) -> None:
        self.answer = answer or (lambda text, labels: labels[0])
        self.summary = summary or (lambda text: "The customer wrote; the business answered.")
        self.qa = qa or (lambda text, system: {"answered": False, "sentences": []})
        self.fault: str | None = None
        self.fail_first = 0
        self.delay = 5.0
        self.received: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _app(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        body = request.get_json(silent=True) or {}
        with self._lock:
            self.received.append(body)
            self.headers.append(dict(request.headers))
            n = len(self.received)
        fault = self.fault if (not self.fail_first or n <= self.fail_first) else None
        return self._respond(body, fault)(environ, start_response)

    def _respond(self, body: dict[str, Any], fault: str | None) -> Response:
        fmt = body.get("response_format") or {}
        if fault == "json_mode_only" and fmt.get("type") == "json_schema":
            return Response(json.dumps({"error": {"message": "response_format json_schema is not supported"}}),
                            400, content_type="application/json")
        if fault == "timeout":
            time.sleep(self.delay)
        if fault in ("429", "500"):
            headers = {"Retry-After": "0"} if fault == "429" else {}
            return Response(json.dumps({"error": {"message": fault}}), int(fault), headers,
                            content_type="application/json")
        if fault == "malformed":
            return Response("<html>502 Bad Gateway</html>", 200, content_type="application/json")
        schema = (fmt.get("json_schema") or {}).get("schema") or _schema_in_prompt(body)
        labels = list(schema.get("properties", {}).get("category", {}).get("enum", ["?"]))
        user = next((m["content"] for m in body.get("messages", []) if m.get("role") == "user"), "")
        system = next((m["content"] for m in body.get("messages", []) if m.get("role") == "system"), "")
        if "summary" in schema.get("required", []):
            content = {"summary": 42 if fault == "schema" else self.summary(user)}
        elif "sentences" in schema.get("required", []):
            content = self.qa(user, system)
        else:
            content = {"category": "not-a-label" if fault == "schema" else self.answer(user, labels), "confidence": 0.9}
        payload = {
            "id": "chatcmpl-double", "object": "chat.completion", "model": body.get("model", "double"),
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": json.dumps(content, ensure_ascii=False)}}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 12, "total_tokens": 132},
        }
        data = json.dumps(payload).encode()
        if fault == "cut":
            return _Cut(data)
        return Response(data, 200, content_type="application/json")


class _Cut(Response):
    """A response that promises more bytes than it sends, then closes the connection."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data[: len(data) // 2], 200, {"Content-Length": str(len(data))},
                         content_type="application/json")


def _schema_in_prompt(body: dict[str, Any]) -> dict[str, Any]:
    """JSON mode: the schema is in the system prompt, after its last "JSON schema:" line."""
    system = next((m["content"] for m in body.get("messages", []) if m.get("role") == "system"), "")
    try:
        return dict(json.loads(system.rsplit("JSON schema:\n", 1)[1]))
    except (IndexError, ValueError):
        return {}
