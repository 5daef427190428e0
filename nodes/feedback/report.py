"""The pilot report: what a business owner asks after two weeks — how many messages, of what kind,
how many a person had to take, how fast the answers came, and how often they were right.

:func:`build` reads a tenant's recorded answers and corrections (:mod:`nodes.core.decisions`)
since a time ago and returns plain numbers: messages per day, the category mix, the handoff and
high-urgency rates, the answer latency p50/p95, accuracy and macro-F1 on the corrected answers,
their confusion matrix, the worst mistakes (the most confident wrong answers, by request id — no
text is stored), and the model versions that answered. :func:`write_html` draws it as one
self-contained HTML file (matplotlib pictures, Hebrew and Arabic labels right to left).
"""

from __future__ import annotations

import base64
import html
import io
import re
import time
from collections import Counter
from typing import Any

from nodes.core.store import Store
from nodes.engine.metrics import classification_report, percentile

_SINCE = re.compile(r"^\s*(\d{1,4})\s*([hdw])\s*$")
_UNIT = {"h": 3600, "d": 86400, "w": 7 * 86400}


def parse_since(text: str) -> float:
    """``"14d"`` -> seconds (hours ``h``, days ``d``, weeks ``w``; at most 400 days)."""
    m = _SINCE.match(text or "")
    if not m:
        raise ValueError(f"since must look like 14d, 12h or 2w, not {text!r}")
    seconds = int(m.group(1)) * _UNIT[m.group(2)]
    if not 0 < seconds <= 400 * 86400:
        raise ValueError("since must be between 1 hour and 400 days")
    return float(seconds)


def build(store: Store, tenant: str, since_s: float, action: str = "classify-lead") -> dict[str, Any]:
    """The report of ``tenant``'s ``action`` answers in the last ``since_s`` seconds."""
    now = time.time()
    rows = [r for r in store.decisions(tenant, now - since_s) if r[1] == action]
    per_day: Counter[str] = Counter(time.strftime("%Y-%m-%d", time.gmtime(at)) for _, _, at, _, _, _, _ in rows)
    categories = Counter(str(fields.get("category")) for *_, fields, _ in rows)
    latencies = [ms for _, _, _, ms, _, _, _ in rows]
    versions: dict[str, dict[str, Any]] = {}
    for _, _, at, _, version, _, _ in rows:
        seen = versions.setdefault(version, {"first": at, "last": at, "answers": 0})
        seen["last"] = at
        seen["answers"] += 1
    n = len(rows)
    result: dict[str, Any] = {
        "tenant": tenant, "action": action, "since_days": round(since_s / 86400, 2), "messages": n,
        "messages_per_day": dict(sorted(per_day.items())),
        "category_mix": dict(categories.most_common()),
        "handoff_rate": round(sum(bool(f.get("handoff")) for *_, f, _ in rows) / n, 4) if n else None,
        "high_urgency_rate": round(sum(f.get("urgency") == "high" for *_, f, _ in rows) / n, 4) if n else None,
        "latency_ms_p50": round(percentile(latencies, 50), 2) if n else None,
        "latency_ms_p95": round(percentile(latencies, 95), 2) if n else None,
        "model_versions": [{"version": v, "answers": s["answers"],
                            "first": time.strftime("%Y-%m-%d %H:%M", time.gmtime(s["first"])),
                            "last": time.strftime("%Y-%m-%d %H:%M", time.gmtime(s["last"]))}
                           for v, s in sorted(versions.items(), key=lambda kv: kv[1]["first"])],
    }
    result.update(_accuracy(rows))
    return result


def _accuracy(rows: list[Any]) -> dict[str, Any]:
    """Accuracy, macro-F1, the confusion matrix and the worst mistakes on the corrected answers."""
    gold, predicted, mistakes = [], [], []
    handoff_right = handoff_n = 0
    for rid, _, at, _, version, fields, correct in rows:
        if not correct:
            continue
        if "category" in correct:
            gold.append(str(correct["category"]))
            predicted.append(str(fields.get("category")))
            if correct["category"] != fields.get("category"):
                mistakes.append({"request_id": rid, "answered": fields.get("category"), "correct": correct["category"],
                                 "confidence": fields.get("confidence"), "model_version": version,
                                 "at": time.strftime("%Y-%m-%d %H:%M", time.gmtime(at))})
        if "handoff" in correct:
            handoff_n += 1
            handoff_right += bool(correct["handoff"]) == bool(fields.get("handoff"))
    out: dict[str, Any] = {"corrected": len(gold), "accuracy": None, "macro_f1": None, "confusion": None,
                           "handoff_agreement": round(handoff_right / handoff_n, 4) if handoff_n else None,
                           "worst_mistakes": sorted(mistakes, key=lambda m: -float(m["confidence"] or 0))[:10]}
    if gold:
        # the answers someone looked at: a correction that repeats the answer confirms it
        report = classification_report(gold, predicted)
        out.update({"accuracy": report["accuracy"], "macro_f1": report["macro_f1"],
                    "confusion": {"labels": report["labels"], "matrix": report["confusion_matrix"]}})
    return out


