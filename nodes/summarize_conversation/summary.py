"""Extractive summary: TextRank over Hebrew-aware tokens, shaped request -> answer -> outcome.

Sentences are the toolkit's sentences (``nodes.text.split_sentences``: lines, then
sentence ends) of each message, read off the message's normalised text, which is computed
once per message. A sentence's tokens are the toolkit's tokens, lower-cased, without
Hebrew one-letter prefixes, without function words (``data/stopwords.txt``). Similarity
between two sentences is TextRank's ``overlap / (log(1+|a|) + log(1+|b|))``; PageRank over
that graph ranks sentences.

The summary is not just the top-ranked sentences: a CRM note must say what the customer
asked, what the business answered or offered, and how it ended. So it takes the best
customer request near the start, the best business answer after it, the best outcome near
the end, then fills up to ``max_sentences`` by rank, and reads them in order with who said
them. Long conversations rank a bounded set of candidates so time stays linear.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from scipy import sparse

from nodes import text as tt
from nodes.summarize_conversation.conversation import Msg
from nodes.text.cache import WordCache
from nodes.text.guard import compile_guarded
from nodes.text.normalize import cached_normalize_map
from nodes.text.tokens import sentence_spans_normalized, tokens_of_normalized

_DATA = Path(__file__).parent / "data"
MAX_CANDIDATES = 180
MAX_SENTENCE_CHARS = 220
DAMPING = 0.85

REQUEST_CUES = compile_guarded(
    r"רוצה|רציתי|מעוניינ|מחפש|מבקש|ביקשתי|צריך|צריכה|צריכים|אפשר|אשמח|תוכל|ניתן|כמה עולה|כמה זה"
    r"|מה המחיר|הצעת מחיר|לקבוע|לבטל|להזמין|לברר|לשאול|יש לכם|מתי|האם|לא קיבלתי|לא הגיע|לא עובד|תקלה"
    r"|\bi want|i'?d like|i would like|\bi need|we need|looking for|can you|could you|how much|\bprice"
    r"|\bquote|\bbook|\bcancel|interested|haven'?t received|not working|بدي|بدنا|أريد|اريد|ممكن|محتاج"
    r"|بحاجة|كم سعر|قديش|هل|حابب|لو سمحت|من فضلك|ما وصل|مش شغال",
    re.I,
)
OFFER_CUES = compile_guarded(
    r"המחיר|עולה|עלות|אפשר|יש לנו|נשמח|זמין|פנוי|נוכל|מציע|הצעה|הנחה|כולל|משלוח|תור|מועד|שעה"
    r"|price|costs?|we can|available|offer|discount|includ|slot|السعر|سعر|بنقدر|متوفر|موعد|خصم",
    re.I,
)
OUTCOME_CUES = compile_guarded(
    r"סגרנו|סגור|קבענו|נקבע|מאושר|אישרתי|מאשר|נתראה|מעולה|מסכים|מסכימה|הזמנתי|שילמתי|בוצע|נשלח"
    r"|טופל|זוכה|בוטל|ביטלנו|מבוטל|יגיע|תגיע|נחזור|אחזור|העברתי|סיכמנו|מחכה ל|קיבלתי"
    r"|confirmed|booked|\bdeal\b|see you|\bdone\b|agreed|\bsent\b|cancell?ed|refunded|will|scheduled"
    r"|تم|اتفقنا|بنشوفك|موافق|أكدنا|منتظرينك|رح|راح|سأ|سن",
    re.I,
)
_HAS_NUMBER = re.compile(r"\d|₪|\$|€")
_LABELS = {
    "he": ("לקוח", "עסק"),
    "ar": ("الزبون", "المصلحة"),
    "en": ("Customer", "Business"),
}


@dataclass
class Sentence:
    """A sentence of one message: its text, its toolkit tokens and its content tokens."""

    order: int
    msg: Msg
    text: str
    tokens: frozenset[str]
    words: list[str]

    @property
    def role(self) -> str:
        return self.msg.role


@cache
def stopwords() -> frozenset[str]:
    """Function words of Hebrew, Arabic and English (``data/stopwords.txt``)."""
    words: set[str] = set()
    for line in (_DATA / "stopwords.txt").read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            words.update(w.lower() for w in line.split())
    return frozenset(words)


#: stripping a token is the hot spot of long chats
strip_prefix = WordCache(tt.strip_prefix)


def words_of(text: str) -> list[str]:
    """The toolkit's tokens of ``text`` as strings."""
    return [str(getattr(t, "text", t)) for t in tt.tokens(text)]


