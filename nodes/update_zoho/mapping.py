"""Mapping profiles: from classify-lead / summarize-conversation / extract-contract-fields
outputs to a Zoho record, and the check of a record against the org's field metadata.

Everything here is pure (no I/O) and tolerant: the ``from`` objects are other actions'
outputs that a workflow may have edited, so a missing or odd-shaped part is skipped, never
an exception. A profile is configuration (``actions.update-zoho.mappings.<name>`` in the
config file) laid over :data:`DEFAULT_PROFILE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from nodes.core.mapping import MappingError, map_sources
from nodes.core.mapping import profile as _profile

__all__ = ["DEFAULT_DUPLICATE_CHECK", "DEFAULT_PROFILE", "MappingError", "check_record", "map_sources", "profile"]

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
        "amount": "Amount",
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


def profile(name: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """The mapping profile ``name`` from update-zoho's options, over :data:`DEFAULT_PROFILE`."""
    return _profile(name, options, DEFAULT_PROFILE)


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
