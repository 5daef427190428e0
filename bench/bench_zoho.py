"""Benchmark: latency of an accepted update-zoho write, service and Zoho emulator on loopback.

Starts the Zoho emulator (``python -m tests.zoho_emulator``) and the service
(``tzomet serve``, gunicorn) as subprocesses on free loopback ports, warms up, then sends
``--requests`` writes (each a new lead with its own idempotency key, so each is a real
upsert through the Zoho SDK) from ``--concurrency`` client threads, and prints p50/p90/p99.

    .venv/bin/python bench/bench_zoho.py --requests 300 --concurrency 1

Target: p50 under 50 ms. Results are also written to bench/results/zoho.json.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not start within {timeout}s")


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> int:
    """Run the benchmark; return the exit code (1 if any write was not accepted with 200)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers of the service")
    parser.add_argument("--db-url", default=None, help="TZOMET_DB_URL (default: SQLite in a temp dir)")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="tzomet-bench-"))
    zport, sport = _free_port(), _free_port()
    zoho, service = f"http://127.0.0.1:{zport}", f"http://127.0.0.1:{sport}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "TZOMET_"))}
    env.update({"TZOMET_DATA_DIR": str(tmp / "data"), "ZOHO_CLIENT_ID": "bench", "ZOHO_CLIENT_SECRET": "bench",
                "ZOHO_REFRESH_TOKEN": "bench", "ZOHO_API_URL": zoho, "ZOHO_ACCOUNTS_URL": f"{zoho}/oauth/v2/token"})
    if args.db_url:
        env["TZOMET_DB_URL"] = args.db_url
    logs = (tmp / "emulator.log").open("wb"), (tmp / "service.log").open("wb")
    emulator = subprocess.Popen([sys.executable, "-m", "tests.zoho_emulator", "--port", str(zport)], cwd=ROOT,
                                stdout=logs[0], stderr=subprocess.STDOUT, env=env)
    server = subprocess.Popen([sys.executable, "-c", "from nodes.cli import main; main()", "serve", "--host",
                               "127.0.0.1", "--port", str(sport), "--workers", str(args.workers)], cwd=ROOT,
                              stdout=logs[1], stderr=subprocess.STDOUT, env=env)
    try:
        _wait(f"{zoho}/__emulator__/state", emulator, "the Zoho emulator")
        _wait(f"{service}/readyz", server, "tzomet serve")
        session = requests.Session()

        def write(i: int, tag: str) -> tuple[float, int]:
            body = {"record": {"Last_Name": f"Bench {i}", "Email": f"{tag}{i}@bench.example"},
                    "idempotency_key": f"{tag}-{i}"}
            started = time.perf_counter()
            r = (session if args.concurrency == 1 else requests).post(f"{service}/v1/update-zoho", json=body,
                                                                      timeout=30)
            return (time.perf_counter() - started) * 1000, r.status_code

        for i in range(max(20, args.workers * 10)):  # warm every worker (SDK init, field cache)
            write(i, "warm")
        started = time.perf_counter()
        with cf.ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(lambda i: write(i, "run"), range(args.requests)))
        elapsed = time.perf_counter() - started
        latencies = [ms for ms, status in results if status == 200]
        statuses: dict[str, int] = {}
        for _, status in results:
            statuses[str(status)] = statuses.get(str(status), 0) + 1
        state = requests.get(f"{zoho}/__emulator__/state", timeout=10).json()
        report: dict[str, Any] = {
            "requests": args.requests, "concurrency": args.concurrency, "workers": args.workers,
            "store": "postgresql" if args.db_url else "sqlite", "statuses": statuses,
            "p50_ms": round(_pct(latencies, 50), 2) if latencies else None,
            "p90_ms": round(_pct(latencies, 90), 2) if latencies else None,
            "p99_ms": round(_pct(latencies, 99), 2) if latencies else None,
            "mean_ms": round(statistics.fmean(latencies), 2) if latencies else None,
            "throughput_rps": round(args.requests / elapsed, 1),
            "zoho_records": len(state["records"].get("Leads", [])),
        }
        print(json.dumps(report, indent=2))
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / "zoho.json").write_text(json.dumps(report, indent=2))
        return 0 if statuses.get("200") == args.requests else 1
    finally:
        for proc in (server, emulator):
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        for f in logs:
            f.close()


if __name__ == "__main__":
    raise SystemExit(main())
