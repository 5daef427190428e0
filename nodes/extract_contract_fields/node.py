"""The ``extract-contract-fields`` node: contract in (text, PDF, DOCX, scan), fields with evidence out."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
import re
from typing import Any, ClassVar, cast

from pydantic import ValidationError

from nodes.base import Context, Node, NodeError
from nodes.limits import Deadline, check_text_chars

from . import documents
from .bidi import repair_visual_lines
from .clauses import Clauses, find_durations
from .contract_type import detect_contract_type
from .custom import extract_custom
from .documents import Document
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
from .models import (
    STANDARD_FIELDS,
    CustomField,
    ExtractContractFieldsInput,
    ExtractContractFieldsOutput,
    FieldValue,
    IdType,
    Party,
)
from .parties import find_parties

log = logging.getLogger("tzomet")

_SIGNATURE = re.compile(
    r"ולראי[י]?ה|על\s+החתום|חתימת|חתימה|IN\s+WITNESS|signature|signed\s*:|_{4,}|\.{8,}",
    re.IGNORECASE,
)
_ID_TYPES = {"israeli_id", "company", "amuta", "passport"}


def _months_between(a: dt.date, b: dt.date) -> float:
    return (b.year - a.year) * 12 + (b.month - a.month) + (b.day - a.day + 1) / 30.0


class ExtractContractFieldsNode(Node):
    """Find parties, dates, money, term, notice, renewal, court and law in a contract."""

    name = "extract-contract-fields"
    title = "Extract contract fields"
    description = (
        "Reads a contract (text, PDF, DOCX; scans with Tesseract) and returns its type, language, parties with "
        "ID numbers, and the standard fields (dates, term, payment, deposit, notice, renewal, jurisdiction, "
        "governing law) each with the exact text and position it came from; custom fields on request."
    )
    Input = ExtractContractFieldsInput
    Output = ExtractContractFieldsOutput
    extra_content_types: ClassVar[tuple[str, ...]] = (
        "multipart/form-data",
        documents.PDF,
        documents.DOCX,
        documents.TEXT,
        documents.OCTET,
    )
    engine = "local"
    model = "contract-rules"
    model_version = "1"

    # --- input ----------------------------------------------------------------------

    def parse_body(self, content_type: str, body: bytes, form: Any = None) -> dict[str, Any]:
        """Turn a multipart upload or a raw file body into the JSON input form."""
        if content_type == "multipart/form-data":
            upload = form.files.get("file") if form is not None else None
            if upload is None:
                raise NodeError(422, "The multipart body has no part named 'file'.",
                                errors=[{"loc": "file", "msg": "field required: a file part named 'file'"}])
            data = upload.read()
            if not data:
                raise NodeError(422, "The file is empty.", errors=[{"loc": "file", "msg": "empty file"}])
            data_in: dict[str, Any] = {
                "file": {
                    "content_base64": base64.b64encode(data).decode("ascii"),
                    "filename": upload.filename or None,
                    "content_type": upload.mimetype or None,
                }
            }
            for key in ("contract_type", "language"):
                if form.form.get(key):
                    data_in[key] = form.form[key]
            if form.form.get("include_text"):
                data_in["include_text"] = form.form["include_text"].lower() in ("1", "true", "yes")
            if form.form.get("fields"):
                import json

                try:
                    data_in["fields"] = json.loads(form.form["fields"])
                except ValueError:
                    raise NodeError(422, "The 'fields' form part is not valid JSON.",
                                    errors=[{"loc": "fields", "msg": "expected a JSON list"}]) from None
            return data_in
        if not body:
            raise NodeError(422, "The body is empty; send the contract.", errors=[{"loc": "file", "msg": "empty"}])
        return {"file": {"content_base64": base64.b64encode(body).decode("ascii"), "content_type": content_type}}

    def _document(self, data: ExtractContractFieldsInput, ctx: Context, deadline: Deadline) -> tuple[Document, str]:
        """The document's text, and the SHA-256 of the document as sent (file bytes, or text as UTF-8)."""
        if data.text is not None:
            check_text_chars(data.text, "text", ctx.settings)
            text, fixed = repair_visual_lines(data.text)
            doc = Document(text=text, source="text")
            if fixed:
                doc.warnings.append(f"{fixed} line(s) were in visual (reversed) order and were reordered; "
                                    "start/end refer to the reordered text (see include_text).")
            return doc, hashlib.sha256(data.text.encode("utf-8")).hexdigest()
        assert data.file is not None
        raw = _b64decode(data.file.content_base64)
        if not raw:
            raise NodeError(422, "The file is empty.", errors=[{"loc": "file", "msg": "empty file"}])
        try:
            return documents.read_document(raw, data.file.content_type, data.file.filename,
                                           settings=ctx.settings, deadline=deadline), \
                hashlib.sha256(raw).hexdigest()
        except NodeError:
            raise
        except Exception:  # a parser bug must not become a 500
            raise NodeError(422, "The file could not be read.", errors=[{"loc": "file", "msg": "unreadable"}]) from None

    # --- run --------------------------------------------------------------------------

    def run(self, data: ExtractContractFieldsInput, ctx: Context) -> ExtractContractFieldsOutput:
        """Extract everything from one contract, within the request's time budget."""
        deadline = Deadline.from_settings(ctx.settings)
        doc, sha256 = self._document(data, ctx, deadline)
        if not doc.text.strip():
            loc = "text" if data.text is not None else "file"
            raise NodeError(422, "The contract has no text.", errors=[{"loc": loc, "msg": "no text"}])
        custom = self._custom_fields(data, ctx)
        result = extract(doc.text, custom, contract_type=data.contract_type, language=data.language,
                         deadline=deadline)
        warnings = doc.warnings + result.pop("warnings")
        return ExtractContractFieldsOutput(
            **result, warnings=warnings, pages=doc.pages, source=doc.source,  # type: ignore[arg-type]
            document_sha256=sha256, text=doc.text if data.include_text else None,
        )

    def _custom_fields(self, data: ExtractContractFieldsInput, ctx: Context) -> list[CustomField]:
        fields: dict[str, CustomField] = {}
        options: dict[str, Any] = {}
        if ctx is not None and ctx.settings is not None and hasattr(ctx.settings, "action_options"):
            options = ctx.settings.action_options(self.name, ctx.tenant) or {}
        for raw in options.get("fields", []) or []:
            try:
                f = CustomField.model_validate(raw)
            except ValidationError as err:
                # A bad tenant default must not break requests; the operator finds it in the log.
                first = err.errors(include_url=False)[0]
                log.warning("extract-contract-fields: tenant %s: a default custom field is skipped: %s: %s",
                            ctx.tenant, ".".join(map(str, first["loc"])) or "field", first["msg"])
                continue
            fields[f.name] = f
        for f in data.fields:
            fields[f.name] = f
        return list(fields.values())

    def evaluate(self, data_path: str | None = None) -> dict[str, Any]:
        """Score on the bundled gold contracts (or ``data_path``); see :mod:`.eval`."""
        from .eval import evaluate

        return evaluate(data_path)


_BASE64_WHITESPACE = b" \t\r\n\v\f"


def _b64decode(content: str) -> bytes:
    """Decode base64 strictly: whitespace (line breaks n8n may insert) is dropped, anything else is a 422."""
    try:
        return base64.b64decode(content.encode("ascii").translate(None, _BASE64_WHITESPACE), validate=True)
    except (binascii.Error, ValueError):  # UnicodeEncodeError is a ValueError
        raise NodeError(422, "file.content_base64 is not valid base64.",
                        errors=[{"loc": "file.content_base64", "msg": "not valid base64"}]) from None


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
    from nodes.text import detect_language, find_amounts, find_dates, find_ids

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
