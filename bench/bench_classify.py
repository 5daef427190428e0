"""Time classify-lead in-process: the whole node path and its parts, over the eval set's texts.

The node path is what a request runs besides HTTP: ``nodes.core.runner.execute`` (validate the
body, run the node, serialise the output with ``meta``). Every eval text is run once to
warm up, then in several passes; per call, the caches keyed on a text's content (the
normalised text, the phones found in it) are emptied first, so nothing carries over
from an earlier call with the same text. Prints p50/p95 per call and calls per second,
then the p50 of the model, the rules and the contact details alone.

    .venv/bin/python bench/bench_classify.py
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nodes.classify_lead.contact import contact_fields
from nodes.classify_lead.rules import apply_rules
from nodes.classify_lead.training import EVAL
from nodes.core import registry
from nodes.core.config import load_settings
from nodes.core.node import Context
from nodes.core.runner import execute
from nodes.engine.data import read_jsonl
from nodes.text import forget_texts

PASSES = 5


def timings(fn: Callable[[Any], Any], items: list[Any], passes: int = PASSES) -> list[float]:
    """Seconds per call of ``fn`` over ``items``, ``passes`` times, after one warm-up pass."""
    for item in items:
        fn(item)
    out = []
    for _ in range(passes):
        for item in items:
            forget_texts()
            started = time.perf_counter()
            fn(item)
            out.append(time.perf_counter() - started)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    settings = load_settings(env={})
    node = registry.get("classify-lead")
    node.load(settings)
    model = node._models["shipped"]  # type: ignore[attr-defined]
    texts = [row["text"] for row in read_jsonl(EVAL)]
    bodies = [{"text": text, "channel": "whatsapp"} for text in texts]

    calls = timings(lambda body: execute(node, body, Context(settings=settings)), bodies)
    p50, p95 = percentile(calls, 50) * 1000, percentile(calls, 95) * 1000
    print(f"classify-lead in-process over {len(texts)} eval texts x {PASSES} passes "
          f"(mean {statistics.mean(map(len, texts)):.0f} characters):")
    print(f"  node path (validate, run, serialise): p50 {p50:.3f} ms  p95 {p95:.3f} ms  "
          f"{len(calls) / sum(calls):,.0f} calls/s")
    parts = {
        "model": lambda text: model.predict(text),
        "rules": apply_rules,
        "contact": lambda text: contact_fields(text, None),
    }
    line = "  ".join(f"{name} {percentile(timings(fn, texts, 2), 50) * 1000:.3f}" for name, fn in parts.items())
    print(f"  p50 ms of the parts alone: {line}")


if __name__ == "__main__":
    main()
