"""API keys and per-key rate limits.

Keys are stored hashed (``sha256:<hex>``); a presented key is hashed and compared with
every configured hash in constant time, so timing says nothing about which key is close.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import threading
import time
from typing import Any

from nodes.core.config import Settings, Tenant, hash_key
from nodes.core.problems import Problem
from nodes.core.store import StoreError, open_store

log = logging.getLogger("tzomet")


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
        self._limiter: RateLimiter | SharedRateLimiter = (
            SharedRateLimiter(settings.database_url, RateLimiter(workers)) if settings.rate_limit_shared
            else RateLimiter(workers))

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

    def authorize(self, tenant: Tenant | None, action: str) -> None:
        """Raise 403 if ``tenant`` may not call ``action``."""
        if tenant is not None and tenant.actions is not None and action not in tenant.actions:
            raise Problem(403, f"This API key is not allowed to call {action}.")

    def charge(self, tenant: Tenant | None, key_id: str, cost: int = 1) -> None:
        """Take ``cost`` tokens (one per action run: a batch's item count) or raise 429.

        A refused call takes nothing, so a batch over the limit runs none of its items.
        """
        if tenant is None:
            return
        limit = tenant.rate_limit_per_minute
        retry_after = self._limiter.hit(key_id, limit, cost)
        if retry_after is None:
            return
        headers = {"Retry-After": str(retry_after)}
        capacity = self._limiter.capacity(limit)
        if cost > capacity:
            raise Problem(429, f"A batch of {cost} items is more than the rate limit of {limit} requests per "
                               f"minute allows at once ({capacity} per batch here); send smaller batches.",
                          headers=headers)
        what = f"This batch of {cost} items" if cost > 1 else "This request"
        raise Problem(429, f"Rate limit of {limit} requests per minute exceeded "
                           f"(a batch counts one per item). {what} fits in {retry_after} s.", headers=headers)


class RateLimiter:
    """A token bucket per key, refilled continuously.

    Each gunicorn worker keeps its own buckets; the limit is divided between workers so
    the total over the service stays close to the configured one.
    """

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def capacity(self, per_minute: int) -> int:
        """The most tokens one bucket holds (this worker's share of ``per_minute``)."""
        return int(max(1.0, per_minute / self.workers))

    def hit(self, key_id: str, per_minute: int, cost: int = 1) -> int | None:
        """Take ``cost`` tokens; return ``None`` if allowed, else the seconds until they are there.

        When ``cost`` is more than the bucket holds, the wait is until it is full.
        """
        capacity = max(1.0, per_minute / self.workers)
        rate = capacity / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key_id, (capacity, now))
            tokens = min(capacity, tokens + (now - last) * rate)
            if tokens >= cost:
                self._buckets[key_id] = (tokens - cost, now)
                return None
            self._buckets[key_id] = (tokens, now)
            return max(1, int((min(float(cost), capacity) - tokens) / rate + 0.999))


class SharedRateLimiter:
    """One limit for every worker of every instance: the GCRA state of each key lives in the store
    (PostgreSQL when several instances share it), one atomic statement per request.

    A key's limit of ``per_minute`` admits ``per_minute`` requests at once and then one every
    ``60 / per_minute`` seconds, whichever worker or instance they reach. When the store cannot
    answer, the worker falls back to its own share of the limit (:class:`RateLimiter`) and logs it.
    """

    def __init__(self, url: str, fallback: RateLimiter) -> None:
        self.url = url
        self.fallback = fallback

    def capacity(self, per_minute: int) -> int:
        """The most tokens one call may take: the whole limit."""
        return max(1, per_minute)

    def hit(self, key_id: str, per_minute: int, cost: int = 1) -> int | None:
        """Take ``cost`` tokens; ``None`` if allowed, else the whole seconds until they are there."""
        interval = 60.0 / max(1, per_minute)
        try:
            wait = open_store(self.url).rate_take(f"key:{key_id}", time.time(), cost * interval, 60.0)
        except StoreError as err:
            log.warning("shared rate limit unavailable, limiting this worker alone: %s", err)
            return self.fallback.hit(key_id, per_minute, cost)
        return None if wait is None else max(1, int(wait + 0.999))

