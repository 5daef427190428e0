"""`tzomet train classify-lead --data FILE --out FILE`, as docs/evals-and-training.md shows it."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import requests
from click.testing import CliRunner

from nodes.classify_lead.training import read_seeds
from nodes.cli import main as cli


def _business_rows(per_label: int) -> list[dict[str, Any]]:
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in read_seeds():
        if len(by_label[row["category"]]) < per_label:
            by_label[row["category"]].append({"text": row["text"], "category": row["category"]})
    return [row for rows in by_label.values() for row in rows]


def test_train_from_a_file_and_serve_the_model(tmp_path: Path, serve: Any) -> None:
    data = tmp_path / "mine.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _business_rows(20)), encoding="utf-8")
    out = tmp_path / "models" / "mine.joblib"
    result = CliRunner().invoke(cli, ["train", "classify-lead", "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["path"] == str(out) and out.exists()
    assert report["rows"] == 160 and report["model_version"].startswith("clf-")

    url = serve(options={"classify-lead": {"model_path": str(out)}})
    answer = requests.post(f"{url}/v1/classify-lead", json={"text": "אני רוצה לבטל את המנוי"}, timeout=30).json()
    assert answer["meta"]["model_version"] == report["model_version"]


def test_train_names_the_bad_line(tmp_path: Path) -> None:
    data = tmp_path / "bad.jsonl"
    data.write_text('{"text": "שלום", "category": "other"}\n{"text": "כמה עולה?"}\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["train", "classify-lead", "--data", str(data), "--out", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "row 2" in result.output and "'category'" in result.output
    missing = CliRunner().invoke(cli, ["train", "summarize-conversation"])
    assert missing.exit_code == 1 and "no trainable model" in missing.output
