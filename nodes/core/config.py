"""Configuration: environment variables, an optional tenants file, and per-tenant options.

Everything that changes behaviour is set here, never by editing code. Environment
variables win over the config file (``TZOMET_CONFIG``, TOML or JSON), which wins over
defaults. The config file is validated with JSON Schema so a typo is a clear error at
start, not a surprise at request time.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema

MIB = 1024 * 1024


class ConfigError(ValueError):
    """The configuration cannot be used; the message says what to fix."""


def hash_key(key: str) -> str:
    """Return the stored form of an API key: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Tenant:
    """A customer of the service: its hashed keys, what it may call, its own options."""

    name: str
    key_hashes: tuple[str, ...] = ()
    #: allowed actions; ``None`` means every action
    actions: frozenset[str] | None = None
    rate_limit_per_minute: int = 600
    #: per-action options, e.g. {"classify-lead": {"categories": [...]}}
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: this tenant's engine (``None``: the service's)
    engine: str | None = None
    #: keep the text of the messages its answers were about (off by default: privacy), so that the
    #: corrections sent to /v1/feedback can train its model (``tzomet train --with-feedback``)
    store_bodies: bool = False


@dataclass(frozen=True)
class Settings:
    """The resolved configuration of one process."""

    data_dir: Path = Path("var")
    #: where trained models are cached (``None``: ``<data dir>/models``)
    models_dir: Path | None = None
    db_url: str | None = None
    #: the engine of the actions that have an LLM path (classify-lead): ``local``, ``llm`` or ``hybrid``
    engine: str = "local"
    #: the OpenAI-compatible chat endpoint (``…/v1``) and model of the llm and hybrid engines
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: str | None = field(default=None, repr=False)
    llm_timeout_s: float = 10.0
    #: rate limits counted in the store, one limit across every worker and instance (default: with PostgreSQL)
    rate_limit_shared: bool = False
    #: API keys named by tenants' ``llm_api_key_env`` options: variable name -> value (read at start)
    llm_keys: Mapping[str, str] = field(default_factory=dict, repr=False)
    #: sentence embeddings (custom labels by meaning): ``local`` (e5 in the wheel), ``remote`` or ``off``
    embedder: str = "local"
    #: the remote embedder's OpenAI-compatible base URL (``…/v1``), model and key
    embedder_url: str | None = None
    embedder_model: str = "multilingual-e5-small"
    embedder_api_key: str | None = field(default=None, repr=False)
    embedder_timeout_s: float = 5.0
    zoho_client_id: str | None = None
    zoho_client_secret: str | None = None
    zoho_refresh_token: str | None = None
    zoho_dc: str = "us"
    zoho_api_url: str | None = None
    zoho_accounts_url: str | None = None
    #: a HubSpot private app's access token (update-hubspot); never in the config file
    hubspot_token: str | None = field(default=None, repr=False)
    hubspot_api_url: str | None = None
    #: a Monday.com API token (update-monday); never in the config file
    monday_token: str | None = field(default=None, repr=False)
    monday_api_url: str | None = None
    monday_board_id: str | None = None
    # The limits of one request (see LIMITS below and docs/configuration.md).
    max_body_bytes: int = 10 * MIB
    max_upload_bytes: int = 25 * MIB
    max_docx_unpacked_bytes: int = 50 * MIB
    max_docx_xml_bytes: int = 20 * MIB
    max_docx_entries: int = 2000
    # 300,000 characters (about 110 pages) is where `make stress` finds no input over 1 s
    max_pdf_pages: int = 120
    max_document_chars: int = 300_000
    max_text_chars: int = 300_000
    max_batch_items: int = 100
    request_budget_s: float = 60.0
    #: how long the server waits for more of a request body before answering 408 (under gunicorn)
    body_timeout_s: float = 10.0
    tenants: tuple[Tenant, ...] = ()
    default_rate_limit_per_minute: int = 600
    enable_echo: bool = False
    #: options for every tenant (and for the keyless single-tenant setup)
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def auth_enabled(self) -> bool:
        """Whether any API key is configured (then every action call needs one)."""
        return any(t.key_hashes for t in self.tenants)

    @property
    def model_cache(self) -> Path:
        """Where trained models are cached: ``TZOMET_MODELS_DIR`` or ``<data dir>/models``."""
        return self.models_dir or self.data_dir / "models"

    @cached_property
    def database_url(self) -> str:
        """The store URL: ``TZOMET_DB_URL`` or SQLite in the data dir (resolved once: every answer's
        record names its store, and resolving a path asks the file system)."""
        return self.db_url or f"sqlite:///{(self.data_dir / 'tzomet.db').resolve()}"

    def tenant(self, name: str | None) -> Tenant | None:
        """Return the tenant called ``name`` (``None`` for no tenant)."""
        return next((t for t in self.tenants if t.name == name), None)

    def stores_bodies(self, tenant: str | None) -> bool:
        """Whether ``tenant`` keeps the text of the messages its answers were about (``store_bodies``)."""
        t = self.tenant(tenant)
        return bool(t is not None and t.store_bodies)

    def engine_for(self, action: str, tenant: str | None = None) -> str:
        """The engine of ``action`` for ``tenant``: its action option, else the tenant's, else the service's."""
        option = self.action_options(action, tenant).get("engine")
        t = self.tenant(tenant)
        return str(option or (t.engine if t is not None else None) or self.engine)

    def action_options(self, action: str, tenant: str | None = None) -> dict[str, Any]:
        """Options for ``action``: global ones overlaid with the tenant's own."""
        merged: dict[str, Any] = dict(self.options.get(action, {}))
        t = self.tenant(tenant)
        if t is not None:
            merged.update(t.options.get(action, {}))
        return merged


