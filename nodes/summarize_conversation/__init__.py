"""summarize-conversation: a WhatsApp export or message list becomes a CRM-ready summary."""

from nodes.core.registry import register

register("summarize-conversation", "nodes.summarize_conversation.node:SummarizeConversationNode", order=20)
