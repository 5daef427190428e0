"""The built-in text finders are bounded in time and memory, whatever the text.

Times are CPU seconds of this process (``time.process_time``), so a loaded machine does
not make them flaky; every bound is generous (the finders take a small part of it).
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import random
import re
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from nodes.classify_lead.contact import find_name
from nodes.classify_lead.rules import apply_rules
from nodes.extract_contract_fields import fields as fields_module
from nodes.extract_contract_fields.clauses import Clauses, find_durations
from nodes.extract_contract_fields.contract_type import detect_contract_type
from nodes.extract_contract_fields.fields import (
    find_auto_renewal,
    find_dates_fields,
    find_governing_law,
    find_jurisdiction,
    find_money,
    find_notice,
    find_term,
)
from nodes.extract_contract_fields.parties import find_parties
from nodes.summarize_conversation import sentiment, summary, whatsapp
from nodes.summarize_conversation.conversation import customer_scores
from nodes.text import (
    cache,
    find_all,
    find_amounts,
    find_dates,
    find_emails,
    find_ids,
    find_phones,
    forget_texts,
    normalize,
    redact,
    split_sentences,
    tokens,
)
from nodes.text import phones as phones_module

#: a bound in CPU seconds for one call, far above what a call takes
BOUND = 2.0
REF = dt.date(2026, 11, 10)


def cpu_seconds(fn: Callable[..., Any], *args: Any) -> float:
    """CPU seconds one call of ``fn(*args)`` takes."""
    started = time.process_time()
    fn(*args)
    return time.process_time() - started


# ---------------------------------------------------------------- phones

#: the candidate pattern before it was bounded: the same matches, found by backtracking
#: through every way of cutting a run of digits into chunks
_BACKTRACKING_CANDIDATE = re.compile(
    r"(?=[+(\d])(?<![A-Za-z0-9_+*#/.,])"
    r"(?P<num>(?:\+|00)?\s?\(?\d{1,4}\)?(?:(?:[ \-.]|\s?-\s?|\)\s?)?\(?\d{1,5}\)?){0,7})"
    r"(?![\d%]|[.,:/]\d)"
)


def test_long_digit_runs_cost_no_backtracking() -> None:
    # 10 KB of 40-digit runs took 17 s (55 ms a run) before the pattern was bounded
    rng = random.Random(1)
    text = " ".join("".join(rng.choice("0123456789") for _ in range(40)) for _ in range(250))
    assert cpu_seconds(find_phones, text) < BOUND
    assert find_phones(text) == []


def test_a_phone_next_to_a_long_digit_run_is_still_found() -> None:
    assert [m.value for m in find_phones("1" * 60 + " 050-1234567")] == ["+972501234567"]
    assert [m.value for m in find_phones("050-1234567 " + "7" * 60)] == ["+972501234567"]
    assert [m.value for m in find_phones("טל 050-1234567-" + "3" * 45)] == ["+972501234567"]


def test_bounded_candidates_are_the_backtracking_ones() -> None:
    rng = random.Random(7)
    pieces = ["050", "-", "1234567", " ", "(", ")", "+972", "00", "52", "123", "12345", "%", ".", ",", ":",
              "/", "\n", "\t", " - ", ") ", "-(", "0", "9", "a", "ת", "1-800", "03", "*", "#"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 20)))
        # the same candidates, less those with fewer than seven digits (no phone), which are
        # no longer read at all
        expected = [m.span("num") for m in _BACKTRACKING_CANDIDATE.finditer(text) if _digit_count(m) >= 7]
        got = [m.span("num") for m in phones_module._CANDIDATE.finditer(text) if _digit_count(m) >= 7]
        assert got == expected, text


def _digit_count(m: re.Match[str]) -> int:
    return sum(ch.isdigit() for ch in m.group("num"))


# ---------------------------------------------------------------- contract fields


def test_court_finder_reads_each_clause_once() -> None:
    # one 44 KB clause of court words without a jurisdiction word: 14 s when the clause was
    # searched again for every court word in it (182 KB took 86 s)
    text = "בית המשפט ב" * 4000
    clauses = Clauses(text)
    assert cpu_seconds(find_jurisdiction, text, clauses) < BOUND
    assert find_jurisdiction(text, clauses) is None


def test_a_place_of_hyphenated_words_before_a_court_cannot_backtrack() -> None:
    # "A- A- ... courts": 0.5 s for each court word, each split of the words being tried
    text = ("exclusive jurisdiction: " + "A- " * 20 + "courts.\n\n") * 8
    assert cpu_seconds(find_jurisdiction, text, Clauses(text)) < BOUND
    text = "The parties submit to the exclusive jurisdiction of the Tel Aviv-Jaffa District courts."
    assert find_jurisdiction(text, Clauses(text)).value == "Tel Aviv-Jaffa"  # type: ignore[union-attr]


#: the pattern before its words were split only at white space: the same matches
_BACKTRACKING_COURT_BEFORE = re.compile(
    r"(?:the\s+)?(?P<place>[A-Z][\w'\-]*(?:[\s\-]+[A-Z][\w'\-]*)*?)\s+"
    r"(?:District|Magistrates?'?|Magistrate's|Regional\s+Labou?r|Labou?r|Small\s+Claims)\s+$"
)


def test_court_place_pattern_matches_as_before() -> None:
    rng = random.Random(3)
    pieces = ["Tel", " ", "Aviv", "-", "Jaffa", "the ", "District", "Magistrates'", "Magistrate's", "Regional",
              "Labour", "Small", "Claims", "  ", "\n", "x", "A", "-Yafo", "'", " of ", "Be'er", "Sheva", "\t"]
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12))) + rng.choice(["", " "])
        old, new = _BACKTRACKING_COURT_BEFORE.search(text), fields_module._EN_COURT_BEFORE.search(text)
        assert (old and (old.span(), old.span("place"))) == (new and (new.span(), new.span("place"))), text


def test_dates_in_one_long_clause_are_read_in_linear_time() -> None:
    # 49 KB of "מיום 1.1.2026": 28 s when the whole clause was searched for a term word per date
    text = "מיום 1.1.2026 " * 3500
    clauses, dates = Clauses(text), find_dates(text)
    assert cpu_seconds(find_dates_fields, text, clauses, dates) < BOUND


def test_amounts_without_a_cue_cost_little() -> None:
    # 50 KB of "$1": 4 s when each amount's 160-character window was searched for cue words
    text = "$1" * 25_000
    clauses, amounts = Clauses(text), find_amounts(text)
    assert cpu_seconds(find_money, text, clauses, amounts) < BOUND
    assert find_money(text, clauses, amounts) == (None, None, [])


def test_parties_take_the_ids_of_a_line_by_bisection() -> None:
    # labelled lines, each with an ID: every ID was looked at for every line (9 s for 400 KB)
    text = "המשכיר: דנה לוי, ת.ז. 000000018\nהשוכר: משה כהן, ת.ז. 000000026\n" + "השוכר: 000000018\n" * 24_000
    ids = find_ids(text)
    assert cpu_seconds(find_parties, text, ids) < BOUND
    assert [(p.name, p.role, p.id_match.value if p.id_match else None) for p in find_parties(text, ids)] == [
        ("דנה לוי", "המשכיר", "000000018"), ("משה כהן", "השוכר", "000000026"),
    ]


def test_white_space_in_a_party_block_is_read_one_way() -> None:
    # long runs of spaces inside the block of parties: every way of splitting a run between the
    # patterns' white space was tried (8.6 s for 1,200 spaces after "Dana Levi;", 10 s for 600
    # after "(hereinafter", 2.8 s for 1,000 after "and")
    for text in (
        "between: Dana Levi;" + " " * 1200 + "and Moshe Cohen",
        "between: Dana Levi (hereinafter" + " " * 600 + "x",
        "בין:\nDana\nand" + " " * 1000 + "x",
        "המוכר: דנה" + " " * 8000 + "x 000000018\n",
    ):
        assert cpu_seconds(find_parties, text, find_ids(text)) < BOUND, text[:30]


def test_white_space_between_the_dates_of_a_range_is_read_once() -> None:
    # 6 s when the gap of a range ("1.1.2026 - ... 2.2.2026") was split every way
    text = "1.1.2026 -" + " " * 30_000 + "x 2.2.2026"
    assert cpu_seconds(find_dates_fields, text, Clauses(text), find_dates(text)) < BOUND


# ---------------------------------------------------------------- the cache


def test_cache_is_keyed_by_a_digest_of_the_text() -> None:
    forget_texts()
    text = "חזרו אליי ל-050-1234567 עד 15.1.2026, דנה"
    find_all(text, REF)
    assert cache.held_entries() > 0
    for key in cache._entries:
        assert text not in key and not any(isinstance(part, str) and "050" in part for part in key)


def test_cached_results_are_the_computed_ones() -> None:
    text = "נא לחזור ל-050-1234567 או dana@example.com, מקדמה 1,500 ש\"ח עד ה-15.1.2026, ת.ז. 012345674"
    forget_texts()
    first = find_all(text, REF), redact(text)
    again = find_all(text, REF), redact(text)  # from the cache
    forget_texts()
    assert first == again == (find_all(text, REF), redact(text))


def test_forget_texts_empties_the_cache() -> None:
    find_phones("050-1234567")
    assert cache.held_entries() > 0
    forget_texts()
    assert (cache.held_entries(), cache.held_bytes()) == (0, 0)


def test_a_long_text_is_held_apart_and_only_until_the_next_one() -> None:
    # a contract over MAX_TEXT_CHARS: its finders share their work (the ID, amount and redaction
    # finders each need its phones) in one slot, outside the byte bound, that holds one text
    forget_texts()
    unit = "טל' 050-1234567, "
    text = unit * (cache.MAX_TEXT_CHARS // len(unit) + 1)
    assert len(text) > cache.MAX_TEXT_CHARS
    assert len(find_phones(text)) == len(text) // len(unit)
    assert cache.held_bytes() == 0  # the short texts' bound is untouched
    held = cache.held_entries()
    assert held >= 2  # its normalised form and its phones
    assert find_phones(text) is not None and cache.held_entries() == held  # the second call is a hit
    other = text.replace("1234567", "7654321")
    find_phones(other)
    assert cache.held_entries() == held  # the next long text took the slot: one text at a time
    forget_texts()
    assert (cache.held_entries(), cache.held_bytes()) == (0, 0)


def test_memory_stays_bounded_over_many_texts() -> None:
    # 40 contracts of 2M characters kept 3.6 GB alive in the caches keyed by whole texts; twelve
    # would keep over a gigabyte the same way
    forget_texts()
    tracemalloc.start()
    try:
        for i in range(12):
            text = f"חוזה {i}: " + "המשכיר והשוכר מסכימים בזאת " * 75_000  # 2M characters
            normalize(text), find_phones(text), find_emails(text)
        gc.collect()
        kept_one = tracemalloc.get_traced_memory()[0]  # the last contract's values, in its slot
        forget_texts()
        del text
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert kept_one < 40 * 2**20  # one contract's worth (its normalised copy and index), not twelve
    assert kept < 2**20
    computed = 0
    for i in range(40):  # short enough to be cached: what is held stays within the bound in bytes
        text = f"הסכם {i}: טל' 050-{i:07d}, מיום 1.1.2026. " * 500  # 20K characters
        normalize(text), find_phones(text), find_dates(text)
        computed += 5  # the normalised text, its phones, its dates, its absolute dates and scripts
        assert cache.held_bytes() <= cache.MAX_BYTES
    assert cache.held_entries() < computed  # the oldest were dropped
    forget_texts()
    assert (cache.held_entries(), cache.held_bytes()) == (0, 0)


# ---------------------------------------------------------------- text finders


def test_weekdays_before_dates_are_matched_by_a_set() -> None:
    # every weekday was compared with every date (quadratic: 10 s for 150 KB)
    text = "ביום חמישי 19.11 " * 9000
    assert cpu_seconds(find_dates, text, REF) < BOUND


def test_spaces_after_a_month_are_read_once() -> None:
    # when no year followed, every split of the white space before it was tried (12.6 s here)
    text = "15 בינואר" + " " * 12_000 + "x"
    assert cpu_seconds(find_dates, text) < BOUND
    assert [(m.start, m.end, m.value[4:]) for m in find_dates(text)] == [(0, 9, "-01-15")]
    text = "15 בינואר" + " " * 12_000 + "2026"
    assert [(m.start, m.end, m.value) for m in find_dates(text)] == [(0, len(text), "2026-01-15")]


def test_a_run_of_full_stops_is_read_once() -> None:
    # every stop of the run was tried as the start of a sentence end (23 s for 30,000)
    text = "." * 30_000 + "x"
    assert cpu_seconds(split_sentences, text) < BOUND
    assert split_sentences(text) == [(0, len(text))]


def test_the_next_list_number_is_not_searched_for_after_every_number() -> None:
    # the rest of the text was searched for "2." after each "price 1." (4 s for 45 KB)
    text = "price 1. " * 5000
    assert cpu_seconds(find_amounts, text) < BOUND
    assert len(find_amounts(text)) == 5000


# ---------------------------------------------------------------- conversations and leads


def test_whatsapp_white_space_is_read_once() -> None:
    # the white space after a date, and before the edited mark, was tried every way
    assert cpu_seconds(whatsapp.parse, "12.11.2026" + " " * 20_000 + "x") < BOUND
    text = "12.11.2026, 09:14 - Dana: hi" + " " * 50_000 + "x"
    assert cpu_seconds(whatsapp.parse, text) < BOUND
    assert [(m.author, m.text) for m in whatsapp.parse(text).messages] == [("Dana", "hi" + " " * 50_000 + "x")]


def test_word_caches_hold_no_long_word() -> None:
    # a "word" can be a whole message without spaces: 300 of 20K characters kept 17 MB, and the
    # caches (65,536 words each) could keep gigabytes
    held = summary._content_word.cached.cache_info().currsize, summary.strip_prefix.cached.cache_info().currsize
    rng = random.Random(5)
    for _ in range(50):
        word = "".join(rng.choice("abcdefgh") for _ in range(20_000))
        summary.content_tokens([word])
        sentiment.score_text(word, [word])
    assert (summary._content_word.cached.cache_info().currsize,
            summary.strip_prefix.cached.cache_info().currsize) == held


def test_line_breaks_around_a_name_are_read_one_way() -> None:
    # blank lines after "תודה" were split three ways (13 s for 1,500), before a label two ways
    assert cpu_seconds(find_name, "תודה" + "\n" * 1500 + "!") < BOUND
    assert cpu_seconds(find_name, "\n" * 20_000 + "x: name") < BOUND
    assert find_name("תודה,\n\nדנה כהן\n") == "דנה כהן"
    assert find_name("\n\n  שם: דנה כהן") == "דנה כהן"


# ---------------------------------------------------------------- every finder, adversarial input

SIZE = 50_000


def _repeat(unit: str) -> str:
    """``unit`` repeated to :data:`SIZE` characters."""
    return (unit * (SIZE // len(unit) + 1))[:SIZE]


def _digit_runs() -> str:
    rng = random.Random(1)
    return _repeat(" ".join("".join(rng.choice("0123456789") for _ in range(40)) for _ in range(50)) + " ")


#: texts that make a careless pattern backtrack or a careless loop go quadratic
ADVERSARIAL: dict[str, Callable[[], str]] = {
    "one digit run": lambda: "7" * SIZE,
    "40-digit runs": _digit_runs,
    "1-1-1": lambda: _repeat("1-"),
    "1.1.1": lambda: _repeat("1."),
    "1 1 1": lambda: _repeat("1 "),
    "00 00": lambda: _repeat("00 "),
    "(1) (1)": lambda: _repeat("(1) "),
    "((((": lambda: "(" * SIZE,
    "spaces": lambda: " " * SIZE,
    "newlines": lambda: "\n" * SIZE,
    "@a.": lambda: _repeat("@a."),
    'ש"ח 1,': lambda: _repeat('ש"ח 1,'),
    "$1": lambda: _repeat("$1"),
    "NIS 1": lambda: _repeat("NIS 1 "),
    "five NIS": lambda: _repeat("five NIS "),
    "long Latin line": lambda: "a" * SIZE,
    "long Hebrew line": lambda: "א" * SIZE,
    "bidi marks": lambda: _repeat("\u200f1\u200e2\u202bא\u202c"),
    "court words": lambda: _repeat("בית המשפט ב"),
    "hyphenated place": lambda: _repeat("exclusive jurisdiction: " + "A- " * 20 + "courts. "),
    "start dates": lambda: _repeat("מיום 1.1.2026 "),
    "weekday dates": lambda: _repeat("ביום חמישי 19.11 "),
    "slash dates": lambda: _repeat("12/12 "),
    "labelled IDs": lambda: _repeat("השוכר: 000000018\n"),
    "term words": lambda: _repeat("לתקופה של "),
    "days": lambda: _repeat("יום "),
    "tomorrow": lambda: _repeat("מחר "),
    "pain words": lambda: _repeat("כאב "),
    "talk to": lambda: _repeat("לדבר עם "),
    "whatsapp headers": lambda: _repeat("12.11.2026, 09:14 - "),
    "shouting": lambda: _repeat("AAAA ") + "a",
    "month then spaces": lambda: "15 בינואר" + " " * SIZE + "x",
    "full stops then a letter": lambda: "." * SIZE + "x",
    "numbered prices": lambda: _repeat("price 1. "),
    "parties then spaces": lambda: "between: Dana Levi;" + " " * SIZE + "and Moshe",
    "hereinafter then spaces": lambda: "between: Dana Levi (hereinafter" + " " * SIZE + "x",
    "range then spaces": lambda: "1.1.2026 -" + " " * SIZE + "x 2.2.2026",
    "terms after a stop word": lambda: _repeat("הודעה לתקופה של 12 חודשים "),
    "durations without a notice": lambda: _repeat("של 30 יום תוך "),
    "date then spaces": lambda: "12.11.2026" + " " * SIZE + "x",
    "message then spaces": lambda: "12.11.2026, 09:14 - Dana: hi" + " " * SIZE + "x",
    "thanks then line breaks": lambda: "תודה" + "\n" * SIZE + "!",
    "line breaks then a label": lambda: "\n" * SIZE + "x: name",
    "spelled addresses": lambda: _repeat("a.b at gmail dot "),
    "bracketed ats": lambda: _repeat("a [at] b [dot] "),
    "thanks, names": lambda: _repeat("תודה, דנה "),
    "titles": lambda: _repeat("Dr. ד\"ר "),
    "phones": lambda: _repeat("050-1234567 "),
    "introductions": lambda: _repeat("this is Dana זה אבי "),
    "here": lambda: _repeat("Katie here "),
    "closing then spaces": lambda: "thanks" + " " * SIZE + ",\n",
    "regards after spaces": lambda: " " * SIZE + "regards",
    "numbered headings on one line": lambda: _repeat("1. Term. "),
    "spaces then a heading": lambda: " " * SIZE + "1. Term. x",
    "law then the verb": lambda: _repeat("הדין הישראלי "),
    "laws in force": lambda: _repeat("القوانين السارية في "),
    "laws of Of": lambda: _repeat("governed by the laws of A of "),
    "returned until": lambda: _repeat("ותחזירי אותו אלינו "),
    "offer valid": lambda: _repeat("ההצעה בתוקף "),
    "ranges from": lambda: _repeat("من 1.1.2025 حتى "),
    "jurisdiction labels": lambda: _repeat("Place of jurisdiction: A "),
    "bare payment numbers": lambda: _repeat("תשלום 30 "),
    "arabic ordinal days": lambda: _repeat("الحادي والعشرين من "),
    "months in advance": lambda: _repeat("חודש מראש "),
    "its length is": lambda: _repeat("مدته "),
    "references dated": lambda: _repeat("the a an dated "),
    "meetings on": lambda: _repeat("בהמשך לפגישתנו "),
    "names in parentheses": lambda: _repeat("(דנה לוי, "),
    "comes to an end": lambda: _repeat("יבוא הסכם זה "),
    "advances off the price": lambda: _repeat("ينוכה מ يخصم من "),
    "remains in force": lambda: _repeat("remain in force for "),
    "labelled roles": lambda: _repeat("בין:\nהמוכר: "),
    "totals in parentheses": lambda: _repeat("TOTAL (x "),
    "extensions of": lambda: _repeat("הנדון: הארכת "),
    "total words": lambda: _repeat("total "),
    "total rows": lambda: _repeat("| total |" + " " * 100 + "\n"),
    "entry dates": lambda: _repeat("תאריך כניסה "),
    "does not renew": lambda: _repeat("ואינו מתחדש "),
    "months after cues": lambda: _repeat("to Customer in August 2025 "),
    "register words": lambda: _repeat("Partita IVA file number KvK) No. "),
    "trial periods": lambda: _repeat("לאחר תקופת הניסיון "),
    "monthly fees": lambda: _repeat("رسوم تخزين "),
    "headings over amounts": lambda: _repeat("Fee\nILS 1 "),
    "in total": lambda: _repeat("أي ما مجموعه 1 ش.ج "),
    "range labels": lambda: _repeat("תאריכי x: "),
}


def _with_clauses(fn: Callable[..., Any], extra: Callable[[str], Any] | None = None) -> Callable[[str], tuple]:
    """Arguments ``(text, Clauses(text)[, extra(text)])`` for a contract field finder."""
    return lambda text: (text, Clauses(text)) if extra is None else (text, Clauses(text), extra(text))


#: finder name -> (its arguments for a text, computed before the clock starts; the finder)
FINDERS: dict[str, tuple[Callable[[str], tuple], Callable[..., Any]]] = {
    "normalize": (lambda t: (t,), normalize),
    "find_phones": (lambda t: (t,), find_phones),
    "find_dates": (lambda t: (t,), find_dates),
    "find_dates with a reference": (lambda t: (t, REF), find_dates),
    "find_amounts": (lambda t: (t,), find_amounts),
    "find_ids": (lambda t: (t,), find_ids),
    "find_emails": (lambda t: (t,), find_emails),
    "redact": (lambda t: (t,), redact),
    "split_sentences": (lambda t: (t,), split_sentences),
    "tokens": (lambda t: (t,), tokens),
    "Clauses": (lambda t: (t,), Clauses),
    "find_durations": (lambda t: (t,), find_durations),
    "find_dates_fields": (_with_clauses(find_dates_fields, find_dates), find_dates_fields),
    "find_term": (_with_clauses(find_term, find_durations), find_term),
    "find_notice": (_with_clauses(find_notice, find_durations), find_notice),
    "find_money": (_with_clauses(find_money, find_amounts), find_money),
    "find_auto_renewal": (lambda t: (t,), find_auto_renewal),
    "find_jurisdiction": (_with_clauses(find_jurisdiction), find_jurisdiction),
    "find_governing_law": (lambda t: (t,), find_governing_law),
    "find_parties": (lambda t: (t, find_ids(t)), find_parties),
    "detect_contract_type": (lambda t: (t,), detect_contract_type),
    "whatsapp.parse": (lambda t: (t,), whatsapp.parse),
    "apply_rules": (lambda t: (t,), apply_rules),
    "find_name": (lambda t: (t,), find_name),
    # who writes in: every cue of both sides over one long message each
    "customer_scores": (lambda t: (["a", "b"], {"a": [t], "b": [t]}, "a"), customer_scores),
}


@pytest.mark.parametrize("finder", list(FINDERS))
def test_finder_is_fast_on_adversarial_text(finder: str) -> None:
    arguments, fn = FINDERS[finder]
    slow = {}
    for name, make in ADVERSARIAL.items():
        args = arguments(make())
        forget_texts()  # the finder's own work, not what the arguments' finders left in the cache
        seconds = cpu_seconds(fn, *args)
        if seconds >= BOUND:
            slow[name] = round(seconds, 2)
    assert not slow, f"{finder} took over {BOUND} CPU seconds on {slow}"


def test_month_year_patterns_find_the_same_months_from_a_letter() -> None:
    # the month-and-year patterns now start only at a letter of their script: the months and
    # ends they find are the ones the patterns without that first test find
    from nodes.text import dates as dates_module

    rng = random.Random(5)
    pieces = ["ינואר", "בינואר", "מרץ", "חודש", " ", "-", "ב", "ה", "עד ", "החל מ", "2026", ", ", "5", "\n",
              "يناير", "في ", "شهر ", "ب", "سنة ", "x", "א"]
    for name, guard in (("_HE_MONTH_YEAR", "(?=[\u05d0-\u05ea])"), ("_AR_MONTH_YEAR", "(?=[\u0620-\u064a])")):
        guarded = getattr(dates_module, name)
        plain = re.compile(guarded.pattern.replace(guard, "", 1), guarded.flags)
        assert plain.pattern != guarded.pattern
        for _ in range(3000):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
            want = [(m.start("m0"), m.end()) for m in plain.finditer(text)]
            assert [(m.start("m0"), m.end()) for m in guarded.finditer(text)] == want, (name, text)


def test_the_normalised_map_is_the_character_by_character_one() -> None:
    # the map is built from runs (multi-character replacements) or with numpy (removals and
    # one-for-one replacements): both give what converting each character in turn gives
    normalize_module = importlib.import_module("nodes.text.normalize")

    def one_by_one(text: str) -> tuple[str, list[int]]:
        out, index = [], []
        for i, ch in enumerate(text):
            rep = ch if ch.isascii() and ch != "`" else normalize_module._convert(ch)
            out.append(rep)
            index.extend([i] * len(rep))
        return "".join(out), index

    rng = random.Random(9)
    pools = [range(0x20, 0x7F), range(0x590, 0x600), range(0x600, 0x700), range(0x2000, 0x2070),
             range(0xFB00, 0xFB50), range(0xFDF0, 0xFE00), [0x200F, 0x200E, 0x202B, 0x202C, 0x660, 0xD800, 0x60]]
    for _ in range(5000):
        text = "".join(chr(rng.choice(rng.choice(pools))) for _ in range(rng.randint(0, 30)))
        norm, index = normalize_module._normalize_map_by_char(text)
        assert (norm, list(index)) == one_by_one(text), repr(text)


# ---------------------------------------------------------------- language


@pytest.mark.parametrize("text", ["a" * 20_000, "a-" * 10_000, "abc." * 5_000, "a.b-" * 5_000, "x@" * 10_000])
def test_links_are_found_without_rescanning_a_long_token(text: str) -> None:
    # the address pattern tried at every letter of a 20 KB token took 1.6-9.6 s before its matches could
    # start only where a token does
    from nodes.text import detect_language

    assert cpu_seconds(detect_language, text) < BOUND


@pytest.mark.parametrize("text", ["בהודעה מוקדמת של 60 יום " * 4000, "with 30 days prior written notice " * 3000])
def test_a_clause_of_thousands_of_notices_is_read_once(text: str) -> None:
    # choosing the notice that ends the contract read the whole clause again for every notice in it: 50 s
    clauses = Clauses(text)
    durations = find_durations(text)
    assert cpu_seconds(find_notice, text, clauses, durations) < BOUND
