"""API keys and per-key rate limits.

Keys are stored hashed (``sha256:<hex>``); a presented key is hashed and compared with
every configured hash in constant time, so timing says nothing about which key is close.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from typing import Any

from nodes.core.config import Settings, Tenant, hash_key
from nodes.core.problems import Problem


def new_key() -> str:
    """Return a fresh random API key (``tz_`` + 43 URL-safe characters)."""
    return "tz_" + secrets.token_urlsafe(32)


def presented_key(headers: Any) -> str | None:
    """Return the key from ``Authorization: Bearer`` or ``X-API-Key``, if any."""
    auth = headers.get("Authorization", "")
    if auth[:7].lower() == "bearer ":
        return auth[7:].strip() or None
    key = headers.get("X-API-Key", "").strip()
    return key or None


class Authenticator:
    """Decides who is calling and whether they may call an action."""

    def __init__(self, settings: Settings, workers: int = 1) -> None:
        self.settings = settings
        self._entries = [(h, t) for t in settings.tenants for h in t.key_hashes]
        self._limiter = RateLimiter(workers)

    def authenticate(self, headers: Any) -> Tenant | None:
        """Return the caller's tenant (``None`` when auth is off); raise a 401 :class:`Problem`."""
        if not self._entries:
            return None
        key = presented_key(headers)
        challenge = {"WWW-Authenticate": 'Bearer realm="tzomet"'}
        if key is None:
            raise Problem(401, "An API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'.",
                          headers=challenge)
        digest = hash_key(key)
        found: Tenant | None = None
        for stored, tenant in self._entries:  # no early exit: constant time in the number of keys
            if hmac.compare_digest(stored, digest) and found is None:
                found = tenant
        if found is None:
            raise Problem(401, "The API key is not valid.", headers=challenge)
        return found

    def authorize(self, tenant: Tenant | None, action: str, key_id: str) -> None:
        """Raise 403 if ``tenant`` may not call ``action``, 429 if it is over its rate limit."""
        if tenant is None:
            return
        if tenant.actions is not None and action not in tenant.actions:
            raise Problem(403, f"This API key is not allowed to call {action}.")
        retry_after = self._limiter.hit(key_id, tenant.rate_limit_per_minute)
        if retry_after is not None:
            raise Problem(429, f"Rate limit of {tenant.rate_limit_per_minute} requests per minute exceeded.",
                          headers={"Retry-After": str(retry_after)})


class RateLimiter:
    """A token bucket per key, refilled continuously.

    Each gunicorn worker keeps its own buckets; the limit is divided between workers so
    the total over the service stays close to the configured one.
    """

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, key_id: str, per_minute: int) -> int | None:
        """Take one token; return ``None`` if allowed, else the seconds to wait."""
        capacity = max(1.0, per_minute / self.workers)
        rate = capacity / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return None
            self._buckets[key_id] = (tokens, now)
            return max(1, int((1.0 - tokens) / rate + 0.999))
