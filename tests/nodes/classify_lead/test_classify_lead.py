"""classify-lead over real HTTP: contract shape, behaviour, bad input, and data hygiene."""

from __future__ import annotations

import importlib
import os
import random
import re
import socket
from collections import Counter
from typing import Any

import jsonschema
import numpy as np
import pytest
import requests

from nodes.classify_lead import rules as rules_module
from nodes.classify_lead import training as training_module
from nodes.classify_lead.synth import expand
from nodes.classify_lead.training import EVAL, held_out_rows, load_or_train, read_seeds, shipped_version
from nodes.core.config import load_settings
from nodes.engine import linear as linear_module
from nodes.engine.data import read_jsonl
from nodes.engine.dedup import drop_near_duplicates, jaccard, near_duplicates, trigrams
from nodes.engine.features import _char_wb_ngrams, _char_wb_spans, prepare
from nodes.engine.linear import CategoryModel, train
from nodes.text import normalize
from nodes.text.language import script_counts
from tests.conftest import MODELS_DIR

normalize_module = importlib.import_module("nodes.text.normalize")

URL = "/v1/classify-lead"


def classify(base_url: str, **payload: Any) -> dict[str, Any]:
    resp = requests.post(f"{base_url}{URL}", json=payload, timeout=60)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


@pytest.fixture(scope="module")
def output_schema(base_url: str) -> dict[str, Any]:
    return dict(requests.get(f"{base_url}/v1/nodes/classify-lead/schema", timeout=30).json()["output"])


def test_hebrew_emergency_is_urgent_with_handoff_and_evidence(base_url: str, output_schema: Any) -> None:
    text = "דחוף!!! יש הצפה בדירה, המים יורדים מהתקרה. תשלחו מישהו עכשיו 052-1234567"
    out = classify(base_url, text=text, channel="whatsapp")
    jsonschema.validate(out, output_schema)
    assert out["urgency"] == "high"
    assert out["handoff"]["required"] and "emergency" in out["handoff"]["reasons"]
    assert out["language"] == "he"
    assert out["contact"]["phones"] == ["+972521234567"]
    assert abs(sum(out["scores"].values()) - 1) < 1e-3
    assert out["confidence"] == max(out["scores"].values())
    types = {s["type"] for s in out["signals"]}
    assert {"explicit_urgency", "emergency"} <= types
    for signal in out["signals"]:
        assert text[signal["start"]:signal["end"]] == signal["text"]
    assert out["meta"]["model_version"].startswith("clf-")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("שלום, כמה עולה ביטוח דירה למשפחה עם 3 ילדים בחיפה?", "sales_inquiry"),
        ("אני רוצה לבטל את המנוי שלי לחדר כושר החל מהחודש הבא", "cancellation"),
        ("אפשר לקבל העתק של החשבונית מחודש שעבר? צריך בשביל רואה החשבון", "billing"),
        ("Hi, I'd like to book a cleaning appointment for next Tuesday afternoon", "appointment"),
        ("مرحبا، بدي أعرف شو صار بطلب التعويض تبعي، قدمته قبل أسبوعين", "support"),
        ("מזל טוב! זכית באייפון 17, לחץ על הקישור כדי לקבל את הפרס bit.ly/xyz", "spam"),
    ],
)
def test_typical_messages_get_their_category(base_url: str, text: str, category: str) -> None:
    assert classify(base_url, text=text)["category"] == category


def test_human_request_and_threats_are_handed_off(base_url: str) -> None:
    angry = "נמאס לי מהבוט הזה, אני רוצה לדבר עם נציג אנושי. ואם לא יחזירו לי את הכסף אני אתבע אתכם"
    out = classify(base_url, text=angry)
    assert out["handoff"]["required"]
    assert {"human_request", "legal_threat"} <= set(out["handoff"]["reasons"])
    calm = classify(base_url, text="שלום, אני מחפש עורך דין שיעזור לי לתבוע את בעל הדירה שלי על הפיקדון")
    assert "legal_threat" not in calm["handoff"]["reasons"]


def test_not_urgent_is_not_high(base_url: str) -> None:
    out = classify(base_url, text="לא דחוף בכלל, מתי שנוח לכם תשלחו לי הצעת מחיר לשיפוץ מטבח")
    assert out["urgency"] != "high"


