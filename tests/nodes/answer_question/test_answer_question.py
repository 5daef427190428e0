"""answer-question and the knowledge base over real HTTP: documents in every format, answers quoted
and cited, no answer (and a person asked) when the documents do not say, tenants apart, bad input
as problem+json, and the LLM engine against an OpenAI-compatible double."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
import requests
from click.testing import CliRunner

from nodes.cli import main as cli
from nodes.core.config import hash_key
from tests.llm_double import LLMDouble
from tests.nodes.extract_contract_fields.test_hardening_extract import make_docx, make_pdf

PRICES_MD = """# מחירון המרפאה

## טיפולים

| טיפול | מחיר | הערות |
|---|---|---|
| ניקוי אבנית | 290 ₪ | כולל ליטוש |
| הלבנה במרפאה | 1,400 ₪ | טיפול אחד |
| כתר חרסינה | 3,200 ₪ | אחריות 5 שנים |

## תשלומים

אפשר לשלם במזומן, באשראי ובביט. עד 10 תשלומים ללא ריבית בטיפול מעל 1,500 ₪.
"""

HOURS_HTML = """<html><body><h1>סניפים ושעות פתיחה</h1>
<h2>סניף חיפה</h2><p>הסניף נמצא ברחוב מוריה 45, חיפה. חניה חינם בחניון הבניין.</p>
<ul><li>ימים א'-ה': 08:00 עד 19:00</li><li>יום ו': 08:00 עד 13:00</li></ul>
<h2>סניף תל אביב</h2><p>רחוב אבן גבירול 120. אין חניה למטופלים.</p>
<script>var secret = "not text";</script></body></html>"""


def _docx() -> bytes:
    document = docx.Document()
    document.add_heading("מדיניות ביטולים", 1)
    document.add_paragraph("ביטול תור פחות מ-24 שעות מראש יחויב בדמי ביטול של 100 ₪.")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "סוג תור", "דמי ביטול"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "ניתוח השתלה", "250 ₪"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add(url: str, name: str, data: bytes | str, key: str | None = None, **extra: Any) -> requests.Response:
    body: dict[str, Any] = {"document": name, **extra}
    if isinstance(data, str):
        body["text"] = data
    else:
        body["content_base64"] = base64.b64encode(data).decode()
    return requests.post(f"{url}/v1/knowledge", json=body, headers={"X-API-Key": key} if key else {}, timeout=60)


def _ask(url: str, question: str, key: str | None = None, **extra: Any) -> dict[str, Any]:
    r = requests.post(f"{url}/v1/answer-question", json={"question": question, **extra},
                      headers={"X-API-Key": key} if key else {}, timeout=60)
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.fixture
def clinic(serve: Any) -> str:
    """A service with the lexical retrievers only (fast), and a small clinic's documents."""
    url = serve(embedder="off")
    assert _add(url, "prices.md", PRICES_MD).status_code == 200
    assert _add(url, "branches.html", HOURS_HTML.encode(), content_type="text/html").status_code == 200
    assert _add(url, "cancellations.docx", _docx()).status_code == 200
    return url


def test_documents_are_read_on_their_structure(clinic: str) -> None:
    listed = requests.get(f"{clinic}/v1/knowledge", timeout=30).json()["documents"]
    assert [d["document"] for d in listed] == ["prices.md", "branches.html", "cancellations.docx"]
    prices = next(d for d in listed if d["document"] == "prices.md")
    shown = requests.get(f"{clinic}/v1/knowledge/{prices['id']}", timeout=30).json()
    rows = [p for p in shown["passages"] if p["kind"] == "row"]
    assert rows[1]["text"] == "טיפול: הלבנה במרפאה | מחיר: 1,400 ₪ | הערות: טיפול אחד"  # with its header row
    assert rows[1]["heading"] == "מחירון המרפאה > טיפולים"
    html = requests.get(f"{clinic}/v1/knowledge/{listed[1]['id']}", timeout=30).json()
    texts = " ".join(p["text"] for p in html["passages"])
    assert "08:00 עד 13:00" in texts and "secret" not in texts
    assert {p["heading"] for p in html["passages"]} >= {"סניפים ושעות פתיחה > סניף חיפה"}
    word = requests.get(f"{clinic}/v1/knowledge/{listed[2]['id']}", timeout=30).json()
    assert any(p["text"] == "סוג תור: ניתוח השתלה | דמי ביטול: 250 ₪" for p in word["passages"])


