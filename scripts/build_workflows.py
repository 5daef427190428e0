"""Build the shipped n8n workflows (workflows/*.json) from one description.

The four workflows share conventions (the `Tzomet config` node, the `Tzomet API key`
credential, node-level retries, idempotency keys, a Manual Trigger wired to `Sample input`);
writing them from one script keeps those conventions in one place. Run it after changing a
workflow: `python scripts/build_workflows.py` (tests/test_workflows.py checks the files are
what this script writes). Node ids and webhook ids are derived from the names, so the output
is stable.
"""

from __future__ import annotations

import base64
import itertools
import json
import sys
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "workflows"
NS = uuid.UUID("6c1f3e0a-7d0b-4c55-9a8e-2f6d1b9a7c10")

CONFIG = "Tzomet config"
API_KEY_CREDENTIAL = {"httpHeaderAuth": {"id": "tzometApiKey0001", "name": "Tzomet API key"}}
MANUAL = "When clicking ‘Execute workflow’"
RETRY = {"retryOnFail": True, "maxTries": 3, "waitBetweenTries": 3000}
CFG = f"$('{CONFIG}').item.json"


def _id(*parts: str) -> str:
    return str(uuid.uuid5(NS, "/".join(parts)))


class Flow:
    """A workflow being built: nodes laid out left to right, connections by name."""

    # No tags: `n8n import:workflow` fails on a tag name that an earlier file already created.
    def __init__(self, wf_id: str, name: str) -> None:
        self.wf_id, self.name = wf_id, name
        self.nodes: list[dict[str, Any]] = []
        self.connections: dict[str, dict[str, list[list[dict[str, Any]]]]] = {}

    def node(self, name: str, type_: str, version: float, params: dict[str, Any], at: tuple[int, int],
             **extra: Any) -> str:
        node = {"parameters": params, "id": _id(self.wf_id, name), "name": name, "type": f"n8n-nodes-base.{type_}",
                "typeVersion": version, "position": [at[0] * 240, at[1] * 200], **extra}
        self.nodes.append(node)
        return name

    def link(self, src: str, dst: str, output: int = 0) -> None:
        outs = self.connections.setdefault(src, {"main": []})["main"]
        while len(outs) <= output:
            outs.append([])
        outs[output].append({"node": dst, "type": "main", "index": 0})

    def chain(self, *names: str) -> None:
        for a, b in itertools.pairwise(names):
            self.link(a, b)

    def workflow(self) -> dict[str, Any]:
        return {"id": self.wf_id, "name": self.name, "nodes": self.nodes, "connections": self.connections,
                "settings": {"executionOrder": "v1"}, "pinData": {}, "active": False}

    # --- node kinds used by every workflow ----------------------------------------------

    def manual_sample(self, sample: dict[str, Any], at: tuple[int, int]) -> str:
        """Manual Trigger -> `Sample input` (a Set node in raw JSON mode); returns the sample's name."""
        self.node(MANUAL, "manualTrigger", 1, {}, at)
        self.node("Sample input", "set", 3.4, {
            "mode": "raw", "jsonOutput": json.dumps(sample, ensure_ascii=False, indent=2), "options": {},
        }, (at[0] + 1, at[1]), notes="Test data: run the workflow with the Execute workflow button.")
        self.link(MANUAL, "Sample input")
        return "Sample input"

    def config(self, values: dict[str, str], at: tuple[int, int]) -> str:
        """The one node a user edits: the service's base URL and other per-client values."""
        assignments = [{"id": _id(self.wf_id, "config", k), "name": k, "value": v, "type": "string"}
                       for k, v in values.items()]
        return self.node(CONFIG, "set", 3.4, {
            "mode": "manual", "assignments": {"assignments": assignments}, "includeOtherFields": True, "options": {},
        }, at, notes="The only node to edit after import: where n8n reaches the Tzomet service.")

    def config_after(self, trigger: str, sample: str, values: dict[str, str], at: tuple[int, int]) -> None:
        """The config node, fed by the real trigger and by the end of the sample-input branch."""
        self.config(values, at)
        self.link(trigger, CONFIG)
        self.link(sample, CONFIG)

    def whatsapp_entry(self, sample: dict[str, Any]) -> None:
        """The WhatsApp Trigger and the sample-input branch into the config node, with the WhatsApp values."""
        self.node("WhatsApp Trigger", "whatsAppTrigger", 1, {"updates": ["messages"]}, (0, 0),
                  credentials={"whatsAppTriggerApi": {"id": "tzometWaTrigger1", "name": "WhatsApp OAuth account"}},
                  webhookId=_id(self.wf_id, "whatsapp-trigger"))
        self.config_after("WhatsApp Trigger", self.manual_sample(sample, (0, 1)), {
            "base_url": "http://localhost:8080", "owner_whatsapp": "", "whatsapp_phone_number_id": "",
            "whatsapp_api_url": "https://graph.facebook.com/v21.0"}, (2, 0))

    def whatsapp_send(self, name: str, body: str, at: tuple[int, int]) -> str:
        """An HTTP Request to the WhatsApp Cloud API's send-message endpoint (n8n's WhatsApp credential)."""
        return self.node(name, "httpRequest", 4.2, {
            "method": "POST",
            "url": f"={{{{ {CFG}.whatsapp_api_url }}}}/{{{{ {CFG}.whatsapp_phone_number_id }}}}/messages",
            "authentication": "predefinedCredentialType", "nodeCredentialType": "whatsAppApi",
            "sendBody": True, "specifyBody": "json", "jsonBody": body, "options": {"timeout": 30000},
        }, at, credentials={"whatsAppApi": {"id": "tzometWaApi00001", "name": "WhatsApp account"}}, **RETRY)

    def webhook_entry(self, name: str, path: str, sample: dict[str, Any], key: str) -> tuple[str, str]:
        """A webhook and the sample-input branch into the config node; the expressions of the
        request's body and of ``key`` (written over ``$json``) as the later nodes read them."""
        self.webhook(name, path, (0, 0))
        self.config_after(name, self.manual_sample(sample, (0, 1)), {"base_url": "http://localhost:8080"}, (2, 0))
        return f"{CFG}.body", key.replace("$json", CFG)

    def call(self, name: str, action: str, body: str, key: str, at: tuple[int, int]) -> str:
        """An HTTP Request to `POST {base_url}/v1/<action>` with the API key and an idempotency key."""
        return self.node(name, "httpRequest", 4.2, {
            "method": "POST",
            "url": f"={{{{ {CFG}.base_url }}}}/v1/{action}",
            "authentication": "genericCredentialType",
            "genericAuthType": "httpHeaderAuth",
            "sendHeaders": True,
            "headerParameters": {"parameters": [
                {"name": "Idempotency-Key", "value": f"={{{{ {key} }}}}"},
                {"name": "X-Request-ID", "value": f"={{{{ {key} + '-{action}' }}}}"},
            ]},
            "sendBody": True, "specifyBody": "json", "jsonBody": f"={{{{ {body} }}}}",
            "options": {"timeout": 60000},
        }, at, credentials=API_KEY_CREDENTIAL, **RETRY)

    def if_(self, name: str, left: str, operator: dict[str, Any], at: tuple[int, int], right: Any = "") -> str:
        condition = {"id": _id(self.wf_id, name, "condition"), "leftValue": f"={{{{ {left} }}}}",
                     "rightValue": right, "operator": operator}
        return self.node(name, "if", 2.2, {
            "conditions": {"options": {"caseSensitive": True, "leftValue": "", "typeValidation": "loose",
                                       "version": 2},
                           "conditions": [condition], "combinator": "and"},
            "options": {},
        }, at)

    def webhook(self, name: str, path: str, at: tuple[int, int], options: dict[str, Any] | None = None) -> str:
        return self.node(name, "webhook", 2.1, {
            "httpMethod": "POST", "path": path, "responseMode": "responseNode", "options": options or {},
        }, at, webhookId=_id(self.wf_id, "webhook", path))

    def respond(self, name: str, body: str, at: tuple[int, int]) -> str:
        return self.node(name, "respondToWebhook", 1.1, {
            "respondWith": "json", "responseBody": f"={{{{ {body} }}}}", "options": {},
        }, at)


