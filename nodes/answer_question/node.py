"""answer-question and knowledge: answer customers from the business's own documents, or hand over.

``POST /v1/knowledge`` adds a document to the caller's knowledge base (JSON with base64 or text,
multipart with a ``file`` part, or the raw file with its type); ``GET /v1/knowledge`` lists them,
``GET``/``DELETE /v1/knowledge/<id>`` show or remove one. ``POST /v1/answer-question`` retrieves
passages (:mod:`.index`), answers from them (:mod:`.answer`, or :mod:`.llm_path` with the LLM
engine) and cites them; when nothing supports an answer, ``answered`` is false and a person is
asked to take over. The tenant comes from the API key: a tenant never sees another's documents.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, ClassVar

import click

from nodes.core import documents
from nodes.core.config import Settings
from nodes.core.decisions import DEFAULT_TENANT
from nodes.core.limits import Deadline, check_text_chars
from nodes.core.node import Context, Node, NodeError, Reply, Route
from nodes.core.store import Store, StoreError, open_store
from nodes.engine.embed import EmbeddingUnavailable, embedder_from
from nodes.text.language import detect_language

from . import kb, llm_path, readers
from .answer import DEFAULT_MIN_CONFIDENCE, Answer, Passage, answer
from .models import (
    AnswerQuestionInput,
    AnswerQuestionOutput,
    Citation,
    Handoff,
    KnowledgeInput,
    KnowledgeOutput,
)

EMPTY_HINT = ("This tenant's knowledge base is empty: add documents with POST /v1/knowledge "
              "or `tzomet kb add --tenant <tenant> FILES`.")
#: passages retrieved for an answer (the answer quotes from the first few; citations list up to max_passages)
RETRIEVED = 10


def _store(settings: Settings) -> Store:
    return open_store(settings.database_url)


def _unavailable() -> NodeError:
    return NodeError(503, "The knowledge store is unavailable; try again.")


def _embed_fn(settings: Settings) -> Any:
    """Passages' embedding function, or ``None`` when embeddings are off or down."""
    embedder = embedder_from(settings)
    if embedder is None:
        return None
    return lambda texts: embedder.embed(texts, "passage")


