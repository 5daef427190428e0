"""A calibrated linear text classifier: TF-IDF features, a linear SVM, sigmoid calibration.

:func:`train` fits it (deterministically: the same rows give the same model and version).
:class:`CategoryModel` predicts without scikit-learn: the features come from
:class:`nodes.engine.features.FastFeatures` and the calibrated classifier is compiled into
plain arrays (weights, intercepts, sigmoid slopes and offsets), so one message costs a
fraction of a millisecond instead of ``predict_proba``'s few milliseconds. The tests
check both agree.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from math import exp
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np

from nodes.engine.features import FEATURIZER_VERSION, FastFeatures, prepare

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

#: bump when training changes (part of every model version); 4: the pipeline is saved apart
CODE_VERSION = "4"
#: :func:`featurizer_key` as of this code (a test keeps them equal): the shipped model's version is
#: computed at every start, and computing the key imports scikit-learn
FEATURIZER_KEY = "4f433f580fe6"


def sklearn_version() -> str:
    """The installed scikit-learn's version, without importing it."""
    return importlib.metadata.version("scikit-learn")


def _pipeline(folds: int = 5) -> Pipeline:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.svm import LinearSVC

    # float64 features: the fast path computes in float64 and must agree with the pipeline
    features = FeatureUnion([
        ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2,
                                  max_features=150_000, dtype=np.float64)),
        ("words", TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, min_df=1,
                                  token_pattern=r"(?u)\b\w+\b", max_features=60_000, dtype=np.float64)),
    ])
    # ensemble=False: the sigmoid calibration is fitted on 5-fold out-of-fold decisions, and one
    # SVM trained on all the rows predicts (as accurate here as averaging 5 fold models, and a
    # fifth of the weights to read per message)
    classifier = CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced"), method="sigmoid", cv=folds,
                                        ensemble=False)
    return Pipeline([("features", features), ("classifier", classifier)])


def featurizer_key() -> str:
    """A hash of everything the features depend on: the pipeline's parameters and the fast featurizer.

    Part of every model version, so a model cached under ``<data dir>/models/`` is never
    re-used after the vectorizers' settings or :class:`FastFeatures` change.
    """
    params = _pipeline().get_params(deep=True)
    plain = [f"{k}={v!r}" for k, v in sorted(params.items())
             if not hasattr(v, "get_params") and not isinstance(v, list)]
    return hashlib.sha256("|".join([f"fast-features-{FEATURIZER_VERSION}", *plain]).encode()).hexdigest()[:12]


def fingerprint(rows: list[dict[str, Any]]) -> str:
    """A short hash of the training rows, the code and featurizer versions and scikit-learn's version."""
    h = hashlib.sha256(f"{CODE_VERSION}|{FEATURIZER_KEY}|{sklearn_version()}".encode())
    for row in rows:
        h.update(f"{row['category']}\t{row['text']}\n".encode())
    return h.hexdigest()[:10]