IS_TRUE = {"type": "boolean", "operation": "true", "singleValue": True}
EQUALS = {"type": "string", "operation": "equals"}
NOT_EMPTY = {"type": "string", "operation": "notEmpty", "singleValue": True}


# --- 1. WhatsApp lead -> Zoho ------------------------------------------------------------

WA_SAMPLE = {
    "messaging_product": "whatsapp",
    "metadata": {"display_phone_number": "972533000000", "phone_number_id": "100000000000001"},
    "contacts": [{"profile": {"name": "דנה כהן"}, "wa_id": "972541234567"}],
    "messages": [{"from": "972541234567", "id": "wamid.HBgMOTcyNTQxMjM0NTY3FQIAEhggSAMPLE0001",
                  "timestamp": "1795766400", "type": "text",
                  "text": {"body": "שלום, עשיתי תאונה הבוקר והרכב לא נוסע. "
                                   "אני צריך לדבר עם נציג עכשיו, זה דחוף"}}],
    "field": "messages",
}


def whatsapp_lead() -> dict[str, Any]:
    f = Flow("TzWhatsAppLead01", "Tzomet · WhatsApp lead → Zoho CRM")
    f.whatsapp_entry(WA_SAMPLE)
    f.if_("Text message?", "$json.messages?.[0]?.type", EQUALS, (3, 0), right="text")
    msg = f"{CFG}.messages[0]"
    key = f"'wa-' + {msg}.id"
    f.call("Classify lead", "classify-lead",
           f"{{ text: {msg}.text.body, channel: 'whatsapp', "
           f"sender: {{ name: {CFG}.contacts?.[0]?.profile?.name ?? null, phone: '+' + {msg}.from }} }}",
           key, (4, 0))
    f.if_("Spam?", "$json.category", EQUALS, (5, 0), right="spam")
    f.node("Spam: stop here", "noOp", 1, {}, (6, -1))
    f.call("Update Zoho lead", "update-zoho",
           "{ module: 'Leads', "
           f"from: {{ classification: $json, contact: {{ name: {CFG}.contacts?.[0]?.profile?.name ?? null, "
           f"phone: '+' + {msg}.from, channel: 'whatsapp' }} }}, "
           f"note: {{ title: 'WhatsApp · ' + $json.category, content: {msg}.text.body }}, "
           "task: $json.handoff.required ? { subject: 'לחזור ללקוח: ' + $json.handoff.reasons.join(', '), "
           "priority: 'High', due_date: DateTime.fromSeconds(Number("
           f"{msg}.timestamp)).setZone('Asia/Jerusalem').toFormat('yyyy-MM-dd') }} : undefined }}",
           key, (6, 0))
    f.if_("Human needed and owner set?", f"$('Classify lead').item.json.handoff.required && "
          f"!!{CFG}.owner_whatsapp && !!{CFG}.whatsapp_phone_number_id", IS_TRUE, (7, 0))
    f.whatsapp_send("Notify owner on WhatsApp",
                    "={{ { messaging_product: 'whatsapp', to: " + f"{CFG}.owner_whatsapp, type: 'text', "
                    "text: { body: '🔔 ליד מחכה למענה אנושי (' + $('Classify lead').item.json.handoff.reasons"
                    ".join(', ') + ')\\n' + (" + f"{CFG}.contacts?.[0]?.profile?.name ?? '') + ' +' + {msg}.from"
                    " + '\\n«' + " + f"{msg}.text.body.slice(0, 300) + '»\\nZoho: ' + ($json.record_id ?? "
                    "$json.job_id ?? '') }, biz_opaque_callback_data: " + key + " } }}", (8, 0))
    f.chain(CONFIG, "Text message?", "Classify lead", "Spam?")
    f.link("Spam?", "Spam: stop here", 0)
    f.link("Spam?", "Update Zoho lead", 1)
    f.chain("Update Zoho lead", "Human needed and owner set?", "Notify owner on WhatsApp")
    return f.workflow()


