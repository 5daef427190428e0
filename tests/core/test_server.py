"""The common rules of the HTTP contract, over real HTTP against the live app."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from openapi_spec_validator import validate as validate_openapi

from nodes.core.config import hash_key

PROBLEM = "application/problem+json"


def _raw(url: str, method: str, path: str, body: bytes | None = None,
         headers: dict[str, str] | None = None, chunked: bool = False) -> tuple[int, dict[str, str], bytes]:
    """Send a request with http.client so bodies and framing are exactly what we say."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data


def assert_problem(resp: requests.Response, status: int, loc: str | None = None) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"].startswith(PROBLEM)
    body = resp.json()
    assert body["status"] == status
    assert body["request_id"] == resp.headers["X-Request-ID"]
    assert body["title"] and body["detail"]
    assert "Traceback" not in resp.text and "<html" not in resp.text.lower()
    if loc is not None:
        assert loc in [e["loc"] for e in body["errors"]], body
    return body


@pytest.fixture
def echo_url(serve: Any) -> str:
    return serve(enable_echo=True)


def test_action_output_carries_meta_and_request_id(echo_url: str) -> None:
    resp = requests.post(f"{echo_url}/v1/echo", json={"text": "שלום עולם"}, headers={"X-Request-ID": "abc-123"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["text"] == "שלום עולם"
    assert resp.headers["X-Request-ID"] == "abc-123"
    assert body["meta"]["request_id"] == "abc-123"
    assert set(body["meta"]) == {"request_id", "engine", "model", "model_version", "latency_ms"}
    assert body["meta"]["engine"] == "local"


def test_request_id_is_generated_and_unsafe_ids_replaced(echo_url: str) -> None:
    generated = requests.post(f"{echo_url}/v1/echo", json={"text": "x"})
    assert len(generated.headers["X-Request-ID"]) >= 16
    unsafe = requests.post(f"{echo_url}/v1/echo", json={"text": "x"}, headers={"X-Request-ID": "a b\tc" * 50})
    assert unsafe.headers["X-Request-ID"] != "a b\tc" * 50
    assert unsafe.json()["meta"]["request_id"] == unsafe.headers["X-Request-ID"]


def test_echo_is_not_routed_unless_enabled(base_url: str) -> None:
    assert_problem(requests.post(f"{base_url}/v1/echo", json={"text": "x"}), 404)


@pytest.mark.parametrize(
    ("body", "detail_word"),
    [(b"{not json", "not valid JSON"), (b"\xff\xfe{}", "UTF-8"), (b"", "empty"),
     (b'{"text": NaN}', "NaN"), (b"[" * 100000, "JSON")],
)
def test_malformed_bodies_are_400(echo_url: str, body: bytes, detail_word: str) -> None:
    resp = requests.post(f"{echo_url}/v1/echo", data=body, headers={"Content-Type": "application/json"})
    problem = assert_problem(resp, 400)
    assert detail_word in problem["detail"]


@pytest.mark.parametrize(
    ("payload", "loc"),
    [({"text": ""}, "text"), ({"text": 5}, "text"), ({}, "text"), ({"text": "x", "colour": "red"}, "colour"),
     ([1, 2], "body"), ("a string", "body"), ({"text": "x" * 10_001}, "text")],
)
def test_schema_violations_are_422_naming_the_field(echo_url: str, payload: Any, loc: str) -> None:
    assert_problem(requests.post(f"{echo_url}/v1/echo", json=payload), 422, loc)


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", "image/png", ""])
def test_wrong_content_type_is_415(echo_url: str, ctype: str) -> None:
    status, headers, data = _raw(echo_url, "POST", "/v1/echo", b'{"text": "x"}', {"Content-Type": ctype})
    assert status == 415
    assert headers["content-type"].startswith(PROBLEM)
    assert "application/json" in json.loads(data)["detail"]


def test_json_with_charset_and_vendor_suffix_is_accepted(echo_url: str) -> None:
    for ctype in ("application/json; charset=utf-8", "application/vnd.api+json"):
        status, _, data = _raw(echo_url, "POST", "/v1/echo", '{"text": "בע\\"מ"}'.encode(), {"Content-Type": ctype})
        assert status == 200, data
        assert json.loads(data)["text"] == 'בע"מ'


def test_chunked_body_is_read(echo_url: str) -> None:
    body = json.dumps({"text": "הודעה בחלקים"}).encode()
    status, _, data = _raw(echo_url, "POST", "/v1/echo", iter([body[:5], body[5:]]),
                           {"Content-Type": "application/json"}, chunked=True)
    assert status == 200
    assert json.loads(data)["text"] == "הודעה בחלקים"


def test_oversize_body_is_413_with_content_length_and_chunked(serve: Any) -> None:
    url = serve(enable_echo=True, max_body_bytes=1024)
    big = json.dumps({"text": "א" * 2000}).encode()
    resp = requests.post(f"{url}/v1/echo", data=big, headers={"Content-Type": "application/json"})
    assert_problem(resp, 413)
    status, headers, _ = _raw(url, "POST", "/v1/echo", iter([big[:500], big[500:]]),
                                 {"Content-Type": "application/json"}, chunked=True)
    assert status == 413
    assert headers["content-type"].startswith(PROBLEM)


def test_unknown_route_and_action_are_404(base_url: str) -> None:
    assert_problem(requests.get(f"{base_url}/nothing-here"), 404)
    assert_problem(requests.post(f"{base_url}/v1/translate-poem", json={}), 404)
    assert_problem(requests.get(f"{base_url}/v1/nodes/translate-poem/schema"), 404)


def test_wrong_method_is_405_with_allow(echo_url: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        resp = requests.request(method, f"{echo_url}/v1/echo")
        assert_problem(resp, 405)
        assert resp.headers["Allow"] == "POST"
    assert_problem(requests.post(f"{echo_url}/healthz"), 405)
    assert_problem(requests.post(f"{echo_url}/v1/nodes"), 405)


def test_batch_keeps_order_and_isolates_bad_items(echo_url: str) -> None:
    items = [{"text": "א"}, {"text": ""}, {"text": "ב", "extra": 1}, "not an object", {"text": "ג"}]
    resp = requests.post(f"{echo_url}/v1/echo/batch", json={"items": items})
    assert resp.status_code == 200
    results = resp.json()["results"]
    assert [r["ok"] for r in results] == [True, False, False, False, True]
    assert results[0]["output"]["text"] == "א" and results[4]["output"]["text"] == "ג"
    assert results[1]["error"]["status"] == 422 and results[1]["error"]["errors"][0]["loc"] == "text"
    assert results[2]["error"]["errors"][0]["loc"] == "extra"
    assert results[0]["output"]["meta"]["request_id"] == resp.headers["X-Request-ID"]


@pytest.mark.parametrize(
    ("payload", "loc"),
    [({"items": []}, "items"), ({}, "items"), ({"items": {"text": "x"}}, "items"),
     ({"items": [{"text": "x"}] * 101}, "items"), ({"items": [{"text": "x"}], "mode": 1}, "mode")],
)
def test_bad_batch_envelope_is_422(echo_url: str, payload: Any, loc: str) -> None:
    assert_problem(requests.post(f"{echo_url}/v1/echo/batch", json=payload), 422, loc)


def test_batch_of_100_is_accepted(echo_url: str) -> None:
    resp = requests.post(f"{echo_url}/v1/echo/batch", json={"items": [{"text": str(i)} for i in range(100)]})
    assert resp.status_code == 200
    assert [r["output"]["text"] for r in resp.json()["results"]] == [str(i) for i in range(100)]


def test_health_ready_and_metrics(echo_url: str) -> None:
    assert requests.get(f"{echo_url}/healthz").json() == {"status": "ok"}
    ready = requests.get(f"{echo_url}/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready"
    requests.post(f"{echo_url}/v1/echo", json={"text": "x"})
    requests.post(f"{echo_url}/v1/echo", json={"text": ""})
    metrics = requests.get(f"{echo_url}/metrics")
    assert metrics.headers["Content-Type"].startswith("text/plain")
    text = metrics.text
    assert 'tzomet_requests_total{action="echo",status="200"}' in text
    assert 'tzomet_requests_total{action="echo",status="422"}' in text
    assert 'tzomet_request_duration_seconds_bucket{action="echo",le="0.005",status="200"}' in text
    assert "tzomet_outbox_depth" in text


def test_discovery_lists_every_public_action_with_schemas(base_url: str) -> None:
    listed = requests.get(f"{base_url}/v1/nodes").json()["nodes"]
    from nodes.core import registry

    assert [n["name"] for n in listed] == registry.names()
    for entry in listed:
        schema = requests.get(f"{base_url}{entry['schema_url']}").json()
        assert set(schema) == {"input", "output"}
        assert schema["input"]["$schema"].endswith("2020-12/schema")
        assert "meta" in schema["output"]["required"]


def test_openapi_is_valid_31_and_covers_every_route(base_url: str) -> None:
    doc = requests.get(f"{base_url}/openapi.json").json()
    validate_openapi(doc)
    assert doc["openapi"].startswith("3.1")
    from nodes.core import registry

    for name in registry.names():
        assert f"/v1/{name}" in doc["paths"] and f"/v1/{name}/batch" in doc["paths"]
    for path in ("/v1/nodes", "/v1/nodes/{action}/schema", "/v1/jobs/{job_id}", "/healthz", "/readyz", "/metrics"):
        assert path in doc["paths"]


# --- auth ---------------------------------------------------------------------------

def test_keys_from_env_bearer_and_header(serve: Any) -> None:
    url = serve(env={"TZOMET_API_KEYS": "k-one,k-two"}, enable_echo=True)
    assert_problem(requests.post(f"{url}/v1/echo", json={"text": "x"}), 401)
    wrong = requests.post(f"{url}/v1/echo", json={"text": "x"}, headers={"X-API-Key": "k-three"})
    assert_problem(wrong, 401)
    assert "Bearer" in wrong.headers["WWW-Authenticate"]
    assert requests.post(f"{url}/v1/echo", json={"text": "x"}, headers={"Authorization": "Bearer k-one"}).ok
    assert requests.post(f"{url}/v1/echo", json={"text": "x"}, headers={"X-API-Key": "k-two"}).ok
    # discovery and health stay open
    assert requests.get(f"{url}/healthz").ok and requests.get(f"{url}/v1/nodes").ok


def _config(tmp_path: Any, body: str) -> dict[str, str]:
    path = tmp_path / "tenants.toml"
    path.write_text(body, encoding="utf-8")
    return {"TZOMET_CONFIG": str(path)}


def test_per_key_allowed_actions_give_403(serve: Any, tmp_path: Any) -> None:
    env = _config(tmp_path, f'[[tenants]]\nname = "acme"\nkeys = ["{hash_key("acme-key")}"]\n'
                            'actions = ["classify-lead"]\n')
    url = serve(env=env, enable_echo=True)
    problem = assert_problem(requests.post(f"{url}/v1/echo", json={"text": "x"}, headers={"X-API-Key": "acme-key"}),
                             403)
    assert "echo" in problem["detail"]


def test_per_key_rate_limit_gives_429_with_retry_after(serve: Any, tmp_path: Any) -> None:
    env = _config(tmp_path, f'[[tenants]]\nname = "small"\nkeys = ["{hash_key("small-key")}"]\n'
                            'rate_limit_per_minute = 3\n'
                            f'[[tenants]]\nname = "other"\nkeys = ["{hash_key("other-key")}"]\n')
    url = serve(env=env, enable_echo=True)
    statuses = [requests.post(f"{url}/v1/echo", json={"text": "x"}, headers={"X-API-Key": "small-key"}).status_code
                for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    limited = requests.post(f"{url}/v1/echo", json={"text": "x"}, headers={"X-API-Key": "small-key"})
    assert_problem(limited, 429)
    assert int(limited.headers["Retry-After"]) >= 1
    # another key is not affected
    assert requests.post(f"{url}/v1/echo", json={"text": "x"}, headers={"X-API-Key": "other-key"}).ok


# --- metrics across processes ------------------------------------------------------

_RECORD = """
import sys
from nodes.core.metrics import observe
for i in range(int(sys.argv[1])):
    observe("echo", 200, 0.002)
observe("echo", 422, 0.5)
"""


def _metric(text: str, line: str) -> float:
    """The value of the sample ``line`` (name and labels) in a Prometheus exposition; 0 if absent."""
    for row in text.splitlines():
        if row.startswith(line + " "):
            return float(row.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_of_several_processes_add_up(tmp_path: Any) -> None:
    env = {**os.environ, "TZOMET_METRICS_DIR": str(tmp_path)}
    for count in (3, 4):  # two "workers" that record and exit
        subprocess.run([sys.executable, "-c", _RECORD, str(count)], env=env, check=True, timeout=120)
    assert len(list(tmp_path.glob("*.json"))) == 2
    render = "from nodes.core.metrics import render; print(render(lambda: 5)[0].decode())"
    text = subprocess.run([sys.executable, "-c", render], env=env, check=True, timeout=120,
                          capture_output=True, text=True).stdout
    assert _metric(text, 'tzomet_requests_total{action="echo",status="200"}') == 7
    assert _metric(text, 'tzomet_requests_total{action="echo",status="422"}') == 2
    assert _metric(text, 'tzomet_request_duration_seconds_bucket{action="echo",le="0.001",status="200"}') == 0
    assert _metric(text, 'tzomet_request_duration_seconds_bucket{action="echo",le="0.0025",status="200"}') == 7
    assert _metric(text, 'tzomet_request_duration_seconds_bucket{action="echo",le="0.25",status="422"}') == 0
    assert _metric(text, 'tzomet_request_duration_seconds_bucket{action="echo",le="+Inf",status="422"}') == 2
    assert _metric(text, 'tzomet_request_duration_seconds_count{action="echo",status="200"}') == 7
    assert _metric(text, 'tzomet_request_duration_seconds_sum{action="echo",status="200"}') == pytest.approx(0.014)
    assert _metric(text, "tzomet_outbox_depth") == 5


def test_metrics_add_up_across_gunicorn_workers(tmp_path: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "TZOMET_ENABLE_ECHO": "1", "TZOMET_DATA_DIR": str(tmp_path)}
    env.pop("TZOMET_API_KEYS", None)
    tzomet = Path(sys.executable).parent / "tzomet"
    proc = subprocess.Popen([str(tzomet), "serve", "--port", str(port), "--workers", "2"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{url}/readyz", timeout=30).ok:
                    break
            except requests.RequestException:  # not listening yet, or busy loading models
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "tzomet serve did not come up"
            time.sleep(0.3)

        def call(i: int) -> int:  # a new connection each time, so both workers take some
            return requests.post(f"{url}/v1/echo", json={"text": "" if i % 4 == 0 else "שלום"}, timeout=30).status_code

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(call, range(80)))
        assert statuses.count(200) == 60 and statuses.count(422) == 20
        # Each scrape is answered by either worker; every one must report the whole service.
        seen = 0
        deadline = time.monotonic() + 30
        while seen < 6:
            text = requests.get(f"{url}/metrics", timeout=10).text
            complete = (
                _metric(text, 'tzomet_requests_total{action="echo",status="200"}') == 60
                and _metric(text, 'tzomet_requests_total{action="echo",status="422"}') == 20
                and _metric(text, 'tzomet_request_duration_seconds_count{action="echo",status="200"}') == 60
                and _metric(text, 'tzomet_request_duration_seconds_bucket{action="echo",le="+Inf",status="422"}') == 20
                and "tzomet_outbox_depth 0.0" in text
            )
            seen = seen + 1 if complete else 0
            assert time.monotonic() < deadline, text
            time.sleep(0.1)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def test_no_customer_text_stays_in_the_finders_cache_after_a_request(base_url: str) -> None:
    """The finders share work within a request through one cache; the runner empties it afterwards."""
    from nodes.text import cache

    text = "שלום, אני דנה כהן 052-7654321 dana.kohen@example.co.il, אפשר תור למחר?"
    for path, body in (("/v1/classify-lead", {"text": text}),
                       ("/v1/classify-lead/batch", {"items": [{"text": text}, {"text": text + "!"}]}),
                       ("/v1/summarize-conversation", {"messages": [{"author": "דנה", "text": text}]})):
        assert requests.post(f"{base_url}{path}", json=body, timeout=30).status_code == 200
        assert (cache.held_entries(), cache.held_bytes(), cache._last) == (0, 0, None), path
