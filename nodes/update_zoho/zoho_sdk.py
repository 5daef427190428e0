"""The one module that talks to Zoho CRM, through Zoho's SDK ``zohocrmsdk8-0`` (API v8).

Nothing else in Tzomet imports the SDK: this adapter turns plain dicts into SDK objects
and SDK answers and exceptions into :class:`WriteResult`, :class:`FieldInfo` and the
three error kinds the writer acts on (:class:`ZohoTransient`, :class:`ZohoRejected`,
:class:`ZohoAuthError`). Why this SDK and not ``zcrmsdk`` 3.1: see docs/update-zoho.md.

SDK hygiene, as the SDK needs it in a server:

- Initialised lazily in the process that uses it (after gunicorn's fork), on the writer
  thread; a failed initialisation (Zoho down) is retried on the next attempt.
- The SDK keeps process-global state; several clients in one process (tests) each bind
  their own ``Initializer`` to the calling thread before every call.
- Timeouts: SDK 7.0.0 passes ``SDKConfig``'s timeouts to GET requests only, and its token
  refresh uses none. The SDK modules' ``requests`` is replaced by a shim that adds the
  configured (connect, read) timeouts to every call and reuses connections per thread.
- Tokens live in the service's store (:class:`SharedTokenStore`), shared by every worker
  process: one refresh serves them all (Zoho allows 10 refreshes per 10 minutes). The
  refresh token and client secret are never stored; they come from the environment.
- ``INVALID_TOKEN`` (a token revoked or expired early): drop the token and retry once.
- The field metadata (and the SDK's own field cache, kept in a per-process directory so
  processes never share a half-written file) is warmed at initialisation; the directories
  of processes that no longer exist are removed then.
- The SDK's logger is silenced: it would log URLs with search parameters. This module
  logs outcomes only, never record values or tokens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from zohocrmsdk.src.com.zoho.api.authenticator import oauth_token as _sdk_oauth_module
from zohocrmsdk.src.com.zoho.api.authenticator.oauth_token import OAuthToken
from zohocrmsdk.src.com.zoho.api.authenticator.store.token_store import TokenStore
from zohocrmsdk.src.com.zoho.api.logger import Logger
from zohocrmsdk.src.com.zoho.crm.api import ParameterMap
from zohocrmsdk.src.com.zoho.crm.api import notes as sdk_notes
from zohocrmsdk.src.com.zoho.crm.api.dc import (
    AUDataCenter,
    CADataCenter,
    CNDataCenter,
    EUDataCenter,
    INDataCenter,
    JPDataCenter,
    SADataCenter,
    USDataCenter,
)
from zohocrmsdk.src.com.zoho.crm.api.dc.data_center import DataCenter
from zohocrmsdk.src.com.zoho.crm.api.exception import SDKException
from zohocrmsdk.src.com.zoho.crm.api.fields import FieldsOperations, GetFieldsParam
from zohocrmsdk.src.com.zoho.crm.api.fields import ResponseWrapper as FieldsResponse
from zohocrmsdk.src.com.zoho.crm.api.initializer import Initializer
from zohocrmsdk.src.com.zoho.crm.api.modules.minified_module import MinifiedModule
from zohocrmsdk.src.com.zoho.crm.api.record import BodyWrapper, Record, RecordOperations
from zohocrmsdk.src.com.zoho.crm.api.sdk_config import SDKConfig
from zohocrmsdk.src.com.zoho.crm.api.user_signature import UserSignature
from zohocrmsdk.src.com.zoho.crm.api.users.minified_user import MinifiedUser
from zohocrmsdk.src.com.zoho.crm.api.util import Choice, Utility
from zohocrmsdk.src.com.zoho.crm.api.util import api_http_connector as _sdk_http_module

from nodes.core.store import Store, StoreError

log = logging.getLogger("tzomet.zoho")

SDK_NAME = "zohocrmsdk8-0"

_DATA_CENTERS: dict[str, Any] = {
    "us": USDataCenter, "eu": EUDataCenter, "in": INDataCenter, "au": AUDataCenter,
    "cn": CNDataCenter, "jp": JPDataCenter, "ca": CADataCenter, "sa": SADataCenter,
}


# --- errors the writer acts on ------------------------------------------------------------------
class ZohoError(Exception):
    """Base of every error this adapter raises. ``reason`` is safe to show and to log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class ZohoTransient(ZohoError):
    """Zoho is down, slow or rate limiting: try again later (``retry_after`` seconds if Zoho said)."""

    def __init__(self, reason: str, *, retry_after: float | None = None, timeout: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.timeout = timeout


class ZohoRejected(ZohoError):
    """Zoho (or the field metadata) rejected the data; retrying the same data cannot help.

    ``errors`` is ``[{"loc": "<Zoho field API name>", "msg": ...}]``; ``code`` Zoho's code.
    """

    def __init__(self, reason: str, errors: list[dict[str, str]], code: str = "INVALID_DATA") -> None:
        super().__init__(reason)
        self.errors = errors
        self.code = code


class ZohoAuthError(ZohoError):
    """Zoho refused the credentials or their scope; an operator has to fix the configuration."""


# --- results -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldInfo:
    """What the org says about one field of a module."""

    api_name: str
    data_type: str
    label: str
    mandatory: bool = False
    read_only: bool = False
    length: int | None = None
    #: allowed values of a picklist / multi-select picklist (``None`` for other types)
    picklist: tuple[str, ...] | None = None
    lookup_module: str | None = None
    #: "Do not allow duplicate values": a field an upsert can find a record by
    unique: bool = False


@dataclass(frozen=True)
class WriteResult:
    """The outcome of one upsert or create."""

    record_id: str
    action: str  # insert | update
    duplicate_field: str | None = None


@dataclass(frozen=True)
class ZohoConfig:
    """How to reach Zoho; built from :class:`nodes.core.config.Settings` and the action options."""

    client_id: str
    client_secret: str
    refresh_token: str
    dc: str = "us"
    api_url: str | None = None
    accounts_url: str | None = None
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0
    fields_ttl_s: float = 3600.0
    resource_dir: Path = Path("var/zoho-sdk")

    def environment(self) -> Any:
        """The SDK ``Environment``: the data center's, with ``api_url``/``accounts_url`` overrides."""
        dc = _DATA_CENTERS[self.dc].PRODUCTION()
        api = (self.api_url or dc.url).rstrip("/")
        accounts = self.accounts_url or dc.accounts_url
        return DataCenter.Environment(api, accounts, self.api_url or dc.file_upload_url)

    @property
    def token_key(self) -> str:
        """Where the shared access token is stored: a hash, so the refresh token never is."""
        digest = hashlib.sha256(f"{self.client_id}\0{self.refresh_token}\0{self.environment().accounts_url}"
                                .encode()).hexdigest()[:32]
        return f"zoho-token:{digest}"


# --- timeouts and connection reuse for the SDK's HTTP calls ---------------------------------------
_tls = threading.local()


class _RequestsWithTimeouts:
    """Stands in for ``requests`` inside the SDK: adds timeouts, reuses one session per thread."""

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)

    @staticmethod
    def _session() -> requests.Session:
        session = getattr(_tls, "session", None)
        if session is None:
            session = _tls.session = requests.Session()
        return session

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = getattr(_tls, "timeout", (5.0, 30.0))
        if kwargs.get("proxies") is None:
            kwargs.pop("proxies", None)
        _tls.last_status = None
        response = self._session().request(method, url, **kwargs)
        _tls.last_status = response.status_code
        return response

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", url, **kwargs)


