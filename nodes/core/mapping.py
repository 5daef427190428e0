"""Mapping profiles: from classify-lead / summarize-conversation / extract-contract-fields outputs to a
CRM record, the same way for every CRM (each CRM action brings its default profile: its own field names).

Everything here is pure (no I/O) and tolerant: the ``from`` objects are other actions' outputs that a
workflow may have edited, so a missing or odd-shaped part is skipped, never an exception. A profile is
configuration (``actions.<action>.mappings.<name>`` in the config file) laid over the CRM's default.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


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


def profile(name: str, options: Mapping[str, Any], default: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping profile ``name`` from the action options (``mappings``), over the CRM's ``default``.

    Raises :class:`MappingError` for an unknown profile name.
    """
    configured = options.get("mappings") or {}
    if not isinstance(configured, Mapping):
        configured = {}
    if name != "default" and name not in configured:
        known = ", ".join(["default", *sorted(k for k in configured if k != "default")])
        raise MappingError("mapping", f"no mapping profile {name!r}; configured profiles: {known}")
    chosen = configured.get(name) or {}
    return _merge(dict(default), chosen if isinstance(chosen, Mapping) else {})


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
    """Build the record for ``module`` from the ``from`` objects; return ``(record, warnings)``.

    ``module`` is the record's role, in Zoho's words whatever the CRM: ``Leads``, ``Contacts`` (a person),
    ``Accounts`` (an organisation, named after the company), ``Deals`` (named after the contract, with its
    amount). The profile names the CRM's fields for each logical value."""
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
        if isinstance(amount, int | float) and not isinstance(amount, bool) and _text(fields.get("amount")):
            record.setdefault(str(fields["amount"]), amount)

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
