"""The risk detector: messages a person must take now, in words the rules have no list for.

The rules (:mod:`.rules`) find what is said with known words — "I want a human", "lawyer",
"flood". Customers also write "my face swelled after the treatment", "there's water dripping
on the fuse box", "the hearing is on Sunday and I have nobody", "you told me it was covered".
This detector is a model of five families of such messages, trained on exemplars written for
it (``data/risk_exemplars.jsonl``: harm after a service, danger on site, a legal deadline or
threat, being misled about money or cover, a demand for a person — and routine messages
that share their words) and on the seeds that need no person (``handoff: false``):

* ``harm`` and ``danger`` → reason ``emergency`` (and high urgency);
* ``legal`` → ``legal_threat``; ``misled`` → ``misled``; ``person`` → ``human_request``.

It is the same linear model as the category model (:mod:`nodes.engine.linear`), over the shipped
category model's own fitted word and character n-grams: a message the category model has read costs
it a gather and a dot, a few microseconds. A family
fires when its probability reaches :data:`THRESHOLD`; its evidence in ``signals`` is the
sentence of the message it is most sure of. A long text (an email, a chat's customer turns) is read
sentence by sentence as well: one sentence that shows harm, danger, a legal matter or a demand for a
person clearly (:data:`SENTENCE_THRESHOLD`) fires its family even when the rest of the text drowns it.
Trained once and cached like the shipped model,
its version a hash of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodes.classify_lead.training import (
    DATA_DIR,
    cached_model,
    eval_files,
    held_out_rows,
    inputs_version,
    read_seeds,
    seed_files,
)
from nodes.engine.data import read_jsonl
from nodes.engine.dedup import drop_near_duplicates
from nodes.engine.linear import CODE_VERSION, FEATURIZER_KEY, CategoryModel, sklearn_version
from nodes.text import split_sentences

EXEMPLARS = DATA_DIR / "risk_exemplars.jsonl"
#: each family and the handoff reason it raises
REASONS: dict[str, str] = {
    "harm": "emergency", "danger": "emergency", "legal": "legal_threat", "misled": "misled",
    "person": "human_request",
}
#: families that make a message urgent too (a person or a home in danger now)
URGENT = frozenset({"harm", "danger"})
NONE = "none"
#: the probability at which a family fires (chosen on the shipped eval set: the best handoff F1
#: of 0.3-0.7 there; see the docs page)
THRESHOLD = 0.6
#: from this many characters a text is read sentence by sentence too, and a family fires when one sentence
#: reaches :data:`SENTENCE_THRESHOLD` (a person's message in a long chat is diluted by the rest of it)
LONG_TEXT = 300
SENTENCE_THRESHOLD = 0.8
#: the families one sentence can show alone; being misled is a story told over several ("you told me it was
#: covered" ... "now the claim is rejected"), and one of its sentences alone is too often a plain question
SENTENCE_FAMILIES = ("harm", "danger", "legal", "person")
#: the seeds' own handoff reasons that are one of the families (the others are not used)
_SEED_FAMILY = {"human_request": "person", "legal_threat": "legal"}
_VERSION = "1"


@dataclass(frozen=True)
class RiskHit:
    """A family that fired: its name, probability, and the sentence that shows it."""

    family: str
    probability: float
    text: str
    start: int
    end: int

    @property
    def reason(self) -> str:
        """The handoff reason this family raises."""
        return REASONS[self.family]


def training_rows() -> list[dict[str, Any]]:
    """Exemplars (families and routine) and the seeds, minus near-copies of every held-out text."""
    rows = [{"text": r["text"], "category": r["family"] if r["family"] in REASONS else NONE}
            for r in read_jsonl(EXEMPLARS)]
    for seed in read_seeds():
        if not seed.get("handoff"):
            rows.append({"text": seed["text"], "category": NONE})
        else:
            families = {_SEED_FAMILY[r] for r in seed.get("handoff_reasons", []) if r in _SEED_FAMILY}
            if len(families) == 1:
                rows.append({"text": seed["text"], "category": families.pop()})
    return drop_near_duplicates(rows, held_out_rows())


def version(features: CategoryModel) -> str:
    """The detector's version: a hash of its inputs (code, the features it reads, exemplars, seeds,
    held-out sets)."""
    return inputs_version("risk", f"risk-{_VERSION}|{CODE_VERSION}|{FEATURIZER_KEY}|{sklearn_version()}|"
                                  f"{features.version}", [EXEMPLARS, *seed_files(), *eval_files()])


def load_or_train(models_dir: Path, features: CategoryModel) -> CategoryModel:
    """The detector's model: from the cache in ``models_dir`` when current, else trained and cached.

    It reads messages through the shipped category model's features (``features``: only its
    classifier is its own), so a message the category model has just read is not featurized again —
    the features are most of what either model costs a message."""
    return cached_model(models_dir, version(features), training_rows, features)


def detect(model: CategoryModel, text: str, threshold: float = THRESHOLD) -> list[RiskHit]:
    """The families whose probability for ``text`` reaches ``threshold``, most probable first,
    each with the sentence it is most sure of as its evidence."""
    scores = model.predict(text)
    fired = sorted((f for f in REASONS if scores.get(f, 0.0) >= threshold), key=lambda f: -scores[f])
    long = len(text) >= LONG_TEXT
    if not fired and not long:
        return []
    spans = [(s, e) for s, e in split_sentences(text) if text[s:e].strip()] or [(0, len(text))]
    by_sentence = [model.predict(text[s:e]) for s, e in spans] if len(spans) > 1 else [scores]
    if long:  # a chat or a long email: one sentence that says it clearly is not drowned by the rest
        for family in SENTENCE_FAMILIES:
            best = max(sentence.get(family, 0.0) for sentence in by_sentence)
            if family not in fired and best >= SENTENCE_THRESHOLD:
                fired.append(family)
                scores = {**scores, family: best}
        if not fired:
            return []
    hits = []
    for family in fired:
        best = max(range(len(spans)), key=lambda i: by_sentence[i].get(family, 0.0))
        start, end = spans[best]
        hits.append(RiskHit(family, round(scores[family], 4), text[start:end], start, end))
    return hits