class AnswerQuestionNode(Node):
    """Answer a customer's question from the tenant's documents, with citations, or hand over."""

    name = "answer-question"
    title = "Answer a question"
    description = (
        "Answers a customer's question (Hebrew, Arabic, English) from the business's own documents "
        "(POST /v1/knowledge), quoting and citing them; when they do not answer it, answered is false and a "
        "person is asked to take over - never a guess."
    )
    Input = AnswerQuestionInput
    Output = AnswerQuestionOutput
    engine = "local"
    model = "kb-retrieval"
    model_version = "1"

    def run(self, data: AnswerQuestionInput, ctx: Context) -> Reply:
        settings = ctx.settings or Settings()
        tenant = ctx.tenant or DEFAULT_TENANT
        options = ctx.options(self.name)
        language = detect_language(data.question)
        embedder = embedder_from(settings)
        try:
            kindex = kb.INDEXES.get(_store(settings), tenant, embedder.dim if embedder is not None else None)
        except StoreError:
            raise _unavailable() from None
        if not kindex.passages:
            out = AnswerQuestionOutput(answer="", answered=False, confidence=0.0, language=language, citations=[],
                                       handoff=Handoff(required=True, reasons=["the knowledge base is empty"]),
                                       hint=EMPTY_HINT)
            return Reply(out, model_version=f"{self.model_version}+{kindex.revision or 'empty'}")

        query = None  # the question's vector, when there are passages' vectors to compare it with
        if embedder is not None and kindex.index.vectors is not None:
            with contextlib.suppress(EmbeddingUnavailable):  # the lexical retrievers answer alone
                query = embedder.embed([data.question], "query")[0]
        passages = kb.search(kindex, data.question, RETRIEVED, query)
        threshold = data.min_confidence if data.min_confidence is not None else \
            float(options.get("min_confidence", DEFAULT_MIN_CONFIDENCE))
        local = answer(data.question, passages, kindex.index.words, threshold, query)
        version = f"{self.model_version}+{(kindex.revision or '')[:8]}"
        engine = settings.engine_for(self.name, ctx.tenant) if ctx.settings is not None else "local"
        if engine != "local" and passages:
            result = llm_path.ask_answer(data.question, passages[:5], data.language or language, settings, options,
                                         ctx.tenant, engine)
            done = llm_path.written(result, passages[:5])
            if done is not None:
                out = self._llm_output(done, local, language, data.max_passages)
                return Reply(out, engine="llm", model=result.answer.model if result.answer else None,
                             model_version=result.prompt, meta_extra={"llm": result.meta()})
            return Reply(self._output(local, passages, language, data.max_passages), engine="local",
                         model_version=version, meta_extra={"llm": result.meta()})
        return Reply(self._output(local, passages, language, data.max_passages), model_version=version)

    @staticmethod
    def _citation(passage: Passage, start: int, end: int) -> Citation:
        return Citation(document=passage.document, heading=passage.heading, quote=passage.text[start:end].strip(),
                        span=[passage.start + start, passage.start + end])

    def _output(self, local: Answer, passages: list[Passage], language: str, limit: int) -> AnswerQuestionOutput:
        citations: list[Citation] = []
        if local.answered:
            passage = local.quotes[0][0]
            starts = [s for _, s, _ in local.quotes]
            ends = [e for _, _, e in local.quotes]
            citations.append(self._citation(passage, min(starts), max(ends)))
            for other in passages[1:]:
                if len(citations) >= limit:
                    break
                if other.text != passage.text and _relevant(other, passages[0]):
                    citations.append(self._citation(other, 0, len(other.text)))
        return AnswerQuestionOutput(
            answer=local.text, answered=local.answered, confidence=local.confidence, language=language,
            citations=citations[:limit],
            handoff=Handoff(required=not local.answered, reasons=local.reasons if not local.answered else []))

    def _llm_output(self, done: llm_path.Written, local: Answer, language: str, limit: int) -> AnswerQuestionOutput:
        if not done.answered:
            return AnswerQuestionOutput(
                answer="", answered=False, confidence=local.confidence, language=language, citations=[],
                handoff=Handoff(required=True, reasons=["the passages found do not answer the question"]))
        citations = [self._citation(p, 0, len(p.text)) for p in done.cited][:limit]
        return AnswerQuestionOutput(answer=done.text, answered=True, confidence=local.confidence, language=language,
                                    citations=citations, handoff=Handoff(required=False, reasons=[]))

    def decision(self, output: Any) -> dict[str, Any] | None:
        """Answered or handed over, and how sure: no text."""
        return {"answered": output.answered, "confidence": output.confidence, "handoff": output.handoff.required}

    def commands(self) -> list[Any]:
        return [kb_group]

    def evaluate(self, data_path: str | None = None, **options: Any) -> dict[str, Any]:
        """Retrieval and answers on gold questions (see :mod:`.eval`); ``kb_dir`` the documents."""
        from nodes.core.config import load_settings

        from .eval import SHIPPED, evaluate

        kb_dir = Path(options["kb_dir"]) if options.get("kb_dir") else SHIPPED / "kb"
        return evaluate(kb_dir, Path(data_path) if data_path else None, embedder_from(load_settings()))


def _relevant(passage: Passage, best: Passage) -> bool:
    """Whether a further passage is worth citing beside the best one (close to it in the fused ranking)."""
    return passage.hit.score >= 0.6 * best.hit.score


