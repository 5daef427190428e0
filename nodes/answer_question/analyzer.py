"""Search terms for Hebrew, Arabic and English, the same for documents and questions.

- Text is normalised first (:func:`nodes.text.normalize.normalize`: niqqud, tashkeel, bidi marks,
  geresh and gershayim as ASCII quotes); Latin is lowercased.
- Hebrew: final letters folded (ך→כ …), acronym quotes dropped (ש"ח → שח), and each word also
  indexed without the prefixes it may carry: any run of up to three of ו ה ב ל מ ש כ
  (וכשהגעתי → כשהגעתי, שהגעתי, הגעתי), as long as two letters remain. Both sides get every
  reading, so "ובסניף" meets "סניף" and "בסניף" without a dictionary; a plural ending (ים, ות) dropped
  and a construct ת read as ה are further readings (הלבנת → הלבנה, שתלים → שתל).
- Arabic: alef forms, ta marbuta and alef maqsura folded; the article and its attached
  prepositions (ال، وال، بال، لل، فال، كال) and a leading و or ف stripped as further readings; so are
  spoken Arabic's "on the" (عالعيادة → العيادة) and its present-tense ب (بتكلف → تكلف).
- A stopword behind ו ה ש כ or و ف (ומה, שזה, وهل) is a stopword too.
- English: a plural or -ing ending stripped as a further reading.

:func:`terms` gives the words' readings; :func:`grams` the letter trigrams of each word as it
sounds, which forgive typos ("עולא" for "עולה", "השתלא" for "השתלה").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from nodes.text.cache import WordCache
from nodes.text.normalize import normalize

_WORD = re.compile(r"\d+(?:[.,:/\-]\d+)*|[^\W\d_]+(?:['\"][^\W\d_]+)*")
_FINALS = str.maketrans("ךםןףץ", "כמנפצ")
_HEBREW = re.compile(r"^[\u05d0-\u05ea]+$")
_ARABIC = re.compile(r"^[\u0621-\u064a]+$")
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ؤ": "و", "ئ": "ي"})
_HE_PREFIX_LETTERS = frozenset("והבלמשכ")
_AR_ARTICLES = ("وال", "بال", "فال", "كال", "لل", "ال")

#: words that carry no meaning for retrieval: question words, pronouns, greetings, fillers
STOPWORDS = frozenset(
    normalize(w).translate(_FINALS)
    for line in (Path(__file__).parent / "data" / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    if not line.startswith("#")
    for w in line.split()
)


def _hebrew_endings(word: str) -> list[str]:
    """The singular or absolute form a word may be read as: plural ים/ות dropped, construct ת as ה."""
    if len(word) >= 5 and word.endswith(("ים", "ות")):
        return [word[:-2]]
    if len(word) >= 4 and word.endswith("ת"):
        return [word[:-1] + "ה"]
    return []


def _hebrew_readings(word: str) -> list[str]:
    readings = [word, *_hebrew_endings(word)]
    stem = word
    for _ in range(3):
        if len(stem) > 2 and stem[0] in _HE_PREFIX_LETTERS:
            stem = stem[1:]
            if len(stem) >= 2:
                readings.append(stem)
                readings.extend(_hebrew_endings(stem))
        else:
            break
    return readings


def _arabic_readings(word: str) -> list[str]:
    word = word.translate(_ARABIC_FOLD)
    readings = [word]
    forms = [word, word[1:]] if word[0] in "وف" and len(word) > 3 else [word]
    # spoken Arabic: "on the" (عالعيادة = على العيادة) and the present tense's ب (بتكلف، بنقل)
    if (word.startswith("عال") and len(word) > 4) or (word[0] == "ب" and len(word) > 3 and not word.startswith("بال")):
        forms.append(word[1:])
    for form in forms:
        if form is not word:
            readings.append(form)
        for article in _AR_ARTICLES:
            if form.startswith(article) and len(form) - len(article) >= 2:
                readings.append(form[len(article):])
                break
    return readings


def _english_readings(word: str) -> list[str]:
    readings = [word]
    if len(word) > 4 and word.endswith("ing"):
        readings.append(word[:-3])
    elif len(word) > 4 and word.endswith("es"):
        readings.append(word[:-2])
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        readings.append(word[:-1])
    return readings


@WordCache
def readings(word: str) -> tuple[str, ...]:
    """Every reading of one normalised word (itself first)."""
    if _HEBREW.match(word):
        return tuple(dict.fromkeys(_hebrew_readings(word)))
    if _ARABIC.match(word):
        return tuple(dict.fromkeys(_arabic_readings(word)))
    if word.isascii() and word.isalpha():
        return tuple(dict.fromkeys(_english_readings(word)))
    return (word,)


#: days of the week as their letter ("יום ו'", "א'-ה'") and as their name ("שישי")
_DAY_LETTERS = {"א": "ראשונ", "ב": "שני", "ג": "שלישי", "ד": "רביעי", "ה": "חמישי", "ו": "שישי", "ש": "שבת"}
_DAY_LETTER = re.compile(r"(?<![\w'])([אבגדהוש])'(?!\w)")


#: a number written with thousands separators ("12,500")
_THOUSANDS = re.compile(r"\d{1,3}(,\d{3})+")


def words(text: str) -> list[str]:
    """The normalised words and numbers of ``text`` (stopwords included); a day's letter ("ו'") as its name."""
    norm = normalize(text).lower()
    norm = _DAY_LETTER.sub(lambda m: _DAY_LETTERS[m.group(1)], norm).translate(_FINALS)
    out: list[str] = []
    for token in _WORD.findall(norm):
        if token[0].isdigit():
            out.append(token.replace(",", "") if _THOUSANDS.fullmatch(token) else token)
        else:
            out.append(token.replace('"', "").replace("'", ""))
    return out


