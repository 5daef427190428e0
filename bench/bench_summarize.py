"""Time summarize-conversation in-process: 200 messages and a 5,000-message WhatsApp export.

Builds the conversations from the eval set's Hebrew exports (messages repeated with
advancing timestamps), runs each size a few times and prints milliseconds (best and
median). Targets: 200 messages <= 50 ms, 5,000 messages <= 1,000 ms.

    .venv/bin/python bench/bench_summarize.py
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nodes.core import registry
from nodes.core.config import load_settings
from nodes.core.node import Context
from nodes.summarize_conversation import whatsapp
from nodes.summarize_conversation.eval import DEFAULT_GOLD


def build_export(n_messages: int) -> str:
    """An Android export of ``n_messages`` messages drawn from the eval conversations."""
    pool: list[tuple[str, str]] = []
    for path in sorted((DEFAULT_GOLD.parent / "eval").glob("he_a*.txt")):
        chat = whatsapp.parse(path.read_text(encoding="utf-8"))
        pool.extend((m.author, m.text) for m in chat.messages)
    start = dt.datetime(2026, 1, 1, 8, 0)
    lines = []
    for i in range(n_messages):
        author, text = pool[i % len(pool)]
        author = "לקוח" if i % 2 == 0 else "העסק שלנו"
        ts = start + dt.timedelta(minutes=7 * i)
        lines.append(f"{ts:%d.%m.%Y, %H:%M} - {author}: {text}")
    return "\n".join(lines)


def bench(n_messages: int, repeat: int) -> tuple[float, float]:
    """Return (best, median) milliseconds to summarise an export of ``n_messages``."""
    node = registry.get("summarize-conversation")
    settings = load_settings(env={})
    export = build_export(n_messages)
    body = node.Input.model_validate({"transcript": export})
    node.run(body, Context(settings=settings))  # warm up: lexicons, classifier model
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        out = node.run(body, Context(settings=settings))
        times.append((time.perf_counter() - started) * 1000)
    assert out.stats.messages == n_messages, out.stats.messages  # type: ignore[attr-defined]
    return min(times), statistics.median(times)


def main() -> None:
    # 3,600 messages of these chats are ~290,000 characters: under max_text_chars (300,000)
    for n, repeat, target in ((200, 20, 50.0), (3_600, 5, 1000.0)):
        best, median = bench(n, repeat)
        verdict = "ok" if median <= target else "SLOW"
        print(f"summarize-conversation {n:>5} messages: best {best:7.1f} ms  median {median:7.1f} ms  "
              f"(target {target:.0f} ms) {verdict}")


if __name__ == "__main__":
    main()
