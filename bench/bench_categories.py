"""Time classify-lead with per-request ``categories`` over HTTP: 8 and 32 examples per label.

A request that brings its own label set (as n8n's Text Classifier does) pays for the label
side (its names, descriptions and examples) as well as for the message. This starts
``tzomet serve`` (one worker), sends MESSAGES eval texts, each with the same label set
(the eight default categories, with examples drawn from the shipped seeds), and prints the
p50 and p95 of the whole HTTP call per label-set size. Each size gets messages of its own
(the service caches a message's embedding: the same texts again would be timed from the
cache); ``TZOMET_EMBEDDER=off`` in the environment times custom labels by words alone.

    .venv/bin/python bench/bench_categories.py [--root DIR]

``--root`` times another checkout of the code with this virtualenv (before/after runs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MESSAGES = 125
SIZES = (8, 32)
#: shared between runs: the shipped model, trained at the first start, is cached here by its version
DATA_DIR = Path(tempfile.gettempdir()) / "tzomet-bench-data"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def label_set(data: Path, per_label: int) -> list[dict[str, Any]]:
    """The default categories, each with ``per_label`` seed messages as its examples (seeded)."""
    by_label: dict[str, list[str]] = {}
    for path in sorted(data.glob("seeds*.jsonl")):
        for row in read_jsonl(path):
            by_label.setdefault(row["category"], []).append(row["text"])
    rng = random.Random(7)
    return [{"name": name, "description": "", "examples": rng.sample(texts, min(per_label, len(texts)))}
            for name, texts in sorted(by_label.items())]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=HERE, help="the checkout to time (default: this one)")
    root = parser.parse_args().root.resolve()
    data = root / "nodes" / "classify_lead" / "data"
    texts = [row["text"] for row in read_jsonl(data / "eval.jsonl")]
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(root), "TZOMET_DATA_DIR": str(DATA_DIR)}
    env.pop("TZOMET_API_KEYS", None)
    proc = subprocess.Popen([str(BIN / "tzomet"), "serve", "--port", str(port), "--workers", "1"], cwd=root,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        with requests.Session() as http:
            deadline = time.monotonic() + 600
            while True:
                try:
                    if http.get(f"{url}/readyz", timeout=5).status_code == 200:
                        break
                except (requests.ConnectionError, requests.Timeout):  # not listening yet, or still training
                    pass
                if time.monotonic() > deadline:
                    print("the service did not become ready", file=sys.stderr)
                    return 1
                time.sleep(0.3)
            print(f"classify-lead with per-request categories, HTTP, {MESSAGES} messages a size ({root}):")
            for n, size in enumerate(SIZES):
                categories = label_set(data, size)
                mine = (texts[n * MESSAGES:(n + 1) * MESSAGES] + texts)[:MESSAGES]
                bodies = [{"text": t, "categories": categories} for t in mine]
                http.post(f"{url}/v1/classify-lead", json=bodies[0], timeout=60).raise_for_status()  # warm-up
                took = []
                for body in bodies:
                    started = time.perf_counter()
                    http.post(f"{url}/v1/classify-lead", json=body, timeout=60).raise_for_status()
                    took.append((time.perf_counter() - started) * 1000)
                print(f"  {size:>2} examples per label: p50 {percentile(took, 50):.1f} ms  "
                      f"p95 {percentile(took, 95):.1f} ms")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
