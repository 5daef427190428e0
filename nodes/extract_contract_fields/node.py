"""The ``extract-contract-fields`` node: contract in (text, PDF, DOCX, scan), fields with evidence out."""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from typing import Any, ClassVar

from pydantic import ValidationError

from nodes.core import documents
from nodes.core.documents import Document
from nodes.core.limits import Deadline, check_text_chars
from nodes.core.node import Context, Node, NodeError
from nodes.text.bidi import repair_visual_lines

from .extract import extract
from .models import CustomField, ExtractContractFieldsInput, ExtractContractFieldsOutput

log = logging.getLogger("tzomet")


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
            data, filename, mimetype = documents.uploaded_file(form)
            data_in: dict[str, Any] = {
                "file": {"content_base64": base64.b64encode(data).decode("ascii"), "filename": filename,
                         "content_type": mimetype}
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
        deadline = ctx.deadline
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
        options = ctx.options(self.name)
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

    def evaluate(self, data_path: str | None = None, **options: Any) -> dict[str, Any]:
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
