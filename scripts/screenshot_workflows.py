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
import socket
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
N8N_VERSION = "2.41.1"
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def default_launcher() -> Path:
    explicit = os.environ.get("TZOMET_N8N")
    if explicit:
        return Path(explicit)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    home = Path(os.environ.get("TZOMET_N8N_HOME") or cache / "tzomet" / f"n8n-{N8N_VERSION}")
    return home / "bin" / "n8n"


class N8n:
    """A throwaway n8n: its own user folder, ports and encryption key."""

    def __init__(self, launcher: Path, folder: Path) -> None:
        self.launcher = launcher
        self.folder = folder
        self.port = free_port()
        self.broker_port = free_port()
        while self.broker_port == self.port:
            self.broker_port = free_port()
        self.server: subprocess.Popen[bytes] | None = None
        self.command: subprocess.Popen[str] | None = None
        self.log_path = folder / "n8n.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("N8N_", "DB_", "EXECUTIONS_"))}
        env.update({
            "N8N_USER_FOLDER": str(self.folder),
            "N8N_ENCRYPTION_KEY": "tzomet-workflow-screenshots-only",
            "N8N_PORT": str(self.port),
            "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_RUNNERS_BROKER_PORT": str(self.broker_port),
            "N8N_DIAGNOSTICS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED": "false",
            "N8N_PERSONALIZATION_ENABLED": "false",
            "N8N_TEMPLATES_ENABLED": "false",
            "N8N_HIRING_BANNER_ENABLED": "false",
            "N8N_SECURE_COOKIE": "false",
            "N8N_LOG_LEVEL": "warn",
            "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
        })
        return env

    def cli(self, *args: str) -> None:
        """``n8n <args>``, in its own process group (so that an interrupt can end it too)."""
        self.command = subprocess.Popen([str(self.launcher), *args], env=self.env(), stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, cwd=self.folder,
                                        start_new_session=True)
        try:
            output, _ = self.command.communicate(timeout=300)
        finally:
            end_group(self.command)
        if self.command.returncode != 0:
            raise RuntimeError(f"n8n {' '.join(args)} exited {self.command.returncode}\n{output[-4000:]}")

    def start(self, timeout: float = 180) -> None:
        with self.log_path.open("wb") as out:
            self.server = subprocess.Popen([str(self.launcher), "start"], env=self.env(), stdout=out,
                                           stderr=subprocess.STDOUT, cwd=self.folder,
                                           start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"n8n start exited {self.server.returncode}:\n{self.tail()}")
            # /healthz answers well before the REST API: first a stand-in page answers 200 to
            # every path, then 404 for a while. The API is up when "who am I" says 401.
            if self.answers("/healthz") == 200 and self.answers("/rest/login") == 401:
                return
            time.sleep(0.5)
        raise RuntimeError(f"n8n's REST API did not come up in {timeout}s:\n{self.tail()}")

    def answers(self, path: str) -> int | None:
        """The HTTP status of ``GET <path>``, None when nothing answers."""
        try:
            with urllib.request.urlopen(f"{self.url}{path}", timeout=2) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (urllib.error.URLError, OSError):
            return None

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""

    def stop(self) -> None:
        """Ends ``n8n start`` (and its task runner) and any ``n8n`` command still running."""
        if self.server is not None and self.server.poll() is None:
            log("stopping n8n")
        for process in (self.server, self.command):
            end_group(process)


def end_group(process: subprocess.Popen[bytes] | subprocess.Popen[str] | None) -> None:
    """SIGTERM to the process group that ``process`` leads, SIGKILL after 30 s."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


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
    n8n = N8n(args.n8n, temp / "n8n")
    n8n.folder.mkdir()

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
        credentials = temp / "credentials.json"
        credentials.write_text(json.dumps(CREDENTIALS), encoding="utf-8")
        log(f"importing {len(ids)} workflows and {len(CREDENTIALS)} placeholder credentials")
        n8n.cli("import:credentials", f"--input={credentials}")
        n8n.cli("import:workflow", "--separate", f"--input={temp / 'workflows'}")
        log(f"starting n8n on {n8n.url}")
        n8n.start()
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
