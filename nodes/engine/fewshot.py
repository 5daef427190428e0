"""Labels from a few examples: classification by similarity, by words and by meaning.

A request (or a tenant) may bring its own label set, as n8n's Text Classifier does: each
label has a name, a description and a few examples. Each label's documents (its
name-and-description, then its examples) are seen two ways:

* the lexical view: the TF-IDF vectors of the shipped model's featuriser (words and
  character n-grams: spelling, product names, codes);
* the semantic view, when an embedder is configured (:mod:`nodes.engine.embed`): the
  multilingual e5 embeddings of the same documents (paraphrase, another language).

In each view a message is scored by its cosine similarity to each label's centroid and to
its closest examples; the similarities become probabilities by a softmax, and the two
views' probabilities are mixed (:data:`SEMANTIC_WEIGHT`). Without an embedder, or when it
fails, the lexical view answers alone and :func:`classify` says so.

The label side is the expensive part and the same for every message sent with one label
set, so it is computed once per label set, model and embedder (:func:`label_side`, a small
cache keyed by a hash of all three): a message then costs its own features, its embedding
and a few products.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy import sparse

from nodes.engine.embed import EmbeddingUnavailable, unit_rows

#: softmax temperature over the lexical cosine similarities (smaller: more confident)
TEMPERATURE = 0.05
#: softmax temperature over the e5 cosine similarities (they lie close together, ~0.7-0.95)
SEMANTIC_TEMPERATURE = 0.02
#: the semantic view's share of the mixed probabilities
SEMANTIC_WEIGHT = 0.7
#: examples of a label whose similarities are averaged as its "closest examples"
TOP_EXAMPLES = 2
#: label sets kept per process (a few per tenant; each holds only sparse vectors of short texts)
CACHED_LABEL_SETS = 128


class Label(Protocol):
    """What a label brings: ``name``, ``description`` and ``examples`` (any object with these)."""

    name: str
    description: str
    examples: list[str]


@dataclass(frozen=True)
class LabelSide:
    """A label set in a model's feature space, ready to score messages against."""

    names: tuple[str, ...]
    #: one l2-normalised row per document (each label's name-and-description, then its examples)
    docs: sparse.csr_matrix
    #: index of each label's first document in :attr:`docs` (its documents are contiguous)
    starts: np.ndarray
    #: one l2-normalised centroid row per label
    centroids: sparse.csr_matrix
    #: the same documents embedded (dense, l2-normalised), when an embedder was given
    vectors: np.ndarray | None = None
    #: one l2-normalised embedding centroid per label
    vector_centroids: np.ndarray | None = None


def _normalise_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def _documents(labels: Sequence[Label]) -> tuple[list[str], list[int]]:
    """Each label's documents (its name-and-description, then its examples) and where they start."""
    docs: list[str] = []
    starts: list[int] = []
    for label in labels:
        starts.append(len(docs))
        docs.append(f"{label.name.replace('_', ' ')} {label.description}".strip())
        docs.extend(label.examples)
    return docs, starts


def build_label_side(featurize: Callable[[list[str]], Any], labels: Sequence[Label],
                     embedder: Any = None) -> LabelSide:
    """The label side of ``labels``: their documents' vectors and centroids (``featurize`` gives CSR
    rows; ``embedder``, when given, the embeddings too — all documents in one batch)."""
    docs, starts = _documents(labels)
    # embedded first: an embedder that fails (EmbeddingUnavailable) does so before any other work
    dense = embedder.embed(docs, "query") if embedder is not None else None
    vectors = _normalise_rows(sparse.csr_matrix(featurize(docs)))
    counts = np.diff([*starts, len(docs)])
    # the mean of each label's rows: a (labels x docs) averaging matrix times the documents
    owners = np.repeat(np.arange(len(labels)), counts)
    averaging = sparse.csr_matrix((1.0 / counts[owners], (owners, np.arange(len(docs)))),
                                  shape=(len(labels), len(docs)))
    dense_centroids = unit_rows(np.asarray(averaging @ dense)) if dense is not None else None
    return LabelSide(names=tuple(label.name for label in labels), docs=vectors,
                     starts=np.asarray(starts, dtype=np.intp), centroids=_normalise_rows(averaging @ vectors),
                     vectors=dense, vector_centroids=dense_centroids)


