"""An agency's clients each with their own Zoho org: two tenants, two Zoho emulators (two orgs), writes
interleaved, one org down for a while — every record lands once, in its own org, and the healthy tenant's
writes are not slowed by the other's outage."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from nodes.core.config import hash_key
from tests.zoho_emulator import EmulatorServer


def test_two_tenants_two_orgs_one_down(serve: Callable[..., str], tmp_path: Path,
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
                    options={"update-zoho": {"backoff_base_s": 0.2, "backoff_max_s": 0.5, "poll_interval_s": 0.1,
                                             "wait_seconds": 1, "max_attempts": 1000}})

        def write(key: str, i: int) -> requests.Response:
            tenant = key.split("-")[1]
            return requests.post(f"{url}/v1/update-zoho", headers={"X-API-Key": key}, timeout=30, json={
                "record": {"Last_Name": f"{tenant} {i}", "Email": f"{tenant}{i}@example.co.il"},
                "idempotency_key": f"{tenant}-{i}"})

        clinic_org.stop()  # the clinic's Zoho is down
        answers: list[tuple[str, requests.Response]] = []
        slowest = 0.0
        for i in range(6):
            answers.append(("clinic", write("k-clinic", i)))
            started = time.monotonic()
            answers.append(("agency", write("k-agency", i)))
            slowest = max(slowest, time.monotonic() - started)
        assert all(a.status_code == 200 for t, a in answers if t == "agency")  # not held up by the other org
        assert slowest < 1.0, slowest
        assert all(a.status_code == 202 for t, a in answers if t == "clinic")
        clinic_org.start()
        for _, answer in answers:
            if answer.status_code == 202:
                job_url = f"{url}/v1/jobs/{answer.json()['job_id']}"
                deadline = time.monotonic() + 30
                while requests.get(job_url, headers={"X-API-Key": "k-clinic"}, timeout=10).json()["status"] != \
                        "succeeded":
                    assert time.monotonic() < deadline
                    time.sleep(0.1)
        agency = sorted(r["Email"] for r in agency_org.records("Leads"))
        clinic = sorted(r["Email"] for r in clinic_org.records("Leads"))
        assert agency == sorted(f"agency{i}@example.co.il" for i in range(6))
        assert clinic == sorted(f"clinic{i}@example.co.il" for i in range(6))


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

