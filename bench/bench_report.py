"""The pilot report on 100,000 recorded answers: how long building it and drawing its HTML take.

Fills a fresh SQLite store with 100,000 classify-lead answers of one tenant over 14 days (5% of
them corrected), then times :func:`nodes.feedback.report.build` and :func:`write_html`.

    .venv/bin/python bench/bench_report.py [--answers 100000]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nodes.core.store import open_store
from nodes.feedback import report

LABELS = ["תלונה", "ביטול", "חשבונית", "תור", "תמיכה", "מכירה", "ספאם", "אחר"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--answers", type=int, default=100_000)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(f"sqlite:///{tmp}/bench.db")
        now = time.time()
        rows = [(f"r{i}", "acme", "classify-lead", now - rng.random() * 14 * 86400, rng.uniform(0.3, 4.0),
                 "acme-clf-1", {"category": rng.choice(LABELS), "confidence": round(rng.random(), 3),
                                "urgency": rng.choice(["high", "normal", "normal", "low"]),
                                "handoff": rng.random() < 0.12, "reasons": [], "language": "he"})
                for i in range(args.answers)]
        for start in range(0, len(rows), 5000):
            store.decisions_add(rows[start:start + 5000])
        for i in range(0, args.answers, 20):
            store.feedback_set(f"r{i}", "acme", {"category": rng.choice(LABELS)}, now)
        started = time.perf_counter()
        data = report.build(store, "acme", 14 * 86400 + 60)
        built = time.perf_counter() - started
        report.write_html(data, f"{tmp}/report.html")
        drawn = time.perf_counter() - started - built
        print(f"answers: {data['messages']:,}, corrected: {data['corrected']:,}")
        print(f"build: {built:.2f} s, html: {drawn:.2f} s, total: {built + drawn:.2f} s")


if __name__ == "__main__":
    main()
