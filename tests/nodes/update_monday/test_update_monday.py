"""update-monday over real HTTP against a Monday GraphQL emulator over HTTP: items found by their key,
phone or email column, Hebrew values with gershayim sent as variables, updates (comments), column errors
naming the column, and exactly once through an outage, 429s and complexity limits."""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from nodes.update_monday.writer import shutdown_runtimes
from tests.crm_jobs import FAST, wait_job
from tests.monday_emulator import BOARD, MondayEmulator


@pytest.fixture
def monday() -> Iterator[MondayEmulator]:
    emu = MondayEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture(autouse=True)
def _stop_writers() -> Iterator[None]:
    yield
    shutdown_runtimes()


@pytest.fixture
def service(serve: Callable[..., str], monday: MondayEmulator) -> Callable[..., str]:
    def start(**options: Any) -> str:
        return serve(monday_token=monday.state.token, monday_api_url=monday.api_url, monday_board_id=BOARD,
                     options={"update-monday": {**FAST, **options}})
    return start


def post(url: str, body: dict[str, Any]) -> requests.Response:
    return requests.post(f"{url}/v1/update-monday", json=body, timeout=30)


def test_create_then_change_by_phone_with_hebrew_quotes(service: Callable[..., str], monday: MondayEmulator) -> None:
    url = service()
    first = post(url, {"name": 'חברת כהן בע"מ', "record": {"phone": {"phone": "+972541234567",
                                                                       "countryShortName": "IL"}},
                       "update": 'לקוח חדש מ"וואטסאפ"'})
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "inserted" and first.json()["board_id"] == BOARD and first.json()["update_id"]
    again = post(url, {"name": "כהן", "record": {"phone": {"phone": "+972541234567", "countryShortName": "IL"},
                                                 "status": {"label": "בטיפול"}}})
    assert again.json()["status"] == "updated" and again.json()["matched_on"] == "phone"
    (item,) = monday.items()
    assert item["name"] == 'חברת כהן בע"מ' and item["column_values"]["status"] == {"label": "בטיפול"}
    assert monday.state.updates[0]["body"] == 'לקוח חדש מ"וואטסאפ"'


def test_mapped_from_classify_lead(service: Callable[..., str], monday: MondayEmulator) -> None:
    url = service()
    out = post(url, {"from": {"classification": {"category": "sales_inquiry", "contact": {
        "name": "יוסי לוי", "emails": ["yossi@example.co.il"]}, "handoff": {"required": True,
                                                                          "reasons": ["human_request"]}}}})
    assert out.status_code == 200, out.text
    (item,) = monday.items()
    values = item["column_values"]
    assert item["name"] == "יוסי לוי" and values["email"]["email"] == "yossi@example.co.il"
    assert values["status"] == {"label": "sales_inquiry"} and "human_request" in values["long_text"]["text"]


def test_column_errors_are_422_naming_the_column(service: Callable[..., str]) -> None:
    url = service()
    bad = post(url, {"name": "x", "record": {"email": {"email": "not-an-email", "text": "x"}}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "record.email", bad.text
    unknown = post(url, {"name": "x", "record": {"shoe_size": "44"}})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == "record.shoe_size"


def test_dry_run_and_missing_configuration(serve: Callable[..., str]) -> None:
    url = serve()
    dry = post(url, {"name": "x", "record": {"text": "y"}, "dry_run": True})
    assert dry.status_code == 200 and dry.json()["status"] == "dry_run"
    missing = post(url, {"name": "x", "record": {"text": "y"}})
    assert missing.status_code == 503 and "MONDAY_TOKEN" in missing.json()["detail"]


def test_outage_429s_and_complexity_limits_write_each_once(service: Callable[..., str],
                                                            monday: MondayEmulator) -> None:
    url = service(wait_seconds=0.5)
    monday.stop()
    queued = [post(url, {"name": f"לקוח {i}", "record": {"text": f"t{i}"}, "idempotency_key": f"m-{i}"})
              for i in range(4)]
    assert all(q.status_code == 202 for q in queued)
    monday.start()
    monday.configure(throttle_next=4, retry_after=0, complexity_next=3)
    with cf.ThreadPoolExecutor(4) as pool:
        more = list(pool.map(lambda i: post(url, {"name": f"לקוח {i}", "record": {"text": f"t{i}"},
                                                  "idempotency_key": f"m-{i}"}), range(4, 10)))
    for answer in queued + more:
        if answer.status_code == 202:
            assert wait_job(url, answer.json()["job_id"], timeout=60)["status"] == "succeeded"
    assert sorted(i["name"] for i in monday.items()) == sorted(f"לקוח {i}" for i in range(10))


@pytest.mark.parametrize("key", ["slow-1", None])
def test_a_timeout_after_the_create_finds_the_item_by_its_key(service: Callable[..., str],
                                                               monday: MondayEmulator, key: str | None) -> None:
    url = service(read_timeout_s=0.5, wait_seconds=0.2)
    monday.configure(latency_ms=1500)
    body: dict[str, Any] = {"name": "בלי פרטים", "record": {"text": "x"}}
    if key:  # without one, the write carries a key of its own
        body["idempotency_key"] = key
    queued = post(url, body)
    assert queued.status_code == 202
    time.sleep(1.6)
    monday.configure(latency_ms=0)
    job = wait_job(url, queued.json()["job_id"], timeout=30)
    assert job["status"] == "succeeded" and job["result"]["matched_on"] == "tzomet_key"
    assert len(monday.items()) == 1


def test_update_zohos_note_and_tasks_become_the_update(service: Callable[..., str], monday: MondayEmulator) -> None:
    url = service()
    out = post(url, {"name": "דנה", "note": {"title": "WhatsApp", "content": "רוצה הצעת מחיר"},
                     "task": {"subject": "לחזור ללקוחה", "due_date": "2026-12-10"},
                     "tasks": [{"subject": "לשלוח הצעה"}]})
    assert out.status_code == 200, out.text
    assert "Monday items have no tasks: 2 listed in the update" in out.json()["warnings"]
    (update,) = monday.state.updates
    assert update["body"] == "WhatsApp\nרוצה הצעת מחיר\n\n☐ לחזור ללקוחה (2026-12-10)\n☐ לשלוח הצעה"