@dataclass
class CategoryModel:
    """A trained category model and its version.

    Built from a fitted ``pipeline`` (training), or from its compiled arrays (:meth:`load`):
    a loaded model predicts without scikit-learn, which is not even imported; its
    ``pipeline`` is read from the file beside the model only when something asks for it.
    """

    pipeline_or_none: Pipeline | None
    version: str
    labels: list[str]
    _pipeline_path: Path | None = None
    #: a few training texts per label (a tenant's model): compared by meaning beside the weights
    examples: dict[str, list[str]] = field(default_factory=dict)
    #: how much the similarity to :attr:`examples` weighs against the trained weights (chosen in training)
    examples_weight: float = 0.5
    #: a linear classifier over sentence embeddings (a tenant's model): labels, weights, intercepts
    head: dict[str, Any] | None = None
    #: how much :attr:`head` weighs (chosen in training; the trained n-gram weights get the rest)
    head_weight: float = 0.0
    #: the version of the model whose fitted features this one was trained on (the risk detector
    #: on the shipped model's): with :meth:`share_features`, a message's features are computed once
    features_of: str | None = None

    def __post_init__(self) -> None:
        self._features: FastFeatures | None = None
        if self.pipeline_or_none is not None:
            try:
                self._features = FastFeatures(self.pipeline_or_none.named_steps["features"])
            except ValueError:  # e.g. a tenant's model trained with other settings: scikit-learn's transform
                self._features = None
            self._compiled = self._compile()

    @property
    def pipeline(self) -> Pipeline:
        """The fitted scikit-learn pipeline (read from disk on first use for a loaded model)."""
        if self.pipeline_or_none is None:
            if self._pipeline_path is None:
                raise ValueError("this model has no scikit-learn pipeline")
            self.pipeline_or_none = joblib.load(self._pipeline_path)
        return self.pipeline_or_none

    def _compile(self) -> tuple[Any, ...]:
        """The calibrated classifier as plain arrays: weights, intercepts, sigmoid slopes and offsets.

        ``CalibratedClassifierCV.predict_proba`` loops over folds and classes in Python with
        input validation at every step, which costs milliseconds per message; the same
        arithmetic (decision function, sigmoid calibration, per-fold normalisation, mean
        over folds) is one product and a few float operations here.
        ``tests/test_classify_lead.py`` checks both agree.
        """
        calibrated = self.pipeline.named_steps["classifier"]
        weights, biases, slopes, offsets = [], [], [], []
        for fold in calibrated.calibrated_classifiers_:
            svm = fold.estimator
            if list(svm.classes_) != list(calibrated.classes_):
                raise ValueError("a calibration fold did not see every class")
            weights.append(svm.coef_)
            biases.append(svm.intercept_)
            slopes += [float(c.a_) for c in fold.calibrators]
            offsets += [float(c.b_) for c in fold.calibrators]
        folds, classes = len(weights), len(self.labels)
        # (features, folds*classes) in the rows of :class:`FastFeatures`, row-major: a message's
        # rows are contiguous to gather
        w = np.vstack(weights).astype(np.float64).T
        w = np.ascontiguousarray(w if self._features is None else w.take(self._features.columns, axis=0))
        return w, np.concatenate(biases).astype(np.float64), slopes, offsets, folds, classes

    def _decision(self, prepared: str) -> list[float]:
        """Decision values (folds*classes) of one prepared text: only its own rows of W are read."""
        w, b = self._compiled[0], self._compiled[1]
        if self._features is None:
            decision = np.asarray(self.pipeline.named_steps["features"].transform([prepared]) @ w)[0]
        else:
            rows, values = self._features.row(prepared)
            decision = values @ w.take(rows, axis=0)
        decision += b
        return decision.tolist()  # type: ignore[no-any-return]

    def _calibrate(self, decision: list[float]) -> list[float]:
        """Class probabilities from one message's decision values (a handful of floats: plain Python).

        Per fold and class a sigmoid, per fold a normalisation (uniform when every class
        is 0), then the mean over the folds: what ``CalibratedClassifierCV`` computes.
        """
        _, _, slopes, offsets, folds, classes = self._compiled
        mean = [0.0] * classes
        for start in range(0, folds * classes, classes):
            proba = []
            for a, x, b in zip(slopes[start:start + classes], decision[start:start + classes],
                               offsets[start:start + classes], strict=True):
                z = a * x + b
                proba.append(0.0 if z > 709.0 else 1.0 / (1.0 + exp(z)))  # exp(z) overflows past 709
            total = sum(proba)
            mean = [m + (p / total if total else 1.0 / classes) for m, p in zip(mean, proba, strict=True)]
        return [m / folds for m in mean] if folds > 1 else mean

    def predict_many(self, texts: list[str]) -> np.ndarray:
        """Probabilities, one row per text, columns in :attr:`labels` order."""
        rows = [self._probabilities(prepare(t)) for t in texts]
        return np.array(rows, dtype=np.float64) if rows else np.zeros((0, len(self.labels)))

    def predict(self, text: str) -> dict[str, float]:
        """Return ``{category: probability}`` for one message."""
        return dict(zip(self.labels, self._probabilities(prepare(text)), strict=True))

    def _probabilities(self, prepared: str) -> list[float]:
        """Class probabilities of one prepared text, in :attr:`labels` order."""
        return self._calibrate(self._decision(prepared))

    def features(self, texts: list[str]) -> Any:
        """The TF-IDF feature matrix of ``texts`` (for similarity-based few-shot labels)."""
        docs = [prepare(t) for t in texts]
        if self._features is None:
            return self.pipeline.named_steps["features"].transform(docs)
        return self._features.matrix(docs)

    def share_features(self, other: CategoryModel) -> bool:
        """Read messages through ``other``'s featurizer when this model was trained on its features
        (:attr:`features_of`), so a message both models read is featurized once; whether it does."""
        if self.features_of is None or self.features_of != other.version or other._features is None:
            return False
        self._features = other._features
        return True

    def save(self, path: Path) -> None:
        """Write the model atomically (several workers may train at once): its compiled arrays in
        ``path``, its scikit-learn pipeline beside it (``<path>.pipeline``), read only on demand."""
        path.parent.mkdir(parents=True, exist_ok=True)
        pipeline_path = _pipeline_file(path)
        for target, value in ((pipeline_path, self.pipeline),
                              (path, {"version": self.version, "labels": self.labels, "features": self._features,
                                      "compiled": self._compiled, "examples": self.examples,
                                      "examples_weight": self.examples_weight, "head": self.head,
                                      "head_weight": self.head_weight, "features_of": self.features_of})):
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            os.close(fd)
            joblib.dump(value, tmp)
            os.replace(tmp, target)

    @classmethod
    def load(cls, path: Path) -> CategoryModel:
        """Read a model written by :meth:`save` (or by the former format, a pickled pipeline)."""
        data = joblib.load(path)
        if "compiled" not in data:
            return cls(data["pipeline"], data["version"], list(data["labels"]))
        model = cls(None, data["version"], list(data["labels"]), _pipeline_file(path))
        model._features = data["features"]
        model._compiled = data["compiled"]
        model.examples = dict(data.get("examples") or {})
        model.examples_weight = float(data.get("examples_weight", 0.5))
        model.head = data.get("head")
        model.head_weight = float(data.get("head_weight", 0.0))
        model.features_of = data.get("features_of")
        if model._features is None:
            model.pipeline  # noqa: B018 - a model without the fast featurizer predicts through it
        return model


