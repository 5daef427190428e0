"""A HubSpot CRM v3 emulator for tests: the subset ``hubspot-api-client`` 12 calls, over real HTTP.

Objects (``contacts``, ``deals``, ``notes``, ``tasks``) at ``/crm/v3/objects/<type>``: create (201, inline
v4 associations), update (PATCH), read, and search (``filterGroups`` of ``EQ`` filters, OR between groups;
eventually consistent: a record younger than ``search_lag_s`` is not found yet, as on HubSpot). A Bearer
private-app token; unique properties (a contact's ``email``, and ``tzomet_key`` where the account made it:
a second create answers 409 ``Contact already exists. Existing ID: N``); validation errors as HubSpot
words them (400 ``VALIDATION_ERROR`` naming the property); ``429`` with ``Retry-After`` and
``X-HubSpot-RateLimit-*`` headers; an outage (stop the server, or ``down``: 503); ``latency_ms`` after the
write is committed (a timeout that still wrote). Switches by :meth:`HubSpotEmulator.configure`.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, request
from werkzeug.wrappers import Response

from tests.loopback import LoopbackServer

#: the properties each object accepts (anything else is PROPERTY_DOESNT_EXIST), and the unique ones
PROPERTIES: dict[str, set[str]] = {
    "contacts": {"email", "firstname", "lastname", "phone", "mobilephone", "company", "message", "lifecyclestage",
                 "hs_lead_status", "city", "jobtitle", "website", "tzomet_key"},
    "deals": {"dealname", "amount", "pipeline", "dealstage", "closedate", "description", "tzomet_key"},
    "notes": {"hs_timestamp", "hs_note_body"},
    "tasks": {"hs_timestamp", "hs_task_subject", "hs_task_body", "hs_task_priority", "hs_task_status", "hs_task_type"},
}
UNIQUE: dict[str, tuple[str, ...]] = {"contacts": ("email", "tzomet_key"), "deals": ("tzomet_key",)}
STAGES = {"appointmentscheduled", "qualifiedtobuy", "presentationscheduled", "decisionmakerboughtin", "contractsent",
          "closedwon", "closedlost"}
LIFECYCLE = {"subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer",
             "evangelist", "other"}
#: enumeration properties and their options
OPTIONS: dict[str, set[str]] = {"dealstage": STAGES, "lifecyclestage": LIFECYCLE,
                               "hs_task_priority": {"LOW", "MEDIUM", "HIGH"}}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NOUN = {"contacts": "Contact", "deals": "Deal", "notes": "Note", "tasks": "Task"}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class HubSpotState:
    """Everything the emulator holds; kept across a stop and start (an outage, not a wipe)."""

    token: str = "pat-eu1-test-token"
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=lambda: {t: {} for t in PROPERTIES})
    created: dict[str, float] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    config: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(51_000_000_001))

    DEFAULTS: dict[str, Any] = field(default_factory=lambda: {
        "down": False, "throttle_next": 0, "retry_after": 1, "latency_ms": 0, "search_lag_s": 0.0})

    def setting(self, name: str) -> Any:
        return self.config.get(name, self.DEFAULTS[name])


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    content_type="application/json;charset=utf-8")


def _error(status: int, category: str, message: str, errors: list[dict[str, Any]] | None = None,
           headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()),
                            "category": category}
    if errors:
        body["errors"] = errors
    return _json(body, status, headers)


def _validate(kind: str, props: dict[str, Any]) -> Response | None:
    errors = []
    for name, value in props.items():
        if name not in PROPERTIES[kind]:
            errors.append({"message": f'Property "{name}" does not exist', "code": "PROPERTY_DOESNT_EXIST",
                           "context": {"propertyName": [name]}})
        elif value is not None and not isinstance(value, str):
            errors.append({"message": f"{value!r} is not a valid string", "code": "INVALID_STRING",
                           "context": {"propertyName": [name]}})
        elif name == "email" and value and not _EMAIL.match(value):
            errors.append({"message": f"Email address {value} is invalid", "code": "INVALID_EMAIL",
                           "context": {"propertyName": [name]}})
        elif name == "amount" and value and not re.fullmatch(r"-?\d+(\.\d+)?", value):
            errors.append({"message": f"{value} was not a valid number", "code": "INVALID_DOUBLE",
                           "context": {"propertyName": [name]}})
        elif value and value not in OPTIONS.get(name, (value,)):
            errors.append({"message": f"{value} was not one of the allowed options", "code": "INVALID_OPTION",
                           "context": {"propertyName": [name]}})
    if kind in ("notes", "tasks") and not props.get("hs_timestamp"):
        errors.append({"message": "hs_timestamp is required", "code": "REQUIRED_FIELD",
                       "context": {"propertyName": ["hs_timestamp"]}})
    if not errors:
        return None
    return _error(400, "VALIDATION_ERROR", "Property values were not valid: " + json.dumps(errors), errors)


def create_app(state: HubSpotState) -> Flask:
    """The Flask app over ``state``."""
    app = Flask("hubspot-emulator")

    def public(kind: str, rec: dict[str, Any]) -> dict[str, Any]:
        return {"id": rec["id"], "properties": dict(rec["properties"]), "createdAt": rec["createdAt"],
                "updatedAt": rec["updatedAt"], "archived": False}

    @app.before_request
    def _gate() -> Response | None:
        if request.path.startswith("/__emulator__"):
            return None
        state.calls[f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"] += 1
        if request.headers.get("Authorization") != f"Bearer {state.token}":
            return _error(401, "INVALID_AUTHENTICATION", "Authentication credentials not found. This API supports "
                          "OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/"
                          "docs/methods/auth/oauth-overview")
        if state.setting("down"):
            return _error(503, "SERVICE_UNAVAILABLE", "Service Unavailable")
        with state.lock:
            if state.config.get("throttle_next", 0) > 0:
                state.config["throttle_next"] -= 1
                state.calls["throttled"] += 1
                return _error(429, "RATE_LIMITS", "You have reached your secondly limit.", headers={
                    "Retry-After": str(state.setting("retry_after")), "X-HubSpot-RateLimit-Max": "190",
                    "X-HubSpot-RateLimit-Remaining": "0", "X-HubSpot-RateLimit-Interval-Milliseconds": "10000"})
        return None

    def _after_commit() -> None:
        latency = state.setting("latency_ms")
        if latency:
            time.sleep(latency / 1000)

    @app.post("/crm/v3/objects/<kind>")
    def create(kind: str) -> Response:
        if kind not in PROPERTIES:
            return _error(404, "OBJECT_NOT_FOUND", f"Unable to infer object type from: {kind}")
        body = request.get_json(silent=True) or {}
        props = {k: v for k, v in (body.get("properties") or {}).items()}
        bad = _validate(kind, props)
        if bad is not None:
            return bad
        with state.lock:
            for unique in UNIQUE.get(kind, ()):
                value = props.get(unique)
                if not value:
                    continue
                for rec in state.records[kind].values():
                    if str(rec["properties"].get(unique) or "").lower() == str(value).lower():
                        return _error(409, "CONFLICT", f"{_NOUN[kind]} already exists. Existing ID: {rec['id']}")
            for assoc in body.get("associations") or []:
                target = str((assoc.get("to") or {}).get("id"))
                if not any(target in state.records[t] for t in ("contacts", "deals")):
                    return _error(400, "VALIDATION_ERROR", f"One or more associations are invalid: {target}")
            rec_id = str(next(state.ids))
            stamp = _now()
            rec = {"id": rec_id, "properties": {**props, "hs_object_id": rec_id, "createdate": stamp,
                                                 "lastmodifieddate": stamp},
                   "createdAt": stamp, "updatedAt": stamp, "associations": body.get("associations") or []}
            state.records[kind][rec_id] = rec
            state.created[rec_id] = time.monotonic()
            out = public(kind, rec)
        _after_commit()
        return _json(out, 201)

    @app.patch("/crm/v3/objects/<kind>/<rec_id>")
    def update(kind: str, rec_id: str) -> Response:
        body = request.get_json(silent=True) or {}
        props = dict(body.get("properties") or {})
        bad = _validate(kind, props) if kind in PROPERTIES else None
        if bad is not None:
            return bad
        with state.lock:
            rec = state.records.get(kind, {}).get(rec_id)
            if rec is None:
                return _error(404, "OBJECT_NOT_FOUND", "resource not found")
            for unique in UNIQUE.get(kind, ()):
                value = props.get(unique)
                clash = [r for r in state.records[kind].values() if r["id"] != rec_id and value
                         and str(r["properties"].get(unique) or "").lower() == str(value).lower()]
                if clash:
                    return _error(409, "CONFLICT", f"{_NOUN[kind]} already exists. Existing ID: {clash[0]['id']}")
            rec["properties"].update(props)
            rec["updatedAt"] = rec["properties"]["lastmodifieddate"] = _now()
            out = public(kind, rec)
        _after_commit()
        return _json(out)

    @app.get("/crm/v3/objects/<kind>/<rec_id>")
    def read(kind: str, rec_id: str) -> Response:
        with state.lock:
            rec = state.records.get(kind, {}).get(rec_id)
            if rec is None:
                return _error(404, "OBJECT_NOT_FOUND", "resource not found")
            return _json(public(kind, rec))

    @app.post("/crm/v3/objects/<kind>/search")
    def search(kind: str) -> Response:
        body = request.get_json(silent=True) or {}
        lag = float(state.setting("search_lag_s"))
        now = time.monotonic()
        found = []
        with state.lock:
            for rec in state.records.get(kind, {}).values():
                if now - state.created.get(rec["id"], 0.0) < lag:
                    continue  # not indexed yet
                for group in body.get("filterGroups") or []:
                    if all(f.get("operator") == "EQ" and str(rec["properties"].get(f["propertyName"]) or "").lower()
                           == str(f.get("value") or "").lower() for f in group.get("filters") or []):
                        found.append(public(kind, rec))
                        break
        limit = int(body.get("limit") or 10)
        return _json({"total": len(found), "results": found[:limit]})

    @app.get("/__emulator__/state")
    def state_view() -> Response:
        with state.lock:
            return _json({"records": {k: list(v.values()) for k, v in copy.deepcopy(state.records).items()},
                          "calls": dict(state.calls)})

    return app


class HubSpotEmulator(LoopbackServer):
    """The emulator served on loopback in a thread; stopped and started again on the same port (an outage).
    Its :attr:`url` is what ``HUBSPOT_API_URL`` should be."""

    name = "hubspot-emulator"

    def __init__(self, state: HubSpotState | None = None, port: int = 0) -> None:
        super().__init__(port=port)
        self.state = state or HubSpotState()

    def app(self) -> Any:
        return create_app(self.state)


    def records(self, kind: str) -> list[dict[str, Any]]:
        with self.state.lock:
            return copy.deepcopy(list(self.state.records[kind].values()))
