"""The shipped n8n workflows (``workflows/*.json``) and ``tzomet workflows render``.

Every shipped workflow has one Set node named ``Tzomet config`` holding ``base_url`` and
the other per-client values (the WhatsApp Cloud API address, the business owner's number);
every HTTP Request node builds its URL from it. Rendering writes copies with those values
filled in, so an agency imports a ready workflow per client. With ``tenant``, each copy
also gets its own workflow id, name suffix and webhook paths (``<tenant>/<path>``), so
several clients' copies live side by side in one n8n without clashing. With ``crm``
(``hubspot``), the Zoho step of each workflow becomes the same step for that CRM: the CRM
actions share one envelope, so only the action, the record type (``module: 'Leads'`` →
``object: 'contacts'``) and the names change.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sysconfig
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CONFIG_NODE = "Tzomet config"
CREDENTIAL_NAME = "Tzomet API key"
def _workflows_dir() -> Path:
    """``workflows/`` of a checkout, else the copy a wheel installs under ``<prefix>/share/tzomet/``."""
    checkout = Path(__file__).resolve().parents[2] / "workflows"
    if checkout.is_dir():
        return checkout
    return Path(sysconfig.get_path("data")) / "share" / "tzomet" / "workflows"


WORKFLOWS_DIR = _workflows_dir()
_SLUG = re.compile(r"[^a-z0-9]+")


class RenderError(ValueError):
    """A render option that cannot be applied; the message says which and why."""


def shipped(directory: Path = WORKFLOWS_DIR) -> dict[str, dict[str, Any]]:
    """File name -> workflow, for every workflow file in ``directory``."""
    if not directory.is_dir():
        raise RenderError(f"no workflows directory at {directory}")
    found = {p.name: json.loads(p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.json"))}
    if not found:
        raise RenderError(f"no workflow files (*.json) in {directory}")
    return found


def config_node(workflow: Mapping[str, Any]) -> dict[str, Any]:
    """The workflow's ``Tzomet config`` Set node."""
    for node in workflow.get("nodes", []):
        if node.get("name") == CONFIG_NODE:
            return node  # type: ignore[no-any-return]
    raise RenderError(f"workflow {workflow.get('name')!r} has no {CONFIG_NODE!r} node")


def config_values(workflow: Mapping[str, Any]) -> dict[str, str]:
    """The values the config node holds, by name."""
    assignments = config_node(workflow)["parameters"]["assignments"]["assignments"]
    return {a["name"]: a["value"] for a in assignments}


def check_base_url(url: str) -> str:
    """An http(s) URL without credentials or query, without its trailing slash."""
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise RenderError(f"--base-url must be an http:// or https:// URL, not {url!r}")
    if parts.username or parts.password:
        raise RenderError("--base-url must not carry a user or password: the API key goes in the n8n "
                          f"credential {CREDENTIAL_NAME!r}, never in a workflow file")
    if parts.query or parts.fragment:
        raise RenderError("--base-url must not have a query string or fragment")
    return url.strip().rstrip("/")


def slug(tenant: str) -> str:
    """A tenant name as it may appear in a webhook path: lower-case ASCII letters, digits, '-'."""
    value = _SLUG.sub("-", tenant.lower()).strip("-")
    if not value:
        raise RenderError(f"--tenant {tenant!r} has no ASCII letters or digits to build webhook paths from")
    return value


#: the CRMs a workflow can write to, and how Zoho's words become theirs
CRMS: dict[str, dict[str, Any]] = {
    "zoho": {},
    "hubspot": {
        "action": "update-hubspot",
        "body": {"module: 'Leads'": "object: 'contacts'", "module: 'Contacts'": "object: 'contacts'",
                 "module: 'Deals'": "object: 'deals'", "zoho:": "hubspot:", "Zoho: ": "HubSpot: "},
        "names": {"Update Zoho lead": "Update HubSpot contact", "Update Zoho deal": "Update HubSpot deal",
                  "Update Zoho: note and tasks": "Update HubSpot: note and tasks", "Zoho CRM": "HubSpot",
                  "Zoho deal": "HubSpot deal", "Zoho note and tasks": "HubSpot note and tasks"},
        "file": ("-to-zoho.json", "-to-hubspot.json"),
    },
    "monday": {
        "action": "update-monday",
        # the board is the tenant's (MONDAY_BOARD_ID); the note becomes the item's update, tasks are listed in it
        "body": {"module: 'Leads', ": "", "module: 'Contacts', ": "", "module: 'Deals', ": "", "zoho:": "monday:",
                 "Zoho: ": "Monday: "},
        "names": {"Update Zoho lead": "Update Monday item", "Update Zoho deal": "Update Monday item",
                  "Update Zoho: note and tasks": "Update Monday: item and update", "Zoho CRM": "Monday.com",
                  "Zoho deal": "Monday item", "Zoho note and tasks": "Monday item and update"},
        "file": ("-to-zoho.json", "-to-monday.json"),
    },
}


