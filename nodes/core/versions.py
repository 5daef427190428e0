"""A tenant's model versions: every training run recorded, one active, promotion and rollback.

Each version is a row of the store (``tz_models``: SQLite by default, PostgreSQL at scale) —
tenant, action, version id, status (``candidate``, ``active``, ``retired``), when it was made
and promoted, its artefact's path and sha256, and what it was trained on and scored (``info``:
data hash and rows, labels, metrics, code version). The artefact sits in the models directory;
its sha256 is checked before it is served (:func:`verified_path`), so a file changed on disk is
refused and the version served before it keeps serving.

Every worker asks the store for the active version at most once per :data:`REFRESH_S` seconds
(:class:`ActiveVersions`), so a promotion or a rollback is served everywhere within that, with
no restart.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nodes.core.store import Store

#: how stale a worker's idea of a tenant's active version may be
REFRESH_S = 1.0


@dataclass(frozen=True)
class ModelVersion:
    """One recorded training run."""

    tenant: str
    action: str
    version: str
    status: str
    created_at: float
    promoted_at: float | None
    path: str
    sha256: str
    info: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        """What ``tzomet models list`` shows."""
        metrics = self.info.get("metrics", {})
        return {"version": self.version, "status": self.status,
                "created": time.strftime("%Y-%m-%d %H:%M", time.gmtime(self.created_at)),
                "rows": self.info.get("rows"), "labels": len(self.info.get("labels", {})),
                "macro_f1": metrics.get("macro_f1"), "handoff_recall": metrics.get("handoff_recall")}


class VersionError(LookupError):
    """An unknown tenant or version, or nothing to roll back to."""


def file_sha256(path: Path) -> str:
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _version(tenant: str, action: str, row: tuple[Any, ...]) -> ModelVersion:
    version, status, created, promoted, path, sha, info = row
    return ModelVersion(tenant, action, str(version), str(status), float(created),
                        float(promoted) if promoted is not None else None, str(path), str(sha), json.loads(info))


def versions(store: Store, tenant: str, action: str) -> list[ModelVersion]:
    """Every version of a tenant's models of ``action``, newest first."""
    return [_version(tenant, action, row) for row in store.model_rows(tenant, action)]


def get(store: Store, tenant: str, action: str, version: str) -> ModelVersion:
    rows = store.model_rows(tenant, action, version)
    if not rows:
        raise VersionError(f"tenant {tenant!r} has no {action} model {version!r}")
    return _version(tenant, action, rows[0])


def active(store: Store, tenant: str, action: str) -> ModelVersion | None:
    return next((v for v in versions(store, tenant, action) if v.status == "active"), None)


def record(store: Store, tenant: str, action: str, version: str, path: Path, info: dict[str, Any]) -> ModelVersion:
    """Record the artefact at ``path`` (hashed now) as a candidate version."""
    store.model_add(tenant, action, version, str(path), file_sha256(path), info, time.time())
    return get(store, tenant, action, version)


def promote(store: Store, tenant: str, action: str, version: str) -> ModelVersion:
    """Make ``version`` active; the active one before it is retired."""
    get(store, tenant, action, version)  # names an unknown version
    store.model_activate(tenant, action, version, time.time())
    return get(store, tenant, action, version)


def rollback(store: Store, tenant: str, action: str) -> ModelVersion:
    """Re-activate the version that was active before the current one."""
    previous = sorted((v for v in versions(store, tenant, action) if v.status == "retired" and v.promoted_at),
                      key=lambda v: v.promoted_at or 0.0, reverse=True)
    if not previous:
        raise VersionError(f"tenant {tenant!r} has no earlier {action} model to roll back to")
    return promote(store, tenant, action, previous[0].version)


def verified_path(version: ModelVersion) -> Path:
    """The artefact's path, after checking its sha256; ``ValueError`` when the file changed or is gone."""
    path = Path(version.path)
    if not path.exists() or file_sha256(path) != version.sha256:
        raise ValueError(f"the artefact of {version.tenant}/{version.action} {version.version} is missing or "
                         "does not match its sha256; it is not loaded")
    return path


class ActiveVersions:
    """Each tenant's active version of one action, read from the store at most every :data:`REFRESH_S`."""

    def __init__(self, action: str) -> None:
        self.action = action
        self._seen: dict[str, tuple[float, ModelVersion | None]] = {}
        self._lock = threading.Lock()

    def get(self, store: Store, tenant: str) -> ModelVersion | None:
        now = time.monotonic()
        with self._lock:
            cached = self._seen.get(tenant)
        if cached is not None and now - cached[0] < REFRESH_S:
            return cached[1]
        current = active(store, tenant, self.action)
        with self._lock:
            self._seen[tenant] = (now, current)
        return current
