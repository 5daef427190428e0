"""One client for any OpenAI-compatible chat endpoint: Mistral, OpenAI, Azure OpenAI, vLLM,
Ollama, llama.cpp's server, xllamacpp.

:meth:`LLMClient.answer` asks for a JSON object that follows a JSON schema — first as
``response_format: {"type": "json_schema", ...}`` (structured output), and when the server
refuses that (a 400 naming ``response_format``), as JSON mode (``{"type": "json_object"}``)
with the schema in the prompt — and validates the answer against the schema. Every failure
is an :class:`LLMUnavailable` with a short reason, which callers answer from the local engine:

* a timeout per attempt, and an overall deadline across attempts;
* bounded retries with exponential backoff on 429 and 5xx, honouring ``Retry-After``;
* a circuit breaker: after :attr:`LLMConfig.breaker_failures` failures in a row the endpoint
  is not called for :attr:`LLMConfig.breaker_cooldown_s` seconds (each call fails at once);
* a concurrency cap per tenant (:attr:`LLMConfig.max_concurrent` calls at once in a process):
  a call that finds its tenant's slots full fails rather than queues, so one tenant's burst
  never holds another's messages.

The API key is sent in the ``Authorization`` header and appears nowhere else: not in
errors, logs or ``repr``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import requests

from nodes.text.redact import Redacted, redact_pii

#: one line per LLM call: what was sent where, and what was redacted — never the text
audit = logging.getLogger("tzomet.llm")

#: the reasons an answer did not come (``meta.llm.error``), never with customer text
REASONS = ("timeout", "unreachable", "rate_limited", "server_error", "bad_request", "malformed", "schema",
           "circuit_open", "busy")


class LLMUnavailable(RuntimeError):
    """The LLM did not give a usable answer; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@dataclass(frozen=True)
class LLMConfig:
    """Where the LLM is and how long to wait for it. ``api_key`` is kept out of ``repr``."""

    base_url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 10.0
    max_retries: int = 2
    max_concurrent: int = 4
    breaker_failures: int = 5
    breaker_cooldown_s: float = 30.0
    temperature: float = 0.0
    max_tokens: int = 400


@dataclass(frozen=True)
class LLMAnswer:
    """A validated JSON answer and what it cost."""

    data: dict[str, Any]
    model: str
    tokens_in: int
    tokens_out: int
    latency_ms: float


@dataclass(frozen=True)
class Prompt:
    """A prompt file beside its node (``prompts/<name>.md``) and its version: a hash of its text."""

    text: str
    version: str

    @classmethod
    def load(cls, path: Path) -> Prompt:
        """Read ``path`` (UTF-8)."""
        text = path.read_text(encoding="utf-8")
        return cls(text, f"{path.stem}@{hashlib.sha256(text.encode()).hexdigest()[:8]}")

    def render(self, **values: str) -> str:
        """The prompt with ``{{name}}`` replaced by ``values[name]`` (no other syntax, so that
        braces in the prompt or in a tenant's label descriptions mean nothing)."""
        text = self.text
        for key, value in values.items():
            text = text.replace("{{" + key + "}}", value)
        return text


class _Breaker:
    """Open after ``failures`` failures in a row; closed again ``cooldown_s`` later (half-open:
    the next call tries, and its outcome decides)."""

    def __init__(self, failures: int, cooldown_s: float) -> None:
        self.failures, self.cooldown_s = failures, cooldown_s
        self.count = 0
        self.opened_at: float | None = None
        self.lock = threading.Lock()

    def allow(self) -> bool:
        with self.lock:
            if self.opened_at is None:
                return True
            if time.monotonic() - self.opened_at >= self.cooldown_s:
                self.opened_at = None  # half-open: one more try
                self.count = self.failures - 1
                return True
            return False

    def record(self, ok: bool) -> None:
        with self.lock:
            if ok:
                self.count, self.opened_at = 0, None
            else:
                self.count += 1
                if self.count >= self.failures:
                    self.opened_at = time.monotonic()


