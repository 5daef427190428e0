"""Reading labelled data: JSON lines, and rows of ``{"text", "category"}`` checked line by line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file, skipping blank lines; raise ``ValueError`` naming a bad line."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{n}: not valid JSON: {err.msg}") from None
    return rows


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """Rows of ``{"text": str, "category": str}`` from a JSON-lines file (other keys are kept).

    Raises ``ValueError`` naming the first line that is not such a row, or when fewer
    than two categories are present (nothing to tell apart).
    """
    rows = read_jsonl(path)
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict):
            raise ValueError(f"{path}: row {n}: expected a JSON object with text and category")
        for key in ("text", "category"):
            value = row.get(key)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{path}: row {n}: {key!r} must be a non-empty string")
    if len({row["category"] for row in rows}) < 2:
        raise ValueError(f"{path}: at least two categories are needed to train, found "
                         f"{sorted({row['category'] for row in rows})}")
    return rows
