"""Hardening of the HTTP edge: stalled bodies, per-item rate limits, malformed chunked bodies,
and gunicorn's own errors as problem+json.

The gunicorn findings are checked against `tzomet serve --workers 2` in a subprocess (one per
module) over raw sockets, so the bytes on the wire are exactly what a hostile client sends.
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from nodes.core.config import hash_key
from tests.conftest import MODELS_DIR
from tests.service import Service

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """One `tzomet serve --workers 2` (no keys, echo enabled) for the module."""
    tmp = tmp_path_factory.mktemp("hardening")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZOHO_", "TZOMET_"))}
    env.update({"TZOMET_DATA_DIR": str(tmp / "data"), "TZOMET_MODELS_DIR": str(MODELS_DIR),
                "TZOMET_ENABLE_ECHO": "1"})
    svc = Service(env, tmp / "service.log").start()
    yield svc
    svc.stop()


def _exchange(url: str, raw: bytes, timeout: float = 15) -> bytes:
    """Send ``raw`` on a fresh connection and return everything the server answers until it closes."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        sock.sendall(raw)
        received = b""
        try:
            while data := sock.recv(65536):
                received += data
        except ConnectionResetError:  # the server may reset after answering what it could not read
            pass
    return received


def _parse(response: bytes) -> tuple[int, dict[str, str], bytes]:
    """Status, lower-cased headers and body of one raw HTTP/1.1 response (Content-Length framed)."""
    head, _, body = response.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body[: int(headers.get("content-length", len(body)))]


def _assert_problem(response: bytes, status: int) -> dict[str, Any]:
    got, headers, body = _parse(response)
    assert got == status, response[:500]
    assert headers["content-type"].startswith(PROBLEM), response[:500]
    problem = json.loads(body)
    assert problem["status"] == status and problem["type"] and problem["title"] and problem["detail"]
    assert b"<html" not in body.lower() and b"Traceback" not in body
    return problem


# --- 1. stalled bodies ---------------------------------------------------------------------