# --- 2. Web form lead -> Zoho ------------------------------------------------------------

FORM_SAMPLE = {"body": {"submission_id": "form-2026-000123", "name": "Yossi Levi", "email": "yossi.levi@example.com",
                        "phone": "052-765-4321",
                        "message": "היי, אנחנו עוברים דירה בעוד חודש ומחפשים הצעת מחיר לביטוח דירה ותכולה. "
                                   "אפשר לחזור אליי אחרי 17:00?"}}
FORM_KEY = "'form-' + ($json.body.submission_id ?? $json.body.id ?? JSON.stringify($json.body).hash('sha256'))"


def web_form_lead() -> dict[str, Any]:
    f = Flow("TzWebFormLead001", "Tzomet · Web form lead → Zoho CRM")
    body, key = f.webhook_entry("Web form", "tzomet/web-form-lead", FORM_SAMPLE, FORM_KEY)
    f.call("Classify lead", "classify-lead",
           f"{{ text: {body}.message ?? {body}.text, channel: 'web_form', "
           f"sender: {{ name: {body}.name ?? null, phone: {body}.phone ?? null, email: {body}.email ?? null }} }}",
           key, (3, 0))
    f.if_("Spam?", "$json.category", EQUALS, (4, 0), right="spam")
    f.call("Update Zoho lead", "update-zoho",
           f"{{ module: 'Leads', from: {{ classification: $json, contact: {{ name: {body}.name ?? null, "
           f"phone: {body}.phone ?? null, email: {body}.email ?? null, company: {body}.company ?? null, "
           "channel: 'web_form' } }, "
           f"note: {{ title: 'טופס באתר · ' + $json.category, content: {body}.message ?? {body}.text }} }}",
           key, (5, 1))
    f.respond("Respond to Webhook",
              "{ ok: true, category: $('Classify lead').item.json.category, "
              "confidence: $('Classify lead').item.json.confidence, urgency: $('Classify lead').item.json.urgency, "
              "handoff: $('Classify lead').item.json.handoff, lead: $('Classify lead').item.json.lead, "
              "zoho: $json.status ? { status: $json.status, record_id: $json.record_id ?? null, "
              "job_id: $json.job_id ?? null } : null }", (6, 0))
    f.chain(CONFIG, "Classify lead", "Spam?")
    f.link("Spam?", "Respond to Webhook", 0)
    f.link("Spam?", "Update Zoho lead", 1)
    f.link("Update Zoho lead", "Respond to Webhook")
    return f.workflow()


