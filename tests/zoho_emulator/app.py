"""A Zoho CRM v8 emulator: a real HTTP server that speaks what the Zoho Python SDK sends.

It keeps records in memory with Zoho's semantics (upsert with duplicate check fields,
insert vs update, system-mandatory fields, ``INVALID_DATA`` for values of the wrong type or
outside a picklist, token expiry, a per-refresh-token mint limit) and has switches to inject
downtime, slowness and 429s. The switches live under ``/__emulator__/`` and need no token:

- ``GET  /__emulator__/state``         records per module, call counts, tokens minted, config
- ``POST /__emulator__/config``        merge switches, e.g. ``{"down": true}``, ``{"latency_ms": 200}``,
  ``{"throttle_next": 5}`` (the next 5 API calls answer 429), ``{"write_latency_ms": 3000}``
  (upserts are stored, then answered late), ``{"token_ttl": 2}``
- ``POST /__emulator__/expire-tokens``  every access token issued so far becomes invalid
- ``POST /__emulator__/fields``        add a custom field: ``{"module", "api_name", "data_type", "unique"?, ...}``
  (a ``unique`` field refuses a second record with its value, ``DUPLICATE_DATA``, and can be a duplicate check field)
- ``POST /__emulator__/reset``         forget records, tokens and counters

Run it on its own with ``python -m tests.zoho_emulator --port 8090``.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
import re
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

API = "/crm/v8"

_LEAD_SOURCES = [
    "-None-", "Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
    "X (Twitter)", "Facebook", "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner",
    "Internal Seminar", "Trade Show", "Web Download", "Web Research", "Chat",
]
_LEAD_STATUS = [
    "-None-", "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead",
    "Not Contacted", "Pre-Qualified", "Not Qualified",
]
_RATING = ["-None-", "Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down"]
_INDUSTRY = ["-None-", "ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
             "Government/Military", "Large Enterprise", "Management ISV", "MSP (Management Service Provider)",
             "Network Equipment Enterprise", "Non-management ISV", "Optical Networking", "Service Provider",
             "Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider", "Systems Integrator",
             "Wireless Industry"]
_STAGES = ["Qualification", "Needs Analysis", "Value Proposition", "Identify Decision Makers",
           "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost", "Closed-Lost to Competition"]
_PRIORITY = ["High", "Highest", "Low", "Lowest", "Normal"]
_TASK_STATUS = ["Not Started", "Deferred", "In Progress", "Completed", "Waiting for input"]


def _f(api_name: str, data_type: str, *, mandatory: bool = False, picklist: list[str] | None = None,
       lookup: str | None = None, length: int | None = None, unique: bool = False) -> dict[str, Any]:
    json_type = {"integer": "integer", "bigint": "string", "double": "double", "currency": "double",
                 "boolean": "boolean", "lookup": "jsonobject", "ownerlookup": "jsonobject",
                 "multiselectpicklist": "jsonarray"}.get(data_type, "string")
    spec: dict[str, Any] = {
        "api_name": api_name, "data_type": data_type, "json_type": json_type,
        "system_mandatory": mandatory, "read_only": False, "custom_field": False, "visible": True,
        "field_label": api_name.replace("_", " "), "id": str(abs(hash(api_name)) % 10**12),
        "length": length or {"textarea": 32000, "email": 100, "phone": 30}.get(data_type, 255),
        "pick_list_values": [{"display_value": v, "actual_value": v, "type": "used"} for v in picklist or []],
    }
    if lookup:
        spec["lookup"] = {"module": {"api_name": lookup, "id": str(abs(hash(lookup)) % 10**12)}}
    if unique:
        spec["unique"] = {"casesensitive": "false"}
    return spec


def default_fields() -> dict[str, list[dict[str, Any]]]:
    """The field metadata of a brand-new Zoho CRM org, trimmed to what matters here."""
    person = [
        _f("First_Name", "text", length=40), _f("Last_Name", "text", mandatory=True, length=80),
        _f("Email", "email"), _f("Secondary_Email", "email"), _f("Phone", "phone"), _f("Mobile", "phone"),
        _f("Description", "textarea"), _f("Lead_Source", "picklist", picklist=_LEAD_SOURCES),
        _f("Email_Opt_Out", "boolean"), _f("Owner", "ownerlookup", lookup="users"),
    ]
    return {
        "Leads": [*person, _f("Company", "text", length=200), _f("Lead_Status", "picklist", picklist=_LEAD_STATUS),
                  _f("Rating", "picklist", picklist=_RATING), _f("Industry", "picklist", picklist=_INDUSTRY),
                  _f("No_of_Employees", "integer"), _f("Annual_Revenue", "currency"), _f("Website", "website")],
        "Contacts": [*person, _f("Account_Name", "lookup", lookup="Accounts"), _f("Date_of_Birth", "date")],
        "Accounts": [_f("Account_Name", "text", mandatory=True, length=200), _f("Phone", "phone"),
                     _f("Website", "website"), _f("Industry", "picklist", picklist=_INDUSTRY),
                     _f("Description", "textarea"), _f("Owner", "ownerlookup", lookup="users")],
        "Deals": [_f("Deal_Name", "text", mandatory=True, length=120),
                  _f("Stage", "picklist", mandatory=True, picklist=_STAGES), _f("Amount", "currency"),
                  _f("Closing_Date", "date"), _f("Account_Name", "lookup", lookup="Accounts"),
                  _f("Contact_Name", "lookup", lookup="Contacts"),
                  _f("Lead_Source", "picklist", picklist=_LEAD_SOURCES),
                  _f("Description", "textarea"), _f("Owner", "ownerlookup", lookup="users")],
        "Tasks": [_f("Subject", "text", mandatory=True), _f("Due_Date", "date"),
                  _f("Priority", "picklist", picklist=_PRIORITY), _f("Status", "picklist", picklist=_TASK_STATUS),
                  _f("What_Id", "lookup", lookup="Leads"), _f("Who_Id", "lookup", lookup="Contacts"),
                  _f("Description", "textarea"), _f("Owner", "ownerlookup", lookup="users")],
        "Notes": [_f("Note_Title", "text"), _f("Note_Content", "textarea", mandatory=True),
                  _f("Parent_Id", "lookup", lookup="Leads"), _f("Owner", "ownerlookup", lookup="users")],
    }


@dataclass
class EmulatorState:
    """Everything the emulator knows; shared by every request (and kept across a server restart)."""

    client_id: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None
    fields: dict[str, list[dict[str, Any]]] = field(default_factory=default_fields)
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (epoch seconds)
    mints: list[float] = field(default_factory=list)
    calls: Counter[str] = field(default_factory=Counter)
    config: dict[str, Any] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(5_725_767_000_000_000_001))

    DEFAULTS: dict[str, Any] = field(default_factory=lambda: {
        "down": False, "latency_ms": 0, "write_latency_ms": 0, "throttle_next": 0, "throttle_code": "TOO_MANY_REQUESTS",
        "retry_after": None, "token_ttl": 3600, "mint_limit": 10, "mint_window_s": 600,
        "api_domain": None, "fail_next_status": 0, "fail_next": 0,
    })

    def setting(self, name: str) -> Any:
        return self.config.get(name, self.DEFAULTS[name])

    def reset(self) -> None:
        with self.lock:
            self.records.clear()
            self.tokens.clear()
            self.mints.clear()
            self.calls.clear()
            self.config.clear()
            self.fields = default_fields()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "records": copy.deepcopy({m: list(r.values()) for m, r in self.records.items()}),
                "calls": dict(self.calls),
                "tokens_minted": len(self.mints),
                "config": {**self.DEFAULTS, **self.config},
            }


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, headers=headers,
                    content_type="application/json;charset=UTF-8")


def _error(code: str, message: str, status: int, details: dict[str, Any] | None = None,
           headers: dict[str, str] | None = None) -> Response:
    return _json({"code": code, "details": details or {}, "message": message, "status": "error"}, status, headers)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[0-9+()\-.\s]{1,30}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _type_error(spec: dict[str, Any], value: Any) -> str | None:
    """Return the expected data type when ``value`` does not fit ``spec``, else ``None``."""
    dtype = spec["data_type"]
    if value is None:
        return None
    if dtype in {"text", "textarea", "website", "autonumber"}:
        ok = isinstance(value, str) and len(value) <= int(spec.get("length") or 255)
    elif dtype == "email":
        ok = isinstance(value, str) and bool(_EMAIL.match(value)) and len(value) <= 100
    elif dtype == "phone":
        ok = isinstance(value, str) and bool(_PHONE.match(value))
    elif dtype in {"integer", "bigint"}:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif dtype in {"double", "currency", "decimal"}:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif dtype == "boolean":
        ok = isinstance(value, bool)
    elif dtype == "date":
        ok = isinstance(value, str) and bool(_DATE.match(value))
        if ok:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                ok = False
    elif dtype == "datetime":
        try:
            dt.datetime.fromisoformat(str(value))
            ok = isinstance(value, str)
        except ValueError:
            ok = False
    elif dtype == "picklist":
        allowed = {p["actual_value"] for p in spec.get("pick_list_values", [])}
        ok = isinstance(value, str) and value in allowed
    elif dtype == "multiselectpicklist":
        allowed = {p["actual_value"] for p in spec.get("pick_list_values", [])}
        ok = isinstance(value, list) and all(isinstance(v, str) and v in allowed for v in value)
    elif dtype in {"lookup", "ownerlookup"}:
        ok = isinstance(value, dict) and isinstance(value.get("id"), str | int)
    else:
        ok = True
    return None if ok else dtype


def _norm(spec: dict[str, Any] | None, value: Any) -> Any:
    """The form of a value that duplicate matching compares."""
    if isinstance(value, str):
        if spec and spec["data_type"] == "phone":
            return re.sub(r"\D", "", value)
        return value.strip().lower()
    return value


def create_app(state: EmulatorState | None = None) -> Flask:
    """Build the emulator app around ``state`` (a fresh one if not given)."""
    st = state or EmulatorState()
    app = Flask("zoho_emulator")
    app.config["emulator_state"] = st

    def specs(module: str) -> dict[str, dict[str, Any]]:
        return {f["api_name"]: f for f in st.fields.get(module, [])}

    def now_iso() -> str:
        return dt.datetime.now(dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat(timespec="seconds")

    def injected_failure() -> Response | None:
        with st.lock:
            if st.setting("down"):
                return Response("<html><body>Service Unavailable</body></html>", status=503, content_type="text/html")
            if st.setting("throttle_next") > 0:
                st.config["throttle_next"] = st.setting("throttle_next") - 1
                st.calls["throttled"] += 1
                retry_after = st.setting("retry_after")
                headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
                return _error(st.setting("throttle_code"), "too many requests", 429, headers=headers)
            if st.setting("fail_next") > 0:
                st.config["fail_next"] = st.setting("fail_next") - 1
                return _error("INTERNAL_ERROR", "internal server error", int(st.setting("fail_next_status") or 500))
        return None

    def authorised() -> Response | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Zoho-oauthtoken ").strip()
        with st.lock:
            expiry = st.tokens.get(token)
            if not header.startswith("Zoho-oauthtoken ") or expiry is None or expiry < time.time():
                st.calls["invalid_token"] += 1
                return _error("INVALID_TOKEN", "invalid oauth token", 401)
        return None

    @app.before_request
    def _gate() -> Response | None:
        if request.path.startswith("/__emulator__"):
            return None
        latency = st.setting("latency_ms")
        if latency:
            time.sleep(latency / 1000)
        failure = injected_failure()
        if failure is not None:
            return failure
        if request.path.startswith(API):
            return authorised()
        return None

    @app.after_request
    def _count(resp: Response) -> Response:
        if not request.path.startswith("/__emulator__"):
            with st.lock:
                st.calls[f"{request.method} {request.url_rule.rule if request.url_rule else request.path}"] += 1
        return resp

    # --- OAuth -------------------------------------------------------------------------------
    @app.post("/oauth/v2/token")
    def token() -> Response:
        form = request.form
        if form.get("grant_type") != "refresh_token":
            return _json({"error": "unsupported_grant_type"}, 400)
        for name, expected in (("client_id", st.client_id), ("client_secret", st.client_secret),
                               ("refresh_token", st.refresh_token)):
            if not form.get(name) or (expected is not None and form.get(name) != expected):
                return _json({"error": "invalid_client" if name != "refresh_token" else "invalid_code"}, 200)
        with st.lock:
            window = st.setting("mint_window_s")
            st.mints = [t for t in st.mints if t > time.time() - window]
            if len(st.mints) >= st.setting("mint_limit"):
                return _json({"error": "Access Denied", "error_description":
                              "You have made too many requests continuously. Please try again after some time."}, 400)
            st.mints.append(time.time())
            access = "1000." + secrets.token_hex(16) + "." + secrets.token_hex(16)
            ttl = int(st.setting("token_ttl"))
            st.tokens[access] = time.time() + ttl
        body: dict[str, Any] = {"access_token": access, "scope": "ZohoCRM.modules.ALL ZohoCRM.settings.ALL",
                                "token_type": "Bearer", "expires_in": ttl}
        if st.setting("api_domain"):
            body["api_domain"] = st.setting("api_domain")
        return _json(body)

    # --- metadata ----------------------------------------------------------------------------
    @app.get(f"{API}/users")
    def users() -> Response:
        return _json({"users": [{"id": "5725767000000411001", "name": "Emulator Admin", "full_name": "Emulator Admin",
                                 "email": "admin@emulator.local", "status": "active"}],
                      "info": {"per_page": 200, "count": 1, "page": 1, "more_records": False}})

    @app.get(f"{API}/org")
    def org() -> Response:
        return _json({"org": [{"id": "5725767000000000001", "zgid": "700000001", "company_name": "Emulator Ltd",
                               "domain_name": "org700000001", "country_code": "IL", "time_zone": "Asia/Jerusalem",
                               "currency": "Israeli Shekel - ILS", "iso_code": "ILS"}]})

    @app.get(f"{API}/settings/fields")
    def fields() -> Response:
        module = request.args.get("module", "")
        if module not in st.fields:
            return _error("INVALID_MODULE", "the module name given seems to be invalid", 400,
                          {"resource_path_index": 0})
        return _json({"fields": copy.deepcopy(st.fields[module])})

    # --- records -----------------------------------------------------------------------------
    def validate(module: str, rec: dict[str, Any], index: int, *, insert: bool) -> dict[str, Any] | None:
        sp = specs(module)
        for name, value in rec.items():
            if name in sp:
                expected = _type_error(sp[name], value)
                if expected:
                    return {"code": "INVALID_DATA", "message": "invalid data", "status": "error",
                            "details": {"expected_data_type": expected, "api_name": name,
                                        "json_path": f"$.data[{index}].{name}"}}
        if insert:
            for name, spec in sp.items():
                if spec["system_mandatory"] and rec.get(name) in (None, ""):
                    return {"code": "MANDATORY_NOT_FOUND", "message": "required field not found", "status": "error",
                            "details": {"api_name": name, "json_path": f"$.data[{index}].{name}"}}
        return None

    def stored(module: str, rec: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        sp = specs(module)
        out = dict(existing or {})
        for name, value in rec.items():
            if name in sp or name.startswith("$") or name == "id":
                out[name] = value
        stamp = now_iso()
        if existing is None:
            out["id"] = str(next(st.ids))
            out["Created_Time"] = stamp
        out["Modified_Time"] = stamp
        return out

    def success(rec: dict[str, Any], message: str, **extra: Any) -> dict[str, Any]:
        by = {"name": "Emulator Admin", "id": "5725767000000411001"}
        return {"code": "SUCCESS", **extra, "details": {"Modified_Time": rec["Modified_Time"], "Modified_By": by,
                                                       "Created_Time": rec["Created_Time"], "id": rec["id"],
                                                       "Created_By": by},
                "message": message, "status": "success"}

    def body_data() -> list[dict[str, Any]] | Response:
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return _error("INVALID_DATA", "body is not valid JSON", 400)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list) or not data or not all(isinstance(r, dict) for r in data):
            return _error("INVALID_DATA", "the input data is invalid", 400, {"expected_data_type": "jsonarray"})
        if len(data) > 100:
            return _error("LIMIT_EXCEEDED", "the number of records exceeds 100", 400, {"limit": 100})
        return data

    def find_duplicate(module: str, rec: dict[str, Any], check: list[str]) -> tuple[dict[str, Any] | None, str | None]:
        sp = specs(module)
        for name in check:
            value = rec.get(name)
            if value in (None, ""):
                continue
            target = _norm(sp.get(name), value)
            for existing in st.records.get(module, {}).values():
                if _norm(sp.get(name), existing.get(name)) == target:
                    return existing, name
        return None, None

    def unique_clash(module: str, rec: dict[str, Any], own_id: str | None) -> dict[str, Any] | None:
        """``DUPLICATE_DATA`` when a unique field of ``rec`` holds another record's value."""
        for name, spec in specs(module).items():
            if spec.get("unique") and rec.get(name) not in (None, ""):
                existing, _ = find_duplicate(module, rec, [name])
                if existing and existing["id"] != own_id:
                    return {"code": "DUPLICATE_DATA", "message": "duplicate data", "status": "error",
                            "details": {"api_name": name, "id": existing["id"]}}
        return None

    def check_module(module: str) -> Response | None:
        if module not in st.fields:
            return _error("INVALID_MODULE", "the module name given seems to be invalid", 400)
        return None

    def module_body(module: str) -> list[dict[str, Any]] | Response:
        """The request's ``data`` list for a known module, or the error answer Zoho gives."""
        return check_module(module) or body_data()

    def check_parent(module: str, rec: dict[str, Any], index: int) -> dict[str, Any] | None:
        """Notes and Tasks must point at an existing record."""
        if module == "Notes":
            parent = rec.get("Parent_Id")
            se_module = rec.get("$se_module")
            if isinstance(parent, dict):
                se_module = ((parent.get("module") or {}).get("api_name")) or se_module
                parent = parent.get("id")
            if not parent or str(parent) not in st.records.get(str(se_module), {}):
                return {"code": "INVALID_DATA", "message": "invalid data", "status": "error",
                        "details": {"api_name": "Parent_Id", "json_path": f"$.data[{index}].Parent_Id"}}
        if module == "Tasks" and rec.get("What_Id") is not None:
            what = rec["What_Id"]
            what_id = what.get("id") if isinstance(what, dict) else what
            if str(what_id) not in st.records.get(str(rec.get("$se_module")), {}):
                return {"code": "INVALID_DATA", "message": "invalid data", "status": "error",
                        "details": {"api_name": "What_Id", "json_path": f"$.data[{index}].What_Id"}}
        return None

    def write_latency() -> None:
        delay = st.setting("write_latency_ms")
        if delay:
            time.sleep(delay / 1000)

    @app.post(f"{API}/<module>/upsert")
    def upsert(module: str) -> Response:
        data = module_body(module)
        if isinstance(data, Response):
            return data
        raw = json.loads(request.get_data())
        check = raw.get("duplicate_check_fields") or (["Email"] if module in {"Leads", "Contacts"} else [])
        results = []
        with st.lock:
            for i, rec in enumerate(data):
                existing, dup = find_duplicate(module, rec, check)
                problem = validate(module, rec, i, insert=existing is None) or \
                    unique_clash(module, rec, existing["id"] if existing else None)
                if problem:
                    results.append(problem)
                    continue
                saved = stored(module, rec, existing)
                st.records.setdefault(module, {})[saved["id"]] = saved
                if existing is None:
                    results.append(success(saved, "record added", duplicate_field=None, action="insert"))
                else:
                    results.append(success(saved, "record updated", duplicate_field=dup, action="update"))
        write_latency()
        status = 200 if any(r["status"] == "success" for r in results) else 400
        return _json({"data": results}, 201 if status == 200 and all(
            r.get("action") == "insert" for r in results) else status)

    @app.post(f"{API}/<module>")
    def create(module: str) -> Response:
        data = module_body(module)
        if isinstance(data, Response):
            return data
        results = []
        with st.lock:
            for i, rec in enumerate(data):
                problem = validate(module, rec, i, insert=True) or check_parent(module, rec, i) or \
                    unique_clash(module, rec, None)
                if problem:
                    results.append(problem)
                    continue
                saved = stored(module, rec, None)
                st.records.setdefault(module, {})[saved["id"]] = saved
                results.append(success(saved, "record added"))
        write_latency()
        ok = any(r["status"] == "success" for r in results)
        return _json({"data": results}, 201 if ok else 400)

    @app.put(f"{API}/<module>")
    @app.put(f"{API}/<module>/<record_id>")
    def update(module: str, record_id: str | None = None) -> Response:
        data = module_body(module)
        if isinstance(data, Response):
            return data
        results = []
        with st.lock:
            for i, rec in enumerate(data):
                rid = record_id or str(rec.get("id") or "")
                existing = st.records.get(module, {}).get(rid)
                if existing is None:
                    results.append({"code": "INVALID_DATA", "message": "the related id given seems to be invalid",
                                    "status": "error", "details": {"api_name": "id", "json_path": f"$.data[{i}].id"}})
                    continue
                problem = validate(module, rec, i, insert=False) or unique_clash(module, rec, rid)
                if problem:
                    results.append(problem)
                    continue
                saved = stored(module, rec, existing)
                st.records[module][rid] = saved
                results.append(success(saved, "record updated"))
        return _json({"data": results}, 200 if any(r["status"] == "success" for r in results) else 400)

    @app.get(f"{API}/<module>/search")
    def search(module: str) -> Response:
        bad = check_module(module)
        if bad:
            return bad
        wanted: list[tuple[str, str]] = []
        if request.args.get("email"):
            wanted.append(("Email", request.args["email"]))
        if request.args.get("phone"):
            wanted.append(("Phone", request.args["phone"]))
        criteria = request.args.get("criteria", "")
        for part in re.findall(r"\(([A-Za-z0-9_]+):equals:([^)]*)\)", criteria):
            wanted.append((part[0], part[1]))
        if not wanted:
            return _error("REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", 400)
        sp = specs(module)
        with st.lock:
            found = [copy.deepcopy(r) for r in st.records.get(module, {}).values()
                     if all(_norm(sp.get(k), r.get(k)) == _norm(sp.get(k), v) for k, v in wanted)]
        if not found:
            return Response(status=204)
        return _json({"data": found, "info": {"per_page": 200, "count": len(found), "page": 1, "more_records": False}})

    @app.get(f"{API}/<module>/<record_id>")
    def get_record(module: str, record_id: str) -> Response:
        bad = check_module(module)
        if bad:
            return bad
        with st.lock:
            rec = st.records.get(module, {}).get(record_id)
        if rec is None:
            return Response(status=204)
        return _json({"data": [copy.deepcopy(rec)]})

    # --- switches ----------------------------------------------------------------------------
    @app.get("/__emulator__/state")
    def state_view() -> Response:
        return _json(st.snapshot())

    @app.post("/__emulator__/config")
    def config() -> Response:
        changes = request.get_json(force=True, silent=True) or {}
        unknown = sorted(set(changes) - set(st.DEFAULTS))
        if unknown:
            return _json({"error": f"unknown switches: {', '.join(unknown)}", "known": sorted(st.DEFAULTS)}, 400)
        with st.lock:
            st.config.update(changes)
        return _json({**st.DEFAULTS, **st.config})

    @app.post("/__emulator__/expire-tokens")
    def expire_tokens() -> Response:
        with st.lock:
            count = len(st.tokens)
            st.tokens.clear()
        return _json({"expired": count})

    @app.post("/__emulator__/fields")
    def add_field() -> Response:
        body = request.get_json(force=True, silent=True) or {}
        module, api_name, data_type = body.get("module"), body.get("api_name"), body.get("data_type", "text")
        if module not in st.fields or not api_name:
            return _json({"error": "give module (one of the emulated modules) and api_name"}, 400)
        spec = _f(api_name, data_type, picklist=body.get("picklist"), length=body.get("length"),
                  unique=bool(body.get("unique")))
        spec["custom_field"] = True
        with st.lock:
            st.fields[module] = [f for f in st.fields[module] if f["api_name"] != api_name] + [spec]
        return _json(spec)

    @app.post("/__emulator__/reset")
    def reset() -> Response:
        st.reset()
        return _json({"reset": True})

    return app