def _stall(url: str, length: int = 100_000) -> socket.socket:
    """A client that sends headers and half of a ``length``-byte body, then stops sending."""
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(f"POST /v1/classify-lead HTTP/1.1\r\nHost: {parts.hostname}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n".encode()
                 + b'{"text": "' + b"a" * (length // 2))
    return sock


def _answers(sockets: list[socket.socket], timeout: float) -> list[bytes]:
    """What the server sends on each socket until it closes it (``timeout`` in all)."""
    deadline = time.monotonic() + timeout
    answers = []
    for sock in sockets:
        answer = b""
        try:
            while True:
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                if not (data := sock.recv(65536)):
                    break
                answer += data
        except ConnectionResetError:
            pass
        answers.append(answer)
    return answers


def _normal_requests_seconds(url: str) -> float:
    """How long a GET /healthz and a POST /v1/classify-lead take together (both must succeed)."""
    started = time.monotonic()
    health = requests.get(f"{url}/healthz", timeout=60)
    lead = requests.post(f"{url}/v1/classify-lead", json={"text": "שלום, כמה עולה מנוי?"}, timeout=60)
    assert health.status_code == 200 and lead.status_code == 200, lead.text
    return time.monotonic() - started


def test_sixteen_stalled_bodies_do_not_block_normal_requests(service: Service) -> None:
    stalled = [_stall(service.url) for _ in range(16)]
    try:
        time.sleep(1.0)  # let both workers take every stalled connection
        elapsed = _normal_requests_seconds(service.url)
        assert elapsed < 2.5, f"normal requests waited {elapsed:.1f}s behind stalled bodies"
        # The server stops waiting for a stalled body (TZOMET_BODY_TIMEOUT_S, 10 s): 408, then it closes.
        answers = _answers(stalled, timeout=20)
        for answer in answers:
            problem = _assert_problem(answer, 408)
            assert "body" in problem["detail"] and _parse(answer)[1]["connection"] == "close"
        # Closing those connections (the clients keep their ends open) does not hold up anyone else.
        elapsed = _normal_requests_seconds(service.url)
        assert elapsed < 2.5, f"normal requests waited {elapsed:.1f}s while stalled clients were dropped"
    finally:
        for sock in stalled:
            sock.close()


def test_nginx_config_buffers_bodies_and_bounds_them() -> None:
    conf = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    directives = {m.group(1): m.group(2).strip() for m in re.finditer(r"^\s*([a-z_]+)\s+([^;{]*);", conf, re.M)}
    assert directives["proxy_request_buffering"] == "on"
    assert directives["client_max_body_size"] == "25m"
    for name in ("client_body_buffer_size", "client_body_timeout", "client_header_timeout", "proxy_read_timeout",
                 "proxy_pass"):
        assert name in directives, name
    docs = (ROOT / "docs" / "deployment.md").read_text(encoding="utf-8")
    assert "deploy/nginx.conf" in docs
    assert "docs/deployment.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "deployment.md" in (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")


# --- 2. a batch takes one rate-limit token per item ------------------------------------------

def test_batch_takes_one_token_per_item(serve: Any, tmp_path: Path) -> None:
    config = tmp_path / "tenants.toml"
    config.write_text(f'[[tenants]]\nname = "small"\nkeys = ["{hash_key("small-key")}"]\n'
                      "rate_limit_per_minute = 60\n", encoding="utf-8")
    url = serve(env={"TZOMET_CONFIG": str(config)}, enable_echo=True)
    key = {"X-API-Key": "small-key"}

    def batch(n: int) -> requests.Response:
        return requests.post(f"{url}/v1/echo/batch", json={"items": [{"text": str(i)} for i in range(n)]},
                             headers=key, timeout=30)

    assert batch(50).status_code == 200  # 50 of the 60 tokens
    refused = batch(20)  # 10 left: the whole batch is refused, and takes nothing
    assert refused.status_code == 429 and refused.headers["Content-Type"].startswith(PROBLEM)
    assert int(refused.headers["Retry-After"]) >= 9  # ~10 tokens short at one per second
    assert "20" in refused.json()["detail"]
    assert batch(10).status_code == 200  # the refused batch took nothing: these 10 still fit
    assert requests.post(f"{url}/v1/echo", json={"text": "x"}, headers=key, timeout=30).status_code == 429
    too_big = batch(100)  # more than the bucket ever holds
    assert too_big.status_code == 429 and "60" in too_big.json()["detail"]


# --- 3. a malformed chunk size is 400 --------------------------------------------------------

def _chunked(size_line: bytes) -> bytes:
    return (b"POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\n{}\r\n0\r\n\r\n")


_BAD_SIZES = pytest.mark.parametrize("size_line", [b"zz", b"-2", b"2x"])


@_BAD_SIZES
def test_malformed_chunk_size_is_400_on_the_test_server(serve: Any, size_line: bytes) -> None:
    url = serve(enable_echo=True)
    problem = _assert_problem(_exchange(url, _chunked(size_line)), 400)
    assert "chunk" in problem["detail"]


@_BAD_SIZES
def test_malformed_chunk_size_is_400_under_gunicorn(service: Service, size_line: bytes) -> None:
    before = service.log.read_text()
    answer = _exchange(service.url, _chunked(size_line))
    problem = _assert_problem(answer, 400)
    assert "chunk" in problem["detail"] and _parse(answer)[1]["connection"] == "close"
    assert "Traceback" not in service.log.read_text()[len(before):]


# --- 4. gunicorn's own errors are problem+json -----------------------------------------------

@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(150)) + b"\r\n",
         431),
        (b"NOT A REQUEST LINE\r\n\r\n", 400),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
    ],
    ids=["uri-too-long", "header-too-large", "too-many-headers", "bad-request-line", "bad-header-name"],
)
def test_gunicorn_errors_are_problem_json(service: Service, raw: bytes, status: int) -> None:
    _assert_problem(_exchange(service.url, raw), status)
