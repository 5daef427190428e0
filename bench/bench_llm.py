"""classify-lead's hybrid engine on the shipped eval set, against an OpenAI-compatible double.

Three runs over the same 255 messages, in-process (``nodes.core.runner.execute``):

1. ``local`` — the local engine alone;
2. ``hybrid`` with a double that always answers the gold category — the share of messages the
   local engine sends to the LLM (confidence below ``llm_threshold``, default 0.6) and the
   macro-F1 that results: what the LLM can add at best;
3. ``hybrid`` with the LLM down (the double answers 500) — the answers must be identical to
   the local run's, and the p95 latency stays within the client's bound (timeout 1 s here).

The double gets the text unredacted (``redact_pii = false``) so that it can look up the gold
label; redaction itself is tested in ``tests/nodes/classify_lead/test_llm_engine.py``.

    .venv/bin/python bench/bench_llm.py
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nodes.classify_lead.training import EVAL
from nodes.core import registry
from nodes.core.config import load_settings
from nodes.core.node import Context
from nodes.core.runner import execute
from nodes.engine.data import read_jsonl
from nodes.engine.metrics import classification_report
from tests.llm_double import LLMDouble


def run(rows: list[dict[str, Any]], engine: str, double: LLMDouble) -> tuple[list[dict[str, Any]], list[float]]:
    settings = dataclasses.replace(
        load_settings(env={}), engine=engine, llm_base_url=double.url, llm_model="double", llm_timeout_s=1.0,
        options={"classify-lead": {"redact_pii": False}})
    node = registry.get("classify-lead")
    node.load(settings)
    outs, seconds = [], []
    for row in rows:
        started = time.perf_counter()
        outs.append(execute(node, {"text": row["text"]}, Context(settings=settings)))
        seconds.append(time.perf_counter() - started)
    return outs, seconds


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * (len(values) - 1))] * 1000


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the double's access log
    rows = list(read_jsonl(EVAL))
    gold = {row["text"]: row["category"] for row in rows}
    double = LLMDouble(answer=lambda text, labels: gold.get(text, labels[0]))
    try:
        local, local_s = run(rows, "local", double)
        hybrid, hybrid_s = run(rows, "hybrid", double)
        double.fault = "500"
        down, down_s = run(rows, "hybrid", double)
    finally:
        double.close()
    truth = [row["category"] for row in rows]

    def f1(outs: list[dict[str, Any]]) -> float:
        return float(classification_report(truth, [o["category"] for o in outs])["macro_f1"])

    sent = sum(o["meta"]["engine"] == "llm" for o in hybrid)
    same = sum(a["category"] == b["category"] and a["handoff"] == b["handoff"]
               for a, b in zip(local, down, strict=True))
    print(f"messages: {len(rows)}")
    print(f"local:               macro-F1 {f1(local):.3f}   p95 {p95(local_s):6.1f} ms")
    print(f"hybrid, LLM right:   macro-F1 {f1(hybrid):.3f}   p95 {p95(hybrid_s):6.1f} ms   "
          f"sent to the LLM: {sent} ({sent / len(rows):.0%})")
    print(f"hybrid, LLM down:    macro-F1 {f1(down):.3f}   p95 {p95(down_s):6.1f} ms   "
          f"identical to local: {same}/{len(rows)}   "
          f"errors: {sorted({str(o['meta'].get('llm', {}).get('error')) for o in down if 'llm' in o['meta']})}")


if __name__ == "__main__":
    main()
