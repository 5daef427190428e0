"""The synthetic data pipeline: seed messages become more, realistic training messages.

``tzomet synth classify-lead --seed 13 --n 3`` prints the expansion. It is seeded and
reproducible (the same seed gives the same rows). Each variant applies a few of these
transformations, chosen at random, to one hand-written seed, keeping its label:

- slot filling: phone numbers, e-mail addresses, amounts, names and order numbers are
  swapped for other realistic values;
- openers and sign-offs people add on WhatsApp ("היי", "ערב טוב", "תודה 🙏", "hi", "مرحبا");
- spelling variants: punctuation dropped or doubled, final letters written plain,
  letters doubled for emphasis, a typo (a dropped, doubled or swapped letter);
- code switching: a few Hebrew words replaced by the English ones Israelis use.

Synthetic rows carry ``"synthetic": true`` and the index of their seed.
"""

from __future__ import annotations

import random
import re
from typing import Any

#: bump when the transformations change (part of the model version)
VERSION = "1"

_PHONE = re.compile(r"(?:\+972[-\s]?|0)5\d[-\s]?\d{3}[-\s]?\d{4}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
_AMOUNT = re.compile(r"(?<!\d)\d{2,3}(?:,\d{3})*(?=\s?(?:₪|ש\"ח|ש״ח|שקל|NIS|\$|€))")
_ORDER = re.compile(r"(?<=#)\d{4,8}|(?<=הזמנה\s)\d{4,8}|(?<=order\s)\d{4,8}", re.IGNORECASE)

_NAMES_HE = ["יוסי", "מיכל", "אבי", "רונית", "דני", "שירה", "מוחמד", "נועה", "איתי", "ליאת", "חיים", "אורטל"]
_DOMAINS = ["gmail.com", "walla.co.il", "hotmail.com", "yahoo.com", "012.net.il", "outlook.com"]
_OPENERS = {
    "he": ["היי", "שלום", "ערב טוב", "בוקר טוב", "הי", "אהלן", "שלום רב,", "היי מה נשמע"],
    "ar": ["مرحبا", "السلام عليكم", "اهلا", "مساء الخير", "صباح الخير"],
    "en": ["hi", "Hello,", "hey", "Good morning,", "Hi there"],
}
_CLOSERS = {
    "he": ["תודה", "תודה רבה", "🙏", "תודה מראש", "בברכה", "תחזרו אליי", "!"],
    "ar": ["شكرا", "يعطيك العافية", "🙏", "شكراً لكم"],
    "en": ["thanks", "thank you", "🙏", "Regards", "thx"],
}
_CODE_SWITCH = {
    "פגישה": "meeting", "מחיר": "price", "חשבונית": "invoice", "ביטול": "cancel", "דחוף": "urgent",
    "הזמנה": "order", "משלוח": "delivery", "החזר": "refund", "תור": "appointment", "הצעת מחיר": "quote",
    "בסדר": "ok", "מנוי": "subscription", "אתר": "website", "לינק": "link",
}
_FINALS = str.maketrans({"ם": "מ", "ן": "נ", "ץ": "צ", "ף": "פ", "ך": "כ"})


def _swap_slots(text: str, rng: random.Random) -> str:
    text = _PHONE.sub(lambda _: f"05{rng.randint(0, 8)}{rng.randint(1000000, 9999999)}", text)
    text = _EMAIL.sub(lambda _: f"{rng.choice(['dana', 'yossi', 'moshe', 'lior', 'sara'])}"
                                f"{rng.randint(1, 99)}@{rng.choice(_DOMAINS)}", text)
    text = _AMOUNT.sub(lambda m: f"{rng.randint(1, 99) * 10 ** (len(m.group(0).replace(',', '')) - 2):,}", text)
    text = _ORDER.sub(lambda m: str(rng.randint(10 ** (len(m.group(0)) - 1), 10 ** len(m.group(0)) - 1)), text)
    for name in _NAMES_HE:
        if name in text:
            text = text.replace(name, rng.choice(_NAMES_HE))
            break
    return text


def _typo(text: str, rng: random.Random) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.random()
    if kind < 0.4:
        w = w[:j] + w[j + 1:]
    elif kind < 0.7:
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[:j - 1] + w[j] + w[j - 1] + w[j + 1:]
    words[i] = w
    return " ".join(words)


def _spelling(text: str, rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.35:
        return re.sub(r"[.,;:]", "", text)
    if choice < 0.55:
        return re.sub(r"([!?])", r"\1\1", text)
    if choice < 0.7:
        return text.translate(_FINALS)
    if choice < 0.85:
        return text.lower()
    return re.sub(r"([א-ת])(?=\s|$)", lambda m: m.group(1) * rng.randint(1, 3), text, count=1)


def _code_switch(text: str, rng: random.Random) -> str:
    present = [w for w in _CODE_SWITCH if re.search(rf"(?<!\w)[ובלהמש]?{w}(?!\w)", text)]
    if not present:
        return text
    word = rng.choice(present)
    return re.sub(rf"(?<!\w)([ובלהמש]?){word}(?!\w)", lambda m: m.group(1) + _CODE_SWITCH[word], text, count=1)


def _frame(text: str, lang: str, rng: random.Random) -> str:
    key = lang if lang in _OPENERS else "he"
    if rng.random() < 0.5:
        text = f"{rng.choice(_OPENERS[key])} {text}"
    if rng.random() < 0.4:
        text = f"{text} {rng.choice(_CLOSERS[key])}"
    return text


def variant(row: dict[str, Any], rng: random.Random) -> str:
    """One synthetic version of ``row['text']``."""
    text = row["text"]
    lang = row.get("lang", "he")
    steps = [_swap_slots, _spelling, _typo]
    if lang in ("he", "mixed"):
        steps.append(_code_switch)
    rng.shuffle(steps)
    for step in steps[: rng.randint(1, len(steps))]:
        text = step(text, rng)
    return _frame(text, lang, rng).strip()


def expand(seeds: list[dict[str, Any]], seed: int = 13, per_seed: int = 3) -> list[dict[str, Any]]:
    """Return ``per_seed`` distinct variants of every seed (fewer when they collide)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for i, row in enumerate(seeds):
        seen = {row["text"]}
        for _ in range(per_seed):
            text = variant(row, rng)
            if text in seen:
                continue
            seen.add(text)
            rows.append({**row, "text": text, "synthetic": True, "seed_index": i})
    return rows
