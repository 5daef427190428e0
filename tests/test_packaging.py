"""The wheel a user installs: built from the repository, installed outside the checkout, it serves
and renders the shipped workflows."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import requests

from tests.conftest import MODELS_DIR
from tests.service import free_port, wait_until_ok

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_installed_outside_the_checkout_serves_and_renders_workflows(tmp_path: Path) -> None:
    # built from a copy of the tracked files: a build writes build/ and *.egg-info where it runs
    source = tmp_path / "source"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(source)], check=True, capture_output=True, timeout=300)
    wheel = next((tmp_path / "dist").glob("tzomet-*.whl"))
    venv = tmp_path / "venv"
    # no pip of its own (ensurepip takes seconds): this environment's pip installs into it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    site = Path(subprocess.check_output([str(venv / "bin" / "python"), "-c",
                                         "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True).strip())
    # the dependencies come from this environment's site-packages (no download); its .pth files, the
    # editable install of the checkout among them, are not read from a directory added this way
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                    "--no-deps", str(wheel)], check=True, capture_output=True, timeout=300)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {**os.environ, "TZOMET_DATA_DIR": str(tmp_path / "data"), "TZOMET_MODELS_DIR": str(MODELS_DIR)}
    env.pop("PYTHONPATH", None)
    where = subprocess.check_output([str(venv / "bin" / "python"), "-c", "import nodes; print(nodes.__file__)"],
                                    cwd=outside, env=env, text=True).strip()
    assert where.startswith(str(venv)), where

    rendered = subprocess.run([str(venv / "bin" / "tzomet"), "workflows", "render", "--base-url",
                               "http://tzomet:8080", "--out", str(tmp_path / "rendered")],
                              cwd=outside, env=env, capture_output=True, text=True, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    files = sorted(p.name for p in (tmp_path / "rendered").glob("*.json"))
    assert files == sorted(p.name for p in (ROOT / "workflows").glob("*.json"))
    assert "http://tzomet:8080" in json.dumps(json.loads((tmp_path / "rendered" / files[0]).read_text("utf-8")))

    port = free_port()
    proc = subprocess.Popen([str(venv / "bin" / "tzomet"), "serve", "--port", str(port), "--workers", "1"],
                            cwd=outside, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        assert wait_until_ok(f"http://127.0.0.1:{port}/readyz", proc, 180), "the installed service did not become ready"
        answer = requests.post(f"http://127.0.0.1:{port}/v1/classify-lead",
                               json={"text": "אני רוצה לבטל את המנוי שלי"}, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["category"] == "cancellation"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
