"""A tenant's own classify-lead model: trained on its labelled messages, gated by evals, versioned.

``tzomet train classify-lead --tenant acme --data FILE`` reads the file
(:func:`nodes.engine.tabular.read_training_file`: JSONL, CSV or XLSX, its own labels), holds out a
stratified fifth of it (or scores on ``--eval FILE``), trains the same n-gram linear model as the
shipped one (optionally on the shipped data too, ``--with-base``), and scores it through the
node itself — category and handoff — beside three references on the same held-out rows:

* the tenant's active version, when it has one;
* the custom-labels path given the same examples (up to :data:`FEWSHOT_EXAMPLES` a label);
* chance: a model must reach twice the macro-F1 of guessing (a file with shuffled labels cannot).

The new version becomes active when its macro-F1 (and handoff recall, when the file has a handoff
column) is not worse than the active version's and the custom-labels path's by more than
``tolerance``, above chance, and above every ``--min``; otherwise it is kept as a candidate and
the report says why. Every run is a version in the store (:mod:`nodes.core.versions`); its
artefact sits in ``<models dir>/tenants/<tenant>/classify-lead/``. One training per tenant at a
time (a lock file beside the artefacts).
"""

from __future__ import annotations

import dataclasses
import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import numpy as np

from nodes.classify_lead.models import CategorySpec, ClassifyLeadInput, ClassifyLeadOutput
from nodes.classify_lead.similarity import embedder_of, mix_with_examples
from nodes.core import versions
from nodes.core.config import Settings
from nodes.core.node import Context
from nodes.core.runner import run
from nodes.core.store import open_store
from nodes.engine.embed import EmbeddingUnavailable
from nodes.engine.linear import CODE_VERSION, train
from nodes.engine.metrics import binary_report, check_minimums, classification_report
from nodes.engine.tabular import (
    TrainingDataError,
    hash_text,
    read_training_file,
    stratified_split,
)

ACTION = "classify-lead"
FEWSHOT_EXAMPLES = 20
#: held-out rows scored at most (a fixed sample of them beyond that)
MAX_SCORED = 400
#: rows of an inner split scored when choosing the weight, at most
MAX_CHOOSING = 300
#: the (examples, embedding head) weights training chooses from; the n-gram weights get the rest
MIXES = ((0.0, 0.0), (0.3, 0.0), (0.5, 0.0), (0.7, 0.0), (1.0, 0.0), (0.0, 1.0), (0.5, 0.5), (0.3, 0.5),
         (0.2, 0.4), (0.3, 0.3), (0.4, 0.4))
#: the inverse regularisation of the embedding head
HEAD_C = 10.0
#: from this many rows, inner splits choose the weights (one split; below, the fixed :data:`SMALL_DATA_MIX`)
MANY_ROWS = 1000
#: the (examples, embedding head) weights below :data:`MANY_ROWS` rows, when the embedder answers: with a dozen
#: rows a label, choosing on fifths of the training rows (~20 messages) picked noise — five businesses' own
#: label sets, three splits each: chosen 0.671 mean macro-F1, this fixed mix 0.696, and the n-gram weights never
#: helped
SMALL_DATA_MIX = (0.5, 0.5)
DEFAULT_TOLERANCE = 0.01


class TrainingBusy(RuntimeError):
    """Another training of this tenant is running."""


@contextmanager
def _tenant_lock(folder: Path, tenant: str) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".training.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise TrainingBusy(f"a training of tenant {tenant!r} is already running") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _score(node: Any, settings: Settings, rows: list[dict[str, Any]], labels: list[str],
           options: dict[str, Any]) -> dict[str, Any]:
    """Macro-F1 (and handoff recall when the rows have it) of the node with ``options`` on ``rows``."""
    ctx = Context(settings=dataclasses.replace(settings, options={ACTION: options}, tenants=()))
    predicted, handoff = [], []
    for row in rows:
        out = cast(ClassifyLeadOutput, run(node, ClassifyLeadInput(text=row["text"]), ctx).output)
        predicted.append(out.category)
        handoff.append(out.handoff.required)
    report = classification_report([r["category"] for r in rows], predicted, labels)
    result: dict[str, Any] = {"macro_f1": report["macro_f1"], "accuracy": report["accuracy"]}
    if rows and all("handoff" in r for r in rows):
        result["handoff_recall"] = binary_report([bool(r["handoff"]) for r in rows], handoff)["recall"]
    return result