# --- 3. Conversation -> Zoho -------------------------------------------------------------

CONVERSATION_SAMPLE = {"body": {
    "conversation_id": "wa-chat-972501112233-2026-11-12",
    "customer_name": "מיכל אברהם", "phone": "+972501112233",
    "transcript": (
        "12.11.2026, 09:14 - מיכל אברהם: בוקר טוב, הייתה לי נזילה מהמקלחת לדירה של השכנים\n"
        "12.11.2026, 09:15 - מיכל אברהם: יש לי ביטוח מבנה אצלכם, מה עושים?\n"
        "12.11.2026, 09:31 - סוכנות ביטוח שמש: בוקר טוב מיכל, פותחים תביעה. "
        "תשלחי בבקשה תמונות של הנזק ואת מספר הפוליסה\n"
        "12.11.2026, 09:40 - מיכל אברהם: <המדיה לא נכללה>\n"
        "12.11.2026, 09:41 - מיכל אברהם: מספר פוליסה 55-123456. מתי השמאי יכול להגיע?\n"
        "12.11.2026, 10:02 - סוכנות ביטוח שמש: השמאי יגיע ביום רביעי בין 10 ל-12. "
        "ההשתתפות העצמית היא 850 ש\"ח\n"
        "12.11.2026, 10:05 - מיכל אברהם: מעולה תודה רבה!\n"),
}}
CONVERSATION_KEY = ("'conv-' + ($json.body.conversation_id ?? "
                    "JSON.stringify($json.body.transcript ?? $json.body.messages).hash('sha256'))")


