"""Score ``extract-contract-fields`` on gold contracts (``tzomet eval extract-contract-fields``).

The gold file is JSON lines, one contract per line: ``{"id", "file", "contract_type",
"language", "parties": [{"name", "role", "id_number", "id_type"}], "fields": {<every
standard field>: value | null}}``; ``file`` is relative to the gold file. Contracts that
also exist as ``files/<id>.pdf`` / ``files/<id>.docx`` next to it are scored again from
those files (through the same reader the HTTP route uses).

Party IDs: ``party_id_recall`` counts a gold ID found on any party, ``party_id_linked`` only on the
party of the gold name (the ID linked to the right party). A foreign register's name before its number is
not part of it here ("HRB 204517" is "204517"): gold written by different people keeps it or not.

Per field: a right value is a true positive; a wrong value is a false positive and (when
gold has a value) a false negative; a missing value where gold has one is a false
negative; ``null`` against ``null`` counts for nothing. Strings (jurisdiction, governing
law) match when one contains the other after normalising quotes, dashes and case.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from pathlib import Path
from typing import Any

from nodes.core.documents import read_document
from nodes.engine.metrics import prf

from .extract import extract
from .models import STANDARD_FIELDS

DATA = Path(__file__).parent / "data" / "eval"


def _norm(s: str) -> str:
    s = re.sub(r"[\"'\u05f3\u05f4\u2019\u201c\u201d]", "", s.lower())
    s = re.sub(r"[\-\u2013\u05be]", " ", s)
    s = re.sub(r"^(?:the|ה)\s*(?=\S)", "", s.strip()) if s.startswith("the ") else s
    return re.sub(r"\s+", " ", s).strip()


def same_value(field: str, gold: Any, pred: Any) -> bool:
    """Whether a predicted value counts as the gold value."""
    if gold is None or pred is None:
        return gold is None and pred is None
    if field == "payment_amount":
        return (abs(float(gold["amount"]) - float(pred.get("amount") or 0)) < 0.01
                and gold["currency"] == pred.get("currency") and gold["period"] == pred.get("period"))
    if field == "security_deposit":
        return abs(float(gold["amount"]) - float(pred.get("amount") or 0)) < 0.01 and gold["currency"] == pred.get(
            "currency")
    if field in ("jurisdiction", "governing_law"):
        g, p = _norm(str(gold)), _norm(str(pred))
        if not g or not p:
            return False
        short, long_ = sorted((g, p), key=len)
        # "ישראל" matches "מדינת ישראל"; "תל" does not match "תל אביב-יפו"
        return g == p or (short in long_ and len(short) >= 0.5 * len(long_))
    return bool(gold == pred)


#: a foreign register's name before its number ("HRB 204517", "KvK 12345678", "RCS Paris 812 345 678"):
#: gold written by different people keeps it or not, and the number is the same either way
_REGISTER = re.compile(r"^(?:HR[AB]|KVK|RCS\s+\S+)\s*")


def _id(value: str | None) -> str:
    return _REGISTER.sub("", (value or "").upper()).replace(" ", "").lstrip("0")


def evaluate(data_path: str | None = None) -> dict[str, Any]:
    """Run the extractor on every gold contract and return the report dictionary."""
    gold_path = Path(data_path) if data_path else DATA / "gold.jsonl"
    if gold_path.is_dir():
        gold_path = gold_path / "gold.jsonl"
    base = gold_path.parent
    items = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    counts = {f: [0, 0, 0] for f in STANDARD_FIELDS}
    party_ids = [0, 0]
    party_linked = [0]  # of party_ids[1]: the ID found on the party of that name
    party_names = [0, 0]
    party_pred = [0, 0]
    types = [0, 0]
    latencies: list[float] = []
    errors: list[dict[str, Any]] = []
    by_source: dict[str, int] = {}
    for item in items:
        runs: list[tuple[str, str]] = [("text", (base / item["file"]).read_text(encoding="utf-8"))]
        for ext in ("pdf", "docx"):
            path = base / "files" / f"{item['id']}.{ext}"
            if path.exists():
                runs.append((ext, ""))
        for source, text in runs:
            started = time.perf_counter()
            if source != "text":
                text = read_document((base / "files" / f"{item['id']}.{source}").read_bytes()).text
            out = extract(text)
            latencies.append((time.perf_counter() - started) * 1000)
            by_source[source] = by_source.get(source, 0) + 1
            for f in STANDARD_FIELDS:
                g = item["fields"].get(f)
                fv = out["fields"].get(f)
                p = fv.value if fv is not None else None
                if p is not None and g is not None and same_value(f, g, p):
                    counts[f][0] += 1
                else:
                    if p is not None:
                        counts[f][1] += 1
                    if g is not None:
                        counts[f][2] += 1
                    if p is not None or g is not None:
                        errors.append({"id": item["id"], "source": source, "field": f, "gold": g, "predicted": p})
            pred_ids = {_id(p.id_number) for p in out["parties"] if p.id_number}
            pred_names = [_norm(p.name) for p in out["parties"]]
            for gp in item["parties"]:
                if gp.get("id_number"):
                    party_ids[1] += 1
                    if _id(gp["id_number"]) in pred_ids:
                        party_ids[0] += 1
                    else:
                        errors.append({"id": item["id"], "source": source, "field": "party_id",
                                       "gold": gp["id_number"], "predicted": sorted(pred_ids)})
                    gn = _norm(gp["name"])
                    named = [p for p in out["parties"] if gn and _norm(p.name)
                             and (gn in _norm(p.name) or _norm(p.name) in gn)]
                    if any(_id(p.id_number) == _id(gp["id_number"]) for p in named):
                        party_linked[0] += 1
                    elif _id(gp["id_number"]) in pred_ids:
                        errors.append({"id": item["id"], "source": source, "field": "party_id_linked",
                                       "gold": [gp["name"], gp["id_number"]],
                                       "predicted": [[p.name, p.id_number] for p in out["parties"]]})
                party_names[1] += 1
                gn = _norm(gp["name"])
                if any(gn and n and (gn in n or n in gn) for n in pred_names):
                    party_names[0] += 1
            for pp in out["parties"]:
                party_pred[1] += 1
                pn = _norm(pp.name)
                party_pred[0] += int(any(
                    (pp.id_number and _id(pp.id_number) == _id(gp.get("id_number")))
                    or (pn and _norm(gp["name"]) and (pn in _norm(gp["name"]) or _norm(gp["name"]) in pn))
                    for gp in item["parties"]
                ))
            types[1] += 1
            types[0] += int(out["contract_type"] == item["contract_type"])
    per_field = {f: prf(*counts[f]) for f in STANDARD_FIELDS}
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    lat = sorted(latencies)
    return {
        "action": "extract-contract-fields",
        "n": len(latencies),
        "contracts": len(items),
        "sources": by_source,
        "per_field": per_field,
        "overall": prf(*total),
        "party_id_recall": round(party_ids[0] / party_ids[1], 4) if party_ids[1] else 1.0,
        "party_id_linked": round(party_linked[0] / party_ids[1], 4) if party_ids[1] else 1.0,
        "party_name_recall": round(party_names[0] / party_names[1], 4) if party_names[1] else 1.0,
        "party_precision": round(party_pred[0] / party_pred[1], 4) if party_pred[1] else 1.0,
        "contract_type_accuracy": round(types[0] / types[1], 4) if types[1] else 1.0,
        "latency_ms": {
            "p50": round(statistics.median(lat), 2) if lat else 0.0,
            "p95": round(lat[min(len(lat) - 1, int(0.95 * len(lat)))], 2) if lat else 0.0,
        },
        "errors": errors,
    }
