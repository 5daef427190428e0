"""The local category model: character n-gram (2-5) + word TF-IDF, a linear SVM, calibrated.

Trained from the seeds in ``data/`` expanded by the synthetic pipeline (:mod:`.synth`),
after removing anything near-identical to the eval set. Training is deterministic, so
the model version is a hash of its inputs; a trained model is cached under
``<data dir>/models/`` and re-used until the data, the code version or scikit-learn
changes. Loading a cached model takes well under a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from nodes.text.normalize import normalize

DATA_DIR = Path(__file__).parent / "data"
EVAL = DATA_DIR / "eval.jsonl"
#: bump when feature extraction or training changes (part of the model version)
CODE_VERSION = "1"
NEAR_DUPLICATE = 0.8

_DIGITS = re.compile(r"\d")
_REPEATS = re.compile(r"(.)\1{2,}")
_SPACE = re.compile(r"\s+")


def prepare(text: str) -> str:
    """Feature text: normalised, lower-cased, digits folded, letter floods shortened."""
    text = normalize(text).lower()
    text = _DIGITS.sub("0", text)
    text = _REPEATS.sub(r"\1\1", text)
    return _SPACE.sub(" ", text).strip()


def trigrams(text: str) -> set[str]:
    """Character 3-grams of the prepared text (for near-duplicate checks)."""
    t = prepare(text)
    return {t[i:i + 3] for i in range(max(1, len(t) - 2))}


def jaccard(a: set[str], b: set[str]) -> float:
    """Jaccard similarity of two sets."""
    return len(a & b) / len(a | b) if a or b else 1.0


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file, skipping blank lines; raise ``ValueError`` naming a bad line."""
    rows = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as err:
                    raise ValueError(f"{path}:{n}: not valid JSON: {err.msg}") from None
    return rows


def drop_near_duplicates(train: list[dict[str, Any]], held_out: list[dict[str, Any]],
                         threshold: float = NEAR_DUPLICATE) -> list[dict[str, Any]]:
    """Training rows that are not near-duplicates (3-gram Jaccard >= threshold) of a held-out row."""
    held = [trigrams(r["text"]) for r in held_out]
    index: dict[str, list[int]] = {}
    for i, grams in enumerate(held):
        for g in grams:
            index.setdefault(g, []).append(i)
    kept = []
    for row in train:
        grams = trigrams(row["text"])
        counts: dict[int, int] = {}
        for g in grams:
            for i in index.get(g, ()):
                counts[i] = counts.get(i, 0) + 1
        # |A∩B| / |A∪B| >= t needs |A∩B| >= t*|A|, so only candidates sharing that many grams are checked
        if not any(c >= threshold * len(grams) and jaccard(grams, held[i]) >= threshold for i, c in counts.items()):
            kept.append(row)
    return kept


def _pipeline() -> Pipeline:
    features = FeatureUnion([
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                  max_features=150_000, dtype=np.float32)),
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                                  token_pattern=r"(?u)\b\w+\b", max_features=60_000, dtype=np.float32)),
    ])
    classifier = CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced"), method="sigmoid", cv=5)
    return Pipeline([("features", features), ("classifier", classifier)])


def fingerprint(rows: list[dict[str, Any]]) -> str:
    """A short hash of the training rows, the code version and scikit-learn's version."""
    h = hashlib.sha256(f"{CODE_VERSION}|{sklearn.__version__}".encode())
    for row in rows:
        h.update(f"{row['category']}\t{row['text']}\n".encode())
    return h.hexdigest()[:10]


