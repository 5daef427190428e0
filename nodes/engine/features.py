"""TF-IDF features of short texts, computed without scikit-learn at prediction time.

:func:`prepare` is the feature text every model here reads (normalised, lower-cased,
digits folded, letter floods shortened). :class:`FastFeatures` turns a fitted
``FeatureUnion`` of ``TfidfVectorizer`` s (character n-grams within words and word
n-grams) into plain tables at load time and computes the same TF-IDF values for one
message in about a tenth of ``transform``'s time: each vectorizer becomes a map from
n-gram to row plus its idf weights; char n-grams are packed into integers and looked up
in a hash table in numpy (:class:`_PackedGrams`). ``tests/nodes/classify_lead`` checks the
result against scikit-learn's.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain, pairwise, repeat
from math import sqrt
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

if TYPE_CHECKING:  # only read from fitted objects: a process that loads a model never imports scikit-learn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import FeatureUnion

from nodes.text.normalize import normalize

#: bump when :class:`FastFeatures` or :func:`prepare` changes (part of every model version)
FEATURIZER_VERSION = "3"

_DIGITS = re.compile(r"\d")
_REPEATS = re.compile(r"(.)\1{2,}")


def prepare(text: str) -> str:
    """Feature text: normalised, lower-cased, digits folded, letter floods shortened, whitespace collapsed."""
    text = normalize(text).lower()
    text = _DIGITS.sub("0", text)
    text = _REPEATS.sub(r"\1\1", text)
    # whitespace runs become one space and the ends are trimmed (``\s`` is what str.split() splits on)
    return " ".join(text.split())


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


#: per thread, the last document :meth:`FastFeatures.row` computed: its featurizer, text and row
_LAST_ROW = threading.local()


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

    def row(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        """Distinct rows and their values in the feature row of one prepared document (read-only
        arrays: the last document's row is kept per thread, for the next model that reads the same
        message with the same features — the risk detector after the category model)."""
        last = _LAST_ROW.__dict__
        if last.get("owner") is self and last.get("doc") == doc:
            return last["row"]  # type: ignore[no-any-return]
        row = self._row(doc)
        last.update(owner=self, doc=doc, row=row)
        return row

    def _row(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        found = [p.counts(doc) for p in self.parts]
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

    def matrix(self, docs: list[str]) -> sparse.csr_matrix:
        """The feature rows of ``docs`` as a CSR matrix in the union's columns (what ``transform`` returns)."""
        found = [self.row(doc) for doc in docs]
        indptr = np.cumsum([0] + [len(r) for r, _ in found])
        out = sparse.csr_matrix((np.concatenate([np.zeros(0), *(v for _, v in found)]),
                                 self.columns.take(np.concatenate([_EMPTY_ROWS, *(r for r, _ in found)])), indptr),
                                shape=(len(docs), self.size))
        out.sort_indices()
        return out
