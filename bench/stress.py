"""Throw adversarial text at every text finder and every action, in-process, and report the slowest input.

Targets: the ``nodes.text`` finders (``find_phones``, ``find_dates``, ``find_amounts``,
``find_ids``, ``find_emails``, ``redact``, ``normalize``, ``detect_language``), classify-lead's
``apply_rules``, and the actions classify-lead (with its default labels, and with a label set of a business's own,
which embeds the message too), summarize-conversation (a WhatsApp export),
extract-contract-fields and update-zoho (``dry_run``, mapped from classify-lead's output) run
through ``nodes.core.runner.execute`` as a request would be, without HTTP.

Inputs (seeded, so a run is reproducible): long digit runs, ``1-1-1-…``, repeated Hebrew
keyword fragments (``בית המשפט ב``, ``דחוף``, ``ש"ח 1,``), ``((((``, whitespace runs, one long
line of words, bidi marks between digits, ``@a.`` repeated, and random mixes of those. Every
target gets every family at 1,000 characters, then at twice that, and so on up to its documented
limit (10,000 characters for classify-lead, ``max_text_chars`` for the finders and the long-text actions);
a family stops growing for a target once one call takes over a second. The sizes are swept level
by level, so a short budget still covers every target. Time left over goes to random mixes at
random sizes, up to the smallest size already found slow for that target. The budget decides
whether a call starts, so the last one may run past it.

Prints, per target, the slowest input (a description, never the text) and its seconds, the peak
RSS of the process, and a verdict against the targets: no call over 1 s, no worker over 500 MB.
Seconds are CPU seconds of this process (``time.process_time``), so a busy machine does not
inflate them; the wall-clock seconds of the same call are printed next to them.
Exits 1 when a target is missed or a target crashed (a 4xx answer to a silly input is not a crash).

    .venv/bin/python bench/stress.py [--minutes 3] [--seed 1]     # or: make stress
    TZOMET_STRESS_MINUTES=10 TZOMET_STRESS_SEED=7 make stress
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nodes.classify_lead.rules import apply_rules
from nodes.core import registry
from nodes.core.config import Settings, load_settings
from nodes.core.node import Context
from nodes.core.problems import Problem
from nodes.core.runner import execute
from nodes.text import (
    detect_language,
    find_amounts,
    find_dates,
    find_emails,
    find_ids,
    find_phones,
    forget_texts,
    normalize,
    redact,
)

SECONDS_TARGET = 1.0
RSS_TARGET_MB = 500
CLASSIFY_MAX = 10_000  # classify-lead's text limit
LONG_MAX = Settings().max_text_chars  # the long-text actions' documented limit (and the finders')
NOTE_MAX = 32_000  # update-zoho's note limit
MESSAGE_MAX = 50_000  # one summarize-conversation message
FIRST_SIZE = 1_000

#: the repeated units of the input families (name, unit); "random mix" draws pieces of all of them
UNITS: list[tuple[str, str]] = [
    ("'1-' repeated", "1-"),
    ("'בית המשפט ב' repeated", "בית המשפט ב"),
    ("'דחוף' repeated", "דחוף"),
    ("'דחוף ' repeated", "דחוף "),
    ("'ש\"ח 1,' repeated", "ש\"ח 1,"),
    ("'(' repeated", "("),
    ("'@a.' repeated", "@a."),
    ("'1.1.' repeated", "1.1."),
    ("'+972 ' repeated", "+972 "),
    ("bidi mark + digit repeated", "\u200f0\u200e5\u202b4\u202c"),
    # a number after a name, and a register number, each read for a party (extract-contract-fields' letters)
    ("'שם | ח.פ. 515903417 | ' repeated", "שם | ח.פ. 515903417 | "),
    ("'GmbH / registered under HRB 1' repeated", "GmbH\nregistered under HRB 1\n"),
]
#: a small label set of a business's own, for classify-lead's custom-labels path
LABELS = [
    {"name": "price", "description": "asks what something costs", "examples": ["כמה עולה טיפול?", "how much is it"]},
    {"name": "booking", "description": "wants an appointment", "examples": ["אפשר לקבוע תור למחר?", "بدي موعد"]},
    {"name": "complaint", "description": "unhappy with the service", "examples": ["שירות גרוע", "I want a refund"]},
]
WORDS = ["שלום", "מחיר", "הצעה", "בית", "חוזה", "שכירות", "price", "please", "مرحبا", "سعر", "054", "₪", "2026"]
SPACES = " \t\u00a0\u2009\u202f"


@dataclass(frozen=True)
class Family:
    """A kind of adversarial input; ``make(rng, n)`` builds one of about ``n`` characters."""

    name: str
    make: Callable[[random.Random, int], str]


def _repeat(unit: str) -> Callable[[random.Random, int], str]:
    return lambda rng, n: (unit * (n // len(unit) + 1))[:n]


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choices("0123456789", k=n))


def _whitespace(rng: random.Random, n: int) -> str:
    return "x" + "".join(rng.choices(SPACES, k=n - 2)) + "y"


def _newlines(rng: random.Random, n: int) -> str:
    return "שלום" + "".join(rng.choices("\n\r \n", k=n - 8)) + "דחוף"


def _long_line(rng: random.Random, n: int) -> str:
    out: list[str] = []
    size = 0
    while size < n:
        word = rng.choice(WORDS)
        out.append(word)
        size += len(word) + 1
    return " ".join(out)[:n]


def _mix(rng: random.Random, n: int) -> str:
    """Random pieces of every other family, glued together."""
    pieces: list[str] = []
    size = 0
    while size < n:
        piece = rng.choice(FAMILIES[:-1]).make(rng, rng.randint(3, max(4, min(n - size, 400))))
        if rng.random() < 0.3:
            piece += rng.choice(["\n", " ", "\u200f", ": ", ", "])
        pieces.append(piece)
        size += len(piece)
    return "".join(pieces)[:n]


FAMILIES: list[Family] = [
    Family("digit run", _digits),
    *(Family(name, _repeat(unit)) for name, unit in UNITS),
    Family("whitespace run", _whitespace),
    Family("newline run", _newlines),
    Family("one long line of words", _long_line),
    Family("random mix", _mix),  # last: _mix draws from the others
]


@dataclass
class Target:
    """A finder or an action, the longest text it accepts, and its worst case so far."""

    name: str
    call: Callable[[str], Any]
    max_chars: int
    slowest: float = 0.0
    slowest_wall: float = 0.0
    slowest_input: str = "-"
    calls: int = 0
    largest: int = 0
    #: the size random mixes go up to: the limit, or the smallest size at which a family went over 1 s
    cap: int = 0
    rejected: int = 0
    crashes: list[str] = field(default_factory=list)


def _clear_text_caches() -> None:
    """Empty the finders' caches keyed on a text, so no call is answered from an earlier one
    (the digest-keyed cache and its long-text slot, and any ``lru_cache`` on a text)."""
    forget_texts()
    for name, module in list(sys.modules.items()):
        if name.startswith("nodes.text.") and module is not None:
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear):
                    clear()


def _whatsapp(text: str) -> str:
    """``text`` as an Android WhatsApp export: messages of at most 50,000 characters, two authors.
    The text is cut by the length of the headers when they would take the export past the limit,
    so that the largest size is measured rather than refused."""
    def export(body: str) -> str:
        chunks = [body[i:i + MESSAGE_MAX] for i in range(0, len(body), MESSAGE_MAX)] or [body]
        return "\n".join(f"12.11.2026, 09:{i % 60:02d} - {'דנה כהן' if i % 2 == 0 else 'העסק'}: {chunk}"
                         for i, chunk in enumerate(chunks))
    out = export(text)
    return export(text[:len(text) - (len(out) - LONG_MAX)]) if len(out) > LONG_MAX else out


#: the longest question answer-question reads
QUESTION_MAX = 2_000


def targets() -> list[Target]:
    """Every finder and every action, ready to call with one text."""
    settings = load_settings(env={})
    nodes = {name: registry.get(name) for name in ("classify-lead", "summarize-conversation",
                                                    "extract-contract-fields", "update-zoho")}
    for node in nodes.values():
        node.load(settings)

    def run(name: str, body: dict[str, Any]) -> dict[str, Any]:
        return execute(nodes[name], body, Context(settings=settings))

    def zoho(text: str) -> dict[str, Any]:
        classification = run("classify-lead", {"text": text[:CLASSIFY_MAX], "channel": "whatsapp"})
        contact = {"name": text[:200], "phone": text[:40], "email": text[:200], "company": text[:200],
                   "channel": "whatsapp"}
        return run("update-zoho", {"from": {"classification": classification, "contact": contact},
                                   "note": {"content": text[:NOTE_MAX]}, "dry_run": True})

    from nodes.answer_question import kb as knowledge
    from nodes.answer_question.answer import answer
    from nodes.answer_question.eval import SHIPPED, build
    from nodes.answer_question.readers import markdown_blocks, text_blocks

    clinic, _ = build(SHIPPED / "kb")  # the shipped knowledge base, lexical

    def index_text(text: str) -> object:
        """What adding a document does before it is stored, and what each process then builds."""
        rows = [("d", "stress.md", "", 0.0, {}, [c.as_dict() for c in knowledge.chunk_blocks(blocks)])
                for blocks in (markdown_blocks(text), text_blocks(text))]
        return knowledge.KnowledgeIndex.build("stress", rows, None)

    def ask(text: str) -> object:
        passages = knowledge.search(clinic, text, 10)
        return answer(text, passages, clinic.index.words)

    return [
        Target("find_phones", find_phones, LONG_MAX),
        Target("find_dates", find_dates, LONG_MAX),
        Target("find_amounts", find_amounts, LONG_MAX),
        Target("find_ids", find_ids, LONG_MAX),
        Target("find_emails", find_emails, LONG_MAX),
        Target("redact", redact, LONG_MAX),
        Target("normalize", normalize, LONG_MAX),
        Target("detect_language", detect_language, LONG_MAX),
        Target("apply_rules", apply_rules, CLASSIFY_MAX),
        Target("classify-lead", lambda t: run("classify-lead", {"text": t, "channel": "whatsapp"}), CLASSIFY_MAX),
        # custom labels: the message is embedded too (by the local model, at most MAX_TOKENS tokens)
        Target("classify-lead (labels)", lambda t: run("classify-lead", {"text": t, "categories": LABELS}),
               CLASSIFY_MAX),
        Target("summarize-conversation", lambda t: run("summarize-conversation", {"transcript": _whatsapp(t)}),
               LONG_MAX),
        Target("extract-contract-fields", lambda t: run("extract-contract-fields", {"text": t}), LONG_MAX),
        Target("update-zoho (dry run)", zoho, NOTE_MAX),
        Target("knowledge (chunk, index)", index_text, LONG_MAX),
        Target("answer-question (lexical)", ask, QUESTION_MAX),
    ]


def _sizes(limit: int) -> list[int]:
    """1,000 characters, doubling, then ``limit`` itself."""
    sizes = []
    n = FIRST_SIZE
    while n < limit:
        sizes.append(n)
        n *= 2
    return [*sizes, limit]


def _measure(target: Target, text: str, description: str) -> float:
    """Call ``target`` on ``text`` once (caches emptied) and record it; return its CPU seconds."""
    _clear_text_caches()
    started, started_wall = time.process_time(), time.perf_counter()
    try:
        target.call(text)
    except Problem:
        target.rejected += 1
    except Exception as exc:  # a crash is a finding, reported, not a reason to stop
        target.crashes.append(f"{type(exc).__name__} on {description}")
    elapsed, wall = time.process_time() - started, time.perf_counter() - started_wall
    target.calls += 1
    target.largest = max(target.largest, len(text))
    if elapsed > target.slowest:
        target.slowest, target.slowest_wall, target.slowest_input = elapsed, wall, description
    return elapsed


def warm_up(all_targets: list[Target], seed: int) -> None:
    """Call every target once per family at the first size, untimed: lazy imports and metadata load then."""
    for family in FAMILIES:
        text = family.make(random.Random(f"{seed}:warm:{family.name}"), FIRST_SIZE)
        for target in all_targets:
            with contextlib.suppress(Exception):
                target.call(text)


def stress(all_targets: list[Target], budget_s: float, seed: int) -> None:
    """Sweep every family at growing sizes, level by level, then random mixes until the budget is spent."""
    deadline = time.monotonic() + budget_s
    sizes = {t.name: set(_sizes(t.max_chars)) for t in all_targets}
    stopped: set[tuple[str, str]] = set()  # (target, family) pairs that went over the target
    for level in sorted(set().union(*sizes.values())):
        for family in FAMILIES:
            text = family.make(random.Random(f"{seed}:{family.name}:{level}"), level)
            for target in all_targets:
                if time.monotonic() > deadline:
                    return
                if level not in sizes[target.name] or (target.name, family.name) in stopped:
                    continue
                if _measure(target, text, f"{family.name}, {level:,} chars") > SECONDS_TARGET:
                    stopped.add((target.name, family.name))
                    target.cap = min(target.cap or level, level)
    rng = random.Random(f"{seed}:mixes")
    while time.monotonic() < deadline:
        target = rng.choice(all_targets)
        size = rng.randint(FIRST_SIZE, target.cap or target.max_chars)  # no bigger than what is known slow
        mix_seed = rng.randrange(2**32)
        text = _mix(random.Random(mix_seed), size)
        _measure(target, text, f"random mix #{mix_seed}, {size:,} chars")


def report(all_targets: list[Target], seconds: float, seed: int) -> bool:
    """Print the table and the verdict; True when every target is met and nothing crashed."""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"stress: {sum(t.calls for t in all_targets):,} calls in {seconds:.0f} s, seed {seed}")
    print(f"{'target':24} {'calls':>6} {'4xx':>5} {'largest':>10} {'slowest s':>10} {'(wall)':>8}  slowest input")
    for t in all_targets:
        print(f"{t.name:24} {t.calls:6} {t.rejected:5} {t.largest:10,} {t.slowest:10.3f} {t.slowest_wall:8.3f}  "
              f"{t.slowest_input}")
        for crash in t.crashes[:3]:
            print(f"{'':24} crashed: {crash}")
    print(f"peak RSS: {peak_mb:,.0f} MB")
    slow = [t.name for t in all_targets if t.slowest > SECONDS_TARGET]
    crashed = [t.name for t in all_targets if t.crashes]
    ok = not slow and not crashed and peak_mb <= RSS_TARGET_MB
    problems = ([f"over {SECONDS_TARGET:g} s: {', '.join(slow)}"] if slow else []) + \
        ([f"crashed: {', '.join(crashed)}"] if crashed else []) + \
        ([f"peak RSS {peak_mb:,.0f} MB > {RSS_TARGET_MB} MB"] if peak_mb > RSS_TARGET_MB else [])
    print("verdict: " + ("PASS (none over 1 s, peak RSS under 500 MB)" if ok else "FAIL (" + "; ".join(problems) + ")"))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("TZOMET_STRESS_MINUTES", "3")),
                        help="time budget (env TZOMET_STRESS_MINUTES; default 3)")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("TZOMET_STRESS_SEED", "1")),
                        help="seed of the inputs (env TZOMET_STRESS_SEED; default 1)")
    args = parser.parse_args()
    all_targets = targets()  # loading the model and warming up are not part of the budget
    warm_up(all_targets, args.seed)
    started = time.monotonic()
    stress(all_targets, args.minutes * 60, args.seed)
    sys.exit(0 if report(all_targets, time.monotonic() - started, args.seed) else 1)


if __name__ == "__main__":
    main()
