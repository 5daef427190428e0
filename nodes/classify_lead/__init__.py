"""classify-lead: intent, urgency, handoff, lead score and contact details of one message."""

from nodes.core.registry import register

register("classify-lead", "nodes.classify_lead.node:ClassifyLeadNode", order=10)
