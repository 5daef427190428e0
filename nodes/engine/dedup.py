"""Near-duplicate checks between training and held-out data (3-gram Jaccard on the feature text).

An eval item that is also, nearly word for word, a training item measures memory, not
the model: training rows near-identical to a held-out row are dropped before fitting.
"""

from __future__ import annotations

from typing import Any

from nodes.engine.features import prepare

#: 3-gram Jaccard similarity at or above which two texts count as the same message
NEAR_DUPLICATE = 0.8


def trigrams(text: str) -> set[str]:
    """Character 3-grams of the prepared text (for near-duplicate checks)."""
    t = prepare(text)
    return {t[i:i + 3] for i in range(max(1, len(t) - 2))}


def jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two sets."""
    return len(a & b) / len(a | b) if a or b else 1.0


def near_duplicates(train: list[dict[str, Any]], held_out: list[dict[str, Any]],
                    threshold: float = NEAR_DUPLICATE) -> list[tuple[int, int]]:
    """``(train index, held-out index)`` of every pair whose 3-gram Jaccard is at least ``threshold``.

    Held-out rows are indexed by their 3-grams, so a training row is compared only with the
    rows that share enough of its grams to reach the threshold.
    """
    held = [trigrams(r["text"]) for r in held_out]
    index: dict[str, list[int]] = {}
    for i, grams in enumerate(held):
        for g in grams:
            index.setdefault(g, []).append(i)
    pairs = []
    for t, row in enumerate(train):
        grams = trigrams(row["text"])
        counts: dict[int, int] = {}
        for g in grams:
            for i in index.get(g, ()):
                counts[i] = counts.get(i, 0) + 1
        # |A∩B| / |A∪B| >= t needs |A∩B| >= t*|A|, so only candidates sharing that many grams are checked
        need = threshold * len(grams)
        pairs += [(t, i) for i, c in counts.items() if c >= need and jaccard(grams, held[i]) >= threshold]
    return pairs


def drop_near_duplicates(train: list[dict[str, Any]], held_out: list[dict[str, Any]],
                         threshold: float = NEAR_DUPLICATE) -> list[dict[str, Any]]:
    """Training rows that are not near-duplicates (3-gram Jaccard >= threshold) of a held-out row."""
    dropped = {t for t, _ in near_duplicates(train, held_out, threshold)}
    return [row for t, row in enumerate(train) if t not in dropped]