@dataclass(frozen=True)
class Limit:
    """A bound on what one request may make the service do, set by env var or config-file key.

    The default is the :class:`Settings` field's; the env var and the key give it in
    ``scale`` units (MiB for byte sizes). docs/configuration.md lists every limit with
    what happens when a request exceeds it.
    """

    setting: str
    env: str
    key: str
    scale: int = 1
    integer: bool = True
    maximum: int | None = None

    @property
    def default(self) -> int | float:
        """The default in the unit of the env var and the key."""
        value: int | float = getattr(Settings, self.setting)
        return value // self.scale if self.scale > 1 else value

    def schema(self) -> dict[str, Any]:
        """The JSON Schema of the config-file key."""
        schema: dict[str, Any] = {"type": "integer" if self.integer else "number", "exclusiveMinimum": 0}
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


#: every request limit, in one place
LIMITS: tuple[Limit, ...] = (
    Limit("max_body_bytes", "TZOMET_MAX_BODY_MIB", "max_body_mib", scale=MIB, integer=False),
    Limit("max_upload_bytes", "TZOMET_MAX_UPLOAD_MIB", "max_upload_mib", scale=MIB, integer=False),
    Limit("max_docx_unpacked_bytes", "TZOMET_MAX_DOCX_UNPACKED_MIB", "max_docx_unpacked_mib",
          scale=MIB, integer=False),
    Limit("max_docx_xml_bytes", "TZOMET_MAX_DOCX_XML_MIB", "max_docx_xml_mib", scale=MIB, integer=False),
    Limit("max_docx_entries", "TZOMET_MAX_DOCX_ENTRIES", "max_docx_entries"),
    Limit("max_pdf_pages", "TZOMET_MAX_PDF_PAGES", "max_pdf_pages"),
    Limit("max_document_chars", "TZOMET_MAX_DOCUMENT_CHARS", "max_document_chars"),
    Limit("max_text_chars", "TZOMET_MAX_TEXT_CHARS", "max_text_chars"),
    # The published batch schema says at most 100 items: the setting can only lower it.
    Limit("max_batch_items", "TZOMET_MAX_BATCH_ITEMS", "max_batch_items", maximum=100),
    Limit("request_budget_s", "TZOMET_REQUEST_BUDGET_S", "request_budget_s", integer=False),
    Limit("body_timeout_s", "TZOMET_BODY_TIMEOUT_S", "body_timeout_s", integer=False),
)


