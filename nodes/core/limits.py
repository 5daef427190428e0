"""Limits a node enforces while it runs: a time budget, and the length of a text field.

The limits themselves are settings (:data:`nodes.core.config.LIMITS`); this module turns them
into answers. The time budget is the :class:`~nodes.core.node.Deadline` every call's
:class:`~nodes.core.node.Context` carries (defined beside it, re-exported here).
"""

from __future__ import annotations

from nodes.core.config import Settings
from nodes.core.node import TIME_BUDGET_TYPE, Deadline, NodeError

__all__ = ["TIME_BUDGET_TYPE", "Deadline", "check_text_chars"]


def check_text_chars(text: str | list[str], loc: str, settings: Settings | None) -> None:
    """Raise a 422 naming ``loc`` when ``text`` (or the texts of a list, together) is longer
    than ``settings.max_text_chars``."""
    limit = (settings or Settings()).max_text_chars
    chars = len(text) if isinstance(text, str) else sum(map(len, text))
    if chars > limit:
        what = "characters" if isinstance(text, str) else "characters in all"
        msg = f"at most {limit:,} {what} (TZOMET_MAX_TEXT_CHARS), got {chars:,}"
        raise NodeError(422, f"{loc} is too long: {msg}.", errors=[{"loc": loc, "msg": msg}])
