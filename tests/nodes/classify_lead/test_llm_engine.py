"""classify-lead's llm and hybrid engines against an OpenAI-compatible double over real HTTP:
answers, every fault ending in the local answer, the circuit breaker, JSON mode, and no
personal data leaving the machine."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from nodes.core.config import ConfigError, hash_key, load_settings
from tests.llm_double import LLMDouble

URL = "/v1/classify-lead"
KEY = "sk-test-secret-4242"


@pytest.fixture
def double() -> Iterator[LLMDouble]:
    d = LLMDouble(answer=lambda text, labels: "billing" if "billing" in labels else labels[0])
    yield d
    d.close()


def _serve(serve: Callable[..., str], tmp_path: Path, double: LLMDouble, engine: str = "hybrid",
           options: str = "", timeout: str = "1") -> str:
    config = tmp_path / "tzomet.toml"
    config.write_text(f"[actions.classify-lead]\n{options}\n", encoding="utf-8")
    return serve(env={"TZOMET_ENGINE": engine, "TZOMET_LLM_BASE_URL": double.url, "TZOMET_LLM_MODEL": "double-1",
                      "TZOMET_LLM_API_KEY": KEY, "TZOMET_LLM_TIMEOUT_S": timeout, "TZOMET_CONFIG": str(config)})


def _classify(url: str, text: str, **extra: Any) -> dict[str, Any]:
    r = requests.post(f"{url}{URL}", json={"text": text, **extra}, timeout=60)
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_hybrid_asks_the_llm_only_below_its_threshold(serve: Any, tmp_path: Path, double: LLMDouble) -> None:
    url = _serve(serve, tmp_path, double, options="llm_threshold = 0.999")
    out = _classify(url, "היי, רציתי לשאול משהו לגבי החשבון שלי")
    assert out["meta"]["engine"] == "llm" and out["meta"]["model"] == "double-1"
    assert out["category"] == "billing" and out["meta"]["llm"]["tokens_in"] == 120
    assert out["meta"]["model_version"].startswith("classify@")
    sent = double.received[-1]
    assert sent["model"] == "double-1" and sent["response_format"]["type"] == "json_schema"
    assert double.headers[-1]["Authorization"] == f"Bearer {KEY}"
    labels = sent["response_format"]["json_schema"]["schema"]["properties"]["category"]["enum"]
    assert set(labels) == {"complaint", "cancellation", "billing", "appointment", "support", "sales_inquiry",
                           "spam", "other"}
    assert "sales_inquiry: a prospect asks" in sent["messages"][0]["content"]

    calls = len(double.received)
    sure = _serve(serve, tmp_path, double, options="llm_threshold = 0.0001")
    out = _classify(sure, "אני רוצה לבטל את המנוי שלי לחדר הכושר")
    assert out["meta"]["engine"] == "local" and "llm" not in out["meta"] and len(double.received) == calls


def test_a_tenants_own_labels_go_to_the_llm_with_their_descriptions(serve: Any, tmp_path: Path,
                                                                    double: LLMDouble) -> None:
    url = _serve(serve, tmp_path, double, engine="llm")
    categories = [{"name": "rent", "description": "שכירות דירה", "examples": ["מחפש דירה לשכירות"]},
                  {"name": "buy", "description": "קניית דירה", "examples": ["רוצה לקנות דירה"]}]
    out = _classify(url, "מחפשת 3 חדרים בחיפה", categories=categories)
    assert out["meta"]["engine"] == "llm" and out["category"] == "rent"
    assert "- rent: שכירות דירה" in double.received[-1]["messages"][0]["content"]


@pytest.mark.parametrize("fault", ["timeout", "429", "500", "malformed", "schema", "cut"])
def test_every_fault_ends_in_the_local_answer_within_the_timeout(serve: Any, tmp_path: Path, double: LLMDouble,
                                                                 fault: str) -> None:
    double.fault, double.delay = fault, 3.0
    url = _serve(serve, tmp_path, double, engine="llm", timeout="0.5")
    started = time.monotonic()
    out = _classify(url, "אני רוצה לבטל את המנוי שלי לחדר הכושר")
    elapsed = time.monotonic() - started
    assert out["meta"]["engine"] == "local" and out["category"] == "cancellation"
    expected = {"timeout": "timeout", "429": "rate_limited", "500": "server_error", "malformed": "malformed",
                "schema": "schema", "cut": "malformed|unreachable"}[fault]
    assert out["meta"]["llm"]["error"] in expected.split("|")  # a cut body: short JSON, or a short read
    # one attempt for a timeout; two retries for 429 and 500 (Retry-After 0, then 0.5 s backoff)
    assert elapsed < (1.0 if fault != "500" else 2.5), elapsed


def test_after_a_run_of_failures_the_breaker_answers_at_once(serve: Any, tmp_path: Path, double: LLMDouble) -> None:
    double.fault = "malformed"
    url = _serve(serve, tmp_path, double, engine="llm")
    errors = [_classify(url, f"שלום {i}")["meta"]["llm"]["error"] for i in range(7)]
    assert errors[:5] == ["malformed"] * 5 and errors[5:] == ["circuit_open"] * 2
    assert len(double.received) == 5


def test_a_server_without_structured_output_is_asked_in_json_mode(serve: Any, tmp_path: Path,
                                                                  double: LLMDouble) -> None:
    double.fault = "json_mode_only"
    url = _serve(serve, tmp_path, double, engine="llm")
    for _ in range(2):
        out = _classify(url, "אפשר חשבונית על התשלום של החודש?")
        assert out["meta"]["engine"] == "llm" and out["category"] == "billing"
    assert [r["response_format"]["type"] for r in double.received] == ["json_schema", "json_object", "json_object"]
    assert "JSON schema" in double.received[-1]["messages"][0]["content"]


PII_MESSAGES = [
    ("שלום, אני {name}, ת.ז. {id}, טלפון {phone}, מייל {email}. חייבתם את הכרטיס {card} פעמיים", "he"),
    ("Hi, this is {name}. Call me on {phone} or write to {email}. Refund to IBAN {iban} please", "en"),
    ("مرحبا، انا {name}، رقم الهوية {id}، تلفون {phone}، ايميل {email}، الحساب IBAN {iban}", "ar"),
    ("{name} כאן, נא לזכות את חשבון הבנק IBAN {iban} או את הכרטיס {card}. נייד: {phone}", "he"),
]


def _ids(n: int) -> list[str]:
    """``n`` Israeli ID numbers with a valid check digit."""
    out = []
    for base in range(12345670, 12345670 + n * 10, 10):
        digits = [int(c) for c in f"{base // 10:08d}"]
        total = sum(sum(divmod(d * (1 + i % 2), 10)) for i, d in enumerate(digits))
        out.append(f"{base // 10:08d}{(10 - total % 10) % 10}")
    return out


def _luhn(prefix: str) -> str:
    digits = [int(c) for c in prefix]
    total = sum(d if i % 2 else sum(divmod(d * 2, 10)) for i, d in enumerate(reversed(digits)))
    return prefix + str((10 - total % 10) % 10)


def test_no_personal_data_reaches_the_llm(serve: Any, tmp_path: Path, double: LLMDouble,
                                          caplog: pytest.LogCaptureFixture) -> None:
    url = _serve(serve, tmp_path, double, engine="hybrid", options="llm_threshold = 1.01")  # every message
    ids = _ids(200)
    secrets: list[str] = []
    with caplog.at_level(logging.INFO, logger="tzomet.llm"):
        for i in range(200):
            values = {"name": ["דנה כהן", "Sarah Levi", "محمد خليل", "יוסי מזרחי"][i % 4], "id": ids[i],
                      "phone": f"05{i % 9}-{1000000 + i * 7919 % 8999999:07d}",
                      "email": f"client{i}@example{i % 7}.co.il",
                      "card": _luhn(f"45801234{i:07d}"), "iban": "IL620108000000099999999"}
            template, _ = PII_MESSAGES[i % len(PII_MESSAGES)]
            text = template.format(**values)
            secrets += [values[k] for k in ("id", "phone", "email", "card", "iban") if "{" + k + "}" in template]
            out = _classify(url, text, sender={"name": values["name"]})
            assert out["meta"]["engine"] == "llm"
    sent = "\n".join(m["content"] for body in double.received for m in body["messages"])
    assert len(double.received) == 200
    leaked = [s for s in secrets if s in sent or s.replace("-", "") in sent]
    assert not leaked, leaked[:5]
    assert "[PHONE_1]" in sent and "[EMAIL_1]" in sent and "[NAME_1]" in sent
    audit = [r.getMessage() for r in caplog.records if r.name == "tzomet.llm"]
    assert len(audit) == 200 and "redacted=" in audit[0] and "phone:1" in audit[0]
    assert not any(s in line for s in [*secrets[:50], KEY] for line in audit)


def test_llm_settings_are_checked_at_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="TZOMET_LLM_BASE_URL"):
        load_settings(env={"TZOMET_ENGINE": "hybrid"})
    cfg = tmp_path / "c.toml"
    cfg.write_text('[actions.update-zoho]\nengine = "llm"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="update-zoho: engine = 'llm': this action has the local engine only"):
        load_settings(env={"TZOMET_CONFIG": str(cfg), "TZOMET_LLM_BASE_URL": "http://x/v1", "TZOMET_LLM_MODEL": "m"})
    cfg.write_text(f'[[tenants]]\nname = "acme"\nkeys = ["{hash_key("k")}"]\n[tenants.options.classify-lead]\n'
                   'engine = "llm"\nllm_base_url = "https://api.mistral.ai/v1"\nllm_model = "mistral-small-latest"\n'
                   'llm_api_key_env = "ACME_MISTRAL_KEY"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="llm_api_key_env names ACME_MISTRAL_KEY, which is not set"):
        load_settings(env={"TZOMET_CONFIG": str(cfg)})
    s = load_settings(env={"TZOMET_CONFIG": str(cfg), "ACME_MISTRAL_KEY": "sk-acme"})
    assert s.engine_for("classify-lead", "acme") == "llm" and s.engine_for("classify-lead", None) == "local"
    assert "sk-acme" not in repr(s)
