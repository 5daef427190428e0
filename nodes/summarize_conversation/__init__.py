"""``summarize-conversation``: WhatsApp exports and message lists become CRM-ready summaries."""

from nodes.summarize_conversation.node import SummarizeConversationNode

__all__ = ["SummarizeConversationNode"]
