"""The risk detector: harm, danger, legal deadlines, being misled and demands for a person,
found without the rules' words, over real HTTP; and its data kept apart from every eval set."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import requests

from nodes.classify_lead import risk
from nodes.classify_lead.training import held_out_rows
from nodes.core.config import hash_key
from nodes.engine.data import read_jsonl
from nodes.engine.dedup import near_duplicates

URL = "/v1/classify-lead"


def classify(base_url: str, **payload: Any) -> dict[str, Any]:
    resp = requests.post(f"{base_url}{URL}", json=payload, timeout=60)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


@pytest.mark.parametrize(
    ("text", "family", "reason", "urgent"),
    [
        ("עשיתי אצלכם טיפול פנים אתמול והיום כל הלחי שלי אדומה ונפוחה ושורפת, מה עושים?", "harm", "emergency", True),
        ("Hi, the new heater you installed is making a burning smell and the wall socket is black. Kids are home.",
         "danger", "emergency", True),
        ("הסוכן שלכם אמר לי שהפוליסה מכסה נזקי מים ועכשיו אתם דוחים את התביעה", "misled", "misled", None),
        ("بدي احكي مع حدا من الموظفين مش مع الرد الآلي", "person", "human_request", None),
    ],
)
def test_a_risk_without_the_rules_words_hands_off_with_its_sentence(
        base_url: str, text: str, family: str, reason: str, urgent: bool | None) -> None:
    out = classify(base_url, text=text)
    assert out["handoff"]["required"] and reason in out["handoff"]["reasons"], out["handoff"]
    signal = next(s for s in out["signals"] if s["type"] == f"risk_{family}")
    assert text[signal["start"]:signal["end"]] == signal["text"] and len(signal["text"]) > 10
    if urgent is not None:  # harm and danger are urgent; the other families leave urgency to the rules
        assert (out["urgency"] == "high") is urgent


def test_the_evidence_is_the_sentence_that_shows_the_risk(base_url: str) -> None:
    text = "שלום, יש לי שאלה על החשבונית. בנוסף, אחרי הטיפול אתמול יש לי פריחה ונפיחות בכל הפנים והעין נסגרת"
    out = classify(base_url, text=text)
    signal = next(s for s in out["signals"] if s["type"] == "risk_harm")
    assert signal["start"] > text.index("בנוסף") - 1 and "פריחה" in signal["text"]


@pytest.mark.parametrize("text", [
    "כמה עולה ביטוח דירה לדירת 4 חדרים?",
    "אפשר להזיז את התור למחר בעשר?",
    "Thanks, the treatment went great, see you next month",
    "مرحبا، قديش سعر تنظيف الأسنان؟",
])
def test_routine_messages_raise_no_risk(base_url: str, text: str) -> None:
    out = classify(base_url, text=text)
    assert not [s for s in out["signals"] if s["type"].startswith("risk_")], out["signals"]
    assert not out["handoff"]["required"], out["handoff"]


@pytest.mark.parametrize("text", [
    "קיבלתי הזמנה להתייצב לדיון בבית הדין לעבודה ב-4 במאי, אין לי מושג מה להביא",
    "The letter says I have 14 days to file an objection to the assessment, can your office handle it?",
    "جاني استدعاء للمحكمة يوم الخميس بخصوص شيك راجع، شو بعمل؟",
])
def test_a_legal_matter_with_a_date_is_urgent_and_goes_to_a_person(base_url: str, text: str) -> None:
    out = classify(base_url, text=text)
    assert out["urgency"] == "high" and "legal_threat" in out["handoff"]["reasons"], out
    signal = next(s for s in out["signals"] if s["type"] == "legal_deadline")
    assert text[signal["start"]:signal["end"]] == signal["text"]


@pytest.mark.parametrize("text", [
    "If the refund isn't here by Friday you'll be hearing from me again",
    "שאלה כללית: כמה עולה ייצוג בבית משפט לתעבורה?",
    "ممكن موعد يوم الخميس لتنظيف الاسنان؟",
])
def test_no_legal_deadline_without_both_a_legal_matter_and_a_date(base_url: str, text: str) -> None:
    out = classify(base_url, text=text)
    assert not [s for s in out["signals"] if s["type"] == "legal_deadline"], out["signals"]


def test_a_tenant_can_switch_the_detector_off(serve: Any, tmp_path: Any) -> None:
    config = tmp_path / "tenants.toml"
    config.write_text(f'[[tenants]]\nname = "loud"\nkeys = ["{hash_key("k-loud")}"]\n'
                      f'[[tenants]]\nname = "quiet"\nkeys = ["{hash_key("k-quiet")}"]\n'
                      '[tenants.options.classify-lead]\nrisk_detector = false\n', encoding="utf-8")
    url = serve(env={"TZOMET_CONFIG": str(config)})
    text = "עשיתי אצלכם טיפול פנים אתמול והיום כל הלחי שלי אדומה ונפוחה ושורפת, מה עושים?"

    def risks(key: str) -> list[str]:
        out = requests.post(f"{url}{URL}", json={"text": text}, headers={"X-API-Key": key}, timeout=60).json()
        return [s["type"] for s in out["signals"] if s["type"].startswith("risk_")]

    assert risks("k-loud") == ["risk_harm"] and risks("k-quiet") == []


def test_exemplars_cover_every_family_in_three_languages_and_stay_apart_from_eval_sets() -> None:
    rows = list(read_jsonl(risk.EXEMPLARS))
    counts = Counter((r["family"], r["lang"]) for r in rows)
    for family in [*risk.REASONS, "routine"]:
        assert all(counts[(family, lang)] >= 7 for lang in ("he", "ar", "en")), family
    assert len({r["text"] for r in rows}) == len(rows)
    held = held_out_rows()
    pairs = near_duplicates(rows, held)
    assert not pairs, [(rows[a]["text"], held[b]["text"]) for a, b in pairs[:3]]
    # and training drops any near-copy of a held-out text that gets in later
    assert len(risk.training_rows()) > len(rows)


def test_the_detector_reads_messages_through_the_shipped_models_features() -> None:
    """Its classifier is its own, its features the shipped model's: the same featurizer object once loaded,
    a message both read featurized once, and its probabilities those of its scikit-learn pipeline."""
    from nodes.classify_lead.training import load_or_train
    from nodes.engine import features
    from nodes.engine.features import prepare
    from tests.conftest import MODELS_DIR

    shipped = load_or_train(MODELS_DIR)
    detector = risk.load_or_train(MODELS_DIR, shipped)
    assert detector.features_of == shipped.version and detector._features is shipped._features

    text = "שלום, החימום שהתקנתם אתמול מעלה ריח של שריפה והשקע השחיר"
    calls = []
    original = features.FastFeatures._row
    features.FastFeatures._row = lambda self, doc: calls.append(doc) or original(self, doc)  # type: ignore[method-assign]
    try:
        shipped.predict(text)
        scores = detector.predict(text)
    finally:
        features.FastFeatures._row = original  # type: ignore[method-assign]
    assert calls == [prepare(text)]
    expected = detector.pipeline.predict_proba([prepare(text)])[0]
    assert scores == pytest.approx(dict(zip(detector.labels, expected, strict=True)), abs=1e-9)
    assert max(scores, key=scores.__getitem__) == "danger"


def test_a_detector_trained_on_other_features_is_not_loaded_over_them(tmp_path: Any) -> None:
    """A cached detector whose features are another model's is trained again, not served with the wrong ones."""
    from nodes.classify_lead.training import cached_model, read_seeds
    from nodes.engine.linear import train

    first, second = train(read_seeds()[:120]), train(read_seeds()[120:240])
    rows = risk.training_rows()[:300]
    cached = cached_model(tmp_path, "risk-x", lambda: rows, first)
    assert cached.features_of == first.version
    again = cached_model(tmp_path, "risk-x", lambda: rows, second)  # same file name, other features
    assert again.features_of == second.version and again._features is second._features


