"""`make bench`: throughput and p99 latency of every action over HTTP, beside a bare Flask echo.

Starts the bare echo (bench/echo_app.py) and `tzomet serve` with the same gunicorn
settings (2 gthread workers), drives each with wrk from this machine's loopback, then
runs the in-process benchmarks in bench/bench_*.py. Prints a table and writes
bench/results/latest.json. Bounded: every wrk run lasts DURATION seconds.

Each target is run BENCH_REPEAT times (default 5) in interleaved rounds and reported by its
median run. classify-lead is driven with a rotation of different messages (the eval set's texts), so
no per-text cache or warm path can flatter it. `BENCH_ONLY=echo,classify-lead` limits the
HTTP part to those actions and skips the in-process scripts. Only one benchmark runs at a
time on a machine (a lock file), so two runs never share the CPU and skew each other.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DURATION = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
# 5: a run whose keep-alive connections all landed on one worker (half the throughput, for
# any server) is then at most an outlier, not the median
REPEAT = max(1, int(os.environ.get("BENCH_REPEAT", "5")))
WORKERS = 2
ONLY = {a for a in os.environ.get("BENCH_ONLY", "").split(",") if a}
LOCK = Path(tempfile.gettempdir()) / "tzomet-bench.lock"

#: action -> request body used for the HTTP benchmark
BODIES: dict[str, dict[str, Any]] = {
    "echo": {"text": "שלום, אני רוצה לקבוע תור למחר"},
    "classify-lead": {"text": "היי רציתי לשאול כמה עולה ייעוץ ראשוני לגבי גירושין, אפשר לחזור אליי 0521234567?",
                      "channel": "whatsapp"},
    "summarize-conversation": {"messages": [
        {"author": "דנה", "role": "customer", "text": "שלום, אפשר לקבוע פגישה ליום רביעי?",
         "timestamp": "2026-11-02T09:00:00+02:00"},
        {"author": "משרד", "role": "agent", "text": "בטח, ביום רביעי ב-10:00 מתאים? המחיר 450 ש\"ח",
         "timestamp": "2026-11-02T09:05:00+02:00"},
        {"author": "דנה", "role": "customer", "text": "מעולה, תודה. המייל שלי dana@example.co.il",
         "timestamp": "2026-11-02T09:07:00+02:00"}]},
    "extract-contract-fields": {"text": (
        "הסכם שכירות שנערך ונחתם ביום 1.11.2026 בין: ישראל ישראלי ת.ז. 123456782 (המשכיר) לבין: "
        "דנה כהן ת.ז. 000000018 (השוכר). תקופת השכירות 12 חודשים החל מיום 1.12.2026. "
        "דמי השכירות 6,500 ש\"ח לחודש. ערבון בסך 13,000 ש\"ח. סמכות השיפוט לבתי המשפט בתל אביב.")},
    "update-zoho": {"record": {"Last_Name": "כהן", "Email": "bench@example.com"}, "dry_run": True},
}


def rotation(action: str) -> list[dict[str, Any]]:
    """Request bodies for one action: the eval set's texts for classify-lead, else the one body."""
    if action == "classify-lead":
        path = ROOT / "nodes" / "classify_lead" / "data" / "eval.jsonl"
        texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return [{"text": t, "channel": "whatsapp"} for t in texts]
    return [BODIES[action]]


LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local bodies = {%s}
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
"""


def lua_string(text: str) -> str:
    """A Lua long-bracket string that cannot be closed by anything inside `text`."""
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


def wrk(url: str, bodies: list[dict[str, Any]]) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as f:
        f.write(LUA % ", ".join(lua_string(json.dumps(b, ensure_ascii=False)) for b in bodies))
        script = f.name
    out = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--latency", "-s", script, url],
        capture_output=True, text=True, timeout=DURATION + 60, check=True,
    ).stdout
    os.unlink(script)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {"rps": rps, "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def start(cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def http_bench() -> dict[str, Any]:
    env = {**os.environ, "TZOMET_ENABLE_ECHO": "1", "TZOMET_DATA_DIR": tempfile.mkdtemp(prefix="tzomet-bench-")}
    env.pop("TZOMET_API_KEYS", None)
    echo_port, svc_port = free_port(), free_port()
    echo = start([str(BIN / "gunicorn"), "-w", str(WORKERS), "-k", "gthread", "--threads", "4",
                  "-b", f"127.0.0.1:{echo_port}", "--chdir", str(ROOT / "bench"), "echo_app:app"], env)
    svc = start([str(BIN / "tzomet"), "serve", "--port", str(svc_port), "--workers", str(WORKERS)], env)
    results: dict[str, Any] = {}
    try:
        wait_until_up(f"http://127.0.0.1:{svc_port}/healthz")
        wait_until_up(f"http://127.0.0.1:{svc_port}/readyz")
        time.sleep(1)
        listed = json.load(urllib.request.urlopen(f"http://127.0.0.1:{svc_port}/v1/nodes"))["nodes"]
        targets = {"bare_flask_echo": (f"http://127.0.0.1:{echo_port}/echo", rotation("echo"))}
        for name in ["echo"] + [n["name"] for n in listed]:
            if name in BODIES and (not ONLY or name in ONLY):
                targets[name] = (f"http://127.0.0.1:{svc_port}/v1/{name}", rotation(name))
        # Rounds over every target, median per target: wrk's keep-alive connections sometimes all
        # land on one of the two workers, which halves one run's throughput whatever the server.
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
        for _ in range(REPEAT):
            for name, (url, bodies) in targets.items():
                runs[name].append(wrk(url, bodies))
        for name, rows in runs.items():
            rows.sort(key=lambda r: r["rps"])
            results[name] = {**rows[len(rows) // 2], "runs_rps": [r["rps"] for r in rows]}
    finally:
        stop(svc)
        stop(echo)
    base = results["bare_flask_echo"]["rps"]
    for row in results.values():
        row["vs_echo"] = round(row["rps"] / base, 3) if base else None
    return results


def in_process_benches() -> dict[str, Any]:
    """Run every bench/bench_*.py script and keep the last lines it printed."""
    found: dict[str, Any] = {}
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        proc = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=900)
        lines = (proc.stdout if proc.returncode == 0 else proc.stderr).strip().splitlines()
        found[script.stem] = {"ok": proc.returncode == 0, "output": lines[-6:]}
    return found


def main() -> int:
    if shutil.which("wrk") is None:
        print("wrk is not installed: apt-get install wrk (Debian package)", file=sys.stderr)
        return 2
    with open(LOCK, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        http = http_bench()
        in_process = {} if ONLY else in_process_benches()
    report = {"http": http, "in_process": in_process,
              "settings": {"workers": WORKERS, "connections": CONNECTIONS, "seconds": DURATION, "repeat": REPEAT}}
    print(f"{'target':<28}{'req/s':>10}{'p99 ms':>10}{'x echo':>9}{'non-2xx':>9}")
    for name, row in report["http"].items():
        print(f"{name:<28}{row['rps']:>10.0f}{row['p99_ms']:>10.1f}{row['vs_echo']:>9.2f}{row['non_2xx']:>9}")
    for name, row in report["in_process"].items():
        print(f"\n{name}:" + ("" if row["ok"] else " FAILED"))
        for line in row["output"]:
            print(f"  {line}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
