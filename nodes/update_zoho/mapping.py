"""Mapping profiles: from classify-lead / summarize-conversation / extract-contract-fields
outputs to a Zoho record, and the check of a record against the org's field metadata.

Everything here is pure (no I/O) and tolerant: the ``from`` objects are other actions'
outputs that a workflow may have edited, so a missing or odd-shaped part is skipped, never
an exception. A profile is configuration (``actions.update-zoho.mappings.<name>`` in the
config file) laid over :data:`DEFAULT_PROFILE`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Protocol

#: what the ``default`` profile does; a configured profile overrides any part of it
DEFAULT_PROFILE: dict[str, Any] = {
    # logical value -> Zoho field API name (None: the value only goes into the description)
    "fields": {
        "first_name": "First_Name",
        "last_name": "Last_Name",
        "phone": "Phone",
        "email": "Email",
        "company": "Company",
        "channel": "Lead_Source",
        "temperature": "Rating",
        "category": None,
        "urgency": None,
        "lead_score": None,
        "description": "Description",
    },
    # module-specific name fields (Leads/Contacts use first/last name)
    "name_field": {"Accounts": "Account_Name", "Deals": "Deal_Name"},
    # channel (classify-lead's request channel) -> the lead source value to send
    "channel_values": {
        "whatsapp": "WhatsApp", "web_form": "Web Form", "email": "Email", "sms": "SMS",
        "phone_call": "Phone Call", "facebook": "Facebook", "instagram": "Instagram", "other": "Other",
    },
    "temperature_values": {"hot": "Hot", "warm": "Warm", "cold": "Cold"},
    # where a value goes when its field does not exist or its picklist lacks it
    "fallback_field": "Description",
    # Last_Name (or the module's name field) when no name is known
    "placeholder_name": "ליד {source} {contact}",
    # fixed values per module, e.g. a Deal needs a Stage
    "defaults": {"Deals": {"Stage": "Qualification"}},
    "labels": {
        "category": "קטגוריה", "urgency": "דחיפות", "temperature": "טמפרטורה", "lead_score": "ציון ליד",
        "handoff": "נדרש נציג", "key_points": "נקודות עיקריות", "customer_requests": "בקשות הלקוח",
        "action_items": "משימות", "contract": "חוזה", "parties": "צדדים", "source": "מקור",
        "unknown_source": "חדש", "no_contact": "ללא פרטי קשר",
    },
}

#: where each module puts its duplicate check by default
DEFAULT_DUPLICATE_CHECK: dict[str, list[str]] = {
    "Leads": ["Email", "Phone"],
    "Contacts": ["Email", "Phone"],
    "Accounts": ["Account_Name"],
    "Deals": ["Deal_Name"],
}

_TEXT_TYPES = {"text", "textarea"}


class FieldLike(Protocol):
    """What :func:`check_record` needs to know about a field (see ``zoho_sdk.FieldInfo``)."""

    @property
    def api_name(self) -> str: ...
    @property
    def data_type(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def read_only(self) -> bool: ...
    @property
    def length(self) -> int | None: ...
    @property
    def picklist(self) -> tuple[str, ...] | None: ...


class MappingError(ValueError):
    """A mapping profile or a mapped record cannot be used; ``loc`` names the request field."""

    def __init__(self, loc: str, msg: str) -> None:
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def profile(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping profile ``name`` from the action options, over :data:`DEFAULT_PROFILE`.

    Raises :class:`MappingError` for an unknown profile name.
    """
    configured = options.get("mappings") or {}
    if not isinstance(configured, Mapping):
        configured = {}
    if name != "default" and name not in configured:
        known = ", ".join(["default", *sorted(k for k in configured if k != "default")])
        raise MappingError("mapping", f"no mapping profile {name!r}; configured profiles: {known}")
    chosen = configured.get(name) or {}
    return _merge(DEFAULT_PROFILE, chosen if isinstance(chosen, Mapping) else {})


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _first(*candidates: Any) -> str | None:
    for value in candidates:
        if isinstance(value, list):
            value = next((v for v in value if _text(v)), None)
        text = _text(value)
        if text:
            return text
    return None