LONG_EMAIL = (
    "Hi, I wanted to ask about the descaling schedule for the machine and which tablets you recommend, and whether "
    "the warranty covers the grinder too. We also want to order two more bags of the Ethiopian beans and a milk "
    "jug, can you send an invoice to the office email? And please update our delivery address to the new branch "
    "on Herzl street, the old one closes next month. Our accountant asked for the receipts of January and "
    "February as one PDF, if possible. The new barista starts on Sunday and would love a short training session "
    "on the machine, is Tuesday morning possible? There is a strong smell of gas in the kitchen since your "
    "technician installed the stove. Anyway, what time are you open on Friday, and do you have parking near the shop?"
)


def test_in_a_long_text_one_sentence_that_shows_a_risk_is_not_drowned(base_url: str) -> None:
    """An email's or a chat's sentence that says danger plainly fires the detector, however much of the rest
    is routine: the whole text alone reads 0.52 danger, under the threshold; the sentence reads 0.99."""
    assert len(LONG_EMAIL) >= risk.LONG_TEXT
    out = classify(base_url, text=LONG_EMAIL)
    signal = next(s for s in out["signals"] if s["type"] == "risk_danger")
    assert "smell of gas" in signal["text"] and "emergency" in out["handoff"]["reasons"]


@pytest.mark.parametrize(("text", "reason"), [
    ("אם זה לא מסודר עד מחר אני מעלה את התמונות לגוגל ולקבוצת הפייסבוק של השכונה", "public_review_threat"),
    ("אם לא אקבל מענה אפנה למשרד הבריאות", "legal_threat"),
    ("If this isn't fixed I will complain to the Ministry of Health", "legal_threat"),
])
def test_threats_in_more_of_the_ways_people_write_them(base_url: str, text: str, reason: str) -> None:
    assert reason in classify(base_url, text=text)["handoff"]["reasons"]


@pytest.mark.parametrize("text", [
    "I need the diploma translated and notarized, it's for the Ministry of Health licensing",
    "רציתי לשאול מה קורה עם התביעה על התאונה מה-18 לחודש שעבר, הרכב עדיין במוסך",
])
def test_a_regulator_named_or_an_accident_long_past_is_no_handoff(base_url: str, text: str) -> None:
    out = classify(base_url, text=text)
    assert not {"legal_threat", "emergency"} & set(out["handoff"]["reasons"]), out["handoff"]


@pytest.mark.parametrize(("text", "threat"), [
    ('my landlord said "if you poison the cat I\'ll sue you" haha he\'s joking, is the spray safe?', False),
    ('השכן אמר "אני אתבע אותם" אבל אנחנו ממש מרוצים מכם', False),
    ('جارتي قالت "رح اشتكي عليهم" بس احنا مبسوطين منكم', False),
    ('my mom was like "I\'ll post it on Facebook" lol', False),
    ('אם לא תחזירו את הכסף אני אתבע אתכם', True),
    ('my lawyer said "you have a case" and I will sue you', True),
])
def test_a_threat_someone_else_made_quoted_is_not_the_customers(text: str, threat: bool) -> None:
    """The rules' legal and public-review threats count only in the customer's own words: inside quotes after
    "said" / "אמר" / "قالت", they are someone else's."""
    from nodes.classify_lead.rules import apply_rules

    found = apply_rules(text).kinds & {"legal_threat", "public_review_threat"}
    assert bool(found) is threat, found
