"""summarize-conversation's summary written by an LLM (the llm and hybrid engines), against an
OpenAI-compatible double over real HTTP: in the customer's language, placeholders put back,
personal data never sent, and the local summary when the LLM fails."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.llm_double import LLMDouble

CHAT = [
    {"author": "Dana Cohen", "role": "customer",
     "text": "היי, רציתי לקבוע ניקוי שיניים לשבוע הבא. הטלפון שלי 052-7654321"},
    {"author": "Clinic", "role": "agent", "text": "שלום דנה, יש תור ביום שלישי ב-10:00, המחיר 350 ש\"ח"},
    {"author": "Dana Cohen", "role": "customer",
     "text": "מעולה, סגרנו. רשמו Dana Cohen, המייל שלי dana.cohen@example.co.il"},
]


@pytest.fixture
def double() -> Iterator[LLMDouble]:
    d = LLMDouble(summary=lambda text: "דנה ([NAME_1]) קבעה ניקוי שיניים ביום שלישי ב-10:00 ב-350 ש\"ח; "
                                       "אפשר לחזור אליה ל-[PHONE_1].")
    yield d
    d.close()


def _serve(serve: Any, double: LLMDouble, engine: str = "hybrid") -> str:
    return serve(env={"TZOMET_ENGINE": engine, "TZOMET_LLM_BASE_URL": double.url, "TZOMET_LLM_MODEL": "double-1",
                      "TZOMET_LLM_TIMEOUT_S": "1"})


def test_the_llm_writes_the_summary_with_the_details_put_back(serve: Any, double: LLMDouble) -> None:
    url = _serve(serve, double)
    out = requests.post(f"{url}/v1/summarize-conversation", json={"messages": CHAT}, timeout=60).json()
    assert out["meta"]["engine"] == "llm" and out["meta"]["model_version"].startswith("summary@")
    assert out["summary"] == ("דנה (Dana Cohen) קבעה ניקוי שיניים ביום שלישי ב-10:00 ב-350 ש\"ח; "
                              "אפשר לחזור אליה ל-052-7654321.")
    # the rest is the local engine's
    assert out["entities"]["phones"] == ["+972527654321"] and out["language"] == "he"
    summary_call = next(b for b in double.received if "summary" in str(b.get("response_format")))
    sent = "\n".join(m["content"] for m in summary_call["messages"])
    assert "Hebrew" in sent and "Customer: " in sent and "Business: " in sent
    for secret in ("052-7654321", "dana.cohen@example.co.il", "Dana Cohen"):
        assert secret not in sent, secret


@pytest.mark.parametrize("fault", ["500", "schema", "timeout"])
def test_a_failing_llm_leaves_the_local_summary(serve: Any, double: LLMDouble, fault: str) -> None:
    double.fault, double.delay = fault, 3.0
    url = _serve(serve, double, engine="llm")
    out = requests.post(f"{url}/v1/summarize-conversation", json={"messages": CHAT}, timeout=60).json()
    assert out["meta"]["engine"] == "local" and out["meta"]["llm"]["error"] in {"server_error", "schema", "timeout"}
    assert "ניקוי שיניים" in out["summary"]  # the local engine quotes the conversation


def test_the_summary_engine_is_per_tenant_and_action(tmp_path: Path) -> None:
    from nodes.core.config import load_settings

    cfg = tmp_path / "c.toml"
    cfg.write_text('[actions.summarize-conversation]\nengine = "hybrid"\n', encoding="utf-8")
    s = load_settings(env={"TZOMET_CONFIG": str(cfg), "TZOMET_LLM_BASE_URL": "http://x/v1", "TZOMET_LLM_MODEL": "m"})
    assert s.engine_for("summarize-conversation") == "hybrid" and s.engine_for("classify-lead") == "local"
