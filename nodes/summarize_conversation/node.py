"""The ``summarize-conversation`` node: a WhatsApp export or a message list -> a CRM note."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from nodes import text as tt
from nodes.core import registry
from nodes.core.limits import Deadline, check_text_chars
from nodes.core.node import Context, Node, NodeError, Reply
from nodes.core.problems import Problem
from nodes.core.runner import call
from nodes.summarize_conversation import actions, conversation, llm_path, sentiment, summary, whatsapp
from nodes.summarize_conversation.conversation import Msg
from nodes.summarize_conversation.models import (
    MAX_MESSAGES,
    ActionItem,
    AmountEntity,
    Customer,
    DateEntity,
    Entities,
    Handoff,
    Participant,
    Sentiment,
    Stats,
    SummarizeInput,
    SummarizeOutput,
)

DEFAULT_MAX_SENTENCES = 4
#: this many customer messages in a row with no reply ends a conversation that needs a human
UNANSWERED_AT = 3
#: the classifier sees at most this much of the customer's text (its cost grows with length)
CLASSIFIER_CHARS = 2_000
#: the customer's first messages say what they came for
OPENING_MESSAGES = 3


def _messages_from_list(data: SummarizeInput, now: dt.datetime) -> list[Msg]:
    assert data.messages is not None
    out: list[Msg] = []
    for i, m in enumerate(data.messages):
        author = m.author.strip() or (m.role or "unknown")
        ref = m.timestamp.date() if m.timestamp else now.date()
        out.append(Msg(i, author, m.role or "", m.text.strip(), m.timestamp, ref))
    return out


def _messages_from_transcript(transcript: str, now: dt.datetime) -> tuple[list[Msg], whatsapp.ParsedChat]:
    chat = whatsapp.parse(transcript)
    if chat.header_lines == 0:
        raise NodeError(
            422,
            "The transcript has no WhatsApp message lines. Supported formats: " + whatsapp.SUPPORTED_FORMATS,
            errors=[{"loc": "transcript", "msg": "no message lines found; supported: "
                     + whatsapp.SUPPORTED_FORMATS}],
        )
    if not chat.messages:
        raise NodeError(
            422,
            "The transcript holds only system lines and media placeholders, no messages.",
            errors=[{"loc": "transcript", "msg": "no messages (only system lines or media placeholders)"}],
        )
    if len(chat.messages) > MAX_MESSAGES:
        raise NodeError(
            422,
            f"The transcript holds {len(chat.messages)} messages; at most {MAX_MESSAGES} are accepted.",
            errors=[{"loc": "transcript", "msg": f"at most {MAX_MESSAGES} messages"}],
        )
    msgs = [
        Msg(i, p.author, "", p.text, p.timestamp, p.timestamp.date() if p.timestamp else now.date())
        for i, p in enumerate(chat.messages)
    ]
    return msgs, chat


def _assign_roles(msgs: list[Msg], customer_name: str | None, business_names: list[str]) -> Customer:
    """Fill in missing roles; say who the customer is and how that was decided."""
    authors = list(dict.fromkeys(m.author for m in msgs))
    texts: dict[str, list[str]] = {}
    for m in msgs:
        texts.setdefault(m.author, []).append(m.text)
    given = {m.author: m.role for m in msgs if m.role}
    customer: str | None
    if customer_name:
        customer = conversation.find_author(authors, customer_name)
        if customer is None:
            names = ", ".join(authors[:10])
            raise NodeError(
                422,
                f"No participant is called {customer_name!r}; the participants are: {names}.",
                errors=[{"loc": "customer_name", "msg": f"not a participant (participants: {names})"}],
            )
        source, confidence = "customer_name", 1.0
    elif any(r == "customer" for r in given.values()):
        customer = next(a for a, r in given.items() if r == "customer")
        source, confidence = "roles", 1.0
    else:
        unknown = [a for a in authors if a not in given]
        customer, confidence = conversation.infer_customer(
            unknown, texts, msgs[0].author, business_names
        ) if unknown else (None, 0.0)
        source = "inferred" if customer else "none"
    role_of: dict[str, str] = {}
    for a in authors:
        if a == customer:
            role_of[a] = "customer"
        elif given.get(a) in {"agent", "bot"}:
            role_of[a] = given[a]
        elif conversation.is_bot(a, texts.get(a, [])):
            role_of[a] = "bot"
        else:
            role_of[a] = "agent"
    for m in msgs:
        if not m.role or customer_name:
            m.role = role_of[m.author]
        elif m.role == "customer" and source == "roles":
            m.role = "customer"
    return Customer(
        name=customer,
        phone=conversation.phone_of(customer) if customer else None,
        source=source,  # type: ignore[arg-type]
        confidence=confidence,
    )


def _read(msgs: list[Msg], deadline: Deadline) -> tuple[list[summary.Sentence], Entities]:
    """The sentences and the entities of the conversation, in one pass over its messages.

    Each message's sentences and entities are read together, so the toolkit normalises
    each message once (its normalisation cache holds the message between the two), and
    each message's matches are folded into the entities at once instead of piling up.
    The request's time budget is checked before each message.
    """
    sentences: list[summary.Sentence] = []

    def found() -> Iterator[dict[str, list[tt.Match]]]:
        for m in msgs:
            deadline.check()
            summary.split_message(m, sentences)
            yield tt.find_all(m.text, m.ref)

    entities = _entities(found())
    return sentences, entities


def _entities(found_per_message: Iterable[dict[str, list[tt.Match]]]) -> Entities:
    dates: dict[str, DateEntity] = {}
    amounts: dict[tuple[float, str], AmountEntity] = {}
    phones: dict[str, None] = {}
    emails: dict[str, None] = {}
    for found in found_per_message:
        for d in found.get("dates", []):
            if str(d.value) not in dates:
                dates[str(d.value)] = DateEntity(text=d.text, value=str(d.value))
        for a in found.get("amounts", []):
            value = float(a.value["amount"])
            currency = str(a.value.get("currency") or "ILS")
            if (value, currency) not in amounts:
                amounts[(value, currency)] = AmountEntity(text=a.text, value=value, currency=currency)
        for p in found.get("phones", []):
            phones.setdefault(str(p.value), None)
        for e in found.get("emails", []):
            emails.setdefault(str(e.value or e.text).lower(), None)
    return Entities(
        dates=sorted(dates.values(), key=lambda d: d.value),
        amounts=list(amounts.values()),
        phones=list(phones),
        emails=list(emails),
    )


def _language(requested: str, msgs: list[Msg]) -> str:
    if requested != "auto":
        return requested
    sample = "\n".join(m.text for m in msgs[:400])[:6_000]
    lang = tt.detect_language(sample)
    if lang in {"he", "ar", "en", "mixed"}:
        return lang
    return "mixed"


def _label_language(language: str, msgs: list[Msg]) -> str:
    """The language of the summary's labels: the conversation's, or its customer's."""
    if language in {"he", "ar", "en"}:
        return language
    sample = "\n".join(m.text for m in msgs if m.role == "customer")[:5_000]
    lang = tt.detect_language(sample) if sample else "he"
    return lang if lang in {"he", "ar", "en"} else "he"


