"""The shipped workflows in a real n8n 2.41.1, end to end.

One n8n (its own user folder and SQLite database) imports the rendered workflows and the
credentials, then:

- runs every workflow (Manual Trigger -> Sample input) against the running Tzomet service,
  the Zoho emulator and a WhatsApp Cloud API double, all of them in one ``n8n
  execute-batch`` and then all of them again, and checks what the emulator and the double
  received after the first run — and that the second run wrote nothing twice;
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
import requests

from nodes.core.workflows import render_all, shipped, swap_crm
from nodes.update_zoho.writer import shutdown_runtimes
from tests.conftest import _Servers
from tests.hubspot_emulator import HubSpotEmulator
from tests.monday_emulator import BOARD, MondayEmulator
from tests.n8n_harness import N8n, require_n8n
from tests.whatsapp_double import WhatsAppDouble
from tests.zoho_emulator import EmulatorServer

ROOT = Path(__file__).resolve().parent.parent
API_KEY = "tzk_n8n_workflow_tests_0123456789"
OWNER = "972509998877"
PHONE_NUMBER_ID = "100000000000001"
PDF = ROOT / "nodes" / "extract_contract_fields" / "data" / "eval" / "files" / "he01_lease_residential.pdf"

#: the knowledge base the question workflow answers from
PRICE_LIST = """# מחירון המרפאה

| טיפול | מחיר |
|---|---|
| ניקוי אבנית | 290 ₪ |
| הלבנה במרפאה | 1,400 ₪ |

## שעות פתיחה

ימים א'-ה' 08:00 עד 19:00. יום ו' 08:00 עד 13:00.
"""

# one n8n for the whole module: make test sends a module to one xdist worker (--dist loadscope)
pytestmark = pytest.mark.timeout(900)


@dataclass
class Stack:
    n8n: N8n
    zoho: EmulatorServer
    whatsapp: WhatsAppDouble
    service: str
    hubspot: HubSpotEmulator
    monday: MondayEmulator

    def records(self, module: str) -> list[dict[str, Any]]:
        return self.zoho.records(module)

    def counts(self) -> dict[str, int]:
        return {m: len(self.records(m)) for m in ("Leads", "Deals", "Notes", "Tasks")}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    launcher = require_n8n()
    base = tmp_path_factory.mktemp("n8n-stack")
    with EmulatorServer() as zoho, WhatsAppDouble() as whatsapp, HubSpotEmulator() as hubspot, \
            MondayEmulator() as monday:
        servers = _Servers(base / "tzomet-data")
        service = servers(env={"TZOMET_API_KEYS": API_KEY}, zoho_client_id="client", zoho_client_secret="secret",
                          zoho_refresh_token="refresh", zoho_api_url=zoho.url, zoho_accounts_url=zoho.token_url,
                          hubspot_token=hubspot.state.token, hubspot_api_url=hubspot.url,
                          monday_token=monday.state.token, monday_api_url=monday.api_url, monday_board_id=BOARD,
                          embedder="off")
        added = requests.post(f"{service}/v1/knowledge", headers={"X-API-Key": API_KEY}, timeout=60,
                              json={"document": "מחירון.md", "text": PRICE_LIST})
        assert added.status_code == 200, added.text
        rendered = base / "workflows"
        values = {"whatsapp_api_url": f"{whatsapp.url}/v21.0", "owner_whatsapp": OWNER,
                  "whatsapp_phone_number_id": PHONE_NUMBER_ID}
        render_all(rendered, service, values=values)
        render_all(rendered, service, values=values, crm="hubspot")  # the same workflows writing to HubSpot
        render_all(rendered, service, values=values, crm="monday")  # and to Monday
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
            yield Stack(n8n, zoho, whatsapp, service, hubspot, monday)
        finally:
            n8n.stop()
            servers.stop_all()
            shutdown_runtimes()


@dataclass
class Runs:
    """What two runs of every workflow left: n8n's results and the CRM after each run."""

    first: dict[str, dict[str, Any]]
    second: dict[str, dict[str, Any]]
    after_first: dict[str, list[dict[str, Any]]]
    after_second: dict[str, list[dict[str, Any]]]
    sent_first: list[dict[str, Any]]
    hubspot: dict[str, list[dict[str, Any]]]
    hubspot_ids: set[str]
    monday_items: list[dict[str, Any]]
    monday_updates: list[dict[str, Any]]
    monday_ids: set[str]

    def records(self, module: str) -> list[dict[str, Any]]:
        """The records after both runs."""
        return self.after_second[module]

    def succeeded(self, workflow_id: str) -> None:
        for run in (self.first, self.second):
            result = run[workflow_id]
            assert result["executionStatus"] == "success", result