def conversation() -> dict[str, Any]:
    f = Flow("TzConversation01", "Tzomet · WhatsApp conversation → Zoho note and tasks")
    body, key = f.webhook_entry("Conversation", "tzomet/conversation", CONVERSATION_SAMPLE, CONVERSATION_KEY)
    f.call("Summarize conversation", "summarize-conversation",
           f"Object.assign({body}.transcript ? {{ transcript: {body}.transcript }} : "
           f"{{ messages: {body}.messages }}, {body}.customer_name ? {{ customer_name: {body}.customer_name }} : {{}})",
           key, (3, 0))
    f.call("Update Zoho: note and tasks", "update-zoho",
           f"{{ module: 'Leads', from: {{ summary: $json, contact: {{ name: {body}.customer_name ?? null, "
           f"phone: {body}.phone ?? null, email: {body}.email ?? null, channel: 'whatsapp' }} }}, "
           "note: { title: 'סיכום שיחה · ' + $json.category, content: [$json.summary]"
           ".concat($json.customer_requests.length ? ['', 'בקשות הלקוח:'].concat($json.customer_requests"
           ".map(r => '- ' + r)) : [])"
           ".concat($json.open_questions.length ? ['', 'שאלות פתוחות:'].concat($json.open_questions"
           ".map(q => '- ' + q)) : []).join('\\n') }, "
           "tasks: $json.action_items.slice(0, 20).map(a => ({ subject: ((a.owner === 'customer' ? 'הלקוח: ' : '')"
           " + a.text).slice(0, 255), due_date: a.due ?? null, priority: 'Normal' })) }",
           key, (4, 0))
    f.respond("Respond to Webhook",
              "{ ok: true, summary: $('Summarize conversation').item.json.summary, "
              "category: $('Summarize conversation').item.json.category, "
              "action_items: $('Summarize conversation').item.json.action_items, "
              "zoho: { status: $json.status, record_id: $json.record_id ?? null, task_ids: $json.task_ids ?? [], "
              "job_id: $json.job_id ?? null } }", (5, 0))
    f.chain(CONFIG, "Summarize conversation", "Update Zoho: note and tasks", "Respond to Webhook")
    return f.workflow()


# --- 4. Contract intake -> Zoho ----------------------------------------------------------

CONTRACT_TEXT = (
    "הסכם שכירות\n"
    "שנערך ונחתם בתל אביב ביום 3.11.2026\n"
    "בין: משה לוי, ת.ז. 123456782 (להלן: \"המשכיר\")\n"
    "לבין: רונית בן דוד, ת.ז. 000000018 (להלן: \"השוכר\")\n"
    "1. תקופת השכירות היא 24 חודשים, החל מיום 1.12.2026 ועד ליום 30.11.2028.\n"
    "2. דמי השכירות יהיו 7,200 ש\"ח לחודש, שישולמו עד ה-5 בכל חודש.\n"
    "3. להבטחת התחייבויותיו ימסור השוכר ערבות בנקאית בסך 14,400 ש\"ח.\n"
    "4. כל צד רשאי להביא את ההסכם לסיומו בהודעה מוקדמת של 60 יום.\n"
    "5. סמכות השיפוט הבלעדית נתונה לבתי המשפט בתל אביב-יפו.\n"
)
CONTRACT_SAMPLE = {"file_name": "lease-levi-ben-david.txt", "mime_type": "text/plain",
                   "file_base64": base64.b64encode(CONTRACT_TEXT.encode("utf-8")).decode("ascii")}
FIELD_LINES = (
    "Object.entries($json.fields).map(([name, f]) => f ? name + ': ' + "
    "(typeof f.value === 'object' ? JSON.stringify(f.value) : String(f.value)) + ' ← «' + f.text + '»' "
    ": name + ': לא נמצא')"
)


