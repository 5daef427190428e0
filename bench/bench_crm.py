"""Benchmark update-hubspot or update-monday against its emulator: accepted-write latency, then drain.

The emulator runs in this process (a thread); the service is ``tzomet serve --workers 2`` in a
subprocess on SQLite. ``--requests`` sequential writes (each a new record with its own key) give
p50/p90/p99 of an accepted write; then ``--backlog`` writes are queued while the CRM is down and the
time from its return to the last one written gives the drain rate. (update-zoho: bench_zoho.py and
make bench-scale.)

    .venv/bin/python bench/bench_crm.py --crm hubspot --requests 200 --backlog 500
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_zoho import _free_port, _pct, _wait  # noqa: E402

from nodes.core.store import Store  # noqa: E402
from tests.hubspot_emulator import HubSpotEmulator  # noqa: E402
from tests.monday_emulator import BOARD, MondayEmulator  # noqa: E402


def main() -> int:
    """Run both measurements; print them and write bench/results/hubspot.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--backlog", type=int, default=500)
    parser.add_argument("--crm", choices=["hubspot", "monday"], default="hubspot")
    args = parser.parse_args()
    action = f"update-{args.crm}"
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the emulator's access log
    tmp = Path(tempfile.mkdtemp(prefix="tzomet-bench-"))
    emulator: Any = (HubSpotEmulator() if args.crm == "hubspot" else MondayEmulator()).start()
    port = _free_port()
    service = f"http://127.0.0.1:{port}"
    config = tmp / "tzomet.json"
    config.write_text(json.dumps({"actions": {action: {"wait_seconds": 0.2, "poll_interval_s": 0.2,
                                                                 "backoff_base_s": 0.2, "backoff_max_s": 1,
                                                                 "max_attempts": 1000}}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HUBSPOT_", "MONDAY_", "TZOMET_"))}
    env.update({"TZOMET_DATA_DIR": str(tmp / "data"), "TZOMET_CONFIG": str(config)})
    if args.crm == "hubspot":
        env.update({"HUBSPOT_TOKEN": emulator.state.token, "HUBSPOT_API_URL": emulator.url})
    else:
        env.update({"MONDAY_TOKEN": emulator.state.token, "MONDAY_API_URL": emulator.api_url,
                    "MONDAY_BOARD_ID": BOARD})
    log = (tmp / "service.log").open("wb")
    server = subprocess.Popen([sys.executable, "-c", "from nodes.cli import main; main()", "serve", "--port",
                               str(port), "--workers", "2"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        _wait(f"{service}/readyz", server, "tzomet serve")
        session = requests.Session()

        def write(i: int, tag: str) -> requests.Response:
            email = f"{tag}{i}@bench.example"
            body = ({"record": {"email": email, "lastname": f"Bench {i}"}} if args.crm == "hubspot" else
                    {"name": f"Bench {i}", "record": {"email": {"email": email, "text": email}}})
            return session.post(f"{service}/v1/{action}", timeout=30, json={**body, "idempotency_key": f"{tag}-{i}"})

        for i in range(20):
            write(i, "warm")
        latencies, statuses = [], {}
        for i in range(args.requests):
            started = time.perf_counter()
            r = write(i, "run")
            latencies.append((time.perf_counter() - started) * 1000)
            statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        emulator.stop()
        for i in range(args.backlog):
            write(i, "backlog")
        store = Store(f"sqlite:///{tmp / 'data' / 'tzomet.db'}")
        emulator.start()
        started = time.perf_counter()
        while store.depth(action):
            time.sleep(0.05)
        drain_s = time.perf_counter() - started
        written = len(emulator.records("contacts")) if args.crm == "hubspot" else len(emulator.items())
        report = {"crm": args.crm, "requests": args.requests, "statuses": statuses,
                  "p50_ms": round(_pct(latencies, 50), 2), "p90_ms": round(_pct(latencies, 90), 2),
                  "p99_ms": round(_pct(latencies, 99), 2), "backlog": args.backlog,
                  "drain_seconds": round(drain_s, 2), "drain_writes_per_s": round(args.backlog / drain_s, 1),
                  "records": written}
        print(json.dumps(report, indent=2))
        out = ROOT / "bench" / "results"
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{args.crm}.json").write_text(json.dumps(report, indent=2))
        return 0 if written == 20 + args.requests + args.backlog else 1
    finally:
        server.terminate()
        server.wait(timeout=30)
        emulator.stop()
        log.close()


if __name__ == "__main__":
    raise SystemExit(main())
