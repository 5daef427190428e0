"""feedback: a person's correction of an answer, and the pilot report built from answers and corrections."""

from nodes.core.registry import register

register("feedback", "nodes.feedback.node:FeedbackNode", order=50)
