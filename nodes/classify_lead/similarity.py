"""What a tenant's own model and the custom-labels path share: the process's embedder, and a
model's probabilities mixed with the few-shot similarity to its own examples."""

from __future__ import annotations

from typing import Any

from nodes.classify_lead.models import CategorySpec
from nodes.core.config import Settings
from nodes.engine import fewshot
from nodes.engine.embed import CachedEmbedder, EmbedderConfig, embedder_for
from nodes.engine.linear import CategoryModel


def embedder_of(settings: Settings | None) -> CachedEmbedder | None:
    """The process's embedder for ``settings`` (``None`` when embeddings are off)."""
    s = settings or Settings()
    return embedder_for(EmbedderConfig(backend=s.embedder, url=s.embedder_url, model=s.embedder_model,
                                       api_key=s.embedder_api_key, timeout_s=s.embedder_timeout_s))


def mix_with_examples(featurizer: CategoryModel, model: CategoryModel, text: str, scores: dict[str, float],
                      embedder: Any) -> dict[str, float]:
    """``scores`` (a tenant model's) mixed with the few-shot similarity to ``model.examples`` at
    ``model.examples_weight``."""
    weight = model.examples_weight
    if weight <= 0:
        return scores
    labels = [CategorySpec(name=label, examples=texts) for label, texts in model.examples.items() if texts]
    near, _ = fewshot.classify(featurizer, text, labels, embedder)
    return {k: (1 - weight) * v + weight * near.get(k, 0.0) for k, v in scores.items()}