def _iso(ts: dt.datetime | None) -> str | None:
    return ts.isoformat() if ts else None


def _seconds(a: dt.datetime, b: dt.datetime) -> float | None:
    try:
        return round((b - a).total_seconds(), 1)
    except TypeError:  # one naive, one aware
        return None


def _stats(msgs: list[Msg], chat: whatsapp.ParsedChat | None) -> Stats:
    times = [m.timestamp for m in msgs if m.timestamp is not None]
    first_at = last_at = None
    if times:
        try:
            first_at, last_at = min(times), max(times)
        except TypeError:  # a mix of naive and aware timestamps: keep the given order
            first_at, last_at = times[0], times[-1]
    first_response = None
    first_customer = next((m for m in msgs if m.role == "customer"), None)
    if first_customer is not None and first_customer.timestamp is not None:
        reply = next((m for m in msgs[first_customer.index + 1:] if m.role == "agent" and m.timestamp), None)
        if reply is not None and reply.timestamp is not None:
            first_response = _seconds(first_customer.timestamp, reply.timestamp)
            if first_response is not None and first_response < 0:
                first_response = None
    return Stats(
        messages=len(msgs),
        participants=len({m.author for m in msgs}),
        first_at=_iso(first_at),
        last_at=_iso(last_at),
        first_response_seconds=first_response,
        system_lines=chat.system_lines if chat else 0,
        media_omitted=chat.media_omitted if chat else 0,
        format=chat.format if chat else "messages",  # type: ignore[arg-type]
        date_order=chat.date_order if chat else None,  # type: ignore[arg-type]
    )


