"""classify-lead: intent, urgency, handoff, lead score and contact details of one message.

The category comes from a trained local model (:mod:`.training`, built on
:mod:`nodes.engine.linear`) or, when the request brings its own labels, from few-shot
similarity (:mod:`nodes.engine.fewshot`). Urgency and handoff
come from a transparent rules layer (:mod:`.rules`) and the risk detector (:mod:`.risk`:
harm, danger, a legal deadline, being misled, a demand for a person, in words the rules
have no list for) combined with the model; every rule and every risk family that fires is
returned in ``signals`` with its span.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Literal

from nodes.classify_lead import llm_path, risk
from nodes.classify_lead.contact import contact_fields
from nodes.classify_lead.lead import lead_fields
from nodes.classify_lead.models import (
    DEFAULT_CATEGORIES,
    CategorySpec,
    ClassifyLeadInput,
    ClassifyLeadOutput,
)
from nodes.classify_lead.rules import RuleResult, apply_rules
from nodes.classify_lead.similarity import embedder_of, mix_with_examples
from nodes.classify_lead.training import load_or_train
from nodes.core import versions
from nodes.core.config import Settings
from nodes.core.limits import check_text_chars
from nodes.core.node import Context, Node, NodeError, Reply
from nodes.core.store import StoreError, open_store
from nodes.engine import fewshot
from nodes.engine.linear import CategoryModel
from nodes.engine.llm import LLMResult
from nodes.text import detect_language

log = logging.getLogger("tzomet")

#: below this confidence a person should look (tenant option ``handoff_threshold``)
DEFAULT_HANDOFF_THRESHOLD = 0.3
HANDOFF_SIGNALS = ("human_request", "legal_threat", "public_review_threat", "emergency", "anger")
#: "accident": an accident today in which nobody was hurt (urgent, but not an emergency to hand off)
_HIGH_URGENCY_SIGNALS = ("explicit_urgency", "emergency", "accident", "legal_deadline")
#: a threat or strong anger makes "complaint" win when the model has it close to the top
_COMPLAINT_SIGNALS = ("legal_threat", "public_review_threat", "anger")
_COMPLAINT_MARGIN = 0.25
#: what answers when a request or tenant brings its own labels
FEWSHOT_MODEL = "tfidf-similarity-fewshot"
#: custom labels by words and by meaning (the embedder answered)
FEWSHOT_SEMANTIC_MODEL = "tfidf-e5-similarity-fewshot"


class ClassifyLeadNode(Node):
    """The classify-lead action."""

    name = "classify-lead"
    title = "Classify lead"
    description = ("Intent, urgency, whether a human must take over, lead score and contact details of one "
                   "message (Hebrew, Arabic, English).")
    Input = ClassifyLeadInput
    Output = ClassifyLeadOutput
    engine = "local"
    model = "tfidf-char-word-linear-svm"

    def __init__(self) -> None:
        self._models: dict[str, CategoryModel] = {}
        self._risk: CategoryModel | None = None
        self._active = versions.ActiveVersions(self.name)
        #: each tenant's last model that loaded, served while a newer one cannot be
        self._last_good: dict[str, CategoryModel] = {}
        self._lock = threading.Lock()
        self._loaded = False

    # --- models ------------------------------------------------------------------------

    def _model_for(self, settings: Settings | None, tenant: str | None = None,
                   options: dict[str, Any] | None = None) -> CategoryModel:
        if options is None:
            options = settings.action_options(self.name, tenant) if settings else {}
        custom = options.get("model_path")
        if custom is None and tenant is not None and settings is not None:
            own = self._tenant_model(settings, tenant)
            if own is not None:
                return own
        key = str(custom or "shipped")
        model = self._models.get(key)
        if model is None:
            with self._lock:
                model = self._models.get(key)
                if model is None:
                    cache = (settings or Settings()).model_cache
                    model = CategoryModel.load(Path(custom)) if custom else load_or_train(cache)
                    self._models[key] = model
        return model

    def _with_examples(self, model: CategoryModel, text: str, scores: dict[str, float],
                       settings: Settings | None) -> dict[str, float]:
        """A tenant model's probabilities mixed with the few-shot similarity to its own training
        examples (by words, through the shipped model's richer features, and by meaning), at the
        weight its training chose (:mod:`nodes.classify_lead.tenant_models`)."""
        return mix_with_examples(self._model_for(settings, options={}), model, text, scores, embedder_of(settings))

    def _tenant_model(self, settings: Settings, tenant: str) -> CategoryModel | None:
        """The tenant's active trained version (``tzomet train --tenant``), read from the store at most
        once a second; a version whose artefact fails its sha256 is not loaded, and the version
        served before it keeps serving."""
        try:
            version = self._active.get(open_store(settings.database_url), tenant)
        except StoreError:
            log.warning("store unavailable: tenant %s keeps its last model", tenant)
            return self._last_good.get(tenant)
        if version is None:
            return None
        key = f"tenant:{tenant}:{version.version}"
        model = self._models.get(key)
        if model is None:
            try:
                model = CategoryModel.load(versions.verified_path(version))
            except Exception as err:  # a changed, missing or unreadable artefact
                log.error("tenant %s model %s not loaded: %s", tenant, version.version, err)
                return self._last_good.get(tenant)
            with self._lock:
                self._models[key] = model
        self._last_good[tenant] = model
        return model

    def train_tenant(self, settings: Settings, tenant: str, data_path: Path, **kwargs: Any) -> dict[str, Any]:
        """Train a tenant's own model (see :mod:`nodes.classify_lead.tenant_models`)."""
        from nodes.classify_lead.tenant_models import train_tenant

        return train_tenant(self, settings, tenant, data_path, **kwargs)

    def _risk_model(self, settings: Settings | None) -> CategoryModel:
        """The risk detector's model (one for every tenant: the families are the same everywhere)."""
        if self._risk is None:
            shipped = self._model_for(settings, options={})  # whose features it reads (takes the lock too)
            with self._lock:
                if self._risk is None:
                    self._risk = risk.load_or_train((settings or Settings()).model_cache, shipped)
        return self._risk

    def load(self, settings: Any) -> None:
        """Load (or train and cache) the model the settings name, the shipped one by default.

        Called before every request: once loaded, a flag test.
        """
        if not self._loaded:
            self._model_for(settings)
            self._risk_model(settings)
            self._warm_label_sets(settings)
            self._loaded = True

    def preload(self, settings: Any) -> None:
        """The model is read-only arrays: loaded once before the server forks its workers (the
        embedder, a native engine with its own threads, is loaded after the fork, in :meth:`load`)."""
        self._model_for(settings)
        self._risk_model(settings)

    def _warm_label_sets(self, settings: Settings | None) -> None:
        """The tenants' default label sets, featurised and embedded now rather than at their first message."""
        if settings is None:
            return
        sets: list[tuple[str | None, dict[str, Any]]] = [(None, settings.action_options(self.name, None))]
        sets += [(t.name, settings.action_options(self.name, t.name)) for t in settings.tenants]
        embedder = embedder_of(settings)
        for tenant, options in sets:
            categories = _tenant_categories(options)
            if categories:
                fewshot.label_side(self._model_for(settings, tenant, options), categories, embedder)

    def ready(self, settings: Any) -> tuple[bool, str]:
        if not self._loaded:
            return False, "model not loaded"
        return True, ""

    # --- the action --------------------------------------------------------------------

    def run(self, data: ClassifyLeadInput, ctx: Context) -> Reply:
        check_text_chars(data.text, "text", ctx.settings)
        options = ctx.options(self.name)
        model = self._model_for(ctx.settings, ctx.tenant, options)
        text = data.text
        rules = apply_rules(text)
        custom = data.categories or _tenant_categories(options)
        used = self.model
        embedder = None
        if custom:
            # by meaning as well when the embedder answers; by words alone when it is off or
            # failed (meta.model says which)
            embedder = embedder_of(ctx.settings)
            scores, semantic = fewshot.classify(model, text, custom, embedder)
            used = FEWSHOT_SEMANTIC_MODEL if semantic else FEWSHOT_MODEL
            if not semantic and options.get("require_embeddings"):
                # the tenant asked never to be answered by words alone
                raise NodeError(503, "The embeddings backend did not answer and this tenant's custom labels "
                                     "require it (option require_embeddings); retry later.",
                                title="Embeddings unavailable", headers={"Retry-After": "30"})
        else:
            scores = model.predict(text)
            if model.examples:  # a tenant's own model: its examples by meaning too
                scores = self._with_examples(model, text, scores, ctx.settings)
            scores = _complaint_precedence(scores, rules)
        category = max(scores, key=scores.__getitem__)
        confidence = scores[category]
        contact = contact_fields(text, data.sender)
        engine = ctx.settings.engine_for(self.name, ctx.tenant) if ctx.settings is not None else "local"
        llm: LLMResult | None = None
        if engine != "local" and llm_path.wanted(engine, confidence, options):
            labels = ({c.name: c.description for c in custom} if custom
                      else {k: llm_path.DEFAULT_MEANINGS.get(k, "") for k in scores})
            names = [n for n in (contact.get("name"), data.sender.name if data.sender else None) if n]
            llm = llm_path.ask_category(text, labels, names, ctx.settings, options, ctx.tenant, engine)
            if llm.answer is not None:
                scores = llm_path.blend(scores, llm.answer)
                category = max(scores, key=scores.__getitem__)
                confidence = scores[category]
        risks = [] if category == "spam" or options.get("risk_detector") is False else risk.detect(
            self._risk_model(ctx.settings), text, float(options.get("risk_threshold", risk.THRESHOLD)))
        urgency = _urgency(category, rules, risks)
        threshold = float(options.get("handoff_threshold", DEFAULT_HANDOFF_THRESHOLD))
        handoff = _handoff(category, confidence, threshold, rules, risks)
        language = data.language if data.language != "auto" else detect_language(text)
        output = ClassifyLeadOutput.model_validate({
            "category": category,
            "confidence": round(confidence, 4),
            "scores": {k: round(scores[k], 4) for k in sorted(scores, key=scores.__getitem__, reverse=True)},
            "urgency": urgency,
            "handoff": handoff,
            "lead": lead_fields(category, confidence, urgency, rules, contact),
            "language": language,
            "contact": contact,
            "signals": [{"type": h.type, "text": h.text, "start": h.start, "end": h.end} for h in rules.hits]
            + [{"type": f"risk_{r.family}", "text": r.text, "start": r.start, "end": r.end} for r in risks],
        })
        version = model.version
        if used == FEWSHOT_SEMANTIC_MODEL and embedder is not None:
            version = f"{model.version}+{embedder.version}"
        if llm is None:
            return Reply(output, model=used, model_version=version)
        if llm.answer is None:  # the LLM failed: the local engine answered, and meta says why
            return Reply(output, model=used, model_version=version, engine="local", meta_extra={"llm": llm.meta()})
        return Reply(output, model=llm.answer.model, model_version=llm.prompt, engine="llm",
                     meta_extra={"llm": llm.meta()})

    def decision(self, output: Any) -> dict[str, Any] | None:
        """Category, confidence, urgency, handoff and language: what the pilot report counts."""
        return {"category": output.category, "confidence": output.confidence, "urgency": output.urgency,
                "handoff": output.handoff.required, "reasons": list(output.handoff.reasons),
                "language": output.language}

    def body(self, data: Any) -> str | None:
        """The message, kept with its answer when the tenant stores bodies (its corrections can then train)."""
        return str(getattr(data, "text", "") or "") or None

    # --- evaluation and training ---------------------------------------------------------

    def evaluate(self, data_path: str | None = None, **options: Any) -> dict[str, Any]:
        from nodes.classify_lead.eval import evaluate

        return evaluate(self, Path(data_path) if data_path else None)

    def train(self, data_path: str | None = None, out: str | None = None, settings: Any = None) -> dict[str, Any]:
        """Train a model on ``data_path`` (JSON lines of ``{"text", "category"}``; the shipped data by
        default) and write it to ``out`` (default ``<model cache>/classify-lead/trained/<version>.joblib``,
        apart from the shipped model's cache, which keeps only the current version).

        Raises ``ValueError`` naming the first unusable line of ``data_path``.
        """
        from nodes.classify_lead.training import shipped_training_rows
        from nodes.engine.data import read_labelled
        from nodes.engine.linear import train

        rows = read_labelled(Path(data_path)) if data_path else shipped_training_rows()
        model = train(rows)
        cache = (settings or Settings()).model_cache
        target = Path(out) if out else cache / self.name / "trained" / f"{model.version}.joblib"
        model.save(target)
        return {"model_version": model.version, "path": str(target), "rows": len(rows),
                "labels": model.labels}

    def synth(self, seed: int = 13, per_seed: int = 3, data_path: Path | None = None,
              text_col: str | None = None, label_col: str | None = None) -> list[dict[str, Any]]:
        """The synthetic expansion of the shipped seeds; or a tenant's own rows (``data_path``)
        followed by their variants (each row's language detected, as the seeds carry theirs)."""
        from nodes.classify_lead.synth import expand
        from nodes.classify_lead.training import read_seeds
        from nodes.engine.tabular import read_training_file

        if data_path is None:
            return expand(read_seeds(), seed=seed, per_seed=per_seed)
        rows = [{"text": r["text"], "category": r["category"], "lang": detect_language(r["text"])}
                for r in read_training_file(data_path, text_col=text_col, label_col=label_col).rows]
        return rows + expand(rows, seed=seed, per_seed=per_seed)


def _tenant_categories(options: dict[str, Any]) -> list[Any] | None:
    raw = options.get("categories")
    return [CategorySpec.model_validate(c) for c in raw] if raw else None


def _complaint_precedence(scores: dict[str, float], rules: RuleResult) -> dict[str, float]:
    """Complaint has precedence 1: with a threat or strong anger it wins when it is close."""
    if "complaint" not in scores or rules.kinds.isdisjoint(_COMPLAINT_SIGNALS):
        return scores
    top = max(scores.values())
    if scores["complaint"] >= top - _COMPLAINT_MARGIN and scores["complaint"] < top:
        boosted = dict(scores)
        boosted["complaint"] = top + 1e-3
        total = sum(boosted.values())
        return {k: v / total for k, v in boosted.items()}
    return scores


#: the categories where a deadline ("today", "מחר", "بكرة") means the problem is urgent
_PROBLEMS = frozenset({"complaint", "support"})


def _urgency(category: str, rules: RuleResult, risks: list[risk.RiskHit]) -> Literal["high", "normal", "low"]:
    if category == "spam":
        return "low"
    if not rules.kinds.isdisjoint(_HIGH_URGENCY_SIGNALS) or any(r.family in risk.URGENT for r in risks):
        return "high"
    # a time word makes a problem urgent (a complaint, a support request: needed by then), never a
    # booking, a payment or a question: "can I come tomorrow" is routine
    if rules.has("deadline") and category in _PROBLEMS:
        return "high"
    # a legal matter the risk detector heard, with a time word on it: the customer's deadline
    if rules.has("deadline") and any(r.family == "legal" for r in risks):
        return "high"
    if rules.has("not_urgent") or category == "other":
        return "low"
    return "normal"


def _handoff(category: str, confidence: float, threshold: float, rules: RuleResult,
             risks: list[risk.RiskHit]) -> dict[str, Any]:
    """The fields of :class:`Handoff`: the rules' reasons, then the risk families' (once each)."""
    if category == "spam":
        return {"required": False, "reasons": []}
    reasons: list[Any] = [k for k in HANDOFF_SIGNALS if k in rules.kinds]
    if rules.has("legal_deadline") and "legal_threat" not in reasons:  # a hearing or an answer due: legal
        reasons.append("legal_threat")
    reasons += [r for r in dict.fromkeys(hit.reason for hit in risks) if r not in reasons]
    if confidence < threshold:
        reasons.append("low_confidence")
    return {"required": bool(reasons), "reasons": reasons}


__all__ = ["DEFAULT_CATEGORIES", "ClassifyLeadNode"]
