"""Time answer-question in-process: indexing 1,000 pages, and a question against them.

The shipped knowledge base (15 documents, ~25 pages) is read again and again under new names until
the documents hold 1,000 pages of text (3,000 characters a page), then:

- reading and chunking them (what ``tzomet kb add`` does before storing);
- building the lexical index over every passage (what each process does when a tenant's documents change);
- questions: the shipped eval's questions against the 1,000-page index, lexical (p50/p95);
- embedding: the local embedder's cost per passage (with its sentences' vectors), measured on 64 passages,
  times the passages (the dense index is not built here: it is the slow part, and this says how slow).

Targets: index 1,000 pages <= 60 s on two cores; question p50 <= 50 ms local.

    .venv/bin/python bench/bench_answer.py
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nodes.answer_question import kb
from nodes.answer_question.answer import answer
from nodes.answer_question.eval import SHIPPED
from nodes.core.config import Settings
from nodes.core.limits import Deadline

PAGE_CHARS = 3000
PAGES = 1000


def main() -> int:
    """Run the measurements and print them."""
    files = sorted(p for p in (SHIPPED / "kb").iterdir() if p.is_file())
    settings = Settings()
    rows = []
    chars = 0
    started = time.perf_counter()
    copy = 0
    while chars < PAGES * PAGE_CHARS:
        for path in files:
            info, chunks = kb.read(f"{copy}-{path.name}", path.read_bytes(), None, settings, Deadline(600))
            rows.append((str(len(rows)), f"{copy}-{path.name}", "", 0.0, info, chunks))
            chars += info["chars"]
        copy += 1
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    index = kb.KnowledgeIndex.build("bench", rows, None)
    build_s = time.perf_counter() - started
    passages = len(index.passages)

    questions = [json.loads(line)["question"] for line in (SHIPPED / "questions.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    latencies = []
    for question in questions:
        t = time.perf_counter()
        answer(question, kb.search(index, question, 10), index.index.words)
        latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()

    from nodes.engine.embed import LocalEmbedder

    embedder = LocalEmbedder()
    sample = [dict(c) for _, _, _, _, _, chunks in rows[:15] for c in chunks][:64]
    embedder.embed([kb.embed_text(sample[0])], "passage")
    t = time.perf_counter()
    kb._embed_chunks(sample, lambda texts: embedder.embed(texts, "passage"))  # a passage and its sentences
    per_passage = (time.perf_counter() - t) / len(sample)

    print(f"answer-question: {len(rows)} documents, {chars / PAGE_CHARS:.0f} pages, {passages} passages")
    print(f"  read and chunk            {read_s:7.1f} s")
    print(f"  lexical index             {build_s:7.1f} s   (target for the whole: <= 60 s)")
    p95 = latencies[int(0.95 * len(latencies))]
    print(f"  question p50 / p95        {statistics.median(latencies):7.1f} / {p95:.1f} ms"
          "   (lexical, 1,000 pages; target p50 <= 50 ms)")
    print(f"  embedding                 {per_passage * 1000:7.1f} ms a passage, so {per_passage * passages:.0f} s "
          "for the dense index of 1,000 pages (one thread)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