def contract_intake() -> dict[str, Any]:
    f = Flow("TzContractIntake", "Tzomet · Contract intake → Zoho deal")
    # The file arrives as binary: named after its form field for a multipart upload ("file"),
    # "data" for a raw body (Content-Type: application/pdf); the HTTP Request sends whichever came.
    f.webhook("Contract upload", "tzomet/contract", (0, 0))
    sample = f.manual_sample(CONTRACT_SAMPLE, (0, 1))
    f.node("Sample file", "convertToFile", 1.1, {
        "operation": "toBinary", "sourceProperty": "file_base64", "binaryPropertyName": "data",
        "options": {"fileName": "={{ $json.file_name }}", "mimeType": "={{ $json.mime_type }}"},
    }, (2, 1))
    f.link(sample, "Sample file")
    f.config_after("Contract upload", "Sample file", {"base_url": "http://localhost:8080"}, (3, 0))
    upload_key = ("'contract-upload-' + ($('Tzomet config').item.json.headers?.['idempotency-key'] ?? "
                  "$execution.id)")
    f.node("Extract contract fields", "httpRequest", 4.2, {
        "method": "POST",
        "url": f"={{{{ {CFG}.base_url }}}}/v1/extract-contract-fields",
        "authentication": "genericCredentialType", "genericAuthType": "httpHeaderAuth",
        "sendHeaders": True,
        "headerParameters": {"parameters": [
            {"name": "X-Request-ID", "value": f"={{{{ {upload_key} }}}}"},
            {"name": "Idempotency-Key", "value": f"={{{{ {upload_key} }}}}"},
        ]},
        "sendBody": True, "contentType": "binaryData",
        "inputDataFieldName": "={{ Object.keys($binary ?? {})[0] ?? 'data' }}",
        "options": {"timeout": 120000},
    }, (4, 0), credentials=API_KEY_CREDENTIAL, **RETRY)
    f.call("Update Zoho deal", "update-zoho",
           "{ module: 'Deals', from: { contract: $json }, "
           "note: { title: 'חוזה · ' + $json.contract_type + ' · ' + $json.document_sha256.slice(0, 12), "
           "content: ['סוג: ' + $json.contract_type, 'צדדים: ' + $json.parties.map(p => p.name + "
           "(p.role ? ' (' + p.role + ')' : '') + (p.id_number ? ' ' + p.id_number : '')).join('; ')]"
           f".concat({FIELD_LINES}).concat($json.warnings.length ? ['', 'אזהרות:'].concat($json.warnings) : [])"
           ".join('\\n') } }",
           "'contract-' + $json.document_sha256", (5, 0))
    f.respond("Respond to Webhook",
              "{ ok: true, contract_type: $('Extract contract fields').item.json.contract_type, "
              "parties: $('Extract contract fields').item.json.parties, "
              "fields: $('Extract contract fields').item.json.fields, "
              "zoho: { status: $json.status, record_id: $json.record_id ?? null, note_id: $json.note_id ?? null, "
              "job_id: $json.job_id ?? null } }", (6, 0))
    f.chain(CONFIG, "Extract contract fields", "Update Zoho deal", "Respond to Webhook")
    return f.workflow()


# --- 5. A person's correction in the CRM -> feedback ---------------------------------------

FIX_SAMPLE = {"body": {"submission_id": "fix-2026-000045", "category": "billing",
                       "text": "שלום, קיבלתי חשבונית כפולה על אותו חודש, אפשר לבדוק?"}}
FIX_KEY = ("'fix-' + ($json.body.tzomet_request_id ?? $json.body.submission_id ?? "
           "JSON.stringify($json.body).hash('sha256'))")


def crm_correction() -> dict[str, Any]:
    """A person re-tags a lead in the CRM; its workflow rule (Zoho: a webhook action) posts the
    request id classify-lead answered with (kept in a custom field) and the right category; the
    correction goes to POST /v1/feedback. The sample classifies a message first, then corrects it."""
    f = Flow("TzCrmFeedback01", "Tzomet · CRM correction → feedback")
    body, key = f.webhook_entry("CRM workflow rule", "tzomet/crm-feedback", FIX_SAMPLE, FIX_KEY)
    f.if_("From the CRM?", f"{body}.tzomet_request_id ?? ''", NOT_EMPTY, (3, 0))
    f.call("Classify the sample", "classify-lead", f"{{ text: {body}.text, channel: 'other' }}", key, (4, 1))
    handoff = (f"...({body}.handoff === undefined ? {{}} : "
               f"{{ handoff: [true, 'true', 'yes', 'כן', 1, '1'].includes({body}.handoff) }})")
    f.call("Send correction", "feedback",
           f"{{ request_id: {body}.tzomet_request_id ?? $json.meta?.request_id, "
           f"correct: {{ category: {body}.category, {handoff} }} }}", key, (5, 0))
    f.respond("Respond to Webhook",
              "{ ok: true, request_id: $json.request_id, decided: $json.decided.category, correct: $json.correct }",
              (6, 0))
    f.chain(CONFIG, "From the CRM?")
    f.link("From the CRM?", "Send correction", 0)
    f.link("From the CRM?", "Classify the sample", 1)
    f.chain("Classify the sample", "Send correction", "Respond to Webhook")
    return f.workflow()


