"""`tzomet serve` as a user starts it (gunicorn, 2 workers), in a subprocess logging to a file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_ok(url: str, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll ``GET url`` until it answers 200 (``True``), or until ``proc`` exits or ``timeout``
    seconds pass (``False``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


class Service:
    """`tzomet serve --workers 2` in a subprocess, logging to a file; :meth:`start` waits for ``/readyz``."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = env
        self.log = log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120) -> Service:
        cmd = [sys.executable, "-c", "from nodes.cli import main; main()", "serve", "--host", "127.0.0.1",
               "--port", str(self.port), "--workers", "2"]
        with self.log.open("ab") as out:
            # Its own process group, so :meth:`kill` takes the master and its workers, as a crash would.
            self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        if wait_until_ok(f"{self.url}/readyz", self.proc, timeout):
            return self
        what = "exited" if self.proc.poll() is not None else "did not become ready"
        raise RuntimeError(f"tzomet serve {what}: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def kill(self) -> None:
        """SIGKILL the master and every worker at once (a machine dying): nothing is shut down cleanly."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None