def test_prospect_gets_temperature_others_do_not(base_url: str) -> None:
    hot = classify(base_url,
                   text="שלום, אני מחפש צלם לחתונה באוגוסט, כמה עולה חבילה מלאה? התקציב בערך 12 אלף. 0541112233",
                   sender={"name": "אורי לוי"})
    assert hot["category"] == "sales_inquiry"
    assert hot["lead"]["temperature"] in {"hot", "warm"} and hot["lead"]["score"] >= 60
    assert hot["contact"]["name"] == "אורי לוי"
    spam = classify(base_url, text="Boost your Google ranking! We offer SEO packages from $99/month, reply YES")
    assert spam["lead"] == {"temperature": None, "score": 0}


def test_contact_details_from_sender_and_text(base_url: str) -> None:
    out = classify(base_url, text="שמי דנה כהן, אפשר לחזור אליי למייל Dana.Cohen@Example.co.il או 03-6123456",
                   sender={"phone": "+972 52-765-4321", "email": "dana@example.com"})
    assert out["contact"]["phones"] == ["+972527654321", "+97236123456"]
    assert out["contact"]["emails"] == ["dana@example.com", "dana.cohen@example.co.il"]
    assert out["contact"]["name"] == "דנה כהן"


def test_language_can_be_forced_and_is_detected(base_url: str) -> None:
    assert classify(base_url, text="Hello I need a quote")["language"] == "en"
    assert classify(base_url, text="مرحبا بدي موعد")["language"] == "ar"
    assert classify(base_url, text="Hello I need a quote", language="he")["language"] == "he"


def test_per_request_categories(base_url: str) -> None:
    categories = [
        {"name": "car_insurance", "description": "ביטוח רכב, מקיף, צד ג", "examples": ["כמה עולה ביטוח מקיף לרכב",
                                                                                      "צריך ביטוח צד ג לאופנוע"]},
        {"name": "home_insurance", "description": "ביטוח דירה, מבנה ותכולה",
         "examples": ["ביטוח תכולה לדירה שכורה", "ביטוח מבנה למשכנתא"]},
        {"name": "health", "description": "ביטוח בריאות", "examples": ["ביטוח בריאות משלים לילדים"]},
    ]
    out = classify(base_url, text="שלום, קניתי רכב חדש וצריך הצעה לביטוח מקיף", categories=categories)
    assert out["category"] == "car_insurance"
    assert set(out["scores"]) == {"car_insurance", "home_insurance", "health"}
    assert out["meta"]["model"] == "tfidf-e5-similarity-fewshot"  # by words and by meaning
    assert "+e5-small-q4@" in out["meta"]["model_version"]


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n\t "}, "text"),
        ({"text": "א" * 10_001}, "text"),
        ({"text": "hi", "channel": "telegram"}, "channel"),
        ({"text": "hi", "categories": [{"name": "a"}]}, "categories"),
        ({"text": "hi", "categories": [{"name": "a"}, {"name": "A"}]}, "categories"),
        ({"text": "hi", "categories": [{"name": "a", "colour": "x"}, {"name": "b"}]}, "categories.0.colour"),
        ({"text": "hi", "sender": {"name": "x", "age": 3}}, "sender.age"),
        ({"text": "hi", "language": "fr"}, "language"),
        ({"text": ["hi"]}, "text"),
        ({"message": "hi"}, "text"),
    ],
)
def test_bad_input_is_422_naming_the_field(base_url: str, payload: Any, loc: str) -> None:
    resp = requests.post(f"{base_url}{URL}", json=payload, timeout=30)
    assert resp.status_code == 422
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert loc in [e["loc"] for e in resp.json()["errors"]]


def test_batch(base_url: str) -> None:
    resp = requests.post(f"{base_url}{URL}/batch", json={"items": [{"text": "מה המחיר?"}, {"text": ""}]}, timeout=60)
    results = resp.json()["results"]
    assert results[0]["ok"] and not results[1]["ok"]


# --- the model and the data -----------------------------------------------------------

