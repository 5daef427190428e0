"""`tzomet eval classify-lead`: score the whole action on gold data.

Reports accuracy, macro-F1, per-class P/R/F1 and the confusion matrix, handoff and
high-urgency precision/recall, latency percentiles, the few-shot path's macro-F1 with
8 examples per label taken from the training seeds, and the misclassified items.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any, cast

from nodes.classify_lead.models import DEFAULT_CATEGORIES, CategorySpec, ClassifyLeadInput, ClassifyLeadOutput
from nodes.classify_lead.training import EVAL, read_seeds
from nodes.core.config import load_settings
from nodes.core.node import Context
from nodes.core.runner import run
from nodes.engine.data import read_jsonl
from nodes.engine.metrics import binary_report, classification_report, percentile

FEWSHOT_EXAMPLES = 8


def evaluate(node: Any, path: Path | None = None) -> dict[str, Any]:
    """Run the node over every gold item and return the report."""
    rows = read_jsonl(path or EVAL)
    ctx = Context(settings=load_settings(env={}))
    gold, predicted, latencies = [], [], []
    handoff_gold, handoff_pred, urgent_gold, urgent_pred = [], [], [], []
    errors = []
    for row in rows:
        inp = ClassifyLeadInput(text=row["text"], channel=row.get("channel", "other"))
        started = time.perf_counter()
        out = cast(ClassifyLeadOutput, run(node, inp, ctx).output)
        latencies.append((time.perf_counter() - started) * 1000)
        gold.append(row["category"])
        predicted.append(out.category)
        handoff_gold.append(bool(row.get("handoff")))
        handoff_pred.append(out.handoff.required)
        urgent_gold.append(row.get("urgency") == "high")
        urgent_pred.append(out.urgency == "high")
        if out.category != row["category"]:
            errors.append({"id": row.get("id", ""), "gold": row["category"], "predicted": out.category,
                           "confidence": round(out.confidence, 2), "text": row["text"][:160]})
    report = classification_report(gold, predicted, DEFAULT_CATEGORIES)
    result: dict[str, Any] = {"n": len(rows), "accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}
    handoff = binary_report(handoff_gold, handoff_pred)
    urgency = binary_report(urgent_gold, urgent_pred)
    result.update({
        "handoff_precision": handoff["precision"], "handoff_recall": handoff["recall"],
        "high_urgency_precision": urgency["precision"], "high_urgency_recall": urgency["recall"],
        "latency_ms_p50": round(percentile(latencies, 50), 3),
        "latency_ms_p95": round(percentile(latencies, 95), 3),
    })
    if path is None:
        result["fewshot_macro_f1"] = _fewshot_macro_f1(node, rows, ctx)
    result["per_class"] = report["per_class"]
    result["labels"] = report["labels"]
    result["confusion_matrix"] = report["confusion_matrix"]
    result["by_language"] = _by_language(rows, predicted)
    result["errors"] = errors
    return result


def _by_language(rows: list[dict[str, Any]], predicted: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for lang in sorted({r.get("lang", "?") for r in rows}):
        pairs = [(r["category"], p) for r, p in zip(rows, predicted, strict=True) if r.get("lang", "?") == lang]
        out[f"accuracy_{lang} (n={len(pairs)})"] = round(sum(g == p for g, p in pairs) / len(pairs), 4)
    return out


def _fewshot_macro_f1(node: Any, rows: list[dict[str, Any]], ctx: Context) -> float:
    """Macro-F1 of the few-shot path: default labels given as 8 seed examples each."""
    rng = random.Random(7)
    seeds = read_seeds()
    categories = []
    for name in DEFAULT_CATEGORIES:
        mine = [r["text"] for r in seeds if r["category"] == name]
        rng.shuffle(mine)
        categories.append(CategorySpec(name=name, examples=mine[:FEWSHOT_EXAMPLES]))
    gold, predicted = [], []
    for row in rows:
        inp = ClassifyLeadInput(text=row["text"], categories=categories)
        out = cast(ClassifyLeadOutput, run(node, inp, ctx).output)
        gold.append(row["category"])
        predicted.append(out.category)
    return float(classification_report(gold, predicted, DEFAULT_CATEGORIES)["macro_f1"])
