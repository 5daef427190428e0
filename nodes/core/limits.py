"""Limits a node enforces while it runs: a time budget, and the length of a text field.

The limits themselves are settings (:data:`nodes.core.config.LIMITS`); this module turns them
into answers. The time budget is the :class:`~nodes.core.node.Deadline` every call's
:class:`~nodes.core.node.Context` carries (defined beside it, re-exported here).
"""

from __future__ import annotations

from nodes.core.config import Settings
from nodes.core.node import TIME_BUDGET_TYPE, Deadline, NodeError

__all__ = ["TIME_BUDGET_TYPE", "Deadline", "check_text_chars"]


def check_text_chars(text: str, loc: str, settings: Settings | None) -> None:
    """Raise a 422 naming ``loc`` when ``text`` is longer than ``settings.max_text_chars``."""
    limit = (settings or Settings()).max_text_chars
    if len(text) > limit:
        msg = f"at most {limit:,} characters (TZOMET_MAX_TEXT_CHARS), got {len(text):,}"
        raise NodeError(422, f"{loc} is too long: {msg}.", errors=[{"loc": loc, "msg": msg}])
