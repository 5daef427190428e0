"""An agency's clients each with their own Zoho org: two tenants, two Zoho emulators (two orgs), writes
interleaved, one org down for a minute (unreachable, then hanging past the client's timeouts) — every
record lands once, in its own org, and the healthy tenant's writes are not slowed by the other's outage."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from nodes.core.config import hash_key
from tests.zoho_emulator import EmulatorServer

#: how long the clinic's org is in trouble: half of it unreachable, half hanging past the client's timeout
OUTAGE_S = float(os.environ.get("TZOMET_TEST_OUTAGE_S", "60"))


def test_two_tenants_two_orgs_one_down_for_a_minute(serve: Callable[..., str], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with EmulatorServer() as agency_org, EmulatorServer() as clinic_org:
        for name, value in (("CLINIC_ZOHO_ID", "clinic-id"), ("CLINIC_ZOHO_SECRET", "clinic-secret"),
                            ("CLINIC_ZOHO_REFRESH", "clinic-refresh")):
            monkeypatch.setenv(name, value)
        config = tmp_path / "tenants.toml"
        config.write_text(
            f'[[tenants]]\nname = "agency"\nkeys = ["{hash_key("k-agency")}"]\n'
            f'[[tenants]]\nname = "clinic"\nkeys = ["{hash_key("k-clinic")}"]\n'
            '[tenants.options.update-zoho]\nclient_id_env = "CLINIC_ZOHO_ID"\n'
            'client_secret_env = "CLINIC_ZOHO_SECRET"\nrefresh_token_env = "CLINIC_ZOHO_REFRESH"\n'
            f'dc = "eu"\napi_url = "{clinic_org.url}"\naccounts_url = "{clinic_org.token_url}"\n', encoding="utf-8")
        url = serve(env={"TZOMET_CONFIG": str(config)}, zoho_client_id="agency-id", zoho_client_secret="s",
                    zoho_refresh_token="agency-refresh", zoho_api_url=agency_org.url,
                    zoho_accounts_url=agency_org.token_url,
                    options={"update-zoho": {"backoff_base_s": 0.2, "backoff_max_s": 2, "poll_interval_s": 0.1,
                                             "wait_seconds": 1, "max_attempts": 1000, "read_timeout_s": 2,
                                             "connect_timeout_s": 1}})
        sent = {"agency": 0, "clinic": 0}

        def write(tenant: str) -> tuple[requests.Response, float]:
            i = sent[tenant]
            sent[tenant] += 1
            started = time.monotonic()
            r = requests.post(f"{url}/v1/update-zoho", headers={"X-API-Key": f"k-{tenant}"}, timeout=30, json={
                "record": {"Last_Name": f"{tenant} {i}", "Email": f"{tenant}{i}@example.co.il"},
                "idempotency_key": f"{tenant}-{i}"})
            return r, time.monotonic() - started

        before = [write(t) for _ in range(5) for t in ("agency", "clinic")]  # both orgs up
        assert all(r.status_code == 200 for r, _ in before)
        healthy = sorted(s for (r, s), t in zip(before, ("agency", "clinic") * 5, strict=True) if t == "agency")

        clinic_org.stop()  # the clinic's Zoho is unreachable, then comes back hanging past every timeout
        answers: list[tuple[str, requests.Response]] = []
        agency_seconds: list[float] = []
        began = time.monotonic()
        hanging = False
        while time.monotonic() - began < OUTAGE_S:
            if not hanging and time.monotonic() - began >= OUTAGE_S / 2:
                clinic_org.configure(latency_ms=5_000)
                clinic_org.start()
                hanging = True
            clinic, _ = write("clinic")
            answers.append(("clinic", clinic))
            agency, seconds = write("agency")
            answers.append(("agency", agency))
            agency_seconds.append(seconds)
        assert all(a.status_code == 200 for t, a in answers if t == "agency")  # not held up by the other org
        assert all(a.status_code == 202 for t, a in answers if t == "clinic")
        agency_seconds.sort()
        p50, worst = agency_seconds[len(agency_seconds) // 2], agency_seconds[-1]
        print(f"agency writes during the outage: {len(agency_seconds)}, p50 {p50 * 1000:.1f} ms, "
              f"worst {worst * 1000:.1f} ms (healthy p50 {healthy[2] * 1000:.1f} ms)")
        assert worst < 1.0 and p50 < max(0.25, 3 * healthy[2]), (p50, worst, healthy)

        clinic_org.configure(latency_ms=0)  # the org is back
        for tenant, answer in answers:
            if answer.status_code == 202:
                job_url = f"{url}/v1/jobs/{answer.json()['job_id']}"
                deadline = time.monotonic() + 60
                while requests.get(job_url, headers={"X-API-Key": f"k-{tenant}"}, timeout=10).json()["status"] != \
                        "succeeded":
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
        for org, tenant in ((agency_org, "agency"), (clinic_org, "clinic")):
            emails = sorted(r["Email"] for r in org.records("Leads"))
            assert emails == sorted(f"{tenant}{i}@example.co.il" for i in range(sent[tenant])), tenant


def test_a_tenant_account_with_a_variable_unset_is_503_naming_it(serve: Callable[..., str], tmp_path: Path) -> None:
    config = tmp_path / "tenants.toml"
    config.write_text(f'[[tenants]]\nname = "clinic"\nkeys = ["{hash_key("k-clinic")}"]\n'
                      '[tenants.options.update-zoho]\nclient_id_env = "NOPE_ID"\nclient_secret_env = "NOPE_SECRET"\n'
                      'refresh_token_env = "NOPE_REFRESH"\n', encoding="utf-8")
    url = serve(env={"TZOMET_CONFIG": str(config)})
    r = requests.post(f"{url}/v1/update-zoho", headers={"X-API-Key": "k-clinic"}, timeout=30,
                      json={"record": {"Last_Name": "x"}})
    assert r.status_code == 503 and "NOPE_ID" in r.json()["detail"], r.text
    dry = requests.post(f"{url}/v1/update-zoho", headers={"X-API-Key": "k-clinic"}, timeout=30,
                        json={"record": {"Last_Name": "x"}, "dry_run": True})
    assert dry.status_code == 200