_sdk_http_module.requests = _RequestsWithTimeouts()  # type: ignore[attr-defined]
_sdk_oauth_module.requests = _RequestsWithTimeouts()  # type: ignore[attr-defined]
_sdk_logger = logging.getLogger("SDKLogger")
_sdk_logger.setLevel(logging.CRITICAL + 1)
_sdk_logger.propagate = False
_INIT_LOCK = threading.Lock()


# --- the token store shared by every process -----------------------------------------------------
class SharedTokenStore(TokenStore):  # type: ignore[misc]
    """An SDK ``TokenStore`` kept in Tzomet's store (SQLite or PostgreSQL), safe across processes.

    Holds the access token, its expiry and the user name; never the refresh token or the
    client secret. A process whose own token is older picks up a newer one another process
    stored, so the workers share refreshes.
    """

    def __init__(self, store: Store, key: str) -> None:
        self.store = store
        self.key = key

    def _read(self) -> dict[str, Any] | None:
        try:
            data = self.store.kv_get(self.key)
        except StoreError:
            return None
        return data if isinstance(data, dict) and data.get("access_token") else None

    def find_token(self, token: Any) -> Any:
        data = self._read()
        if data is None or not isinstance(token, OAuthToken):
            return None
        mine = int(token.get_expires_in() or 0)
        theirs = int(data.get("expires_in") or 0)
        if token.get_access_token() is None or theirs > mine:
            token.set_access_token(data["access_token"])
            token.set_expires_in(str(theirs))
        if token.get_user_signature() is None and data.get("user_name"):
            token.set_user_signature(UserSignature(data["user_name"]))
        return token

    def save_token(self, token: Any) -> None:
        if not isinstance(token, OAuthToken) or not token.get_access_token():
            return
        signature = token.get_user_signature()
        try:
            self.store.kv_set(self.key, {
                "access_token": token.get_access_token(),
                "expires_in": str(token.get_expires_in() or ""),
                "user_name": signature.get_name() if signature is not None else None,
            })
        except StoreError:
            log.warning("zoho token could not be saved to the store; it stays in memory")

    def forget(self, access_token: str | None) -> None:
        """Drop the stored token if it is still ``access_token`` (another process may have replaced it)."""
        data = self._read()
        if data is not None and (access_token is None or data.get("access_token") == access_token):
            with contextlib.suppress(StoreError):
                self.store.kv_delete(self.key, only_if=data)

    def delete_token(self, id: Any) -> None:
        self.forget(None)

    def get_tokens(self) -> list[Any]:
        return []

    def delete_tokens(self) -> None:
        self.forget(None)

    def find_token_by_id(self, id: Any) -> Any:
        return None