#: inputs the fast path must handle exactly like scikit-learn
ODD_TEXTS = [
    "", "   ", "!!!", "🙏🙏🙏", "😀", "מ", "ok",
    "مرحبا، بدي أحكي مع المدير بخصوص الفاتورة تبعت الشهر الماضي",
    "Hi שלום مرحبا 123 ok? iPhone 15 ב-3,500 ₪",
    "ש״ח ₪ ﷼ ﬁle ＡＢＣ１２３ ①②",
    "x\u200fy\u00a0z\u2003w\tq\n\nr   s",
    "İSTANBUL ſtop Kelvin ı ΑΣ straße",
    "\ud800 lone surrogate",
    "aaaaaaaaaa!!!!!!????? דחוףףףףף",
    "a" * 3000,
    ("שלום, אני רוצה לקבוע תור למחר בבוקר 😀 " * 300)[:10_000],
]


@pytest.fixture(scope="module")
def shipped() -> CategoryModel:
    """The shipped model (from the tests' shared model cache, trained there when not yet)."""
    return load_or_train(MODELS_DIR)


def test_fast_prediction_matches_scikit_learn(shipped: CategoryModel) -> None:
    texts = [r["text"] for r in read_jsonl(EVAL)] + ODD_TEXTS
    fast = shipped.predict_many(texts)
    slow = shipped.pipeline.predict_proba([prepare(t) for t in texts])
    assert fast.shape == slow.shape == (len(texts), len(shipped.labels))
    assert np.abs(fast - slow).max() < 1e-9
    one = shipped.predict(texts[0])
    assert list(one) == shipped.labels and abs(sum(one.values()) - 1) < 1e-9


def test_fast_features_match_the_vectorizers(shipped: CategoryModel) -> None:
    texts = [r["text"] for r in read_jsonl(EVAL)][:80] + ODD_TEXTS
    fast = shipped.features(texts)
    slow = shipped.pipeline.named_steps["features"].transform([prepare(t) for t in texts])
    assert fast.shape == slow.shape
    assert abs(fast - slow).max() < 1e-12
    assert (fast != 0).sum() == (slow != 0).sum()


def test_char_ngrams_are_the_analyzers_and_packed_lookup_is_exact(shipped: CategoryModel) -> None:
    features = shipped._features
    assert features is not None
    chars = features.parts[0]
    assert chars.char and chars.packed is not None
    vec = shipped.pipeline.named_steps["features"].transformer_list[0][1]
    analyzer = vec.build_analyzer()
    for text in [r["text"] for r in read_jsonl(EVAL)] + ODD_TEXTS:
        doc = prepare(text)
        expected = Counter(analyzer(doc))
        assert Counter(_char_wb_ngrams(doc.lower(), 2, 5)) == expected
        spans = Counter(g for g in _char_wb_spans(doc.lower(), 2, 5) if " " not in g[1:-1])
        assert spans == expected
        reference = [part.counts_by_dict(doc) for part in features.parts]
        for part, (ref_rows, ref_counts) in zip(features.parts, reference, strict=True):
            rows, counts = part.counts(doc)
            assert dict(zip(rows.tolist(), counts.tolist(), strict=True)) == \
                dict(zip(ref_rows.tolist(), ref_counts.tolist(), strict=True))
        # the binary search the hash table stands in for finds the same rows
        buckets, chars.packed.buckets = chars.packed.buckets, None
        try:
            rows, counts = chars.counts(doc)
        finally:
            chars.packed.buckets = buckets
        assert rows.tolist() == sorted(reference[0][0].tolist())


def test_prepare_folds_digits_floods_and_whitespace() -> None:
    assert prepare("  שלום!!!!   111 ٣٣٣\n\n\nok  ") == "שלום!! 00 00 ok"
    assert prepare("ABC\u200f  דחוףףףף") == "abc דחוףף"


def test_old_style_models_fall_back_to_scikit_learn() -> None:
    """A model whose vectorizers the fast path does not support (float32) still predicts, via transform."""
    model = train(read_seeds()[:200])
    model.pipeline.named_steps["features"].transformer_list[1][1].set_params(dtype=np.float32)
    again = CategoryModel(model.pipeline, model.version, model.labels)
    assert again._features is None
    texts = ["אני רוצה לבטל את המנוי", "כמה עולה?"]
    assert np.abs(again.predict_many(texts) - again.pipeline.predict_proba([prepare(t) for t in texts])).max() < 1e-9