def _pipeline_file(path: Path) -> Path:
    """Where the pipeline of the model saved at ``path`` is kept."""
    return path.with_name(path.name + ".pipeline")


def train(rows: list[dict[str, Any]], folds: int = 5, features: CategoryModel | None = None) -> CategoryModel:
    """Fit a model on ``rows`` (``{"text", "category"}``); deterministic for the same rows.
    ``folds``: of the sigmoid calibration (fewer is faster and a little rougher). ``features``: a
    model whose fitted features this one reads (only the classifier is fitted; see
    :meth:`CategoryModel.share_features`)."""
    texts = [prepare(r["text"]) for r in rows]
    labels = [r["category"] for r in rows]
    fewest = min(Counter(labels).values()) if labels else 0
    if fewest < 2:
        rare = sorted(label for label, n in Counter(labels).items() if n < 2)
        raise ValueError(f"every label needs at least 2 examples to train on; {rare[:10]} have 1")
    pipeline = _pipeline(min(folds, fewest))  # calibration folds: a label needs a row in each
    if features is None:
        pipeline.fit(texts, labels)
    else:
        from sklearn.pipeline import Pipeline

        union = features.pipeline.named_steps["features"]
        classifier = pipeline.named_steps["classifier"].fit(union.transform(texts), labels)
        pipeline = Pipeline([("features", union), ("classifier", classifier)])
    classes = [str(c) for c in pipeline.named_steps["classifier"].classes_]
    model = CategoryModel(pipeline, f"clf-{fingerprint(rows)}", classes)
    if features is not None:
        model.features_of = features.version
        model.share_features(features)
    return model


