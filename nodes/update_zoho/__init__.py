"""update-zoho: exactly-once Zoho CRM writes through Zoho's SDK, durable while Zoho is down.

``UpdateZohoNode`` is the action; ``get_job``, ``outbox_depth`` and ``store_ready`` serve
``GET /v1/jobs/<id>``, the ``/metrics`` outbox gauge and ``/readyz``. The SDK is imported
only by :mod:`nodes.update_zoho.zoho_sdk`, and only once a write needs it.
"""

from nodes.update_zoho.node import UpdateZohoNode, get_job, outbox_depth, store_ready
from nodes.update_zoho.writer import shutdown_runtimes

__all__ = ["UpdateZohoNode", "get_job", "outbox_depth", "shutdown_runtimes", "store_ready"]
