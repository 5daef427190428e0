"""Score ``summarize-conversation`` on hand-written gold conversations.

The gold file (``data/eval_gold.jsonl`` by default, or ``--data F``) holds one object per
line: ``id``, ``file`` (a WhatsApp export ``.txt`` or a request ``.json``, relative to the
gold file), optional ``request`` fields added to the request (``customer_name`` ...), and
the gold facts: ``messages``, ``participants``, ``customer``, ``language``, ``dates``
(``YYYY-MM-DD``), ``amounts`` (``[value, currency]``), ``phones`` (E.164), ``emails``,
``category``, ``handoff`` (bool), ``must_mention`` (words the summary must contain) and
``action_items`` (``{"owner", "due", "contains"}``: a predicted item with the same owner and
due date whose text contains ``contains``).

Entity recall and precision are micro-averaged over all (kind, value) facts.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from nodes.core.node import Context, Node
from nodes.core.runner import run
from nodes.engine.metrics import percentile, prf

DEFAULT_GOLD = Path(__file__).parent / "data" / "eval_gold.jsonl"
#: when requests "arrive" in the eval: fixed, so relative dates in message lists are stable
EVAL_NOW = "2026-11-15T08:00:00+00:00"


def load_gold(path: Path) -> list[dict[str, Any]]:
    """Read the gold JSONL file (blank lines and ``#`` lines are skipped)."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            items.append(json.loads(line))
    return items


def request_for(item: dict[str, Any], base: Path) -> dict[str, Any]:
    """The request body a gold item describes."""
    src = base / item["file"]
    if src.suffix == ".json":
        body: dict[str, Any] = json.loads(src.read_text(encoding="utf-8"))
    else:
        body = {"transcript": src.read_text(encoding="utf-8")}
    body.update(item.get("request", {}))
    return body


def _facts(entities: dict[str, Any]) -> set[tuple[str, str]]:
    facts = {("date", d["value"]) for d in entities.get("dates", [])}
    facts |= {("amount", f"{float(a['value']):g} {a['currency']}") for a in entities.get("amounts", [])}
    facts |= {("phone", p) for p in entities.get("phones", [])}
    facts |= {("email", e.lower()) for e in entities.get("emails", [])}
    return facts


def _gold_facts(item: dict[str, Any]) -> set[tuple[str, str]]:
    return _facts(
        {
            "dates": [{"value": d} for d in item.get("dates", [])],
            "amounts": [{"value": v, "currency": c} for v, c in item.get("amounts", [])],
            "phones": item.get("phones", []),
            "emails": item.get("emails", []),
        }
    )


def evaluate(node: Node, data_path: str | None = None) -> dict[str, Any]:
    """Run every gold conversation through ``node.run`` and return the report dictionary."""
    import datetime as dt

    from nodes.core.config import load_settings

    path = Path(data_path) if data_path else DEFAULT_GOLD
    base = path.parent
    gold = load_gold(path)
    settings = load_settings(env={})
    now = dt.datetime.fromisoformat(EVAL_NOW)
    tp = fp = fn = 0
    per_kind: dict[str, list[int]] = {}
    cat_ok = hand_ok = count_ok = part_ok = cust_ok = cust_n = lang_ok = 0
    ai_found = ai_total = mention_found = mention_total = 0
    latencies: list[float] = []
    errors: list[dict[str, Any]] = []

    def wrong(item_id: str, what: str, expected: Any, got: Any) -> None:
        errors.append({"id": item_id, "field": what, "expected": expected, "got": got})

    for item in gold:
        body = request_for(item, base)
        ctx = Context(settings=settings, now=now)
        started = time.perf_counter()
        out = run(node, node.Input.model_validate(body), ctx).output.model_dump(mode="json")
        latencies.append((time.perf_counter() - started) * 1000)
        iid = item["id"]

        predicted, expected = _facts(out["entities"]), _gold_facts(item)
        tp += len(predicted & expected)
        fp += len(predicted - expected)
        fn += len(expected - predicted)
        for kind in ("date", "amount", "phone", "email"):
            row = per_kind.setdefault(kind, [0, 0, 0])
            p = {f for f in predicted if f[0] == kind}
            g = {f for f in expected if f[0] == kind}
            row[0] += len(p & g)
            row[1] += len(p - g)
            row[2] += len(g - p)
        if expected - predicted:
            wrong(iid, "missed entities", sorted(v for _, v in expected - predicted), "")
        if predicted - expected:
            wrong(iid, "extra entities", "", sorted(v for _, v in predicted - expected))

        if out["category"] == item["category"]:
            cat_ok += 1
        else:
            wrong(iid, "category", item["category"], out["category"])
        if out["handoff"]["required"] == item["handoff"]:
            hand_ok += 1
        else:
            wrong(iid, "handoff", item["handoff"], out["handoff"]["reasons"])
        if out["stats"]["messages"] == item.get("messages", out["stats"]["messages"]):  # a gold without counts
            count_ok += 1
        else:
            wrong(iid, "messages", item["messages"], out["stats"]["messages"])
        if out["stats"]["participants"] == item.get("participants", out["stats"]["participants"]):
            part_ok += 1
        else:
            wrong(iid, "participants", item.get("participants"), out["stats"]["participants"])
        if "customer" in item:
            cust_n += 1
            if out["customer"]["name"] == item["customer"]:
                cust_ok += 1
            else:
                wrong(iid, "customer", item["customer"], out["customer"]["name"])
        if out["language"] == item.get("language", out["language"]):
            lang_ok += 1
        else:
            wrong(iid, "language", item.get("language"), out["language"])

        for gi in item.get("action_items", []):
            ai_total += 1
            hit = any(
                p["owner"] == gi["owner"] and p["due"] == gi.get("due") and gi["contains"] in p["text"]
                for p in out["action_items"]
            )
            ai_found += hit
            if not hit:
                wrong(iid, "action item", gi, [(p["owner"], p["due"], p["text"][:40]) for p in out["action_items"]])
        for word in item.get("must_mention", []):
            mention_total += 1
            if word in out["summary"]:
                mention_found += 1
            else:
                wrong(iid, "summary misses", word, out["summary"][:120])

    n = len(gold)

    def ratio(a: int, b: int) -> float:
        return round(a / b, 4) if b else 0.0

    return {
        "n": n,
        "entity_recall": ratio(tp, tp + fn),
        "entity_precision": ratio(tp, tp + fp),
        "category_accuracy": ratio(cat_ok, n),
        "handoff_accuracy": ratio(hand_ok, n),
        "action_item_recall": ratio(ai_found, ai_total),
        "message_count_exact": ratio(count_ok, n),
        "participants_exact": ratio(part_ok, n),
        "customer_accuracy": ratio(cust_ok, cust_n),
        "language_accuracy": ratio(lang_ok, n),
        "summary_mention_recall": ratio(mention_found, mention_total),
        "latency_ms_p50": round(percentile(latencies, 50), 2) if latencies else 0.0,
        "latency_ms_p95": round(percentile(latencies, 95), 2) if latencies else 0.0,
        "entities_by_kind": {kind: prf(t, f, m) for kind, (t, f, m) in per_kind.items()},
        "errors": errors,
    }
