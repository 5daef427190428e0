"""extract-contract-fields: contract fields with their evidence, from text, PDF and DOCX."""

from nodes.core.registry import register

register("extract-contract-fields", "nodes.extract_contract_fields.node:ExtractContractFieldsNode", order=30)
