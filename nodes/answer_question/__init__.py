"""answer-question: answer customers from the business's own documents, with citations, or hand over;
and knowledge: the documents it answers from."""

from nodes.core.registry import register

register("answer-question", "nodes.answer_question.node:AnswerQuestionNode", order=35)
register("knowledge", "nodes.answer_question.node:KnowledgeNode", order=36)
