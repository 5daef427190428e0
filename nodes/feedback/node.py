"""feedback: ``POST /v1/feedback`` records a person's correction of an answer, by its request id.

n8n sends it when someone re-tags a lead in the CRM (``workflows/``): the answer's
``meta.request_id`` and what it should have been. Corrections are idempotent per request id
(the latest wins) and only reach the tenant's own answers: another tenant's request id, or one
never recorded, is a 404 that reveals nothing. Without ``store_bodies`` no text is stored, so a
correction is a label on an answer's id — counted by the pilot report (``GET /v1/report``, ``tzomet
report``), and reported by training as "not usable" rather than silently dropped. A tenant that keeps
message bodies may also name the answer by the message's ``text`` (its latest answer), and its
corrections train its model (``tzomet train --with-feedback``).

Answers are recorded by a background writer within about half a second
(:mod:`nodes.core.decisions`); a correction sent sooner than that, to another worker, may not find
its answer yet — send it again.
"""

from __future__ import annotations

import time
from typing import Any

import click

from nodes.core import decisions
from nodes.core.node import Context, Node, NodeError, Route
from nodes.core.store import open_store
from nodes.feedback import report
from nodes.feedback.models import FeedbackInput, FeedbackOutput


class FeedbackNode(Node):
    name = "feedback"
    title = "Feedback"
    description = "Record a person's correction of an answer (by its request id); the pilot report counts it."
    Input = FeedbackInput
    Output = FeedbackOutput
    model = "corrections"
    model_version = "1"

    def run(self, data: FeedbackInput, ctx: Context) -> FeedbackOutput:
        tenant = ctx.tenant or decisions.DEFAULT_TENANT
        decisions.LOG.flush()  # this process's latest answers first
        store = open_store(ctx.settings.database_url)
        request_id = data.request_id
        if data.text is not None:  # named by its text: only where the tenant keeps message bodies
            if not ctx.settings.stores_bodies(ctx.tenant):
                raise NodeError(422, "A correction names its answer by request_id: this tenant keeps no message "
                                     "text (store_bodies is off), so none can be found by its text.",
                                errors=[{"loc": "text", "msg": "give request_id instead"}])
            request_id = store.decision_by_text(tenant, decisions.text_digest(data.text))
            if request_id is None:
                raise NodeError(404, "No answer to that message for this caller.")
        assert request_id is not None
        found = store.decisions(tenant, 0.0, request_id)
        if not found:
            raise NodeError(404, f"No answer with request id {request_id!r} for this caller.")
        _, action, _, _, _, fields, _ = found[0]
        correct = data.correct.model_dump(exclude_none=True)
        store.feedback_set(request_id, tenant, correct, time.time())
        fields = {k: v for k, v in fields.items() if k not in ("text", "text_sha256")}  # never echoed
        return FeedbackOutput(request_id=request_id, action=action, decided=fields, correct=correct)

    def routes(self) -> list[Route]:
        """``GET /v1/report`` (the last 14 days) and ``GET /v1/report/<since>`` (``30d``, ``12h``)."""
        return [Route("GET", "/v1/report", self._report, metric="report", summary="The pilot report (14 days)"),
                Route("GET", "/v1/report/<since>", self._report, metric="report_since",
                      summary="The pilot report since a time ago (30d, 12h)")]

    @staticmethod
    def _report(ctx: Context, since: str = "14d") -> dict[str, Any]:
        try:
            seconds = report.parse_since(since)
        except ValueError as err:
            raise NodeError(422, str(err), errors=[{"loc": "since", "msg": str(err)}]) from None
        decisions.LOG.flush()
        return report.build(open_store(ctx.settings.database_url), ctx.tenant or decisions.DEFAULT_TENANT, seconds)

    def commands(self) -> list[Any]:
        return [report_command]


@click.command("report")
@click.option("--tenant", default=decisions.DEFAULT_TENANT, show_default=True)
@click.option("--since", default="14d", show_default=True, help="How far back: 14d, 12h, 90d.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write the report as one HTML file.")
def report_command(tenant: str, since: str, html_path: str | None) -> None:
    """The pilot report of a tenant: messages, category mix, handoff rate, response time, accuracy."""
    import json

    from nodes.core.config import load_settings

    settings = load_settings()
    try:
        seconds = report.parse_since(since)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--since") from None
    data = report.build(open_store(settings.database_url), tenant, seconds)
    if html_path:
        report.write_html(data, html_path)
        click.echo(f"wrote {html_path}", err=True)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