def test_model_version_changes_with_the_featurizer(monkeypatch: Any) -> None:
    # the featurizer's key follows its code version and the pipeline's settings (and the constant
    # the version is computed from must equal it: test_the_featurizer_key_constant_is_the_computed_one)
    key = linear_module.featurizer_key()
    monkeypatch.setattr(linear_module, "FEATURIZER_VERSION", "changed")
    assert linear_module.featurizer_key() != key
    monkeypatch.undo()
    original = linear_module._pipeline

    def other_ngrams() -> Any:
        pipeline = original()
        pipeline.set_params(features__chars__ngram_range=(2, 4))
        return pipeline

    monkeypatch.setattr(linear_module, "_pipeline", other_ngrams)
    assert linear_module.featurizer_key() != key
    monkeypatch.undo()
    before = shipped_version()
    assert shipped_version() == before
    monkeypatch.setattr(training_module, "FEATURIZER_KEY", "other")
    assert shipped_version() != before


# --- the rules and the text helpers, fast paths against their plain definitions --------

def test_rules_find_exactly_what_their_whole_patterns_find() -> None:
    """Scanning only the parts that can match (by script and required strings) changes nothing."""
    rng = random.Random(11)
    texts = [r["text"] for r in read_seeds()] + [r["text"] for r in read_jsonl(EVAL)]
    for k in range(1500):
        picked = rng.sample(texts, rng.randint(1, 4))
        text = " ".join(t[rng.randint(0, len(t) // 2):] for t in picked)
        if k % 4 == 0:
            text = text.upper()
        norm = normalize(text)
        probe = rules_module.Probe.of(norm)
        live = rules_module._RULE_SET.live(probe)
        for rule, parts in zip(rules_module.ALL_RULES, live, strict=True):
            expected = [m.span() for m in rule.pattern.finditer(norm)]
            assert rules_module.merged_spans(parts, norm) == expected, (rule.kind, text)
            assert rule.spans(probe) == expected, (rule.kind, text)


def test_rule_parts_are_tagged_with_their_script() -> None:
    tags = {(rule.kind, script) for rule in rules_module.ALL_RULES for script, _, _, _ in rule.parts}
    assert {("emergency", "he"), ("emergency", "ar"), ("emergency", "en"), ("anger", None)} <= tags
    # IGNORECASE matches these non-ASCII characters to ASCII letters; fold() must map them there
    latin = re.compile("[a-z]", re.IGNORECASE)
    extra = [chr(c) for c in range(0x80, 0x110000) if latin.match(chr(c))]
    assert all(rules_module.fold(ch).isascii() and rules_module.fold(ch).isalpha() for ch in extra), extra


def test_normalize_quick_test_agrees_with_the_character_by_character_map() -> None:
    rng = random.Random(3)
    pools = [range(0x20, 0x7F), range(0x590, 0x600), range(0x600, 0x700), range(0x2000, 0x2070),
             range(0xFB00, 0xFB50), range(0xFE70, 0xFF00), range(0xFF00, 0xFFEF), range(0x300, 0x370),
             range(0xC0, 0x250), [0x1F64F, 0x1F600, 0x5F3, 0x5F4, 0x200F, 0xD800]]
    for _ in range(20_000):
        text = "".join(chr(rng.choice(rng.choice(pools))) for _ in range(rng.randint(0, 12)))
        assert normalize_module._normalize_map(text) == normalize_module._normalize_map_by_char(text), repr(text)


def test_script_counts_count_letters() -> None:
    he, ar, en = (re.compile(r"[\u05d0-\u05ea\u05f0-\u05f2]"), re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]"),
                  re.compile(r"[A-Za-z\u00c0-\u024f]"))
    rng = random.Random(5)
    for _ in range(5000):
        points = [0x5D0, 0x5E9, 0x5F1, 0x627, 0x645, 0x6FA, 0x41, 0x7A, 0xE9, 0x20, 0x31, 0x1F600]
        text = "".join(chr(rng.choice(points)) for _ in range(rng.randint(0, 20)))
        assert script_counts(text) == {"he": len(he.findall(text)), "ar": len(ar.findall(text)),
                                       "en": len(en.findall(text))}


def test_saved_model_round_trips(tmp_path: Any) -> None:
    model = train(read_seeds())
    model.save(tmp_path / "m.joblib")
    again = CategoryModel.load(tmp_path / "m.joblib")
    assert again.version == model.version
    assert again.predict("אני רוצה לבטל את הפוליסה") == model.predict("אני רוצה לבטל את הפוליסה")


def test_training_data_has_enough_seeds_per_category() -> None:
    seeds = read_seeds()
    for category in ("complaint", "cancellation", "billing", "appointment", "support", "sales_inquiry", "spam",
                     "other"):
        assert sum(r["category"] == category for r in seeds) >= 40, category


def test_eval_set_covers_languages_and_categories() -> None:
    rows = read_jsonl(EVAL)
    langs = [r["lang"] for r in rows]
    assert len(rows) >= 120 and langs.count("he") >= 80 and langs.count("ar") >= 15 and langs.count("en") >= 15
    assert len({r["category"] for r in rows}) == 8


def test_no_seed_is_a_near_duplicate_of_an_eval_item() -> None:
    # every held-out file: the shipped eval set, the failure families, the businesses' label sets
    held, seeds = held_out_rows(), read_seeds()
    assert len(held) > len(read_jsonl(EVAL))
    pairs = near_duplicates(seeds, held)
    assert not pairs, [(seeds[s]["text"], held[h]["text"]) for s, h in pairs[:5]]
    # the index finds what comparing every pair finds: checked on a slice
    brute = [(s, h) for s in range(20) for h in range(len(held))
             if jaccard(trigrams(seeds[s]["text"]), trigrams(held[h]["text"])) >= 0.8]
    assert near_duplicates(seeds[:20], held) == brute == []
    close = [{"text": held[0]["text"] + "!"}]
    assert near_duplicates(close, held)[:1] == [(0, 0)]


def test_near_duplicates_of_eval_are_dropped_from_training() -> None:
    held = [{"text": "אני רוצה לבטל את המנוי שלי בבקשה", "category": "cancellation"}]
    train_rows = [{"text": "אני רוצה לבטל את המנוי שלי בבקשה!!", "category": "cancellation"},
                  {"text": "כמה עולה מנוי שנתי?", "category": "sales_inquiry"}]
    kept = drop_near_duplicates(train_rows, held)
    assert [r["text"] for r in kept] == ["כמה עולה מנוי שנתי?"]


def test_synthetic_pipeline_is_reproducible_and_keeps_labels() -> None:
    seeds = read_seeds()[:30]
    a, b = expand(seeds, seed=5), expand(seeds, seed=5)
    assert a == b and a != expand(seeds, seed=6)
    assert all(r["synthetic"] and r["category"] == seeds[r["seed_index"]]["category"] for r in a)
    assert all(r["text"] != seeds[r["seed_index"]]["text"] for r in a)


def test_quality_gate_on_the_shipped_eval_set(tmp_path: Any) -> None:
    """The CLI gate CI relies on: exits 0 above the bar and 1 below it."""
    import subprocess
    import sys

    cli = [sys.executable, "-m", "nodes.cli", "eval", "classify-lead", "--json"]
    # its data dir is ./var; the gate is on the trained model: custom labels by words alone keep it quick
    env = {**os.environ, "TZOMET_EMBEDDER": "off"}
    run = {"capture_output": True, "text": True, "timeout": 600, "cwd": tmp_path, "env": env}
    ok = subprocess.run([*cli, "--min-macro-f1", "0.83", "--min", "handoff_recall=0.85"], **run)
    assert ok.returncode == 0, ok.stderr
    import json

    report = json.loads(ok.stdout)
    assert report["macro_f1"] >= 0.83 and report["n"] >= 120
    # below the bar: exit 1 (on three gold items, where one wrong answer is a third of the score)
    gold = tmp_path / "three.jsonl"
    gold.write_text("".join(json.dumps({"text": t, "category": c}, ensure_ascii=False) + "\n" for t, c in [
        ("אני רוצה לבטל את המנוי שלי", "cancellation"), ("כמה עולה התקנה של מזגן?", "sales_inquiry"),
        ("hello", "cancellation")]), encoding="utf-8")
    failing = subprocess.run([*cli, "--data", str(gold), "--min-macro-f1", "0.999"], **run)
    assert failing.returncode == 1 and "quality gate failed" in failing.stderr, failing.stderr


def test_merging_alternatives_by_first_letter_keeps_every_match() -> None:
    alternatives = ["שלום", "שמש", "ש", "(?:ה)?עור", "שקר", "ש?א", "abc", "abd", "עו+ף", "עוגה", "מ", "מה\\s+קורה"]
    merged = rules_module.by_first_letter(alternatives)
    # a one-letter alternative, a group, a quantified first letter or ASCII letters are kept as they are
    assert merged == ["ש(?:לום|מש)", "ש", "(?:ה)?עור", "שקר", "ש?א", "abc", "abd", "ע(?:ו+ף|וגה)", "מ",
                      "מה\\s+קורה"]
    plain = re.compile(rules_module._B + "(?:" + "|".join(alternatives) + ")")
    grouped = re.compile(rules_module._B + "(?:" + "|".join(merged) + ")")
    rnd = random.Random(11)
    pool = list("שלוםמקרעהוגףאabcd \n ")
    for _ in range(3000):
        text = "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 25)))
        assert [m.span() for m in plain.finditer(text)] == [m.span() for m in grouped.finditer(text)], text
    # the 3-gram prefilter still sees each alternative's own first letters
    assert "שלום" in rules_module.required_literals(rules_module._words("שלום", "שמש"), re.IGNORECASE)


def test_merged_english_word_lists_find_what_the_written_ones_find() -> None:
    """Every rule part rewritten by merge_word_list matches exactly where the part as written matches."""
    changed = []
    for rule in rules_module.ALL_RULES:
        for part in rules_module.split_alternatives(rule.pattern.pattern):
            merged = rules_module.merge_word_list(part, rule.pattern.flags)
            if merged != part:
                changed.append((re.compile(part, rule.pattern.flags), re.compile(merged, rule.pattern.flags)))
    assert len(changed) >= 8
    corpus = [r["text"] for r in read_jsonl(EVAL)] + [r["text"] for r in read_seeds()]
    words = " ".join(corpus).split()
    rnd = random.Random(17)
    texts = corpus + [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 12))) for _ in range(3000)]
    texts += [t.upper() for t in texts[:500]] + ["I'll SUE you, this is a RIP-OFF and a Scam!!", "ASAP pls, EOD"]
    for written, merged in changed:
        for text in texts:
            assert [m.span() for m in written.finditer(text)] == [m.span() for m in merged.finditer(text)], text
    # a group that closes before the end is not one word list
    assert rules_module.merge_word_list(r"\b(?:ab|ac)\s+(?:x|y)\b", re.IGNORECASE) == r"\b(?:ab|ac)\s+(?:x|y)\b"
    assert rules_module.merge_word_list(r"\b(?:ab|ac)\b", 0) == r"\b(?:ab|ac)\b"
    assert rules_module.merge_word_list(r"\b(?:ab|Ac|x)\b", re.IGNORECASE) == r"\b(?:a(?:b|c)|x)\b"


