"""The local answer: the best sentences, verbatim, from the retrieved passages — or no answer.

Each sentence of the top passages is scored by how much of the question it covers: every
content word of the question (in any of its readings, see :mod:`.analyzer`) counts by its
rarity in the knowledge base (idf); a word the knowledge base never uses counts fully against.
A sentence close to the question in meaning (its own vector, stored when the knowledge base was
embedded) scores higher too. The answer is the best sentence (with its neighbour when the question
asks how much, when or where and the best sentence holds no number). Confidence mixes that coverage
with how close the answer is in meaning: its sentence's similarity to the question, or its passage's
when the sentences have no vectors. Below the
threshold there is no answer, and the question is handed to a person: never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import analyzer
from .chunks import sentence_spans
from .index import BM25, Hit

#: below this confidence the question is handed over instead of answered
DEFAULT_MIN_CONFIDENCE = 0.6
#: how many retrieved passages the answer may quote from
CANDIDATE_PASSAGES = 4
#: the answer's length in characters, beyond its best sentence (which is quoted whole)
ANSWER_CHARS = 280
#: idf given to a question word the knowledge base never uses
UNKNOWN_IDF = 4.0
#: the dense similarity below which a passage or a sentence is as good as unrelated, and the one above
#: which it is close
DENSE_FLOOR, DENSE_CEILING = 0.78, 0.90
#: how much a sentence's closeness in meaning to the question adds to its score (its words count 1)
SENTENCE_MEANING = 0.4

#: what a question asks for, and what a sentence that answers it must hold
_ASKS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    # a price
    (re.compile(r"כמה (?:זה )?(?:עול|יוצא|משלמ|עלה)|בכמה|מחיר|עלות|תעריף|how much|price|cost|fee|"
                r"كم (?:سعر|يكلف|تكلف|بكلف)|بكم|سعر|تكلفة|كلفة", re.IGNORECASE),
     re.compile(r"\d[\d,.]*\s*(?:₪|ש\"?ח|שקל|nis|ils|shekel|شيكل|شاقل|شواقل)|(?:₪|ש\"?ח|nis)\s*\d|"
                r"(?:מחיר|עלות|תעריף|price|cost|fee|سعر)[^\n]{0,40}\d", re.IGNORECASE)),
    # a time of day, a day or a date
    (re.compile(r"עד מתי|מאיזה שעה|באיזה שעה|מתי|שעות|שעה|פתוח|פתוחים|סוגר|what time|when|open|close|hours|"
                r"متى|ساعة|الساعة|مفتوح|دوام", re.IGNORECASE),
     re.compile(r"\d{1,2}[:.]\d{2}|\d+\s*(?:דקות|שעות|ימים|ימי|שבועות|חודשים|minutes|hours|days|weeks|months|"
                r"دقيقة|دقائق|ساعات|أيام|ايام)|\b(?:בבוקר|בצהריים|בערב|בלילה|סגור|סגורים|closed|مغلق)|"
                r"(?:ראשון|שני|שלישי|רביעי|חמישי|שישי|שבת|sunday|monday|tuesday|wednesday|thursday|friday|"
                r"saturday|الأحد|الاثنين|الثلاثاء|الأربعاء|الخميس|الجمعة|السبت)", re.IGNORECASE)),
    # a phone number or an address to write to
    (re.compile(r"טלפון|מספר של|מספר טלפון|מייל|אימייל|וואטסאפ|phone|number|e-?mail|whatsapp|رقم|هاتف|ايميل|بريد",
                re.IGNORECASE),
     re.compile(r"\d{2,}|@")),
    # a count or a length of time
    (re.compile(r"כמה|how many|how long|كم", re.IGNORECASE), re.compile(r"\d|שנה|שנתיים|חודש|שבוע|יום|שעתיים|"
                                                                    r"year|month|week|day|hour|سنة|شهر|أسبوع|يوم")),
]


def asked_value(question: str) -> re.Pattern[str] | None:
    """What a sentence that answers ``question`` must hold (a number for "how much"), or ``None``."""
    for asks, holds in _ASKS:
        if asks.search(question):
            return holds
    return None


@dataclass
class Passage:
    """A retrieved chunk as the answer sees it."""

    document: str
    heading: str
    text: str
    start: int
    kind: str
    hit: Hit
    #: one unit row per sentence (:func:`.chunks.sentence_spans`), when the knowledge base was embedded
    sentence_vectors: np.ndarray | None = None


@dataclass
class Answer:
    """The outcome for one question."""

    answered: bool
    text: str
    confidence: float
    #: (passage, start, end) of each quoted sentence, relative to the passage text; best first
    quotes: list[tuple[Passage, int, int]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


#: words that say what kind of answer is wanted ("how much", "open until") rather than what about: the
#: value check (:func:`asked_value`) weighs them, coverage does not
FRAME_WORDS = frozenset(analyzer.words(
    "עולה עולים עולות עלות מחיר מחירים יוצא משלמים לשלם תשלום פתוח פתוחה פתוחים סוגרים סגור שעה שעות "
    "price prices cost costs much open close closes time hours "
    "سعر اسعار يكلف تكلفة كلفة مفتوح مفتوحين ساعة ساعات"))


def _weights(question: str, words: BM25) -> list[tuple[tuple[str, ...], float]]:
    """Each content word of the question, but the :data:`FRAME_WORDS`, as (its readings, its weight)."""
    out = []
    for word in dict.fromkeys(analyzer.content_words(question)):
        forms = analyzer.readings(word)
        if any(f in FRAME_WORDS for f in forms):
            continue
        known = [words.idf_of(f) for f in forms if words.idf_of(f) > 0]
        out.append((forms, max(known) if known else UNKNOWN_IDF))
    return out


#: how similar two words must sound (Dice over their trigrams) to count as the same word misspelt
SOUNDS_ALIKE = 0.6


def _sound_alike(forms: Sequence[str], others: Sequence[frozenset[str]]) -> bool:
    """Whether a reading of a question word sounds like one of the text's words (their trigram sets)."""
    for form in forms:
        if form[0].isdigit() or len(form) < 3:
            continue
        mine = analyzer.sounds(form)
        for theirs in others:
            if 2 * len(mine & theirs) / (len(mine) + len(theirs)) >= SOUNDS_ALIKE:
                return True
    return False


