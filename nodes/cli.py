"""The ``tzomet`` command: serve, run an action, list nodes, print OpenAPI, keys, evals.

Every action-specific command (``run``, ``eval``, ``train``, ``synth``) takes the action
name and finds the node in the registry, like the HTTP routes do.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from nodes.core import registry, versions
from nodes.core.auth import new_key
from nodes.core.config import ConfigError, Settings, hash_key, load_settings
from nodes.core.node import Context, Node
from nodes.core.problems import Problem
from nodes.core.runner import execute
from nodes.core.store import open_store


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


def _dump(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _is_loopback(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        try:
            return all(ipaddress.ip_address(a[4][0]).is_loopback for a in socket.getaddrinfo(host, None))
        except OSError:
            return False


def _action(name: str) -> Node:
    if not registry.exists(name) or registry.hidden(name):
        raise click.BadParameter(f"no action {name!r}; actions: {', '.join(registry.names())}", param_hint="ACTION")
    return registry.get(name)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="tzomet")
def main() -> None:
    """Tzomet: Hebrew-first AI action nodes for n8n."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8080, show_default=True, type=int, help="Port to bind.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="gunicorn worker processes.")
@click.option("--threads", default=32, show_default=True, type=click.IntRange(1, 1024),
              help="Threads per worker: each serves one connection at a time, stalled clients included.")