CONFIG_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "data_dir": {"type": "string"},
        "models_dir": {"type": "string"},
        "db_url": {"type": "string"},
        "engine": {"enum": ["local", "llm", "hybrid"]},
        "llm_base_url": {"type": "string", "pattern": "^https?://"},
        "llm_model": {"type": "string", "minLength": 1},
        "llm_timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 300},
        "embedder": {"enum": ["local", "remote", "off"]},
        "embedder_url": {"type": "string", "pattern": "^https?://"},
        "embedder_model": {"type": "string", "minLength": 1},
        "embedder_timeout_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 120},
        "rate_limit_per_minute": {"type": "integer", "minimum": 1},
        "rate_limit_shared": {"type": "boolean"},
        **{limit.key: limit.schema() for limit in LIMITS},
        "actions": {"type": "object", "additionalProperties": {"type": "object"}},
        "tenants": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 1, "pattern": "^[A-Za-z0-9_.-]+$"},
                    "keys": {
                        "type": "array",
                        "items": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
                    },
                    "actions": {"type": "array", "items": {"type": "string"}},
                    "rate_limit_per_minute": {"type": "integer", "minimum": 1},
                    "store_bodies": {"type": "boolean"},
                    "engine": {"enum": ["local", "llm", "hybrid"]},
                    "options": {"type": "object", "additionalProperties": {"type": "object"}},
                },
            },
        },
    },
}


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"TZOMET_CONFIG: cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"TZOMET_CONFIG: {path} is not valid {path.suffix or 'TOML'}: {exc}") from None
    errors = sorted(jsonschema.Draft202012Validator(CONFIG_SCHEMA).iter_errors(data), key=str)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise ConfigError(f"TZOMET_CONFIG: {path}: at {where}: {errors[0].message}")
    return dict(data)


#: the actions that have an LLM path; an ``engine`` option on another action is refused at start
LLM_ACTIONS = frozenset({"classify-lead", "summarize-conversation", "answer-question"})


def _shared_limits(env_value: str | None, file_value: Any, db_url: str | None) -> bool:
    """Whether rate limits are counted in the store: as set, else whenever the store is PostgreSQL
    (several instances share it; per-process shares would admit up to their sum)."""
    if env_value not in (None, ""):
        return _env_bool(env_value)
    if file_value is not None:
        return bool(file_value)
    return bool(db_url and db_url.startswith(("postgresql://", "postgres://")))