def content_words(text: str) -> list[str]:
    """:func:`words` without stopwords (a stopword behind a prefix, "ומה", counts as one too)."""
    return [w for w in words(text) if not _is_stop(w)]


#: prefixes that turn a stopword into another (ומה, שזה, כשיש; وهل، فيه): the stopword behind them is one too.
#: Not ב ל מ, which make content words of two-letter stopwords (בעל, מעל, לעד).
_STOP_PREFIXES = frozenset("והשכوف")


@WordCache
def _is_stop(word: str) -> bool:
    if word in STOPWORDS:
        return True
    if len(word) <= 1 and not word.isdigit():
        return True
    return word[0] in _STOP_PREFIXES and len(word) >= 3 and (
        word[1:] in STOPWORDS or (word[1] in _STOP_PREFIXES and word[2:] in STOPWORDS))


def terms(text: str, content: Sequence[str] | None = None) -> list[str]:
    """Every reading of every content word of ``text``, in order (the lexical index's terms); ``content``:
    its :func:`content_words`, when they were already read."""
    out: list[str] = []
    for word in content_words(text) if content is None else content:
        out.extend(_indexed_readings(word))
    return out


@WordCache
def _indexed_readings(word: str) -> tuple[str, ...]:
    return tuple(r for r in readings(word) if not _is_stop(r) or r == word)


#: letters a hurried or unsure writer swaps (ת/ט, ש/ס, ק/כ/ח, ע/א/ה) folded, and the vowel letters ו and י
#: dropped, for the trigrams only
_SOUND_FOLD = str.maketrans({"ת": "ט", "ש": "ס", "ק": "כ", "ח": "כ", "ע": "א", "ה": "א", "ו": None, "י": None})


def grams(text: str, content: Sequence[str] | None = None) -> list[str]:
    """Letter trigrams of each content word as it sounds (see :data:`_SOUND_FOLD`), with word edges
    (``#ab``, ``ab#``); numbers whole. ``content``: as for :func:`terms`."""
    out: list[str] = []
    for word in content_words(text) if content is None else content:
        out.extend(_word_grams(word))
    return out


@WordCache
def _word_grams(word: str) -> tuple[str, ...]:
    return (word,) if word[0].isdigit() else _trigrams(word)


def _trigrams(word: str) -> tuple[str, ...]:
    folded = word.translate(_SOUND_FOLD) or word
    padded = f"#{folded}#"
    return tuple(padded[i:i + 3] for i in range(len(padded) - 2))


@WordCache
def sounds(word: str) -> frozenset[str]:
    """The letter trigrams of one word as it sounds (what :func:`grams` gives for it)."""
    return frozenset(_trigrams(word))
