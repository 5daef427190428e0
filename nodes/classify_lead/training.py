"""classify-lead's shipped model: its training data, its version and where it is cached.

Trained (:func:`nodes.engine.linear.train`) from the seeds in ``data/`` expanded by the
synthetic pipeline (:mod:`.synth`), after removing anything near-identical to the eval
set. Training is deterministic, so the model version is a hash of its inputs; a trained
model is cached under ``<data dir>/models/`` and re-used until the data, the code or
featurizer version, the vectorizers' settings or scikit-learn changes. Loading a cached
model takes well under a second.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nodes.engine.data import read_jsonl
from nodes.engine.dedup import drop_near_duplicates
from nodes.engine.linear import CODE_VERSION, FEATURIZER_KEY, CategoryModel, sklearn_version, train

DATA_DIR = Path(__file__).parent / "data"
EVAL = DATA_DIR / "eval.jsonl"
#: held-out items written by someone who never saw the seeds, one family of past misses each
FAMILIES_EVAL = DATA_DIR / "families_eval.jsonl"
#: businesses' own label sets (their examples) and messages to classify with them
CUSTOM_EVAL_DIR = DATA_DIR / "custom_eval"


#: the contact details' gold (``tzomet eval classify-lead --data …``): messages, kept out of training too
CONTACT_EVALS = tuple(DATA_DIR / f"{name}.jsonl" for name in ("contact_eval", "contact_heldout", "contact_heldout2"))


def eval_files() -> list[Path]:
    """Every held-out file: none of their texts (or near-copies) may reach training."""
    return [p for p in [EVAL, FAMILIES_EVAL, *CONTACT_EVALS, *sorted(CUSTOM_EVAL_DIR.glob("*.json"))] if p.exists()]


def held_out_rows() -> list[dict[str, Any]]:
    """The texts of every held-out file, as ``{"text": ...}`` rows (a label set's examples too)."""
    rows: list[dict[str, Any]] = []
    for path in eval_files():
        if path.suffix == ".jsonl":
            rows.extend(read_jsonl(path))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
            rows.extend({"text": m["text"]} for m in data.get("messages", []))
            rows.extend({"text": t} for label in data.get("labels", []) for t in label.get("examples", []))
    return rows


def seed_files() -> list[Path]:
    """Every hand-written seed file shipped in ``data/`` (``seeds*.jsonl``)."""
    return sorted(DATA_DIR.glob("seeds*.jsonl"))


def read_seeds() -> list[dict[str, Any]]:
    """All hand-written training seeds."""
    return [row for path in seed_files() for row in read_jsonl(path)]


def shipped_training_rows(seed: int = 13, per_seed: int = 3) -> list[dict[str, Any]]:
    """The seeds plus their synthetic variants, minus near-duplicates of every held-out set."""
    from nodes.classify_lead.synth import expand

    seeds = read_seeds()
    rows = seeds + expand(seeds, seed=seed, per_seed=per_seed)
    return drop_near_duplicates(rows, held_out_rows())


def shipped_version() -> str:
    """The version of the shipped model, from its inputs' bytes (cheap: no training needed)."""
    from nodes.classify_lead import synth

    return inputs_version("clf", f"{CODE_VERSION}|{FEATURIZER_KEY}|{synth.VERSION}|{sklearn_version()}",
                          [*seed_files(), *eval_files()])


def inputs_version(prefix: str, salt: str, files: list[Path]) -> str:
    """``<prefix>-<hash>`` of ``salt`` and the names and bytes of ``files``: a model's version from its inputs."""
    h = hashlib.sha256(salt.encode())
    for path in files:
        h.update(path.name.encode() + (path.read_bytes() if path.exists() else b""))
    return f"{prefix}-{h.hexdigest()[:10]}"


def load_or_train(models_dir: Path) -> CategoryModel:
    """The shipped model: from the cache in ``models_dir`` when current, else trained and cached there."""
    return cached_model(models_dir, shipped_version(), shipped_training_rows)


def cached_model(models_dir: Path, version: str, rows: Callable[[], list[dict[str, Any]]],
                 features: CategoryModel | None = None) -> CategoryModel:
    """The model ``version`` from ``<models_dir>/classify-lead/``, else trained on ``rows()`` and cached
    there; the cached models of the same kind (the same ``<prefix>-``) and older inputs are deleted.
    ``features``: the model whose fitted features it reads (``version`` must name that model's)."""
    path = models_dir / "classify-lead" / f"{version}.joblib"
    if path.exists():
        try:
            model = CategoryModel.load(path)
            if features is None or model.share_features(features):
                return model
        except Exception:  # a corrupt cache is rebuilt, not fatal
            pass
        path.unlink(missing_ok=True)
    model = train(rows(), features=features)
    model.version = version
    try:
        model.save(path)
        prefix = version.split("-", 1)[0]
        for old in path.parent.glob(f"{prefix}-*.joblib*"):  # models of older data (and their pipelines)
            if not old.name.startswith(path.name):  # are never loaded again
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only data dir still serves, it just trains at each start
    return model