def _content_word_of(word: str) -> str | None:
    """The content token of one word (``None`` for function words, numbers and scraps)."""
    stop = stopwords()
    t = word.lower()
    if t in stop or t.isdigit():
        return None
    s = strip_prefix(t) or t
    if s in stop or len(s) < 2:
        return None
    return s


_content_word = WordCache(_content_word_of)


def content_tokens(words: list[str]) -> frozenset[str]:
    """Tokens that carry meaning: lower-cased, prefix-stripped, no function words or numbers."""
    return frozenset(c for c in map(_content_word, words) if c is not None)


def split(messages: Sequence[Msg]) -> list[Sentence]:
    """All sentences of all messages, in conversation order."""
    out: list[Sentence] = []
    for m in messages:
        split_message(m, out)
    return out


def split_message(m: Msg, out: list[Sentence]) -> None:
    """Append the sentences of ``m`` to ``out`` (numbered on from ``len(out)``).

    The message is normalised once; its sentences and their tokens are read off that
    normalised text (the same as splitting each line and tokenising each sentence).
    """
    norm, index = cached_normalize_map(m.text)
    for start, end in sentence_spans_normalized(norm):
        s = m.text[index[start]:index[end - 1] + 1].strip()
        if s:
            words = tokens_of_normalized(norm, start, end)
            out.append(Sentence(len(out), m, s, content_tokens(words), words))


def is_substantive(s: Sentence) -> bool:
    """Worth quoting: at least two content words and some length."""
    return len(s.tokens) >= 2 and len(s.text) >= 8


def textrank(token_sets: Sequence[frozenset[str]]) -> np.ndarray:
    """PageRank scores of sentences over TextRank's overlap similarity."""
    n = len(token_sets)
    if n == 0:
        return np.zeros(0)
    if n == 1:
        return np.ones(1)
    vocab: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    for i, toks in enumerate(token_sets):
        for t in toks:
            rows.append(i)
            cols.append(vocab.setdefault(t, len(vocab)))
    incidence = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(n, max(len(vocab), 1))
    )
    overlap = (incidence @ incidence.T).toarray()
    np.fill_diagonal(overlap, 0.0)
    norm = np.log1p(np.array([len(t) for t in token_sets], dtype=np.float32))
    weights = overlap / np.maximum(norm[:, None] + norm[None, :], 1e-6)
    out_sum = weights.sum(axis=1)
    transition = np.where(out_sum[:, None] > 0, weights / np.maximum(out_sum[:, None], 1e-12), 1.0 / n)
    rank = np.full(n, 1.0 / n)
    for _ in range(60):
        new = (1 - DAMPING) / n + DAMPING * transition.T @ rank
        if np.abs(new - rank).sum() < 1e-6:
            rank = new
            break
        rank = new
    return rank


def _candidates(sentences: Sequence[Sentence]) -> list[Sentence]:
    subst = [s for s in sentences if is_substantive(s)]
    if len(subst) <= MAX_CANDIDATES:
        return subst
    # the request is near the start and the outcome near the end; from the middle keep
    # the richest sentences
    third = MAX_CANDIDATES // 3
    head, tail, middle = subst[:third], subst[-third:], subst[third:-third]
    middle = sorted(sorted(middle, key=lambda s: len(s.tokens), reverse=True)[:third], key=lambda s: s.order)
    return head + middle + tail


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SENTENCE_CHARS else text[: MAX_SENTENCE_CHARS - 1].rstrip() + "…"