def test_an_answer_is_quoted_verbatim_and_cited(clinic: str) -> None:
    out = _ask(clinic, "היי כמה עולה הלבנה אצלכם?")
    assert out["answered"] and not out["handoff"]["required"]
    assert "1,400" in out["answer"]
    best = out["citations"][0]
    assert best["document"] == "prices.md" and best["quote"] in out["answer"]
    assert best["span"][1] > best["span"][0] >= 0
    assert out["meta"]["model"] == "kb-retrieval" and out["meta"]["engine"] == "local"


@pytest.mark.parametrize(("question", "fact"), [
    ("עד מתי פתוח בשישי בסניף חיפה", "13:00"),
    ("כמה עולה לבטל ניתוח השתלה?", "250"),
    ("אפשר לשלם בתשלומים?", "10 תשלומים"),
])
def test_questions_as_customers_write_them(clinic: str, question: str, fact: str) -> None:
    out = _ask(clinic, question)
    assert out["answered"], out
    assert fact in out["answer"], out


@pytest.mark.parametrize("question", ["יש לכם סניף באילת?", "אתם מטפלים גם בחתולים?", "כמה עולה יישור שיניים?"])
def test_what_the_documents_do_not_say_is_handed_over(clinic: str, question: str) -> None:
    out = _ask(clinic, question)
    assert not out["answered"] and out["answer"] == "" and out["citations"] == []
    assert out["handoff"]["required"] and out["handoff"]["reasons"]


GROOMING_TXT = """מספרה

רחצה וייבוש:
- כלב קטן – 120 ₪
- כלב בינוני – 160 ₪
- כלב גדול – 200 ₪
תספורת מלאה (כולל רחצה):
- כלב קטן – 220 ₪
- כלב בינוני – 280 ₪
- כלב גדול – 350 ₪

מועדון לקוחות

חברי המועדון מקבלים 10% הנחה על בדיקות וחיסונים. ההנחה אינה חלה על ניתוחים ואשפוז.

חיסונים

חיסון כלבת עולה 95 ₪, וחברי המועדון מקבלים עליו 10% הנחה.
"""


def _local_answer(tmp_path: Path, question: str) -> Any:
    """The local answer to ``question`` from GROOMING_TXT, in-process and lexical: what the scoring chose."""
    from nodes.answer_question import kb
    from nodes.answer_question.answer import answer
    from nodes.answer_question.eval import build

    (tmp_path / "grooming.txt").write_text(GROOMING_TXT, encoding="utf-8")
    index, _ = build(tmp_path)
    return answer(question, kb.search(index, question, 10, None), index.index.words, min_confidence=0.0)


def test_the_line_that_introduces_a_list_says_what_its_items_are(tmp_path: Path) -> None:
    """"כלב בינוני – 280 ₪" is a haircut's price because of the line above the list, not its own words."""
    out = _local_answer(tmp_path, "תספורת לכלב בינוני כמה יוצא?")
    passage, start, end = out.quotes[0]
    assert passage.text[start:end] == "כלב בינוני – 280 ₪"


def test_two_sentences_answer_what_neither_does_alone(tmp_path: Path) -> None:
    out = _local_answer(tmp_path, "יש לי כרטיס מועדון, מקבלים הנחה גם על ניתוח?")
    passage = out.quotes[0][0]
    assert "10% הנחה על בדיקות" in passage.text and "אינה חלה על ניתוחים" in out.text, out


