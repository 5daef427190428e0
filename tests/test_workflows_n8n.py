"""The shipped workflows in a real n8n 2.41.1, end to end.

One n8n (its own user folder and SQLite database) imports the rendered workflows and the
credentials, then:

- runs each workflow with ``n8n execute`` (Manual Trigger -> Sample input) against the
  running Tzomet service, the Zoho emulator and a WhatsApp Cloud API double, and checks
  what the emulator and the double received — and that running it again writes nothing twice;
- publishes the webhook workflows, runs ``n8n start`` and POSTs to their production
  webhooks the way a web form, a chat export tool and a document upload would.

Skipped with the reason when n8n is not installed (scripts/install-n8n.sh), except under CI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nodes.core.workflows import render_all
from nodes.update_zoho.writer import shutdown_runtimes
from tests.conftest import _Servers
from tests.n8n_harness import N8n, require_n8n
from tests.whatsapp_double import WhatsAppDouble
from tests.zoho_emulator import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "tzk_n8n_workflow_tests_0123456789"
OWNER = "972509998877"
PHONE_NUMBER_ID = "100000000000001"
PDF = ROOT / "nodes" / "extract_contract_fields" / "data" / "eval" / "files" / "he01_lease_residential.pdf"

# one n8n for the whole module, so its tests stay on one xdist worker (make test uses --dist loadgroup)
pytestmark = [pytest.mark.timeout(900), pytest.mark.xdist_group("n8n")]


@dataclass
class Stack:
    n8n: N8n
    zoho: EmulatorServer
    whatsapp: WhatsAppDouble
    service: str

    def records(self, module: str) -> list[dict[str, Any]]:
        return self.zoho.records(module)

    def counts(self) -> dict[str, int]:
        return {m: len(self.records(m)) for m in ("Leads", "Deals", "Notes", "Tasks")}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    launcher = require_n8n()
    base = tmp_path_factory.mktemp("n8n-stack")
    with EmulatorServer() as zoho, WhatsAppDouble() as whatsapp:
        servers = _Servers(base / "tzomet-data")
        service = servers(env={"TZOMET_API_KEYS": API_KEY}, zoho_client_id="client", zoho_client_secret="secret",
                          zoho_refresh_token="refresh", zoho_api_url=zoho.url, zoho_accounts_url=zoho.token_url)
        rendered = base / "workflows"
        render_all(rendered, service, values={"whatsapp_api_url": f"{whatsapp.url}/v21.0",
                                              "owner_whatsapp": OWNER, "whatsapp_phone_number_id": PHONE_NUMBER_ID})
        n8n = N8n(launcher, base / "n8n")
        n8n.import_credentials([
            {"id": "tzometApiKey0001", "name": "Tzomet API key", "type": "httpHeaderAuth",
             "data": {"name": "X-API-Key", "value": API_KEY}},
            {"id": "tzometWaApi00001", "name": "WhatsApp account", "type": "whatsAppApi",
             "data": {"accessToken": whatsapp.token, "businessAccountId": "200000000000002"}},
            {"id": "tzometWaTrigger1", "name": "WhatsApp OAuth account", "type": "whatsAppTriggerApi",
             "data": {"clientId": "300000000000003", "clientSecret": "not-used-in-tests"}},
        ])
        n8n.import_workflows(rendered)
        try:
            yield Stack(n8n, zoho, whatsapp, service)
        finally:
            n8n.stop()
            servers.stop_all()
            shutdown_runtimes()


def test_whatsapp_lead_to_zoho(stack: Stack) -> None:
    before = stack.counts()
    stack.n8n.execute("TzWhatsAppLead01")
    leads = [r for r in stack.records("Leads") if r.get("Phone") == "+972541234567"]
    assert len(leads) == 1, stack.records("Leads")
    lead = leads[0]
    assert lead["First_Name"] == "דנה" and lead["Last_Name"] == "כהן"
    assert "support" in lead["Description"] and "human_request" in lead["Description"]
    note = [n for n in stack.records("Notes") if str(n["Parent_Id"]["id"]) == str(lead["id"])]
    assert len(note) == 1 and "עשיתי תאונה הבוקר" in note[0]["Note_Content"]
    task = [t for t in stack.records("Tasks") if str(t["What_Id"]["id"]) == str(lead["id"])]
    assert len(task) == 1 and task[0]["Priority"] == "High" and "human_request" in task[0]["Subject"]
    # the owner was told on WhatsApp, through the Graph API's wire format
    sent = stack.whatsapp.sent
    assert len(sent) == 1 and sent[0]["to"] == OWNER and sent[0]["phone_number_id"] == PHONE_NUMBER_ID
    assert "+972541234567" in sent[0]["text"]["body"] and sent[0]["messaging_product"] == "whatsapp"

    # The same WhatsApp message delivered again: nothing new in the CRM.
    stack.n8n.execute("TzWhatsAppLead01")
    after = stack.counts()
    assert after["Leads"] == before["Leads"] + 1 and after["Notes"] == before["Notes"] + 1
    assert after["Tasks"] == before["Tasks"] + 1


def test_web_form_lead_to_zoho(stack: Stack) -> None:
    before = stack.counts()
    stack.n8n.execute("TzWebFormLead001")
    stack.n8n.execute("TzWebFormLead001")  # a duplicate delivery of the same submission
    leads = [r for r in stack.records("Leads") if r.get("Email") == "yossi.levi@example.com"]
    assert len(leads) == 1
    assert leads[0]["Last_Name"] == "Levi" and "sales_inquiry" in leads[0]["Description"]
    after = stack.counts()
    assert after["Leads"] == before["Leads"] + 1 and after["Notes"] == before["Notes"] + 1


def test_conversation_to_zoho_note_and_one_task_per_action_item(stack: Stack) -> None:
    before = stack.counts()
    stack.n8n.execute("TzConversation01")
    leads = [r for r in stack.records("Leads") if r.get("Phone") == "+972501112233"]
    assert len(leads) == 1 and leads[0]["Last_Name"] == "אברהם"
    lead_id = str(leads[0]["id"])
    notes = [n for n in stack.records("Notes") if str(n["Parent_Id"]["id"]) == lead_id]
    assert len(notes) == 1 and "סיכום שיחה" in notes[0]["Note_Title"]
    tasks = [t for t in stack.records("Tasks") if str(t["What_Id"]["id"]) == lead_id]
    assert tasks and any("שמאי" in t["Subject"] for t in tasks)
    assert any(t.get("Due_Date") == "2026-11-18" for t in tasks), tasks  # "ביום רביעי" said on Thu 12.11
    stack.n8n.execute("TzConversation01")
    after = stack.counts()
    assert after["Tasks"] == before["Tasks"] + len(tasks) and after["Notes"] == before["Notes"] + 1


def test_contract_intake_to_zoho_deal(stack: Stack) -> None:
    before = stack.counts()
    stack.n8n.execute("TzContractIntake")
    deals = [d for d in stack.records("Deals") if d.get("Amount") == 7200]
    assert len(deals) == 1 and deals[0]["Deal_Name"].startswith("lease")
    notes = [n for n in stack.records("Notes") if str(n["Parent_Id"]["id"]) == str(deals[0]["id"])]
    assert len(notes) == 1
    content = notes[0]["Note_Content"]
    for expected in ("payment_amount", "7,200", "notice_period_days", "60 יום", "jurisdiction", "תל אביב",
                     "משה לוי", "123456782"):
        assert expected in content, content
    stack.n8n.execute("TzContractIntake")
    assert stack.counts()["Deals"] == before["Deals"] + 1


def test_production_webhooks(stack: Stack) -> None:
    """Published workflows behind `n8n start`: a form post, a chat export and a PDF upload."""
    for workflow_id in ("TzWebFormLead001", "TzConversation01", "TzContractIntake"):
        stack.n8n.cli("publish:workflow", f"--id={workflow_id}")
    stack.n8n.start()

    form = {"submission_id": "site-77", "name": "Noa Peretz", "email": "noa.peretz@example.org",
            "message": "Hi, do you do kitchen renovations in Haifa? I need a quote for next month"}
    first = stack.n8n.post_webhook("tzomet/web-form-lead", json=form)
    assert first.status_code == 200, first.text
    answer = first.json()
    assert answer["category"] == "sales_inquiry" and answer["zoho"]["status"] == "inserted"
    again = stack.n8n.post_webhook("tzomet/web-form-lead", json=form)  # the form plugin retried
    assert again.status_code == 200 and again.json()["zoho"]["record_id"] == answer["zoho"]["record_id"]
    assert len([r for r in stack.records("Leads") if r.get("Email") == "noa.peretz@example.org"]) == 1

    export = ("[12/11/2026, 18:02:11] Avi Cohen: Hi, I ordered a sofa (order 5531) two weeks ago\n"
              "[12/11/2026, 18:02:40] Avi Cohen: when will it be delivered?\n"
              "[12/11/2026, 18:20:05] Homey Furniture: Hi Avi, it will be delivered tomorrow between 8 and 12\n"
              "[12/11/2026, 18:21:00] Avi Cohen: great, my number is 054-321-9876\n")
    chat = stack.n8n.post_webhook("tzomet/conversation", json={"conversation_id": "chat-avi-5531",
                                                                "customer_name": "Avi Cohen", "transcript": export})
    assert chat.status_code == 200, chat.text
    assert chat.json()["zoho"]["status"] in {"inserted", "updated"}
    assert [r for r in stack.records("Leads") if r.get("Last_Name") == "Cohen" and r.get("First_Name") == "Avi"]

    upload = stack.n8n.post_webhook("tzomet/contract", files={"file": ("lease.pdf", PDF.read_bytes(),
                                                                       "application/pdf")})
    assert upload.status_code == 200, upload.text
    body = upload.json()
    assert body["contract_type"] == "lease" and body["zoho"]["status"] in {"inserted", "updated"}
    deal = [d for d in stack.records("Deals") if str(d["id"]) == str(body["zoho"]["record_id"])]
    assert deal and deal[0]["Deal_Name"].startswith("lease")
    assert json.dumps(body, ensure_ascii=False).count("payment_amount") == 1