MODULES = ("Leads", "Deals", "Notes", "Tasks")


@pytest.fixture(scope="module")
def runs(stack: Stack) -> Runs:
    """Every workflow run twice (one n8n process per run), the second a repeated delivery."""
    first = stack.n8n.execute_all()
    after_first = {m: stack.records(m) for m in MODULES}
    sent_first = list(stack.whatsapp.sent)
    second = stack.n8n.execute_all()
    after_second = {m: stack.records(m) for m in MODULES}
    zoho_ids = {"TzWhatsAppLead01", "TzWebFormLead001", "TzConversation01", "TzContractIntake"}
    hubspot_ids = {swap_crm(wf, "hubspot")["id"] for wf in shipped().values() if wf["id"] in zoho_ids}
    monday_ids = {swap_crm(wf, "monday")["id"] for wf in shipped().values() if wf["id"] in zoho_ids}
    assert set(first) == set(second) == \
        zoho_ids | hubspot_ids | monday_ids | {"TzCrmFeedback01", "TzWhatsAppAnswer"}
    hubspot = {kind: stack.hubspot.records(kind) for kind in ("contacts", "deals", "notes", "tasks")}
    return Runs(first, second, after_first, after_second, sent_first, hubspot, hubspot_ids,
                stack.monday.items(), list(stack.monday.state.updates), monday_ids)


def _of(records: list[dict[str, Any]], field: str, record_id: object) -> list[dict[str, Any]]:
    return [r for r in records if str(r[field]["id"]) == str(record_id)]


def test_whatsapp_lead_to_zoho(runs: Runs) -> None:
    runs.succeeded("TzWhatsAppLead01")
    leads = [r for r in runs.records("Leads") if r.get("Phone") == "+972541234567"]
    assert len(leads) == 1, runs.records("Leads")  # delivered twice, one lead
    lead = leads[0]
    assert lead["First_Name"] == "דנה" and lead["Last_Name"] == "כהן"
    assert "support" in lead["Description"] and "human_request" in lead["Description"]
    note = _of(runs.records("Notes"), "Parent_Id", lead["id"])
    assert len(note) == 1 and "עשיתי תאונה הבוקר" in note[0]["Note_Content"]
    task = _of(runs.records("Tasks"), "What_Id", lead["id"])
    assert len(task) == 1 and task[0]["Priority"] == "High" and "human_request" in task[0]["Subject"]
    # the owner was told on WhatsApp, through the Graph API's wire format
    sent = [m for m in runs.sent_first if "+972541234567" in m.get("text", {}).get("body", "")
            and "Zoho: " in m["text"]["body"]]
    assert len(sent) == 1 and sent[0]["to"] == OWNER and sent[0]["phone_number_id"] == PHONE_NUMBER_ID
    assert sent[0]["messaging_product"] == "whatsapp"


def test_whatsapp_question_is_answered_or_goes_to_the_owner(runs: Runs) -> None:
    runs.succeeded("TzWhatsAppAnswer")
    customer = "972547654321"
    replies = [m for m in runs.sent_first if m.get("to") == customer]
    assert len(replies) == 1, runs.sent_first  # the first question, answered from the price list
    assert "290" in replies[0]["text"]["body"] and replies[0]["phone_number_id"] == PHONE_NUMBER_ID
    assert replies[0]["context"]["message_id"].endswith("QUESTION0001")
    asked = [m for m in runs.sent_first if m.get("to") == OWNER and "לאופנועים" in m["text"]["body"]]
    assert len(asked) == 1 and "+" + customer in asked[0]["text"]["body"]  # the second: a person answers


def test_the_same_workflows_write_to_hubspot_once(runs: Runs) -> None:
    """`tzomet workflows render --crm hubspot`: the same four workflows, run twice, each record once."""
    for workflow_id in runs.hubspot_ids:
        runs.succeeded(workflow_id)
    contacts = {c["properties"][k]: c for c in runs.hubspot["contacts"] for k in ("phone", "email")
                if c["properties"].get(k)}
    assert set(contacts) >= {"+972541234567", "yossi.levi@example.com", "+972501112233"}
    assert len(runs.hubspot["contacts"]) == 3  # delivered twice each, written once
    dana = contacts["+972541234567"]["properties"]
    assert dana["firstname"] == "דנה" and dana["lastname"] == "כהן" and "human_request" in dana["message"]
    (deal,) = runs.hubspot["deals"]
    assert deal["properties"]["amount"] == "7200" and deal["properties"]["dealname"].startswith("lease")
    assert len(runs.hubspot["notes"]) == 4  # one per workflow, none twice
    assert any("שמאי" in t["properties"]["hs_task_subject"] for t in runs.hubspot["tasks"])
    told = [m for m in runs.sent_first if "HubSpot: " + contacts["+972541234567"]["id"] in m["text"]["body"]]
    assert len(told) == 1 and told[0]["to"] == OWNER  # the owner's notice names the HubSpot record