def _check_llm(values: Mapping[str, Any], tenants: list[Tenant], env: Mapping[str, str]) -> dict[str, str]:
    """Refuse an llm or hybrid engine with nowhere to send it, or named on an action without an LLM
    path; return the API keys that ``llm_api_key_env`` options name (variable name -> value)."""
    keys: dict[str, str] = {}
    shared: Mapping[str, Mapping[str, Any]] = values["options"]
    scopes: list[tuple[str, str | None, Mapping[str, Mapping[str, Any]]]] = [("TZOMET_CONFIG", None, {})]
    scopes += [(f"TZOMET_CONFIG: tenant {t.name}", t.engine, t.options) for t in tenants]
    for where, tenant_engine, own in scopes:
        for action in sorted(set(shared) | set(own) | LLM_ACTIONS):
            opts = {**shared.get(action, {}), **own.get(action, {})}
            engine = opts.get("engine") or tenant_engine or values["engine"]
            if engine not in {"local", "llm", "hybrid"}:
                raise ConfigError(f"{where}: {action}: engine must be local, llm or hybrid, not {engine!r}")
            if opts.get("engine") not in (None, "local") and action not in LLM_ACTIONS:
                raise ConfigError(f"{where}: {action}: engine = {engine!r}: this action has the local engine only "
                                  f"(an LLM path exists for {', '.join(sorted(LLM_ACTIONS))})")
            if name := opts.get("llm_api_key_env"):
                if not env.get(str(name)):
                    raise ConfigError(f"{where}: {action}: llm_api_key_env names {name}, which is not set")
                keys[str(name)] = env[str(name)]
            if engine != "local" and action in LLM_ACTIONS and not (
                    (opts.get("llm_base_url") or values["llm_base_url"])
                    and (opts.get("llm_model") or values["llm_model"])):
                raise ConfigError(f"{where}: {action}: engine {engine!r} needs an LLM: set TZOMET_LLM_BASE_URL (an "
                                  "OpenAI-compatible base URL ending in /v1) and TZOMET_LLM_MODEL, or llm_base_url "
                                  "and llm_model in its options")
    return keys


def _read_limit(limit: Limit, env: Mapping[str, str], file_data: Mapping[str, Any]) -> int | float:
    """The value of ``limit`` in :class:`Settings` units: env var, else config-file key, else default."""
    raw: Any = env.get(limit.env, "").strip()
    where = limit.env
    if not raw:
        raw, where = file_data.get(limit.key, limit.default), f"{limit.key} in TZOMET_CONFIG"
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not (0 < value < float("inf")) or (limit.integer and not value.is_integer()) or \
            (limit.maximum is not None and value > limit.maximum):
        kind = "a whole number" if limit.integer else "a number"
        most = f" and at most {limit.maximum}" if limit.maximum is not None else ""
        raise ConfigError(f"{where} must be {kind} above 0{most}, not {raw!r}")
    scaled = value * limit.scale
    return scaled if isinstance(getattr(Settings, limit.setting), float) else int(scaled)


