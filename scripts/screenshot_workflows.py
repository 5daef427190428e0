"""Screenshot each shipped workflow (workflows/*.json) as it looks in n8n's editor canvas.

Writes ``<out>/<workflow-file-stem>.png`` (default ``docs/img/workflows``), one per workflow,
zoomed to fit in a 1600x900 viewport. End to end, in one to two minutes:

1. renders the workflows (``tzomet workflows render --base-url http://localhost:8080``) into a
   temp dir and imports them, with placeholder credentials, into a throwaway n8n (temp
   ``N8N_USER_FOLDER``, free ports, fixed encryption key);
2. ``n8n start``, waits for /healthz and the REST API, creates the owner through
   ``POST /rest/owner/setup``;
3. logs a headless Chromium in (``POST /rest/login``), opens ``/workflow/<id>`` for each
   workflow, closes any dialog, zooms to fit and takes the screenshot;
4. stops Chromium and n8n and removes the temp dir, also on failure, SIGINT or SIGTERM.

Run from the repository root::

    .venv/bin/python scripts/screenshot_workflows.py [--out docs/img/workflows]

Needs:
- n8n 2.41.1 as installed by ``scripts/install-n8n.sh`` (``~/.cache/tzomet/n8n-2.41.1/bin/n8n``;
  ``TZOMET_N8N`` or ``--n8n`` may point at another launcher);
- Debian's Chromium (``apt-get install -y chromium``; ``--chromium`` for another binary);
- Python ``playwright`` in the venv (``.venv/bin/pip install playwright``; a tool for this
  script only, not a project dependency). Never run ``playwright install``: the script
  drives the system Chromium through ``executable_path``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from n8n_harness import N8n, default_launcher  # noqa: E402  (the one n8n driver, shared with the tests)

WIDTH, HEIGHT = 1600, 900  # the browser viewport, and so the PNGs
OWNER = {"email": "owner@tzomet.example", "firstName": "Tzomet", "lastName": "Docs",
         "password": "Screenshot-Only-1"}
# Same ids as in the workflows' nodes, so no node shows a credential warning.
CREDENTIALS = [
    {"id": "tzometApiKey0001", "name": "Tzomet API key", "type": "httpHeaderAuth",
     "data": {"name": "X-API-Key", "value": "placeholder"}},
    {"id": "tzometWaApi00001", "name": "WhatsApp account", "type": "whatsAppApi",
     "data": {"accessToken": "placeholder", "businessAccountId": "1"}},
    {"id": "tzometWaTrigger1", "name": "WhatsApp OAuth account", "type": "whatsAppTriggerApi",
     "data": {"clientId": "1", "clientSecret": "placeholder"}},
]


STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[screenshot_workflows {time.monotonic() - STARTED:5.1f}s] {message}", flush=True)


def end_children() -> None:
    """SIGTERM to this process's own children: here, playwright's driver, which then closes Chromium."""
    me = str(os.getpid())
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # the parent's pid
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(stat.parent.name), signal.SIGTERM)


def prepare_workflows(target: Path) -> tuple[dict[str, str], dict[str, int]]:
    """Write the workflows to import into ``target``; returns {file stem: workflow id} and
    {file stem: number of nodes}."""
    target.mkdir()
    tzomet = Path(sys.executable).parent / "tzomet"
    if tzomet.is_file():
        subprocess.run([str(tzomet), "workflows", "render", "--base-url", "http://localhost:8080",
                        "--out", str(target)], check=True, capture_output=True, text=True)
    else:
        log("tzomet CLI not found next to this Python: importing workflows/*.json as they are")
        for path in sorted((ROOT / "workflows").glob("*.json")):
            shutil.copy(path, target / path.name)
    workflows = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(target.glob("*.json"))}
    if not workflows:
        raise RuntimeError(f"no workflows to import in {target}")
    return ({stem: workflow["id"] for stem, workflow in workflows.items()},
            {stem: len(workflow["nodes"]) for stem, workflow in workflows.items()})


def setup_owner(base_url: str) -> None:
    """Creates the owner account through ``POST /rest/owner/setup``."""
    request = urllib.request.Request(f"{base_url}/rest/owner/setup", data=json.dumps(OWNER).encode(),
                                     method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.loads(response.read())
    except (urllib.error.HTTPError, json.JSONDecodeError) as error:
        raise RuntimeError(f"POST /rest/owner/setup failed: {error}") from error
    if answer.get("data", {}).get("email") != OWNER["email"]:
        raise RuntimeError(f"POST /rest/owner/setup answered {str(answer)[:500]}")


# Dialogs and notices that may cover the canvas on a fresh instance; each is closed if shown.
CLOSE_SELECTORS = [
    ".el-dialog__headerbtn",           # any element-plus modal's close (x)
    ".el-message-box__headerbtn",
    ".el-notification__closeBtn",      # toasts
    "[data-test-id='banner-close-button']",
    "[data-test-id='banners'] button[aria-label='Close']",
]


def close_overlays(page: Page) -> None:
    for _ in range(3):
        closed = False
        for selector in CLOSE_SELECTORS:
            for element in page.locator(selector).all():
                try:
                    if element.is_visible():
                        element.click(timeout=2000)
                        closed = True
                except Exception:  # a notice may vanish on its own
                    pass
        page.keyboard.press("Escape")
        if not closed:
            return
        page.wait_for_timeout(500)


def screenshot(n8n: N8n, ids: dict[str, str], nodes: dict[str, int], out_dir: Path, chromium: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-dev-shm-usage"])
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1,
                                          locale="en-US")
            # Signs this browser context in: the auth cookie lands in its cookie jar.
            response = context.request.post(f"{n8n.url}/rest/login", data={
                "emailOrLdapLoginId": OWNER["email"], "password": OWNER["password"]})
            if not response.ok:
                raise RuntimeError(f"POST /rest/login answered {response.status}: {response.text()[:500]}")
            page = context.new_page()
            for stem, workflow_id in ids.items():
                page.goto(f"{n8n.url}/workflow/{workflow_id}", wait_until="load")
                # Every node drawn, then a moment for the edges and the fonts.
                page.wait_for_function("n => document.querySelectorAll('.vue-flow__node').length >= n",
                                       arg=nodes[stem], timeout=90000)
                page.locator(".vue-flow__edge").first.wait_for(state="attached", timeout=30000)
                page.wait_for_load_state("networkidle", timeout=15000)
                page.wait_for_timeout(1000)
                close_overlays(page)
                page.locator(".vue-flow__pane").click(position={"x": 5, "y": 5})
                page.keyboard.press("1")  # zoom to fit
                page.wait_for_timeout(1200)
                close_overlays(page)
                target = out_dir / f"{stem}.png"
                page.screenshot(path=str(target))
                log(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
                written.append(target)
        finally:
            log("stopping Chromium")
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img" / "workflows",
                        help="directory for the PNGs (default: docs/img/workflows)")
    parser.add_argument("--n8n", type=Path, default=default_launcher(), help="the n8n launcher")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="the Chromium binary")
    args = parser.parse_args(argv)
    if not args.n8n.is_file():
        parser.error(f"no n8n launcher at {args.n8n}: run scripts/install-n8n.sh")
    if not Path(args.chromium).is_file():
        parser.error(f"no Chromium at {args.chromium}: apt-get install -y chromium")
    args.out.mkdir(parents=True, exist_ok=True)

    temp = Path(tempfile.mkdtemp(prefix="tzomet-screenshots-"))
    n8n = N8n(args.n8n, temp / "n8n", encryption_key="tzomet-workflow-screenshots-only")

    def interrupted(signum: int, _frame: object) -> None:
        # Cleans up here rather than by raising: an exception raised while playwright's sync
        # API waits does not reliably reach the finally below.
        log(f"interrupted by signal {signum}; cleaning up")
        end_children()
        n8n.stop()
        shutil.rmtree(temp, ignore_errors=True)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    try:
        ids, nodes = prepare_workflows(temp / "workflows")
        log(f"importing {len(ids)} workflows and {len(CREDENTIALS)} placeholder credentials")
        n8n.import_credentials(CREDENTIALS)
        n8n.import_workflows(temp / "workflows")
        log(f"starting n8n on {n8n.url}")
        n8n.start(timeout=180)
        setup_owner(n8n.url)
        log("owner set up; taking screenshots")
        screenshot(n8n, ids, nodes, args.out.resolve(), args.chromium)
    except Exception:
        log(f"failed; n8n log tail:\n{n8n.tail()}")
        raise
    finally:
        n8n.stop()
        shutil.rmtree(temp, ignore_errors=True)
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
