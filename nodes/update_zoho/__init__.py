"""update-zoho: exactly-once Zoho CRM writes through Zoho's SDK, durable while Zoho is down.

The SDK is imported only by :mod:`nodes.update_zoho.zoho_sdk`, and only once a write needs it.
"""

from nodes.core.registry import register

register("update-zoho", "nodes.update_zoho.node:UpdateZohoNode", order=40)
