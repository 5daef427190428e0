"""Monday.com's GraphQL API (one endpoint, ``POST /v2``), as the outbox needs it.

Spoken directly with ``requests`` rather than through ``monday-api-python-sdk``: the SDK writes values into
the query text without escaping (a Hebrew company name with gershayim, ``חברה בע"מ``, breaks the query),
retries any failure up to four times on its own (one ``create_item`` and a late 504 left two items), and
sleeps 30 s in the worker on a 429. Here every value travels as a GraphQL variable, nothing is retried
but by the outbox, and a 429 or a complexity error becomes a :class:`~nodes.core.outbox.Transient` with
its wait.

An item is found by a column value (``items_page_by_column_values``): the write's key column first (a
text column holding the idempotency key, so that a retry after a timed-out create finds the item instead
of creating a twin), then the phone and email columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from nodes.core.crm import Upserted
from nodes.core.outbox import Rejected, Transient

API_VERSION = "2024-10"


@dataclass(frozen=True)
class MondayConfig:
    """One Monday account."""

    token: str
    api_url: str = "https://api.monday.com/v2"
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0


FIND = """query Find($board: ID!, $column: String!, $value: String!) {
  items_page_by_column_values(board_id: $board, limit: 1, columns: [{column_id: $column, column_values: [$value]}]) {
    items { id name }
  }
}"""
CREATE = """mutation Create($board: ID!, $name: String!, $values: JSON!) {
  create_item(board_id: $board, item_name: $name, column_values: $values, create_labels_if_missing: true) { id }
}"""
CHANGE = """mutation Change($board: ID!, $item: ID!, $values: JSON!) {
  change_multiple_column_values(board_id: $board, item_id: $item, column_values: $values,
                                create_labels_if_missing: true) { id }
}"""
UPDATE = """mutation Comment($item: ID!, $body: String!) { create_update(item_id: $item, body: $body) { id } }"""


class MondayClient:
    """The calls update-monday makes, on one account."""

    def __init__(self, config: MondayConfig) -> None:
        self.config = config
        self.session = requests.Session()

    def call(self, query: str, variables: dict[str, Any], what: str) -> dict[str, Any]:
        """Run one GraphQL operation; its ``data``, or the outbox's error."""
        headers = {"Authorization": self.config.token, "API-Version": API_VERSION,
                   "Content-Type": "application/json"}
        try:
            resp = self.session.post(self.config.api_url, json={"query": query, "variables": variables},
                                     headers=headers, timeout=(self.config.connect_timeout_s,
                                                               self.config.read_timeout_s))
        except requests.Timeout:
            raise Transient(f"Monday timed out ({what})", None, 504) from None
        except requests.RequestException as exc:
            raise Transient(f"Monday is unreachable ({type(exc).__name__})", None, 502) from None
        if resp.status_code == 429:
            raise Transient("Monday is rate limiting", _seconds(resp.headers.get("Retry-After")), 502)
        if resp.status_code >= 500:
            raise Transient(f"Monday answered {resp.status_code} to {what}", None, 502)
        try:
            body = resp.json()
        except ValueError:
            raise Transient(f"Monday answered {resp.status_code} with no JSON to {what}", None, 502) from None
        if resp.status_code in (401, 403):
            raise Rejected(502, "Monday refused the token", {
                "detail": f"Monday refused the token (MONDAY_TOKEN, or the tenant's token_env): "
                          f"{body.get('error_message') or body.get('errors') or resp.status_code}"})
        errors = body.get("errors") or []
        if not errors and body.get("error_message"):  # the older error shape, still answered for column errors
            errors = [{"message": body["error_message"],
                       "extensions": {"code": body.get("error_code"), "error_data": body.get("error_data")}}]
        if errors:
            first = errors[0]
            code = str((first.get("extensions") or {}).get("code") or "")
            if code in ("ComplexityException", "RATE_LIMIT_EXCEEDED", "maxConcurrencyExceeded"):
                wait = (first.get("extensions") or {}).get("retry_in_seconds")
                raise Transient(f"Monday is rate limiting ({code})", _seconds(wait), 502)
            data = (first.get("extensions") or {}).get("error_data") or {}
            column = data.get("column_id") if isinstance(data, dict) else None
            raise Rejected(422, code or "GraphQLError", {
                "detail": f"Monday rejected the {what} ({str(first.get('message'))[:300]})", "code": code,
                "errors": [{"loc": f"record.{column}" if column else "record", "msg": str(first.get("message"))}]})
        if resp.status_code >= 400:
            raise Rejected(422, str(resp.status_code), {"detail": f"Monday answered {resp.status_code} to {what}"})
        return dict(body.get("data") or {})

    def find(self, board: str, column: str, value: str) -> str | None:
        data = self.call(FIND, {"board": board, "column": column, "value": value}, "search")
        items = ((data.get("items_page_by_column_values") or {}).get("items")) or []
        return str(items[0]["id"]) if items else None

    def upsert(self, board: str, name: str, values: dict[str, Any], lookups: list[tuple[str, str]]) -> Upserted:
        """Change the item found by the first ``(column, value)`` of ``lookups`` that finds one, else create it."""
        for column, value in lookups:
            found = self.find(board, column, value)
            if found:
                self.call(CHANGE, {"board": board, "item": found, "values": json.dumps(values, ensure_ascii=False)},
                          f"item {found}")
                return Upserted(found, "update", column)
        data = self.call(CREATE, {"board": board, "name": name, "values": json.dumps(values, ensure_ascii=False)},
                         "new item")
        return Upserted(str(data["create_item"]["id"]), "insert", None)

    def comment(self, item: str, body: str) -> str:
        data = self.call(UPDATE, {"item": item, "body": body}, "update")
        return str(data["create_update"]["id"])


def _seconds(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
