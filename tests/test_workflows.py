"""The shipped n8n workflows: their structure, and `tzomet workflows render`.

Running them in a real n8n is tests/test_workflows_n8n.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from nodes.cli import main as cli
from nodes.core.workflows import CONFIG_NODE, CREDENTIAL_NAME, config_values, render, shipped

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((Path(__file__).parent / "n8n_workflow.schema.json").read_text(encoding="utf-8"))
WORKFLOWS = shipped(ROOT / "workflows")
EXPECTED = {"whatsapp-lead-to-zoho.json", "web-form-lead-to-zoho.json", "conversation-to-zoho.json",
            "contract-intake-to-zoho.json", "crm-correction-to-feedback.json", "whatsapp-question-to-answer.json"}
TRIGGERS = {"n8n-nodes-base.webhook", "n8n-nodes-base.whatsAppTrigger", "n8n-nodes-base.manualTrigger"}
URL = re.compile(r"https?://", re.I)


def strings(value: Any) -> list[str]:
    """Every string inside a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def by_name(workflow: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["name"]: n for n in workflow["nodes"]}


def successors(workflow: dict[str, Any], name: str, output: int | None = None) -> list[str]:
    outs = workflow["connections"].get(name, {}).get("main", [])
    picked = outs if output is None else outs[output:output + 1]
    return [c["node"] for branch in picked for c in branch]


def service_calls(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in workflow["nodes"] if n["type"] == "n8n-nodes-base.httpRequest"
            and "base_url" in n["parameters"]["url"]]


def test_the_six_workflows_are_shipped() -> None:
    assert set(WORKFLOWS) == EXPECTED


def test_files_are_what_the_build_script_writes() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import build_workflows
    finally:
        sys.path.pop(0)
    for name, text in build_workflows.render().items():
        assert (ROOT / "workflows" / name).read_text(encoding="utf-8") == text, \
            f"{name} differs from scripts/build_workflows.py: run `python scripts/build_workflows.py`"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_matches_the_n8n_workflow_schema(name: str) -> None:
    jsonschema.Draft202012Validator(SCHEMA).validate(WORKFLOWS[name])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_graph_is_consistent(name: str) -> None:
    wf = WORKFLOWS[name]
    names = [n["name"] for n in wf["nodes"]]
    assert len(names) == len(set(names)), "node names must be unique"
    assert len({n["id"] for n in wf["nodes"]}) == len(names), "node ids must be unique"
    for src, outs in wf["connections"].items():
        assert src in names, f"connection from a node that does not exist: {src}"
        for target in (c["node"] for branch in outs["main"] for c in branch):
            assert target in names, f"{src} points at a node that does not exist: {target}"
    reached = {t for src in wf["connections"] for t in successors(wf, src)}
    for node in wf["nodes"]:
        if node["type"] not in TRIGGERS:
            assert node["name"] in reached, f"{node['name']} is never reached"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_follows_the_workflow_conventions(name: str) -> None:
    wf = WORKFLOWS[name]
    nodes = by_name(wf)
    config = nodes[CONFIG_NODE]
    assert config["type"] == "n8n-nodes-base.set" and config_values(wf)["base_url"] == "http://localhost:8080"
    # The real trigger's first successor is the config node; the manual trigger feeds `Sample input`.
    real = [n for n in wf["nodes"] if n["type"] in TRIGGERS - {"n8n-nodes-base.manualTrigger"}]
    assert len(real) == 1 and successors(wf, real[0]["name"]) == [CONFIG_NODE]
    manual = [n for n in wf["nodes"] if n["type"] == "n8n-nodes-base.manualTrigger"]
    assert len(manual) == 1 and successors(wf, manual[0]["name"]) == ["Sample input"]
    assert nodes["Sample input"]["type"] == "n8n-nodes-base.set"
    # Every call to the service: base_url from the config node, the API key credential, node-level
    # retries and an idempotency key.
    calls = service_calls(wf)
    assert calls
    for node in calls:
        assert node["parameters"]["url"].startswith(f"={{{{ $('{CONFIG_NODE}').item.json.base_url }}}}/v1/")
        assert node["credentials"] == {"httpHeaderAuth": {"id": "tzometApiKey0001", "name": CREDENTIAL_NAME}}
        assert node["parameters"]["authentication"] == "genericCredentialType"
        assert node["retryOnFail"] is True and 2 <= node["maxTries"] <= 5 and node["waitBetweenTries"] <= 5000
        headers = {h["name"]: h["value"] for h in node["parameters"]["headerParameters"]["parameters"]}
        assert headers.get("Idempotency-Key", "").startswith("={{"), f"{node['name']} sends no idempotency key"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_no_secret_and_no_url_outside_the_config_node(name: str) -> None:
    wf = WORKFLOWS[name]
    for node in wf["nodes"]:
        texts = strings(node["parameters"])
        if node["name"] != CONFIG_NODE:
            assert not [t for t in texts if URL.search(t)], f"{node['name']} holds a URL; put it in {CONFIG_NODE}"
        for text in texts:
            assert not re.search(r"(?i)bearer\s+[a-z0-9]|tzk_[A-Za-z0-9]{8}|api[_-]?key\s*[:=]", text), \
                f"{node['name']} looks like it holds a secret"
        headers = node["parameters"].get("headerParameters", {}).get("parameters", [])
        assert not [h for h in headers if h["name"].lower() in {"authorization", "x-api-key"}], \
            "authentication belongs in a credential"
    for node in wf["nodes"]:
        for ref in node.get("credentials", {}).values():
            assert set(ref) == {"id", "name"}


