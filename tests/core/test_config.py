"""Configuration loading: env vars, the tenants file and its validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from nodes.core.config import ConfigError, hash_key, load_settings


def test_defaults_without_environment() -> None:
    s = load_settings(env={})
    assert s.engine == "local" and not s.auth_enabled
    assert s.max_body_bytes == 10 * 1024 * 1024 and s.max_upload_bytes == 25 * 1024 * 1024
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("var/tzomet.db")


def test_env_keys_are_hashed_not_kept() -> None:
    s = load_settings(env={"TZOMET_API_KEYS": " a1 , b2 "})
    assert s.auth_enabled
    assert s.tenants[0].key_hashes == (hash_key("a1"), hash_key("b2"))
    assert "a1" not in repr(s.tenants)


def test_config_file_tenants_and_options(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        'engine = "local"\n[actions.classify-lead]\nhandoff_threshold = 0.4\n'
        f'[[tenants]]\nname = "law-firm"\nkeys = ["{hash_key("x")}"]\nstore_bodies = false\n'
        '[tenants.options.classify-lead]\nhandoff_threshold = 0.6\n',
        encoding="utf-8",
    )
    s = load_settings(env={"TZOMET_CONFIG": str(cfg)})
    assert s.tenant("law-firm") is not None
    assert s.action_options("classify-lead", None) == {"handoff_threshold": 0.4}
    assert s.action_options("classify-lead", "law-firm") == {"handoff_threshold": 0.6}


@pytest.mark.parametrize(
    ("body", "needle"),
    [('[[tenants]]\nname = "a"\nkeys = ["plaintext-key"]\n', "tenants/0/keys/0"),
     ('colour = "red"\n', "colour"),
     ("not = [valid\n", "not valid")],
)
def test_bad_config_file_names_the_problem(tmp_path: Path, body: str, needle: str) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match="TZOMET_CONFIG") as err:
        load_settings(env={"TZOMET_CONFIG": str(cfg)})
    assert needle in str(err.value)


@pytest.mark.parametrize(("var", "value"), [("TZOMET_ENGINE", "gpt"), ("ZOHO_DC", "mars")])
def test_bad_env_values_are_named(var: str, value: str) -> None:
    with pytest.raises(ConfigError, match=var):
        load_settings(env={var: value})


@pytest.mark.parametrize(("body", "needle"), [
    ('engine = "llm"\n', "engine 'llm' needs an LLM"),
    ('[[tenants]]\nname = "a"\nengine = "hybrid"\n', "tenant a: answer-question: engine 'hybrid' needs an LLM"),
])
def test_settings_this_version_cannot_honour_are_refused(tmp_path: Path, body: str, needle: str) -> None:
    """A documented key is either honoured or refused at start, never silently ignored."""
    cfg = tmp_path / "c.toml"
    cfg.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=needle):
        load_settings(env={"TZOMET_CONFIG": str(cfg)})
    with pytest.raises(ConfigError, match="TZOMET_LLM_BASE_URL"):
        load_settings(env={"TZOMET_ENGINE": "llm"})


def test_models_dir_defaults_to_the_data_dir(tmp_path: Path) -> None:
    assert load_settings(env={"TZOMET_DATA_DIR": str(tmp_path)}).model_cache == tmp_path / "models"
    assert load_settings(env={"TZOMET_MODELS_DIR": str(tmp_path / "m")}).model_cache == tmp_path / "m"