@click.option("--timeout", default=120, show_default=True, type=int, help="Worker timeout in seconds.")
def serve(host: str, port: int, workers: int, threads: int, timeout: int) -> None:
    """Serve the HTTP API with gunicorn."""
    import gc
    import shutil

    from gunicorn.app.base import BaseApplication

    from nodes.core.metrics import DIR_ENV
    from server import TzometWorker, create_app

    settings = _settings()
    if not settings.auth_enabled:
        if not _is_loopback(host):
            raise click.ClickException(
                f"refusing to serve on {host} without API keys. Create one with `tzomet keys new` and set "
                "TZOMET_API_KEYS=<key> (or add its hashed line to the TZOMET_CONFIG file), "
                "or bind 127.0.0.1."
            )
        click.secho(
            "WARNING: no API keys configured - anyone who can reach this port can call every action. "
            f"Serving on loopback ({host}) only. Run `tzomet keys new` to create a key.",
            fg="yellow", bold=True, err=True,
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Every worker writes its request totals here; /metrics adds them up (see nodes.core.metrics).
    metrics_dir = Path(tempfile.mkdtemp(prefix="tzomet-metrics-"))
    os.environ[DIR_ENV] = str(metrics_dir)
    app = create_app(settings, workers=workers)
    for name in registry.names():  # the models every worker shares: loaded once, before the fork
        try:
            registry.get(name).preload(settings)
        except Exception as exc:  # each worker tries again in `warm`, and readyz reports it
            click.echo(f"node {name} did not preload: {type(exc).__name__}", err=True)

    def warm(worker: Any) -> None:
        # Open stores and start writers after the fork (models preloaded above are already
        # there), so each worker is ready before its first request.
        for name in registry.names():
            try:
                registry.get(name).load(settings)
            except Exception as exc:  # readyz reports it; serving the other actions goes on
                worker.log.warning("node %s did not load: %s", name, type(exc).__name__)
        # The models are there for the worker's life: keep the garbage collector from walking
        # them again on every full collection (a pause of tens of ms per worker otherwise).
        gc.collect()
        gc.freeze()

    def worker_exit(server: Any, worker: Any) -> None:
        for node in registry.built():  # stop background writers cleanly (their work stays queued)
            node.shutdown()

    def on_exit(server: Any) -> None:
        shutil.rmtree(metrics_dir, ignore_errors=True)

    class Gunicorn(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("timeout", timeout)
            self.cfg.set("worker_class", TzometWorker)  # gthread; see its docstring
            self.cfg.set("threads", threads)
            self.cfg.set("post_worker_init", warm)
            self.cfg.set("worker_exit", worker_exit)
            self.cfg.set("on_exit", on_exit)
            self.cfg.set("accesslog", None)
            self.cfg.set("loglevel", "info")

        def load(self) -> Any:
            return app

    click.echo(f"Tzomet serving on http://{host}:{port} with {workers} workers of {threads} threads", err=True)
    Gunicorn().run()


@main.command()
@click.argument("action")
@click.argument("file", default="-", type=click.File("rb"))
def run(action: str, file: Any) -> None:
    """Run ACTION in-process on the JSON in FILE (or stdin) and print the output."""
    node = _action(action)
    raw = file.read()
    ctx = Context(settings=_settings())
    try:
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise Problem(400, f"The input is not valid JSON: {err}") from None
        click.echo(_dump(execute(node, data, ctx)))
    except Problem as problem:
        click.echo(_dump(problem.body(ctx.request_id)), err=True)
        sys.exit(1)


@main.command(name="nodes")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_nodes(as_json: bool) -> None:
    """List the actions."""
    rows = [{"name": n, "title": registry.get(n).title, "description": registry.get(n).description}
            for n in registry.names()]
    if as_json:
        click.echo(_dump(rows))
        return
    for row in rows:
        click.echo(f"{row['name']:<26} {row['description']}")


@main.command()
def openapi() -> None:
    """Print the OpenAPI 3.1 document."""
    from nodes.core.schemas import openapi_document

    click.echo(_dump(openapi_document()))


@main.group()
def keys() -> None:
    """Manage API keys."""


@keys.command("new")
@click.option("--tenant", default="default", show_default=True, help="Tenant name for the config line.")
def keys_new(tenant: str) -> None:
    """Print a fresh API key and the hashed entry for the TZOMET_CONFIG file."""
    key = new_key()
    click.echo(f"API key (give it to the client, it is not stored anywhere):\n  {key}\n")
    click.echo("Add to your TZOMET_CONFIG file (TOML):\n")
    click.echo(f'[[tenants]]\nname = "{tenant}"\nkeys = ["{hash_key(key)}"]\n')
    click.echo(f"or, for a simple setup, export TZOMET_API_KEYS={key}")


@main.command(name="eval")
@click.argument("action")
@click.option("--data", "data_path", type=click.Path(exists=True), help="Gold data (default: the shipped set).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write an HTML report here.")
@click.option("--min-macro-f1", type=float, help="Exit 1 when macro-F1 is below this.")
@click.option("--min", "minimums", multiple=True, metavar="METRIC=VALUE", help="Exit 1 when METRIC < VALUE.")
@click.option("--kb", "kb_dir", type=click.Path(exists=True, file_okay=False),
              help="answer-question: the knowledge base's documents (default: the shipped set).")
def evaluate(action: str, data_path: str | None, as_json: bool, html_path: str | None,
             min_macro_f1: float | None, minimums: tuple[str, ...], kb_dir: str | None) -> None:
    """Score ACTION on gold data and print its report."""
    from nodes.engine.metrics import check_minimums, format_report, write_html

    node = _action(action)
    node.load(_settings())
    report = node.evaluate(data_path, **({"kb_dir": kb_dir} if kb_dir else {}))
    if html_path:
        write_html(report, Path(html_path), title=f"{action} evaluation")
    click.echo(_dump(report) if as_json else format_report(report))
    wanted = list(minimums) + ([f"macro_f1={min_macro_f1}"] if min_macro_f1 is not None else [])
    failures = check_minimums(report, wanted)
    if failures:
        for failure in failures:
            click.secho(f"quality gate failed: {failure}", fg="red", err=True)
        sys.exit(1)


def _minimums(values: tuple[str, ...]) -> list[str]:
    """The ``--min`` gates, checked before any training (the gate itself is ``check_minimums``)."""
    from nodes.engine.metrics import parse_minimum

    for value in values:
        try:
            parse_minimum(value)
        except ValueError:
            raise click.BadParameter(f"{value!r}: use METRIC=VALUE, e.g. macro_f1=0.8", param_hint="--min") from None
    return list(values)


@main.command()
@click.argument("action")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False),
              help="Training data: JSON lines of {\"text\", \"category\"}; with --tenant also CSV or XLSX "
                   "(default: the shipped data).")
