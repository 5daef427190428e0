"""Labels from a few examples: classification by similarity in a model's feature space.

A request (or a tenant) may bring its own label set, as n8n's Text Classifier does: each
label has a name, a description and a few examples. Each label becomes the TF-IDF vectors
of its name-and-description and of its examples; a message is scored by its cosine
similarity to each label's centroid and to its closest example, and the similarities
become probabilities by a softmax.

The label side is the expensive part and the same for every message sent with one label
set, so it is computed once per label set and model (:func:`label_side`, a small cache
keyed by a hash of both): a message then costs its own features and two sparse products.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from scipy import sparse

#: softmax temperature over cosine similarities (smaller: more confident)
TEMPERATURE = 0.05
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


def _normalise_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix)


def build_label_side(featurize: Callable[[list[str]], Any], labels: Sequence[Label]) -> LabelSide:
    """The label side of ``labels``: their documents' vectors and centroids (``featurize`` gives CSR rows)."""
    docs: list[str] = []
    starts: list[int] = []
    for label in labels:
        starts.append(len(docs))
        docs.append(f"{label.name.replace('_', ' ')} {label.description}".strip())
        docs.extend(label.examples)
    vectors = _normalise_rows(sparse.csr_matrix(featurize(docs)))
    counts = np.diff([*starts, len(docs)])
    # the mean of each label's rows: a (labels x docs) averaging matrix times the documents
    owners = np.repeat(np.arange(len(labels)), counts)
    averaging = sparse.csr_matrix((1.0 / counts[owners], (owners, np.arange(len(docs)))),
                                  shape=(len(labels), len(docs)))
    return LabelSide(names=tuple(label.name for label in labels), docs=vectors,
                     starts=np.asarray(starts, dtype=np.intp), centroids=_normalise_rows(averaging @ vectors))


class _LabelSides:
    """The label sides of the label sets seen lately, keyed by a hash of (model version, label set)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._sides: OrderedDict[str, LabelSide] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(model_version: str, labels: Sequence[Label]) -> str:
        plain = [[label.name, label.description, list(label.examples)] for label in labels]
        blob = json.dumps([model_version, plain], ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, model_version: str, featurize: Callable[[list[str]], Any], labels: Sequence[Label]) -> LabelSide:
        key = self.key(model_version, labels)
        with self._lock:
            side = self._sides.get(key)
            if side is not None:
                self._sides.move_to_end(key)
                return side
        side = build_label_side(featurize, labels)  # outside the lock: other threads go on meanwhile
        with self._lock:
            self._sides[key] = side
            while len(self._sides) > self.size:
                self._sides.popitem(last=False)
        return side

    def clear(self) -> None:
        with self._lock:
            self._sides.clear()


_sides = _LabelSides(CACHED_LABEL_SETS)


def label_side(model: Any, labels: Sequence[Label]) -> LabelSide:
    """The (cached) label side of ``labels`` in the feature space of ``model`` (``.version``, ``.features``)."""
    return _sides.get(model.version, model.features, labels)


def scores(side: LabelSide, query: Any) -> dict[str, float]:
    """``{label: probability}`` of one message, given its feature row ``query`` (1 x features)."""
    q = _normalise_rows(sparse.csr_matrix(query))
    example_sims = np.asarray((side.docs @ q.T).todense()).ravel()
    centroid_sims = np.asarray((side.centroids @ q.T).todense()).ravel()
    combined = 0.5 * centroid_sims + 0.5 * np.maximum.reduceat(example_sims, side.starts)
    logits = combined / TEMPERATURE
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    return {name: float(p) for name, p in zip(side.names, probs, strict=True)}


def classify(model: Any, text: str, labels: Sequence[Label]) -> dict[str, float]:
    """Return ``{label name: probability}`` for ``text`` over ``labels`` in ``model``'s feature space."""
    return scores(label_side(model, labels), model.features([text]))


def forget_label_sets() -> None:
    """Drop every cached label side (tests; a process that wants its memory back)."""
    _sides.clear()
