"""`tzomet eval classify-lead`: score the whole action on gold data.

Reports accuracy, macro-F1, per-class P/R/F1 and the confusion matrix, handoff and
high-urgency precision/recall, language accuracy, latency percentiles, the few-shot path's
macro-F1 with 8 examples per label taken from the training seeds, and the misclassified
items; per failure family when the items name one (``families_eval.jsonl``).

``--data`` naming a business's label set (a ``custom_eval/*.json`` file, or the folder)
scores custom labels instead: the business's own labels and examples, its messages
classified with them, by words alone and by words and meaning (macro-F1 for each).

``--data`` naming a file of contact gold (lines of ``{"text", "name", "phones", "emails"}`` and no
``category``, as ``data/contact_eval.jsonl``) scores the contact details: the writer's own name (exact, case
and spacing aside: precision over the names given, recall over the names written), and phones and e-mails
(micro precision and recall).
"""

from __future__ import annotations

import json
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
    if path is not None and (path.is_dir() or path.suffix == ".json"):
        return evaluate_label_sets(node, sorted(path.glob("*.json")) if path.is_dir() else [path])
    rows = read_jsonl(path or EVAL)
    ctx = Context(settings=load_settings())
    if rows and all("category" not in r and "name" in r for r in rows):
        return evaluate_contacts(node, rows, ctx)
    gold, predicted, latencies = [], [], []
    handoff_gold, handoff_pred, urgent_gold, urgent_pred = [], [], [], []
    languages: list[str] = []
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
        languages.append(out.language)
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
        "language_accuracy": round(sum(r.get("lang") == lang for r, lang in zip(rows, languages, strict=True))
                                   / max(1, sum("lang" in r for r in rows)), 4),
        "latency_ms_p50": round(percentile(latencies, 50), 3),
        "latency_ms_p95": round(percentile(latencies, 95), 3),
    })
    if path is None:
        result["fewshot_macro_f1"] = _fewshot_macro_f1(node, rows, ctx)
    result["per_class"] = report["per_class"]
    result["labels"] = report["labels"]
    result["confusion_matrix"] = report["confusion_matrix"]
    result["by_language"] = _by_language(rows, predicted)
    if any("family" in r for r in rows):
        result["by_family"] = _by_family(rows, predicted, handoff_pred, urgent_pred, languages)
    result["errors"] = errors
    return result