# --- 6. WhatsApp question -> answer from the business's documents, or the owner ------------------

QUESTION_SAMPLE = {
    "messaging_product": "whatsapp",
    "metadata": {"display_phone_number": "972533000000", "phone_number_id": "100000000000001"},
    "contacts": [{"profile": {"name": "מיכל"}, "wa_id": "972547654321"}],
    "messages": [
        {"from": "972547654321", "id": "wamid.HBgMOTcyNTQ3NjU0MzIxFQIAEhggQUESTION0001", "timestamp": "1795770000",
         "type": "text", "text": {"body": "היי, כמה עולה ניקוי אבנית אצלכם?"}},
        {"from": "972547654321", "id": "wamid.HBgMOTcyNTQ3NjU0MzIxFQIAEhggQUESTION0002", "timestamp": "1795770030",
         "type": "text", "text": {"body": "ויש לכם חניה לאופנועים ליד הסניף?"}},
    ],
    "field": "messages",
}


def whatsapp_question() -> dict[str, Any]:
    """A customer's WhatsApp question answered from the tenant's knowledge base (POST /v1/knowledge) and
    the answer sent back on WhatsApp; a question the documents do not answer goes to the owner instead."""
    f = Flow("TzWhatsAppAnswer", "Tzomet · WhatsApp question → answer from your documents")
    f.whatsapp_entry(QUESTION_SAMPLE)
    f.node("One item per message", "splitOut", 1, {
        "fieldToSplitOut": "messages", "include": "allOtherFields",
        "options": {"destinationFieldName": "message"}}, (3, 0),
        notes="WhatsApp may deliver several messages in one webhook: each is answered on its own.")
    f.if_("Text message?", "$json.message?.type", EQUALS, (4, 0), right="text")
    msg = "$('One item per message').item.json.message"
    key = f"'wa-' + {msg}.id"
    f.call("Answer question", "answer-question", f"{{ question: {msg}.text.body }}", key, (5, 0))
    f.if_("Answered?", "$json.answered", IS_TRUE, (6, 0))
    f.whatsapp_send("Reply to the customer",
                    "={{ { messaging_product: 'whatsapp', to: " + f"{msg}.from, type: 'text', "
                    "context: { message_id: " + f"{msg}.id }}, text: {{ body: $json.answer }}, "
                    f"biz_opaque_callback_data: {key} }} }}}}", (7, -1))
    f.if_("Owner set?", f"!!{CFG}.owner_whatsapp && !!{CFG}.whatsapp_phone_number_id", IS_TRUE, (7, 1))
    f.whatsapp_send("Ask the owner",
                    "={{ { messaging_product: 'whatsapp', to: " + f"{CFG}.owner_whatsapp, type: 'text', "
                    "text: { body: '❓ שאלה שהמסמכים לא עונים עליה, מחכה לתשובה שלך\\n' + ("
                    f"{CFG}.contacts?.[0]?.profile?.name ?? '') + ' +' + {msg}.from + '\\n«' + "
                    f"{msg}.text.body.slice(0, 300) + '»' }}, biz_opaque_callback_data: {key} }} }}}}", (8, 1))
    f.chain(CONFIG, "One item per message", "Text message?", "Answer question", "Answered?")
    f.link("Answered?", "Reply to the customer", 0)
    f.link("Answered?", "Owner set?", 1)
    f.link("Owner set?", "Ask the owner", 0)
    return f.workflow()


BUILDERS = {
    "whatsapp-lead-to-zoho.json": whatsapp_lead,
    "web-form-lead-to-zoho.json": web_form_lead,
    "conversation-to-zoho.json": conversation,
    "contract-intake-to-zoho.json": contract_intake,
    "crm-correction-to-feedback.json": crm_correction,
    "whatsapp-question-to-answer.json": whatsapp_question,
}


def render() -> dict[str, str]:
    """File name -> the JSON text this script writes."""
    return {name: json.dumps(build(), ensure_ascii=False, indent=2) + "\n" for name, build in BUILDERS.items()}


def main() -> int:
    OUT.mkdir(exist_ok=True)
    for name, text in render().items():
        (OUT / name).write_text(text, encoding="utf-8")
        print(OUT / name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