def test_ready_with_a_model_configured_for_everyone(tmp_path: Any) -> None:
    """A global model_path: the node loads that model, and /readyz counts it as loaded; the shipped
    model is loaded too, for the risk detector, which reads messages through its features."""
    import dataclasses

    from nodes.classify_lead.node import ClassifyLeadNode
    from nodes.core.config import load_settings

    path = tmp_path / "mine.joblib"
    mine = train(read_seeds()[:200])
    mine.save(path)
    settings = dataclasses.replace(load_settings(env={}), data_dir=tmp_path,
                                   options={"classify-lead": {"model_path": str(path)}})
    node = ClassifyLeadNode()
    assert node.ready(settings) == (False, "model not loaded")
    node.load(settings)
    assert node.ready(settings) == (True, "")
    assert list(node._models) == [str(path), "shipped"]
    assert node._model_for(settings).version == mine.version
    assert node._risk_model(settings).features_of == node._models["shipped"].version


def test_custom_labels_answer_by_words_when_the_embedder_is_down(serve: Any) -> None:
    # a remote embedder that refuses connections: the lexical view answers, and meta says so
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
        url = serve(embedder="remote", embedder_url=dead, embedder_timeout_s=0.5)
        categories = [{"name": "car", "examples": ["ביטוח מקיף לרכב", "צד ג לרכב"]},
                      {"name": "home", "examples": ["ביטוח דירה", "ביטוח תכולה"]}]
        out = classify(url, text="צריך הצעה לביטוח מקיף לרכב חדש", categories=categories)
    assert out["category"] == "car" and out["meta"]["model"] == "tfidf-similarity-fewshot"
    assert "+" not in out["meta"]["model_version"]


