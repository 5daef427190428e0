"""classify-lead over real HTTP: contract shape, behaviour, bad input, and data hygiene."""

from __future__ import annotations

from typing import Any

import jsonschema
import numpy as np
import pytest
import requests

from nodes.classify_lead.model import (
    EVAL,
    CategoryModel,
    drop_near_duplicates,
    jaccard,
    prepare,
    read_jsonl,
    read_seeds,
    train,
    trigrams,
)
from nodes.classify_lead.synth import expand

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
    assert out["meta"]["model"] == "tfidf-similarity-fewshot"


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

def test_fast_prediction_matches_scikit_learn() -> None:
    rows = read_seeds()
    model = train(rows)
    texts = [r["text"] for r in read_jsonl(EVAL)[:40]] + ["", "!!!", "a" * 3000]
    fast = model.predict_many(texts)
    slow = model.pipeline.predict_proba([prepare(t) for t in texts])
    assert np.allclose(fast, slow, atol=1e-9)


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
    eval_grams = [(r["text"], trigrams(r["text"])) for r in read_jsonl(EVAL)]
    for seed in read_seeds():
        grams = trigrams(seed["text"])
        for text, other in eval_grams:
            assert jaccard(grams, other) < 0.8, f"seed {seed['text']!r} near-duplicates eval {text!r}"


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


def test_quality_gate_on_the_shipped_eval_set() -> None:
    """The CLI gate CI relies on: exits 0 above the bar and 1 below it."""
    import subprocess
    import sys

    cli = [sys.executable, "-m", "nodes.cli", "eval", "classify-lead", "--json"]
    ok = subprocess.run([*cli, "--min-macro-f1", "0.83", "--min", "handoff_recall=0.85"], capture_output=True,
                        text=True, timeout=600)
    assert ok.returncode == 0, ok.stderr
    import json

    report = json.loads(ok.stdout)
    assert report["macro_f1"] >= 0.83 and report["n"] >= 120
    failing = subprocess.run([*cli, "--min-macro-f1", "0.999"], capture_output=True, text=True, timeout=600)
    assert failing.returncode == 1 and "quality gate failed" in failing.stderr
