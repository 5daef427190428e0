"""The built-in text finders are bounded in time and memory, whatever the text.

Times are CPU seconds of this process (``time.process_time``), so a loaded machine does
not make them flaky; every bound is generous (the finders take a small part of it).
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any

from nodes.text import find_phones
from nodes.text import phones as phones_module

#: a bound in CPU seconds for one call, far above what a call takes
BOUND = 2.0


def cpu_seconds(fn: Callable[..., Any], *args: Any) -> float:
    """CPU seconds one call of ``fn(*args)`` takes."""
    started = time.process_time()
    fn(*args)
    return time.process_time() - started


# ---------------------------------------------------------------- phones

#: the candidate pattern before it was bounded: the same matches, found by backtracking
#: through every way of cutting a run of digits into chunks
_BACKTRACKING_CANDIDATE = re.compile(
    r"(?=[+(\d])(?<![A-Za-z0-9_+*#/.,])"
    r"(?P<num>(?:\+|00)?\s?\(?\d{1,4}\)?(?:(?:[ \-.]|\s?-\s?|\)\s?)?\(?\d{1,5}\)?){0,7})"
    r"(?![\d%]|[.,:/]\d)"
)


def test_long_digit_runs_cost_no_backtracking() -> None:
    # 10 KB of 40-digit runs took 17 s (55 ms a run) before the pattern was bounded
    rng = random.Random(1)
    text = " ".join("".join(rng.choice("0123456789") for _ in range(40)) for _ in range(250))
    assert cpu_seconds(find_phones, text) < BOUND
    assert find_phones(text) == []


def test_a_phone_next_to_a_long_digit_run_is_still_found() -> None:
    assert [m.value for m in find_phones("1" * 60 + " 050-1234567")] == ["+972501234567"]
    assert [m.value for m in find_phones("050-1234567 " + "7" * 60)] == ["+972501234567"]
    assert [m.value for m in find_phones("טל 050-1234567-" + "3" * 45)] == ["+972501234567"]


def test_bounded_candidates_are_the_backtracking_ones() -> None:
    rng = random.Random(7)
    pieces = ["050", "-", "1234567", " ", "(", ")", "+972", "00", "52", "123", "12345", "%", ".", ",", ":",
              "/", "\n", "\t", " - ", ") ", "-(", "0", "9", "a", "ת", "1-800", "03", "*", "#"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 20)))
        expected = [m.span("num") for m in _BACKTRACKING_CANDIDATE.finditer(text)]
        assert [m.span("num") for m in phones_module._CANDIDATE.finditer(text)] == expected, text
