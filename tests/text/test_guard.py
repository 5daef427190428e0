"""The first-character guard: the same matches as the pattern without it, on every pattern we ship."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest

import nodes
from nodes.text.guard import compile_guarded, first_chars, original

ROOT = Path(__file__).resolve().parents[2]


def test_first_chars_of_words_lookbehinds_and_optional_prefixes() -> None:
    assert first_chars(r"(?<![א-ת])(?:שלום|תודה)") == "שת"
    assert first_chars(r"\b(?:price|cost)\b", re.I) == "PpCc"
    # an optional prefix: the word itself may start the match too
    assert set(first_chars(r"[ול]?(?:מחיר)") or "") == set("ולמ")
    assert first_chars(r"\d+\s*₪") == r"\d"


@pytest.mark.parametrize("pattern", [r".*x", r"[^a]b", r"a?", r"(?:x|)", r"\Sfoo", r"(a)?(?(1)c|d)"])
def test_no_guard_where_any_character_may_start_a_match(pattern: str) -> None:
    assert first_chars(pattern) is None
    assert compile_guarded(pattern).pattern == pattern


def test_the_guard_keeps_inline_flags_first_and_verbose_comments_closed() -> None:
    assert compile_guarded(r"(?i)abc").search("xxABC")
    verbose = compile_guarded("abc  # a comment", re.X)
    assert verbose.search("zzabc") and not verbose.search("zzab")


def _shipped_patterns() -> list[re.Pattern[str]]:
    found: dict[tuple[str, int], re.Pattern[str]] = {}
    for info in pkgutil.walk_packages(nodes.__path__, "nodes."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:
            continue
        for value in vars(module).values():
            if isinstance(value, re.Pattern) and isinstance(value.pattern, str):
                found.setdefault((value.pattern, value.flags), value)
    return list(found.values())


def _texts() -> list[str]:
    texts = [
        ("@a." * 400)[:1000], ("בית המשפט ב" * 100)[:1000], "1-" * 300, "ש\"ח 1," * 100,
        "Price: $1,200 per month plus VAT; Tel Aviv courts. הסכם שכירות לתקופה של 12 חודשים, 6,500 ש\"ח לחודש.",
    ]
    for path in sorted([*(ROOT / "nodes").glob("*/data/*.jsonl"), *(ROOT / "nodes").glob("*/data/eval/*.jsonl")]):
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip() and line[0] != "#"]
        for line in lines[:150]:
            row = json.loads(line)
            texts.extend(v for v in row.values() if isinstance(v, str) and len(v) > 20)
    return texts


def test_guarded_patterns_match_exactly_what_the_unguarded_ones_do() -> None:
    patterns = _shipped_patterns()
    texts = _texts()
    assert len(patterns) > 150 and len(texts) > 300
    guarded = 0
    for p in patterns:
        plain = re.compile(original(p.pattern), p.flags)
        fast = compile_guarded(original(p.pattern), p.flags)
        guarded += fast.pattern != p.pattern
        for text in texts:
            want = [(m.span(), m.groups()) for m in plain.finditer(text)]
            assert [(m.span(), m.groups()) for m in fast.finditer(text)] == want, p.pattern[:80]
    assert guarded > 50  # the guard applies to most of them