@click.option("--out", type=click.Path(dir_okay=False),
              help="Where to write the model (default: <data dir>/models/ACTION/<version>.joblib).")
@click.option("--tenant", help="Train this tenant's own model: versioned, gated by its evals, served once active.")
@click.option("--text-col", help="The column of the message (default: text, message, הודעה, …).")
@click.option("--label-col", help="The column of the label (default: category, label, סיווג, …).")
@click.option("--handoff-col", help="A yes/no column: did a person have to take over? (scores handoff recall)")
@click.option("--urgency-col", help="A column of high/normal/low.")
@click.option("--with-base", is_flag=True, help="Train on the shipped data too (shared knowledge).")
@click.option("--eval", "eval_path", type=click.Path(exists=True, dir_okay=False),
              help="The tenant's own gold file to score on (default: a held-out fifth of --data).")
@click.option("--with-feedback", is_flag=True,
              help="Fold in the tenant's corrections (POST /v1/feedback); reports those that cannot be used.")
@click.option("--min", "minimums", multiple=True, metavar="METRIC=VALUE",
              help="Keep the new version a candidate when METRIC (macro_f1, handoff_recall) is below VALUE.")
def train(action: str, data_path: str | None, out: str | None, tenant: str | None, text_col: str | None,
          label_col: str | None, handoff_col: str | None, urgency_col: str | None, with_base: bool,
          eval_path: str | None, with_feedback: bool, minimums: tuple[str, ...]) -> None:
    """Train ACTION's local model from its data and print its version and path.

    With --tenant: the tenant's own model. It becomes active only when its evals are not worse
    than the active version's and the custom-labels path's; otherwise it stays a candidate and
    the command exits 1 with the comparison.
    """
    node = _action(action)
    if tenant is not None:
        trainer = getattr(node, "train_tenant", None)
        if trainer is None:
            raise click.ClickException(f"{action} has no tenant models")
        if data_path is None:
            raise click.BadParameter("a tenant's model needs its data", param_hint="--data")
        try:
            report = trainer(_settings(), tenant, Path(data_path), text_col=text_col, label_col=label_col,
                             handoff_col=handoff_col, urgency_col=urgency_col, with_base=with_base,
                             eval_path=Path(eval_path) if eval_path else None, minimums=_minimums(minimums),
                             with_feedback=with_feedback,
                             say=lambda line: click.echo(line, err=True))
        except (ValueError, RuntimeError) as err:  # bad data, a training already running
            raise click.ClickException(str(err)) from None
        click.echo(_dump(report))
        if not report["promoted"]:
            click.secho("kept as a candidate: " + "; ".join(report["gate"]), fg="red", err=True)
            sys.exit(1)
        return
    try:
        report = node.train(data_path, out, _settings())
    except NotImplementedError:
        raise click.ClickException(f"{action} has no trainable model") from None
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    click.echo(_dump(report))


@main.group()
def db() -> None:
    """The store's schema: its version, and upgrading it (TZOMET_DB_URL)."""