def test_idempotency_keys_come_from_the_trigger() -> None:
    """The write's key is derived from the message / submission / conversation / document, not random."""
    keys = {name: [h["value"] for n in service_calls(wf) if "update-zoho" in n["parameters"]["url"]
                   for h in n["parameters"]["headerParameters"]["parameters"] if h["name"] == "Idempotency-Key"]
            for name, wf in WORKFLOWS.items()}
    assert "messages[0].id" in keys["whatsapp-lead-to-zoho.json"][0]
    assert "submission_id" in keys["web-form-lead-to-zoho.json"][0]
    assert "conversation_id" in keys["conversation-to-zoho.json"][0]
    assert "document_sha256" in keys["contract-intake-to-zoho.json"][0]
    for values in keys.values():
        assert not any(re.search(r"\$now|Math\.random|\$execution", v) for v in values)


# --- tzomet workflows render -------------------------------------------------------------

def test_render_fills_the_config_node(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["workflows", "render", "--base-url", "https://tzomet.example.co.il/",
                                      "--out", str(tmp_path), "--set", "owner_whatsapp=972501234567"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(EXPECTED)
    for path in tmp_path.iterdir():
        rendered = json.loads(path.read_text(encoding="utf-8"))
        values = config_values(rendered)
        assert values["base_url"] == "https://tzomet.example.co.il"
        original = WORKFLOWS[path.name]
        assert rendered["id"] == original["id"] and rendered["name"] == original["name"]
        jsonschema.Draft202012Validator(SCHEMA).validate(rendered)
    assert config_values(json.loads((tmp_path / "whatsapp-lead-to-zoho.json").read_text()))["owner_whatsapp"] == \
        "972501234567"


def test_render_per_tenant_gives_unique_ids_and_webhook_paths(tmp_path: Path) -> None:
    a = {k: render(wf, "http://tzomet:8080", tenant="Cohen Law") for k, wf in WORKFLOWS.items()}
    b = {k: render(wf, "http://tzomet:8080", tenant="Shemesh Insurance") for k, wf in WORKFLOWS.items()}
    ids = [wf["id"] for wf in (*a.values(), *b.values(), *WORKFLOWS.values())]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[A-Za-z0-9]{1,21}", i) for i in ids)
    form = by_name(a["web-form-lead-to-zoho.json"])["Web form"]
    assert form["parameters"]["path"] == "cohen-law/tzomet/web-form-lead"
    assert form["webhookId"] != by_name(b["web-form-lead-to-zoho.json"])["Web form"]["webhookId"]
    assert a["conversation-to-zoho.json"]["name"].endswith("(Cohen Law)")
    assert render(WORKFLOWS["conversation-to-zoho.json"], "http://tzomet:8080", tenant="Cohen Law") == \
        a["conversation-to-zoho.json"], "rendering is deterministic"


@pytest.mark.parametrize(("args", "message"), [
    (["--base-url", "ftp://host"], "http:// or https://"),
    (["--base-url", "https://user:secret@host"], "must not carry a user or password"),
    (["--base-url", "http://host", "--set", "owner_phone=1"], "owner_phone"),
    (["--base-url", "http://host", "--set", "novalue"], "NAME=VALUE"),
    (["--base-url", "http://host", "--tenant", "משרד"], "no ASCII letters"),
])
def test_render_refuses_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["workflows", "render", "--out", str(tmp_path / "out"), *args])
    assert result.exit_code != 0 and message in result.output
    assert "secret" not in result.output or "user or password" in result.output


def test_render_from_the_installed_command(tmp_path: Path) -> None:
    """The `tzomet` entry point itself (as an agency runs it)."""
    tzomet = Path(sys.executable).with_name("tzomet")
    done = subprocess.run([str(tzomet), "workflows", "render", "--base-url", "http://10.0.0.5:8080",
                           "--out", str(tmp_path), "--tenant", "acme"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert len(done.stdout.split()) == len(EXPECTED)


def test_render_for_hubspot_swaps_the_crm_step_only(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["workflows", "render", "--base-url", "http://tzomet:8080", "--out",
                                      str(tmp_path), "--crm", "hubspot"])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(n.replace("-to-zoho.json", "-to-hubspot.json") for n in EXPECTED)
    for path in tmp_path.iterdir():
        rendered = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(SCHEMA).validate(rendered)
        text = json.dumps(rendered, ensure_ascii=False)
        assert "update-zoho" not in text and "module: '" not in text
        nodes = {n["name"] for n in rendered["nodes"]}
        for source, outs in rendered["connections"].items():
            assert source in nodes
            assert all(link["node"] in nodes for branches in outs.values() for branch in branches for link in branch)
        original = WORKFLOWS[path.name.replace("-to-hubspot.json", "-to-zoho.json")]
        if "-to-hubspot" in path.name:
            assert rendered["id"] != original["id"] and "/v1/update-hubspot" in text and "HubSpot" in rendered["name"]
        else:
            assert rendered["id"] == original["id"]  # no CRM step: the same workflow
    contract = json.loads((tmp_path / "contract-intake-to-hubspot.json").read_text(encoding="utf-8"))
    assert "object: 'deals'" in json.dumps(contract, ensure_ascii=False)
    assert CliRunner().invoke(cli, ["workflows", "render", "--base-url", "http://x:1", "--out", str(tmp_path),
                                    "--crm", "salesforce"]).exit_code != 0


def test_render_for_monday_drops_the_module_and_keeps_the_envelope(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["workflows", "render", "--base-url", "http://tzomet:8080", "--out",
                                      str(tmp_path), "--crm", "monday"])
    assert result.exit_code == 0, result.output
    for path in tmp_path.glob("*-to-monday.json"):
        rendered = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(SCHEMA).validate(rendered)
        text = json.dumps(rendered, ensure_ascii=False)
        assert "/v1/update-monday" in text and "update-zoho" not in text and "module:" not in text