@dataclass
class Ranked:
    """The outcome of ranking: the summary and the key points."""

    summary: str
    summary_sentences: list[Sentence]
    key_points: list[str]


def summarize(sentences: Sequence[Sentence], max_sentences: int, language: str) -> Ranked:
    """Pick and order the summary sentences; label each run by who said it."""
    cands = _candidates(sentences)
    if not cands:
        # nothing substantive: quote the longest sentences as they are
        cands = sorted(sentences, key=lambda s: len(s.text), reverse=True)[: max(1, max_sentences)]
        cands.sort(key=lambda s: s.order)
    rank = textrank([s.tokens for s in cands])
    top = float(rank.max()) if len(rank) else 1.0
    score = {id(s): float(r) / (top or 1.0) for s, r in zip(cands, rank, strict=True)}
    n_total = max(len(sentences), 1)
    chosen: list[Sentence] = []

    def best(pool: list[Sentence], bonus: dict[int, float], rank_weight: float = 1.0) -> Sentence | None:
        pool = [s for s in pool if s not in chosen]
        return max(pool, key=lambda s: rank_weight * score[id(s)] + bonus.get(id(s), 0.0)) if pool else None

    customer = [s for s in cands if s.role == "customer"]
    early_customer = customer[: max(4, math.ceil(len(customer) * 0.4))]
    # the customer says why they write in their first sentences: position weighs most
    request_bonus = {
        id(s): 1.2 * 0.5**k + 0.3 * bool(REQUEST_CUES.search(s.text)) + 0.15 * ("?" in s.text or "؟" in s.text)
        for k, s in enumerate(early_customer)
    }
    request = best(early_customer, request_bonus, 0.5)
    if request is not None:
        chosen.append(request)
    after = request.order if request else -1
    business = [s for s in cands if s.role != "customer" and s.order > after]
    answer_pool = business[: max(4, math.ceil(len(business) * 0.6))]
    answer = best(
        answer_pool,
        {id(s): 0.5 * bool(OFFER_CUES.search(s.text)) + 0.4 * bool(_HAS_NUMBER.search(s.text))
         for s in answer_pool},
    )
    late_from = max(after + 1, int(n_total * 0.6))
    late = [s for s in cands if s.order >= late_from and s is not answer] or [
        s for s in cands[-3:] if s is not request and s is not answer
    ]
    outcome = best(
        late,
        {id(s): 0.6 * bool(OUTCOME_CUES.search(s.text)) + 0.3 * bool(_HAS_NUMBER.search(s.text))
         + 0.4 * s.order / n_total for s in late},
    )
    second_request = best(early_customer, request_bonus, 0.5) if max_sentences >= 4 else None
    for pick in (outcome, answer, second_request):
        if len(chosen) >= max_sentences:
            break
        if pick is not None and pick not in chosen:
            chosen.append(pick)
    for s in sorted(cands, key=lambda s: score[id(s)], reverse=True):
        if len(chosen) >= max_sentences:
            break
        if s not in chosen:
            chosen.append(s)
    chosen.sort(key=lambda s: s.order)

    customer_label, business_label = _LABELS.get(language, _LABELS["he"])
    parts: list[str] = []
    last_role = None
    for s in chosen:
        side = "customer" if s.role == "customer" else "business"
        text = _clip(s.text)
        if text[-1] not in ".!?؟…":
            text += "."
        parts.append(text if side == last_role else
                     f"{customer_label if side == 'customer' else business_label}: {text}")
        last_role = side
    ranked_top = sorted(cands, key=lambda s: score[id(s)], reverse=True)[:5]
    key_points = [_clip(s.text) for s in sorted(ranked_top, key=lambda s: s.order)]
    return Ranked(" ".join(parts), chosen, key_points)
