"""update-zoho over real HTTP: the service (real Zoho SDK inside) against the Zoho emulator.

Every test runs on SQLite and on a real throwaway PostgreSQL (skipped, with the reason,
when PostgreSQL is not installed — except under CI=true, where it must run).
"""

from __future__ import annotations

import concurrent.futures as cf
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from nodes.core import registry
from tests.crm_jobs import FAST as CRM_FAST
from tests.crm_jobs import wait_job
from tests.zoho_emulator import EmulatorServer

FAST = {**CRM_FAST, "read_timeout_s": 3}


def _starter(serve: Callable[..., str], emulator: EmulatorServer, db_url: str | None) -> Callable[..., str]:
    def start(**options: Any) -> str:
        return serve(
            db_url=db_url, zoho_client_id="client", zoho_client_secret="secret", zoho_refresh_token="refresh",
            zoho_api_url=emulator.url, zoho_accounts_url=emulator.token_url,
            options={"update-zoho": {**FAST, **options}},
        )

    return start


@pytest.fixture
def zoho(serve: Callable[..., str], emulator: EmulatorServer, db_url: str | None) -> Callable[..., str]:
    """Start the service wired to the emulator; keyword arguments are update-zoho options."""
    return _starter(serve, emulator, db_url)


@pytest.fixture
def zoho_sqlite(serve: Callable[..., str], emulator: EmulatorServer) -> Callable[..., str]:
    """Like ``zoho``, on the default SQLite store only (for tests the store cannot change)."""
    return _starter(serve, emulator, None)


def post(url: str, body: dict[str, Any], **headers: str) -> requests.Response:
    return requests.post(f"{url}/v1/update-zoho", json=body, headers=headers, timeout=30)