def _chat_text(msgs: list[Msg], limit: int | None = None, customer_only: bool = True) -> str:
    """The customer's messages (every message when not ``customer_only``; the first ``limit`` of them), cut to
    :data:`CLASSIFIER_CHARS`."""
    texts = [m.text for m in msgs if m.text and (m.role == "customer" or not customer_only)]
    if limit:
        texts = texts[:limit]
    text = "\n".join(texts).strip()
    if len(text) > CLASSIFIER_CHARS:
        # the request is at the start, complaints and outcomes at the end
        head = CLASSIFIER_CHARS * 2 // 5
        text = text[:head] + "\n" + text[-(CLASSIFIER_CHARS - head - 1):]
    return text


#: what a complaint may really be about: the matter wins over "complaint" when the readings are this close (of 3)
_MATTERS = frozenset({"billing", "cancellation"})
MATTER_MARGIN = 1.0


def _classify(msgs: list[Msg], ctx: Context, language: str) -> tuple[str, str, list[str], bool]:
    """Category, urgency, handoff reasons and whether handoff is required, via classify-lead.

    The category is what the conversation is for: the label classify-lead gives the most probability in three
    readings together — the customer's opening messages (what they came for), everything the customer wrote,
    and the whole chat, the business's replies included (which name the matter calmly: "נשמח לתאם תור", "the
    refund was issued", where the customer's words may be sarcasm or a figure of speech). Urgency and handoff
    come from everything the customer wrote.
    """
    full_text = _chat_text(msgs)
    if not full_text or not registry.exists("classify-lead"):
        return "other", "normal", [], False

    def run(text: str) -> Any:
        fields: dict[str, Any] = {"text": text, "channel": "whatsapp"}
        if language in {"he", "ar", "en"}:
            fields["language"] = language
        return call("classify-lead", fields, ctx)

    try:
        full = run(full_text)
        readings = [full]
        for text in (_chat_text(msgs, OPENING_MESSAGES), _chat_text(msgs, customer_only=False)):
            readings.append(full if text == full_text else run(text))
    except Problem:
        return "other", "normal", [], False
    total: dict[str, float] = {}
    for reading in readings:
        for label, p in (reading.scores or {str(reading.category): float(reading.confidence)}).items():
            total[label] = total.get(label, 0.0) + float(p)
    return category_of(total), str(full.urgency), list(full.handoff.reasons), bool(full.handoff.required)


def category_of(total: dict[str, float]) -> str:
    """The chat's category from its readings' summed probabilities: the most probable label — but a dispute over
    a bill or a cancellation, said angrily, is still about the bill or the cancellation (the anger and the threats
    raise the handoff; the matter names the chat), so that matter wins over "complaint" when it is close."""
    ranked = sorted(total, key=lambda label: total[label], reverse=True)
    if ranked[0] == "complaint" and len(ranked) > 1 and ranked[1] in _MATTERS and \
            total[ranked[0]] - total[ranked[1]] <= MATTER_MARGIN:
        return ranked[1]
    return ranked[0]