@db.command("status")
def db_status() -> None:
    """The schema version of the store and the one this version of Tzomet needs."""
    from nodes.core.store import LATEST, StoreError

    try:
        current = open_store(_settings().database_url).schema_version()
    except StoreError as err:
        raise click.ClickException(str(err)) from None
    click.echo(_dump({"schema_version": current, "needed": LATEST, "up_to_date": current >= LATEST}))


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations the store lacks (safe to run from several machines at once)."""
    from nodes.core.store import MIGRATIONS, StoreError

    try:
        before, after = open_store(_settings().database_url).upgrade()
    except StoreError as err:
        raise click.ClickException(str(err)) from None
    applied = [f"{version}: {what}" for version, what, _ in MIGRATIONS if version > before]
    click.echo(_dump({"from": before, "to": after, "applied": applied}))


@main.group()
def models() -> None:
    """A tenant's model versions: list, show, promote, roll back."""


def _versions_store(tenant: str) -> tuple[Settings, Any]:
    settings = _settings()
    if settings.tenant(tenant) is None:
        raise click.BadParameter(f"unknown tenant {tenant!r}", param_hint="--tenant")
    return settings, open_store(settings.database_url)


def _tenant_and_action(command: Any) -> Any:
    """The ``--tenant`` and ``--action`` options of every ``models`` command."""
    command = click.option("--action", default="classify-lead", show_default=True)(command)
    return click.option("--tenant", required=True)(command)


def _found(find: Callable[[], versions.ModelVersion]) -> versions.ModelVersion:
    """``find()``; an unknown tenant's version, or nothing to roll back to, is a clear error."""
    try:
        return find()
    except versions.VersionError as err:
        raise click.ClickException(str(err)) from None


@models.command("list")
@_tenant_and_action
def models_list(tenant: str, action: str) -> None:
    """Every version of the tenant's model, newest first."""
    _, store = _versions_store(tenant)
    click.echo(_dump([v.summary() for v in versions.versions(store, tenant, action)]))


@models.command("show")
@click.argument("version")
@_tenant_and_action
def models_show(version: str, tenant: str, action: str) -> None:
    """One version: its data, labels, metrics, references and gate."""
    _, store = _versions_store(tenant)
    v = _found(lambda: versions.get(store, tenant, action, version))
    click.echo(_dump({**v.summary(), "sha256": v.sha256, "info": v.info}))


@models.command("promote")
@click.argument("version")
@_tenant_and_action
def models_promote(version: str, tenant: str, action: str) -> None:
    """Make VERSION the active one (every worker serves it within a second or two)."""
    _, store = _versions_store(tenant)
    click.echo(_dump(_found(lambda: versions.promote(store, tenant, action, version)).summary()))


@models.command("rollback")
@_tenant_and_action
def models_rollback(tenant: str, action: str) -> None:
    """Re-activate the version that was active before the current one."""
    _, store = _versions_store(tenant)
    click.echo(_dump(_found(lambda: versions.rollback(store, tenant, action)).summary()))


@main.command()
@click.argument("action")
@click.option("--seed", default=13, show_default=True, type=int, help="Random seed (same seed, same data).")
@click.option("--n", "per_seed", default=3, show_default=True, type=int, help="Variants per seed message.")
@click.option("--out", type=click.Path(dir_okay=False), help="Output JSONL (default: stdout).")
@click.option("--data", "data_path", type=click.Path(exists=True, dir_okay=False),
              help="A tenant's labelled file (JSONL, CSV, XLSX) to expand instead of the shipped seeds: its rows "
                   "and their variants, ready for `tzomet train --tenant`.")
@click.option("--text-col", help="The column of the message (with --data).")
@click.option("--label-col", help="The column of the label (with --data).")
def synth(action: str, seed: int, per_seed: int, out: str | None, data_path: str | None, text_col: str | None,
          label_col: str | None) -> None:
    """Expand ACTION's seed data (or a tenant's own, --data) into synthetic training data."""
    node = _action(action)
    synthesizer = getattr(node, "synth", None)
    if synthesizer is None:
        raise click.ClickException(f"{action} has no synthetic data pipeline")
    try:
        rows = synthesizer(seed=seed, per_seed=per_seed, data_path=Path(data_path) if data_path else None,
                           text_col=text_col, label_col=label_col)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if out:
        Path(out).write_text(lines, encoding="utf-8")
        click.echo(f"wrote {len(rows)} rows to {out}", err=True)
    else:
        click.echo(lines, nl=False)