def _fewshot_options(rows: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    """The custom-labels path given the same examples: each label with its first training rows."""
    return {"categories": [CategorySpec(name=label, examples=[r["text"] for r in rows if r["category"] == label]
                                        [:FEWSHOT_EXAMPLES]).model_dump() for label in labels]}


def train_tenant(node: Any, settings: Settings, tenant: str, data_path: Path, *, text_col: str | None = None,
                 label_col: str | None = None, handoff_col: str | None = None, urgency_col: str | None = None,
                 with_base: bool = False, eval_path: Path | None = None, minimums: list[str] | None = None,
                 tolerance: float = DEFAULT_TOLERANCE, with_feedback: bool = False,
                 say: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Train, score, record and (when the gate passes) promote a tenant's model; the report."""
    if settings.tenant(tenant) is None:
        raise TrainingDataError(f"unknown tenant {tenant!r}: add it to the config file first")
    columns = {"text_col": text_col, "label_col": label_col, "handoff_col": handoff_col, "urgency_col": urgency_col}
    data = read_training_file(data_path, **columns)
    for warning in data.warnings:
        say(f"warning: {warning}")
    if eval_path is not None:
        held = read_training_file(eval_path, **columns).rows
        train_rows = data.rows
    else:
        train_rows, held = stratified_split(data.rows)
    labels = sorted({r["category"] for r in data.rows})
    if not held:
        raise TrainingDataError("nothing to score the model on: give at least 3 rows per label, or --eval FILE")
    if len(held) > MAX_SCORED:  # every reference is scored on the same rows; the custom-labels path embeds them
        held = sorted(held, key=lambda r: hash_text(r["text"]))[:MAX_SCORED]
    folder = settings.model_cache / "tenants" / tenant / ACTION
    store = open_store(settings.database_url)
    feedback = None
    if with_feedback:
        corrected, feedback = _feedback(store, tenant, labels, {r["text"] for r in held}, say)
        seen = {r["text"] for r in train_rows}
        train_rows = [*train_rows, *(r for r in corrected if r["text"] not in seen)]
    with _tenant_lock(folder, tenant):
        say(f"training on {len(train_rows)} rows, {len(labels)} labels{' and the shipped data' if with_base else ''}")
        started = time.perf_counter()
        base: list[dict[str, Any]] = []
        if with_base:
            from nodes.classify_lead.training import shipped_training_rows

            base = shipped_training_rows()
        weights = _choose_weights(node, settings, train_rows, base, labels)
        model = train([*train_rows, *base])
        model.examples_weight, model.head_weight = weights
        model.examples = _examples(train_rows, labels)
        model.head = _head(train_rows, labels, embedder_of(settings)) if model.head_weight else None
        seconds = round(time.perf_counter() - started, 1)
        version = f"{tenant}-{model.version}"
        model.version = version
        path = folder / f"{version}.joblib"
        model.save(path)
        say(f"trained in {seconds} s; scoring on {len(held)} held-out rows")
        new = _score(node, settings, held, labels, {"model_path": str(path)})
        current = versions.active(store, tenant, ACTION)
        references: dict[str, dict[str, Any]] = {
            "custom_labels_path": _score(node, settings, held, labels, _fewshot_options(train_rows, labels))}
        if current is not None and current.version != version:
            try:
                references["active"] = _score(node, settings, held, labels,
                                              {"model_path": str(versions.verified_path(current))})
            except ValueError as err:
                say(f"warning: {err}")
        failures = _gate(new, references, len(labels), tolerance, minimums or [])
        info = {"data_sha256": data.sha256, "rows": len(data.rows), "train_rows": len(train_rows),
                "feedback_rows": feedback["usable_for_training"] if feedback else 0,
                "held_out_rows": len(held), "labels": data.labels, "with_base": with_base,
                "metrics": new, "references": references, "code_version": CODE_VERSION,
                "train_seconds": seconds, "gate": failures or "passed"}
        recorded = versions.record(store, tenant, ACTION, version, path, info)
        if not failures:
            recorded = versions.promote(store, tenant, ACTION, version)
    return {"tenant": tenant, "version": version, "status": recorded.status, "promoted": not failures,
            **({"feedback": feedback} if feedback is not None else {}),
            "metrics": new, "references": references, "gate": failures or "passed",
            "warnings": data.warnings, "rows": len(data.rows), "labels": data.labels, "path": str(path)}


def _feedback(store: Any, tenant: str, labels: list[str], held_texts: set[str],
              say: Callable[[str], None]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """What ``--with-feedback`` folds in: the tenant's corrected answers whose message was kept
    (``store_bodies``), as training rows with the corrected category (and handoff/urgency when corrected);
    and a count of the corrections that cannot train, by why — kept as labels on an answer's id."""
    rows: list[dict[str, Any]] = []
    why: dict[str, int] = {}
    corrections = 0
    for _rid, action, _at, _ms, _version, fields, correct in store.decisions(tenant, 0.0):
        if action != ACTION or not correct or "category" not in correct:
            continue
        corrections += 1
        text = fields.get("text")
        if not text:
            reason = "no message text is stored (the tenant's store_bodies is off)"
        elif correct["category"] not in labels:
            reason = "the corrected label is not one of the training file's labels"
        elif text in held_texts:
            reason = "the message is one of the held-out rows"
        else:
            row = {"text": text, "category": correct["category"]}
            row.update({k: correct[k] for k in ("handoff", "urgency") if k in correct})
            rows.append(row)
            continue
        why[reason] = why.get(reason, 0) + 1
    say(f"feedback: {corrections} corrections, {len(rows)} folded into the training rows")
    for reason, n in why.items():
        say(f"warning: {n} corrections are not usable for training: {reason}")
    return rows, {"corrections": corrections, "usable_for_training": len(rows), "not_usable": why}


def _examples(rows: list[dict[str, Any]], labels: list[str]) -> dict[str, list[str]]:
    return {label: [r["text"] for r in rows if r["category"] == label][:FEWSHOT_EXAMPLES] for label in labels}


def _head(rows: list[dict[str, Any]], labels: list[str], embedding: Any) -> dict[str, Any] | None:
    """A logistic regression over the sentence embeddings of ``rows`` (``None`` without an embedder,
    or above :data:`MANY_ROWS` rows: embedding them all would take minutes)."""
    if embedding is None or len(rows) >= MANY_ROWS:
        return None
    from sklearn.linear_model import LogisticRegression

    try:
        vectors = embedding.embed([r["text"] for r in rows], "query")
    except EmbeddingUnavailable:
        return None
    fitted = LogisticRegression(C=HEAD_C, max_iter=2000).fit(vectors, [r["category"] for r in rows])
    return {"labels": [str(c) for c in fitted.classes_], "coef": fitted.coef_.astype(np.float32),
            "intercept": fitted.intercept_.astype(np.float32)}


def _choose_weights(node: Any, settings: Settings, rows: list[dict[str, Any]], base: list[dict[str, Any]],
                    labels: list[str]) -> tuple[float, float]:
    """``(examples_weight, head_weight)``: below :data:`MANY_ROWS` rows (with an embedder) the fixed
    :data:`SMALL_DATA_MIX`; otherwise the mix that scores best, on average, on held-out fifths of the
    training rows (three different fifths without an embedder below :data:`MANY_ROWS` rows, one above;
    the tenant's held-out rows are not looked at). With a dozen rows a label the examples and the
    embeddings say more than the n-gram weights; with thousands the n-gram weights may."""
    embedding = embedder_of(settings)
    if len(rows) < MANY_ROWS and embedding is not None:
        return SMALL_DATA_MIX
    featurizer = node._model_for(settings, options={})  # the shipped model
    totals = dict.fromkeys(MIXES, 0.0)
    splits = 0
    for seed in (29, 31, 37)[: 3 if len(rows) < MANY_ROWS else 1]:
        inner, check = stratified_split(rows, seed=seed)
        if not check or len({r["category"] for r in inner}) < len(labels):
            continue
        try:
            model = train([*inner, *base], folds=2)  # only to choose weights: a rougher calibration does
        except ValueError:  # too few rows of a label to leave a fifth out
            continue
        model.examples = _examples(inner, labels)
        model.head = _head(inner, labels, embedding)
        check = sorted(check, key=lambda r: hash_text(r["text"]))[:MAX_CHOOSING]  # each one is embedded
        gold = [r["category"] for r in check]
        plain = [model.predict(r["text"]) for r in check]
        for mix in MIXES:
            model.examples_weight, model.head_weight = mix
            if mix[1] and model.head is None:
                continue
            predicted = []
            for r, scores in zip(check, plain, strict=True):
                mixed = mix_with_examples(featurizer, model, r["text"], scores, embedding)
                predicted.append(max(mixed, key=mixed.__getitem__))
            totals[mix] += float(classification_report(gold, predicted, labels)["macro_f1"])
        splits += 1
    if not splits:
        return 0.5, 0.0
    # a tie: more weight on the examples and the embeddings
    return max(MIXES, key=lambda m: (round(totals[m] / splits, 3), m[0] + m[1], m[1]))


def _gate(new: dict[str, Any], references: dict[str, dict[str, Any]], n_labels: int, tolerance: float,
          minimums: list[str]) -> list[str]:
    """Why the new model may not become active (empty: it may)."""
    failures = []
    chance = 2.0 / n_labels
    if new["macro_f1"] < chance:
        failures.append(f"macro-F1 {new['macro_f1']:.3f} is below twice chance ({chance:.3f}): are the labels right?")
    for name, ref in references.items():
        for metric in ("macro_f1", "handoff_recall"):
            if metric in new and metric in ref and new[metric] < ref[metric] - tolerance:
                failures.append(f"{metric} {new[metric]:.3f} is worse than the {name.replace('_', ' ')} "
                                f"({ref[metric]:.3f}) by more than {tolerance}")
    failures += [f"--min: {failure}" for failure in check_minimums(new, minimums)]
    return failures