class SummarizeConversationNode(Node):
    """Summarise a customer conversation into what a CRM needs."""

    name = "summarize-conversation"
    title = "Summarize conversation"
    description = (
        "Turns a WhatsApp chat export (Android/iOS, Hebrew/Arabic/English) or a message list into a "
        "CRM-ready summary: requests, action items with owners and due dates, open questions, "
        "entities, sentiment, category and handoff."
    )
    Input = SummarizeInput
    Output = SummarizeOutput
    engine = "local"
    model = "textrank-rules"
    model_version = "1"

    def run(self, data: SummarizeInput, ctx: Context) -> SummarizeOutput | Reply:
        """Summarise one conversation. Raises :class:`NodeError` (422) for unusable input."""
        options = ctx.options(self.name)
        now = ctx.now
        chat: whatsapp.ParsedChat | None = None
        if data.messages is not None:
            for i, message in enumerate(data.messages):
                check_text_chars(message.text, f"messages.{i}.text", ctx.settings)
            check_text_chars([m.text for m in data.messages], "messages", ctx.settings)
            msgs = _messages_from_list(data, now)
        elif data.transcript is not None:
            check_text_chars(data.transcript, "transcript", ctx.settings)
            msgs, chat = _messages_from_transcript(data.transcript, now)
        else:
            raise NodeError(
                422,
                "Give the conversation as `messages` (a list) or as `transcript` (a WhatsApp export).",
                errors=[{"loc": "messages", "msg": "one of `messages` or `transcript` is required"}],
            )
        customer = _assign_roles(msgs, data.customer_name, list(options.get("business_names", [])))
        language = _language(data.language, msgs)
        max_sentences = data.max_sentences or int(options.get("max_sentences", DEFAULT_MAX_SENTENCES))

        sentences, entities = _read(msgs, ctx.deadline)
        ranked = summary.summarize(sentences, max_sentences, _label_language(language, msgs))
        items = actions.action_items(sentences)

        words: dict[int, list[str]] = {}
        for s in sentences:
            words.setdefault(s.msg.index, []).extend(s.words)
        scored = [sentiment.score_text(m.text, words.get(m.index, [])) for m in msgs if m.role == "customer"]
        if not any(h for _, h in scored):
            scored = [sentiment.score_text(m.text, words.get(m.index, [])) for m in msgs]
        overall, trend, mean = sentiment.overall_and_trend(scored)
        ctx.deadline.check()

        category, urgency, reasons, required = _classify(msgs, ctx, language)
        unanswered = 0
        for m in reversed(msgs):
            if m.role != "customer":
                break
            unanswered += 1
        threshold = int(options.get("unanswered_messages", UNANSWERED_AT))
        if unanswered >= threshold:
            required = True
            reasons.append("unanswered_messages")
        if overall == "negative" and trend == "worsening":
            required = True
            reasons.append("worsening_sentiment")

        text = ranked.summary
        engine = ctx.settings.engine_for(self.name, ctx.tenant) if ctx.settings is not None else "local"
        llm = llm_path.ask_summary(msgs, language, ctx.settings, options, ctx.tenant, engine) \
            if engine != "local" else None
        written = llm_path.summary_of(llm) if llm is not None else None
        counts = Counter(m.author for m in msgs)
        roles = {m.author: m.role for m in msgs}
        output = SummarizeOutput(
            summary=written or text,
            language=language,  # type: ignore[arg-type]
            key_points=ranked.key_points,
            customer_requests=actions.customer_requests(sentences),
            action_items=[ActionItem(owner=i.owner, text=i.text, due=i.due)  # type: ignore[arg-type]
                          for i in items],
            open_questions=actions.open_questions(sentences),
            entities=entities,
            sentiment=Sentiment(overall=overall, trend=trend, score=mean),  # type: ignore[arg-type]
            category=category,
            urgency=urgency if urgency in {"high", "normal", "low"} else "normal",  # type: ignore[arg-type]
            handoff=Handoff(required=required, reasons=list(dict.fromkeys(reasons))),
            stats=_stats(msgs, chat),
            customer=customer,
            participants=[Participant(name=a, role=roles[a], messages=n)  # type: ignore[arg-type]
                          for a, n in counts.items()],
        )
        if llm is None:
            return output
        if llm.answer is None or written is None:  # the LLM failed: the local summary, and meta says why
            return Reply(output, engine="local", meta_extra={"llm": llm.meta()})
        return Reply(output, engine="llm", model=llm.answer.model, model_version=llm.prompt,
                     meta_extra={"llm": llm.meta()})

    def evaluate(self, data_path: str | None = None, **options: Any) -> dict[str, Any]:
        """Score on the gold conversations (see :mod:`nodes.summarize_conversation.eval`)."""
        from nodes.summarize_conversation.eval import evaluate

        return evaluate(self, data_path)