def test_embeddings_can_be_switched_off(serve: Any) -> None:
    url = serve(embedder="off")
    out = classify(url, text="צריך הצעה לביטוח מקיף לרכב חדש", categories=[
        {"name": "car", "examples": ["ביטוח מקיף לרכב"]}, {"name": "home", "examples": ["ביטוח דירה"]}])
    assert out["category"] == "car" and out["meta"]["model"] == "tfidf-similarity-fewshot"


def test_a_tenants_default_label_set_is_ready_before_its_first_message() -> None:
    from nodes.classify_lead.node import ClassifyLeadNode
    from nodes.engine import fewshot

    categories = [{"name": "quote", "description": "price quote", "examples": ["כמה עולה ביטוח דירה"]},
                  {"name": "claim", "description": "open a claim", "examples": ["היתה לי תאונה, איך פותחים תביעה"]}]
    settings = load_settings(env={}, models_dir=MODELS_DIR, options={"classify-lead": {"categories": categories}})
    fewshot.forget_label_sets()
    node = ClassifyLeadNode()
    node.load(settings)
    assert len(fewshot._sides._sides) == 1  # featurised and embedded at load, keyed with the embedder
    side = next(iter(fewshot._sides._sides.values()))
    assert side.names == ("quote", "claim") and side.coef is not None


