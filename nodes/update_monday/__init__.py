"""update-monday: exactly-once Monday.com board items with an update (comment), durable while Monday is down."""

from nodes.core.registry import register

register("update-monday", "nodes.update_monday.node:UpdateMondayNode", order=42)