def _key_covered(weights: Sequence[tuple[tuple[str, ...], float]], text: str) -> bool:
    """Whether ``text`` has the question's rarest word (what the question is about: "תותבת", "חתולים")."""
    if not weights:
        return True
    forms, weight = max(weights, key=lambda w: w[1])
    return coverage([(forms, weight)], text) > 0


def coverage(weights: Sequence[tuple[tuple[str, ...], float]], text: str) -> float:
    """The share of the question's weight that ``text`` covers: a word in any of its readings fully, a
    word that sounds like one of the text's (a typo) at 0.8. 0 for a question with no content word."""
    return _coverage(weights, analyzer.terms(text))


def _coverage(weights: Sequence[tuple[tuple[str, ...], float]], terms: Sequence[str]) -> float:
    """:func:`coverage` of a text whose :func:`analyzer.terms` are ``terms``."""
    total = sum(w for _, w in weights)
    if not total:
        return 0.0
    have = set(terms)
    found = 0.0
    text_sounds: list[frozenset[str]] | None = None
    for forms, weight in weights:
        if any(f in have for f in forms):
            found += weight
            continue
        if text_sounds is None:
            text_sounds = [analyzer.sounds(r) for r in dict.fromkeys(terms) if not r[0].isdigit()]
        if _sound_alike(forms, text_sounds):
            found += 0.8 * weight
    return found / total


def _sentences(passage: Passage) -> list[tuple[int, int]]:
    return sentence_spans(passage.text, passage.kind)


def _sentence_similarity(passage: Passage, spans: Sequence[tuple[int, int]],
                         query: np.ndarray | None) -> np.ndarray | None:
    """Each sentence's similarity to the question, when both have vectors (and they fit each other)."""
    rows = passage.sentence_vectors
    if query is None or rows is None or rows.shape != (len(spans), query.shape[0]):
        return None
    return rows @ query


def _lead_ins(text: str, spans: Sequence[tuple[int, int]]) -> list[int | None]:
    """Per sentence, the index of the line before it that introduces a list ("תספורת מלאה (כולל רחצה):")."""
    out: list[int | None] = []
    current = None
    for i, (start, end) in enumerate(spans):
        out.append(current)
        if text[start:end].rstrip().endswith(":"):
            current = i
    return out


def _dense_closeness(similarity: float | None) -> float | None:
    if similarity is None:
        return None
    return min(1.0, max(0.0, (similarity - DENSE_FLOOR) / (DENSE_CEILING - DENSE_FLOOR)))


def _script(text: str) -> str:
    """The script most of ``text``'s letters are in: he, ar or latin."""
    counts = {"he": 0, "ar": 0, "latin": 0}
    for ch in text[:400]:
        if "\u05d0" <= ch <= "\u05ea":
            counts["he"] += 1
        elif "\u0621" <= ch <= "\u064a":
            counts["ar"] += 1
        elif ch.isascii() and ch.isalpha():
            counts["latin"] += 1
    return max(counts, key=lambda k: counts[k])