class _LabelSides:
    """The label sides of the label sets seen lately, keyed by a hash of (model version, label set)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._sides: OrderedDict[str, LabelSide] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(model_version: str, labels: Sequence[Label], embedder_version: str = "") -> str:
        plain = [[label.name, label.description, list(label.examples)] for label in labels]
        blob = json.dumps([model_version, embedder_version, plain], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, model_version: str, featurize: Callable[[list[str]], Any], labels: Sequence[Label],
            embedder: Any = None) -> LabelSide:
        key = self.key(model_version, labels, embedder.version if embedder is not None else "")
        with self._lock:
            side = self._sides.get(key)
            if side is not None:
                self._sides.move_to_end(key)
                return side
        side = build_label_side(featurize, labels, embedder)  # outside the lock: other threads go on meanwhile
        with self._lock:
            self._sides[key] = side
            while len(self._sides) > self.size:
                self._sides.popitem(last=False)
        return side

    def clear(self) -> None:
        with self._lock:
            self._sides.clear()


_sides = _LabelSides(CACHED_LABEL_SETS)


def label_side(model: Any, labels: Sequence[Label], embedder: Any = None) -> LabelSide:
    """The (cached) label side of ``labels`` in the feature space of ``model`` (``.version``,
    ``.features``), and in ``embedder``'s when one is given and answers (``vectors`` is
    ``None`` otherwise: the lexical side, until the embedder answers again)."""
    if embedder is not None:
        try:
            return _sides.get(model.version, model.features, labels, embedder)
        except EmbeddingUnavailable:
            pass
    return _sides.get(model.version, model.features, labels)


def _softmax(similarities: np.ndarray, temperature: float) -> np.ndarray:
    logits = similarities / temperature
    probs = np.exp(logits - logits.max())
    return probs / probs.sum()  # type: ignore[no-any-return]


def _closest(example_sims: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per label, the mean similarity of its :data:`TOP_EXAMPLES` closest documents."""
    ends = [*starts[1:], len(example_sims)]
    return np.array([np.sort(example_sims[s:e])[-TOP_EXAMPLES:].mean() for s, e in zip(starts, ends, strict=True)])


def lexical_probabilities(side: LabelSide, query: Any) -> np.ndarray:
    """The lexical view: per label, from its feature row ``query`` (1 x features)."""
    q = _normalise_rows(sparse.csr_matrix(query))
    example_sims = np.asarray((side.docs @ q.T).todense()).ravel()
    centroid_sims = np.asarray((side.centroids @ q.T).todense()).ravel()
    return _softmax(0.5 * centroid_sims + 0.5 * np.maximum.reduceat(example_sims, side.starts), TEMPERATURE)


def semantic_probabilities(side: LabelSide, vector: np.ndarray) -> np.ndarray:
    """The semantic view: per label, from the message's embedding ``vector`` (l2-normalised)."""
    assert side.vectors is not None and side.vector_centroids is not None
    example_sims = side.vectors @ vector
    centroid_sims = side.vector_centroids @ vector
    return _softmax(0.5 * centroid_sims + 0.5 * _closest(example_sims, side.starts), SEMANTIC_TEMPERATURE)


def scores(side: LabelSide, query: Any, vector: np.ndarray | None = None) -> dict[str, float]:
    """``{label: probability}`` of one message: its feature row ``query`` (1 x features) and,
    when the label side has embeddings, its embedding ``vector``."""
    probs = lexical_probabilities(side, query)
    if vector is not None and side.vectors is not None:
        probs = SEMANTIC_WEIGHT * semantic_probabilities(side, vector) + (1 - SEMANTIC_WEIGHT) * probs
    return {name: float(p) for name, p in zip(side.names, probs, strict=True)}


def classify(model: Any, text: str, labels: Sequence[Label], embedder: Any = None) -> tuple[dict[str, float], bool]:
    """``({label name: probability}, semantic)`` for ``text`` over ``labels``: in ``model``'s
    feature space, and by meaning when ``embedder`` is given and answers (``semantic`` says
    whether it did; an :class:`~nodes.engine.embed.EmbeddingUnavailable` leaves the lexical
    view alone)."""
    side = label_side(model, labels, embedder)
    vector = None
    if side.vectors is not None:
        with contextlib.suppress(EmbeddingUnavailable):  # the words answer alone
            vector = embedder.embed([text], "query")[0]
    return scores(side, model.features([text]), vector), vector is not None


def forget_label_sets() -> None:
    """Drop every cached label side (tests; a process that wants its memory back)."""
    _sides.clear()
