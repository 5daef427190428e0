"""The extraction itself: contract text in, type, language, parties, fields and warnings out.

Used by the node (:mod:`.node`) and by the eval (:mod:`.eval`), which runs it on the gold
contracts without the HTTP and file-reading layers around it.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any, cast

from nodes.core.limits import Deadline
from nodes.text import detect_language, find_amounts, find_dates, find_ids

from .clauses import Clauses, find_durations
from .contract_type import detect_contract_type
from .custom import extract_custom
from .fields import (
    Found,
    find_auto_renewal,
    find_dates_fields,
    find_governing_law,
    find_jurisdiction,
    find_money,
    find_notice,
    find_term,
)
from .models import STANDARD_FIELDS, CustomField, FieldValue, IdType, Party
from .parties import find_parties

log = logging.getLogger("tzomet")

_SIGNATURE = re.compile(
    r"ולראי[י]?ה|על\s+החתום|חתימת|חתימה|IN\s+WITNESS|signature|signed\s*:|_{4,}|\.{8,}",
    re.IGNORECASE,
)
_ID_TYPES = {"israeli_id", "company", "amuta", "passport"}


def _months_between(a: dt.date, b: dt.date) -> float:
    return (b.year - a.year) * 12 + (b.month - a.month) + (b.day - a.day + 1) / 30.0


def _add_months(day: dt.date, months: int) -> dt.date | None:
    year, month = divmod(day.month - 1 + months, 12)
    try:
        return day.replace(year=day.year + year, month=month + 1)
    except ValueError:  # the 31st of a shorter month
        return None


def whole_months(start: dt.date, end: dt.date) -> int | None:
    """The term that runs from ``start`` to ``end`` when it is a whole number of months (1 to 120), written as
    leases and policies are — to the day before the anniversary ("1.3.2025 to 29.2.2028"); else ``None``. A
    schedule that ends on the anniversary's day ("instalments from 1.10.2026 until 1.9.2028") is not a term."""
    for months in range(1, 121):
        anniversary = _add_months(start, months)
        if anniversary is None:
            continue
        if anniversary > end + dt.timedelta(days=1):
            return None
        if end == anniversary - dt.timedelta(days=1):
            return months
    return None


def _field(text: str, found: Found | None) -> FieldValue | None:
    if found is None:
        return None
    return FieldValue(value=found.value, text=text[found.start:found.end], start=found.start, end=found.end,
                      confidence=round(found.confidence, 2))


def extract(
    text: str,
    custom: list[CustomField] | None = None,
    *,
    contract_type: str | None = None,
    language: str | None = None,
    deadline: Deadline | None = None,
) -> dict[str, Any]:
    """Extract type, language, parties, standard and custom fields and warnings from ``text``.

    ``deadline`` bounds the custom fields' patterns (the default settings' budget when ``None``).
    """
    warnings: list[str] = []
    clauses = Clauses(text)
    dates = find_dates(text)
    amounts = list(find_amounts(text))
    ids = find_ids(text)
    durations = find_durations(text)

    found: dict[str, Found | None] = {}

    def guarded(names: tuple[str, ...], finder: Any) -> None:
        # One rule failing on odd input costs its fields, never the whole answer.
        try:
            finder()
        except Exception:
            log.exception("extract-contract-fields: rule for %s failed", ", ".join(names))
            warnings.append(f"Could not read {', '.join(names)} from this text.")
            for name in names:
                found[name] = None

    def money() -> None:
        payment, deposit, money_warnings = find_money(text, clauses, amounts)
        warnings.extend(money_warnings)
        found["payment_amount"], found["security_deposit"] = payment, deposit

    guarded(("signing_date", "start_date", "end_date"), lambda: found.update(find_dates_fields(text, clauses, dates)))
    guarded(("term_months",), lambda: found.update(term_months=find_term(text, clauses, durations)))
    guarded(("payment_amount", "security_deposit"), money)
    guarded(("notice_period_days",), lambda: found.update(notice_period_days=find_notice(text, clauses, durations)))
    guarded(("auto_renewal",), lambda: found.update(auto_renewal=find_auto_renewal(text)))
    guarded(("jurisdiction",), lambda: found.update(jurisdiction=find_jurisdiction(text, clauses)))
    guarded(("governing_law",), lambda: found.update(governing_law=find_governing_law(text)))

    start, end = found.get("start_date"), found.get("end_date")
    if found.get("term_months") is None and start is not None and end is not None:
        # a term given only by its dates ("from 1.3.2025 until 29.2.2028") is still a term: its evidence is the end
        months = whole_months(dt.date.fromisoformat(start.value), dt.date.fromisoformat(end.value))
        if months is not None:
            found["term_months"] = Found(months, end.start, end.end, min(start.confidence, end.confidence) * 0.8)
    fields: dict[str, FieldValue | None] = {name: _field(text, found.get(name)) for name in STANDARD_FIELDS}
    if custom:
        custom_found, custom_warnings = extract_custom(text, custom, dates, amounts,
                                                       deadline or Deadline.from_settings(None))
        warnings.extend(custom_warnings)
        for name, f in custom_found.items():
            if name in STANDARD_FIELDS:
                if f is not None:
                    fields[name] = _field(text, f)
            else:
                fields[name] = _field(text, f)

    parties: list[Party] = []
    try:
        found_parties = find_parties(text, ids)
    except Exception:
        log.exception("extract-contract-fields: party rule failed")
        warnings.append("Could not read the parties from this text.")
        found_parties = []
    for p in found_parties:
        idm = p.id_match
        id_type: IdType | None = None
        if idm is not None:
            kind = str(idm.extra.get("id_type"))
            id_type = cast(IdType, kind) if kind in _ID_TYPES else "other"
        parties.append(Party(
            name=p.name, role=p.role, id_number=idm.value if idm else None, id_type=id_type,
            id_valid=bool(idm.extra.get("valid")) if idm else None, start=p.start, end=p.end,
        ))
        if idm is not None and not idm.extra.get("valid"):
            warnings.append(f"The ID number {idm.value} of {p.name} has an invalid check digit.")

    start, end, term = found.get("start_date"), found.get("end_date"), found.get("term_months")
    if start and end:
        sd, ed = dt.date.fromisoformat(start.value), dt.date.fromisoformat(end.value)
        if ed < sd:
            warnings.append(f"The end date {end.value} is before the start date {start.value}.")
        elif term and abs(_months_between(sd, ed) - term.value) > 1:
            warnings.append(
                f"The term of {term.value} months does not match the dates {start.value} to {end.value}."
            )
    if not _SIGNATURE.search(text[-max(1500, len(text) // 5):]):
        warnings.append("No signature block was found.")
    if all(fields[name] is None for name in STANDARD_FIELDS):
        warnings.append("No contract fields were recognised in this text.")

    if contract_type is None:
        contract_type, _ = detect_contract_type(text)
    if language is None:
        language = detect_language(text[:20000])
    return {
        "contract_type": contract_type,
        "language": language,
        "parties": parties,
        "fields": fields,
        "warnings": warnings,
    }
