"""A Monday.com GraphQL emulator for tests: ``POST /v2`` with the operations update-monday sends, over real HTTP.

``items_page_by_column_values``, ``create_item`` (``create_labels_if_missing``), ``change_multiple_column_values``
and ``create_update``, with their values as GraphQL variables (``column_values`` a JSON string keyed by
column id, as Monday wants it). The token in ``Authorization``; column errors as Monday answers them (HTTP
200, ``error_code: ColumnValueException``, ``error_data.column_id``); 429 with ``Retry-After``; the complexity
budget (``ComplexityException`` with ``retry_in_seconds``); an outage by stopping the server; ``latency_ms``
after a write is committed. Switches by :meth:`MondayEmulator.configure`.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request
from werkzeug.wrappers import Response

from tests.loopback import LoopbackServer

BOARD = "1234567890"
#: the board's columns and their types
COLUMNS = {"name": "name", "phone": "phone", "email": "email", "status": "status", "long_text": "long_text",
           "date": "date", "tzomet_key": "text", "text": "text"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class MondayState:
    token: str = "eyJhbGciOiJIUzI1NiJ9.monday-test-token"
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    labels: set[str] = field(default_factory=lambda: {"חדש", "בטיפול", "נסגר"})
    calls: Counter[str] = field(default_factory=Counter)
    config: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(9_100_000_001))

    DEFAULTS: dict[str, Any] = field(default_factory=lambda: {
        "throttle_next": 0, "retry_after": 1, "complexity_next": 0, "latency_ms": 0})

    def setting(self, name: str) -> Any:
        return self.config.get(name, self.DEFAULTS[name])


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    content_type="application/json; charset=utf-8")


def _column_error(column: str, message: str) -> Response:
    return _json({"error_code": "ColumnValueException", "status_code": 200, "error_message": message,
                  "error_data": {"column_id": column}})


def _check(state: MondayState, values: dict[str, Any], create_labels: bool) -> Response | None:
    for column, value in values.items():
        kind = COLUMNS.get(column)
        if kind is None:
            return _column_error(column, "This column ID doesn't exist for the board")
        if kind == "email" and not (isinstance(value, dict) and _EMAIL.match(str(value.get("email", "")))):
            return _column_error(column, "invalid value, please check our API documentation for the correct data "
                                         "structure for this column")
        if kind == "phone" and not (isinstance(value, dict) and value.get("phone") and value.get("countryShortName")):
            return _column_error(column, "Phone column value should include phone and countryShortName")
        if kind == "status":
            label = value.get("label") if isinstance(value, dict) else value
            if label not in state.labels:
                if not create_labels:
                    return _column_error(column, f"This status label doesn't exist, possible statuses are: "
                                                 f"{sorted(state.labels)}")
                state.labels.add(str(label))
    return None


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("phone") or value.get("email") or value.get("label") or value.get("text") or "")
    return str(value)


def create_app(state: MondayState) -> Flask:
    app = Flask("monday-emulator")

    def after_commit() -> None:
        if state.setting("latency_ms"):
            time.sleep(state.setting("latency_ms") / 1000)

    @app.post("/v2")
    def graphql() -> Response:
        if request.headers.get("Authorization") != state.token:
            return _json({"errors": [{"message": "Not Authenticated", "extensions": {"code": "UNAUTHENTICATED"}}],
                          "error_message": "Not Authenticated", "status_code": 401}, 401)
        body = request.get_json(silent=True) or {}
        query, variables = str(body.get("query") or ""), dict(body.get("variables") or {})
        with state.lock:
            if state.config.get("throttle_next", 0) > 0:
                state.config["throttle_next"] -= 1
                state.calls["throttled"] += 1
                return _json({"error_message": "Rate Limit Exceeded", "status_code": 429}, 429,
                             {"Retry-After": str(state.setting("retry_after"))})
            if state.config.get("complexity_next", 0) > 0:
                state.config["complexity_next"] -= 1
                state.calls["complexity"] += 1
                return _json({"errors": [{"message": "Complexity budget exhausted", "extensions": {
                    "code": "ComplexityException", "retry_in_seconds": 0}}]})
            if str(variables.get("board", BOARD)) != BOARD:
                return _json({"errors": [{"message": "Board not found",
                                          "extensions": {"code": "InvalidBoardIdException"}}]})
            if "items_page_by_column_values" in query:
                state.calls["find"] += 1
                column, value = variables["column"], str(variables["value"])
                found = [{"id": i["id"], "name": i["name"]} for i in state.items.values()
                         if _text(i["column_values"].get(column, "")) == value]
                return _json({"data": {"items_page_by_column_values": {"items": found[:1]}}})
            if "create_item" in query:
                state.calls["create"] += 1
                values = json.loads(variables.get("values") or "{}")
                bad = _check(state, values, "create_labels_if_missing: true" in query)
                if bad is not None:
                    return bad
                item_id = str(next(state.ids))
                state.items[item_id] = {"id": item_id, "name": variables["name"], "column_values": values}
                out = _json({"data": {"create_item": {"id": item_id}}})
            elif "change_multiple_column_values" in query:
                state.calls["change"] += 1
                values = json.loads(variables.get("values") or "{}")
                item = state.items.get(str(variables["item"]))
                if item is None:
                    return _json({"errors": [{"message": "Item not found", "extensions": {"code": "ItemNotFound"}}]})
                bad = _check(state, values, "create_labels_if_missing: true" in query)
                if bad is not None:
                    return bad
                item["column_values"].update(values)
                out = _json({"data": {"change_multiple_column_values": {"id": item["id"]}}})
            elif "create_update" in query:
                state.calls["update"] += 1
                if str(variables["item"]) not in state.items:
                    return _json({"errors": [{"message": "Item not found", "extensions": {"code": "ItemNotFound"}}]})
                update_id = str(next(state.ids))
                state.updates.append({"id": update_id, "item_id": str(variables["item"]), "body": variables["body"]})
                out = _json({"data": {"create_update": {"id": update_id}}})
            else:
                return _json({"errors": [{"message": "Unsupported operation in the emulator"}]}, 400)
        after_commit()
        return out

    return app


class MondayEmulator(LoopbackServer):
    """The emulator on loopback; :attr:`url` + ``/v2`` is what ``MONDAY_API_URL`` should be."""

    name = "monday-emulator"

    def __init__(self, state: MondayState | None = None, port: int = 0) -> None:
        super().__init__(port=port)
        self.state = state or MondayState()

    def app(self) -> Any:
        return create_app(self.state)

    @property
    def api_url(self) -> str:
        return f"{self.url}/v2"


    def items(self) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(list(self.state.items.values()))