def test_the_featurizer_key_constant_is_the_computed_one() -> None:
    # the shipped model's version is computed at every start from the constant: it must follow the
    # pipeline's settings (computing it imports scikit-learn)
    assert linear_module.featurizer_key() == linear_module.FEATURIZER_KEY


def test_a_loaded_model_predicts_without_importing_scikit_learn(shipped: CategoryModel) -> None:
    import subprocess
    import sys

    code = ("import sys; from pathlib import Path; from nodes.classify_lead.training import load_or_train; "
            f"m = load_or_train(Path({str(MODELS_DIR)!r})); p = m.predict('אני רוצה לבטל את המנוי'); "
            "f = m.features(['שלום']); "
            "print(max(p, key=p.get), f.shape[0], any(n.split('.')[0] == 'sklearn' for n in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True).stdout
    assert out.split() == ["cancellation", "1", "False"], out
    assert shipped.pipeline is not None  # and the pipeline is still there when asked for


def test_a_tenant_that_requires_embeddings_gets_503_when_they_are_down(serve: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
        url = serve(embedder="remote", embedder_url=dead, embedder_timeout_s=0.5,
                    options={"classify-lead": {"require_embeddings": True}})
        r = requests.post(f"{url}{URL}", timeout=60, json={"text": "צריך ביטוח לרכב", "categories": [
            {"name": "car", "examples": ["ביטוח רכב"]}, {"name": "home", "examples": ["ביטוח דירה"]}]})
    assert r.status_code == 503 and r.headers["Content-Type"].startswith("application/problem+json")
    assert r.headers.get("Retry-After") == "30" and "require_embeddings" in r.json()["detail"]
    assert "sk-" not in r.text and dead not in r.text  # nothing about the backend's address or key
    plain = requests.post(f"{url}{URL}", json={"text": "צריך ביטוח לרכב"}, timeout=60)
    assert plain.status_code == 200  # the default labels need no embeddings



@pytest.mark.parametrize(("text", "threat"), [
    ("נשאיר לכם ביקורת בגוגל בשמחה. והמלצר עם הזקן היה תותח", False),
    ("I'll leave you a 5-star review for sure!", False),
    ("אם לא תחזירו את הכסף אכתוב ביקורת בגוגל", True),
    ("תודה! אכתוב לכם ביקורת מעולה. אבל אם זה יקרה שוב אפרסם בפייסבוק", True),
    ("I'm leaving a 1 star review", True),
])
def test_a_review_promised_kindly_is_no_threat(text: str, threat: bool) -> None:
    from nodes.classify_lead.rules import apply_rules

    assert apply_rules(text).has("public_review_threat") is threat
