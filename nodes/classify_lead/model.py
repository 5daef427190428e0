"""The local category model: character n-gram (2-5) + word TF-IDF, a linear SVM, calibrated.

Trained from the seeds in ``data/`` expanded by the synthetic pipeline (:mod:`.synth`),
after removing anything near-identical to the eval set. Training is deterministic, so
the model version is a hash of its inputs; a trained model is cached under
``<data dir>/models/`` and re-used until the data, the code or featurizer version, the
vectorizers' settings or scikit-learn changes. Loading a cached model takes well under
a second.

Prediction does not go through scikit-learn: :class:`FastFeatures` computes the same
TF-IDF values from plain tables built at load time, and :class:`CategoryModel` applies
the linear model and the sigmoid calibration itself (about 0.1 ms per message instead
of 2 ms). ``tests/test_classify_lead.py`` checks that both give the same probabilities.
When setup.py could build the C extension ``nodes._native`` (a C compiler at install time),
the features, decision values and calibrated probabilities of a message come from one
call into it instead (:meth:`FastFeatures.scorer`): in a busy server the Python path's
hundreds of small objects and numpy calls per message cost more than the model itself.
The Python path stays as the fallback and the reference the C one is tested against.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import chain, pairwise, repeat
from math import exp, sqrt
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn
from scipy import sparse
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from nodes.native import native as _native
from nodes.text.normalize import normalize

DATA_DIR = Path(__file__).parent / "data"
EVAL = DATA_DIR / "eval.jsonl"
#: bump when feature extraction or training changes (part of the model version)
CODE_VERSION = "3"
#: bump when :class:`FastFeatures` changes (part of :func:`featurizer_key`, so of the model version)
FEATURIZER_VERSION = "3"
NEAR_DUPLICATE = 0.8
#: the word tokens the C featurizer produces (scikit-learn's pattern for one-letter words too)
_WORD_TOKENS = r"(?u)\b\w+\b"

_DIGITS = re.compile(r"\d")
_REPEATS = re.compile(r"(.)\1{2,}")


def prepare(text: str) -> str:
    """Feature text: normalised, lower-cased, digits folded, letter floods shortened, whitespace collapsed."""
    if _native is not None:
        return _native.tidy(normalize(text).lower())  # type: ignore[no-any-return]
    return prepare_python(text)


def prepare_python(text: str) -> str:
    """:func:`prepare` without the C extension (the reference its ``tidy`` is tested against)."""
    text = normalize(text).lower()
    text = _DIGITS.sub("0", text)
    text = _REPEATS.sub(r"\1\1", text)
    # whitespace runs become one space and the ends are trimmed (``\s`` is what str.split() splits on)
    return " ".join(text.split())


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
    classifier = CalibratedClassifierCV(LinearSVC(C=0.5, class_weight="balanced"), method="sigmoid", cv=5,
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
    h = hashlib.sha256(f"{CODE_VERSION}|{featurizer_key()}|{sklearn.__version__}".encode())
    for row in rows:
        h.update(f"{row['category']}\t{row['text']}\n".encode())
    return h.hexdigest()[:10]


def _char_wb_ngrams(doc: str, min_n: int, max_n: int) -> list[str]:
    """``TfidfVectorizer(analyzer="char_wb")``'s n-grams of an already preprocessed ``doc``, word by word.

    Each whitespace-separated word is padded with one space on both sides; a padded word
    no longer than ``n`` is counted once, as itself, and ends the word's n-grams. (The
    reference for :func:`_char_wb_spans`, and what it falls back on when ``min_n < 2``.)
    """
    grams: list[str] = []
    add, extend = grams.append, grams.extend
    for word in doc.split():
        w = f" {word} "
        size = len(w)
        for n in range(min_n, max_n + 1):
            if size <= n:
                add(w)
                break
            extend([w[i:i + n] for i in range(size - n + 1)])
    return grams


def _char_wb_spans(doc: str, min_n: int, max_n: int) -> Iterator[str]:
    """The same n-grams as :func:`_char_wb_ngrams` for ``min_n >= 2``, plus some that are never features.

    The words are joined by single spaces and padded, and every substring of length
    ``min_n..max_n`` is produced (with all the looping done in C). A substring that lies
    inside one padded word is exactly one of that word's n-grams (two padded words share
    only their one space, shorter than any n-gram). Any other substring has a space in its
    middle, which no char_wb n-gram has, so it is never in the vocabulary and adds nothing.
    """
    words = doc.split()
    if not words:
        return iter(())
    s = f" {' '.join(words)} "
    size = len(s)
    sizes = range(min_n, min(max_n, size) + 1)
    starts = chain.from_iterable(range(size - n + 1) for n in sizes)
    ends = chain.from_iterable(range(n, size + 1) for n in sizes)
    return map(s.__getitem__, map(slice, starts, ends))


def _word_ngrams(tokens: list[str], min_n: int, max_n: int) -> Iterable[str]:
    """``TfidfVectorizer(analyzer="word")``'s n-grams of ``tokens`` (no stop words)."""
    if max_n == 1:
        return tokens
    longer = [map(" ".join, zip(*[tokens[i:] for i in range(n)], strict=False))
              for n in range(max(min_n, 2), max_n + 1)]
    return chain(tokens, *longer) if min_n == 1 else chain(*longer)


