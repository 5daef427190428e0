"""update-hubspot: exactly-once HubSpot contact/deal upserts with a note and tasks, durable while HubSpot is down."""

from nodes.core.registry import register

register("update-hubspot", "nodes.update_hubspot.node:UpdateHubspotNode", order=41)
