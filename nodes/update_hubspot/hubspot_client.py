"""HubSpot through its official client (``hubspot-api-client``), as the outbox needs it.

- One ``hubspot.Client`` per account (private-app token, ``host`` for an emulator or a proxy); its API
  objects are built once (each builds its own connection pool).
- The client's own retries are off (``Retry(0)``): urllib3 would repeat a PUT after a dropped
  connection and GETs on 429 by itself; the outbox decides when to try again.
- Errors become the outbox's: 429 and 5xx, timeouts and connection errors are
  :class:`~nodes.core.outbox.Transient` (``Retry-After`` kept); 401/403 is a
  :class:`~nodes.core.outbox.Rejected` 502 naming ``HUBSPOT_TOKEN``; 400 (``VALIDATION_ERROR``) a 422
  naming the properties.
- Upserting: HubSpot has no upsert on phone, and its search is eventually consistent (a record created
  a moment ago may not be found). So: search by email, then phone, then the write's own key; create when
  nothing is found, carrying the key in a unique property (``tzomet_key``) so that a retry's second create
  is a 409 ``Existing ID: N``, which is then updated. A contact's email is unique too: the same 409.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any

from nodes.core.crm import Upserted
from nodes.core.outbox import Rejected, Transient

#: v4 association type ids (HUBSPOT_DEFINED): from a note / a task to a contact or a deal
ASSOCIATION_TYPES = {("notes", "contacts"): 202, ("notes", "deals"): 214, ("tasks", "contacts"): 204,
                     ("tasks", "deals"): 216}
_EXISTING = re.compile(r"Existing ID:\s*(\d+)")


@dataclass(frozen=True)
class HubSpotConfig:
    """One HubSpot account."""

    token: str
    api_url: str | None = None
    key_property: str = "tzomet_key"
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 30.0


def _status_error(exc: Any, what: str) -> Exception:
    """The outbox's error for an ``ApiException`` of the client."""
    status = int(getattr(exc, "status", 0) or 0)
    headers = dict(getattr(exc, "headers", None) or {})
    try:
        body = json.loads(getattr(exc, "body", None) or "{}")
    except ValueError:
        body = {}
    message = str(body.get("message") or getattr(exc, "reason", "") or status)
    if status == 429:
        retry_after = headers.get("Retry-After") or headers.get("retry-after")
        try:
            wait = float(retry_after) if retry_after is not None else None
        except ValueError:
            wait = None
        return Transient(f"HubSpot is rate limiting ({message})", wait, 502)
    if status >= 500 or status == 0:
        return Transient(f"HubSpot answered {status} to {what}", None, 502)
    if status in (401, 403):
        return Rejected(502, "HubSpot refused the token",
                        {"detail": "HubSpot refused the token (HUBSPOT_TOKEN, or the tenant's hubspot token): "
                                   f"{message}"})
    errors = [{"loc": f"record.{(e.get('context') or {}).get('propertyName', ['?'])[0]}",
               "msg": str(e.get("message") or e.get("code"))} for e in body.get("errors") or []]
    return Rejected(422, str(body.get("category") or status),
                    {"detail": f"HubSpot rejected the {what} ({message[:300]})", "errors": errors,
                     "code": body.get("category")})


