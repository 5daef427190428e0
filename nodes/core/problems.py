"""Problem details (RFC 9457): the one shape every error takes, HTTP or CLI.

A :class:`Problem` is raised anywhere below the server and rendered by it as
``application/problem+json``; the CLI prints the same body on stderr.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from pydantic import ValidationError

from nodes.core.node import NodeError

PROBLEM_CONTENT_TYPE = "application/problem+json"

_TYPES = {
    400: "urn:tzomet:problem:malformed-body",
    401: "urn:tzomet:problem:unauthorized",
    403: "urn:tzomet:problem:forbidden",
    404: "urn:tzomet:problem:not-found",
    405: "urn:tzomet:problem:method-not-allowed",
    408: "urn:tzomet:problem:body-timeout",
    413: "urn:tzomet:problem:body-too-large",
    414: "urn:tzomet:problem:uri-too-long",
    415: "urn:tzomet:problem:unsupported-media-type",
    422: "urn:tzomet:problem:validation",
    429: "urn:tzomet:problem:rate-limited",
    431: "urn:tzomet:problem:headers-too-large",
    500: "urn:tzomet:problem:internal",
    502: "urn:tzomet:problem:upstream-failed",
    503: "urn:tzomet:problem:unavailable",
    504: "urn:tzomet:problem:upstream-timeout",
}


class Problem(Exception):
    """An error answer: status, a human title and detail, optional per-field errors."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        type_: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or _phrase(status)
        self.errors = errors
        self.headers = headers or {}
        self.type = type_ or _TYPES.get(status, "about:blank")

    def body(self, request_id: str | None) -> dict[str, Any]:
        """Return the problem+json body."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "request_id": request_id,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return body

    @classmethod
    def from_node_error(cls, err: NodeError) -> Problem:
        """Wrap an error raised by a node."""
        return cls(err.status, err.detail, title=err.title, errors=err.errors,
                   headers=err.headers, type_=err.type)

    @classmethod
    def from_validation(cls, err: ValidationError, prefix: str = "") -> Problem:
        """Turn a pydantic error into a 422 whose ``errors`` name every bad field."""
        errors = [{"loc": _loc(prefix, e["loc"]), "msg": _msg(e)} for e in err.errors(include_url=False)]
        fields = ", ".join(dict.fromkeys(e["loc"] for e in errors))
        return cls(422, f"The request does not match the input schema: {fields}.", errors=errors)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _loc(prefix: str, loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and p.startswith("function-"))]
    path = ".".join(parts) or "body"
    return f"{prefix}.{path}" if prefix else path


def _msg(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown field (not in the input schema)"
    if err["type"] == "missing":
        return "field required"
    return str(err["msg"])