# --- writes ---------------------------------------------------------------------------------------
def test_insert_then_update_on_email_then_phone(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho()
    first = post(url, {"record": {"Last_Name": "כהן", "First_Name": "דנה", "Email": "dana@example.co.il",
                                  "Phone": "+972501234567"}})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "inserted" and body["module"] == "Leads" and body["record_id"]
    assert body["meta"]["request_id"] and body["record"]["Last_Name"] == "כהן"

    by_email = post(url, {"record": {"Last_Name": "כהן-לוי", "Email": "DANA@example.co.il"}}).json()
    assert by_email["status"] == "updated" and by_email["duplicate_field"] == "Email"
    assert by_email["record_id"] == body["record_id"]

    by_phone = post(url, {"record": {"Last_Name": "כהן", "Phone": "+972501234567", "Company": "דנה בע\"מ"}}).json()
    assert by_phone["status"] == "updated" and by_phone["duplicate_field"] == "Phone"
    leads = emulator.records("Leads")
    assert len(leads) == 1 and leads[0]["Company"] == "דנה בע\"מ" and leads[0]["Last_Name"] == "כהן"


def test_note_and_task_are_attached(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho()
    body = post(url, {"module": "Contacts", "record": {"Last_Name": "Levi", "Email": "levi@example.com"},
                      "note": {"title": "שיחה", "content": "ביקש הצעת מחיר"},
                      "task": {"subject": "לחזור ללקוח", "due_date": "2026-12-01", "priority": "High"}}).json()
    assert body["status"] == "inserted" and body["note_id"] and body["task_id"]
    note = emulator.records("Notes")[0]
    assert str(note["Parent_Id"]["id"]) == body["record_id"] and note["Parent_Id"]["module"]["api_name"] == "Contacts"
    assert note["Note_Content"] == "ביקש הצעת מחיר"
    task = emulator.records("Tasks")[0]
    assert str(task["What_Id"]["id"]) == body["record_id"] and task["$se_module"] == "Contacts"
    assert task["Due_Date"] == "2026-12-01" and task["Priority"] == "High"


def test_one_task_per_action_item(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    """`tasks` adds several tasks to the record in one exactly-once write; a replay adds none."""
    url = zoho()
    request = {"record": {"Last_Name": "Mizrahi", "Phone": "+972521112233"},
               "task": {"subject": "להתקשר ללקוח", "priority": "High"},
               "tasks": [{"subject": "לשלוח הצעת מחיר", "due_date": "2026-12-02"},
                         {"subject": "לתאם ביקור שמאי", "due_date": "2026-12-03", "priority": "Low"}],
               "idempotency_key": "conv-42"}
    body = post(url, request).json()
    assert body["status"] == "inserted" and len(body["task_ids"]) == 3 and all(body["task_ids"])
    assert body["task_id"] == body["task_ids"][0]
    tasks = emulator.records("Tasks")
    assert [t["Subject"] for t in tasks] == ["להתקשר ללקוח", "לשלוח הצעת מחיר", "לתאם ביקור שמאי"]
    assert {str(t["What_Id"]["id"]) for t in tasks} == {body["record_id"]}
    assert [t.get("Due_Date") for t in tasks] == [None, "2026-12-02", "2026-12-03"]
    again = post(url, request)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["task_ids"] == body["task_ids"]
    assert len(emulator.records("Tasks")) == 3
    too_many = post(url, {**request, "idempotency_key": "conv-43", "tasks": [{"subject": "x"}] * 21})
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["loc"] == "tasks"


def test_whole_numbers_in_currency_fields(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    """JSON has one number type: 7200 goes into a currency field (the SDK wants 7200.0)."""
    body = post(zoho(), {"module": "Deals", "record": {"Deal_Name": "שכירות – לוי", "Stage": "Qualification",
                                                      "Amount": 7200}}).json()
    assert body["status"] == "inserted", body
    assert emulator.records("Deals")[0]["Amount"] == 7200


def test_replay_ignores_the_meta_of_mapped_outputs(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    """A workflow re-run classifies again: same content, new request id and latency in `meta`."""
    url = zoho()
    classification = {"category": "sales_inquiry", "urgency": "normal", "handoff": {"required": False, "reasons": []},
                      "lead": {"temperature": "warm", "score": 60}, "contact": {"name": "Dana Levi", "phones": [],
                                                                             "emails": ["dana@example.com"]},
                      "meta": {"request_id": "first", "latency_ms": 2.1}}
    first = post(url, {"from": {"classification": classification}, "idempotency_key": "wa-1"})
    rerun = {**classification, "meta": {"request_id": "second", "latency_ms": 3.4}}
    second = post(url, {"from": {"classification": rerun}, "idempotency_key": "wa-1"})
    assert second.status_code == 200 and second.headers.get("Idempotent-Replayed") == "true"
    assert second.json()["record_id"] == first.json()["record_id"] and len(emulator.records("Leads")) == 1
    changed = {**classification, "category": "complaint"}
    conflict = post(url, {"from": {"classification": changed}, "idempotency_key": "wa-1"})
    assert conflict.status_code == 422 and conflict.json()["errors"][0]["loc"] == "idempotency_key"


def _classification(url: str) -> dict[str, Any]:
    """Real classify-lead output when that action is installed, else a contract-shaped fixture."""
    text = "שלום, אני יוסי אברהם, מעוניין בהצעת מחיר דחוף לשיפוץ מטבח. אפשר לחזור אליי ל-054-7654321?"
    if registry.exists("classify-lead"):
        r = requests.post(f"{url}/v1/classify-lead", json={"text": text, "channel": "whatsapp"}, timeout=60)
        assert r.status_code == 200, r.text
        return dict(r.json())
    return {"category": "sales_inquiry", "confidence": 0.9, "scores": {"sales_inquiry": 0.9}, "urgency": "high",
            "handoff": {"required": False, "reasons": []}, "lead": {"temperature": "hot", "score": 85},
            "language": "he", "contact": {"name": "יוסי אברהם", "phones": ["+972547654321"], "emails": []},
            "signals": []}


def test_mapped_form_from_classify_lead_falls_back_for_missing_picklist_values(
        zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho()
    classification = _classification(url)
    summary = {"summary": "הלקוח מבקש הצעת מחיר לשיפוץ מטבח.", "key_points": ["שיפוץ מטבח"],
               "customer_requests": ["הצעת מחיר"], "category": "sales_inquiry"}
    r = post(url, {"from": {"classification": classification, "summary": summary, "contact": {"channel": "whatsapp"}}})
    assert r.status_code == 200, r.text
    body = r.json()
    lead = emulator.records("Leads")[0]
    assert lead["id"] == body["record_id"]
    assert lead["Phone"] == "+972547654321"
    assert lead.get("Last_Name")  # a name or a readable placeholder, never a failed write
    # A new org's Lead_Source picklist has no WhatsApp: the value goes to the description instead.
    assert "Lead_Source" not in lead and "WhatsApp" in lead["Description"]
    assert "הצעת מחיר לשיפוץ מטבח" in lead["Description"]
    assert any("Lead_Source" in w for w in body["warnings"])


def test_mapped_form_uses_a_custom_field_when_configured(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    requests.post(f"{emulator.url}/__emulator__/fields", json={"module": "Leads", "api_name": "Tzomet_Category"},
                  timeout=5)
    url = zoho(mappings={"crm": {"fields": {"category": "Tzomet_Category", "temperature": None}}})
    body = post(url, {"mapping": "crm", "from": {"classification": {
        "category": "billing", "urgency": "normal", "lead": {"temperature": "cold", "score": 10},
        "contact": {"name": None, "phones": [], "emails": ["a@b.co.il"]}}}}).json()
    lead = emulator.records("Leads")[0]
    assert lead["Tzomet_Category"] == "billing" and lead["Email"] == "a@b.co.il"
    assert lead["Last_Name"] and "a@b.co.il" in lead["Last_Name"]  # the placeholder names the contact
    assert body["status"] == "inserted"
    unknown = post(url, {"mapping": "nope", "from": {"contact": {"name": "x"}}})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["loc"] == "mapping"


def test_dry_run_writes_nothing_and_shows_the_exact_record(zoho: Callable[..., str],
                                                            emulator: EmulatorServer) -> None:
    url = zoho()
    r = post(url, {"dry_run": True, "from": {"contact": {"name": "Ada Lovelace", "phone": "+972501112233",
                                                         "channel": "facebook"},
                                             "classification": {"lead": {"temperature": "warm"}}}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "dry_run"
    assert body["record"]["First_Name"] == "Ada" and body["record"]["Last_Name"] == "Lovelace"
    assert body["record"]["Lead_Source"] == "Facebook"  # in the default picklist: kept
    assert "Rating" not in body["record"] and "Warm" in body["record"]["Description"]
    assert emulator.records("Leads") == []


def test_missing_credentials_is_503_naming_the_variables_but_dry_run_works(serve: Callable[..., str]) -> None:
    url = serve()
    r = post(url, {"record": {"Last_Name": "x"}})
    assert r.status_code == 503 and r.headers["Content-Type"].startswith("application/problem+json")
    for var in ("ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET", "ZOHO_REFRESH_TOKEN"):
        assert var in r.json()["detail"]
    dry = post(url, {"record": {"Last_Name": "x"}, "dry_run": True})
    assert dry.status_code == 200 and dry.json()["record"] == {"Last_Name": "x"}


def test_zoho_rejections_are_422_with_zoho_field_names(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho()
    bad_email = post(url, {"record": {"Last_Name": "x", "Email": "not-an-email"}})
    assert bad_email.status_code == 422
    assert bad_email.json()["errors"][0]["loc"] == "record.Email"
    assert "INVALID_DATA" in bad_email.json()["errors"][0]["msg"]
    no_name = post(url, {"record": {"Email": "a@b.co"}})
    assert no_name.status_code == 422 and no_name.json()["errors"][0]["loc"] == "record.Last_Name"
    assert "MANDATORY_NOT_FOUND" in no_name.json()["errors"][0]["msg"]
    bad_pick = post(url, {"record": {"Last_Name": "x", "Lead_Source": "WhatsApp"}})  # direct form: Zoho decides
    assert bad_pick.status_code == 422 and bad_pick.json()["errors"][0]["loc"] == "record.Lead_Source"
    wrong_type = post(url, {"record": {"Last_Name": "x", "No_of_Employees": "many"}})
    assert wrong_type.status_code == 422 and wrong_type.json()["errors"][0]["loc"] == "record.No_of_Employees"
    assert emulator.records("Leads") == []


# --- exactly once ---------------------------------------------------------------------------------
def test_same_idempotency_key_five_times_concurrently_writes_once(zoho: Callable[..., str],
                                                                    emulator: EmulatorServer) -> None:
    url = zoho()
    body = {"record": {"Last_Name": "Once", "Email": "once@example.com"}, "note": {"content": "פעם אחת"}}
    with cf.ThreadPoolExecutor(5) as pool:
        answers = list(pool.map(lambda _: post(url, body, **{"Idempotency-Key": "lead-42"}), range(5)))
    assert [a.status_code for a in answers] == [200] * 5
    assert len({a.json()["record_id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 4
    again = post(url, {**body, "idempotency_key": "lead-42"})
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json()["status"] == "inserted"
    assert len(emulator.records("Leads")) == 1 and len(emulator.records("Notes")) == 1
    upserts = sum(n for route, n in emulator.state.calls.items() if route.endswith("/upsert"))
    assert upserts == 1
    other = post(url, {"record": {"Last_Name": "Different"}}, **{"Idempotency-Key": "lead-42"})
    assert other.status_code == 422 and other.json()["errors"][0]["loc"] == "idempotency_key"


def test_zoho_down_then_up_queues_then_succeeds_once(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho()
    assert post(url, {"record": {"Last_Name": "warm", "Email": "warm@example.com"}}).status_code == 200
    emulator.stop()  # connection refused
    queued = post(url, {"record": {"Last_Name": "Down", "Email": "down@example.com"}, "idempotency_key": "d-1"})
    assert queued.status_code == 202, queued.text
    body = queued.json()
    assert body["status"] == "queued" and body["job_id"] and "unreachable" in body["reason"]
    job = requests.get(f"{url}/v1/jobs/{body['job_id']}", timeout=5).json()
    assert job["status"] in {"queued", "running"} and job["attempts"] >= 1 and job["last_error"]
    replay = post(url, {"record": {"Last_Name": "Down", "Email": "down@example.com"}, "idempotency_key": "d-1"})
    assert replay.status_code == 202 and replay.json()["job_id"] == body["job_id"]
    metrics = requests.get(f"{url}/metrics", timeout=5).text
    assert "outbox" in metrics
    emulator.start()
    done = wait_job(url, body["job_id"])
    assert done["status"] == "succeeded", done
    assert done["result"]["status"] == "inserted" and done["result"]["record_id"]
    assert [r["Email"] for r in emulator.records("Leads")].count("down@example.com") == 1
    final = post(url, {"record": {"Last_Name": "Down", "Email": "down@example.com"}, "idempotency_key": "d-1"})
    assert final.status_code == 200 and final.json()["record_id"] == done["result"]["record_id"]
    assert final.headers.get("Idempotent-Replayed") == "true"


def test_zoho_503_maintenance_is_retried(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho()
    emulator.configure(down=True)
    r = post(url, {"record": {"Last_Name": "M", "Email": "m@example.com"}})
    assert r.status_code == 202 and "503" in r.json()["reason"]
    emulator.configure(down=False)
    assert wait_job(url, r.json()["job_id"])["status"] == "succeeded"
    assert len(emulator.records("Leads")) == 1


def test_429_storm_every_write_lands_exactly_once(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho()
    assert post(url, {"record": {"Last_Name": "warm"}}).status_code == 200
    emulator.configure(throttle_next=25, retry_after=0)
    bodies = [{"record": {"Last_Name": f"L{i}", "Email": f"l{i}@example.com"}, "idempotency_key": f"s-{i}"}
              for i in range(12)]
    with cf.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda b: post(url, b), bodies))
    assert {a.status_code for a in answers} <= {200, 202}
    assert any(a.status_code == 202 and "rate limiting" in a.json()["reason"] for a in answers)
    for a in answers:
        if a.status_code == 202:
            assert wait_job(url, a.json()["job_id"], timeout=60)["status"] == "succeeded"
    emails = sorted(str(r["Email"]) for r in emulator.records("Leads") if r.get("Email"))
    assert emails == sorted(f"l{i}@example.com" for i in range(12))
    assert emulator.state.calls["throttled"] == 25


def test_a_throttled_token_refresh_waits_instead_of_failing(zoho: Callable[..., str],
                                                            emulator: EmulatorServer) -> None:
    emulator.configure(throttle_next=3, retry_after=0)  # the very first calls, the token refresh among them
    url = zoho()
    first = post(url, {"record": {"Last_Name": "Cold", "Email": "cold@example.com"}, "idempotency_key": "cold-1"})
    assert first.status_code in (200, 202), first.text
    if first.status_code == 202:
        assert wait_job(url, first.json()["job_id"], timeout=30)["status"] == "succeeded"
    assert [r["Email"] for r in emulator.records("Leads")] == ["cold@example.com"]


def test_token_expiry_mid_run_refreshes_and_retries_once(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho()
    assert post(url, {"record": {"Last_Name": "A", "Email": "a@example.com"}}).status_code == 200
    minted = emulator.state.snapshot()["tokens_minted"]
    requests.post(f"{emulator.url}/__emulator__/expire-tokens", timeout=5)  # revoked under the SDK's feet
    r = post(url, {"record": {"Last_Name": "B", "Email": "b@example.com"}})
    assert r.status_code == 200 and r.json()["status"] == "inserted"
    assert emulator.state.snapshot()["tokens_minted"] == minted + 1
    assert emulator.state.calls["invalid_token"] == 1
    emulator.configure(token_ttl=1)  # short-lived tokens: the SDK refreshes ahead of expiry
    requests.post(f"{emulator.url}/__emulator__/expire-tokens", timeout=5)
    for i in range(3):
        assert post(url, {"record": {"Last_Name": f"C{i}", "Email": f"c{i}@example.com"}}).status_code == 200
        time.sleep(1.1)
    assert len(emulator.records("Leads")) == 5


def test_slow_zoho_times_out_and_the_retry_updates_instead_of_duplicating(
        zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho(read_timeout_s=0.5)
    assert post(url, {"record": {"Last_Name": "warm"}}).status_code == 200
    emulator.configure(write_latency_ms=1200)  # Zoho stores the record, then answers too late
    r = post(url, {"record": {"Last_Name": "Slow", "Email": "slow@example.com"}})
    emulator.configure(write_latency_ms=0)
    if r.status_code == 202:
        assert "in time" in r.json()["reason"]
        job = wait_job(url, r.json()["job_id"])
    else:
        job = wait_job(url, r.json()["job_id"])
    assert job["status"] == "succeeded" and job["attempts"] >= 2
    assert job["result"]["status"] == "updated" and job["result"]["duplicate_field"] == "Email"
    assert [r.get("Email") for r in emulator.records("Leads")].count("slow@example.com") == 1


def test_a_record_with_no_email_or_phone_is_found_again_by_its_key_field(
        zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    # the org has the unique field the docs ask for; the record has nothing else to be found by
    requests.post(f"{emulator.url}/__emulator__/fields", json={"module": "Leads", "api_name": "Tzomet_Key",
                                                               "unique": True}, timeout=5).raise_for_status()
    url = zoho(read_timeout_s=0.5)
    assert post(url, {"record": {"Last_Name": "warm", "Email": "warm@example.com"}}).status_code == 200
    emulator.configure(write_latency_ms=1200)  # Zoho stores the record, then answers too late
    r = post(url, {"record": {"Last_Name": "בלי פרטים", "Company": "נגריית השרון"}})
    emulator.configure(write_latency_ms=0)
    job = wait_job(url, r.json()["job_id"])
    assert job["status"] == "succeeded" and job["attempts"] >= 2
    assert job["result"]["status"] == "updated" and job["result"]["duplicate_field"] == "Tzomet_Key"
    assert job["result"]["warnings"] == []
    assert [x["Last_Name"] for x in emulator.records("Leads")].count("בלי פרטים") == 1
    assert [x.get("Tzomet_Key") for x in emulator.records("Leads") if x["Last_Name"] == "בלי פרטים"] == [job["job_id"]]

    # a second write of the same person is a new job: a new record, as Zoho would do without a key
    again = post(url, {"record": {"Last_Name": "בלי פרטים", "Company": "נגריית השרון"}})
    assert again.status_code == 200 and again.json()["status"] == "inserted"


def test_without_the_key_field_such_a_record_is_written_with_a_warning(
        zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho()
    r = post(url, {"record": {"Last_Name": "בלי פרטים"}})
    assert r.status_code == 200 and r.json()["status"] == "inserted"
    assert any("Tzomet_Key" in w and "second one" in w for w in r.json()["warnings"])
    with_email = post(url, {"record": {"Last_Name": "עם מייל", "Email": "x@example.com"}})
    assert with_email.json()["warnings"] == []


def test_dead_after_the_last_attempt(zoho: Callable[..., str], emulator: EmulatorServer) -> None:
    url = zoho(max_attempts=2)
    emulator.configure(down=True)
    r = post(url, {"record": {"Last_Name": "X"}, "idempotency_key": "dead-1"})
    assert r.status_code == 202
    job = wait_job(url, r.json()["job_id"])
    assert job["status"] == "dead" and job["attempts"] == 2 and "503" in job["last_error"]
    replay = post(url, {"record": {"Last_Name": "X"}, "idempotency_key": "dead-1"})
    assert replay.status_code == 502 and replay.headers.get("Idempotent-Replayed") == "true"
    assert emulator.records("Leads") == []

    # Zoho is back: an operator puts the dead write back in the queue, and it is written once
    emulator.configure(down=False)
    job_id = r.json()["job_id"]
    retried = requests.post(f"{url}/v1/jobs/{job_id}/retry", timeout=30)
    assert retried.status_code == 200 and retried.json()["status"] in ("queued", "running", "succeeded")
    assert wait_job(url, job_id)["status"] == "succeeded"
    assert [r["Last_Name"] for r in emulator.records("Leads")] == ["X"]
    again = requests.post(f"{url}/v1/jobs/{job_id}/retry", timeout=30)
    assert again.status_code == 409 and "only a dead job" in again.json()["detail"]
    assert requests.post(f"{url}/v1/jobs/{'0' * 32}/retry", timeout=30).status_code == 404


def test_bad_credentials_fail_with_502_naming_the_variables(serve: Callable[..., str], emulator: EmulatorServer,
                                                              db_url: str | None) -> None:
    emulator.state.refresh_token = "the-right-one"
    url = serve(db_url=db_url, zoho_client_id="c", zoho_client_secret="s", zoho_refresh_token="wrong",
                zoho_api_url=emulator.url, zoho_accounts_url=emulator.token_url, options={"update-zoho": FAST})
    r = post(url, {"record": {"Last_Name": "X"}})
    assert r.status_code == 502 and "ZOHO_REFRESH_TOKEN" in r.json()["detail"]


# --- the rest of the surface ----------------------------------------------------------------------
def test_jobs_endpoint_and_readiness(zoho: Callable[..., str]) -> None:
    url = zoho()
    assert requests.get(f"{url}/v1/jobs/{'0' * 32}", timeout=5).status_code == 404
    assert requests.get(f"{url}/v1/jobs/not-a-job", timeout=5).status_code == 404
    ready = requests.get(f"{url}/readyz", timeout=30)
    assert ready.status_code == 200 or "update-zoho" not in ready.text
    body = post(url, {"record": {"Last_Name": "J"}}).json()
    job = requests.get(f"{url}/v1/jobs/{body['job_id']}", timeout=5).json()
    assert {"job_id", "status", "attempts", "last_error", "result"} <= set(job)
    assert job["status"] == "succeeded" and job["attempts"] == 1 and job["result"]["record_id"] == body["record_id"]
    schema = requests.get(f"{url}/v1/nodes/update-zoho/schema", timeout=5).json()
    assert "from" in schema["input"]["properties"] and "queued" in str(schema["output"])


@pytest.mark.parametrize("body", [
    {}, {"record": {}}, {"record": {"bad name": 1}}, {"record": "x"}, {"module": "Potentials", "record": {"a": 1}},
    {"from": {"classification": "not an object"}}, {"from": {"contact": {"channel": "pigeon"}}},
    {"from": {}}, {"record": {"Last_Name": "x"}, "task": {"subject": "s", "due_date": "tomorrow"}},
    {"record": {"Last_Name": "x"}, "duplicate_check_fields": []}, {"record": {"Last_Name": "x"}, "extra": 1},
    {"record": {"Last_Name": "x"}, "idempotency_key": ""}, {"from": {"classification": {"contact": [1, 2]}}},
    {"record": {"Last_Name": "x", "Owner": {"id": "abc"}}}, {"record": {"Last_Name": "x", "Closing": [{"a": {}}]}},
])
def test_no_500_on_odd_input(zoho_sqlite: Callable[..., str], body: dict[str, Any]) -> None:
    r = post(zoho_sqlite(), body)
    assert r.status_code in {200, 202, 422}, r.text
    if r.status_code == 422:
        assert r.headers["Content-Type"].startswith("application/problem+json") and r.json()["errors"]


def test_a_job_is_visible_only_to_its_own_tenant(serve: Callable[..., str], emulator: EmulatorServer,
                                                 db_url: str | None) -> None:
    """GET /v1/jobs/<id> answers 404 for another tenant's job, as if it did not exist (it held their record)."""
    from nodes.core.config import Tenant, hash_key

    tenants = (Tenant("acme", (hash_key("acme-key"),)), Tenant("other", (hash_key("other-key"),)))
    url = serve(db_url=db_url, zoho_client_id="client", zoho_client_secret="secret", zoho_refresh_token="refresh",
                zoho_api_url=emulator.url, zoho_accounts_url=emulator.token_url, tenants=tenants,
                options={"update-zoho": FAST})
    written = post(url, {"record": {"Last_Name": "כהן", "Email": "dana@example.co.il"}}, **{"X-API-Key": "acme-key"})
    assert written.status_code == 200, written.text
    job_url = f"{url}/v1/jobs/{written.json()['job_id']}"
    mine = requests.get(job_url, headers={"X-API-Key": "acme-key"}, timeout=5)
    assert mine.status_code == 200 and mine.json()["status"] == "succeeded"
    theirs = requests.get(job_url, headers={"X-API-Key": "other-key"}, timeout=5)
    assert theirs.status_code == 404 and theirs.headers["Content-Type"].startswith("application/problem+json")
    assert "dana" not in theirs.text and "כהן" not in theirs.text
    assert requests.get(job_url, timeout=5).status_code == 401