class HubSpotClient:
    """The calls update-hubspot makes, on one account."""

    def __init__(self, config: HubSpotConfig) -> None:
        from hubspot import Client
        from urllib3.util.retry import Retry

        extra: dict[str, Any] = {"host": config.api_url.rstrip("/")} if config.api_url else {}
        self.config = config
        self._client = Client.create(access_token=config.token, retry=Retry(total=0, raise_on_status=False),
                                     **extra)
        import hubspot.crm.contacts
        import hubspot.crm.deals
        import hubspot.crm.objects.notes
        import hubspot.crm.objects.tasks

        crm = self._client.crm
        #: per object: its basic API, its search API, and the module of its models and ApiException
        self._apis: dict[str, tuple[Any, Any, Any]] = {
            "contacts": (crm.contacts.basic_api, crm.contacts.search_api, hubspot.crm.contacts),
            "deals": (crm.deals.basic_api, crm.deals.search_api, hubspot.crm.deals),
            "notes": (crm.objects.notes.basic_api, None, hubspot.crm.objects.notes),
            "tasks": (crm.objects.tasks.basic_api, None, hubspot.crm.objects.tasks),
        }
        self._timeout = (config.connect_timeout_s, config.read_timeout_s)

    def _call(self, kind: str, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        import urllib3

        module = self._apis[kind][2]
        try:
            return fn(*args, _request_timeout=self._timeout, **kwargs)
        except module.ApiException as exc:
            raise _status_error(exc, what) from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            timeout = isinstance(exc, urllib3.exceptions.TimeoutError) or "timed out" in str(exc).lower()
            raise Transient(f"HubSpot {'timed out' if timeout else 'is unreachable'} ({type(exc).__name__})",
                            None, 504 if timeout else 502) from None

    def search(self, kind: str, prop: str, value: str) -> str | None:
        """The id of the first ``kind`` whose ``prop`` equals ``value`` (as far as HubSpot's index knows)."""
        models = self._apis[kind][2]
        request = models.PublicObjectSearchRequest(
            filter_groups=[models.FilterGroup(filters=[models.Filter(property_name=prop, operator="EQ",
                                                                      value=value)])],
            properties=["hs_object_id"], limit=1)
        found = self._call(kind, f"{kind} search", self._apis[kind][1].do_search,
                           public_object_search_request=request)
        return str(found.results[0].id) if found.results else None

    def create(self, kind: str, properties: dict[str, str],
               associate: list[tuple[str, str]] | None = None) -> str:
        """Create a ``kind`` (with associations to ``(kind, id)`` pairs); its id."""
        models = self._apis[kind][2]
        associations = [models.PublicAssociationsForObject(
            to=models.PublicObjectId(id=target_id),
            types=[models.AssociationSpec(association_category="HUBSPOT_DEFINED",
                                          association_type_id=ASSOCIATION_TYPES[(kind, target_kind)])])
            for target_kind, target_id in associate or []]
        body = models.SimplePublicObjectInputForCreate(properties=properties, associations=associations)
        created = self._call(kind, f"new {kind[:-1]}", self._apis[kind][0].create,
                             simple_public_object_input_for_create=body)
        return str(created.id)

    def update(self, kind: str, record_id: str, properties: dict[str, str]) -> None:
        models = self._apis[kind][2]
        self._call(kind, f"{kind[:-1]} {record_id}", self._apis[kind][0].update, record_id,
                   simple_public_object_input=models.SimplePublicObjectInput(properties=properties))

    def upsert(self, kind: str, properties: dict[str, str], key: str | None) -> Upserted:
        """Update the ``kind`` that has this email, phone or key, else create it (see the module docstring)."""
        for prop in (("email", "phone") if kind == "contacts" else ()) + ((self.config.key_property,) if key else ()):
            value = key if prop == self.config.key_property else properties.get(prop)
            if not value:
                continue
            found = self.search(kind, prop, value)
            if found:
                self.update(kind, found, properties)
                return Upserted(found, "update", prop)
        keyed = {**properties, self.config.key_property: key} if key else properties
        try:
            return Upserted(self.create(kind, keyed), "insert", None)
        except Rejected as exc:
            existing = _EXISTING.search(str(exc.result.get("detail", "")))
            if exc.reason != "CONFLICT" or existing is None:
                raise
            self.update(kind, existing.group(1), properties)  # created a moment ago, not indexed yet
            return Upserted(existing.group(1), "update", "conflict")

    @staticmethod
    def timestamp() -> str:
        """Now, as HubSpot's ``hs_timestamp`` wants it (epoch milliseconds)."""
        return str(int(time.time() * 1000))