# --- the client ----------------------------------------------------------------------------------
def _choice_value(value: Any) -> Any:
    return value.get_value() if isinstance(value, Choice) else value


def _retry_after(headers: Any) -> float | None:
    try:
        raw = (headers or {}).get("Retry-After")
        return max(0.0, float(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None


def _zoho_id(value: Any, loc: str) -> int:
    raw = value.get("id") if isinstance(value, dict) else value
    text = str(raw).strip() if raw is not None else ""
    if not text.isdigit():
        raise ZohoRejected(f"{loc} must be a Zoho record id",
                           [{"loc": loc, "msg": "expected a Zoho record id (digits)"}])
    return int(text)


def _process_exists(pid: int) -> bool:
    """Whether a process with this id is running on this machine (signal 0 checks without signalling)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_resource_dirs(root: Path) -> list[Path]:
    """Delete the ``pid-<n>`` SDK resource dirs under ``root`` whose process no longer exists; return them.

    Every worker process ever started leaves one (the SDK's field cache); without this they pile
    up across restarts. A live process's dir, this one's included, is left alone.
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    for path in root.glob("pid-*"):
        pid = path.name.removeprefix("pid-")
        if not pid.isdigit() or int(pid) == os.getpid() or _process_exists(int(pid)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    if removed:
        log.info("removed %d zoho sdk resource dirs of processes that are gone", len(removed))
    return removed


class ZohoClient:
    """Zoho CRM operations for one configuration (one org). Methods are safe from any thread.

    Raises :class:`ZohoTransient`, :class:`ZohoRejected` or :class:`ZohoAuthError`, never an
    SDK exception.
    """

    def __init__(self, config: ZohoConfig, store: Store) -> None:
        self.config = config
        self.tokens = SharedTokenStore(store, config.token_key)
        self._initializer: Any = None
        self._token: OAuthToken | None = None
        self._lock = threading.RLock()
        self._fields: dict[str, tuple[float, dict[str, FieldInfo]]] = {}
        self._resource_dir = config.resource_dir / f"pid-{os.getpid()}"

    # --- lifecycle ---
    @property
    def initialized(self) -> bool:
        """Whether the SDK has been initialised (a token obtained) in this process."""
        return self._initializer is not None

    def _bind(self) -> None:
        """Make this client's SDK state the calling thread's."""
        Initializer.LOCAL.init = self._initializer
        _tls.timeout = (self.config.connect_timeout_s, self.config.read_timeout_s)

    def _initialize(self) -> None:
        if self._initializer is not None:
            self._bind()
            return
        remove_stale_resource_dirs(self.config.resource_dir)
        shutil.rmtree(self._resource_dir, ignore_errors=True)  # a dead process's cache under a reused pid
        self._resource_dir.mkdir(parents=True, exist_ok=True)
        token = OAuthToken(client_id=self.config.client_id, client_secret=self.config.client_secret,
                           refresh_token=self.config.refresh_token)
        sdk_config = SDKConfig(auto_refresh_fields=False, pick_list_validation=False,
                               connect_timeout=self.config.connect_timeout_s, read_timeout=self.config.read_timeout_s)
        _tls.timeout = (self.config.connect_timeout_s, self.config.read_timeout_s)
        with _INIT_LOCK:
            Initializer.LOCAL.init = None  # initialise against our environment, not another client's
            try:
                Initializer.initialize(environment=self.config.environment(), token=token, store=self.tokens,
                                       sdk_config=sdk_config, resource_path=str(self._resource_dir),
                                       logger=Logger.get_instance(Logger.Levels.NOTSET, None))
            except SDKException as exc:
                raise self._translate(exc, "initialising the SDK") from None
            except requests.RequestException as exc:
                raise self._network(exc) from None
            self._initializer = Initializer.get_initializer()
            self._token = token
            Initializer.LOCAL.init = self._initializer
        _sdk_logger.setLevel(logging.CRITICAL + 1)
        log.info("zoho sdk initialised (%s, api %s)", SDK_NAME, self.config.environment().url)

    def warm(self, modules: list[str]) -> None:
        """Initialise and load the field metadata of ``modules`` (ours and the SDK's cache)."""
        with self._lock:
            for module in modules:
                self.fields(module)
                self._call(lambda m=module: Utility.get_fields(m), f"loading {module} fields", check=False)

    # --- calls ---
    def _network(self, exc: BaseException) -> ZohoTransient:
        if isinstance(exc, requests.Timeout):
            return ZohoTransient("Zoho did not answer in time", timeout=True)
        if isinstance(exc, requests.ConnectionError):
            return ZohoTransient("Zoho is unreachable (connection failed)")
        if isinstance(exc, requests.JSONDecodeError | ValueError):
            status = getattr(_tls, "last_status", None)
            return ZohoTransient(f"Zoho answered {status or 'something'} that is not JSON (down for maintenance?)")
        return ZohoTransient(f"Zoho request failed ({type(exc).__name__})")

    def _translate(self, exc: SDKException, doing: str, loc_prefix: str = "record.") -> ZohoError:
        cause = exc.cause
        while isinstance(cause, SDKException) and cause.cause is not None:
            cause = cause.cause
        if isinstance(cause, requests.RequestException | ValueError):
            return self._network(cause)
        details = exc.details if isinstance(exc.details, dict) else {}
        code = str(details.get("code") or exc.code or "")
        message = str(exc.error_message or "")
        if exc.code == "TYPE ERROR" and details.get("field"):
            name = str(details["field"])
            return ZohoRejected(f"{name} has the wrong type", [{
                "loc": f"{loc_prefix}{name}", "msg": f"expected {details.get('accepted_type', 'another type')}"}])
        if exc.code == "INVALID TOKEN ERROR":
            if "access denied" in message.lower() or "too many" in message.lower():
                return ZohoTransient("Zoho refused to mint more access tokens for now (10 per 10 minutes)",
                                     retry_after=60.0)
            status = getattr(_tls, "last_status", None)
            if status == 429 or (isinstance(status, int) and status >= 500):  # the accounts server, not the keys
                return ZohoTransient(f"Zoho's accounts server answered {status} to the token refresh")
            return ZohoAuthError(f"Zoho refused the credentials ({message or 'no access token'}): check "
                                 "ZOHO_CLIENT_ID, ZOHO_CLIENT_SECRET and ZOHO_REFRESH_TOKEN")
        if code == "INVALID_TOKEN":
            return _InvalidToken("Zoho rejected the access token")
        if code in {"OAUTH_SCOPE_MISMATCH", "NO_PERMISSION", "AUTHENTICATION_FAILURE"}:
            return ZohoAuthError(f"Zoho refused the call ({code}): the refresh token needs the ZohoCRM.modules.ALL "
                                 "and ZohoCRM.settings.ALL scopes")
        if code in {"TOO_MANY_REQUESTS", "LIMIT_EXCEEDED"}:
            return ZohoTransient(f"Zoho is rate limiting ({code})")
        return ZohoTransient(f"Zoho SDK error while {doing} ({exc.code or type(cause).__name__})")

    def _call(self, fn: Any, doing: str, *, check: bool = True, loc_prefix: str = "record.") -> Any:
        """Run one SDK call with this client bound; retry once after ``INVALID_TOKEN``."""
        with self._lock:
            self._initialize()
            for attempt in (1, 2):
                self._bind()
                try:
                    response = fn()
                    if check:
                        self._check_status(response, doing)
                    return response
                except SDKException as exc:
                    error = self._translate(exc, doing, loc_prefix)
                except requests.RequestException as exc:
                    error = self._network(exc)
                except _InvalidToken as exc:
                    error = exc
                if isinstance(error, _InvalidToken) and attempt == 1:
                    self._drop_token()
                    continue
                if isinstance(error, _InvalidToken):
                    raise ZohoTransient("Zoho rejected a freshly minted access token") from None
                raise error
        raise AssertionError("unreachable")  # pragma: no cover

    def _drop_token(self) -> None:
        token = self._token
        if token is None:
            return
        stale = token.get_access_token()
        log.info("zoho access token rejected; dropping it and retrying once")
        self.tokens.forget(stale)
        token.set_access_token(None)
        token.set_expires_in(None)

    def _check_status(self, response: Any, doing: str) -> None:
        if response is None:
            raise ZohoTransient(f"Zoho gave no readable answer while {doing}")
        status = int(response.get_status_code() or 0)
        obj = response.get_object()
        code = ""
        if obj is not None and hasattr(obj, "get_code") and not hasattr(obj, "get_data"):
            code = str(_choice_value(obj.get_code()) or "")
        if status == 401 and code == "INVALID_TOKEN":
            raise _InvalidToken("Zoho rejected the access token")
        if status == 429 or code in {"TOO_MANY_REQUESTS"}:
            raise ZohoTransient("Zoho is rate limiting (429)", retry_after=_retry_after(response.get_headers()))
        if status >= 500 or status in {408, 502, 503, 504}:
            raise ZohoTransient(f"Zoho answered {status}")
        if code == "LIMIT_EXCEEDED":
            raise ZohoTransient("Zoho's API limit is exceeded", retry_after=_retry_after(response.get_headers()))
        if status in {401, 403} or code in {"OAUTH_SCOPE_MISMATCH", "NO_PERMISSION", "AUTHENTICATION_FAILURE"}:
            raise ZohoAuthError(f"Zoho refused the call ({code or status}): check the credentials and their scopes")
        if obj is None and status not in {200, 201, 202, 204, 304, 400}:
            raise ZohoTransient(f"Zoho answered {status} without a readable body")

    # --- metadata ---
    def fields(self, module: str) -> dict[str, FieldInfo]:
        """The fields of ``module`` by API name (cached for ``fields_ttl_s``)."""
        cached = self._fields.get(module)
        if cached and time.monotonic() - cached[0] < self.config.fields_ttl_s:
            return cached[1]
        params = ParameterMap()
        params.add(GetFieldsParam.module, module)
        response = self._call(lambda: FieldsOperations().get_fields(params), f"loading {module} fields")
        obj = response.get_object()
        if not isinstance(obj, FieldsResponse):
            code = _choice_value(obj.get_code()) if obj is not None and hasattr(obj, "get_code") \
                else response.get_status_code()
            raise ZohoTransient(f"Zoho did not return the {module} fields ({code})")
        out: dict[str, FieldInfo] = {}
        for f in obj.get_fields() or []:
            name = f.get_api_name()
            if not name:
                continue
            values = f.get_pick_list_values()
            lookup = f.get_lookup()
            lookup_module = None
            if lookup is not None and lookup.get_module() is not None:
                lookup_module = lookup.get_module().get_api_name()
            out[name] = FieldInfo(
                api_name=name,
                data_type=str(f.get_data_type() or "text"),
                label=str(f.get_field_label() or f.get_display_label() or name),
                mandatory=bool(f.get_system_mandatory()),
                read_only=bool(f.get_read_only()),
                length=int(f.get_length()) if f.get_length() else None,
                picklist=tuple(str(v.get_actual_value()) for v in values if v.get_actual_value() is not None)
                if values is not None and str(f.get_data_type()) in {"picklist", "multiselectpicklist"} else None,
                lookup_module=lookup_module,
                unique=f.get_unique() is not None,
            )
        self._fields[module] = (time.monotonic(), out)
        return out

    # --- writes ---
    @staticmethod
    def _sdk_value(info: FieldInfo | None, value: Any, loc: str) -> Any:
        """Turn a JSON value into what the SDK expects for the field's type."""
        if value is None or info is None:
            if isinstance(value, dict) and "id" in value:
                ref = Record()
                ref.set_id(_zoho_id(value, loc))
                return ref
            return value
        kind = info.data_type
        if kind == "picklist":
            return Choice(value)
        if kind == "multiselectpicklist":
            return [Choice(v) for v in (value if isinstance(value, list) else [value])]
        if kind == "ownerlookup":
            user = MinifiedUser()
            user.set_id(_zoho_id(value, loc))
            return user
        if kind in {"lookup", "multimodulelookup"}:
            ref = Record()
            ref.set_id(_zoho_id(value, loc))
            return ref
        if kind in {"double", "currency", "decimal", "percent"} and not isinstance(value, bool | float):
            return float(value)  # JSON has one number type; the SDK insists on float (7200 -> 7200.0)
        if kind in {"integer", "bigint"} and isinstance(value, float) and value.is_integer():
            return int(value)
        if kind == "date":
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
        if kind == "datetime":
            return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        return value

    def _record(self, module: str, values: dict[str, Any], loc_prefix: str) -> Any:
        info = self.fields(module)
        record = Record()
        for name, value in values.items():
            try:
                converted = self._sdk_value(info.get(name), value, f"{loc_prefix}{name}")
            except (TypeError, ValueError):
                kind = info[name].data_type if name in info else "another type"
                raise ZohoRejected(f"{name} has the wrong type",
                                   [{"loc": f"{loc_prefix}{name}", "msg": f"expected {kind}"}]) from None
            record.add_key_value(name, converted)
        return record

    def _one_result(self, response: Any, loc_prefix: str, doing: str) -> WriteResult:
        obj = response.get_object()
        items = obj.get_data() if obj is not None and hasattr(obj, "get_data") else None
        if not items:
            code = _choice_value(obj.get_code()) if obj is not None and hasattr(obj, "get_code") else None
            message = obj.get_message() if obj is not None and hasattr(obj, "get_message") else None
            loc = loc_prefix.rstrip(".") or "record"
            raise ZohoRejected(f"{code or response.get_status_code()} while {doing}",
                               [{"loc": loc, "msg": f"{code or 'ERROR'}: {message or 'rejected'}"}],
                               code=str(code or "ERROR"))
        item = items[0]
        status = str(_choice_value(item.get_status()) or "")
        code = str(_choice_value(item.get_code()) or "")
        details = item.get_details() or {}
        if status != "success":
            api_name = details.get("api_name")
            message = str(_choice_value(item.get_message()) or code.lower())
            expected = details.get("expected_data_type")
            msg = f"{code}: {message}" + (f" (expected {expected})" if expected else "")
            loc = f"{loc_prefix}{api_name}" if api_name else (loc_prefix.rstrip(".") or "record")
            if code in {"TOO_MANY_REQUESTS", "LIMIT_EXCEEDED"}:
                raise ZohoTransient(f"Zoho is rate limiting ({code})")
            raise ZohoRejected(f"{code} on {api_name or loc}", [{"loc": loc, "msg": msg}], code=code)
        record_id = details.get("id")
        if record_id is None:
            raise ZohoTransient(f"Zoho's answer while {doing} had no record id")
        action = str(_choice_value(item.get_action()) or "insert") if hasattr(item, "get_action") else "insert"
        duplicate = item.get_duplicate_field() if hasattr(item, "get_duplicate_field") else None
        return WriteResult(record_id=str(record_id), action=action, duplicate_field=duplicate or None)

    def upsert(self, module: str, values: dict[str, Any], duplicate_check_fields: list[str]) -> WriteResult:
        """Insert or update one record, matching on ``duplicate_check_fields`` in order."""
        def op() -> Any:
            body = BodyWrapper()
            body.set_data([self._record(module, values, "record.")])
            if duplicate_check_fields:
                body.set_duplicate_check_fields(list(duplicate_check_fields))
            return RecordOperations(module).upsert_records(body)

        response = self._call(op, f"writing the {module} record")
        return self._one_result(response, "record.", f"writing the {module} record")

    def add_note(self, module: str, record_id: str, title: str | None, content: str) -> str:
        """Attach a note to a record; return the note id."""
        def op() -> Any:
            note = sdk_notes.Note()
            if title:
                note.set_note_title(title)
            note.set_note_content(content)
            parent = sdk_notes.ParentId()
            parent.set_id(_zoho_id(record_id, "record_id"))
            parent_module = MinifiedModule()
            parent_module.set_api_name(module)
            parent.set_module(parent_module)
            note.set_parent_id(parent)
            body = sdk_notes.BodyWrapper()
            body.set_data([note])
            return sdk_notes.NotesOperations().create_notes(body)

        response = self._call(op, "adding the note", loc_prefix="note.")
        return self._one_result(response, "note.", "adding the note").record_id

    def add_task(self, module: str, record_id: str, task: dict[str, Any]) -> str:
        """Create a task linked to a record (``What_Id``); return the task id."""
        def op() -> Any:
            values = dict(task)
            values["What_Id"] = {"id": record_id}
            values["$se_module"] = module
            record = self._record("Tasks", values, "task.")
            body = BodyWrapper()
            body.set_data([record])
            return RecordOperations("Tasks").create_records(body)

        response = self._call(op, "adding the task", loc_prefix="task.")
        return self._one_result(response, "task.", "adding the task").record_id


class _InvalidToken(ZohoError):
    """Internal: the access token was rejected (handled by one retry with a new token)."""


@dataclass
class _Clients:
    """One :class:`ZohoClient` per configuration in this process."""

    by_config: dict[tuple[ZohoConfig, str, int], ZohoClient] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


_CLIENTS = _Clients()


def client_for(config: ZohoConfig, store: Store) -> ZohoClient:
    """The shared client for ``config`` in this process (a new one after a fork)."""
    key = (config, store.url, os.getpid())
    with _CLIENTS.lock:
        client = _CLIENTS.by_config.get(key)
        if client is None:
            client = _CLIENTS.by_config[key] = ZohoClient(config, store)
        return client
