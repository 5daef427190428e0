"""Retrieval over one tenant's chunks: two BM25 indexes (words, letter trigrams) and, where the
chunks have vectors, dense similarity; fused by reciprocal rank (RRF).

BM25 is a sparse matrix product here (scipy, already a dependency): the analyzer is ours (Hebrew
prefixes, Arabic articles, sound-folded trigrams), which is the part a BM25 library would not give;
bm25s would add a dependency for the same product, and SQLite FTS5 would tie the index to SQLite
while the store may be PostgreSQL. An index is built in memory from the stored chunks when a
tenant's knowledge base changes (1,000 pages in a few seconds; see ``bench/bench_answer.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from . import analyzer

K1 = 1.2
B = 0.75
#: RRF's constant: a rank's weight is 1 / (RRF_K + rank)
RRF_K = 60
#: how much each ranking counts in the fusion: words, letter trigrams, meaning
WEIGHTS = {"words": 1.0, "grams": 0.5, "dense": 1.5}


class BM25:
    """Okapi BM25 over documents given as term lists."""

    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lengths = np.zeros(len(docs), dtype=np.float32)
        for i, doc in enumerate(docs):
            counts: dict[int, int] = {}
            for term in doc:
                j = vocab.setdefault(term, len(vocab))
                counts[j] = counts.get(j, 0) + 1
            lengths[i] = len(doc)
            for j, n in counts.items():
                rows.append(i)
                cols.append(j)
                vals.append(n)
        self.vocab = vocab
        n_docs = max(1, len(docs))
        tf = sparse.csr_matrix((np.array(vals, dtype=np.float32), (rows, cols)), shape=(len(docs), len(vocab)))
        df = np.bincount(np.array(cols, dtype=np.int64), minlength=len(vocab)).astype(np.float32)
        self.idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        avg = float(lengths.mean()) if len(docs) else 1.0
        norm = K1 * (1 - B + B * lengths / max(avg, 1e-6))
        tf = tf.tocoo()
        weights = tf.data * (K1 + 1) / (tf.data + norm[tf.row])
        # Documents x terms, already weighted by idf: a query's scores are one sparse product.
        self.matrix = sparse.csc_matrix((weights * self.idf[tf.col], (tf.row, tf.col)), shape=tf.shape)

    def scores(self, query: Sequence[str]) -> np.ndarray:
        """BM25 score of every document for ``query``'s terms (unknown terms count nothing)."""
        ids = [self.vocab[t] for t in dict.fromkeys(query) if t in self.vocab]
        if not ids:
            return np.zeros(self.matrix.shape[0], dtype=np.float32)
        return np.asarray(self.matrix[:, ids].sum(axis=1)).ravel()

    def idf_of(self, term: str) -> float:
        """The term's idf (0 for a term no document has)."""
        j = self.vocab.get(term)
        return float(self.idf[j]) if j is not None else 0.0


@dataclass
class Hit:
    """One retrieved chunk: its position in the index, fused score and each retriever's view."""

    chunk: int
    score: float
    lexical: float
    dense: float | None


class Index:
    """What questions are answered from: the chunks, their BM25 indexes and their vectors."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray | None = None) -> None:
        self.size = len(texts)
        content = [analyzer.content_words(t) for t in texts]  # read once, for both indexes
        self.words = BM25([analyzer.terms(t, c) for t, c in zip(texts, content, strict=True)])
        self.grams = BM25([analyzer.grams(t, c) for t, c in zip(texts, content, strict=True)])
        #: unit rows, one per chunk; a chunk without a vector has a zero row
        self.vectors = vectors
        self._has_vector = np.any(vectors, axis=1) if vectors is not None else None

    def search(self, question: str, limit: int = 10, query: np.ndarray | None = None) -> list[Hit]:
        """The best ``limit`` chunks for ``question`` (``query``: its vector, when it was embedded), fused by
        reciprocal rank."""
        if not self.size:
            return []
        lexical = self.words.scores(analyzer.terms(question))
        fuzzy = self.grams.scores(analyzer.grams(question))
        rankings = [(lexical, WEIGHTS["words"]), (fuzzy, WEIGHTS["grams"])]
        dense = None
        if self.vectors is not None and query is not None:
            dense = self.vectors @ query
            rankings.append((dense, WEIGHTS["dense"]))
        fused = np.zeros(self.size, dtype=np.float64)
        for scores, weight in rankings:
            order = np.argsort(-scores, kind="stable")
            ranks = np.empty(self.size, dtype=np.float64)
            ranks[order] = np.arange(1, self.size + 1)
            fused += np.where(scores > 0, weight / (RRF_K + ranks), 0.0)
        best = np.argsort(-fused, kind="stable")[:limit]
        has_vector = self._has_vector
        return [Hit(int(i), float(fused[i]), float(lexical[i]),
                    float(dense[i]) if dense is not None and has_vector is not None and has_vector[i] else None)
                for i in best if fused[i] > 0]