def test_the_chat_around_a_question_and_spoken_arabic_are_read() -> None:
    from nodes.answer_question import analyzer

    assert analyzer.content_words("ומה וכמה שזה وهل وقديش قديش شو guys I'd like") == []
    assert analyzer.content_words("בעל מעל") == ["בעל", "מעל"]  # ב and מ make words of two-letter stopwords
    assert "تكلف" in analyzer.readings("بتكلف") and "عياده" in analyzer.readings("عالعيادة")
    assert analyzer.readings("بيت") == ("بيت",)


def test_a_long_document_answers_by_its_words_at_once_and_by_meaning_once_embedded(
        serve: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past SYNC_EMBED_CHUNKS passages the upload does not wait for the embedder: stored at once, found by
    its words, embedded in the background, and then found by meaning too."""
    from nodes.answer_question import kb
    from nodes.answer_question.chunks import sentence_spans
    from nodes.core.config import load_settings
    from nodes.core.store import open_store

    monkeypatch.setattr(kb, "SYNC_EMBED_CHUNKS", 2)
    url = serve()  # the local embedder
    added = _add(url, "prices.md", PRICES_MD)
    assert added.status_code == 200, added.text
    assert added.json()["dense"] is False and added.json()["dense_pending"] is True
    out = _ask(url, "כמה עולה הלבנה?")
    assert out["answered"] and "1,400" in out["answer"]  # by its words, before it is embedded
    assert kb.EMBEDDING.idle(180)
    (listed,) = requests.get(f"{url}/v1/knowledge", timeout=30).json()["documents"]
    assert listed["dense"] is True and listed["dense_pending"] is False
    store = open_store(load_settings(env={}, data_dir=tmp_path / "data").database_url)
    built = kb.KnowledgeIndex.build(None, store.kb_docs("default", with_chunks=True), 384)
    assert built.index.vectors is not None and bool(built.index.vectors.any(axis=1).all())
    # and every passage's sentences have theirs, one row a sentence ("אפשר לשלם ... עד 10 תשלומים" is two)
    assert any(len(p.sentence_vectors) > 1 for p in built.passages if p.sentence_vectors is not None)
    assert all(p.sentence_vectors is not None and p.sentence_vectors.shape == (len(sentence_spans(p.text, p.kind)), 384)
               for p in built.passages)


def test_documents_without_vectors_are_found_by_their_words_beside_those_with() -> None:
    """One document added without meaning no longer turns meaning off for the whole knowledge base."""
    import numpy as np

    from nodes.answer_question import kb

    unit = np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)
    chunk = {"heading": "", "start": 0, "kind": "text"}
    rows = [("a", "a.md", "", 0.0, {}, [{**chunk, "text": "הלבנה במרפאה 1,400 ₪", "vector": kb._encode(unit)}]),
            ("b", "b.md", "", 0.0, {}, [{**chunk, "text": "שעות פתיחה: 08:00 עד 19:00"}])]
    index = kb.KnowledgeIndex.build("r", rows, 4)
    assert index.index.vectors is not None
    hits = {p.document: p.hit.dense for p in kb.search(index, "שעות פתיחה הלבנה", 5, unit)}
    assert hits == {"a.md": pytest.approx(1.0, abs=1e-3), "b.md": None}


def test_the_sentence_closest_in_meaning_answers_when_the_words_cannot_choose() -> None:
    """Both sentences say "חניה": the one whose vector is the question's is quoted first, and the answer is as
    sure as that sentence is close. Vectors that do not fit the sentences are ignored, not an error."""
    import numpy as np

    from nodes.answer_question import kb
    from nodes.answer_question.answer import answer

    first, second = np.eye(4, dtype=np.float32)[:2]
    text = "החניה בחניון הבניין בתשלום לפי שעה. החניה ברחוב הסמוך בחינם אחרי השעה 19:00."
    chunk = {"heading": "הגעה", "start": 0, "kind": "text", "text": text, "vector": kb._encode(first),
             "sentence_vectors": kb._encode(np.stack([first, second]).ravel())}
    built = kb.KnowledgeIndex.build("r", [("a", "a.md", "", 0.0, {}, [chunk])], 4)
    for question_vector, best in ((second, "ברחוב"), (first, "בחניון")):
        passages = kb.search(built, "איפה החניה?", 5, question_vector)
        out = answer("איפה החניה?", passages, built.index.words, 0.0, question_vector)
        passage, start, end = out.quotes[0]
        assert best in passage.text[start:end]
    close = answer("איפה החניה?", kb.search(built, "איפה החניה?", 5, second), built.index.words, 0.0,
                   second).confidence
    far = answer("איפה החניה?", kb.search(built, "איפה החניה?", 5, second), built.index.words, 0.0,
                 np.eye(4, dtype=np.float32)[2]).confidence
    assert close > far
    unfit_chunk = {**chunk, "sentence_vectors": kb._encode(first)}  # one row for two sentences
    unfit = kb.KnowledgeIndex.build("r", [("a", "a.md", "", 0.0, {}, [unfit_chunk])], 4)
    assert unfit.passages[0].sentence_vectors is None
    assert answer("איפה החניה?", kb.search(unfit, "איפה החניה?", 5, second), unfit.index.words, 0.0,
                  second).quotes


def test_an_empty_knowledge_base_hands_over_with_a_hint(serve: Any) -> None:
    out = _ask(serve(embedder="off"), "כמה עולה ניקוי?")
    assert not out["answered"] and out["handoff"] == {"required": True, "reasons": ["the knowledge base is empty"]}
    assert "POST /v1/knowledge" in out["hint"]


def test_adding_again_replaces_and_deleting_removes(clinic: str) -> None:
    again = _add(clinic, "prices.md", PRICES_MD.replace("1,400", "1,250"))
    assert again.status_code == 200 and again.json()["replaced"] is True
    assert "1,250" in _ask(clinic, "כמה עולה הלבנה במרפאה?")["answer"]
    doc_id = again.json()["id"]
    assert requests.delete(f"{clinic}/v1/knowledge/{doc_id}", timeout=30).json() == {"deleted": doc_id}
    assert requests.delete(f"{clinic}/v1/knowledge/{doc_id}", timeout=30).status_code == 404
    assert not _ask(clinic, "כמה עולה הלבנה במרפאה?")["answered"]


def test_multipart_upload(serve: Any) -> None:
    url = serve(embedder="off")
    r = requests.post(f"{url}/v1/knowledge", files={"file": ("hours.txt", "שעות פתיחה\nפתוח בימים א-ה מ-9 עד 17.\n"
                                                                          .encode())}, timeout=30)
    assert r.status_code == 200 and r.json()["document"] == "hours.txt" and r.json()["media_type"] == "text/plain"
    missing = requests.post(f"{url}/v1/knowledge", files={"other": ("a.txt", b"x")}, timeout=30)
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == "file"


@pytest.fixture
def tenants(serve: Any, tmp_path: Path) -> str:
    config = tmp_path / "tenants.toml"
    config.write_text(f'[[tenants]]\nname = "clinic"\nkeys = ["{hash_key("k-clinic")}"]\n'
                      f'[[tenants]]\nname = "agency"\nkeys = ["{hash_key("k-agency")}"]\n', encoding="utf-8")
    return str(serve(env={"TZOMET_CONFIG": str(config)}, embedder="off"))


def test_tenants_never_see_each_others_documents(tenants: str) -> None:
    added = _add(tenants, "prices.md", PRICES_MD, key="k-clinic")
    assert added.status_code == 200
    doc_id = added.json()["id"]
    assert _ask(tenants, "כמה עולה הלבנה?", key="k-clinic")["answered"]
    other = _ask(tenants, "כמה עולה הלבנה?", key="k-agency")
    assert not other["answered"] and other["hint"]
    for method in ("GET", "DELETE"):
        r = requests.request(method, f"{tenants}/v1/knowledge/{doc_id}", headers={"X-API-Key": "k-agency"}, timeout=30)
        assert r.status_code == 404 and r.headers["Content-Type"].startswith("application/problem+json")
    assert requests.get(f"{tenants}/v1/knowledge", headers={"X-API-Key": "k-agency"}, timeout=30).json() == \
        {"documents": []}
    assert requests.get(f"{tenants}/v1/knowledge", timeout=30).status_code == 401


@pytest.mark.parametrize(("body", "loc"), [
    ({"question": ""}, "question"),
    ({"question": "   "}, "question"),
    ({"question": "א" * 2001}, "question"),
    ({"question": 42}, "question"),
    ({"question": "שלום", "max_passages": 0}, "max_passages"),
    ({"question": "שלום", "extra": 1}, "extra"),
])
def test_bad_questions_are_422_naming_the_field(clinic: str, body: dict[str, Any], loc: str) -> None:
    r = requests.post(f"{clinic}/v1/answer-question", json=body, timeout=30)
    assert r.status_code == 422 and r.headers["Content-Type"].startswith("application/problem+json"), r.text
    assert r.json()["errors"][0]["loc"] == loc


def test_bad_documents_are_problems_not_500(clinic: str) -> None:
    cases = [
        (_add(clinic, "a.txt", b"%PDF-1.7 this is not text"), 422, "file"),  # not what its type says
        (_add(clinic, "a.pdf", b"%PDF-1.7 broken"), 422, "file"),
        (_add(clinic, "bomb.docx", make_docx(zeros=200 << 20)), 413, "file"),
        (_add(clinic, "huge.pdf", make_pdf(2_000, 100)), 413, "file"),
        (requests.post(f"{clinic}/v1/knowledge", json={"document": "x.md", "content_base64": "***"}, timeout=30),
         422, "content_base64"),
        (requests.post(f"{clinic}/v1/knowledge", json={"document": "x.md"}, timeout=30), 422, None),
        (requests.post(f"{clinic}/v1/knowledge", json={"document": " ", "text": "x"}, timeout=30), 422, "document"),
        (_add(clinic, "empty.md", "\n\n   \n"), 422, "file"),
    ]
    for response, status, loc in cases:
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"].startswith("application/problem+json")
        if loc:
            assert response.json()["errors"][0]["loc"] == loc, response.text


def test_the_cli_adds_lists_and_deletes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZOMET_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TZOMET_EMBEDDER", "off")
    (tmp_path / "prices.md").write_text(PRICES_MD, encoding="utf-8")
    added = CliRunner().invoke(cli, ["kb", "add", "--tenant", "acme", str(tmp_path / "prices.md")])
    assert added.exit_code == 0, added.output
    doc_id = json.loads(added.output.strip().splitlines()[-1])["id"]
    listed = CliRunner().invoke(cli, ["kb", "list", "--tenant", "acme"])
    assert "prices.md" in listed.output
    assert CliRunner().invoke(cli, ["kb", "list", "--tenant", "other"]).output == ""
    assert CliRunner().invoke(cli, ["kb", "delete", "--tenant", "acme", doc_id]).exit_code == 0
    assert CliRunner().invoke(cli, ["kb", "delete", "--tenant", "acme", doc_id]).exit_code != 0


def test_the_cli_embeds_what_was_added_without_meaning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZOMET_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "prices.md").write_text(PRICES_MD, encoding="utf-8")
    added = CliRunner().invoke(cli, ["kb", "add", "--no-dense", str(tmp_path / "prices.md")])
    assert added.exit_code == 0 and json.loads(added.output.strip().splitlines()[-1])["dense"] is False
    embedded = CliRunner().invoke(cli, ["kb", "embed"])
    assert embedded.exit_code == 0 and '"embedded": "prices.md"' in embedded.output, embedded.output
    listed = json.loads(CliRunner().invoke(cli, ["kb", "list"]).output.strip())
    assert listed["dense"] is True
    assert CliRunner().invoke(cli, ["kb", "embed"]).output.count("embedded") == 0  # nothing left to embed
    again = CliRunner().invoke(cli, ["kb", "embed", "--all"])  # every document, e.g. after an upgrade
    assert again.exit_code == 0 and again.output.count('"embedded"') == 1, again.output
    monkeypatch.setenv("TZOMET_EMBEDDER", "off")
    off = CliRunner().invoke(cli, ["kb", "embed"])
    assert off.exit_code != 0 and "embeddings are off" in off.output


# --- the LLM engine ------------------------------------------------------------------------------

@pytest.fixture
def double() -> Iterator[LLMDouble]:
    def qa(question: str, system: str) -> dict[str, Any]:
        if "הלבנה" not in question:
            return {"answered": False, "sentences": []}
        number = next(line[1:line.index("]")] for line in system.splitlines() if "1,400" in line
                      or (line.startswith("[") and "1,400" in system.split(line, 1)[1].split("\n[", 1)[0]))
        return {"answered": True, "sentences": [{"text": "הלבנה במרפאה עולה 1,400 ₪, [NAME_1].",
                                                 "passage": int(number)}]}

    d = LLMDouble(qa=qa)
    yield d
    d.close()


def test_the_llm_writes_the_answer_from_the_passages_only(serve: Any, double: LLMDouble) -> None:
    url = serve(env={"TZOMET_ENGINE": "llm", "TZOMET_LLM_BASE_URL": double.url, "TZOMET_LLM_MODEL": "double-1",
                     "TZOMET_LLM_TIMEOUT_S": "2"}, embedder="off")
    assert _add(url, "prices.md", PRICES_MD).status_code == 200
    out = _ask(url, "שלום, אני דנה כהן, 052-7654321, כמה עולה הלבנה?")
    assert out["meta"]["engine"] == "llm" and out["meta"]["model_version"].startswith("answer@")
    assert out["answered"] and "1,400" in out["answer"] and out["citations"][0]["document"] == "prices.md"
    sent = "\n".join(m["content"] for m in double.received[-1]["messages"])
    assert "052-7654321" not in sent and "1,400" in sent  # the question redacted; the passages as they are
    declined = _ask(url, "יש לכם חניה?")
    assert not declined["answered"] and declined["handoff"]["required"]


def test_the_local_answer_when_the_llm_fails(serve: Any, double: LLMDouble) -> None:
    double.fault = "500"
    url = serve(env={"TZOMET_ENGINE": "llm", "TZOMET_LLM_BASE_URL": double.url, "TZOMET_LLM_MODEL": "double-1",
                     "TZOMET_LLM_TIMEOUT_S": "1"}, embedder="off")
    assert _add(url, "prices.md", PRICES_MD).status_code == 200
    out = _ask(url, "כמה עולה הלבנה במרפאה?")
    assert out["meta"]["engine"] == "local" and out["meta"]["llm"]["error"]
    assert out["answered"] and "1,400" in out["answer"]


def test_a_cited_passage_it_was_not_given_is_refused(serve: Any) -> None:
    liar = LLMDouble(qa=lambda q, s: {"answered": True, "sentences": [{"text": "99 ₪", "passage": 9}]})
    try:
        url = serve(env={"TZOMET_ENGINE": "llm", "TZOMET_LLM_BASE_URL": liar.url, "TZOMET_LLM_MODEL": "double-1"},
                    embedder="off")
        assert _add(url, "prices.md", PRICES_MD).status_code == 200
        out = _ask(url, "כמה עולה הלבנה במרפאה?")
        assert out["meta"]["engine"] == "local" and "99" not in out["answer"]
    finally:
        liar.close()


def test_the_shipped_eval_runs_and_holds_its_floor(monkeypatch: pytest.MonkeyPatch) -> None:
    """`tzomet eval answer-question` on the shipped knowledge base, lexical retrievers only (the dense
    run embeds every passage, ~25 s: `make eval-answer`). Floors a little under what it scores, so a
    regression fails here; the numbers are in docs/answer-question.md."""
    monkeypatch.setenv("TZOMET_EMBEDDER", "off")
    result = CliRunner().invoke(cli, ["eval", "answer-question", "--json", "--min", "recall_at_5=0.78",
                                      "--min", "answers_with_gold_facts=0.25"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["answerable"] >= 60 and report["unanswerable"] >= 20
    assert report["unanswerable_answered"] <= 0.15


@pytest.mark.parametrize(("business", "facts", "unanswered"), [
    ("gym", 0.14, 0.1), ("realestate", 0.06, 0.1), ("shop", 0.17, 0.1), ("garage", 0.19, 0.1), ("driving", 0.19, 0.2)])
def test_the_businesses_written_apart_hold_their_floor(business: str, facts: float, unanswered: float) -> None:
    """Lexically, a little under what they score (gym 0.16, real estate 0.07, shop 0.20, garage 0.21, driving
    0.21 gold facts; see the docs page), and never answering more than a tenth of what their documents do not
    say — but the driving school, which answers a fifth of them (the target is a tenth: not met there)."""
    from nodes.answer_question.eval import evaluate

    data = Path(__file__).resolve().parents[3] / "nodes" / "answer_question" / "data" / "businesses" / business
    report = evaluate(data / "kb", data / "questions.jsonl")
    assert report["answers_with_gold_facts"] >= facts and report["unanswerable_answered"] <= unanswered, report


def test_a_pdf_is_read_in_logical_order_and_answered_from(serve: Any) -> None:
    url = serve(embedder="off")
    pdf = Path(__file__).resolve().parents[3] / "nodes" / "extract_contract_fields" / "data" / "eval" / "files" / \
        "he01_lease_residential.pdf"
    added = requests.post(f"{url}/v1/knowledge", files={"file": ("חוזה.pdf", pdf.read_bytes(), "application/pdf")},
                          timeout=60)
    assert added.status_code == 200 and added.json()["media_type"] == "application/pdf", added.text
    out = _ask(url, "כמה דמי השכירות לחודש?")
    assert out["answered"] and "6,200" in out["answer"] and out["citations"][0]["document"] == "חוזה.pdf"


def test_the_question_sets_are_apart_from_each_other() -> None:
    """Nine businesses' questions, each written by its own helper: no question is a near-copy of another set's."""
    from nodes.engine.dedup import near_duplicates

    data = Path(__file__).resolve().parents[3] / "nodes" / "answer_question" / "data"
    sets = [data / "eval", data / "unseen", *sorted((data / "businesses").iterdir())]
    questions = {s.name: [json.loads(line) for line in (s / "questions.jsonl").read_text(encoding="utf-8").splitlines()
                          if line.strip()] for s in sets}
    assert len(questions) == 9
    for name, rows in questions.items():
        assert sum(not r["answerable"] for r in rows) >= 20, name
        for other, theirs in questions.items():
            if other < name:
                pairs = near_duplicates([{"text": r["question"]} for r in rows],
                                        [{"text": r["question"]} for r in theirs])
                assert pairs == [], (name, other, pairs)


def test_a_huge_word_is_not_kept_in_the_per_word_caches() -> None:
    """Readings, stopword checks and trigrams are cached per word — but not a 100,000-letter "word": twenty such
    documents would otherwise keep ~80 MB for good."""
    import gc
    import tracemalloc

    from nodes.answer_question import analyzer

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(20):
            analyzer.terms(chr(0x5D0 + i) * 100_000 + " מחיר ניקוי 350 ש\"ח")
            analyzer.grams(chr(0x5D0 + i) * 100_000 + " מחיר ניקוי 350 ש\"ח")
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 5_000_000, kept