# --- the HTML file -----------------------------------------------------------------------------

def _rtl(text: str) -> str:
    """A label as matplotlib should draw it: Hebrew and Arabic in visual (right-to-left) order."""
    from bidi.algorithm import get_display

    return str(get_display(text))


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode()


def _pictures(data: dict[str, Any]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pictures = []
    days = data["messages_per_day"]
    if days:
        fig, ax = plt.subplots(figsize=(7, 2.8))
        ax.bar(list(days), list(days.values()), color="#3b6ea5")
        ax.set_ylabel("messages")
        ax.tick_params(axis="x", rotation=45)
        pictures.append(("Messages per day", _png(fig)))
        plt.close(fig)
    mix = data["category_mix"]
    if mix:
        fig, ax = plt.subplots(figsize=(7, 0.4 * len(mix) + 1))
        ax.barh([_rtl(k) for k in mix][::-1], list(mix.values())[::-1], color="#5a9a68")
        ax.set_xlabel("messages")
        pictures.append(("Category mix", _png(fig)))
        plt.close(fig)
    confusion = data.get("confusion")
    if confusion:
        labels = [_rtl(x) for x in confusion["labels"]]
        fig, ax = plt.subplots(figsize=(0.6 * len(labels) + 2.5, 0.6 * len(labels) + 2))
        ax.imshow(confusion["matrix"], cmap="Blues")
        ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
        ax.set_yticks(range(len(labels)), labels)
        ax.set_xlabel("answered")
        ax.set_ylabel("correct")
        for i, row in enumerate(confusion["matrix"]):
            for j, value in enumerate(row):
                ax.text(j, i, str(value), ha="center", va="center", fontsize=8)
        pictures.append(("Corrected answers: correct (rows) against answered (columns)", _png(fig)))
        plt.close(fig)
    return pictures


def _number(value: Any, percent: bool = False) -> str:
    if value is None:
        return "–"
    return f"{100 * value:.0f}%" if percent else f"{value:,}" if isinstance(value, int) else f"{value:g}"


def write_html(data: dict[str, Any], path: str) -> None:
    """One self-contained HTML file a business owner can open (pictures inside, nothing fetched)."""
    esc = html.escape
    head = [("Messages", _number(data["messages"])), ("A person had to take over", _number(data["handoff_rate"], True)),
            ("Urgent", _number(data["high_urgency_rate"], True)),
            ("Answered in (median / 95%)", f"{_number(data['latency_ms_p50'])} / {_number(data['latency_ms_p95'])} ms"),
            ("Right, of the corrected answers", _number(data["accuracy"], True)),
            ("Corrected answers", _number(data["corrected"]))]
    cards = "".join(f"<div class=card><b>{esc(v)}</b><span>{esc(k)}</span></div>" for k, v in head)
    pictures = "".join(f"<h2>{esc(title)}</h2><img alt='{esc(title)}' src='data:image/png;base64,{png}'>"
                       for title, png in _pictures(data))
    mistakes = "".join(
        f"<tr><td>{esc(str(m['at']))}</td><td dir=auto>{esc(str(m['answered']))}</td><td dir=auto>"
        f"{esc(str(m['correct']))}</td><td>{esc(_number(m['confidence']))}</td><td><code>{esc(m['request_id'])}"
        "</code></td></tr>" for m in data["worst_mistakes"])
    versions = "".join(f"<tr><td><code>{esc(v['version'])}</code></td><td>{v['answers']}</td><td>{esc(v['first'])}"
                       f"</td><td>{esc(v['last'])}</td></tr>" for v in data["model_versions"])
    page = f"""<!doctype html><html lang=en><meta charset=utf-8>
<title>Tzomet pilot report: {esc(data['tenant'])}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;color:#222}}
.cards{{display:flex;flex-wrap:wrap;gap:1rem}}
.card{{border:1px solid #ddd;border-radius:8px;padding:1rem;min-width:10rem}}
.card b{{display:block;font-size:1.6rem}}table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #eee;
padding:.3rem .6rem;text-align:left}}img{{max-width:100%}}</style>
<h1>Pilot report — {esc(data['tenant'])}</h1>
<p>The last {esc(_number(data['since_days']))} days of {esc(data['action'])}. Corrections come from the people
who re-tag answers in the CRM; accuracy counts only the answers someone confirmed or corrected.</p>
<div class=cards>{cards}</div>{pictures}
<h2>The most confident mistakes</h2><table><tr><th>when</th><th>answered</th><th>correct</th><th>confidence</th>
<th>request id</th></tr>{mistakes or '<tr><td colspan=5>none corrected</td></tr>'}</table>
<h2>Model versions</h2><table><tr><th>version</th><th>answers</th><th>first</th><th>last</th></tr>{versions}</table>
</html>"""
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)


__all__ = ["build", "parse_since", "write_html"]
