"""Corrections by request id, per tenant, and the pilot report built from answers and corrections —
over real HTTP and the CLI; no message text is ever stored."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from nodes.cli import main as cli
from nodes.core.config import hash_key

MESSAGES = ["אני רוצה לבטל את המנוי שלי", "כמה עולה ביטוח דירה?", "אפשר לקבוע תור ליום שלישי?",
            "השירות שלכם גרוע, אני רוצה החזר", "מתי מגיעה החבילה שלי? הזמנה 5512"]


@pytest.fixture
def service(serve: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    config = tmp_path / "tenants.toml"
    config.write_text(f'[[tenants]]\nname = "acme"\nkeys = ["{hash_key("k-acme")}"]\n'
                      f'[[tenants]]\nname = "other"\nkeys = ["{hash_key("k-other")}"]\n'
                      f'[[tenants]]\nname = "quiet"\nkeys = ["{hash_key("k-quiet")}"]\n'
                      '[tenants.options.classify-lead]\nrecord_decisions = false\n', encoding="utf-8")
    env = {"TZOMET_CONFIG": str(config), "TZOMET_DATA_DIR": str(tmp_path / "data")}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return {"url": serve(env=env, data_dir=tmp_path / "data"), "db": tmp_path / "data" / "tzomet.db"}


def _post(url: str, path: str, key: str, body: Any) -> requests.Response:
    return requests.post(f"{url}{path}", json=body, headers={"X-API-Key": key}, timeout=30)


def test_corrections_count_in_the_report_and_stay_with_their_tenant(service: dict[str, Any]) -> None:
    url = service["url"]
    answers = [_post(url, "/v1/classify-lead", "k-acme", {"text": t}).json() for t in MESSAGES]
    ids = [a["meta"]["request_id"] for a in answers]
    first = _post(url, "/v1/feedback", "k-acme", {"request_id": ids[0], "correct": {"category": "cancellation"}})
    assert first.status_code == 200, first.text
    assert first.json()["decided"]["category"] == answers[0]["category"] and first.json()["action"] == "classify-lead"
    wrong = {"request_id": ids[1], "correct": {"category": "billing", "handoff": True}}
    assert _post(url, "/v1/feedback", "k-acme", wrong).status_code == 200
    assert _post(url, "/v1/feedback", "k-acme", wrong).json()["correct"] == {"category": "billing", "handoff": True}

    # another tenant's answer, or one never given: 404, nothing revealed
    other = _post(url, "/v1/feedback", "k-other", {"request_id": ids[0], "correct": {"category": "spam"}})
    assert other.status_code == 404 and "cancellation" not in other.text
    unknown = _post(url, "/v1/feedback", "k-acme", {"request_id": "nope", "correct": {"urgency": "low"}})
    assert unknown.status_code == 404
    empty = _post(url, "/v1/feedback", "k-acme", {"request_id": ids[0], "correct": {}})
    assert empty.status_code == 422 and empty.json()["errors"][0]["loc"].startswith("correct")

    report = requests.get(f"{url}/v1/report", headers={"X-API-Key": "k-acme"}, timeout=30).json()
    assert report["messages"] == 5 and sum(report["category_mix"].values()) == 5
    assert report["corrected"] == 2 and report["accuracy"] == (0.5 if answers[1]["category"] != "billing" else 1.0)
    assert report["latency_ms_p50"] > 0 and report["model_versions"][0]["answers"] == 5
    assert report["worst_mistakes"][0]["request_id"] == ids[1] or answers[1]["category"] == "billing"
    assert requests.get(f"{url}/v1/report", headers={"X-API-Key": "k-other"}, timeout=30).json()["messages"] == 0
    bad = requests.get(f"{url}/v1/report/forever", headers={"X-API-Key": "k-acme"}, timeout=30)
    assert bad.status_code == 422 and bad.headers["Content-Type"].startswith("application/problem+json")

    # what is kept: ids, labels, numbers — never the message
    with sqlite3.connect(service["db"]) as db:
        stored = " ".join(str(v) for row in db.execute("SELECT * FROM tz_decisions") for v in row)
    assert all(text not in stored and text[:10] not in stored for text in MESSAGES)


def test_a_tenant_can_keep_no_records(service: dict[str, Any]) -> None:
    answer = _post(service["url"], "/v1/classify-lead", "k-quiet", {"text": MESSAGES[0]}).json()
    time.sleep(0.7)  # longer than the writer's flush
    again = _post(service["url"], "/v1/feedback", "k-quiet",
                  {"request_id": answer["meta"]["request_id"], "correct": {"category": "other"}})
    assert again.status_code == 404


def test_the_report_as_one_html_file(service: dict[str, Any], tmp_path: Path) -> None:
    url = service["url"]
    categories = [{"name": "ביטול", "examples": ["לבטל מנוי"]}, {"name": "מחיר", "examples": ["כמה עולה"]}]
    for text in MESSAGES:
        _post(url, "/v1/classify-lead", "k-acme", {"text": text, "categories": categories})
    time.sleep(0.7)
    out = tmp_path / "report.html"
    result = CliRunner().invoke(cli, ["report", "--tenant", "acme", "--since", "1d", "--html", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 2 and "Pilot report — acme" in page
    assert "src='http" not in page and 'src="http' not in page  # nothing fetched from anywhere