def _env_bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_settings(env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build :class:`Settings` from the environment (``os.environ`` by default).

    Keyword ``overrides`` replace any field (tests and the CLI use them).
    Raises :class:`ConfigError` with a message naming the variable or file to fix.
    """
    env = os.environ if env is None else env
    file_data: dict[str, Any] = {}
    if env.get("TZOMET_CONFIG"):
        file_data = _read_config_file(Path(env["TZOMET_CONFIG"]))
    default_rate = int(file_data.get("rate_limit_per_minute", 600))

    tenants: list[Tenant] = []
    for t in file_data.get("tenants", []):
        tenants.append(
            Tenant(
                name=t["name"],
                key_hashes=tuple(t.get("keys", [])),
                actions=frozenset(t["actions"]) if "actions" in t else None,
                rate_limit_per_minute=int(t.get("rate_limit_per_minute", default_rate)),
                options=t.get("options", {}),
                engine=t.get("engine"),
                store_bodies=bool(t.get("store_bodies", False)),
            )
        )
    plain_keys = [k.strip() for k in env.get("TZOMET_API_KEYS", "").split(",") if k.strip()]
    if plain_keys:
        tenants.append(
            Tenant(
                name="default",
                key_hashes=tuple(hash_key(k) for k in plain_keys),
                rate_limit_per_minute=default_rate,
            )
        )

    def pick(var: str, file_value: Any = None, default: Any = None) -> Any:
        return env.get(var) or file_value or default

    engine = pick("TZOMET_ENGINE", file_data.get("engine"), "local")
    if engine not in {"local", "llm", "hybrid"}:
        raise ConfigError(f"TZOMET_ENGINE must be local, llm or hybrid, not {engine!r}")
    try:
        llm_timeout = float(pick("TZOMET_LLM_TIMEOUT_S", file_data.get("llm_timeout_s"), 10.0))
    except ValueError:
        raise ConfigError("TZOMET_LLM_TIMEOUT_S must be a number of seconds") from None
    embedder = pick("TZOMET_EMBEDDER", file_data.get("embedder"), "local")
    if embedder not in {"local", "remote", "off"}:
        raise ConfigError(f"TZOMET_EMBEDDER must be local, remote or off, not {embedder!r}")
    embedder_url = pick("TZOMET_EMBEDDER_URL", file_data.get("embedder_url"))
    if embedder == "remote" and not embedder_url:
        raise ConfigError("TZOMET_EMBEDDER=remote needs TZOMET_EMBEDDER_URL (an OpenAI-compatible base URL "
                          "ending in /v1)")
    try:
        embedder_timeout = float(pick("TZOMET_EMBEDDER_TIMEOUT_S", file_data.get("embedder_timeout_s"), 5.0))
    except ValueError:
        raise ConfigError("TZOMET_EMBEDDER_TIMEOUT_S must be a number of seconds") from None
    dc = pick("ZOHO_DC", None, "us").lower()
    if dc not in {"us", "eu", "in", "au", "cn", "jp", "ca", "sa"}:
        raise ConfigError(f"ZOHO_DC must be one of us, eu, in, au, cn, jp, ca, sa, not {dc!r}")

    values: dict[str, Any] = {
        "data_dir": Path(pick("TZOMET_DATA_DIR", file_data.get("data_dir"), "var")),
        "models_dir": Path(models) if (models := pick("TZOMET_MODELS_DIR", file_data.get("models_dir"))) else None,
        "db_url": pick("TZOMET_DB_URL", file_data.get("db_url")),
        "rate_limit_shared": _shared_limits(env.get("TZOMET_RATE_LIMIT_SHARED"), file_data.get("rate_limit_shared"),
                                            pick("TZOMET_DB_URL", file_data.get("db_url"))),
        "engine": engine,
        "llm_base_url": pick("TZOMET_LLM_BASE_URL", file_data.get("llm_base_url")),
        "llm_model": pick("TZOMET_LLM_MODEL", file_data.get("llm_model")),
        "llm_api_key": env.get("TZOMET_LLM_API_KEY"),  # never from the config file
        "llm_timeout_s": llm_timeout,
        "embedder": embedder,
        "embedder_url": embedder_url,
        "embedder_model": pick("TZOMET_EMBEDDER_MODEL", file_data.get("embedder_model"), "multilingual-e5-small"),
        "embedder_api_key": env.get("TZOMET_EMBEDDER_API_KEY"),  # never from the config file
        "embedder_timeout_s": embedder_timeout,
        "zoho_client_id": env.get("ZOHO_CLIENT_ID"),
        "zoho_client_secret": env.get("ZOHO_CLIENT_SECRET"),
        "zoho_refresh_token": env.get("ZOHO_REFRESH_TOKEN"),
        "zoho_dc": dc,
        "zoho_api_url": env.get("ZOHO_API_URL"),
        "zoho_accounts_url": env.get("ZOHO_ACCOUNTS_URL"),
        "hubspot_token": env.get("HUBSPOT_TOKEN"),
        "hubspot_api_url": env.get("HUBSPOT_API_URL"),
        "monday_token": env.get("MONDAY_TOKEN"),
        "monday_api_url": env.get("MONDAY_API_URL"),
        "monday_board_id": env.get("MONDAY_BOARD_ID"),
        "tenants": tuple(tenants),
        "default_rate_limit_per_minute": default_rate,
        "enable_echo": _env_bool(env.get("TZOMET_ENABLE_ECHO")),
        "options": file_data.get("actions", {}),
        **{limit.setting: _read_limit(limit, env, file_data) for limit in LIMITS},
    }
    values.update(overrides)
    if "llm_keys" not in overrides:
        values["llm_keys"] = _check_llm(values, tenants, env)
    return Settings(**values)
