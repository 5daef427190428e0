"""Benchmark extract-contract-fields on a 30-page contract, in process, from text.

Run: .venv/bin/python bench/bench_extract.py [--pages 30] [--runs 20]
Prints the median and worst time of the extraction (target: <= 150 ms for 30 pages).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nodes.core.node import Context
from nodes.extract_contract_fields.eval import DATA
from nodes.extract_contract_fields.node import ExtractContractFieldsNode

CHARS_PER_PAGE = 3000  # a dense A4 page of Hebrew contract text


def thirty_page_contract(pages: int) -> str:
    """The eval contracts' clauses repeated, renumbered, until the text fills ``pages`` pages."""
    bodies = [p.read_text(encoding="utf-8") for p in sorted((DATA / "contracts").glob("he*.txt"))]
    head = bodies[0]
    clauses = [line for body in bodies[1:] for line in body.splitlines() if line[:2].strip().rstrip(".").isdigit()]
    out = [head]
    n = 100
    while sum(len(x) + 1 for x in out) < pages * CHARS_PER_PAGE:
        for c in clauses:
            out.append(f"{n}. {c.split(' ', 1)[-1]}")
            n += 1
    return "\n".join(out)[: pages * CHARS_PER_PAGE]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    text = thirty_page_contract(args.pages)
    node = ExtractContractFieldsNode()
    data = node.Input.model_validate({"text": text})
    node.run(data, Context())  # warm caches and regexes
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        node.run(data, Context())
        times.append((time.perf_counter() - started) * 1000)
    print(f"extract-contract-fields: {args.pages} pages, {len(text)} chars, {args.runs} runs: "
          f"median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