class KnowledgeNode(Node):
    """Add a document to the caller's knowledge base (and list, show, delete them by their routes)."""

    name = "knowledge"
    title = "Knowledge base"
    description = (
        "Adds a document (PDF, DOCX, HTML, Markdown, text) to the caller's knowledge base for answer-question; "
        "adding the same name again replaces it. GET /v1/knowledge lists them; GET and DELETE "
        "/v1/knowledge/{id} show or remove one."
    )
    Input = KnowledgeInput
    Output = KnowledgeOutput
    extra_content_types: ClassVar[tuple[str, ...]] = (
        "multipart/form-data", documents.PDF, documents.DOCX, documents.TEXT, readers.HTML, readers.MARKDOWN,
        documents.OCTET)
    model = "kb-chunks"
    model_version = "1"

    def parse_body(self, content_type: str, body: bytes, form: Any = None) -> dict[str, Any]:
        """A multipart upload (``file``, optional ``document`` name) or the raw file (named by ``?document=``)."""
        if content_type == "multipart/form-data":
            data, filename, mimetype = documents.uploaded_file(form)
            name = (form.form.get("document") or filename or "").strip()
            if not name:
                raise NodeError(422, "Name the document: a 'document' form part, or a file name.",
                                errors=[{"loc": "document", "msg": "field required"}])
            return {"document": name, "content_base64": base64.b64encode(data).decode("ascii"),
                    "content_type": mimetype}
        raise NodeError(415, "Send the document as JSON ({document, content_base64 | text}) or as multipart/form-data "
                             "with a 'file' part.")

    def run(self, data: KnowledgeInput, ctx: Context) -> KnowledgeOutput:
        settings = ctx.settings or Settings()
        tenant = ctx.tenant or DEFAULT_TENANT
        if data.text is not None:
            check_text_chars(data.text, "text", settings)
            raw = data.text.encode("utf-8")
            content_type = data.content_type or (None if Path(data.document).suffix else readers.MARKDOWN)
        else:
            try:
                raw = base64.b64decode(data.content_base64 or "", validate=True)
            except (binascii.Error, ValueError):
                raise NodeError(422, "content_base64 is not valid base64.",
                                errors=[{"loc": "content_base64", "msg": "not base64"}]) from None
            if not raw:
                raise NodeError(422, "The file is empty.", errors=[{"loc": "content_base64", "msg": "empty"}])
            content_type = data.content_type
        store = _store(settings)
        try:
            replaced = bool(store.kb_docs(tenant, kb.document_id(data.document)))
            listing = kb.add(store, tenant, data.document, raw, content_type, settings, ctx.deadline,
                             _embed_fn(settings), embed_up_to=kb.SYNC_EMBED_CHUNKS)
        except StoreError:
            raise _unavailable() from None
        except EmbeddingUnavailable:
            listing = kb.add(store, tenant, data.document, raw, content_type, settings, ctx.deadline, None)
        return KnowledgeOutput(**listing, replaced=replaced)

    def routes(self) -> list[Route]:
        return [Route("GET", "/v1/knowledge", self._list, metric="knowledge_list",
                      summary="The caller's documents"),
                Route("GET", "/v1/knowledge/<doc_id>", self._show, metric="knowledge_show",
                      summary="One document and its passages"),
                Route("DELETE", "/v1/knowledge/<doc_id>", self._delete, metric="knowledge_delete",
                      summary="Remove a document")]

    @staticmethod
    def _rows(ctx: Context, doc_id: str | None = None, with_chunks: bool = False) -> list[tuple[Any, ...]]:
        try:
            return _store(ctx.settings or Settings()).kb_docs(ctx.tenant or DEFAULT_TENANT, doc_id,
                                                             with_chunks=with_chunks)
        except StoreError:
            raise _unavailable() from None

    @classmethod
    def _list(cls, ctx: Context) -> dict[str, Any]:
        return {"documents": [kb.listing(row) for row in cls._rows(ctx)]}

    @classmethod
    def _show(cls, ctx: Context, doc_id: str) -> dict[str, Any]:
        rows = cls._rows(ctx, doc_id, with_chunks=True)
        if not rows:
            raise NodeError(404, f"No document {doc_id!r} in this knowledge base.")
        passages = [{k: c[k] for k in ("heading", "text", "start", "end", "kind")} for c in rows[0][5]]
        return {**kb.listing(rows[0]), "passages": passages}

    @staticmethod
    def _delete(ctx: Context, doc_id: str) -> dict[str, Any]:
        store, tenant = _store(ctx.settings or Settings()), ctx.tenant or DEFAULT_TENANT
        try:
            deleted = store.kb_delete(tenant, doc_id)
        except StoreError:
            raise _unavailable() from None
        kb.INDEXES.forget(store, tenant)
        if not deleted:
            raise NodeError(404, f"No document {doc_id!r} in this knowledge base.")
        return {"deleted": doc_id}


