"""Labels from a few examples: classification by similarity, by words and by meaning.

A request (or a tenant) may bring its own label set, as n8n's Text Classifier does: each
label has a name, a description and a few examples. Each label's documents (its
name-and-description, then its examples) are seen two ways:

* the lexical view: the TF-IDF vectors of the shipped model's featuriser (words and
  character n-grams: spelling, product names, codes);
* the semantic view, when an embedder is configured (:mod:`nodes.engine.embed`): the
  multilingual e5 embeddings of the same documents (paraphrase, another language).

In the lexical view a message is scored by its cosine similarity to each label's centroid and
to its closest example, made probabilities by a softmax. In the semantic view a small logistic
regression is fitted on the label set's documents once, over their embeddings centred on the
label set's own mean: e5's vectors all point much the same way (their cosines lie within
~0.7-0.95), and what tells two near-synonymous labels apart ("rent" and "viewing") is the
difference from that common direction, which the regression weighs dimension by dimension where
a cosine to a centroid cannot (on three businesses' own label sets, 8 examples a label: macro-F1
0.72 -> 0.79 over the centroid-and-nearest-examples view it replaces). The two views'
probabilities are mixed (:data:`SEMANTIC_WEIGHT`). Without an embedder, or when it fails, the
lexical view answers alone and :func:`classify` says so.

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
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
from scipy import sparse

from nodes.engine.embed import EmbeddingUnavailable, unit_rows

#: softmax temperature over the lexical cosine similarities (smaller: more confident)
TEMPERATURE = 0.05
#: the semantic view's share of the mixed probabilities
SEMANTIC_WEIGHT = 0.7
#: inverse strength of the semantic regression's L2 penalty (scikit-learn's ``C``; 30-300 score alike)
SEMANTIC_C = 100.0
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
    #: the semantic regression, when an embedder was given: the mean the documents' embeddings were
    #: centred on, one weight row and one intercept per label (see the module docstring)
    center: np.ndarray | None = None
    coef: np.ndarray | None = None
    intercept: np.ndarray | None = None


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
    rows; ``embedder``, when given, the embeddings too — all documents in one batch — and the semantic
    regression fitted on them)."""
    docs, starts = _documents(labels)
    # embedded first: an embedder that fails (EmbeddingUnavailable) does so before any other work
    dense = embedder.embed(docs, "query") if embedder is not None else None
    vectors = _normalise_rows(sparse.csr_matrix(featurize(docs)))
    counts = np.diff([*starts, len(docs)])
    # the mean of each label's rows: a (labels x docs) averaging matrix times the documents
    owners = np.repeat(np.arange(len(labels)), counts)
    averaging = sparse.csr_matrix((1.0 / counts[owners], (owners, np.arange(len(docs)))),
                                  shape=(len(labels), len(docs)))
    side = LabelSide(names=tuple(label.name for label in labels), docs=vectors,
                     starts=np.asarray(starts, dtype=np.intp), centroids=_normalise_rows(averaging @ vectors))
    if dense is None:
        return side
    center = np.asarray(dense, dtype=np.float64).mean(axis=0)
    coef, intercept = fit_softmax_regression(unit_rows(dense - center), owners, len(labels), SEMANTIC_C)
    return replace(side, center=center.astype(np.float32), coef=coef, intercept=intercept)


def fit_softmax_regression(rows: np.ndarray, owners: np.ndarray, n_labels: int,
                           c: float) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression as scikit-learn fits it (``C * log-loss + ||W||^2 / 2``, intercept
    not penalised, L-BFGS), in numpy and scipy: a worker serving custom labels need not import
    scikit-learn. Two labels get the multinomial pair too (scikit-learn's one binomial vector at twice
    the ``C``). ``(coef: labels x dims, intercept: labels)``, float32."""
    from scipy.optimize import minimize

    x = np.asarray(rows, dtype=np.float64)
    n, dims = x.shape
    target = np.zeros((n, n_labels))
    target[np.arange(n), owners] = 1.0

    def loss(flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = flat[: n_labels * dims].reshape(n_labels, dims)
        b = flat[n_labels * dims:]
        logits = x @ w.T + b
        logits -= logits.max(axis=1, keepdims=True)
        log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        p = np.exp(log_p)
        value = -c * float((target * log_p).sum()) + 0.5 * float((w * w).sum())
        diff = c * (p - target)
        grad = np.concatenate([(diff.T @ x + w).ravel(), diff.sum(axis=0)])
        return value, grad

    start = np.zeros(n_labels * (dims + 1))
    found = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 100, "gtol": 1e-4})
    flat = found.x
    return (flat[: n_labels * dims].reshape(n_labels, dims).astype(np.float32),
            flat[n_labels * dims:].astype(np.float32))


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
    ``.features``), and in ``embedder``'s when one is given and answers (``coef`` is
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


def lexical_probabilities(side: LabelSide, query: Any) -> np.ndarray:
    """The lexical view: per label, from its feature row ``query`` (1 x features)."""
    q = _normalise_rows(sparse.csr_matrix(query))
    example_sims = np.asarray((side.docs @ q.T).todense()).ravel()
    centroid_sims = np.asarray((side.centroids @ q.T).todense()).ravel()
    return _softmax(0.5 * centroid_sims + 0.5 * np.maximum.reduceat(example_sims, side.starts), TEMPERATURE)


def semantic_probabilities(side: LabelSide, vector: np.ndarray) -> np.ndarray:
    """The semantic view: per label, from the message's embedding ``vector`` (l2-normalised)."""
    assert side.center is not None and side.coef is not None and side.intercept is not None
    centred = vector - side.center
    norm = float(np.linalg.norm(centred))
    logits = side.coef @ (centred / norm if norm else centred) + side.intercept
    return _softmax(logits, 1.0)


def scores(side: LabelSide, query: Any, vector: np.ndarray | None = None) -> dict[str, float]:
    """``{label: probability}`` of one message: its feature row ``query`` (1 x features) and,
    when the label side has embeddings, its embedding ``vector``."""
    probs = lexical_probabilities(side, query)
    if vector is not None and side.coef is not None:
        probs = SEMANTIC_WEIGHT * semantic_probabilities(side, vector) + (1 - SEMANTIC_WEIGHT) * probs
    return {name: float(p) for name, p in zip(side.names, probs, strict=True)}


def classify(model: Any, text: str, labels: Sequence[Label], embedder: Any = None) -> tuple[dict[str, float], bool]:
    """``({label name: probability}, semantic)`` for ``text`` over ``labels``: in ``model``'s
    feature space, and by meaning when ``embedder`` is given and answers (``semantic`` says
    whether it did; an :class:`~nodes.engine.embed.EmbeddingUnavailable` leaves the lexical
    view alone)."""
    side = label_side(model, labels, embedder)
    vector = None
    if side.coef is not None:
        with contextlib.suppress(EmbeddingUnavailable):  # the words answer alone
            vector = embedder.embed([text], "query")[0]
    return scores(side, model.features([text]), vector), vector is not None


def forget_label_sets() -> None:
    """Drop every cached label side (tests; a process that wants its memory back)."""
    _sides.clear()
