"""A tenant's knowledge base: documents read and chunked once, stored, and indexed in memory.

Adding a document reads it (:mod:`.readers`), splits it (:mod:`.chunks`), embeds each chunk and
each sentence of a chunk of several when an embedder is configured, and stores the chunks with their
vectors (float16) in the store, per tenant. The chunk's vector finds the passage; its sentences'
vectors choose the sentence that answers and say how sure that answer is. A document's id comes from
its name, so adding a file again replaces it. Every process
keeps one :class:`KnowledgeIndex` per tenant and rebuilds it when the tenant's revision changes
(checked at most once a second), so every worker and instance answers from the same documents.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from nodes.core.config import Settings
from nodes.core.limits import Deadline
from nodes.core.node import NodeError
from nodes.core.store import Store

from . import readers
from .answer import Passage
from .chunks import chunk_blocks, document_text, sentence_spans, sentence_texts
from .index import Hit, Index

#: chunks embedded per call (a batch costs less per chunk than one by one)
EMBED_BATCH = 32
#: a document of up to this many passages is embedded before ``POST /v1/knowledge`` answers (about
#: 10 s with the local embedder on one core, its sentences included); a longer one is stored at once,
#: searchable by its words, and embedded in the background
SYNC_EMBED_CHUNKS = 32
#: how often a process asks the store whether a tenant's knowledge base changed
REFRESH_S = 1.0
log = logging.getLogger("tzomet")


def document_id(name: str) -> str:
    """The id of a document called ``name`` (the same name: the same document, replaced when added again)."""
    return hashlib.sha256(name.strip().encode("utf-8")).hexdigest()[:16]


def _encode(vector: np.ndarray) -> str:
    return base64.b64encode(vector.astype(np.float16).tobytes()).decode("ascii")


def _decode(text: str, dim: int) -> np.ndarray:
    row = np.frombuffer(base64.b64decode(text), dtype=np.float16).astype(np.float32)
    return row if row.shape == (dim,) else np.zeros(dim, dtype=np.float32)


def _decode_rows(text: str, dim: int, rows: int) -> np.ndarray | None:
    """``rows`` vectors stored as one string, or ``None`` when they do not fit (another embedder's)."""
    flat = np.frombuffer(base64.b64decode(text), dtype=np.float16).astype(np.float32)
    return flat.reshape(rows, dim) if flat.size == rows * dim else None


def sentence_vectors(chunk: dict[str, Any], dim: int) -> np.ndarray | None:
    """A chunk's sentences' vectors, one row per :func:`.chunks.sentence_spans` span: stored for a chunk
    of several sentences, the chunk's own vector for a chunk of one; ``None`` when it has none (a
    document embedded before sentences were, or not embedded)."""
    spans = len(sentence_spans(str(chunk["text"]), str(chunk["kind"])))
    if chunk.get("sentence_vectors"):
        return _decode_rows(chunk["sentence_vectors"], dim, spans)
    if spans == 1 and chunk.get("vector"):
        return _decode(chunk["vector"], dim)[None, :]
    return None


def embed_text(chunk: dict[str, Any]) -> str:
    """What a chunk is embedded (and lexically indexed) as: its heading path, then its text."""
    return f"{chunk['heading']}\n{chunk['text']}" if chunk.get("heading") else str(chunk["text"])


Embed = Callable[[list[str]], np.ndarray]


def _embed_chunks(chunks: list[dict[str, Any]], embed: Embed, deadline: Deadline | None = None) -> None:
    """Give every chunk its ``vector`` and, when it has several sentences, its ``sentence_vectors``,
    a batch at a time (a chunk of one sentence answers with its own vector)."""
    todo: list[tuple[dict[str, Any], str, int]] = []  # (chunk, text, its sentence or -1 for the chunk)
    for chunk in chunks:
        todo.append((chunk, embed_text(chunk), -1))
        sentences = sentence_texts(chunk)
        if len(sentences) > 1:
            todo.extend((chunk, text, i) for i, text in enumerate(sentences))
    rows: dict[int, list[np.ndarray]] = {}
    for i in range(0, len(todo), EMBED_BATCH):
        if deadline is not None:
            deadline.check()
        batch = todo[i:i + EMBED_BATCH]
        for (chunk, _, sentence), row in zip(batch, embed([text for _, text, _ in batch]), strict=True):
            if sentence < 0:
                chunk["vector"] = _encode(row)
            else:
                rows.setdefault(id(chunk), []).append(row)
    for chunk in chunks:
        if id(chunk) in rows:
            chunk["sentence_vectors"] = _encode(np.stack(rows[id(chunk)]).ravel())


def read(name: str, data: bytes, content_type: str | None, settings: Settings, deadline: Deadline,
         embed: Embed | None = None, embed_up_to: int | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read, chunk and (with ``embed``) embed one document: ``(info, chunks)`` ready for :meth:`Store.kb_put`.
    A document of more than ``embed_up_to`` chunks is not embedded here: ``info["dense_pending"]`` says so."""
    kind = readers.media_type(name, content_type, data)
    blocks = readers.read_blocks(data, kind, settings, deadline)
    chunks = [c.as_dict() for c in chunk_blocks(blocks)]
    if not chunks:
        raise NodeError(422, f"No text could be read from {name!r}.", errors=[{"loc": "file", "msg": "no text"}])
    info: dict[str, Any] = {"media_type": kind, "chars": len(document_text(blocks)), "chunks": len(chunks),
                            "dense": False}
    if embed is not None and embed_up_to is not None and len(chunks) > embed_up_to:
        info["dense_pending"] = True
    elif embed is not None:
        _embed_chunks(chunks, embed, deadline)
        info["dense"] = True
    return info, chunks


def add(store: Store, tenant: str, name: str, data: bytes, content_type: str | None, settings: Settings,
        deadline: Deadline, embed: Embed | None = None, embed_up_to: int | None = None) -> dict[str, Any]:
    """Read ``data`` and store it as the tenant's document ``name``; return its listing (see :func:`listing`).
    Past ``embed_up_to`` chunks, it is stored without vectors and embedded in the background
    (:data:`EMBEDDING`); its words answer at once, its meaning once that is done."""
    info, chunks = read(name, data, content_type, settings, deadline, embed, embed_up_to)
    doc_id, sha256, added_at = document_id(name), hashlib.sha256(data).hexdigest(), time.time()
    store.kb_put(tenant, doc_id, name, sha256, info, chunks, added_at)
    INDEXES.forget(store, tenant)
    if info.get("dense_pending") and embed is not None:
        EMBEDDING.submit(store, tenant, doc_id, sha256, embed)
    return listing((doc_id, name, sha256, added_at, info))


def embed_stored(store: Store, tenant: str, doc_id: str, sha256: str, embed: Embed) -> bool:
    """Embed a stored document's passages and store them again, unless it was replaced or deleted
    meanwhile; whether it was."""
    rows = store.kb_docs(tenant, doc_id, with_chunks=True)
    if not rows or rows[0][2] != sha256:
        return False
    _, name, _, added_at, info, chunks = rows[0]
    _embed_chunks(chunks, embed)
    again = store.kb_docs(tenant, doc_id)
    if not again or again[0][2] != sha256:
        return False  # replaced while it was being embedded: the new one has its own
    info = {k: v for k, v in info.items() if k != "dense_pending"} | {"dense": True}
    store.kb_put(tenant, doc_id, name, sha256, info, chunks, added_at)
    INDEXES.forget(store, tenant)
    return True


def _not_pending(store: Store, tenant: str, doc_id: str, sha256: str) -> None:
    """Say a document is no longer being embedded (its embedding failed: ``dense`` stays false)."""
    rows = store.kb_docs(tenant, doc_id, with_chunks=True)
    if rows and rows[0][2] == sha256 and rows[0][4].get("dense_pending"):
        _, name, _, added_at, info, chunks = rows[0]
        store.kb_put(tenant, doc_id, name, sha256, {k: v for k, v in info.items() if k != "dense_pending"},
                     chunks, added_at)


class BackgroundEmbedding:
    """One thread per process that embeds the long documents ``POST /v1/knowledge`` stored without
    vectors, one at a time, in the order they came. Best effort: a document whose process stops
    first keeps ``dense_pending`` and is searched by its words until ``tzomet kb embed`` finishes it."""

    def __init__(self) -> None:
        self._queue: list[tuple[Store, str, str, str, Embed]] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._working = 0

    def submit(self, store: Store, tenant: str, doc_id: str, sha256: str, embed: Embed) -> None:
        """Queue a stored document for embedding."""
        with self._cond:
            self._queue.append((store, tenant, doc_id, sha256, embed))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="tzomet-kb-embed", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: bool(self._queue), timeout=60):
                    self._thread = None  # idle for a minute: the next submit starts another
                    return
                store, tenant, doc_id, sha256, embed = self._queue.pop(0)
                self._working += 1
            try:
                embed_stored(store, tenant, doc_id, sha256, embed)
            except Exception:  # the embedder or the store failed: the document keeps answering by its words
                log.exception("answer-question: embedding document %s of tenant %s in the background failed",
                              doc_id, hashlib.sha256(tenant.encode()).hexdigest()[:12])
                with contextlib.suppress(Exception):
                    _not_pending(store, tenant, doc_id, sha256)
            finally:
                with self._cond:
                    self._working -= 1
                    self._cond.notify_all()

    def idle(self, timeout: float = 60.0) -> bool:
        """Wait until nothing is queued or being embedded (tests); whether it got there."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._queue and not self._working, timeout=timeout)


EMBEDDING = BackgroundEmbedding()


def listing(row: tuple[Any, ...]) -> dict[str, Any]:
    """A stored document as ``GET /v1/knowledge`` shows it."""
    doc_id, name, sha256, added_at, info = row[:5]
    return {"id": doc_id, "document": name, "sha256": sha256,
            "added_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(added_at)), "dense_pending": False, **info}


@dataclass
class KnowledgeIndex:
    """A tenant's documents ready to answer from."""

    revision: str | None
    passages: list[Passage]
    index: Index
    documents: int

    @classmethod
    def build(cls, revision: str | None, rows: list[tuple[Any, ...]], dim: int | None) -> KnowledgeIndex:
        """From :meth:`Store.kb_docs` rows (with chunks); a chunk without a vector (a document added without
        meaning, or still being embedded) has a zero row, and is found by its words alone."""
        passages: list[Passage] = []
        texts: list[str] = []
        vectors: list[np.ndarray] = []
        for _, name, _, _, _, chunks in rows:
            for chunk in chunks:
                passages.append(Passage(name, chunk["heading"], chunk["text"], int(chunk["start"]), chunk["kind"],
                                        Hit(len(passages), 0.0, 0.0, None),
                                        sentence_vectors(chunk, dim) if dim else None))
                texts.append(embed_text(chunk))
                if dim:
                    vectors.append(_decode(chunk["vector"], dim) if chunk.get("vector")
                                   else np.zeros(dim, dtype=np.float32))
        matrix = np.stack(vectors) if dim and vectors else None
        if matrix is not None and not matrix.any():
            matrix = None  # nothing embedded: the words alone
        return cls(revision, passages, Index(texts, matrix), len(rows))


class IndexCache:
    """Each tenant's :class:`KnowledgeIndex` in this process, rebuilt when its revision changes."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], tuple[float, KnowledgeIndex]] = {}
        self._lock = threading.Lock()

    def get(self, store: Store, tenant: str, dim: int | None) -> KnowledgeIndex:
        """The tenant's index, re-reading the store when its revision changed (asked at most once a second)."""
        key = (store.url, tenant)
        now = time.monotonic()
        held = self._held.get(key)
        if held is not None and now - held[0] < REFRESH_S:
            return held[1]
        revision = store.kb_revision(tenant)
        if held is not None and held[1].revision == revision:
            self._held[key] = (now, held[1])
            return held[1]
        with self._lock:
            built = KnowledgeIndex.build(revision, store.kb_docs(tenant, with_chunks=True), dim)
            self._held[key] = (now, built)
        return built

    def forget(self, store: Store, tenant: str) -> None:
        """Drop the tenant's index here (this process changed its documents; the others see it within a second)."""
        with self._lock:
            self._held.pop((store.url, tenant), None)

    def clear(self) -> None:
        """Forget every index (tests)."""
        with self._lock:
            self._held.clear()


INDEXES = IndexCache()


def search(kindex: KnowledgeIndex, question: str, limit: int, query: np.ndarray | None = None) -> list[Passage]:
    """The best ``limit`` passages of ``kindex`` for ``question`` (``query``: its vector, when it was embedded),
    each with its :class:`Hit`."""
    return [replace(kindex.passages[hit.chunk], hit=hit) for hit in kindex.index.search(question, limit, query)]