# --- tzomet kb ------------------------------------------------------------------------------------

@click.group("kb")
def kb_group() -> None:
    """A tenant's knowledge base for answer-question: add, list, delete documents."""


@kb_group.command("add")
@click.option("--tenant", default=DEFAULT_TENANT, show_default=True)
@click.option("--dense/--no-dense", default=True, show_default=True,
              help="Embed the passages (meaning-based and cross-language retrieval); slower to add.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
def kb_add(tenant: str, dense: bool, files: tuple[str, ...]) -> None:
    """Add FILES (PDF, DOCX, HTML, Markdown, text) to the tenant's knowledge base; the same name replaces."""
    from nodes.core.config import load_settings

    settings = load_settings()
    store = _store(settings)
    embed = _embed_fn(settings) if dense else None
    failed = 0
    with click.progressbar(files, label="adding", file=sys.stderr) as bar:
        for path in bar:
            try:
                listing = kb.add(store, tenant, Path(path).name, Path(path).read_bytes(), None,
                                 dataclasses.replace(settings, request_budget_s=3600.0), Deadline(3600), embed)
                click.echo(json.dumps(listing, ensure_ascii=False))
            except NodeError as err:
                failed += 1
                click.secho(f"{path}: {err.detail}", fg="red", err=True)
    if failed:
        sys.exit(1)


@kb_group.command("embed")
@click.option("--tenant", default=DEFAULT_TENANT, show_default=True)
@click.option("--all", "everything", is_flag=True,
              help="Embed every document again: after changing the embedder, or to give documents embedded "
                   "before sentences had vectors theirs.")
def kb_embed(tenant: str, everything: bool) -> None:
    """Embed the tenant's documents that have no vectors yet (added with --no-dense, or long ones whose
    background embedding stopped with its process), or with --all every document."""
    from nodes.core.config import load_settings

    settings = load_settings()
    store = _store(settings)
    embed = _embed_fn(settings)
    if embed is None:
        raise click.ClickException("embeddings are off (TZOMET_EMBEDDER=off): nothing to embed with")
    todo = [row for row in store.kb_docs(tenant) if everything or not row[4].get("dense")]
    with click.progressbar(todo, label="embedding", file=sys.stderr) as bar:
        for doc_id, name, sha256, _, _ in bar:
            if kb.embed_stored(store, tenant, doc_id, sha256, embed):
                click.echo(json.dumps({"embedded": name}, ensure_ascii=False))


@kb_group.command("list")
@click.option("--tenant", default=DEFAULT_TENANT, show_default=True)
def kb_list(tenant: str) -> None:
    """The tenant's documents."""
    from nodes.core.config import load_settings

    for row in _store(load_settings()).kb_docs(tenant):
        click.echo(json.dumps(kb.listing(row), ensure_ascii=False))


@kb_group.command("delete")
@click.option("--tenant", default=DEFAULT_TENANT, show_default=True)
@click.argument("doc_id")
def kb_delete(tenant: str, doc_id: str) -> None:
    """Remove document DOC_ID (from `tzomet kb list`)."""
    from nodes.core.config import load_settings

    if not _store(load_settings()).kb_delete(tenant, doc_id):
        raise click.ClickException(f"no document {doc_id!r} for tenant {tenant!r}")
    click.echo(json.dumps({"deleted": doc_id}))