def confidence_of(covered: float, closeness: float | None, holds: bool, key: bool, other_language: bool) -> float:
    """How sure the answer is: how much of the question the passage covers (its words; across languages
    its words cannot, so meaning alone counts) and how close it is in meaning; halved when the question
    asks for an amount or a time the answer lacks, and lowered when the question's rarest word is missing."""
    if closeness is None:
        confidence = covered
    elif other_language:
        confidence = closeness
    else:
        confidence = 0.5 * covered + 0.5 * closeness
    if not holds:  # asked how much, and no amount: not an answer
        confidence *= 0.5
    if not key and not other_language:  # about something else ("תותבת", "חתולים")
        confidence *= 0.6
    return confidence


def answer(question: str, passages: Sequence[Passage], words: BM25,
           min_confidence: float = DEFAULT_MIN_CONFIDENCE, query: np.ndarray | None = None) -> Answer:
    """Answer ``question`` from ``passages`` (best first), or decline (see the module docstring).
    ``query`` is the question's vector, when it was embedded."""
    if not passages:
        return Answer(False, "", 0.0, reasons=["nothing in the knowledge base matches the question"])
    weights = _weights(question, words)
    wants = asked_value(question)
    # (score, passage, first, last sentence, holds, the closest of its sentences' similarity)
    best: tuple[float, Passage, int, int, bool, float | None] | None = None
    for rank, passage in enumerate(passages[:CANDIDATE_PASSAGES]):
        spans = _sentences(passage)
        similarity = _sentence_similarity(passage, spans, query)
        terms = [analyzer.terms(passage.text[s:e]) for s, e in spans]
        heading = analyzer.terms(passage.heading)
        lead_ins = _lead_ins(passage.text, spans)
        for first in range(len(spans)):
            # The heading and the line that introduces a list count a little: "מחירים > שתלים" says
            # what a bare "3,900 ₪" is about, "תספורת מלאה:" what "כלב בינוני – 280 ₪" is.
            lead_in = lead_ins[first]
            context = heading + (terms[lead_in] if lead_in is not None else [])
            # a sentence, or it and the next when they fit in an answer: "10% הנחה למועדון. ההנחה
            # אינה חלה על ניתוחים" answers what neither sentence does alone
            for last in (first, first + 1):
                if last >= len(spans) or spans[last][1] - spans[first][0] > ANSWER_CHARS:
                    break
                window = terms[first] + terms[last] if last > first else terms[first]
                covered = 0.7 * _coverage(weights, window) + 0.3 * _coverage(weights, context + window)
                holds = wants is None or bool(wants.search(passage.text[spans[first][0]:spans[last][1]]))
                # a second sentence must add to the first: on a tie the single sentence is the answer
                score = covered + (0.25 if holds else 0.0) - 0.12 * rank - 0.01 * (last - first)
                close = float(similarity[first:last + 1].max()) if similarity is not None else None
                if close is not None:
                    score += SENTENCE_MEANING * (_dense_closeness(close) or 0.0)
                if best is None or score > best[0]:
                    best = (score, passage, first, last, holds, close)
    assert best is not None
    _, passage, first, last, holds, close = best
    spans = _sentences(passage)
    quotes = [(passage, *spans[i]) for i in range(first, last + 1)]
    start = spans[first][0]
    # The sentences around it in the same passage, while the answer stays short: a price's
    # condition, the line after "בחגים:" — what a person answering would read out too.
    for i in (last + 1, first - 1, last + 2):
        if 0 <= i < len(spans):
            s_, e_ = spans[i]
            if sum(e - s for _, s, e in quotes) + (e_ - s_) > ANSWER_CHARS:
                break
            quotes.append((passage, s_, e_))
            if wants is not None and wants.search(passage.text[s_:e_]):
                holds = True
    quotes.sort(key=lambda q: q[1])
    text = " ".join(passage.text[s:e].strip() for _, s, e in quotes)
    quotes.sort(key=lambda q: q[1] != start)  # the best sentence first among the citations
    whole = f"{passage.heading}\n{passage.text}"
    meaning = close if close is not None else passage.hit.dense
    confidence = confidence_of(coverage(weights, whole), _dense_closeness(meaning), holds,
                               _key_covered(weights, whole), _script(question) != _script(passage.text))
    confidence = round(confidence, 3)
    if confidence < min_confidence:
        return Answer(False, "", confidence, quotes=quotes,
                      reasons=["the knowledge base has no passage that answers this question"])
    return Answer(True, text.strip(), confidence, quotes=quotes)