def test_the_same_workflows_write_to_monday_once(runs: Runs) -> None:
    """`tzomet workflows render --crm monday`: the same four workflows, run twice, each item once."""
    for workflow_id in runs.monday_ids:
        runs.succeeded(workflow_id)
    assert len(runs.monday_items) == 4, [i["name"] for i in runs.monday_items]  # delivered twice, written once
    names = {i["name"] for i in runs.monday_items}
    assert "דנה כהן" in names and any(n.startswith("lease") for n in names)
    phones = {i["column_values"].get("phone", {}).get("phone") for i in runs.monday_items}
    assert "+972541234567" in phones
    assert len(runs.monday_updates) == 4  # the notes, each once
    assert any("☐" in u["body"] and "שמאי" in u["body"] for u in runs.monday_updates)  # tasks listed


def test_web_form_lead_to_zoho(runs: Runs) -> None:
    runs.succeeded("TzWebFormLead001")
    leads = [r for r in runs.records("Leads") if r.get("Email") == "yossi.levi@example.com"]
    assert len(leads) == 1  # the same submission delivered twice
    assert leads[0]["Last_Name"] == "Levi" and "sales_inquiry" in leads[0]["Description"]
    assert len(_of(runs.records("Notes"), "Parent_Id", leads[0]["id"])) == 1


def test_conversation_to_zoho_note_and_one_task_per_action_item(runs: Runs) -> None:
    runs.succeeded("TzConversation01")
    leads = [r for r in runs.records("Leads") if r.get("Phone") == "+972501112233"]
    assert len(leads) == 1 and leads[0]["Last_Name"] == "אברהם"
    notes = _of(runs.records("Notes"), "Parent_Id", leads[0]["id"])
    assert len(notes) == 1 and "סיכום שיחה" in notes[0]["Note_Title"]
    tasks = _of(runs.records("Tasks"), "What_Id", leads[0]["id"])
    assert tasks and any("שמאי" in t["Subject"] for t in tasks)
    assert any(t.get("Due_Date") == "2026-11-18" for t in tasks), tasks  # "ביום רביעי" said on Thu 12.11
    assert tasks == _of(runs.after_first["Tasks"], "What_Id", leads[0]["id"])  # none added by the second run


def test_contract_intake_to_zoho_deal(runs: Runs) -> None:
    runs.succeeded("TzContractIntake")
    deals = [d for d in runs.records("Deals") if d.get("Amount") == 7200]
    assert len(deals) == 1 and deals[0]["Deal_Name"].startswith("lease")
    notes = _of(runs.records("Notes"), "Parent_Id", deals[0]["id"])
    assert len(notes) == 1
    content = notes[0]["Note_Content"]
    for expected in ("payment_amount", "7,200", "notice_period_days", "60 יום", "jurisdiction", "תל אביב",
                     "משה לוי", "123456782"):
        assert expected in content, content


def test_running_every_workflow_again_writes_nothing_twice(runs: Runs) -> None:
    assert {m: len(r) for m, r in runs.after_second.items()} == {m: len(r) for m, r in runs.after_first.items()}
    assert all(runs.after_first[m] for m in MODULES)  # each module was written by the first run


def test_crm_correction_reaches_feedback(stack: Stack, runs: Runs) -> None:
    runs.succeeded("TzCrmFeedback01")
    report = requests.get(f"{stack.service}/v1/report", headers={"X-API-Key": API_KEY}, timeout=30).json()
    corrected = [m for m in report["worst_mistakes"] if m["request_id"] == "fix-fix-2026-000045-classify-lead"]
    assert report["corrected"] >= 1 and (corrected == [] or corrected[0]["correct"] == "billing")


def test_production_webhooks(stack: Stack, runs: Runs) -> None:
    """Published workflows behind `n8n start`: a form post, a chat export and a PDF upload.

    Takes ``runs`` so that the manual runs are over before ``n8n start`` opens the database.
    """
    stack.n8n.publish("TzWebFormLead001", "TzConversation01", "TzContractIntake", "TzCrmFeedback01")
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

    # a person re-tags that lead in the CRM: its workflow rule posts the request id the lead was classified under
    fix = stack.n8n.post_webhook("tzomet/crm-feedback", json={"tzomet_request_id": "form-site-77-classify-lead",
                                                              "category": "support", "handoff": "yes"})
    assert fix.status_code == 200, fix.text
    assert fix.json()["decided"] == "sales_inquiry" and fix.json()["correct"] == {"category": "support",
                                                                                  "handoff": True}

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
