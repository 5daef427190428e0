"""The node registry: action name -> node.

Adding an action is adding one package under ``nodes/`` and one line in ``_NODE_PATHS``;
the HTTP route, batch route, schema endpoint, OpenAPI entry and CLI command come from
here. Nodes are imported lazily so a broken optional dependency of one node cannot stop
the others from serving.
"""

from __future__ import annotations

import importlib
from functools import cache

from nodes.base import Node

#: action name -> "module:ClassName"
_NODE_PATHS: dict[str, str] = {
    "echo": "nodes.echo:EchoNode",
    "classify-lead": "nodes.classify_lead:ClassifyLeadNode",
    "summarize-conversation": "nodes.summarize_conversation:SummarizeConversationNode",
    "extract-contract-fields": "nodes.extract_contract_fields:ExtractContractFieldsNode",
    "update-zoho": "nodes.update_zoho:UpdateZohoNode",
}

#: actions that exist for tests and benchmarks but are not listed in discovery
HIDDEN: frozenset[str] = frozenset({"echo"})


def names(include_hidden: bool = False) -> list[str]:
    """Return the registered action names, in registration order."""
    return [n for n in _NODE_PATHS if include_hidden or n not in HIDDEN]


@cache
def get(name: str) -> Node:
    """Return the node registered under ``name``; raise ``KeyError`` if there is none."""
    module_name, class_name = _NODE_PATHS[name].split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    node: Node = cls()
    return node


def exists(name: str) -> bool:
    """Whether ``name`` is a registered action."""
    return name in _NODE_PATHS
