"""update-zoho's pure parts (mapping, metadata check, backoff) and the emulator's own semantics."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from nodes.core.outbox import OutboxOptions
from nodes.update_zoho.mapping import DEFAULT_PROFILE, MappingError, check_record, map_sources, profile
from tests.zoho_emulator import EmulatorServer

ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class F:
    api_name: str
    data_type: str = "text"
    label: str = ""
    read_only: bool = False
    length: int | None = 255
    picklist: tuple[str, ...] | None = None


LEADS = {
    "Last_Name": F("Last_Name", length=80), "First_Name": F("First_Name"), "Phone": F("Phone", "phone"),
    "Email": F("Email", "email"), "Description": F("Description", "textarea", length=32000),
    "Lead_Source": F("Lead_Source", "picklist", "Lead Source", picklist=("-None-", "Facebook", "Chat")),
    "Rating": F("Rating", "picklist", "Rating", picklist=("-None-", "Active")),
    "Created_Time": F("Created_Time", "datetime", read_only=True),
}


def test_mapping_splits_the_name_and_builds_the_description() -> None:
    record, warnings = map_sources("Leads", {
        "classification": {"category": "complaint", "urgency": "high", "lead": {"temperature": None, "score": 20},
                           "handoff": {"required": True, "reasons": ["legal_threat"]},
                           "contact": {"name": "רונית בר-לב", "phones": ["+972521234567"], "emails": []}},
        "summary": {"summary": "הלקוחה מאיימת בתביעה.", "key_points": ["תביעה"], "action_items": [
            {"owner": "agent", "text": "להתקשר היום", "due": None}]},
    }, profile("default", {}))
    assert record["First_Name"] == "רונית" and record["Last_Name"] == "בר-לב"
    assert record["Phone"] == "+972521234567" and "Email" not in record and "Rating" not in record
    description = record["Description"]
    assert description.startswith("הלקוחה מאיימת בתביעה.")
    assert "- להתקשר היום" in description and "קטגוריה: complaint" in description and "legal_threat" in description
    assert warnings == []


def test_mapping_placeholder_and_deals() -> None:
    record, warnings = map_sources("Leads", {"contact": {"phone": "+97231234567", "channel": "sms"}},
                                   profile("default", {}))
    assert record["Last_Name"] == "ליד SMS +97231234567" and record["Lead_Source"] == "SMS" and warnings
    deal, _ = map_sources("Deals", {"contract": {
        "contract_type": "lease", "parties": [{"name": "אלון נכסים בע\"מ", "role": "landlord"}],
        "fields": {"payment_amount": {"value": {"amount": 5200, "currency": "ILS", "period": "month"}}}}},
        profile("default", {}))
    assert deal["Deal_Name"] == "lease – אלון נכסים בע\"מ" and deal["Stage"] == "Qualification"
    assert deal["Amount"] == 5200 and "5200 ILS month" in deal["Description"]


def test_mapping_survives_odd_shapes() -> None:
    odd = {"classification": {"contact": "x", "lead": [1], "handoff": 3, "category": 5},
           "summary": {"key_points": "not a list", "entities": None}, "contract": {"parties": "x", "fields": 1}}
    record, _ = map_sources("Accounts", odd, profile("default", {}))
    assert record["Account_Name"]


def test_profiles_overlay_the_default_and_unknown_names_fail() -> None:
    prof = profile("crm", {"mappings": {"crm": {"fields": {"category": "Cat__c"}}}})
    assert prof["fields"]["category"] == "Cat__c" and prof["fields"]["phone"] == DEFAULT_PROFILE["fields"]["phone"]
    with pytest.raises(MappingError) as err:
        profile("missing", {"mappings": {"crm": {}}})
    assert err.value.loc == "mapping" and "crm" in err.value.msg


def test_check_record_moves_what_zoho_would_refuse_when_mapped() -> None:
    record = {"Last_Name": "x" * 100, "Lead_Source": "WhatsApp", "Rating": "active", "Nope__c": 1,
              "Created_Time": "2026-01-01T00:00:00+02:00", "Description": "סיכום"}
    sent, warnings = check_record("Leads", record, LEADS, mapped=True)
    assert sent["Last_Name"] == "x" * 80 and sent["Rating"] == "Active"
    assert "Lead_Source" not in sent and "Nope__c" not in sent and "Created_Time" not in sent
    assert sent["Description"] == "סיכום\nLead Source: WhatsApp\nNope__c: 1"
    assert len(warnings) == 4
    direct, direct_warnings = check_record("Leads", {"Lead_Source": "WhatsApp", "Nope__c": 1}, LEADS, mapped=False)
    assert direct == {"Lead_Source": "WhatsApp", "Nope__c": 1} and direct_warnings


def test_backoff_grows_with_jitter_and_respects_retry_after() -> None:
    options = OutboxOptions(backoff_base_s=1, backoff_max_s=10)
    assert all(0.5 <= options.backoff(1) <= 1 for _ in range(50))
    assert all(5 <= options.backoff(10) <= 10 for _ in range(50))
    assert options.backoff(1, retry_after=30) == 30
    assert OutboxOptions.from_options({"max_attempts": "x", "wait_seconds": 2}).wait_seconds == 2


def test_emulator_semantics() -> None:
    with EmulatorServer() as emu:
        base = emu.url
        token = requests.post(emu.token_url, data={"grant_type": "refresh_token", "refresh_token": "r",
                                                   "client_id": "c", "client_secret": "s"}, timeout=5).json()
        auth = {"Authorization": f"Zoho-oauthtoken {token['access_token']}"}
        assert requests.get(f"{base}/crm/v8/org", timeout=5).status_code == 401
        created = requests.post(f"{base}/crm/v8/Leads", json={"data": [{"Last_Name": "A", "Email": "a@x.co"}]},
                                headers=auth, timeout=5).json()["data"][0]
        rid = created["details"]["id"]
        found = requests.get(f"{base}/crm/v8/Leads/search", params={"email": "A@X.CO"}, headers=auth, timeout=5)
        assert found.json()["data"][0]["id"] == rid
        assert requests.get(f"{base}/crm/v8/Leads/search", params={"email": "no@x.co"}, headers=auth,
                            timeout=5).status_code == 204
        updated = requests.put(f"{base}/crm/v8/Leads/{rid}", json={"data": [{"Phone": "050"}]}, headers=auth,
                               timeout=5).json()["data"][0]
        assert updated["code"] == "SUCCESS" and emu.records()[0]["Phone"] == "050"
        bad = requests.post(f"{base}/crm/v8/Leads/upsert", json={"data": [{"Last_Name": "B", "Rating": "Hot"}]},
                            headers=auth, timeout=5).json()["data"][0]
        assert bad["code"] == "INVALID_DATA" and bad["details"]["api_name"] == "Rating"
        emu.configure(mint_limit=1)
        again = requests.post(emu.token_url, data={"grant_type": "refresh_token", "refresh_token": "r",
                                                   "client_id": "c", "client_secret": "s"}, timeout=5).json()
        assert "access_token" not in again and again["error"] == "Access Denied"


def test_emulator_starts_on_its_own(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "tests.zoho_emulator", "--port", str(port)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                state = requests.get(f"http://127.0.0.1:{port}/__emulator__/state", timeout=1).json()
                break
            except requests.RequestException:
                time.sleep(0.1)
        else:
            pytest.fail("the emulator did not start")
        assert state["records"] == {} and state["config"]["down"] is False
    finally:
        proc.terminate()
        out = proc.communicate(timeout=10)[0].decode()
    assert "ZOHO_API_URL" in out