def _by_language(rows: list[dict[str, Any]], predicted: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for lang in sorted({r.get("lang", "?") for r in rows}):
        pairs = [(r["category"], p) for r, p in zip(rows, predicted, strict=True) if r.get("lang", "?") == lang]
        out[f"accuracy_{lang} (n={len(pairs)})"] = round(sum(g == p for g, p in pairs) / len(pairs), 4)
    return out


def _by_family(rows: list[dict[str, Any]], predicted: list[str], handoff: list[bool], urgent: list[bool],
               languages: list[str]) -> dict[str, dict[str, Any]]:
    """Per failure family: how many, category and language accuracy, handoffs and high urgency
    found (of the items that need them) and raised wrongly (of those that do not)."""
    out: dict[str, dict[str, Any]] = {}
    for family in sorted({r["family"] for r in rows if "family" in r}):
        idx = [i for i, r in enumerate(rows) if r.get("family") == family]

        def share(hits: list[bool]) -> float | None:
            return round(sum(hits) / len(hits), 4) if hits else None

        out[family] = {
            "n": len(idx),
            "category_accuracy": share([predicted[i] == rows[i]["category"] for i in idx]),
            "language_accuracy": share([languages[i] == rows[i].get("lang") for i in idx]),
            "handoff_found": share([handoff[i] for i in idx if rows[i].get("handoff")]),
            "handoff_raised_wrongly": share([handoff[i] for i in idx if not rows[i].get("handoff")]),
            "high_urgency_found": share([urgent[i] for i in idx if rows[i].get("urgency") == "high"]),
            "high_urgency_raised_wrongly": share([urgent[i] for i in idx if rows[i].get("urgency") != "high"]),
        }
    return out


def evaluate_label_sets(node: Any, paths: list[Path]) -> dict[str, Any]:
    """Custom labels, per business: its labels (name, description, examples) classify its messages.

    Macro-F1 by words alone (embeddings off) and by words and meaning (the configured
    embedder), and the HTTP-free latency of the second.
    """
    report: dict[str, Any] = {"label_sets": {}}
    lexical_ctx = Context(settings=load_settings(embedder="off"))
    semantic_ctx = Context(settings=load_settings())
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        categories = [CategorySpec(name=label["name"], description=label.get("description", ""),
                                   examples=label["examples"][:FEWSHOT_EXAMPLES]) for label in data["labels"]]
        names = [c.name for c in categories]
        gold = [m["label"] for m in data["messages"]]
        one: dict[str, Any] = {"labels": len(names), "n": len(gold)}
        for view, ctx in (("words", lexical_ctx), ("words_and_meaning", semantic_ctx)):
            predicted, latencies = [], []
            run(node, ClassifyLeadInput(text=data["messages"][0]["text"], categories=categories), ctx)  # label side
            for m in data["messages"]:
                started = time.perf_counter()
                out = cast(ClassifyLeadOutput, run(node, ClassifyLeadInput(text=m["text"], categories=categories),
                                                   ctx).output)
                latencies.append((time.perf_counter() - started) * 1000)
                predicted.append(out.category)
            one[f"macro_f1_{view}"] = classification_report(gold, predicted, names)["macro_f1"]
            one[f"latency_ms_p50_{view}"] = round(percentile(latencies, 50), 3)
        report["label_sets"][path.stem] = one
    sets = report["label_sets"].values()
    report["macro_f1"] = round(min(s["macro_f1_words_and_meaning"] for s in sets), 4) if sets else 0.0
    report["n"] = sum(s["n"] for s in sets)
    return report


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


def _same_name(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def evaluate_contacts(node: Any, rows: list[dict[str, Any]], ctx: Context) -> dict[str, Any]:
    """The writer's own name, phones and e-mails against the gold (see the module docstring)."""
    names_given = names_written = names_right = unnamed = unnamed_right = 0
    counts = {"phones": [0, 0, 0], "emails": [0, 0, 0]}  # true positives, predicted, gold
    errors = []
    for row in rows:
        inp = ClassifyLeadInput(text=row["text"], channel=row.get("channel", "other"))
        out = cast(ClassifyLeadOutput, run(node, inp, ctx).output)
        name, gold_name = out.contact.name, row.get("name")
        names_given += name is not None
        names_written += gold_name is not None
        names_right += _same_name(name, gold_name)
        unnamed += gold_name is None
        unnamed_right += gold_name is None and name is None
        wrong = {}
        if not (_same_name(name, gold_name) or (name is None and gold_name is None)):
            wrong["name"] = {"gold": gold_name, "predicted": name}
        for kind in counts:
            got = {v.lower() for v in getattr(out.contact, kind)}
            want = {v.lower() for v in row.get(kind) or []}
            counts[kind][0] += len(got & want)
            counts[kind][1] += len(got)
            counts[kind][2] += len(want)
            if got != want:
                wrong[kind] = {"gold": sorted(want), "predicted": sorted(got)}
        if wrong:
            errors.append({"id": row.get("id", ""), **wrong, "text": row["text"][:160]})

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 1.0

    result: dict[str, Any] = {
        "n": len(rows),
        "name_precision": ratio(names_right, names_given),
        "name_recall": ratio(names_right, names_written),
        "no_name_right": ratio(unnamed_right, unnamed),
    }
    for kind, (tp, predicted, gold) in counts.items():
        result[f"{kind}_precision"] = ratio(tp, predicted)
        result[f"{kind}_recall"] = ratio(tp, gold)
    result["errors"] = errors
    return result
