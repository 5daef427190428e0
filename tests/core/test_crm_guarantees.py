"""The outbox's guarantees, the same test for every CRM action (update-zoho, -hubspot, -monday), each against
its emulator over HTTP, through `tzomet serve` (gunicorn, 2 workers): accepted means written exactly once —
across an outage, a 429 storm, 20 concurrent requests with one key, and a SIGKILL of the service mid-drain."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.conftest import MODELS_DIR
from tests.crm_jobs import wait_job
from tests.hubspot_emulator import HubSpotEmulator
from tests.monday_emulator import BOARD, MondayEmulator
from tests.service import Service
from tests.zoho_emulator import EmulatorServer

OPTIONS = {"backoff_base_s": 0.2, "backoff_max_s": 0.5, "poll_interval_s": 0.2, "wait_seconds": 0.3,
           "connect_timeout_s": 1, "read_timeout_s": 3, "max_attempts": 1000, "lease_s": 3}


@dataclass
class Crm:
    """One CRM: its action, its emulator, how to address it and count what it holds."""

    action: str
    emulator: Any
    env: dict[str, str]
    body: Callable[[int], dict[str, Any]]
    emails: Callable[[], list[str]]
    throttle: Callable[[int], None]


def _zoho() -> Crm:
    emu = EmulatorServer().start()
    return Crm("update-zoho", emu, {"ZOHO_CLIENT_ID": "c", "ZOHO_CLIENT_SECRET": "s", "ZOHO_REFRESH_TOKEN": "r",
                                    "ZOHO_API_URL": emu.url, "ZOHO_ACCOUNTS_URL": emu.token_url},
               lambda i: {"record": {"Last_Name": f"לקוח {i}", "Email": f"g{i}@example.co.il"}},
               lambda: [str(r.get("Email")) for r in emu.records("Leads")],
               lambda n: emu.configure(throttle_next=n, retry_after=0))


def _hubspot() -> Crm:
    emu = HubSpotEmulator().start()
    return Crm("update-hubspot", emu, {"HUBSPOT_TOKEN": emu.state.token, "HUBSPOT_API_URL": emu.url},
               lambda i: {"record": {"lastname": f"לקוח {i}", "email": f"g{i}@example.co.il"}},
               lambda: [str(r["properties"].get("email")) for r in emu.records("contacts")],
               lambda n: emu.configure(throttle_next=n, retry_after=0))


def _monday() -> Crm:
    emu = MondayEmulator().start()
    return Crm("update-monday", emu, {"MONDAY_TOKEN": emu.state.token, "MONDAY_API_URL": emu.api_url,
                                      "MONDAY_BOARD_ID": BOARD},
               lambda i: {"name": f"לקוח {i}", "record": {"email": {"email": f"g{i}@example.co.il", "text": "x"}}},
               lambda: [str(i["column_values"]["email"]["email"]) for i in emu.items()],
               lambda n: emu.configure(throttle_next=n, retry_after=0))


@pytest.fixture(params=["zoho", "hubspot", "monday"])
def crm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Crm, Service]]:
    target = {"zoho": _zoho, "hubspot": _hubspot, "monday": _monday}[request.param]()
    config = tmp_path / "tzomet.json"
    config.write_text(json.dumps({"actions": {target.action: OPTIONS}}))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "HUBSPOT_", "MONDAY_", "TZOMET_"))}
    env.update({"TZOMET_DATA_DIR": str(tmp_path / "data"), "TZOMET_CONFIG": str(config),
                "TZOMET_MODELS_DIR": str(MODELS_DIR), **target.env})
    service = Service(env, tmp_path / "serve.log").start()
    yield target, service
    service.stop()
    target.emulator.stop()


def _post(service: Service, crm: Crm, body: dict[str, Any]) -> requests.Response:
    for _ in range(100):  # a killed service: n8n's retry sends it again
        try:
            return requests.post(f"{service.url}/v1/{crm.action}", json=body, timeout=30)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("the service never came back")


def _settle(service: Service, answers: list[requests.Response]) -> None:
    for a in answers:
        assert a.status_code in (200, 202), a.text
        if a.status_code == 202:
            assert wait_job(service.url, a.json()["job_id"], timeout=60)["status"] == "succeeded"


def test_an_outage_loses_nothing_and_writes_once(crm: tuple[Crm, Service]) -> None:
    target, service = crm
    target.emulator.stop()
    answers = [_post(service, target, {**target.body(i), "idempotency_key": f"out-{i}"}) for i in range(8)]
    assert all(a.status_code == 202 for a in answers)
    target.emulator.start()
    _settle(service, answers)
    again = [_post(service, target, {**target.body(i), "idempotency_key": f"out-{i}"}) for i in range(8)]
    assert all(a.status_code == 200 and a.headers["Idempotent-Replayed"] == "true" for a in again)
    assert sorted(target.emails()) == sorted(f"g{i}@example.co.il" for i in range(8))


def test_a_429_storm_writes_each_once(crm: tuple[Crm, Service]) -> None:
    target, service = crm
    # One write first, so the storm meets the writes, not the clients' start (token, metadata).
    _settle(service, [_post(service, target, {**target.body(99), "idempotency_key": "warm"})])
    target.throttle(20)
    with cf.ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda i: _post(service, target, {**target.body(i), "idempotency_key": f"s-{i}"}),
                                range(12)))
    _settle(service, answers)
    assert sorted(target.emails()) == sorted(f"g{i}@example.co.il" for i in [*range(12), 99])


def test_twenty_concurrent_requests_with_one_key_write_once(crm: tuple[Crm, Service]) -> None:
    target, service = crm
    note = {"update": "פעם אחת"} if target.action == "update-monday" else {"note": {"content": "פעם אחת"}}
    body = {**target.body(0), "idempotency_key": "same", **note}
    with cf.ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda _: _post(service, target, body), range(20)))
    _settle(service, answers)
    assert target.emails() == ["g0@example.co.il"]
    assert len({a.json().get("job_id") for a in answers}) == 1


def test_a_sigkill_mid_drain_loses_nothing_and_writes_once(crm: tuple[Crm, Service]) -> None:
    target, service = crm
    target.emulator.stop()
    answers = [_post(service, target, {**target.body(i), "idempotency_key": f"k-{i}"}) for i in range(30)]
    assert all(a.status_code == 202 for a in answers)
    target.emulator.start()
    deadline = time.monotonic() + 30
    while len(target.emails()) < 5 and time.monotonic() < deadline:  # the drain is under way
        time.sleep(0.02)
    service.kill()
    service.start()
    _settle(service, answers)
    counts = Counter(target.emails())
    assert sorted(counts) == sorted(f"g{i}@example.co.il" for i in range(30)) and max(counts.values()) == 1
