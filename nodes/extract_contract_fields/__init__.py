"""``extract-contract-fields``: contract fields with evidence, from text, PDF and DOCX."""

from .node import ExtractContractFieldsNode, extract

__all__ = ["ExtractContractFieldsNode", "extract"]
