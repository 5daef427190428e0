"""``tzomet eval answer-question --kb DIR --data questions.jsonl``: retrieval and answers on gold questions.

A question line: ``{"id", "question", "answerable", "document", "gold_facts": [...], "evidence"}``.
A passage is relevant when it is from the gold document and holds every gold fact, or holds the
evidence. Reported: recall@1 and @5 and MRR (answerable questions), the share of answerable
questions answered with every gold fact in the answer (thousands separators ignored), the share of
unanswerable questions answered anyway (must be low), and latency per question.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from nodes.core.config import Settings
from nodes.core.limits import Deadline
from nodes.text.normalize import normalize

from . import kb
from .answer import DEFAULT_MIN_CONFIDENCE, answer

SHIPPED = Path(__file__).with_name("data") / "eval"


def _norm(text: str) -> str:
    return normalize(text).replace(",", "").lower()


def build(kb_dir: Path, embedder: Any = None) -> tuple[kb.KnowledgeIndex, float]:
    """Read every file of ``kb_dir`` into one in-memory index; ``(index, seconds)``."""
    settings = Settings()
    started = time.perf_counter()
    rows = []
    embed = (lambda texts: embedder.embed(texts, "passage")) if embedder is not None else None
    for path in sorted(p for p in kb_dir.iterdir() if p.is_file()):
        info, chunks = kb.read(path.name, path.read_bytes(), None, settings, Deadline(600), embed)
        rows.append((kb.document_id(path.name), path.name, "", 0.0, info, chunks))
    index = kb.KnowledgeIndex.build("eval", rows, embedder.dim if embedder is not None else None)
    return index, time.perf_counter() - started


def evaluate(kb_dir: Path | None = None, data: Path | None = None, embedder: Any = None,
             min_confidence: float = DEFAULT_MIN_CONFIDENCE, show: int = 0) -> dict[str, Any]:
    """Score retrieval and answers; see the module docstring."""
    kb_dir = kb_dir or SHIPPED / "kb"
    data = data or SHIPPED / "questions.jsonl"
    questions = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines() if line.strip()]
    index, index_s = build(kb_dir, embedder)
    ranks: list[int | None] = []
    with_facts = 0
    answered_unanswerable = 0
    latencies: list[float] = []
    failures: list[dict[str, Any]] = []
    for q in questions:
        started = time.perf_counter()
        query = embedder.embed([q["question"]], "query")[0] if embedder is not None else None
        passages = kb.search(index, q["question"], 10, query)
        result = answer(q["question"], passages, index.index.words, min_confidence, query)
        latencies.append((time.perf_counter() - started) * 1000)
        if not q["answerable"]:
            answered_unanswerable += result.answered
            if result.answered:
                failures.append({"id": q["id"], "question": q["question"], "answered": result.text,
                                 "confidence": result.confidence})
            continue
        facts = [_norm(f) for f in q.get("gold_facts") or []]
        evidence = _norm(q.get("evidence") or "\0")

        def relevant(p: Any, facts: list[str] = facts, evidence: str = evidence, doc: str = q["document"]) -> bool:
            text = _norm(f"{p.heading}\n{p.text}")
            return (p.document == doc and all(f in text for f in facts)) or evidence in text

        rank = next((i + 1 for i, p in enumerate(passages[:10]) if relevant(p)), None)
        ranks.append(rank)
        good = result.answered and all(f in _norm(result.text) for f in facts)
        with_facts += good
        if not good:
            failures.append({"id": q["id"], "question": q["question"], "document": q["document"],
                             "rank": rank, "answered": result.text if result.answered else None,
                             "confidence": result.confidence, "facts": q.get("gold_facts")})
    answerable = len(ranks)
    unanswerable = len(questions) - answerable
    report: dict[str, Any] = {
        "questions": len(questions), "answerable": answerable, "unanswerable": unanswerable,
        "recall_at_1": round(sum(r == 1 for r in ranks) / max(1, answerable), 3),
        "recall_at_5": round(sum(r is not None and r <= 5 for r in ranks) / max(1, answerable), 3),
        "mrr": round(sum(1 / r for r in ranks if r) / max(1, answerable), 3),
        "answers_with_gold_facts": round(with_facts / max(1, answerable), 3),
        "unanswerable_answered": round(answered_unanswerable / max(1, unanswerable), 3),
        "min_confidence": min_confidence,
        "dense": embedder is not None,
        "index_seconds": round(index_s, 2),
        "latency_ms_p50": round(statistics.median(latencies), 2) if latencies else None,
        "latency_ms_p95": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
    }
    if show:
        report["failures"] = failures[:show]
    return report