_EMPTY_ROWS = np.zeros(0, dtype=np.intp)
_ONES = np.ones(1 << 16, dtype=np.intp)
_ONES.flags.writeable = False
#: sublinear tf, 1 + log(count), for every count below TF_SIZE
TF_SIZE = 1 << 14
_TF = np.zeros(TF_SIZE)
np.log(np.arange(1, TF_SIZE, dtype=np.float64), out=_TF[1:])
_TF[1:] += 1.0


class _Vectorizer:
    """One fitted ``TfidfVectorizer`` as plain data: n-gram -> row, and the idf weights.

    Rows are :class:`FastFeatures`' own numbering of the features: for a dictionary
    vocabulary they follow the vectorizer's columns, for a packed one (:class:`_PackedGrams`)
    the order of its keys, so that a binary search lands on the row itself.
    """

    def __init__(self, vec: TfidfVectorizer, offset: int) -> None:
        unsupported = {
            "input": vec.input != "content", "preprocessor": vec.preprocessor is not None,
            "tokenizer": vec.tokenizer is not None, "strip_accents": vec.strip_accents is not None,
            "stop_words": vec.stop_words is not None, "binary": vec.binary, "use_idf": not vec.use_idf,
            "norm": vec.norm not in ("l2", None), "analyzer": vec.analyzer not in ("char_wb", "word"),
            "dtype": np.dtype(vec.dtype) != np.float64,
        }
        bad = [name for name, is_bad in unsupported.items() if is_bad]
        if bad:
            raise ValueError(f"the fast featurizer does not support these vectorizer settings: {bad}")
        self.char = vec.analyzer == "char_wb"
        self.lower = bool(vec.lowercase)
        self.min_n, self.max_n = (int(n) for n in vec.ngram_range)
        pattern = re.compile(vec.token_pattern)
        if pattern.groups > 1:
            raise ValueError("more than one capturing group in the token pattern")
        self.tokenize = pattern.findall
        self.token_pattern = vec.token_pattern
        self.sublinear = bool(vec.sublinear_tf)
        self.l2 = vec.norm == "l2"
        self.size = len(vec.idf_)
        self.offset = offset
        vocab = {term: int(col) for term, col in vec.vocabulary_.items()}
        self.packed = _PackedGrams.build(self, vocab) if self.char else None
        #: the vectorizer's column of each of this part's rows
        self.columns = self.packed.columns if self.packed is not None else np.arange(self.size, dtype=np.intp)
        self.idf = np.asarray(vec.idf_, dtype=np.float64).take(self.columns)
        self.vocab: dict[str, int] = {term: offset + int(row) for term, row in zip(
            vocab, np.argsort(self.columns).take(list(vocab.values())), strict=True)}

    def ngrams(self, doc: str) -> Iterable[str]:
        """The analyzer's output for one raw document (for char_wb, see :func:`_char_wb_spans`)."""
        if self.lower:
            doc = doc.lower()
        if self.char:
            return _char_wb_spans(doc, self.min_n, self.max_n) if self.min_n >= 2 else \
                _char_wb_ngrams(doc, self.min_n, self.max_n)
        return _word_ngrams(self.tokenize(doc), self.min_n, self.max_n)

    def counts(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        """The distinct rows of the vocabulary n-grams in ``doc`` and how often each occurs."""
        if self.packed is not None:
            return self.packed.counts(doc.lower() if self.lower else doc, self.offset)
        if not self.char and (self.min_n, self.max_n) == (1, 2):
            return self._word_counts(doc.lower() if self.lower else doc)
        return self.counts_by_dict(doc)

    def _word_counts(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`counts_by_dict` for words and word pairs, without a Counter when nothing repeats."""
        get = self.vocab.get
        tokens = self.tokenize(doc)
        found = [row for row in map(get, tokens) if row is not None]
        found += [row for row in map(get, map(" ".join, pairwise(tokens))) if row is not None]
        if len(set(found)) == len(found):
            n = len(found)
            return np.array(found, dtype=np.intp), _ONES[:n] if n <= len(_ONES) else np.ones(n, dtype=np.intp)
        counted = Counter(found)
        return (np.fromiter(counted, dtype=np.intp, count=len(counted)),
                np.fromiter(counted.values(), dtype=np.intp, count=len(counted)))

    def counts_by_dict(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`counts` with one dictionary lookup per n-gram (the reference; also for any vocabulary)."""
        unknown = -1
        found = Counter(map(self.vocab.get, self.ngrams(doc), repeat(unknown)))
        found.pop(unknown, None)
        n = len(found)
        if not n:
            return _EMPTY_ROWS, _EMPTY_ROWS
        return (np.fromiter(found, dtype=np.intp, count=n), np.fromiter(found.values(), dtype=np.intp, count=n))


class _PackedGrams:
    """char_wb n-gram counting with every n-gram packed into one 64-bit integer, in numpy.

    Each character of the vocabulary gets a code 1..A (any other character 0, a code no
    vocabulary n-gram has) and an n-gram is the number written with the digits
    ``2**bits + code`` of its n characters in base ``2**(bits + 1)``. Every digit has its
    top bit set, so n-grams of different lengths fall in disjoint ranges and different
    n-grams are different integers: nothing is hashed. A text's n-grams of every length
    at every position come out of one product of its sliding windows of codes with a
    matrix of powers, plus the top bits (see :func:`_char_wb_spans` for why the words can
    be joined; windows running past the end read code 0 and match nothing). They are
    looked up in a hash table of the vocabulary (:meth:`_hash`), and the rows found are
    sorted and counted. Rows are numbered in the vocabulary's sorted key order.
    """

    def __init__(self, part: _Vectorizer, vocab: dict[str, int], alphabet: list[str], bits: int) -> None:
        self.min_n, self.max_n = part.min_n, part.max_n
        self.table = np.zeros(0x110000, dtype=np.uint16)
        for code, ch in enumerate(alphabet, 1):
            self.table[ord(ch)] = code
        self.pad = next(chr(c) for c in range(0x10FFFF, 0, -1) if not self.table[c]) * (self.max_n - 1)
        self.bits = bits
        base, top = bits + 1, 1 << bits
        packed = []
        for term, col in vocab.items():
            key = 0
            for ch in term:
                key = (key << base) | top | int(self.table[ord(ch)])
            packed.append((key, col))
        packed.sort()
        keys = [k for k, _ in packed]
        if len(set(keys)) != len(keys):  # cannot happen: the packing is one-to-one
            raise ValueError("two vocabulary n-grams packed to the same key")
        # a last key above every n-gram, so a search always lands on a valid index
        self.keys = np.array([*keys, 2**64 - 1], dtype=np.uint64)
        self.columns = np.array([c for _, c in packed], dtype=np.intp)
        # keys[:, j] = sum over k < n of (top + code[i + k]) << base * (n - 1 - k), for n = min_n + j
        self.powers = np.array([[1 << base * (n - 1 - k) if k < n else 0 for n in range(self.min_n, self.max_n + 1)]
                                for k in range(self.max_n)], dtype=np.uint64)
        self.tops = np.array([sum(top << base * k for k in range(n)) for n in range(self.min_n, self.max_n + 1)],
                             dtype=np.uint64)
        self.buckets: np.ndarray | None = None
        self._hash(base * self.max_n)

    def _hash(self, key_bits: int) -> None:
        """A hash table of the vocabulary: buckets of 8 entries (one cache line), each ``key << row_bits | row``.

        A lookup reads one bucket, where a binary search of the sorted keys reads a path of
        about 16 of them: in a server, where the request handling around the model has
        pushed the table out of the cache by the next message, that is most of the cost of
        the lookup. Without a table (keys and rows do not fit 64 bits together) the lookup
        is the binary search.
        """
        keys = self.keys[:-1]
        row_bits = max(1, len(keys).bit_length())
        if not len(keys) or key_bits + row_bits > 64:
            return
        bits = max(4, int(np.ceil(np.log2(len(keys) / 1.4))))  # about 1.4 keys per bucket on average
        rng = np.random.default_rng(7)  # deterministic: the same table at every load
        for attempt in range(256):
            multiplier = np.uint64(int(rng.integers(1, 2**62)) * 2 + 1)
            shift = np.uint64(64 - bits - attempt // 64)  # one more bit of buckets every 64 tries
            bucket = (keys * multiplier) >> shift
            if np.bincount(bucket.astype(np.intp)).max() <= 8:
                break
        else:
            return
        order = np.argsort(bucket, kind="stable")
        in_bucket = bucket.take(order).astype(np.intp)
        slot = np.arange(len(keys)) - np.searchsorted(in_bucket, in_bucket)
        # an empty slot is 0, which matches no key: every key has its top bits set
        self.buckets = np.zeros((1 << (bits + attempt // 64), 8), dtype=np.uint64)
        self.buckets[in_bucket, slot] = (keys.take(order) << np.uint64(row_bits)) | order.astype(np.uint64)
        self.multiplier, self.shift = multiplier, shift
        self.row_bits, self.row_mask = np.uint64(row_bits), np.uint64((1 << row_bits) - 1)

    @classmethod
    def build(cls, part: _Vectorizer, vocab: dict[str, int]) -> _PackedGrams | None:
        """The packed form of a char_wb vectorizer, or ``None`` when its n-grams do not fit 64 bits."""
        alphabet = sorted({ch for term in vocab for ch in term})
        bits = len(alphabet).bit_length()
        if part.min_n < 2 or (bits + 1) * part.max_n > 64 or any(len(t) > part.max_n for t in vocab):
            return None
        return cls(part, vocab, alphabet, bits)

    def counts(self, doc: str, offset: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and counts of the vocabulary n-grams of an already lower-cased ``doc``."""
        words = doc.split()
        if not words:
            return _EMPTY_ROWS, _EMPTY_ROWS
        text = f" {' '.join(words)} {self.pad}"
        codes = self.table.take(np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32))
        windows = np.ndarray((len(codes) - self.max_n + 1, self.max_n), dtype=np.uint16, buffer=codes, strides=(2, 2))
        keys = windows @ self.powers
        keys += self.tops
        keys = keys.ravel()
        if self.buckets is not None:
            bucket = keys * self.multiplier
            bucket >>= self.shift
            entries = self.buckets.take(bucket, axis=0)
            # at most one entry of a bucket holds the key
            at = (entries[(entries >> self.row_bits) == keys[:, None]] & self.row_mask).astype(np.intp)
        else:
            at = self.keys.searchsorted(keys)
            at = at[self.keys.take(at) == keys]
        if not at.size:
            return _EMPTY_ROWS, _EMPTY_ROWS
        at.sort()
        first = np.empty(at.size + 1, dtype=bool)
        first[0] = first[-1] = True
        np.not_equal(at[1:], at[:-1], out=first[1:-1])
        bounds = np.flatnonzero(first)
        rows = at.take(bounds[:-1])
        if offset:
            rows += offset
        return rows, bounds[1:] - bounds[:-1]


class FastFeatures:
    """The pipeline's ``FeatureUnion`` of TF-IDF vectorizers, without scikit-learn at prediction time.

    scikit-learn's ``transform`` spends most of a millisecond per message on input
    validation and sparse-matrix bookkeeping. Here each vectorizer becomes a map from
    n-gram to row plus its idf weights; a message's n-grams are generated exactly as the
    vectorizers' analyzers do and counted by row, then the sublinear tf, idf and l2
    normalisation of each vectorizer's part are a few numpy operations on the message's
    own rows. Rows are the union's columns reordered (:attr:`columns`); the model's
    weights are reordered the same way. ``tests/test_classify_lead.py`` checks the
    result against the pipeline.
    """

    def __init__(self, union: FeatureUnion) -> None:
        if union.transformer_weights:
            raise ValueError("the fast featurizer does not support transformer weights")
        self.parts: list[_Vectorizer] = []
        offset = 0
        for _name, vec in union.transformer_list:
            part = _Vectorizer(vec, offset)
            self.parts.append(part)
            offset += part.size
        self.size = offset
        #: the union's column of each row
        self.columns = np.concatenate([p.columns + p.offset for p in self.parts])
        self.idf = np.concatenate([p.idf for p in self.parts])
        self._sublinear = all(p.sublinear for p in self.parts)

    def row(self, doc: str, by_dict: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Distinct rows and their values in the feature row of one prepared document."""
        found = [p.counts_by_dict(doc) if by_dict else p.counts(doc) for p in self.parts]
        rows = np.concatenate([r for r, _ in found])
        counts = np.concatenate([c for _, c in found])
        if self._sublinear and len(doc) + 2 < TF_SIZE:  # no n-gram occurs more often than the padded length
            values = _TF.take(counts)
        else:
            values = counts.astype(np.float64)
            start = 0
            for part, (r, _) in zip(self.parts, found, strict=True):
                if part.sublinear and len(r):
                    seg = values[start:start + len(r)]
                    np.log(seg, out=seg)
                    seg += 1.0
                start += len(r)
        values *= self.idf.take(rows)
        start = 0
        for part, (r, _) in zip(self.parts, found, strict=True):
            end = start + len(r)
            if part.l2 and end > start:
                seg = values[start:end]
                norm = sqrt(float(seg @ seg))
                if norm > 0.0:
                    seg /= norm
            start = end
        return rows, values

    def scorer(self, weights: np.ndarray, bias: np.ndarray, slopes: list[float], offsets: list[float],
               folds: int) -> Any | None:
        """The C featurizer (``_native.Scorer``) over these tables and a linear model's ``weights``.

        ``None`` when the extension was not built (no C compiler at install time) or these
        vectorizers are not the shapes it handles (one packed char_wb part, then one word part
        with the default ``\\b\\w+\\b`` tokens): :meth:`row` is then the path, with the same results.
        """
        if _native is None or len(self.parts) != 2:
            return None
        chars, words = self.parts
        packed = chars.packed
        if (packed is None or words.char or words.token_pattern != _WORD_TOKENS
                or chars.offset != 0 or words.max_n > 4):
            return None
        terms = list(words.vocab)
        return _native.Scorer(
            char_table=packed.table, char_keys=packed.keys[:-1], bits=packed.bits,
            char_ngrams=(chars.min_n, chars.max_n), char_offset=chars.offset, char_sublinear=chars.sublinear,
            char_l2=chars.l2, terms=terms, term_rows=[words.vocab[t] for t in terms],
            word_ngrams=(words.min_n, words.max_n), word_sublinear=words.sublinear, word_l2=words.l2,
            idf=self.idf, weights=weights, bias=bias, slopes=slopes, offsets=offsets, folds=folds)

    def docs(self, doc: str) -> tuple[str, str]:
        """What the C featurizer reads: the prepared text as each part's analyzer sees it."""
        lowered = doc.lower() if self.parts[0].lower or self.parts[1].lower else doc
        return (lowered if self.parts[0].lower else doc), (lowered if self.parts[1].lower else doc)

    def matrix(self, docs: list[str]) -> sparse.csr_matrix:
        """The feature rows of ``docs`` as a CSR matrix in the union's columns (what ``transform`` returns)."""
        found = [self.row(doc) for doc in docs]
        indptr = np.cumsum([0] + [len(r) for r, _ in found])
        out = sparse.csr_matrix((np.concatenate([np.zeros(0), *(v for _, v in found)]),
                                 self.columns.take(np.concatenate([_EMPTY_ROWS, *(r for r, _ in found)])), indptr),
                                shape=(len(docs), self.size))
        out.sort_indices()
        return out


@dataclass
class CategoryModel:
    """A trained category model and its version."""

    pipeline: Pipeline
    version: str
    labels: list[str]

    def __post_init__(self) -> None:
        self._features: FastFeatures | None
        try:
            self._features = FastFeatures(self.pipeline.named_steps["features"])
        except ValueError:  # e.g. a tenant's model trained with other settings: scikit-learn's transform
            self._features = None
        self._compiled = self._compile()
        self._scorer = self._features.scorer(*self._compiled[:5]) if self._features else None

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
        if self._scorer is not None:
            return self._scorer.decision(*self._features.docs(prepared))  # type: ignore[union-attr,no-any-return]
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
        """Class probabilities of one prepared text, in :attr:`labels` order (in C when it was built)."""
        if self._scorer is not None:
            return self._scorer.probabilities(*self._features.docs(prepared))  # type: ignore[union-attr,no-any-return]
        return self._calibrate(self._decision(prepared))

    def features(self, texts: list[str]) -> Any:
        """The TF-IDF feature matrix of ``texts`` (for similarity-based few-shot labels)."""
        docs = [prepare(t) for t in texts]
        if self._features is None:
            return self.pipeline.named_steps["features"].transform(docs)
        return self._features.matrix(docs)

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

    h = hashlib.sha256(f"{CODE_VERSION}|{featurizer_key()}|{synth.VERSION}|{sklearn.__version__}".encode())
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
