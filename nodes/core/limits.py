"""Limits a node enforces while it runs: a time budget, and the length of a text field.

The limits themselves are settings (:data:`nodes.core.config.LIMITS`); this module turns them
into answers. A :class:`Deadline` is cooperative: Python cannot stop a running function,
so the long loops (pages, paragraphs, patterns) call :meth:`Deadline.check` and the
request ends with a problem once the budget is spent.
"""

from __future__ import annotations

import time

from nodes.core.config import Settings
from nodes.core.node import NodeError

TIME_BUDGET_TYPE = "urn:tzomet:problem:time-budget"


class Deadline:
    """The time budget of one request, started when it is created."""

    __slots__ = ("_ends", "seconds")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds

    @classmethod
    def from_settings(cls, settings: Settings | None) -> Deadline:
        """A deadline of ``settings.request_budget_s`` (the default settings' when ``None``)."""
        return cls((settings or Settings()).request_budget_s)

    def remaining(self) -> float:
        """Seconds left (0 once expired)."""
        return max(0.0, self._ends - time.monotonic())

    def expired(self) -> bool:
        """Whether the budget is spent."""
        return time.monotonic() >= self._ends

    def check(self) -> None:
        """Raise a 422 :class:`NodeError` once the budget is spent; return at once otherwise."""
        if time.monotonic() >= self._ends:
            raise NodeError(
                422,
                f"The request took longer than the {self.seconds:g} s budget (TZOMET_REQUEST_BUDGET_S) and was "
                "stopped; send a shorter document or fewer custom fields.",
                title="Time budget exceeded",
                type_=TIME_BUDGET_TYPE,
            )


def check_text_chars(text: str, loc: str, settings: Settings | None) -> None:
    """Raise a 422 naming ``loc`` when ``text`` is longer than ``settings.max_text_chars``."""
    limit = (settings or Settings()).max_text_chars
    if len(text) > limit:
        msg = f"at most {limit:,} characters (TZOMET_MAX_TEXT_CHARS), got {len(text):,}"
        raise NodeError(422, f"{loc} is too long: {msg}.", errors=[{"loc": loc, "msg": msg}])
