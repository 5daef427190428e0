"""update-hubspot over real HTTP, through HubSpot's official client, against a HubSpot emulator over HTTP:
upserts by email and phone, notes and tasks associated, exactly once across outages, 429 storms,
concurrent repeats and a timeout after the write (HubSpot's search not having indexed it yet)."""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from nodes.core.config import hash_key
from nodes.update_hubspot.writer import shutdown_runtimes
from tests.crm_jobs import FAST, wait_job
from tests.hubspot_emulator import HubSpotEmulator


@pytest.fixture
def hubspot() -> Iterator[HubSpotEmulator]:
    emu = HubSpotEmulator().start()
    yield emu
    emu.stop()


@pytest.fixture(autouse=True)
def _stop_writers() -> Iterator[None]:
    yield
    shutdown_runtimes()


@pytest.fixture
def service(serve: Callable[..., str], hubspot: HubSpotEmulator) -> Callable[..., str]:
    def start(**options: Any) -> str:
        return serve(hubspot_token=hubspot.state.token, hubspot_api_url=hubspot.url,
                     options={"update-hubspot": {**FAST, **options}})
    return start


def post(url: str, body: dict[str, Any], **headers: str) -> requests.Response:
    return requests.post(f"{url}/v1/update-hubspot", json=body, headers=headers, timeout=30)


def test_insert_then_update_by_email_then_by_phone(service: Callable[..., str], hubspot: HubSpotEmulator) -> None:
    url = service()
    first = post(url, {"record": {"firstname": "דנה", "lastname": "כהן", "email": "dana@example.co.il",
                                  "phone": "+972541234567"}})
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "inserted" and first.json()["object"] == "contacts"
    again = post(url, {"record": {"email": "DANA@example.co.il", "company": "כהן ושות' בע\"מ"}})
    assert again.json()["status"] == "updated" and again.json()["matched_on"] == "email"
    by_phone = post(url, {"record": {"phone": "+972541234567", "jobtitle": "מנהלת"}})
    assert by_phone.json()["status"] == "updated" and by_phone.json()["matched_on"] == "phone"
    (contact,) = hubspot.records("contacts")
    assert contact["properties"]["company"] == "כהן ושות' בע\"מ" and contact["properties"]["jobtitle"] == "מנהלת"
    assert first.json()["record_id"] == again.json()["record_id"] == contact["id"]


def test_note_and_tasks_are_associated(service: Callable[..., str], hubspot: HubSpotEmulator) -> None:
    url = service()
    out = post(url, {"record": {"email": "n@example.com", "lastname": "N"}, "note": {"title": "WhatsApp",
                     "content": "רוצה הצעת מחיר"}, "task": {"subject": "לחזור ללקוח", "priority": "High",
                     "due_date": "2026-12-10"}, "tasks": [{"subject": "לשלוח הצעה"}]}).json()
    assert out["note_id"] and len(out["task_ids"]) == 2 and all(out["task_ids"])
    (note,) = hubspot.records("notes")
    assert "רוצה הצעת מחיר" in note["properties"]["hs_note_body"]
    assert note["associations"][0]["to"]["id"] == out["record_id"]
    assert note["associations"][0]["types"][0]["associationTypeId"] == 202
    tasks = hubspot.records("tasks")
    assert {t["properties"]["hs_task_priority"] for t in tasks} == {"HIGH", "MEDIUM"}
    assert all(t["associations"][0]["types"][0]["associationTypeId"] == 204 for t in tasks)


def test_mapped_lead_and_a_deal_from_a_contract(service: Callable[..., str], hubspot: HubSpotEmulator) -> None:
    url = service()
    lead = post(url, {"from": {"classification": {"category": "sales_inquiry", "urgency": "high",
                                                  "contact": {"name": "יוסי לוי", "phones": ["+972527654321"]},
                                                  "handoff": {"required": True, "reasons": ["human_request"]}},
                               "contact": {"channel": "whatsapp"}}})
    assert lead.status_code == 200, lead.text
    props = hubspot.records("contacts")[0]["properties"]
    assert props["firstname"] == "יוסי" and props["lastname"] == "לוי" and props["phone"] == "+972527654321"
    assert "sales_inquiry" in props["message"] and "human_request" in props["message"]
    deal = post(url, {"object": "deals", "from": {"contract": {"contract_type": "lease", "parties": [
        {"name": "משה לוי"}], "fields": {"payment_amount": {"value": {"amount": 7200, "currency": "ILS"}}}}}})
    assert deal.status_code == 200, deal.text
    dprops = hubspot.records("deals")[0]["properties"]
    assert dprops["amount"] == "7200" and dprops["dealstage"] == "appointmentscheduled"
    assert dprops["dealname"].startswith("lease") and "7200" in dprops["description"]


def test_hubspot_rejections_are_422_naming_the_property(service: Callable[..., str]) -> None:
    url = service()
    bad = post(url, {"record": {"email": "not-an-email", "lastname": "x"}})
    assert bad.status_code == 422 and bad.headers["Content-Type"].startswith("application/problem+json")
    assert bad.json()["errors"][0]["loc"] == "record.email"
    unknown = post(url, {"record": {"shoe_size": "44"}})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == "record.shoe_size"
    names = post(url, {"record": {"Last Name": "x"}})
    assert names.status_code == 422 and names.json()["errors"][0]["loc"] == "record"


