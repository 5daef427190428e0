"""What a tenant's own model and the custom-labels path share: the process's embedder, and a
tenant model's three views of a message mixed at the weights its training chose.

A tenant model (:mod:`nodes.classify_lead.tenant_models`) sees a message three ways:

* its trained n-gram weights (the shipped model's kind, on the tenant's rows);
* the few-shot similarity to its examples, by words (through the shipped model's richer
  features) and by meaning — the custom-labels path;
* a linear classifier over the message's sentence embedding, trained on the tenant's rows
  (its ``head``), when the data was small enough to embed at training.

``examples_weight`` and ``head_weight`` say how much the last two weigh; the n-gram weights get
the rest. With the embedder off or failing, the views that need it drop out and the others are
re-weighed.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from nodes.classify_lead.models import CategorySpec
from nodes.core.config import Settings
from nodes.engine import fewshot
from nodes.engine.embed import CachedEmbedder, EmbeddingUnavailable, embedder_from
from nodes.engine.linear import CategoryModel


def embedder_of(settings: Settings | None) -> CachedEmbedder | None:
    """The process's embedder for ``settings`` (``None`` when embeddings are off)."""
    return embedder_from(settings or Settings())


def head_probabilities(head: dict[str, Any], vector: np.ndarray) -> dict[str, float]:
    """The embedding head's probabilities of one message (multinomial logistic regression)."""
    logits = np.asarray(head["coef"]) @ vector + np.asarray(head["intercept"])
    if len(head["labels"]) == 2 and logits.shape[0] == 1:  # scikit-learn's binary form: one row
        logits = np.array([0.0, float(logits[0])])
    exp = np.exp(logits - logits.max())
    return dict(zip(head["labels"], (exp / exp.sum()).tolist(), strict=True))


def mix_with_examples(featurizer: CategoryModel, model: CategoryModel, text: str, scores: dict[str, float],
                      embedder: Any) -> dict[str, float]:
    """``scores`` (a tenant model's n-gram view) mixed with its other views (see the module docstring)."""
    views: list[tuple[float, dict[str, float]]] = []
    if model.examples_weight > 0:
        labels = [CategorySpec(name=label, examples=texts) for label, texts in model.examples.items() if texts]
        near, _ = fewshot.classify(featurizer, text, labels, embedder)
        views.append((model.examples_weight, near))
    if model.head is not None and model.head_weight > 0 and embedder is not None:
        with contextlib.suppress(EmbeddingUnavailable):
            views.append((model.head_weight, head_probabilities(model.head, embedder.embed([text], "query")[0])))
    rest = max(0.0, 1.0 - sum(w for w, _ in views))
    total = rest + sum(w for w, _ in views)
    if not views or total <= 0:
        return scores
    return {k: (rest * v + sum(w * view.get(k, 0.0) for w, view in views)) / total for k, v in scores.items()}