@main.group()
def workflows() -> None:
    """The shipped n8n workflows (workflows/*.json)."""


@workflows.command(name="render")
@click.option("--base-url", required=True, help="Where n8n reaches this service, e.g. http://tzomet:8080.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False), help="Directory to write to.")
@click.option("--tenant", help="Client name: suffixes workflow names, gives unique ids and webhook paths.")
@click.option("--set", "values", multiple=True, metavar="NAME=VALUE",
              help="Another value of the 'Tzomet config' node, e.g. owner_whatsapp=972501234567.")
@click.option("--crm", type=click.Choice(["zoho", "hubspot", "monday"]), default="zoho", show_default=True,
              help="The CRM the workflows write to (update-zoho, update-hubspot or update-monday).")
def render_workflows(base_url: str, out_dir: str, tenant: str | None, values: tuple[str, ...], crm: str) -> None:
    """Write copies of every workflow with the config node filled in, ready to import."""
    from nodes.core.workflows import RenderError, render_all

    pairs: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected NAME=VALUE, got {item!r}", param_hint="--set")
        pairs[name.strip()] = value
    try:
        written = render_all(Path(out_dir), base_url, tenant, pairs, crm=crm)
    except RenderError as err:
        raise click.ClickException(str(err)) from None
    for path in written:
        click.echo(str(path))


@main.group()
def jobs() -> None:
    """The outbox: writes to a CRM waiting, done, failed or dead (all tenants; --tenant to narrow)."""


def _store() -> Any:
    from nodes.core.store import open_store

    return open_store(_settings().database_url)


@jobs.command(name="list")
@click.option("--tenant", help="Only this tenant's jobs.")
@click.option("--kind", help="Only this action's jobs, e.g. update-zoho.")
@click.option("--status", type=click.Choice(["queued", "running", "succeeded", "failed", "dead"]))
@click.option("--limit", type=int, default=50, show_default=True)
def jobs_list(tenant: str | None, kind: str | None, status: str | None, limit: int) -> None:
    """Jobs, newest first, one JSON line each."""
    from nodes.core.outbox import job_view

    for job in _store().jobs(tenant=tenant, kind=kind, status=status, limit=limit):
        click.echo(json.dumps({**job_view(job), "tenant": job.tenant}, ensure_ascii=False))


@jobs.command(name="show")
@click.argument("job_id")
def jobs_show(job_id: str) -> None:
    """One job: its state, attempts, last error and outcome."""
    from nodes.core.outbox import job_view

    job = _store().get(job_id)
    if job is None:
        raise click.ClickException(f"no job {job_id!r}")
    click.echo(_dump({**job_view(job), "tenant": job.tenant}))


@jobs.command(name="retry")
@click.argument("job_id")
def jobs_retry(job_id: str) -> None:
    """Put a dead job back in the queue with all its attempts (once the CRM or its credentials are fixed)."""
    if not _store().requeue(job_id):
        raise click.ClickException(f"no dead job {job_id!r} that can be retried (see `tzomet jobs show {job_id}`)")
    click.echo(f"job {job_id} is queued again")


@jobs.command(name="discard")
@click.argument("job_id")
def jobs_discard(job_id: str) -> None:
    """Give up a queued or dead job: it is not written, and its record and note are dropped."""
    if not _store().discard(job_id):
        raise click.ClickException(f"no queued or dead job {job_id!r}")
    click.echo(f"job {job_id} is discarded")


def _add_node_commands() -> None:
    """Add the commands each action declares (:meth:`nodes.core.node.Node.commands`)."""
    for name in registry.names():
        for command in registry.get(name).commands():
            main.add_command(command)


_add_node_commands()

if __name__ == "__main__":
    main()