def test_dry_run_and_missing_token(serve: Callable[..., str]) -> None:
    url = serve()
    dry = post(url, {"record": {"email": "d@example.com"}, "dry_run": True})
    assert dry.status_code == 200 and dry.json()["status"] == "dry_run" and dry.json()["record"] == {
        "email": "d@example.com"}
    missing = post(url, {"record": {"email": "d@example.com"}})
    assert missing.status_code == 503 and "HUBSPOT_TOKEN" in missing.json()["detail"]


def test_outage_queues_then_writes_once(service: Callable[..., str], hubspot: HubSpotEmulator) -> None:
    url = service(wait_seconds=0.5)
    hubspot.stop()
    queued = post(url, {"record": {"email": "o@example.com", "lastname": "O"}, "idempotency_key": "out-1"})
    assert queued.status_code == 202 and "unreachable" in queued.json()["reason"]
    hubspot.start()
    job = wait_job(url, queued.json()["job_id"])
    assert job["status"] == "succeeded" and job["result"]["object"] == "contacts"
    replay = post(url, {"record": {"email": "o@example.com", "lastname": "O"}, "idempotency_key": "out-1"})
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert len(hubspot.records("contacts")) == 1


def test_429_storm_every_write_lands_exactly_once(service: Callable[..., str], hubspot: HubSpotEmulator) -> None:
    url = service()
    hubspot.configure(throttle_next=15, retry_after=0)
    bodies = [{"record": {"email": f"s{i}@example.com", "lastname": f"S{i}"}, "idempotency_key": f"s-{i}"}
              for i in range(10)]
    with cf.ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda b: post(url, b), bodies))
    assert {a.status_code for a in answers} <= {200, 202}
    for a in answers:
        if a.status_code == 202:
            assert wait_job(url, a.json()["job_id"], timeout=60)["status"] == "succeeded"
    assert sorted(r["properties"]["email"] for r in hubspot.records("contacts")) == \
        sorted(f"s{i}@example.com" for i in range(10))
    assert hubspot.state.calls["throttled"] == 15


def test_same_key_twenty_times_concurrently_writes_once(service: Callable[..., str], hubspot: HubSpotEmulator) -> None:
    url = service()
    body = {"record": {"email": "same@example.com", "lastname": "Same"}, "idempotency_key": "same-1",
            "note": {"content": "once"}}
    with cf.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: post(url, body), range(20)))
    assert {a.status_code for a in answers} <= {200, 202}
    assert len(hubspot.records("contacts")) == 1 and len(hubspot.records("notes")) == 1


@pytest.mark.parametrize("key", ["nokey-1", None])
def test_no_email_no_phone_and_a_timeout_after_the_write_is_not_a_twin(service: Callable[..., str],
                                                                        hubspot: HubSpotEmulator,
                                                                        key: str | None) -> None:
    # HubSpot commits the create but answers after the read timeout, and its search has not indexed the
    # new contact yet: the retry's create carries the same tzomet_key, gets a 409, and updates instead —
    # with the write's idempotency key, or a key of its own when it was sent without one.
    url = service(read_timeout_s=0.5, wait_seconds=0.2)
    hubspot.configure(latency_ms=1500, search_lag_s=30)
    body: dict[str, Any] = {"record": {"firstname": "בלי", "lastname": "פרטים"}}
    if key:
        body["idempotency_key"] = key
    queued = post(url, body)
    assert queued.status_code == 202, queued.text
    time.sleep(1.6)
    hubspot.configure(latency_ms=0)
    job = wait_job(url, queued.json()["job_id"], timeout=30)
    assert job["status"] == "succeeded" and job["result"]["matched_on"] == "conflict"
    (contact,) = hubspot.records("contacts")
    assert contact["properties"]["tzomet_key"] == "-:nokey-1" if key else \
        contact["properties"]["tzomet_key"].startswith("-:write-")


def test_a_tenants_own_account_by_the_name_of_its_token_variable(serve: Callable[..., str], tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with HubSpotEmulator() as theirs:
        theirs.state.token = "pat-eu1-clinic-token"
        monkeypatch.setenv("CLINIC_HUBSPOT_TOKEN", theirs.state.token)
        config = tmp_path / "tenants.toml"
        config.write_text(f'[[tenants]]\nname = "clinic"\nkeys = ["{hash_key("k-clinic")}"]\n'
                          '[tenants.options.update-hubspot]\ntoken_env = "CLINIC_HUBSPOT_TOKEN"\n'
                          'poll_interval_s = 0.1\n', encoding="utf-8")
        url = serve(env={"TZOMET_CONFIG": str(config), "CLINIC_HUBSPOT_TOKEN": theirs.state.token},
                    hubspot_api_url=theirs.url)
        out = post(url, {"record": {"email": "c@clinic.example"}}, **{"X-API-Key": "k-clinic"})
        assert out.status_code == 200, out.text
        assert len(theirs.records("contacts")) == 1
        # the job names the variable, never the token
        assert theirs.state.token.encode() not in (tmp_path / "data" / "tzomet.db").read_bytes()