def _items(value: Any) -> list[str]:
    out = []
    for item in value if isinstance(value, list) else []:
        text = _text(item) or _text(_obj(item).get("text"))
        if text:
            out.append(text)
    return out


def _split_name(name: str) -> tuple[str | None, str]:
    parts = name.split()
    if len(parts) < 2:
        return None, name
    return " ".join(parts[:-1]), parts[-1]


def map_sources(module: str, sources: Mapping[str, Any], prof: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Build the record for ``module`` from the ``from`` objects; return ``(record, warnings)``."""
    fields: dict[str, Any] = dict(prof.get("fields") or {})
    labels: dict[str, str] = dict(prof.get("labels") or {})
    classification = _obj(sources.get("classification"))
    summary = _obj(sources.get("summary"))
    contract = _obj(sources.get("contract"))
    contact = _obj(sources.get("contact"))
    c_contact = _obj(classification.get("contact"))
    entities = _obj(summary.get("entities"))
    warnings: list[str] = []
    record: dict[str, Any] = {}

    def put(logical: str, value: Any) -> None:
        target = fields.get(logical)
        if value is not None and value != "" and isinstance(target, str) and target:
            record[target] = value

    channel = _first(contact.get("channel"), sources.get("channel"))
    source_label = None
    if channel:
        source_label = dict(prof.get("channel_values") or {}).get(channel, channel)
    phone = _first(contact.get("phone"), c_contact.get("phones"), entities.get("phones"))
    email = _first(contact.get("email"), c_contact.get("emails"), entities.get("emails"))
    parties = [p for p in contract.get("parties") or [] if isinstance(p, dict)]
    name = _first(contact.get("name"), c_contact.get("name"), summary.get("customer_name"),
                  parties[0].get("name") if parties and module in {"Accounts", "Deals"} else None)
    first = _text(contact.get("first_name"))
    last = _text(contact.get("last_name"))
    if name and not (first or last):
        first, last = _split_name(name)
    placeholder = None
    if not (name or last):
        template = str(prof.get("placeholder_name") or "{source} {contact}")
        try:
            placeholder = template.format(source=source_label or labels.get("unknown_source", ""),
                                          contact=phone or email or labels.get("no_contact", ""))
        except (KeyError, IndexError, ValueError):
            placeholder = f"{source_label or ''} {phone or email or ''}"
        placeholder = " ".join(placeholder.split()) or "Lead"
        warnings.append(f"no name in the input: {module} name set to a placeholder")

    name_field = dict(prof.get("name_field") or {}).get(module)
    if name_field:
        deal_name = None
        if module == "Deals" and contract.get("contract_type"):
            deal_name = " – ".join(x for x in (str(contract["contract_type"]), name) if x)
        record[name_field] = _first(contact.get("company") if module == "Accounts" else None, deal_name, name,
                                    placeholder) or placeholder
    else:
        put("first_name", first)
        put("last_name", last or placeholder)
        if module == "Leads":
            put("company", _text(contact.get("company")))
    if module != "Accounts":
        put("email", email)
    put("phone", phone)
    put("channel", source_label)

    lead = _obj(classification.get("lead"))
    temperature = _text(lead.get("temperature"))
    if temperature:
        put("temperature", dict(prof.get("temperature_values") or {}).get(temperature, temperature))
    category = _text(classification.get("category")) or _text(summary.get("category"))
    urgency = _text(classification.get("urgency"))
    score = lead.get("score") if isinstance(lead.get("score"), int | float) else None
    put("category", category)
    put("urgency", urgency)
    put("lead_score", score)

    if module == "Deals":
        amount = _obj(_obj(_obj(contract.get("fields")).get("payment_amount")).get("value")).get("amount")
        if isinstance(amount, int | float) and not isinstance(amount, bool):
            record.setdefault("Amount", amount)

    # The description: the summary first, then what has no field of its own.
    lines: list[str] = []
    if _text(summary.get("summary")):
        lines.append(str(summary["summary"]).strip())
    for key in ("key_points", "customer_requests", "action_items"):
        items = _items(summary.get(key))
        if items:
            lines.append(f"{labels.get(key, key)}:")
            lines.extend(f"- {item}" for item in items)
    facts = []
    for logical, value in (("category", category), ("urgency", urgency), ("temperature", temperature),
                           ("lead_score", score)):
        if value is not None and not fields.get(logical):
            facts.append(f"{labels.get(logical, logical)}: {value}")
    handoff = _obj(classification.get("handoff")) or _obj(summary.get("handoff"))
    if handoff.get("required") is True:
        reasons = ", ".join(r for r in handoff.get("reasons") or [] if isinstance(r, str))
        facts.append(f"{labels.get('handoff', 'handoff')}: {reasons or 'yes'}")
    if facts:
        lines.append(" · ".join(facts))
    if contract:
        parts = [str(contract.get("contract_type") or "")]
        party_names = [str(p.get("name")) for p in parties if _text(p.get("name"))]
        if party_names:
            parts.append(f"{labels.get('parties', 'parties')}: {', '.join(party_names)}")
        cfields = _obj(contract.get("fields"))
        for key in ("signing_date", "start_date", "end_date", "payment_amount", "notice_period_days"):
            value = _obj(cfields.get(key)).get("value")
            if isinstance(value, dict):
                value = " ".join(str(value[k]) for k in ("amount", "currency", "period") if value.get(k) is not None)
            if value not in (None, ""):
                parts.append(f"{key}: {value}")
        lines.append(f"{labels.get('contract', 'contract')}: " + "; ".join(p for p in parts if p))
    if lines:
        put("description", "\n".join(lines))

    for api_name, value in _obj(_obj(prof.get("defaults")).get(module)).items():
        record.setdefault(api_name, value)
    return record, warnings


def _fallback_target(fields: Mapping[str, FieldLike], wanted: str | None) -> str | None:
    for name in (wanted, "Description"):
        info = fields.get(name) if name else None
        if info is not None and info.data_type in _TEXT_TYPES and not info.read_only:
            return name
    return None


def check_record(
    module: str,
    record: Mapping[str, Any],
    fields: Mapping[str, FieldLike],
    *,
    mapped: bool,
    fallback_field: str | None = "Description",
) -> tuple[dict[str, Any], list[str]]:
    """Check a record against the org's field metadata; return ``(record to send, warnings)``.

    For a mapped record (``mapped=True``) a value Zoho would refuse — a field the org does
    not have, a read-only field, a picklist value the picklist lacks — moves into the
    fallback field (a text field; ``Description`` when the configured one is unusable), and
    too-long text is cut. A direct record is sent as given (Zoho's verdict comes back as
    422), except that picklist values are matched case-insensitively.
    """
    out: dict[str, Any] = {}
    moved: list[str] = []
    warnings: list[str] = []
    target = _fallback_target(fields, fallback_field)
    for name, value in record.items():
        info = fields.get(name)
        if info is None:
            if mapped:
                moved.append(f"{name}: {value}")
                warnings.append(f"{name} is not a field of {module}; its value was written to {target or 'nowhere'}")
            else:
                out[name] = value
                warnings.append(f"{name} is not a field of {module} in this org; Zoho ignores unknown fields")
            continue
        if info.read_only:
            warnings.append(f"{name} is read-only in {module}; not sent")
            continue
        if info.picklist is not None and isinstance(value, str):
            canonical = next((v for v in info.picklist if v.casefold() == value.casefold()), None)
            if canonical is not None:
                value = canonical
            elif mapped:
                moved.append(f"{info.label}: {value}")
                warnings.append(f"{value!r} is not in the {name} picklist; written to {target or 'nowhere'}")
                continue
        if mapped and info.data_type in _TEXT_TYPES | {"phone", "email"} and isinstance(value, str) and info.length \
                and len(value) > info.length:
            value = value[: info.length]
            warnings.append(f"{name} was cut to {info.length} characters")
        out[name] = value
    if moved and target:
        existing = out.get(target)
        text = "\n".join([*([existing] if isinstance(existing, str) and existing else []), *moved])
        limit = fields[target].length
        out[target] = text[:limit] if limit else text
    return out, warnings
