"""A tenant's own model: `tzomet train classify-lead --tenant`, its eval gate, its versions, and
the running service answering with the active one — no restart — over real HTTP."""

from __future__ import annotations

import csv
import fcntl
import json
import random
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner

from nodes.classify_lead.training import read_seeds
from nodes.cli import main as cli
from nodes.core.config import hash_key, load_settings

#: the business's own label names for four kinds of the shipped seeds
LABELS = {"complaint": "תלונות", "cancellation": "ביטולים", "appointment": "תורים", "sales_inquiry": "מכירות"}


def _rows(per_label: int, skip: int = 0) -> list[tuple[str, str]]:
    by_label: dict[str, list[str]] = defaultdict(list)
    for row in read_seeds():
        if row["category"] in LABELS and row.get("lang") == "he":
            by_label[row["category"]].append(row["text"])
    return [(text, LABELS[c]) for c, texts in by_label.items() for text in texts[skip:skip + per_label]]


def _csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["הודעה", "סיווג"])
        writer.writerows(rows)
    return path


def _configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tenants_toml: str) -> dict[str, str]:
    """Write ``tenants_toml`` as the config file and point this process at it (data in ``tmp_path``,
    embeddings off); the environment, for a server started with it too."""
    config = tmp_path / "tenants.toml"
    config.write_text(tenants_toml, encoding="utf-8")
    env = {"TZOMET_CONFIG": str(config), "TZOMET_DATA_DIR": str(tmp_path / "data"), "TZOMET_EMBEDDER": "off"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    name = f"acme-{uuid.uuid4().hex[:8]}"
    env = _configure(tmp_path, monkeypatch, f'[[tenants]]\nname = "{name}"\nkeys = ["{hash_key("k-acme")}"]\n'
                                            f'[[tenants]]\nname = "other"\nkeys = ["{hash_key("k-other")}"]\n')
    return {"name": name, "env": env, "dir": tmp_path}


def test_corrections_train_only_where_the_tenant_keeps_the_messages(tmp_path: Path, serve: Any,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A tenant with ``store_bodies`` keeps each message beside its answer: the corrections it sends fold
    into its next training. Another tenant's corrections are labels on ids: counted, not used."""
    keeps, plain = f"keeps-{uuid.uuid4().hex[:6]}", f"plain-{uuid.uuid4().hex[:6]}"
    env = _configure(tmp_path, monkeypatch,
                     f'[[tenants]]\nname = "{keeps}"\nkeys = ["{hash_key("k-keeps")}"]\nstore_bodies = true\n'
                     f'[[tenants]]\nname = "{plain}"\nkeys = ["{hash_key("k-plain")}"]\n')
    url = serve(env=env, data_dir=tmp_path / "data")
    messages = ["שלום, אני רוצה לבטל את החוג של הבת מהחודש הבא", "אפשר לקבוע תור לשבוע הבא ביום שני בבוקר?",
                "הייתי אצלכם אתמול והשירות היה פשוט מזלזל, אני מאוד מאוכזבת"]
    corrected = {"ביטולים": messages[0], "תורים": messages[1], "תלונות": messages[2]}
    for key in ("k-keeps", "k-plain"):
        for i, (label, text) in enumerate(corrected.items()):
            rid = _ask(url, key, text)["meta"]["request_id"]
            # the tenant that keeps messages names one answer by its text instead of its request id
            named = {"text": text} if key == "k-keeps" and i == 0 else {"request_id": rid}
            deadline = time.monotonic() + 10
            while True:  # the answer is recorded by a background writer
                r = requests.post(f"{url}/v1/feedback", json={**named, "correct": {"category": label}},
                                  headers={"X-API-Key": key}, timeout=30)
                if r.status_code != 404 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert r.status_code == 200, r.text
            assert r.json()["request_id"] == rid and "text" not in r.json()["decided"]
    by_text = requests.post(f"{url}/v1/feedback", json={"text": messages[0], "correct": {"category": "ביטולים"}},
                            headers={"X-API-Key": "k-plain"}, timeout=30)
    assert by_text.status_code == 422 and by_text.json()["errors"][0]["loc"] == "text", by_text.text
    both = requests.post(f"{url}/v1/feedback", json={"text": "x", "request_id": "y", "correct": {"urgency": "low"}},
                         headers={"X-API-Key": "k-keeps"}, timeout=30)
    assert both.status_code == 422
    data = _csv(tmp_path / "leads.csv", _rows(20))
    for name, usable in ((keeps, 3), (plain, 0)):
        result = CliRunner().invoke(cli, ["train", "classify-lead", "--tenant", name, "--data", str(data),
                                          "--with-feedback"])
        report = json.loads(result.stdout)
        assert report["feedback"]["corrections"] == 3 and report["feedback"]["usable_for_training"] == usable, \
            result.output
        if not usable:
            assert report["feedback"]["not_usable"] == {
                "no message text is stored (the tenant's store_bodies is off)": 3}
            assert "not usable for training" in result.output
    # the kept messages are in the store for the tenant that asked for it, and only there
    from nodes.core.store import open_store

    store = open_store(load_settings().database_url)
    assert sorted(f.get("text") for *_, f, _c in store.decisions(keeps, 0.0)) == sorted(messages)
    assert all("text" not in f for *_, f, _c in store.decisions(plain, 0.0))


def _train(tenant: dict[str, Any], data: Path, *extra: str) -> tuple[int, dict[str, Any], str]:
    result = CliRunner().invoke(cli, ["train", "classify-lead", "--tenant", tenant["name"], "--data", str(data),
                                      *extra])
    report = json.loads(result.stdout) if result.stdout.strip().startswith("{") else {}
    return result.exit_code, report, result.output


def _ask(url: str, key: str, text: str = "אני רוצה לבטל את המנוי שלי בבקשה") -> dict[str, Any]:
    r = requests.post(f"{url}/v1/classify-lead", json={"text": text}, headers={"X-API-Key": key}, timeout=30)
    assert r.status_code == 200, r.text
    return dict(r.json())


def _served_within(url: str, key: str, version: str, seconds: float = 3.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if _ask(url, key)["meta"]["model_version"] == version:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"{version} not served within {seconds} s")


def test_a_tenant_trains_its_labels_and_every_version_is_gated_and_served(
        tenant: dict[str, Any], serve: Any) -> None:
    url = serve(env=tenant["env"], data_dir=tenant["dir"] / "data")
    assert _ask(url, "k-acme")["category"] == "cancellation"  # no model of its own yet: the default labels

    code, first, output = _train(tenant, _csv(tenant["dir"] / "leads.csv", _rows(25)), "--with-feedback")
    assert code == 0, output
    assert first["feedback"] == {"corrections": 0, "usable_for_training": 0, "not_usable": {}}
    assert first["promoted"] and first["status"] == "active" and set(first["labels"]) == set(LABELS.values())
    assert first["metrics"]["macro_f1"] >= first["references"]["custom_labels_path"]["macro_f1"] - 0.01
    assert _served_within(url, "k-acme", first["version"]) < 2.5
    answer = _ask(url, "k-acme")
    assert answer["category"] == "ביטולים" and set(answer["scores"]) == set(LABELS.values())
    assert _ask(url, "k-other")["category"] == "cancellation"  # another tenant never sees these labels

    # shuffled labels: refused by the gate, kept as a candidate; the active version keeps serving
    rows = _rows(25)
    shuffled = [label for _, label in rows]
    random.Random(3).shuffle(shuffled)
    code, bad, output = _train(tenant, _csv(tenant["dir"] / "shuffled.csv",
                                            [(t, s) for (t, _), s in zip(rows, shuffled, strict=True)]))
    assert code == 1 and bad["status"] == "candidate" and "kept as a candidate" in output
    assert _ask(url, "k-acme")["meta"]["model_version"] == first["version"]

    # a second good version, then back and forth
    code, second, output = _train(tenant, _csv(tenant["dir"] / "more.csv", _rows(40)))
    assert code == 0, output
    _served_within(url, "k-acme", second["version"])
    listed = json.loads(CliRunner().invoke(cli, ["models", "list", "--tenant", tenant["name"]]).output)
    assert [(v["version"], v["status"]) for v in listed] == [
        (second["version"], "active"), (bad["version"], "candidate"), (first["version"], "retired")]
    rolled = CliRunner().invoke(cli, ["models", "rollback", "--tenant", tenant["name"]])
    assert rolled.exit_code == 0 and json.loads(rolled.output)["version"] == first["version"]
    assert _served_within(url, "k-acme", first["version"]) < 2.5

    # a tampered artefact (of a version this server never loaded) is refused: the version served
    # before it keeps serving
    Path(bad["path"]).write_bytes(Path(bad["path"]).read_bytes()[:-10] + b"0123456789")
    promoted = CliRunner().invoke(cli, ["models", "promote", bad["version"], "--tenant", tenant["name"]])
    assert promoted.exit_code == 0
    time.sleep(1.3)
    assert _ask(url, "k-acme")["meta"]["model_version"] == first["version"]
    shown = CliRunner().invoke(cli, ["models", "show", "nope", "--tenant", tenant["name"]])
    assert shown.exit_code == 1 and "has no classify-lead model 'nope'" in shown.output


def test_unknown_tenants_and_a_running_training_are_refused(tenant: dict[str, Any]) -> None:
    data = _csv(tenant["dir"] / "leads.csv", _rows(6))
    unknown = CliRunner().invoke(cli, ["train", "classify-lead", "--tenant", "nobody", "--data", str(data)])
    assert unknown.exit_code == 1 and "unknown tenant 'nobody'" in unknown.output
    folder = load_settings().model_cache / "tenants" / tenant["name"] / "classify-lead"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".training.lock").open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        code, _, output = _train(tenant, data)
    assert code == 1 and "already running" in output, output


def test_synth_expands_a_tenants_own_rows(tenant: dict[str, Any]) -> None:
    data = _csv(tenant["dir"] / "few.csv", _rows(3))
    out = tenant["dir"] / "more.jsonl"
    result = CliRunner().invoke(cli, ["synth", "classify-lead", "--data", str(data), "--n", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    originals = [r for r in rows if not r.get("synthetic")]
    variants = [r for r in rows if r.get("synthetic")]
    assert len(originals) == 12 and len(variants) > 12 and {r["category"] for r in rows} == set(LABELS.values())
    assert all(v["category"] == originals[v["seed_index"]]["category"] for v in variants)
    assert not {v["text"] for v in variants} & {o["text"] for o in originals}


def test_the_embedding_head_scores_like_a_logistic_regression() -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from nodes.classify_lead.similarity import head_probabilities

    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 8)).astype(np.float32)
    for classes in (["a", "b"], ["a", "b", "c"]):
        y = [classes[i % len(classes)] for i in range(60)]
        fitted = LogisticRegression(max_iter=500).fit(x, y)
        head = {"labels": list(fitted.classes_), "coef": fitted.coef_, "intercept": fitted.intercept_}
        for row in x[:5]:
            ours = head_probabilities(head, row)
            theirs = dict(zip(fitted.classes_, fitted.predict_proba(row[None, :])[0], strict=True))
            assert all(abs(ours[k] - theirs[k]) < 1e-5 for k in classes)


def test_small_data_with_embeddings_weighs_examples_and_head_half_each() -> None:
    """Below 1,000 rows, with an embedder, the mix is fixed rather than chosen on fifths of a few rows (which
    picked noise); without an embedder, or with too few rows to hold a fifth out, it is still chosen."""
    from nodes.classify_lead import tenant_models
    from nodes.classify_lead.node import ClassifyLeadNode
    from tests.conftest import MODELS_DIR

    rows = [{"text": f"{label} {i}", "category": label} for label in ("quote", "claim") for i in range(2)]
    node = ClassifyLeadNode()
    with_embeddings = load_settings(env={}, models_dir=MODELS_DIR)
    assert tenant_models._choose_weights(node, with_embeddings, rows, [], ["claim", "quote"]) == \
        (0.5, 0.5)
    words_only = load_settings(env={"TZOMET_EMBEDDER": "off"}, models_dir=MODELS_DIR)
    assert tenant_models._choose_weights(node, words_only, rows, [], ["claim", "quote"]) == (0.5, 0.0)
