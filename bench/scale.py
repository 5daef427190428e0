"""`make bench-scale`: how Tzomet grows past one process on one PostgreSQL.

1. Outbox drain: ``--jobs`` update-zoho writes are queued in PostgreSQL and drained into the Zoho
   emulator (its own process) by 1, 2 and 4 writer processes (`tzomet serve --workers N`, one
   writer per worker). Reported as writes per second from the first job queued to the last one
   finished.
2. classify-lead over HTTP with 1 and 2 instances (`tzomet serve --workers 2` each), driven by
   wrk with the eval set's messages; with 2 instances one wrk per instance, throughputs added.

Everything runs on this machine: the load generator, the emulator and PostgreSQL share its
cores with the service, so the numbers say what one box gives, not what two boxes would.
Writes bench/results/scale.json and bench/results/scale.png.

    .venv/bin/python bench/scale.py [--jobs 2000] [--writers 1 2 4] [--instances 1 2]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from run import BIN, ROOT, free_port, rotation, start, stop, wait_until_up, wrk

sys.path.insert(0, str(ROOT))

from nodes.core.store import Store
from tests.zoho_emulator.pgtemp import TempPostgres, find_binaries

RESULTS = ROOT / "bench" / "results"


def _payload(i: int) -> dict[str, Any]:
    """What update-zoho queues for one direct write (see ``UpdateZohoNode._payload``)."""
    return {"module": "Leads", "record": {"Last_Name": f"Scale {i}", "Email": f"s{i}@scale.example"},
            "mapped": False, "fallback_field": "Description", "duplicate_check_fields": ["Email"],
            "note": None, "tasks": [], "warnings": []}


def drain(cluster: TempPostgres, zoho: str, writers: int, jobs: int) -> dict[str, Any]:
    """Queue ``jobs`` writes and time their drain by ``writers`` writer processes."""
    url = cluster.new_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "TZOMET_"))}
    env.update({"TZOMET_DB_URL": url, "TZOMET_DATA_DIR": tempfile.mkdtemp(prefix="tzomet-scale-"),
                "ZOHO_CLIENT_ID": "bench", "ZOHO_CLIENT_SECRET": "bench", "ZOHO_REFRESH_TOKEN": "bench",
                "ZOHO_API_URL": zoho, "ZOHO_ACCOUNTS_URL": f"{zoho}/oauth/v2/token"})
    port = free_port()
    svc = start([str(BIN / "tzomet"), "serve", "--port", str(port), "--workers", str(writers)], env)
    store = Store(url)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/readyz", timeout=120)
        time.sleep(1)
        started = time.perf_counter()
        with cf.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: store.enqueue("update-zoho", _payload(i), idempotency_key=f"scale-{i}"),
                          range(jobs)))
        queued = time.perf_counter() - started
        while store.depth("update-zoho"):
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    finally:
        stop(svc)
    rows = store._run("SELECT status, COUNT(*) FROM tz_jobs GROUP BY status", fetch="all")
    store.close()
    return {"writers": writers, "jobs": jobs, "seconds": round(elapsed, 2), "queue_seconds": round(queued, 2),
            "writes_per_s": round(jobs / elapsed, 1), "statuses": dict(rows)}


def classify(instances: int, seconds: int) -> dict[str, Any]:
    """classify-lead requests per second over ``instances`` instances of two workers each."""
    env = {**os.environ, "TZOMET_DATA_DIR": tempfile.mkdtemp(prefix="tzomet-scale-")}
    env.pop("TZOMET_API_KEYS", None)
    ports = [free_port() for _ in range(instances)]
    procs = [start([str(BIN / "tzomet"), "serve", "--port", str(p), "--workers", "2"], env) for p in ports]
    bodies = rotation("classify-lead")
    try:
        for p in ports:
            wait_until_up(f"http://127.0.0.1:{p}/readyz", timeout=120)
        time.sleep(1)
        with cf.ThreadPoolExecutor(instances) as pool:
            runs = list(pool.map(lambda p: wrk(f"http://127.0.0.1:{p}/v1/classify-lead", bodies), ports))
    finally:
        for proc in procs:
            stop(proc)
    return {"instances": instances, "rps": round(sum(r["rps"] for r in runs), 1),
            "p99_ms": max(r["p99_ms"] for r in runs), "non_2xx": sum(r["non_2xx"] for r in runs), "seconds": seconds}


def plot(report: dict[str, Any], path: Path) -> None:
    """Two bar charts: drain writes/s by writer processes, classify req/s by instances."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.6))
    drains = report["drain"]
    left.bar([str(d["writers"]) for d in drains], [d["writes_per_s"] for d in drains], color="#3b7dd8")
    left.set(title="update-zoho outbox drain", xlabel="writer processes", ylabel="writes / s")
    runs = report["classify"]
    right.bar([str(c["instances"]) for c in runs], [c["rps"] for c in runs], color="#2a9d8f")
    right.set(title="classify-lead over HTTP", xlabel="instances (2 workers each)", ylabel="requests / s")
    fig.suptitle(f"one machine, {os.cpu_count()} cores: load generator, emulator and PostgreSQL included",
                 fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    """Run both measurements; print and save them."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("BENCH_SECONDS", "10")))
    args = parser.parse_args()
    bindir = find_binaries()
    if bindir is None:
        print("make bench-scale needs PostgreSQL's server binaries: apt-get install postgresql", file=sys.stderr)
        return 2
    cluster = TempPostgres(bindir).start()
    zport = free_port()
    zoho = f"http://127.0.0.1:{zport}"
    emulator = subprocess.Popen([sys.executable, "-m", "tests.zoho_emulator", "--port", str(zport)], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    report: dict[str, Any] = {"cpus": os.cpu_count(), "drain": [], "classify": []}
    try:
        wait_until_up(f"{zoho}/__emulator__/state")
        for n in args.writers:
            report["drain"].append(drain(cluster, zoho, n, args.jobs))
            print(json.dumps(report["drain"][-1]), flush=True)
        for n in args.instances:
            report["classify"].append(classify(n, args.seconds))
            print(json.dumps(report["classify"][-1]), flush=True)
    finally:
        stop(emulator)
        cluster.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale.json").write_text(json.dumps(report, indent=2))
    plot(report, RESULTS / "scale.png")
    print(f"wrote {RESULTS / 'scale.json'} and {RESULTS / 'scale.png'}")
    ok = all(d["statuses"] == {"succeeded": d["jobs"]} for d in report["drain"])
    return 0 if ok and not any(c["non_2xx"] for c in report["classify"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