def _renamed(text: str, names: Mapping[str, str]) -> str:
    for old, new in names.items():
        text = text.replace(old, new)
    return text


def swap_crm(workflow: Mapping[str, Any], crm: str) -> dict[str, Any]:
    """``workflow`` writing to ``crm`` instead of Zoho (the same workflow when it writes to no CRM, or ``zoho``)."""
    if crm not in CRMS:
        raise RenderError(f"--crm must be one of {', '.join(CRMS)}, not {crm!r}")
    spec = CRMS[crm]
    out = copy.deepcopy(dict(workflow))
    crm_nodes = [n for n in out["nodes"] if "/v1/update-zoho" in str(n["parameters"].get("url", ""))]
    if not spec or not crm_nodes:
        return out
    for node in out["nodes"]:
        params = node["parameters"]
        if node in crm_nodes:  # the URL and the request id header name the action
            params = node["parameters"] = json.loads(json.dumps(params).replace("update-zoho", spec["action"]))
        for key in ("jsonBody", "responseBody"):
            if isinstance(params.get(key), str):
                params[key] = _renamed(params[key], spec["body"])
        node["name"] = _renamed(node["name"], spec["names"])
        node["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tzomet/{crm}/{node['id']}"))
        if node.get("webhookId"):
            node["webhookId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tzomet/{crm}/{node['webhookId']}"))
    out["connections"] = {
        _renamed(src, spec["names"]): {kind: [[{**link, "node": _renamed(link["node"], spec["names"])}
                                                for link in branch] for branch in branches]
                                       for kind, branches in outs.items()}
        for src, outs in out["connections"].items()}
    out["name"] = _renamed(out["name"], spec["names"])
    out["id"] = ("tz" + hashlib.sha256(f"{crm}/{out['id']}".encode()).hexdigest())[:16]
    return out


def render(workflow: Mapping[str, Any], base_url: str, tenant: str | None = None,
           values: Mapping[str, str] | None = None, crm: str = "zoho") -> dict[str, Any]:
    """A copy of ``workflow`` with its config filled in (made unique per ``tenant``, writing to ``crm``)."""
    out = swap_crm(workflow, crm)
    wanted = {"base_url": check_base_url(base_url), **(values or {})}
    assignments = config_node(out)["parameters"]["assignments"]["assignments"]
    known = {a["name"]: a for a in assignments}
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise RenderError(f"{out.get('name')!r}: the {CONFIG_NODE!r} node has no {', '.join(unknown)}; "
                          f"it has {', '.join(known)}")
    for name, value in wanted.items():
        known[name]["value"] = value
    if tenant:
        tag = slug(tenant)
        digest = hashlib.sha256(f"{tag}/{out.get('id', out.get('name'))}".encode()).hexdigest()
        out["id"] = ("tz" + digest)[:16]
        out["name"] = f"{out['name']} ({tenant})"
        for node in out["nodes"]:
            if node.get("type") == "n8n-nodes-base.webhook":
                node["parameters"]["path"] = f"{tag}/{node['parameters']['path']}"
                node["webhookId"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tzomet/{tag}/{node['webhookId']}"))
    return out


def render_all(out_dir: Path, base_url: str, tenant: str | None = None,
               values: Mapping[str, str] | None = None, source: Path = WORKFLOWS_DIR,
               crm: str = "zoho") -> list[Path]:
    """Render every shipped workflow into ``out_dir``; returns the files written.

    A value in ``values`` is applied to each workflow whose config node has it; a name
    no workflow has is an error (a typo must not pass silently).
    """
    workflows = shipped(source)
    values = dict(values or {})
    everywhere = {name for wf in workflows.values() for name in config_values(wf)}
    unknown = sorted(set(values) - everywhere)
    if unknown:
        raise RenderError(f"no workflow's {CONFIG_NODE!r} node has {', '.join(unknown)}; "
                          f"known values: {', '.join(sorted(everywhere))}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for file_name, workflow in workflows.items():
        mine = {k: v for k, v in values.items() if k in config_values(workflow)}
        suffix = CRMS.get(crm, {}).get("file")
        path = out_dir / (file_name.replace(*suffix) if suffix else file_name)
        path.write_text(json.dumps(render(workflow, base_url, tenant, mine, crm), ensure_ascii=False, indent=2)
                        + "\n", encoding="utf-8")
        written.append(path)
    return written
