"""A real n8n for the workflow tests (and scripts/screenshot_workflows.py), driven through its CLI.

n8n is installed once per machine by scripts/install-n8n.sh (outside the repository).
Without it the tests skip with the reason, except under CI (``CI=true``), where .ci/run
installs it and a missing n8n is a failure. ``TZOMET_N8N`` may point at another launcher.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
VERSION = "2.41.1"
INSTALL_HINT = "run scripts/install-n8n.sh once (about 10 minutes; installs n8n into ~/.cache/tzomet)"


def default_home() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get("TZOMET_N8N_HOME") or cache / "tzomet" / f"n8n-{VERSION}")


def default_launcher() -> Path:
    """Where the launcher is (``TZOMET_N8N``, or the one scripts/install-n8n.sh writes)."""
    explicit = os.environ.get("TZOMET_N8N")
    return Path(explicit) if explicit else default_home() / "bin" / "n8n"


def find_n8n() -> Path | None:
    """The n8n launcher, or None when n8n is not installed (or its install did not finish)."""
    launcher = default_launcher()
    complete = bool(os.environ.get("TZOMET_N8N")) or (default_home() / ".complete").is_file()
    return launcher if complete and launcher.is_file() else None


def require_n8n() -> Path:
    """The launcher; skip (fail under CI) with the reason when there is none."""
    launcher = find_n8n()
    if launcher is None:
        message = f"n8n {VERSION} is not installed: {INSTALL_HINT}"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message + " (CI=true: .ci/run must install it)")
        pytest.skip(message)
    return launcher


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class N8nError(RuntimeError):
    """An n8n command or server that failed; the message carries its output."""


def end_group(process: subprocess.Popen[str] | None) -> None:
    """SIGTERM to the process group ``process`` leads (n8n and its task runner), SIGKILL after 30 s."""
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


class N8n:
    """One n8n instance: its own user folder (SQLite database), ports and encryption key.

    Every process it starts leads its own process group, so :meth:`stop` (also from a signal
    handler) ends ``n8n start``, its task runner and any CLI command still running.
    """

    def __init__(self, launcher: Path, folder: Path, encryption_key: str = "tzomet-workflow-tests-only") -> None:
        self.launcher = launcher
        self.folder = folder
        self.encryption_key = encryption_key
        self.port = free_port()
        self.broker_port = free_port()
        while self.broker_port == self.port:
            self.broker_port = free_port()
        self.server: subprocess.Popen[str] | None = None
        self.command: subprocess.Popen[str] | None = None
        self.log = folder / "n8n.log"
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("N8N_", "DB_", "EXECUTIONS_"))}
        env.update({
            "N8N_USER_FOLDER": str(self.folder),
            "N8N_ENCRYPTION_KEY": self.encryption_key,
            "N8N_PORT": str(self.port),
            "N8N_LISTEN_ADDRESS": "127.0.0.1",
            "N8N_RUNNERS_BROKER_PORT": str(self.broker_port),
            "N8N_DIAGNOSTICS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_ENABLED": "false",
            "N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED": "false",
            "N8N_PERSONALIZATION_ENABLED": "false",
            "N8N_HIRING_BANNER_ENABLED": "false",
            "N8N_TEMPLATES_ENABLED": "false",
            "N8N_SECURE_COOKIE": "false",
            "N8N_LOG_LEVEL": "warn",
            "N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS": "false",
        })
        return env

    def cli(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run ``n8n <args>``; raise :class:`N8nError` with its output when it fails."""
        self.command = subprocess.Popen([str(self.launcher), *args], env=self.env(), stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, cwd=self.folder, start_new_session=True)
        try:
            stdout, stderr = self.command.communicate(timeout=timeout)
        finally:
            end_group(self.command)
        if self.command.returncode != 0:
            raise N8nError(f"n8n {' '.join(args)} exited {self.command.returncode}\n"
                           f"--- stdout\n{stdout[-4000:]}\n--- stderr\n{stderr[-4000:]}")
        return subprocess.CompletedProcess(self.command.args, self.command.returncode, stdout, stderr)

    def publish(self, *workflow_ids: str, timeout: float = 300) -> None:
        """``n8n publish:workflow`` for each id, the commands running side by side (each boots n8n:
        seconds of loading that need not wait for each other; each writes one row)."""
        commands = [subprocess.Popen([str(self.launcher), "publish:workflow", f"--id={workflow_id}"], env=self.env(),
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=self.folder,
                                     start_new_session=True) for workflow_id in workflow_ids]
        try:
            outputs = [c.communicate(timeout=timeout)[0] for c in commands]
        finally:
            for c in commands:
                end_group(c)
        for workflow_id, c, out in zip(workflow_ids, commands, outputs, strict=True):
            if c.returncode != 0:
                raise N8nError(f"n8n publish:workflow --id={workflow_id} exited {c.returncode}\n{out[-4000:]}")

    def import_credentials(self, credentials: list[dict[str, Any]]) -> None:
        path = self.folder / "credentials.json"
        path.write_text(json.dumps(credentials), encoding="utf-8")
        try:
            self.cli("import:credentials", f"--input={path}")
        finally:
            path.unlink()  # the file holds the test keys in clear text

    def import_workflows(self, directory: Path) -> None:
        self.cli("import:workflow", "--separate", f"--input={directory}")

    def execute_all(self) -> dict[str, dict[str, Any]]:
        """Run every imported workflow once from its Manual Trigger, one after another, in one
        n8n process (``n8n execute-batch``: one boot instead of one per workflow).

        Returns n8n's result per workflow id (``executionStatus``, ``error``); a failed
        workflow is not retried, so nothing runs twice behind the caller's back.
        """
        output = self.folder / "execute-batch.json"
        self.cli("execute-batch", "--retries=0", f"--output={output}")
        results = json.loads(output.read_text(encoding="utf-8"))
        return {e["workflowId"]: e for e in results["executions"]}

    def start(self, timeout: float = 120) -> None:
        """``n8n start`` in the background; returns when n8n's own API answers."""
        with self.log.open("w") as out:
            self.server = subprocess.Popen([str(self.launcher), "start"], env=self.env(), stdout=out,
                                           stderr=subprocess.STDOUT, text=True, cwd=self.folder,
                                           start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise N8nError(f"n8n start exited {self.server.returncode}:\n{self.tail()}")
            try:
                # /healthz answers first, and for a while a stand-in server answers 200 to every path;
                # n8n's own API is up when an anonymous GET /rest/login gets its real 401.
                if requests.get(f"{self.url}/rest/login", timeout=2).status_code == 401:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise N8nError(f"n8n's API did not come up in {timeout}s:\n{self.tail()}")

    def tail(self) -> str:
        """The end of ``n8n start``'s log."""
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""

    def post_webhook(self, path: str, timeout: float = 60, **kwargs: Any) -> requests.Response:
        """POST to a production webhook, waiting until n8n has registered it (404 until then)."""
        deadline = time.monotonic() + timeout
        while True:
            response = requests.post(f"{self.url}/webhook/{path}", timeout=120, **kwargs)
            if response.status_code != 404 or time.monotonic() > deadline:
                return response
            time.sleep(1)

    def stop(self) -> None:
        """End ``n8n start`` and any n8n command still running."""
        for process in (self.server, self.command):
            end_group(process)
        self.server = None