class LLMClient:
    """Calls one endpoint with one key (see the module docstring)."""

    def __init__(self, config: LLMConfig) -> None:
        self.config = config
        self.url = config.base_url.rstrip("/") + "/chat/completions"
        self._session = requests.Session()
        if config.api_key:
            self._session.headers["Authorization"] = f"Bearer {config.api_key}"
        self._slots: dict[str | None, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()
        self._breaker = _Breaker(config.breaker_failures, config.breaker_cooldown_s)
        #: False once the server refused structured output: JSON mode from then on
        self._json_schema = True

    def answer(self, system: str, user: str, schema: dict[str, Any], name: str = "answer",
               tenant: str | None = None) -> LLMAnswer:
        """The model's JSON answer to ``user`` under ``system``, valid against ``schema``."""
        if not self._breaker.allow():
            raise LLMUnavailable("circuit_open", f"{self.config.breaker_failures} failures in a row")
        with self._slots_lock:
            slots = self._slots.setdefault(tenant, threading.BoundedSemaphore(self.config.max_concurrent))
        if not slots.acquire(blocking=False):
            raise LLMUnavailable("busy", f"{self.config.max_concurrent} calls of this tenant already running")
        try:
            result = self._with_retries(system, user, schema, name)
        except LLMUnavailable:
            self._breaker.record(False)
            raise
        finally:
            slots.release()
        self._breaker.record(True)
        return result

    def _with_retries(self, system: str, user: str, schema: dict[str, Any], name: str) -> LLMAnswer:
        deadline = time.monotonic() + self.config.timeout_s * (self.config.max_retries + 1)
        delay = 0.5
        for attempt in range(self.config.max_retries + 1):
            try:
                return self._once(system, user, schema, name, deadline)
            except _Retry as retry:
                wait = retry.after if retry.after is not None else delay
                if attempt == self.config.max_retries or time.monotonic() + wait >= deadline:
                    raise LLMUnavailable(retry.reason, f"after {attempt + 1} attempts") from None
                time.sleep(wait)
                delay *= 2
        raise AssertionError("unreachable")

    def _body(self, system: str, user: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        body: dict[str, Any] = {"model": self.config.model, "messages": messages, "stream": False,
                                "temperature": self.config.temperature, "max_tokens": self.config.max_tokens}
        if self._json_schema:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": name, "schema": schema, "strict": True}}
        else:
            messages[0]["content"] = (f"{system}\n\nAnswer with one JSON object, nothing else, valid against "
                                      f"this JSON schema:\n{json.dumps(schema, ensure_ascii=False)}")
            body["response_format"] = {"type": "json_object"}
        return body

    def _once(self, system: str, user: str, schema: dict[str, Any], name: str, deadline: float) -> LLMAnswer:
        timeout = max(0.05, min(self.config.timeout_s, deadline - time.monotonic()))
        started = time.perf_counter()
        try:
            resp = self._session.post(self.url, json=self._body(system, user, schema, name), timeout=timeout)
        except requests.Timeout:
            raise LLMUnavailable("timeout", f"no answer within {timeout:.1f} s") from None
        except requests.ConnectionError:
            raise _Retry("unreachable", None) from None  # refused or reset: worth another try
        except requests.RequestException as exc:  # a body cut mid-way, a bad URL
            raise LLMUnavailable("unreachable", type(exc).__name__) from None
        if resp.status_code == 400 and self._json_schema and "response_format" in resp.text:
            self._json_schema = False  # this server has JSON mode only
            return self._once(system, user, schema, name, deadline)
        if resp.status_code == 429:
            raise _Retry("rate_limited", _retry_after(resp))
        if resp.status_code >= 500:
            raise _Retry("server_error", _retry_after(resp))
        if resp.status_code != 200:
            raise LLMUnavailable("bad_request", f"HTTP {resp.status_code}")
        latency = (time.perf_counter() - started) * 1000
        try:
            payload = resp.json()
            content = payload["choices"][0]["message"]["content"]
            data = json.loads(content)
        except (ValueError, KeyError, IndexError, TypeError):
            raise LLMUnavailable("malformed", "the answer is not a chat completion holding JSON") from None
        if not isinstance(data, dict):
            raise LLMUnavailable("schema", "the answer is not a JSON object")
        try:
            jsonschema.validate(data, schema)
        except jsonschema.ValidationError as err:
            raise LLMUnavailable("schema", err.message[:200]) from None
        usage = payload.get("usage") or {}
        return LLMAnswer(data, str(payload.get("model") or self.config.model), int(usage.get("prompt_tokens") or 0),
                         int(usage.get("completion_tokens") or 0), round(latency, 1))


class _Retry(Exception):
    def __init__(self, reason: str, after: float | None) -> None:
        super().__init__(reason)
        self.reason, self.after = reason, after


def _retry_after(resp: requests.Response) -> float | None:
    try:
        return max(0.0, min(float(resp.headers.get("Retry-After", "")), 60.0))
    except ValueError:
        return None


def config_for(settings: Any, options: Mapping[str, Any]) -> LLMConfig:
    """The LLM of an action's options for a tenant (``llm_base_url``, ``llm_model``,
    ``llm_api_key_env``, ``llm_timeout_s``), else the service's ``TZOMET_LLM_*`` (``settings``
    is a :class:`nodes.core.config.Settings`)."""
    key_env = options.get("llm_api_key_env")
    return LLMConfig(
        base_url=str(options.get("llm_base_url") or settings.llm_base_url),
        model=str(options.get("llm_model") or settings.llm_model),
        api_key=settings.llm_keys.get(str(key_env)) if key_env else settings.llm_api_key,
        timeout_s=float(options.get("llm_timeout_s") or settings.llm_timeout_s),
    )


@dataclass(frozen=True)
class LLMResult:
    """What one call gave: the answer (``None`` when it failed, ``error`` then says why), and the
    redaction it was sent under (to put placeholders in the answer back)."""

    answer: LLMAnswer | None
    error: str | None
    redacted: Redacted | None
    prompt: str

    def restore(self, value: str) -> str:
        """``value`` with the personal data the placeholders stand for put back."""
        return self.redacted.restore(value) if self.redacted is not None else value

    def meta(self) -> dict[str, Any]:
        """``meta.llm``: model, tokens, latency and prompt version; or the error."""
        if self.answer is None:
            return {"error": self.error, "prompt": self.prompt}
        a = self.answer
        return {"model": a.model, "tokens_in": a.tokens_in, "tokens_out": a.tokens_out,
                "latency_ms": a.latency_ms, "prompt": self.prompt}


def ask(settings: Any, options: Mapping[str, Any], prompt: Prompt, system: str, text: str, schema: dict[str, Any],
        *, name: str, names: Sequence[str] = (), tenant: str | None = None, action: str = "-",
        engine: str = "-") -> LLMResult:
    """Send ``text`` to the LLM of ``options`` (else the service's: :func:`config_for`) under ``system``
    (the rendered ``prompt``) — personal data redacted unless the options say ``redact_pii = false`` —
    and return the validated answer or the reason there is none. Writes one audit line on the
    ``tzomet.llm`` logger: tenant, action, engine, model, the kinds and counts redacted, a hash of
    the text, tokens, latency and the outcome — never the text or the key."""
    config = config_for(settings, options)
    redacted = redact_pii(text, names) if options.get("redact_pii", True) is not False else None
    answer: LLMAnswer | None = None
    error: str | None = None
    try:
        answer = client_for(config).answer(system, redacted.text if redacted else text, schema, name, tenant)
    except LLMUnavailable as err:
        error = err.reason
    audit.info(
        "tenant=%s action=%s engine=%s model=%s redacted=%s text_sha256=%s tokens_in=%s tokens_out=%s ms=%s "
        "outcome=%s",
        tenant or "-", action, engine, config.model,
        ",".join(f"{k}:{v}" for k, v in sorted(redacted.kinds.items())) if redacted else "off",
        hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16],
        answer.tokens_in if answer else 0, answer.tokens_out if answer else 0, answer.latency_ms if answer else 0,
        error or "ok",
    )
    return LLMResult(answer, error, redacted, prompt.version)


_CLIENTS: dict[LLMConfig, LLMClient] = {}
_CLIENTS_LOCK = threading.Lock()


def client_for(config: LLMConfig) -> LLMClient:
    """One client per configuration in a process (its breaker and concurrency cap are shared)."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(config)
        if client is None:
            client = _CLIENTS[config] = LLMClient(config)
        return client
