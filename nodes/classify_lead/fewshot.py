"""Per-request labels: few-shot classification by similarity in the model's feature space.

A request may bring its own ``categories`` (name, description, examples), as n8n's
Text Classifier does. Each category becomes the TF-IDF vectors of its name, description
and examples; a message is scored by its cosine similarity to each category's centroid
and to its closest example, and the similarities become probabilities by a softmax.
"""

from __future__ import annotations

import numpy as np

from nodes.classify_lead.model import CategoryModel
from nodes.classify_lead.models import CategorySpec

#: softmax temperature over cosine similarities (smaller: more confident)
TEMPERATURE = 0.05


def _normalise_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def classify(model: CategoryModel, text: str, categories: list[CategorySpec]) -> dict[str, float]:
    """Return ``{category name: probability}`` for ``text`` over ``categories``."""
    docs: list[str] = []
    owner: list[int] = []
    for i, cat in enumerate(categories):
        label_text = f"{cat.name.replace('_', ' ')} {cat.description}".strip()
        for doc in [label_text, *cat.examples]:
            docs.append(doc)
            owner.append(i)
    vectors = _normalise_rows(model.features([*docs, text]).toarray())
    query, docs_vec = vectors[-1], vectors[:-1]
    sims = docs_vec @ query
    owners = np.array(owner)
    combined = np.zeros(len(categories))
    for i in range(len(categories)):
        mine = docs_vec[owners == i]
        centroid = mine.mean(axis=0)
        norm = np.linalg.norm(centroid)
        centroid_sim = float(centroid @ query / norm) if norm else 0.0
        combined[i] = 0.5 * centroid_sim + 0.5 * float(sims[owners == i].max())
    logits = combined / TEMPERATURE
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    return {cat.name: float(p) for cat, p in zip(categories, probs, strict=True)}
