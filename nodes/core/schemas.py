"""JSON Schemas and the OpenAPI 3.1 document, generated from the nodes' pydantic models.

Pydantic models are the single source: the schema endpoint, ``/openapi.json`` and the
response checks in the tests all come from here.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from typing import Any

from nodes.core import registry
from nodes.core.node import Meta, Node

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[-_]", name))


def _schema(model: Any, mode: str, prefix: str, ref_root: str) -> dict[str, Any]:
    """A model's JSON Schema whose ``$defs`` are renamed ``<prefix><Name>`` and referenced under ``ref_root``."""
    schema = model.model_json_schema(mode=mode, ref_template=ref_root + prefix + "{model}")
    defs = {prefix + k: v for k, v in schema.pop("$defs", {}).items()}
    return {"schema": schema, "defs": defs}


def _with_meta(schema: dict[str, Any], defs: dict[str, Any], ref_root: str) -> None:
    defs["Meta"] = Meta.model_json_schema(mode="serialization")
    schema.setdefault("properties", {})["meta"] = {"$ref": ref_root + "Meta"}
    required = schema.setdefault("required", [])
    if "meta" not in required:
        required.append("meta")


@cache
def node_schemas(name: str) -> dict[str, Any]:
    """Return ``{"input": ..., "output": ...}``, standalone JSON Schema 2020-12 documents."""
    node = registry.get(name)
    prefix = _camel(name)
    result: dict[str, Any] = {}
    for key, model, mode in (("input", node.Input, "validation"), ("output", node.Output, "serialization")):
        part = _schema(model, mode, prefix, "#/$defs/")
        schema, defs = part["schema"], part["defs"]
        if key == "output":
            _with_meta(schema, defs, "#/$defs/")
        document = {"$schema": DIALECT, **schema}
        if defs:
            document["$defs"] = defs
        result[key] = document
    return result


def _problem_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "title", "status", "detail", "request_id"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "request_id": {"type": ["string", "null"]},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["loc", "msg"],
                    "properties": {"loc": {"type": "string"}, "msg": {"type": "string"}},
                },
            },
        },
    }


def _problem_responses(*statuses: int) -> dict[str, Any]:
    return {
        str(s): {"$ref": "#/components/responses/Problem"} for s in statuses
    }


def _action_paths(node: Node, components: dict[str, Any]) -> dict[str, Any]:
    prefix = _camel(node.name)
    ref_root = "#/components/schemas/"
    inp = _schema(node.Input, "validation", prefix, ref_root)
    out = _schema(node.Output, "serialization", prefix, ref_root)
    _with_meta(out["schema"], out["defs"], ref_root)
    components.update(inp["defs"])
    components.update(out["defs"])
    components[prefix + "Input"] = inp["schema"]
    components[prefix + "Output"] = out["schema"]
    in_ref = {"$ref": ref_root + prefix + "Input"}
    out_ref = {"$ref": ref_root + prefix + "Output"}
    content: dict[str, Any] = {"application/json": {"schema": in_ref}}
    for ctype in node.extra_content_types:
        if ctype == "multipart/form-data":
            content[ctype] = {"schema": {"type": "object", "properties": {
                "file": {"type": "string", "contentMediaType": "application/octet-stream"}}}}
        else:
            content[ctype] = {"schema": {"type": "string", "contentMediaType": ctype}}
    errors = _problem_responses(400, 401, 403, 413, 415, 422, 429, 502, 503, 504)
    single = {
        "post": {
            "operationId": node.name.replace("-", "_"),
            "summary": node.title,
            "description": node.description,
            "tags": ["actions"],
            "parameters": [{"$ref": "#/components/parameters/RequestId"}],
            "requestBody": {"required": True, "content": content},
            "responses": {
                "200": {"description": "The action's output", "content": {"application/json": {"schema": out_ref}}},
                **errors,
            },
        }
    }
    batch_item = {
        "oneOf": [
            {"type": "object", "required": ["ok", "output"],
             "properties": {"ok": {"const": True}, "output": out_ref}},
            {"type": "object", "required": ["ok", "error"],
             "properties": {"ok": {"const": False}, "error": {"$ref": ref_root + "Problem"}}},
        ]
    }
    batch = {
        "post": {
            "operationId": node.name.replace("-", "_") + "_batch",
            "summary": f"{node.title} (batch)",
            "description": "Up to 100 requests; per-item results in input order.",
            "tags": ["actions"],
            "parameters": [{"$ref": "#/components/parameters/RequestId"}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["items"], "additionalProperties": False,
                "properties": {"items": {"type": "array", "minItems": 1, "maxItems": 100, "items": in_ref}},
            }}}},
            "responses": {
                "200": {"description": "Per-item results", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["results"],
                    "properties": {"results": {"type": "array", "items": batch_item}},
                }}}},
                **_problem_responses(400, 401, 403, 413, 415, 422, 429),
            },
        }
    }
    return {f"/v1/{node.name}": single, f"/v1/{node.name}/batch": batch}


@cache
def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI 3.1 document covering every route."""
    components: dict[str, Any] = {"Problem": _problem_schema()}
    paths: dict[str, Any] = {}
    for name in registry.names():
        paths.update(_action_paths(registry.get(name), components))
    components["Meta"] = Meta.model_json_schema(mode="serialization")
    plain = {"200": {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}}
    paths["/v1/nodes"] = {"get": {"operationId": "list_nodes", "summary": "List the actions",
                                  "tags": ["discovery"], "responses": plain}}
    paths["/v1/nodes/{action}/schema"] = {"get": {
        "operationId": "node_schema", "summary": "Input and output JSON Schemas of an action",
        "tags": ["discovery"],
        "parameters": [{"name": "action", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {**plain, **_problem_responses(404)}}}
    for name in registry.names():
        for route in registry.get(name).routes():
            params = re.findall(r"<(?:\w+:)?(\w+)>", route.path)
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route.path)
            paths.setdefault(path, {})[route.method.lower()] = {
                "operationId": route.metric + "_" + route.method.lower(), "summary": route.summary or route.path,
                "tags": [name],
                "parameters": [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                               for p in params],
                "responses": {**plain, **_problem_responses(401, 403, 404)}}
    paths["/openapi.json"] = {"get": {"operationId": "openapi", "summary": "This document",
                                      "tags": ["discovery"], "responses": plain}}
    text = {"200": {"description": "OK", "content": {"text/plain": {"schema": {"type": "string"}}}}}
    paths["/healthz"] = {"get": {"operationId": "healthz", "summary": "Process alive",
                                 "tags": ["health"], "responses": plain}}
    paths["/readyz"] = {"get": {"operationId": "readyz", "summary": "Models loaded and store reachable",
                                "tags": ["health"], "responses": {**plain, **_problem_responses(503)}}}
    paths["/metrics"] = {"get": {"operationId": "metrics", "summary": "Prometheus metrics",
                                 "tags": ["health"], "responses": text}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Tzomet", "version": _version(),
                 "description": "Hebrew-first AI action nodes for n8n."},
        "jsonSchemaDialect": DIALECT,
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": copy.deepcopy(components),
            "responses": {"Problem": {"description": "An error (RFC 9457 problem details)", "content": {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
            "parameters": {"RequestId": {"name": "X-Request-ID", "in": "header", "required": False,
                                         "schema": {"type": "string", "maxLength": 128}}},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            },
        },
        "security": [{}, {"bearer": []}, {"apiKey": []}],
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tzomet")
    except PackageNotFoundError:
        return "0.0.0"
