"""Shared scoring helpers: classification metrics, latency percentiles, report output.

Every node's ``evaluate`` returns a plain dictionary of numbers (and tables); the CLI
prints it, writes it as JSON or HTML, and applies quality gates with
:func:`check_minimums`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """Return the ``q``-th percentile (0..100) of ``values`` by linear interpolation."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    """Precision, recall and F1 from counts (0 where undefined, as scikit-learn's ``zero_division=0``),
    with the counts themselves."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4),
            "support": tp + fn, "tp": tp, "fp": fp, "fn": fn}


def classification_report(gold: Sequence[str], predicted: Sequence[str],
                          labels: Iterable[str] | None = None) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class P/R/F1 and the confusion matrix (rows = gold)."""
    labels = list(labels) if labels is not None else sorted(set(gold) | set(predicted))
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        if g in index and p in index:
            matrix[index[g]][index[p]] += 1
    per_class = {}
    for label, i in index.items():
        tp = matrix[i][i]
        fp = sum(matrix[r][i] for r in range(len(labels))) - tp
        fn = sum(matrix[i]) - tp
        per_class[label] = prf(tp, fp, fn)
    present = [lab for lab in labels if per_class[lab]["support"] > 0]
    macro = sum(per_class[lab]["f1"] for lab in present) / len(present) if present else 0.0
    correct = sum(1 for g, p in zip(gold, predicted, strict=True) if g == p)
    return {
        "accuracy": round(correct / len(gold), 4) if gold else 0.0,
        "macro_f1": round(macro, 4),
        "per_class": per_class,
        "labels": labels,
        "confusion_matrix": matrix,
    }


def binary_report(gold: Sequence[bool], predicted: Sequence[bool]) -> dict[str, float]:
    """Precision/recall/F1 of the positive class."""
    tp = sum(1 for g, p in zip(gold, predicted, strict=True) if g and p)
    fp = sum(1 for g, p in zip(gold, predicted, strict=True) if p and not g)
    fn = sum(1 for g, p in zip(gold, predicted, strict=True) if g and not p)
    return prf(tp, fp, fn)


def _lookup(report: dict[str, Any], dotted: str) -> Any:
    value: Any = report
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def parse_minimum(spec: str) -> tuple[str, float]:
    """``"macro_f1=0.8"`` -> ``("macro_f1", 0.8)``; ``ValueError`` when it is not ``METRIC=NUMBER``."""
    metric, _, wanted = spec.partition("=")
    try:
        return metric.strip(), float(wanted)
    except ValueError:
        raise ValueError(f"{spec!r} is not METRIC=NUMBER") from None


def check_minimums(report: dict[str, Any], minimums: Iterable[str]) -> list[str]:
    """Return a message for every ``metric=value`` gate the report fails (dotted paths allowed)."""
    failures = []
    for spec in minimums:
        try:
            metric, threshold = parse_minimum(spec)
        except ValueError as err:
            failures.append(str(err))
            continue
        value = _lookup(report, metric)
        if not isinstance(value, int | float):
            failures.append(f"{metric} is not in the report")
        elif value < threshold:
            failures.append(f"{metric} = {value:.4f} < {threshold}")
    return failures


def format_report(report: dict[str, Any]) -> str:
    """Render a report as readable text: scalars first, then tables."""
    lines: list[str] = []
    for key, value in report.items():
        if isinstance(value, int | float | str | bool) or value is None:
            lines.append(f"{key:<32} {value:.4f}" if isinstance(value, float) else f"{key:<32} {value}")
    for key, value in report.items():
        if key == "per_class" or (isinstance(value, dict) and value and all(
                isinstance(v, dict) and "f1" in v for v in value.values())):
            lines.append(f"\n{key}:")
            lines.append(f"  {'':<24} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>8}")
            for label, row in value.items():
                lines.append(f"  {label:<24} {row['precision']:>9.3f} {row['recall']:>9.3f} "
                             f"{row['f1']:>9.3f} {row.get('support', ''):>8}")
        elif isinstance(value, dict):
            lines.append(f"\n{key}:")
            for k, v in value.items():
                lines.append(f"  {k:<30} {v:.4f}" if isinstance(v, float) else f"  {k:<30} {v}")
    if "confusion_matrix" in report and "labels" in report:
        labels = report["labels"]
        width = max(8, *(len(lab) for lab in labels)) + 1
        lines.append("\nconfusion matrix (rows = gold, columns = predicted):")
        lines.append(" " * width + "".join(f"{lab[:7]:>8}" for lab in labels))
        for lab, row in zip(labels, report["confusion_matrix"], strict=True):
            lines.append(f"{lab:<{width}}" + "".join(f"{n:>8}" for n in row))
    errors = report.get("errors") or []
    if errors:
        lines.append(f"\n{len(errors)} wrong items (first 20):")
        for item in errors[:20]:
            lines.append("  " + "  ".join(f"{k}={v}" for k, v in item.items()))
    return "\n".join(lines)


def write_html(report: dict[str, Any], path: Path, title: str) -> None:
    """Write an HTML report: scalars, per-class table, a shaded confusion matrix, wrong items."""
    esc = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>{esc(title)}</title>",
             "<style>body{font-family:sans-serif;margin:2em}td,th{padding:4px 8px;border:1px solid #ccc}"
             "table{border-collapse:collapse;margin:1em 0}.rtl{direction:rtl;unicode-bidi:plaintext}</style>",
             f"<h1>{esc(title)}</h1><table>"]
    for key, value in report.items():
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            parts.append(f"<tr><th>{esc(key)}</th><td>{esc(shown)}</td></tr>")
    parts.append("</table>")
    per_class = report.get("per_class") or {}
    if per_class:
        parts.append("<h2>Per class</h2><table><tr><th></th><th>precision</th><th>recall</th><th>F1</th>"
                     "<th>support</th></tr>")
        for label, row in per_class.items():
            parts.append(f"<tr><th>{esc(label)}</th><td>{row['precision']:.3f}</td><td>{row['recall']:.3f}</td>"
                         f"<td>{row['f1']:.3f}</td><td>{row.get('support', '')}</td></tr>")
        parts.append("</table>")
    if "confusion_matrix" in report:
        labels, matrix = report["labels"], report["confusion_matrix"]
        peak = max((n for row in matrix for n in row), default=1) or 1
        parts.append("<h2>Confusion matrix</h2><p>rows = gold, columns = predicted</p><table><tr><th></th>")
        parts.extend(f"<th>{esc(lab)}</th>" for lab in labels)
        parts.append("</tr>")
        for lab, row in zip(labels, matrix, strict=True):
            parts.append(f"<tr><th>{esc(lab)}</th>")
            for j, n in enumerate(row):
                hue = "40,120,200" if labels[j] == lab else "200,60,40"
                alpha = 0.1 + 0.9 * n / peak if n else 0
                parts.append(f"<td style='background:rgba({hue},{alpha:.2f});text-align:right'>{n}</td>")
            parts.append("</tr>")
        parts.append("</table>")
    errors = report.get("errors") or []
    if errors:
        keys = list(errors[0].keys())
        parts.append(f"<h2>Wrong items ({len(errors)})</h2><table><tr>")
        parts.extend(f"<th>{esc(k)}</th>" for k in keys)
        parts.append("</tr>")
        for item in errors:
            parts.append("<tr>" + "".join(f"<td class='rtl'>{esc(str(item.get(k, '')))}</td>" for k in keys) + "</tr>")
        parts.append("</table>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(parts), encoding="utf-8")