@dataclass
class CategoryModel:
    """A trained category model and its version."""

    pipeline: Pipeline
    version: str
    labels: list[str]

    def __post_init__(self) -> None:
        self._compiled: tuple[Any, ...] | None = None

    def _compile(self) -> tuple[Any, ...]:
        """Stack the calibrated folds into one matrix product.

        ``CalibratedClassifierCV.predict_proba`` loops over folds and classes in Python,
        which costs milliseconds per message; the same arithmetic (decision function,
        sigmoid calibration, per-fold normalisation, mean over folds) as one product is
        ~10x faster. ``tests/test_classify_lead.py`` checks both agree.
        """
        calibrated = self.pipeline.named_steps["classifier"]
        weights, biases, slopes, offsets = [], [], [], []
        for fold in calibrated.calibrated_classifiers_:
            svm = fold.estimator
            if list(svm.classes_) != list(calibrated.classes_):
                raise ValueError("a calibration fold did not see every class")
            weights.append(svm.coef_)
            biases.append(svm.intercept_)
            slopes.append([c.a_ for c in fold.calibrators])
            offsets.append([c.b_ for c in fold.calibrators])
        folds, classes = len(weights), len(self.labels)
        w = np.vstack(weights).astype(np.float64).T  # (features, folds*classes)
        return (w, np.concatenate(biases), np.asarray(slopes).reshape(folds, classes),
                np.asarray(offsets).reshape(folds, classes), folds, classes)

    def predict_many(self, texts: list[str]) -> np.ndarray:
        """Probabilities, one row per text, columns in :attr:`labels` order."""
        if self._compiled is None:
            self._compiled = self._compile()
        w, b, slopes, offsets, folds, classes = self._compiled
        x = self.pipeline.named_steps["features"].transform([prepare(t) for t in texts])
        decision = (x @ w + b).reshape(len(texts), folds, classes)
        proba = 1.0 / (1.0 + np.exp(slopes * decision + offsets))
        total = proba.sum(axis=2, keepdims=True)
        proba = np.divide(proba, total, out=np.full_like(proba, 1.0 / classes), where=total != 0)
        return np.asarray(proba.mean(axis=1))

    def predict(self, text: str) -> dict[str, float]:
        """Return ``{category: probability}`` for one message."""
        probs = self.predict_many([text])[0]
        return {label: float(p) for label, p in zip(self.labels, probs, strict=True)}

    def features(self, texts: list[str]) -> Any:
        """The TF-IDF feature matrix of ``texts`` (for similarity-based few-shot labels)."""
        return self.pipeline.named_steps["features"].transform([prepare(t) for t in texts])

    def save(self, path: Path) -> None:
        """Write the model atomically (several workers may train at once)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        os.close(fd)
        joblib.dump({"pipeline": self.pipeline, "version": self.version, "labels": self.labels}, tmp)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> CategoryModel:
        """Read a model written by :meth:`save`."""
        data = joblib.load(path)
        return cls(data["pipeline"], data["version"], list(data["labels"]))


def train(rows: list[dict[str, Any]]) -> CategoryModel:
    """Fit a model on ``rows`` (``{"text", "category"}``); deterministic for the same rows."""
    texts = [prepare(r["text"]) for r in rows]
    labels = [r["category"] for r in rows]
    pipeline = _pipeline()
    pipeline.fit(texts, labels)
    classes = [str(c) for c in pipeline.named_steps["classifier"].classes_]
    return CategoryModel(pipeline, f"clf-{fingerprint(rows)}", classes)


def seed_files() -> list[Path]:
    """Every hand-written seed file shipped in ``data/`` (``seeds*.jsonl``)."""
    return sorted(DATA_DIR.glob("seeds*.jsonl"))


def read_seeds() -> list[dict[str, Any]]:
    """All hand-written training seeds."""
    return [row for path in seed_files() for row in read_jsonl(path)]


def shipped_training_rows(seed: int = 13, per_seed: int = 3) -> list[dict[str, Any]]:
    """The seeds plus their synthetic variants, minus near-duplicates of the eval set."""
    from nodes.classify_lead.synth import expand

    seeds = read_seeds()
    rows = seeds + expand(seeds, seed=seed, per_seed=per_seed)
    held_out = read_jsonl(EVAL) if EVAL.exists() else []
    return drop_near_duplicates(rows, held_out)


def shipped_version() -> str:
    """The version of the shipped model, from its inputs' bytes (cheap: no training needed)."""
    from nodes.classify_lead import synth

    h = hashlib.sha256(f"{CODE_VERSION}|{synth.VERSION}|{sklearn.__version__}".encode())
    for path in [*seed_files(), EVAL]:
        h.update(path.name.encode() + (path.read_bytes() if path.exists() else b""))
    return f"clf-{h.hexdigest()[:10]}"


def load_or_train(data_dir: Path) -> CategoryModel:
    """The shipped model: from the cache in ``data_dir`` when current, else trained and cached."""
    version = shipped_version()
    path = data_dir / "models" / "classify-lead" / f"{version}.joblib"
    if path.exists():
        try:
            return CategoryModel.load(path)
        except Exception:  # a corrupt cache is rebuilt, not fatal
            path.unlink(missing_ok=True)
    model = train(shipped_training_rows())
    model.version = version
    try:
        model.save(path)
        for old in path.parent.glob("clf-*.joblib"):  # models of older data are never loaded again
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only data dir still serves, it just trains at each start
    return model
