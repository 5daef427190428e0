"""Request and response models of ``extract-contract-fields`` (the JSON Schemas come from here)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator

from nodes.core.node import OutputModel, StrictModel

from .patterns import check_pattern

ContractType = Literal["lease", "service", "employment", "nda", "sale", "loan", "insurance", "other"]
Language = Literal["he", "en", "ar", "mixed", "unknown"]
IdType = Literal["israeli_id", "company", "amuta", "passport", "other"]

#: the standard fields, in the order they appear in every response
STANDARD_FIELDS: tuple[str, ...] = (
    "signing_date",
    "start_date",
    "end_date",
    "term_months",
    "payment_amount",
    "security_deposit",
    "notice_period_days",
    "auto_renewal",
    "jurisdiction",
    "governing_law",
)

MAX_TEXT_CHARS = 2_000_000
MAX_CUSTOM_FIELDS = 50
MAX_PATTERN_CHARS = 500
#: patterns of all the custom fields of one request together (each may scan the whole contract)
MAX_PATTERNS = 100
MAX_KEYWORD_CHARS = 200

Pattern = Annotated[str, Field(min_length=1, max_length=MAX_PATTERN_CHARS), AfterValidator(check_pattern)]
Keyword = Annotated[str, Field(min_length=1, max_length=MAX_KEYWORD_CHARS)]


class FileInput(StrictModel):
    """A file sent inside JSON: its bytes in base64, and what it is."""

    content_base64: str = Field(min_length=1, description="The file's bytes, base64-encoded.")
    filename: str | None = Field(default=None, max_length=500, description="e.g. contract.pdf")
    content_type: str | None = Field(
        default=None,
        max_length=200,
        description="application/pdf, the DOCX type or text/plain; guessed from the bytes and filename when absent.",
    )


class CustomField(StrictModel):
    """A field an agency adds per request: found by its regex patterns and/or keywords."""

    name: str = Field(min_length=1, max_length=100, pattern=r"^[^\s].*$")
    type: Literal["string", "date", "amount", "number", "boolean"] = "string"
    patterns: list[Pattern] = Field(
        default_factory=list,
        max_length=20,
        description="Python regular expressions; the first group (or the whole match) is the value. A repeated "
                    "group may not hold a quantifier of variable length ((a+)+, (.*a){10}) nor alternatives "
                    "that start alike ((a|aa)+); a pattern that runs longer than a second is stopped.",
    )
    keywords: list[Keyword] = Field(
        default_factory=list,
        max_length=50,
        description="Words that introduce the value, e.g. 'מספר רישוי'; the value is read right after them.",
    )

    @model_validator(mode="after")
    def _something_to_look_for(self) -> CustomField:
        if not self.patterns and not self.keywords:
            raise ValueError("give at least one of patterns or keywords")
        return self


class ExtractContractFieldsInput(StrictModel):
    """One contract: as text, or as a file (PDF, DOCX, plain text; scanned PDFs need Tesseract)."""

    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS, description="The contract as plain text.")
    file: FileInput | None = Field(default=None, description="The contract as a file (base64).")
    contract_type: ContractType | None = Field(default=None, description="Skip detection and use this type.")
    language: Literal["he", "en", "ar", "mixed"] | None = Field(
        default=None, description="Skip detection and use this language."
    )
    fields: list[CustomField] = Field(
        default_factory=list, max_length=MAX_CUSTOM_FIELDS, description="Custom fields to extract as well."
    )
    include_text: bool = Field(
        default=False, description="Also return the extracted text that every start/end points into."
    )

    @model_validator(mode="after")
    def _one_source(self) -> ExtractContractFieldsInput:
        if (self.text is None) == (self.file is None):
            raise ValueError("send exactly one of text or file")
        return self

    @field_validator("fields")
    @classmethod
    def _few_patterns(cls, fields: list[CustomField]) -> list[CustomField]:
        if sum(len(f.patterns) for f in fields) > MAX_PATTERNS:
            raise ValueError(f"the custom fields may have at most {MAX_PATTERNS} patterns in all")
        return fields


class Party(OutputModel):
    """One party to the contract, from the opening block."""

    name: str
    role: str | None = Field(description='The role word as written, e.g. "המשכיר", "Consultant".')
    id_number: str | None
    id_type: IdType | None
    id_valid: bool | None = Field(description="Whether the check digit is right (None when there is no number).")
    start: int = Field(description="Where the party's name starts in the extracted text.")
    end: int


class FieldValue(OutputModel):
    """One extracted value and its evidence: ``text == extracted_text[start:end]``."""

    value: Any
    text: str
    start: int
    end: int
    confidence: float = Field(ge=0, le=1)


class ExtractContractFieldsOutput(OutputModel):
    """What was found; a standard field that the contract does not state is ``null``."""

    contract_type: ContractType
    language: Language
    parties: list[Party]
    fields: dict[str, FieldValue | None]
    warnings: list[str]
    pages: int | None
    source: Literal["text", "pdf", "pdf_ocr", "docx"] = Field(description="Where the text came from.")
    document_sha256: str = Field(
        description="SHA-256 of the document as sent (file bytes, or the text as UTF-8): the same contract "
                    "always gives the same value, so workflows derive idempotency keys from it.")
    text: str | None = Field(default=None, description="The extracted text (only with include_text).")
